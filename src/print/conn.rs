//! `-L -c`: the connection table, read from /proc/net/ip_vs_conn (there is
//! no netlink command for it) and printed as ipvsadm's `list_conn` does:
//! its `sscanf` field rules, address forms (IPv6 text, dotted IPv4, or the
//! kernel's 8 hex digits), `mm:ss` expiry, and the header/row width mismatch
//! of `--persistent-conn` (18/16 against 16/18), copied on purpose.

use super::names::{write_addr_port, Resolver};
use super::text;
use crate::model::{Connection, Protocol};
use crate::sys;
use std::net::{IpAddr, Ipv4Addr};

/// A line ipvsadm cannot read (`sscanf` found nothing): it exits 1 silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlankLine;

/// ipvsadm's address reading: IPv6 text, else dotted IPv4, else hex
/// (`strtoul(s, NULL, 16)`, garbage read as 0).
fn proc_addr(text: &str) -> IpAddr {
    if let Some(v6) = sys::parse_inet_pton6(text) {
        return IpAddr::V6(v6);
    }
    if let Some(v4) = sys::parse_inet_pton4(text) {
        return IpAddr::V4(v4);
    }
    IpAddr::V4(Ipv4Addr::from(hex_prefix(text, u32::MAX.into()) as u32))
}

fn proc_port(text: &str) -> u16 {
    hex_prefix(text, u16::MAX.into()) as u16
}

/// The hex digits `text` starts with, as a number: 0 when there are none
/// or they make more than `max`.
fn hex_prefix(text: &str, max: u64) -> u64 {
    let mut value: u64 = 0;
    for digit in text.chars().map_while(|c| c.to_digit(16)) {
        value = value * 16 + u64::from(digit);
        if value > max {
            return 0;
        }
    }
    value
}

/// One line of the proc file (after its header); Ok(None) for a line with
/// too few fields (ipvsadm prints garbage for those; here they are skipped).
pub(crate) fn parse_connection(line: &str) -> Result<Option<Connection>, BlankLine> {
    // sscanf reads 11 fields at most.
    let mut f = [""; 11];
    let mut count = 0;
    for (slot, field) in f.iter_mut().zip(line.split_ascii_whitespace()) {
        *slot = field;
        count += 1;
    }
    if count == 0 {
        return Err(BlankLine);
    }
    if count < 9 {
        return Ok(None);
    }
    let client = proc_addr(f[1]);
    let optional = |at: usize| (count > at).then(|| f[at].to_string());
    // The virtual address has the client's family in ipvsadm; the kernel
    // prints both the same way, so reading it on its own is equivalent.
    Ok(Some(Connection {
        protocol: f[0].to_string(),
        client,
        client_port: proc_port(f[2]),
        virtual_addr: proc_addr(f[3]),
        virtual_port: proc_port(f[4]),
        destination: proc_addr(f[5]),
        destination_port: proc_port(f[6]),
        state: f[7].to_string(),
        expires: f[8].parse::<i64>().unwrap_or(0) as u32,
        pe_name: optional(9),
        pe_data: optional(10),
    }))
}

/// Every connection of the proc file; the first line is the kernel's header.
/// With the connections, the blank line that stopped them, if one did.
#[cfg(any(test, fuzzing))]
pub(crate) fn parse_connections(text: &str) -> (Vec<Connection>, Option<BlankLine>) {
    let (connections, ended) = parse_connections_in_pieces(text.as_bytes(), text.len());
    (connections, ended.unwrap_or(None))
}

/// What [`ConnectionLines`] reads of `bytes` fed `piece` bytes at a time.
#[cfg(any(test, fuzzing))]
pub(crate) fn parse_connections_in_pieces(
    bytes: &[u8],
    piece: usize,
) -> (Vec<Connection>, Result<Option<BlankLine>, NotText>) {
    let mut out = Vec::new();
    let mut lines = ConnectionLines::default();
    for piece in bytes.chunks(piece.max(1)) {
        if !lines.feed(piece, &mut |c| out.push(c)) {
            break;
        }
    }
    let ended = lines.finish(&mut |c| out.push(c));
    (out, ended)
}

/// A line of the proc file that is not text (ipvsadm reads bytes; the
/// text is read as UTF-8 here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotText;

/// The proc file's connections read as its text comes in, a piece at a
/// time: the lines `str::lines` would give of the whole text, the header
/// passed over, up to the first blank line.
#[derive(Debug, Default)]
pub(crate) struct ConnectionLines {
    /// The start of a line whose end has not come yet.
    partial: Vec<u8>,
    header_passed: bool,
    ended: Option<Result<BlankLine, NotText>>,
}

impl ConnectionLines {
    /// Reads the lines `piece` completes, handing each connection to
    /// `each`: false once a blank line (or one that is not text) has
    /// ended the listing.
    pub(crate) fn feed(&mut self, piece: &[u8], each: &mut dyn FnMut(Connection)) -> bool {
        let mut rest = piece;
        while self.ended.is_none() {
            let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                self.partial.extend_from_slice(rest);
                break;
            };
            if self.partial.is_empty() {
                self.read_line(&rest[..end], each);
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&rest[..end]);
                self.read_line(&line, each);
            }
            rest = &rest[end + 1..];
        }
        self.ended.is_none()
    }

    /// Reads a last line that had no end: the blank line that ended the
    /// listing, if one did.
    pub(crate) fn finish(
        mut self,
        each: &mut dyn FnMut(Connection),
    ) -> Result<Option<BlankLine>, NotText> {
        if self.ended.is_none() && !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.read_line(&line, each);
        }
        self.ended.transpose()
    }

    fn read_line(&mut self, line: &[u8], each: &mut dyn FnMut(Connection)) {
        // `str::lines` takes a carriage return before the end with it.
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(line) = std::str::from_utf8(line) else {
            self.ended = Some(Err(NotText));
            return;
        };
        if !std::mem::replace(&mut self.header_passed, true) {
            return;
        }
        match parse_connection(line) {
            Ok(Some(c)) => each(c),
            Ok(None) => {}
            Err(blank) => self.ended = Some(Ok(blank)),
        }
    }
}

fn protocol_of(name: &str) -> Option<Protocol> {
    match name {
        "TCP" => Some(Protocol::Tcp),
        "UDP" => Some(Protocol::Udp),
        "SCTP" => Some(Protocol::Sctp),
        _ => None,
    }
}

/// The header lines of `-L -c`.
pub(crate) fn header(persistent_conn: bool) -> String {
    let mut out = String::from("IPVS connection entries\n");
    if persistent_conn {
        out.push_str(&format!(
            "pro expire {:<11} {:<18} {:<18} {:<18} {:<16} {}\n",
            "state", "source", "virtual", "destination", "pe name", "pe_data"
        ));
    } else {
        out.push_str(&format!(
            "pro expire {:<11} {:<18} {:<18} {}\n",
            "state", "source", "virtual", "destination"
        ));
    }
    out
}

/// One row of `-L -c`.
#[cfg(any(test, fuzzing))]
pub(crate) fn row(
    c: &Connection,
    persistent_conn: bool,
    numeric: bool,
    names: &dyn Resolver,
) -> String {
    let mut out = String::new();
    write_row(&mut out, c, (persistent_conn, numeric), names);
    out
}

/// [`row`] appended to `out` (a listing of many thousands of connections
/// is made into one buffer, without `core::fmt`): `%-Ns` pads by bytes.
pub(crate) fn write_row(
    out: &mut String,
    c: &Connection,
    (persistent_conn, numeric): (bool, bool),
    names: &dyn Resolver,
) {
    let protocol = protocol_of(&c.protocol);
    let mut name = String::with_capacity(24);
    let mut push_name = |out: &mut String, addr: &IpAddr, port: u16, width: usize| {
        write_addr_port(&mut name, addr, port, protocol, numeric, names);
        text::push_left(out, &name, width);
    };
    text::push_left(out, &c.protocol, 3);
    out.push(' ');
    // "%02d:%02d", minutes unbounded, then "%-6s"
    let start = out.len();
    let (minutes, seconds) = (c.expires / 60, c.expires % 60);
    push_two_digits(out, minutes);
    out.push(':');
    push_two_digits(out, seconds);
    text::pad_from(out, start, 6);
    out.push(' ');
    text::push_left(out, &c.state, 11);
    out.push(' ');
    push_name(out, &c.client, c.client_port, 18);
    out.push(' ');
    push_name(out, &c.virtual_addr, c.virtual_port, 18);
    out.push(' ');
    match (&c.pe_name, &c.pe_data) {
        (Some(pe_name), Some(pe_data)) if persistent_conn => {
            push_name(out, &c.destination, c.destination_port, 16);
            out.push(' ');
            text::push_left(out, pe_name, 18);
            out.push(' ');
            out.push_str(pe_data);
        }
        _ => push_name(out, &c.destination, c.destination_port, 0),
    }
    out.push('\n');
}

/// `%02u`
fn push_two_digits(out: &mut String, v: u32) {
    if v < 10 {
        out.push('0');
    }
    text::push_unsigned(out, v.into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::names::NoNames;

    const PROC: &str = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n\
TCP C0A80164 D431 0A000002 0050 C0A80114 1F90 ESTABLISHED     899\n\
UDP 2001:0db8:0000:0000:0000:0000:0000:0064 0035 2001:0db8:0000:0000:0000:0000:0000:0001 0035 2001:0db8:0000:0000:0000:0000:0000:0010 0035 UDP             299\n\
IP  C0A80164 0000 0A000002 0000 C0A80114 0000 NONE           3661\n\
UDP C0A80164 13C4 0A000001 13C4 C0A80105 13C4 UDP              59 sip 3c6d7940\n";

    #[test]
    fn rows_as_ipvsadm_prints_them() {
        let (conns, blank) = parse_connections(PROC);
        assert_eq!(blank, None);
        assert_eq!(conns.len(), 4);
        let text: String = conns
            .iter()
            .map(|c| row(c, false, true, &NoNames))
            .collect();
        assert_eq!(
            text,
            "TCP 14:59  ESTABLISHED 192.168.1.100:54321 10.0.0.2:80        192.168.1.20:8080\n\
UDP 04:59  UDP         [2001:db8::64]:53  [2001:db8::1]:53   [2001:db8::10]:53\n\
IP  61:01  NONE        192.168.1.100:0    10.0.0.2:0         192.168.1.20:0\n\
UDP 00:59  UDP         192.168.1.100:5060 10.0.0.1:5060      192.168.1.5:5060\n"
        );
        assert_eq!(
            row(&conns[3], true, true, &NoNames),
            "UDP 00:59  UDP         192.168.1.100:5060 10.0.0.1:5060      192.168.1.5:5060 sip                3c6d7940\n"
        );
        assert_eq!(
            header(true),
            "IPVS connection entries\npro expire state       source             virtual            destination        pe name          pe_data\n"
        );
    }

    #[test]
    fn pieces_of_any_size_read_as_the_whole_text() {
        let text = format!(
            "{PROC}\r\nTCP C0A80164 D431 0A000002 0050 C0A80114 1F90 CLOSE 1\n\nTCP after the end"
        );
        let whole = parse_connections_in_pieces(text.as_bytes(), text.len());
        // What reading the whole text's `str::lines` gives.
        let mut by_lines = Vec::new();
        for line in text.lines().skip(1) {
            match parse_connection(line) {
                Ok(c) => by_lines.extend(c),
                Err(_) => break,
            }
        }
        assert_eq!(whole.0, by_lines);
        assert_eq!(whole.1, Ok(Some(BlankLine)));
        for size in 1..40 {
            assert_eq!(
                parse_connections_in_pieces(text.as_bytes(), size),
                whole,
                "pieces of {size}"
            );
        }
        let unended = "header\nUDP C0A80164 13C4 0A000001 13C4 C0A80105 13C4 UDP 59";
        assert_eq!(
            parse_connections_in_pieces(unended.as_bytes(), 5).0.len(),
            1
        );
        let not_text = b"header\nTCP \xff\n";
        assert_eq!(parse_connections_in_pieces(not_text, 3).1, Err(NotText));
    }

    #[test]
    fn long_expiry_and_odd_fields_read_as_ipvsadm_reads_them() {
        // 100 minutes: "%02d:%02d" is wider than "%-6s" pads to.
        let line = "TCP 1C0A80164 10000 zz 0050 C0A80114 1F90 CLOSE 6001";
        let c = parse_connection(line).unwrap().unwrap();
        // More hex digits than the field holds read as 0, garbage as 0.
        assert_eq!(c.client, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!((c.client_port, c.virtual_port), (0, 0x50));
        assert_eq!(c.virtual_addr, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(
            row(&c, false, true, &NoNames),
            "TCP 100:01 CLOSE       0.0.0.0:0          0.0.0.0:80         192.168.1.20:8080\n"
        );
        assert_eq!(hex_prefix("00000000A", u32::MAX.into()), 10);
        assert_eq!(hex_prefix("FFFFFFFF0", u32::MAX.into()), 0);
    }

    #[test]
    fn a_blank_line_stops_the_listing() {
        let (conns, blank) = parse_connections(
            "header\nTCP C0A80164 D431 0A000002 0050 C0A80114 1F90 ESTABLISHED 1\n\n",
        );
        assert_eq!((conns.len(), blank), (1, Some(BlankLine)));
    }
}
