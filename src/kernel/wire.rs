//! Netlink framing as the kernel lays it out: `nlmsghdr`, `genlmsghdr` and
//! `nlattr` TLVs, 4-byte aligned, host byte order. Pure functions over byte
//! slices; malformed input is a `DecodeError`, never a panic.

use std::fmt;

pub(crate) const NLMSG_NOOP: u16 = 1;
pub(crate) const NLMSG_ERROR: u16 = 2;
pub(crate) const NLMSG_DONE: u16 = 3;
pub(crate) const NLMSG_OVERRUN: u16 = 4;

pub(crate) const NLM_F_REQUEST: u16 = 0x1;
pub(crate) const NLM_F_ACK: u16 = 0x4;
pub(crate) const NLM_F_DUMP: u16 = 0x300;

/// `NLA_F_NESTED` and `NLA_F_NET_BYTEORDER` live in the top bits of the
/// type; they are masked off when parsing.
const NLA_TYPE_MASK: u16 = 0x3fff;

pub(crate) const NLMSG_HDRLEN: usize = 16;
pub(crate) const GENL_HDRLEN: usize = 4;

/// A reply that does not follow the netlink or IPVS layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

fn bad(what: impl Into<String>) -> DecodeError {
    DecodeError(what.into())
}

pub(crate) fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// One netlink message inside a received buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Message<'a> {
    pub(crate) kind: u16,
    pub(crate) flags: u16,
    pub(crate) seq: u32,
    pub(crate) pid: u32,
    pub(crate) payload: &'a [u8],
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Split a datagram into its netlink messages.
pub(crate) fn messages(mut buf: &[u8]) -> Result<Vec<Message<'_>>, DecodeError> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        if buf.len() < NLMSG_HDRLEN {
            return Err(bad(format!(
                "truncated netlink header ({} bytes)",
                buf.len()
            )));
        }
        let len = u32_at(buf, 0) as usize;
        if len < NLMSG_HDRLEN || len > buf.len() {
            return Err(bad(format!(
                "netlink message length {len} outside 16..={}",
                buf.len()
            )));
        }
        out.push(Message {
            kind: u16_at(buf, 4),
            flags: u16_at(buf, 6),
            seq: u32_at(buf, 8),
            pid: u32_at(buf, 12),
            payload: &buf[NLMSG_HDRLEN..len],
        });
        buf = &buf[align4(len).min(buf.len())..];
    }
    Ok(out)
}

/// The error code of an `NLMSG_ERROR` payload: 0 is an ACK, otherwise −errno.
pub(crate) fn error_code(payload: &[u8]) -> Result<i32, DecodeError> {
    if payload.len() < 4 {
        return Err(bad("truncated netlink error message"));
    }
    Ok(u32_at(payload, 0) as i32)
}

/// A generic netlink payload: command, version, attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Genl<'a> {
    pub(crate) cmd: u8,
    pub(crate) version: u8,
    pub(crate) attrs: &'a [u8],
}

pub(crate) fn genl(payload: &[u8]) -> Result<Genl<'_>, DecodeError> {
    if payload.len() < GENL_HDRLEN {
        return Err(bad("truncated generic netlink header"));
    }
    Ok(Genl {
        cmd: payload[0],
        version: payload[1],
        attrs: &payload[GENL_HDRLEN..],
    })
}

/// Encode one generic netlink request.
pub(crate) fn request(
    family: u16,
    flags: u16,
    seq: u32,
    cmd: u8,
    version: u8,
    attrs: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(align4(NLMSG_HDRLEN + GENL_HDRLEN + attrs.len()));
    push_request(&mut out, family, flags, seq, version, |w| {
        w.raw(attrs);
        cmd
    });
    out
}

/// Append one generic netlink request to `buf`: `write` writes its
/// attributes in place and returns its command (a restore frames tens of
/// thousands of requests back to back, and a buffer per request showed).
pub(crate) fn push_request(
    buf: &mut Vec<u8>,
    family: u16,
    flags: u16,
    seq: u32,
    version: u8,
    write: impl FnOnce(&mut AttrWriter) -> u8,
) {
    let start = buf.len();
    buf.extend_from_slice(&0u32.to_ne_bytes()); // the length, patched below
    buf.extend_from_slice(&family.to_ne_bytes());
    buf.extend_from_slice(&flags.to_ne_bytes());
    buf.extend_from_slice(&seq.to_ne_bytes());
    buf.extend_from_slice(&0u32.to_ne_bytes());
    buf.extend_from_slice(&[0, version, 0, 0]); // the command, patched below
    let mut w = AttrWriter {
        buf: std::mem::take(buf),
    };
    let cmd = write(&mut w);
    *buf = w.buf;
    let len = buf.len() - start;
    buf[start..start + 4].copy_from_slice(&(len as u32).to_ne_bytes());
    buf[start + NLMSG_HDRLEN] = cmd;
    buf.resize(start + align4(len), 0);
}

/// One attribute: its type (flags masked off) and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attr<'a> {
    pub(crate) kind: u16,
    pub(crate) payload: &'a [u8],
}

impl<'a> Attr<'a> {
    pub(crate) fn u8(&self) -> Result<u8, DecodeError> {
        self.fixed::<1>().map(|b| b[0])
    }

    pub(crate) fn u16(&self) -> Result<u16, DecodeError> {
        self.fixed::<2>().map(u16::from_ne_bytes)
    }

    pub(crate) fn be16(&self) -> Result<u16, DecodeError> {
        self.fixed::<2>().map(u16::from_be_bytes)
    }

    pub(crate) fn u32(&self) -> Result<u32, DecodeError> {
        self.fixed::<4>().map(u32::from_ne_bytes)
    }

    pub(crate) fn u64(&self) -> Result<u64, DecodeError> {
        self.fixed::<8>().map(u64::from_ne_bytes)
    }

    /// The first N bytes; longer payloads are accepted as the kernel's
    /// lenient parser does, shorter ones are an error.
    pub(crate) fn fixed<const N: usize>(&self) -> Result<[u8; N], DecodeError> {
        self.payload
            .get(..N)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                bad(format!(
                    "attribute {} has {} bytes, needs {N}",
                    self.kind,
                    self.payload.len()
                ))
            })
    }

    /// A NUL-terminated string (the terminator and anything after it dropped).
    pub(crate) fn string(&self) -> Result<String, DecodeError> {
        let end = self
            .payload
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.payload.len());
        std::str::from_utf8(&self.payload[..end])
            .map(str::to_string)
            .map_err(|_| bad(format!("attribute {} is not UTF-8", self.kind)))
    }

    #[cfg(test)]
    pub(crate) fn nested(&self) -> Result<Vec<Attr<'a>>, DecodeError> {
        attrs(self.payload)
    }
}

/// Split an attribute area into attributes.
pub(crate) fn attrs(buf: &[u8]) -> Result<Vec<Attr<'_>>, DecodeError> {
    parse_attrs(buf, |a| Ok(*a))
}

/// Read every attribute of an area with `parse`, in order. The vector is
/// sized for the area up front (an attribute takes at least 8 bytes in
/// practice): big listings decode hundreds of thousands of attributes.
pub(crate) fn parse_attrs<'a, T>(
    mut buf: &'a [u8],
    mut parse: impl FnMut(&Attr<'a>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut out = Vec::with_capacity(buf.len() / 8 + 1);
    while buf.len() >= 4 {
        let len = u16_at(buf, 0) as usize;
        if len < 4 || len > buf.len() {
            return Err(bad(format!(
                "attribute length {len} outside 4..={}",
                buf.len()
            )));
        }
        out.push(parse(&Attr {
            kind: u16_at(buf, 2) & NLA_TYPE_MASK,
            payload: &buf[4..len],
        })?);
        buf = &buf[align4(len).min(buf.len())..];
    }
    if !buf.is_empty() {
        return Err(bad(format!(
            "{} stray bytes after the attributes",
            buf.len()
        )));
    }
    Ok(out)
}

/// Builds an attribute area.
#[derive(Debug, Default, Clone)]
pub(crate) struct AttrWriter {
    buf: Vec<u8>,
}

impl AttrWriter {
    pub(crate) fn new() -> AttrWriter {
        // Room for a whole request: growing from empty is most of the cost
        // of encoding a restore's tens of thousands of requests.
        AttrWriter {
            buf: Vec::with_capacity(256),
        }
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    pub(crate) fn bytes(&mut self, kind: u16, payload: &[u8]) -> &mut Self {
        self.parts(kind, &[payload])
    }

    /// One attribute whose payload is the concatenation of `parts` (no
    /// temporary buffer: restores encode tens of thousands of requests).
    fn parts(&mut self, kind: u16, parts: &[&[u8]]) -> &mut Self {
        let len = 4 + parts.iter().map(|p| p.len()).sum::<usize>();
        self.buf.reserve(align4(len));
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        for part in parts {
            self.buf.extend_from_slice(part);
        }
        self.buf.resize(self.buf.len() + align4(len) - len, 0);
        self
    }

    /// An attribute of a fixed size: every copy has a length known at
    /// compile time (a request is a dozen of these, tens of thousands of
    /// times in a restore).
    fn fixed<const N: usize>(&mut self, kind: u16, payload: [u8; N]) -> &mut Self {
        const PADDING: [u8; 3] = [0; 3];
        let len = 4 + N;
        let [l0, l1] = (len as u16).to_ne_bytes();
        let [k0, k1] = kind.to_ne_bytes();
        self.buf.extend_from_slice(&[l0, l1, k0, k1]);
        self.buf.extend_from_slice(&payload);
        self.buf.extend_from_slice(&PADDING[..align4(len) - len]);
        self
    }

    /// Two 32-bit values in one attribute (flags and mask).
    pub(crate) fn u32_pair(&mut self, kind: u16, a: u32, b: u32) -> &mut Self {
        let (a, b) = (a.to_ne_bytes(), b.to_ne_bytes());
        self.fixed(kind, [a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]])
    }

    pub(crate) fn u8(&mut self, kind: u16, v: u8) -> &mut Self {
        self.fixed(kind, [v])
    }

    pub(crate) fn u16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.fixed(kind, v.to_ne_bytes())
    }

    pub(crate) fn be16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.fixed(kind, v.to_be_bytes())
    }

    pub(crate) fn u32(&mut self, kind: u16, v: u32) -> &mut Self {
        self.fixed(kind, v.to_ne_bytes())
    }

    #[cfg(test)]
    pub(crate) fn u64(&mut self, kind: u16, v: u64) -> &mut Self {
        self.fixed(kind, v.to_ne_bytes())
    }

    /// An address (`union nf_inet_addr`).
    pub(crate) fn addr(&mut self, kind: u16, v: [u8; 16]) -> &mut Self {
        self.fixed(kind, v)
    }

    /// A NUL-terminated string.
    pub(crate) fn string(&mut self, kind: u16, s: &str) -> &mut Self {
        self.parts(kind, &[s.as_bytes(), &[0]])
    }

    /// A nested attribute whose contents `fill` writes in place. Written
    /// without `NLA_F_NESTED`, as the kernel writes its replies (so
    /// parse-then-emit of a reply is byte-exact); the IPVS family parses
    /// requests leniently and accepts both forms.
    pub(crate) fn nest(&mut self, kind: u16, fill: impl FnOnce(&mut AttrWriter)) -> &mut Self {
        let start = self.buf.len();
        self.buf.extend_from_slice(&0u16.to_ne_bytes()); // the length, patched below
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        fill(self);
        // Nested attributes are 4-byte aligned, so the nest needs no padding.
        let len = self.buf.len() - start;
        self.buf[start..start + 2].copy_from_slice(&(len as u16).to_ne_bytes());
        self
    }

    /// Attributes already encoded, appended as they are.
    pub(crate) fn raw(&mut self, attrs: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(attrs);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_round_trip_with_padding_and_nesting() {
        let mut w = AttrWriter::new();
        w.nest(1, |inner| {
            inner.u8(13, 1).be16(2, 80).string(6, "rr");
        })
        .u32(4, 900);
        let bytes = w.into_bytes();
        // u8 attribute: 5 bytes padded to 8; be16: 6 padded to 8; "rr\0": 7 → 8
        assert_eq!(bytes.len(), 4 + 8 + 8 + 8 + 8);
        let top = attrs(&bytes).unwrap();
        assert_eq!(top[0].kind, 1);
        let flagged = [8u8, 0, 0x01, 0x80, 4, 0, 2, 0];
        assert_eq!(
            attrs(&flagged).unwrap()[0].kind,
            1,
            "NLA_F_NESTED is masked off"
        );
        assert_eq!(top[1].u32().unwrap(), 900);
        let inner = top[0].nested().unwrap();
        assert_eq!(inner[0].u8().unwrap(), 1);
        assert_eq!(inner[1].be16().unwrap(), 80);
        assert_eq!(inner[1].payload, [0, 80]);
        assert_eq!(inner[2].string().unwrap(), "rr");
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(attrs(&[8, 0, 1, 0, 0]).is_err(), "length past the end");
        assert!(attrs(&[2, 0, 1, 0]).is_err(), "length below the header");
        assert!(attrs(&[4, 0, 1, 0, 9]).is_err(), "stray byte");
        assert!(messages(&[1, 2, 3]).is_err());
        assert!(messages(&[100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(genl(&[1]).is_err());
        assert!(error_code(&[0]).is_err());
        let short = Attr {
            kind: 3,
            payload: &[1],
        };
        assert!(short.u32().is_err());
        assert!(Attr {
            kind: 6,
            payload: &[0xff, 0xfe]
        }
        .string()
        .is_err());
    }

    #[test]
    fn request_header_layout() {
        let bytes = request(0x22, NLM_F_REQUEST | NLM_F_ACK, 7, 17, 1, &[]);
        let expected: Vec<u8> = [
            20u32.to_ne_bytes().to_vec(),
            0x22u16.to_ne_bytes().to_vec(),
            5u16.to_ne_bytes().to_vec(),
            7u32.to_ne_bytes().to_vec(),
            0u32.to_ne_bytes().to_vec(),
            vec![17, 1, 0, 0],
        ]
        .concat();
        assert_eq!(bytes, expected);
        let parsed = messages(&bytes).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(
            (parsed[0].kind, parsed[0].flags, parsed[0].seq),
            (0x22, 5, 7)
        );
        assert_eq!(genl(parsed[0].payload).unwrap().cmd, 17);
    }
}
