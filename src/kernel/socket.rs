//! One generic netlink socket per process. Replies are matched by sequence
//! number and port id; anything else is a stale reply to an earlier request
//! and is dropped. Every wait has a deadline: a silent kernel becomes an
//! error, never a hang (kube-proxy's netlink client once waited forever).

use super::wire::{
    self, error_code, genl, messages, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_NOOP,
    NLMSG_OVERRUN, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use crate::sys;
use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;
use std::io;
use std::os::unix::io::AsRawFd;
use std::time::Duration;

const SOL_NETLINK: i32 = 270;
const NETLINK_CAP_ACK: i32 = 10;

/// Requests per `sendmsg` in a batch, and bytes: small enough that the
/// replies of a whole chunk (failures and one ACK) fit the receive buffer.
pub const BATCH_MESSAGES: usize = 256;
pub const BATCH_BYTES: usize = 64 * 1024;

/// How long to wait for the kernel's next message before giving up.
pub const REPLY_DEADLINE: Duration = Duration::from_secs(30);

/// The generic netlink controller family and what we ask it.
const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// Why a netlink exchange failed.
#[derive(Debug)]
pub enum NetlinkError {
    /// the kernel answered with this errno
    Kernel(i32),
    /// the socket itself failed
    Io(io::Error),
    /// no reply within the deadline
    Timeout(Duration),
    /// the reply was not what the protocol says
    Decode(wire::DecodeError),
}

/// What users read of a failed exchange (the operation is named by the
/// caller's error).
impl std::fmt::Display for NetlinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetlinkError::Kernel(errno) => {
                write!(f, "the kernel refused: {}", sys::strerror(*errno))
            }
            NetlinkError::Io(e) => write!(f, "netlink socket: {e}"),
            NetlinkError::Timeout(d) => {
                write!(f, "no answer from the kernel within {} s", d.as_secs())
            }
            NetlinkError::Decode(e) => write!(f, "unexpected reply from the kernel: {e}"),
        }
    }
}

impl std::error::Error for NetlinkError {}

impl From<io::Error> for NetlinkError {
    fn from(e: io::Error) -> Self {
        NetlinkError::Io(e)
    }
}

impl From<wire::DecodeError> for NetlinkError {
    fn from(e: wire::DecodeError) -> Self {
        NetlinkError::Decode(e)
    }
}

/// A request is either a single operation (answered by an ACK or an error,
/// possibly preceded by replies) or a dump (answered by parts and DONE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Do,
    Dump,
}

/// What is handed each reply's attribute area, with the number of the
/// datagram it came in.
pub(crate) type ReplyVisitor<'v> = dyn FnMut(&[u8], usize) -> Result<(), NetlinkError> + 'v;

/// One generic netlink request: its family, command, version, attribute
/// area (already encoded) and kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    /// the generic netlink family id
    pub family: u16,
    /// the command
    pub cmd: u8,
    /// the family's version
    pub version: u8,
    /// the encoded attributes
    pub attrs: &'a [u8],
    /// a single answer or a dump
    pub kind: Kind,
}

/// What the kernel said of a batch: which requests failed (index in the
/// batch, errno), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// (index in the batch, errno) of each refused request
    pub failures: Vec<(usize, i32)>,
}

/// Requests framed back to back, to go out in one `sendmsg`. They are
/// written before the socket is known (by a second thread, while the kernel
/// works through the previous batch), so family, flags and sequence numbers
/// are set when the batch is sent.
#[derive(Debug, Default)]
pub struct RequestBatch {
    bytes: Vec<u8>,
    /// where each request starts in `bytes`
    starts: Vec<usize>,
}

impl RequestBatch {
    /// An empty batch.
    pub fn new() -> RequestBatch {
        RequestBatch {
            bytes: Vec::with_capacity(BATCH_BYTES + 4096),
            starts: Vec::with_capacity(BATCH_MESSAGES),
        }
    }

    /// Append one request: `write` writes its attributes in place and
    /// returns its command.
    pub(crate) fn push(&mut self, version: u8, write: impl FnOnce(&mut wire::AttrWriter) -> u8) {
        self.starts.push(self.bytes.len());
        wire::push_request(&mut self.bytes, 0, NLM_F_REQUEST, 0, version, write);
    }

    /// How many requests it holds.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Full: small enough that the replies of a whole batch (failures and
    /// one ACK) fit the receive buffer.
    pub fn is_full(&self) -> bool {
        self.starts.len() >= BATCH_MESSAGES || self.bytes.len() >= BATCH_BYTES
    }

    /// The datagram, its requests numbered from `first_seq` for `family`;
    /// only the last one asks for an acknowledgement.
    fn numbered(&mut self, family: u16, first_seq: u32) -> &[u8] {
        let count = self.starts.len();
        for (i, &start) in self.starts.iter().enumerate() {
            let header = &mut self.bytes[start..start + NLMSG_HDRLEN];
            let flags = if i + 1 == count {
                NLM_F_REQUEST | NLM_F_ACK
            } else {
                NLM_F_REQUEST
            };
            header[4..6].copy_from_slice(&family.to_ne_bytes());
            header[6..8].copy_from_slice(&flags.to_ne_bytes());
            header[8..12].copy_from_slice(&first_seq.wrapping_add(i as u32).to_ne_bytes());
        }
        &self.bytes
    }
}

pub struct Socket {
    sock: NlSocket,
    port_id: u32,
    seq: u32,
    buf: Vec<u8>,
    deadline: Duration,
    /// Every datagram sent (`>`) and received (`<`) as a hex line, for
    /// debugging and golden tests.
    trace: Option<std::fs::File>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Socket {
    /// A socket ready for IPVS requests; with `trace`, every datagram is
    /// also appended to that file.
    pub fn open(trace: Option<&std::path::Path>) -> Result<Socket, NetlinkError> {
        let sock = NlSocket::connect(NlFamily::Generic, None, Groups::empty())?;
        sock.nonblock()?;
        // Dump parts are up to 32 KiB; a larger receive buffer keeps bursts of
        // replies from overrunning it.
        let _ = sock.set_recv_buffer_size(1 << 20);
        // As root the limit can be passed (rmem_max is often 208 KiB).
        let _ = sys::set_int_option(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            4 << 20,
        );
        // Error replies carry only the failed request's header, not all of it.
        let _ = sys::set_int_option(sock.as_raw_fd(), SOL_NETLINK, NETLINK_CAP_ACK, 1);
        let port_id = sock.pid()?;
        let trace = match trace {
            Some(path) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            ),
            None => None,
        };
        Ok(Socket {
            sock,
            port_id,
            seq: 0,
            buf: vec![0; 64 * 1024],
            deadline: REPLY_DEADLINE,
            trace,
        })
    }

    fn record(&mut self, direction: char, bytes: &[u8]) {
        if let Some(file) = &mut self.trace {
            use std::io::Write;
            // One write per line: sockets on other threads append to the
            // same file.
            let _ = file.write_all(format!("{direction} {}\n", hex(bytes)).as_bytes());
        }
    }

    /// Resolve a generic netlink family name; Ok(None) when the kernel does
    /// not know it (module not loaded).
    pub fn resolve_family(&mut self, name: &str) -> Result<Option<u16>, NetlinkError> {
        let mut attrs = wire::AttrWriter::new();
        attrs.string(CTRL_ATTR_FAMILY_NAME, name);
        let replies = match self.exchange(
            GENL_ID_CTRL,
            CTRL_CMD_GETFAMILY,
            1,
            &attrs.into_bytes(),
            Kind::Do,
        ) {
            Ok(replies) => replies,
            Err(NetlinkError::Kernel(libc::ENOENT)) => return Ok(None),
            Err(e) => return Err(e),
        };
        for reply in &replies {
            for attr in wire::attrs(reply)? {
                if attr.kind == CTRL_ATTR_FAMILY_ID {
                    return Ok(Some(attr.u16()?));
                }
            }
        }
        Err(NetlinkError::Decode(wire::DecodeError(
            "the controller's reply has no family id".into(),
        )))
    }

    /// Send one request and collect the attribute areas of its replies.
    pub fn exchange(
        &mut self,
        family: u16,
        cmd: u8,
        version: u8,
        attrs: &[u8],
        kind: Kind,
    ) -> Result<Vec<Vec<u8>>, NetlinkError> {
        let mut replies = Vec::new();
        let request = Request {
            family,
            cmd,
            version,
            attrs,
            kind,
        };
        self.exchange_each(request, &mut |reply, _| {
            replies.push(reply.to_vec());
            Ok(())
        })?;
        Ok(replies)
    }

    /// Send one request and hand the attribute area of each reply to
    /// `visit` straight from the receive buffer, with the number of the
    /// datagram it came in (0 for the first): a dump of 100,000 real
    /// servers is 100,000 messages, not copied one by one.
    pub(crate) fn exchange_each(
        &mut self,
        request: Request<'_>,
        visit: &mut ReplyVisitor<'_>,
    ) -> Result<(), NetlinkError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let flags = match request.kind {
            Kind::Do => NLM_F_REQUEST | NLM_F_ACK,
            Kind::Dump => NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
        };
        let framed = wire::request(
            request.family,
            flags,
            seq,
            request.cmd,
            request.version,
            request.attrs,
        );
        self.record('>', &framed);
        self.sock.send(&framed, Msg::empty())?;
        for datagram in 0.. {
            let len = self.receive()?;
            for msg in messages(&self.buf[..len])? {
                if msg.seq != seq || msg.pid != self.port_id {
                    continue; // a late answer to an earlier request
                }
                match msg.kind {
                    NLMSG_NOOP => {}
                    NLMSG_ERROR => {
                        return match error_code(msg.payload)? {
                            0 => Ok(()),
                            code => Err(NetlinkError::Kernel(-code)),
                        };
                    }
                    NLMSG_DONE => {
                        // Newer kernels put the dump's status in DONE.
                        let code = if msg.payload.len() >= 4 {
                            error_code(msg.payload)?
                        } else {
                            0
                        };
                        return if code < 0 {
                            Err(NetlinkError::Kernel(-code))
                        } else {
                            Ok(())
                        };
                    }
                    NLMSG_OVERRUN => return Err(NetlinkError::Kernel(libc::ENOBUFS)),
                    _ => visit(genl(msg.payload)?.attrs, datagram)?,
                }
            }
        }
        unreachable!("datagrams are counted without end")
    }

    /// Send a batch in one `sendmsg`. Only its last request asks for an
    /// acknowledgement; the kernel answers every failing request anyway and
    /// goes on with the next one. Returns the errno of each request that
    /// failed (by index in the batch).
    pub fn exchange_batch(
        &mut self,
        family: u16,
        batch: &mut RequestBatch,
    ) -> Result<Batch, NetlinkError> {
        let base = self.seq.wrapping_add(1);
        let count = batch.len();
        let mut result = Batch {
            failures: Vec::new(),
        };
        if count == 0 {
            return Ok(result);
        }
        self.seq = base.wrapping_add((count - 1) as u32);
        let last_seq = self.seq;
        let datagram = batch.numbered(family, base);
        self.record('>', datagram);
        self.sock.send(datagram, Msg::empty())?;
        loop {
            let len = self.receive()?;
            for msg in messages(&self.buf[..len])? {
                let index = msg.seq.wrapping_sub(base) as usize;
                if msg.pid != self.port_id || index >= count || msg.kind != NLMSG_ERROR {
                    continue;
                }
                let code = error_code(msg.payload)?;
                if code != 0 {
                    result.failures.push((index, -code));
                }
                if msg.seq == last_seq {
                    return Ok(result);
                }
            }
        }
    }

    /// One datagram into `self.buf` (see `receive_untraced`), traced.
    fn receive(&mut self) -> Result<usize, NetlinkError> {
        let len = self.receive_untraced()?;
        if self.trace.is_some() {
            let datagram = self.buf[..len].to_vec();
            self.record('<', &datagram);
        }
        Ok(len)
    }

    /// One datagram into `self.buf`, waiting at most the deadline. The
    /// socket is non-blocking: read first, and wait only when nothing is
    /// queued (a dump's parts are usually already there).
    fn receive_untraced(&mut self) -> Result<usize, NetlinkError> {
        let mut waited = false;
        loop {
            if waited && !sys::wait_readable(self.sock.as_raw_fd(), self.deadline)? {
                return Err(NetlinkError::Timeout(self.deadline));
            }
            waited = true;
            match self.sock.recv(&mut self.buf[..], Msg::TRUNC) {
                Ok((len, _)) if len > self.buf.len() => {
                    // MSG_TRUNC reports the real size: the datagram is lost,
                    // so the exchange fails rather than returning half a table.
                    return Err(NetlinkError::Decode(wire::DecodeError(format!(
                        "a {len}-byte netlink message did not fit the receive buffer"
                    ))));
                }
                Ok((len, _)) => return Ok(len),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    return Err(NetlinkError::Kernel(libc::ENOBUFS))
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests framed ahead are numbered for the socket when sent: family,
    /// consecutive sequence numbers, an acknowledgement asked of the last
    /// one only; commands and attributes are as written, each request
    /// equal to one framed alone.
    #[test]
    fn batches_are_numbered_when_sent() {
        let mut batch = RequestBatch::new();
        batch.push(1, |w| {
            w.u32(4, 900);
            12
        });
        batch.push(1, |w| {
            w.string(6, "rr");
            1
        });
        batch.push(1, |_| 17);
        assert_eq!((batch.len(), batch.is_full()), (3, false));
        let datagram = batch.numbered(0x1d, u32::MAX).to_vec();
        let messages = wire::messages(&datagram).unwrap();
        let seen: Vec<(u16, u16, u32, u8)> = messages
            .iter()
            .map(|m| (m.kind, m.flags, m.seq, genl(m.payload).unwrap().cmd))
            .collect();
        let ack = NLM_F_REQUEST | NLM_F_ACK;
        assert_eq!(
            seen,
            [
                (0x1d, NLM_F_REQUEST, u32::MAX, 12),
                (0x1d, NLM_F_REQUEST, 0, 1),
                (0x1d, ack, 1, 17)
            ]
        );
        let alone = wire::request(0x1d, NLM_F_REQUEST, 0, 1, 1, &{
            let mut w = wire::AttrWriter::new();
            w.string(6, "rr");
            w.into_bytes()
        });
        let second = &datagram[batch.starts[1]..batch.starts[2]];
        assert_eq!(second, &alone[..]);
    }

    #[test]
    fn a_batch_is_full_at_its_message_or_byte_limit() {
        let mut batch = RequestBatch::new();
        while !batch.is_full() {
            batch.push(1, |_| 17);
        }
        assert_eq!(batch.len(), BATCH_MESSAGES);
        let mut big = RequestBatch::new();
        while !big.is_full() {
            big.push(1, |w| {
                w.bytes(1, &[0; 1000]);
                1
            });
        }
        assert!(big.len() < BATCH_MESSAGES && big.bytes.len() >= BATCH_BYTES);
    }
}
