//! `-L -c`: the connection table, read from /proc/net/ip_vs_conn (there is
//! no netlink command for it) and printed as ipvsadm's `list_conn` does:
//! its `sscanf` field rules, address forms (IPv6 text, dotted IPv4, or the
//! kernel's 8 hex digits), `mm:ss` expiry, and the header/row width mismatch
//! of `--persistent-conn` (18/16 against 16/18), copied on purpose.

use super::names::{addr_port, Resolver};
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
    let digits: String = text.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    IpAddr::V4(Ipv4Addr::from(
        u32::from_str_radix(&digits, 16).unwrap_or(0),
    ))
}

fn proc_port(text: &str) -> u16 {
    let digits: String = text.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    u16::from_str_radix(&digits, 16).unwrap_or(0)
}

/// One line of the proc file (after its header); Ok(None) for a line with
/// too few fields (ipvsadm prints garbage for those; here they are skipped).
pub(crate) fn parse_connection(line: &str) -> Result<Option<Connection>, BlankLine> {
    let f: Vec<&str> = line.split_ascii_whitespace().collect();
    if f.is_empty() {
        return Err(BlankLine);
    }
    if f.len() < 9 {
        return Ok(None);
    }
    let client = proc_addr(f[1]);
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
        pe_name: f.get(9).map(|s| s.to_string()),
        pe_data: f.get(10).map(|s| s.to_string()),
    }))
}

/// Every connection of the proc file; the first line is the kernel's header.
/// Err(None): the file is empty; Err(Some(n)): a blank line after n rows.
pub(crate) fn parse_connections(text: &str) -> (Vec<Connection>, Option<BlankLine>) {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        match parse_connection(line) {
            Ok(Some(c)) => out.push(c),
            Ok(None) => {}
            Err(blank) => return (out, Some(blank)),
        }
    }
    (out, None)
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
pub(crate) fn row(
    c: &Connection,
    persistent_conn: bool,
    numeric: bool,
    names: &dyn Resolver,
) -> String {
    let protocol = protocol_of(&c.protocol);
    let name = |addr: &IpAddr, port| addr_port(addr, port, protocol, numeric, names);
    let (client, virt, dest) = (
        name(&c.client, c.client_port),
        name(&c.virtual_addr, c.virtual_port),
        name(&c.destination, c.destination_port),
    );
    let expire = format!("{:02}:{:02}", c.expires / 60, c.expires % 60);
    match (&c.pe_name, &c.pe_data) {
        (Some(pe_name), Some(pe_data)) if persistent_conn => format!(
            "{:<3} {expire:<6} {:<11} {client:<18} {virt:<18} {dest:<16} {pe_name:<18} {pe_data}\n",
            c.protocol, c.state
        ),
        _ => format!(
            "{:<3} {expire:<6} {:<11} {client:<18} {virt:<18} {dest}\n",
            c.protocol, c.state
        ),
    }
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
    fn a_blank_line_stops_the_listing() {
        let (conns, blank) = parse_connections(
            "header\nTCP C0A80164 D431 0A000002 0050 C0A80114 1F90 ESTABLISHED 1\n\n",
        );
        assert_eq!((conns.len(), blank), (1, Some(BlankLine)));
    }
}
