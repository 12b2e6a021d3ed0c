//! IPVS's `/proc/net/ip_vs` text, read for listings that need of each real
//! server only its forwarding method, weight and connection counts: one
//! walk of the kernel's table gives the real servers of every service of
//! both families, where `getsockopt` sees IPv4 only and netlink needs a
//! request per service, and no per-service lookup walks a hash chain.
//! The text carries no thresholds, persistence templates, tunnel settings
//! or counters; [`Detail`](super::Detail) says when it is enough.

use crate::model::key_hash::KeyMap;
use crate::model::{ForwardMethod, Protocol, RealServer, RealServerEntry, Stats};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How the text names a service. Fwmark services do not show their family,
/// so a v4 and a v6 service of one mark share a name (and are not taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ProcKey {
    /// `TCP  0A000001:0050 ...`
    Addr {
        /// the protocol
        protocol: Protocol,
        /// the virtual address
        addr: IpAddr,
        /// the virtual port
        port: u16,
    },
    /// `FWM  00000007 ...`
    Fwmark(u32),
}

/// The real servers of every service in a whole text, by name (see
/// [`Decoder`]). None when the text is not IPVS's.
#[cfg(any(test, fuzzing))]
pub(crate) fn decode(text: &[u8]) -> Option<KeyMap<ProcKey, Vec<RealServerEntry>>> {
    let mut decoder = Decoder::default();
    decoder.feed(text)?;
    decoder.finish(true)
}

/// The text decoded as it is read, a piece at a time (a listing may read
/// ten megabytes of it, and decoding beside the reading keeps a second
/// CPU busy): in one pass over its bytes, the real servers of every
/// service by name. A name seen twice (two fwmark services of one mark,
/// or a service the walk met twice while the table changed) is left out,
/// and the caller asks netlink.
#[derive(Default)]
pub(crate) struct Decoder {
    /// the lines read so far: all but a last one cut by the read
    lines_read: usize,
    /// the start of a line the last piece cut
    cut: Vec<u8>,
    found: KeyMap<ProcKey, Vec<RealServerEntry>>,
    twice: Vec<ProcKey>,
    current: Option<(ProcKey, Vec<RealServerEntry>)>,
    /// services named so far
    pub(crate) named: usize,
}

impl Decoder {
    /// Decodes the lines `piece` completes; None when the text is not
    /// IPVS's.
    pub(crate) fn feed(&mut self, piece: &[u8]) -> Option<()> {
        let Some(last_newline) = piece.iter().rposition(|&b| b == b'\n') else {
            self.cut.extend_from_slice(piece);
            return Some(());
        };
        let (whole, after) = piece.split_at(last_newline + 1);
        if self.cut.is_empty() {
            self.lines(whole)?;
        } else {
            let mut joined = std::mem::take(&mut self.cut);
            joined.extend_from_slice(whole);
            self.lines(&joined)?;
        }
        self.cut = after.to_vec();
        Some(())
    }

    /// Decodes whole lines.
    fn lines(&mut self, text: &[u8]) -> Option<()> {
        let mut text = Cursor { rest: text };
        // The version line, then two column titles (`Prot
        // LocalAddress:Port ...`, `  -> RemoteAddress:Port ...`).
        while self.lines_read < 3 && !text.rest.is_empty() {
            let line = text.line();
            if self.lines_read == 0 && !line.starts_with(b"IP Virtual Server version ") {
                return None;
            }
            self.lines_read += 1;
        }
        while !text.rest.is_empty() {
            if text.eat(b"  -> ") {
                self.current.as_mut()?.1.push(real_server(&mut text)?);
            } else {
                let named = (service_key(&mut text)?, Vec::new());
                self.named += 1;
                if let Some(done) = self.current.replace(named) {
                    self.keep(done);
                }
            }
        }
        Some(())
    }

    fn keep(&mut self, (key, servers): (ProcKey, Vec<RealServerEntry>)) {
        if self.found.insert(key, servers).is_some() {
            self.twice.push(key);
        }
    }

    /// What was decoded; the last service named is kept only when the
    /// text was read `to_the_end` (else more of its real servers may
    /// follow). None when not even the first line came.
    pub(crate) fn finish(
        mut self,
        to_the_end: bool,
    ) -> Option<KeyMap<ProcKey, Vec<RealServerEntry>>> {
        if self.lines_read == 0 || (to_the_end && !self.cut.is_empty()) {
            return None;
        }
        if let Some(last) = self.current.take().filter(|_| to_the_end) {
            self.keep(last);
        }
        for key in std::mem::take(&mut self.twice) {
            self.found.remove(&key);
        }
        Some(self.found)
    }
}

/// What is left of the text to read.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// Steps over `literal` if the text goes on with it.
    fn eat(&mut self, literal: &[u8]) -> bool {
        match self.rest.strip_prefix(literal) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    /// The next word, after any spaces (empty at the end of a line).
    fn word(&mut self) -> &'a [u8] {
        let start = self.rest.iter().position(|&b| b != b' ');
        let rest = &self.rest[start.unwrap_or(self.rest.len())..];
        let end = rest
            .iter()
            .position(|&b| b == b' ' || b == b'\n')
            .unwrap_or(rest.len());
        self.rest = &rest[end..];
        &rest[..end]
    }

    /// What is left of the line, its newline stepped over.
    fn line(&mut self) -> &'a [u8] {
        let end = self.rest.iter().position(|&b| b == b'\n');
        let line = &self.rest[..end.unwrap_or(self.rest.len())];
        self.rest = &self.rest[end.map_or(self.rest.len(), |at| at + 1)..];
        line
    }
}

/// `TCP  0A000001:0050 wlc ...`, `UDP  [2001:0db8:...]:0035 rr ...`,
/// `FWM  00000007 rr ...`, the rest of the line unread.
fn service_key(text: &mut Cursor<'_>) -> Option<ProcKey> {
    let protocol = text.word();
    let name = text.word();
    text.line();
    let protocol = match protocol {
        b"FWM" => return hex(name).map(ProcKey::Fwmark),
        b"TCP" => Protocol::Tcp,
        b"UDP" => Protocol::Udp,
        b"SCTP" => Protocol::Sctp,
        _ => return None,
    };
    let (addr, port) = address_and_port(name)?;
    Some(ProcKey::Addr {
        protocol,
        addr,
        port,
    })
}

/// `0A010101:1F90      Masq    1      0          0`, after the arrow.
fn real_server(text: &mut Cursor<'_>) -> Option<RealServerEntry> {
    let (addr, port) = address_and_port(text.word())?;
    // The kernel writes `Masq` for every method but these three; stock
    // kernels take no other (forks' extra methods would read as NAT).
    let forward = match text.word() {
        b"Masq" => ForwardMethod::Masquerade,
        b"Local" => ForwardMethod::Local,
        b"Tunnel" => ForwardMethod::Tunnel,
        b"Route" => ForwardMethod::Route,
        _ => return None,
    };
    let weight = i32::try_from(signed(text.word())?).ok()?;
    let active_conns = u32::try_from(signed(text.word())?).ok()?;
    let inactive_conns = u32::try_from(signed(text.word())?).ok()?;
    if !text.line().iter().all(|&b| b == b' ') {
        return None;
    }
    Some(RealServerEntry {
        server: RealServer {
            forward,
            weight,
            ..RealServer::new(addr, port)
        },
        active_conns,
        inactive_conns,
        persist_conns: 0,
        stats: Stats::default(),
    })
}

/// A number in hexadecimal, of at most 32 bits.
fn hex(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    digits.iter().try_fold(0u32, |value, &digit| {
        let nibble = HEX_DIGITS[usize::from(digit)];
        (nibble < 16).then_some(value << 4 | u32::from(nibble))
    })
}

/// The value of every byte as a hex digit, 16 or more where it is none
/// (a table: the text holds 32 digits per IPv6 real server).
const HEX_DIGITS: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut at = 0;
    while at < 256 {
        table[at] = match at as u8 {
            digit @ b'0'..=b'9' => digit - b'0',
            letter @ b'a'..=b'f' => letter - b'a' + 10,
            letter @ b'A'..=b'F' => letter - b'A' + 10,
            _ => 0xff,
        };
        at += 1;
    }
    table
};

/// A decimal number with an optional minus sign, as the kernel's `%d`
/// and `%u` write it.
fn signed(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix(b"-") {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    let value = digits.iter().try_fold(0i64, |value, &digit| {
        Some(value * 10 + i64::from((digit as char).to_digit(10)?))
    })?;
    Some(if negative { -value } else { value })
}

/// `0A000001:0050` (IPv4 in hex, host order) or `[2001:0db8:...]:0050`.
fn address_and_port(word: &[u8]) -> Option<(IpAddr, u16)> {
    let colon = word.iter().rposition(|&b| b == b':')?;
    let (addr, port) = (&word[..colon], &word[colon + 1..]);
    let port = u16::try_from(hex(port)?).ok()?;
    let addr = match addr.strip_prefix(b"[") {
        Some(v6) => IpAddr::V6(ipv6(v6.strip_suffix(b"]")?)?),
        None if addr.len() == 8 => IpAddr::V4(Ipv4Addr::from(hex(addr)?)),
        None => return None,
    };
    Some((addr, port))
}

/// An IPv6 address as the kernel's `%pI6` writes it: eight groups of four
/// hex digits. Any other spelling is read by the standard parser.
fn ipv6(text: &[u8]) -> Option<Ipv6Addr> {
    let mut groups = [0u16; 8];
    let written = text.len() == 39
        && text.chunks(5).zip(&mut groups).all(|(chunk, group)| {
            let ends_well = chunk.len() == 4 || chunk[4] == b':';
            match hex(&chunk[..4]) {
                Some(value) if ends_well => {
                    *group = value as u16;
                    true
                }
                _ => false,
            }
        });
    if written {
        return Some(Ipv6Addr::from(groups));
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// The text, read through the calling thread's own namespace view
/// (`/proc/thread-self/net`, which follows `--netns`), a piece at a time
/// to `take`, for as long as it says. Each piece is what one read gives
/// (the kernel hands over at most one page at a time). False when the
/// text cannot be read.
pub(crate) fn read_pieces(mut take: impl FnMut(&[u8]) -> bool) -> bool {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open("/proc/thread-self/net/ip_vs") else {
        return false;
    };
    let mut piece = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut piece) {
            Ok(0) => return true,
            Ok(read) if take(&piece[..read]) => {}
            Ok(_) => return true,
            Err(_) => return false,
        }
    }
}

/// The text decoded (see [`Decoder`]) for as long as `keep_going` says,
/// which is told after every read how many services it has named so far.
/// None when it cannot be read or is not IPVS's.
pub(crate) fn read_while(
    mut keep_going: impl FnMut(usize) -> bool,
) -> Option<KeyMap<ProcKey, Vec<RealServerEntry>>> {
    let mut decoder = Decoder::default();
    let mut stopped = false;
    let mut valid = true;
    let read = read_pieces(|piece| {
        valid = decoder.feed(piece).is_some();
        stopped = !keep_going(decoder.named);
        valid && !stopped
    });
    (read && valid).then(|| decoder.finish(!stopped)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "IP Virtual Server version 1.2.1 (size=4096)\n\
        Prot LocalAddress:Port Scheduler Flags\n  \
        -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n";

    fn v4(text: &str) -> IpAddr {
        IpAddr::V4(text.parse().unwrap())
    }

    #[test]
    fn services_of_both_families_and_fwmarks_are_read() {
        let text = format!(
            "{HEAD}TCP  0A000001:0050 wlc persistent 300 FFFFFFFF\n  \
             -> 0A010102:1F90      Route   2      0          1         \n  \
             -> 0A010101:1F90      Masq    -1     3          0         \n\
             UDP  [2001:0db8:0000:0000:0000:0000:0000:0001]:0035 rr \n  \
             -> [2001:0db8:0000:0000:0000:0000:0000:0002]:0035      Tunnel  1      0          0         \n\
             FWM  00000007 rr \n\
             SCTP  C0000201:0B59 sh ops \n"
        );
        let table = decode(text.as_bytes()).unwrap();
        assert_eq!(table.len(), 4);
        let tcp = &table[&ProcKey::Addr {
            protocol: Protocol::Tcp,
            addr: v4("10.0.0.1"),
            port: 80,
        }];
        assert_eq!(tcp.len(), 2);
        assert_eq!(tcp[0].server.addr, v4("10.1.1.2"));
        assert_eq!(tcp[0].server.port, 8080);
        assert_eq!(tcp[0].server.forward, ForwardMethod::Route);
        assert_eq!(
            (
                tcp[0].server.weight,
                tcp[0].active_conns,
                tcp[0].inactive_conns
            ),
            (2, 0, 1)
        );
        assert_eq!((tcp[1].server.weight, tcp[1].active_conns), (-1, 3));
        let udp = &table[&ProcKey::Addr {
            protocol: Protocol::Udp,
            addr: "2001:db8::1".parse().unwrap(),
            port: 53,
        }];
        assert_eq!(udp[0].server.forward, ForwardMethod::Tunnel);
        assert_eq!(udp[0].server.addr, "2001:db8::2".parse::<IpAddr>().unwrap());
        assert!(table[&ProcKey::Fwmark(7)].is_empty());
        assert!(table.contains_key(&ProcKey::Addr {
            protocol: Protocol::Sctp,
            addr: v4("192.0.2.1"),
            port: 2905,
        }));
    }

    #[test]
    fn a_name_seen_twice_is_left_to_netlink() {
        // A v4 and a v6 service of mark 7 look alike in the text.
        let text = format!("{HEAD}FWM  00000007 rr \nFWM  00000007 wlc \n  -> 0A010101:0000      Route   1      0          0\nFWM  00000008 rr \n");
        let table = decode(text.as_bytes()).unwrap();
        assert_eq!(table.keys().collect::<Vec<_>>(), [&ProcKey::Fwmark(8)]);
    }

    #[test]
    fn pieces_decode_as_the_whole_and_a_text_stopped_early_loses_its_last_service() {
        let text = format!(
            "{HEAD}TCP  0A000001:0050 rr\n  -> 0A010101:0050 Masq 1 0 0\n\
             TCP  0A000002:0050 rr\n  -> 0A010102:0050 Masq 1 0 0\n"
        );
        let bytes = text.as_bytes();
        let whole = decode(bytes).unwrap();
        assert_eq!(whole.len(), 2);
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            let mut decoder = Decoder::default();
            decoder.feed(a).unwrap();
            decoder.feed(b).unwrap();
            assert_eq!(decoder.named, 2, "cut at {cut}");
            assert_eq!(decoder.finish(true).unwrap(), whole, "cut at {cut}");
        }
        let second = text.find("  -> 0A010102").unwrap();
        let mut decoder = Decoder::default();
        decoder.feed(&bytes[..second]).unwrap();
        assert_eq!(decoder.named, 2);
        let first = ProcKey::Addr {
            protocol: Protocol::Tcp,
            addr: v4("10.0.0.1"),
            port: 80,
        };
        assert_eq!(
            decoder.finish(false).unwrap().keys().collect::<Vec<_>>(),
            [&first]
        );
        // A text that ends inside a line was not read whole.
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
    }

    #[test]
    fn text_that_is_not_ipvs_is_refused() {
        assert!(decode(b"").is_none());
        assert!(decode(b"something else\n").is_none());
        assert!(decode(format!("{HEAD}  -> 0A010101:0050 Masq 1 0 0\n").as_bytes()).is_none());
        assert!(decode(
            format!("{HEAD}TCP  0A000001:0050 rr\n  -> 0A010101:0050 Bounce 1 0 0\n").as_bytes()
        )
        .is_none());
        assert!(decode(format!("{HEAD}ICMP  0A000001:0050 rr\n").as_bytes()).is_none());
        assert_eq!(decode(HEAD.as_bytes()).unwrap().len(), 0);
    }
}
