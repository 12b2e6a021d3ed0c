//! A pure parser of `/proc/net/ip_vs`, the kernel's text view of the table:
//! one read returns every real server, where netlink needs one dump per
//! service. It carries only part of what netlink does (see [`ProcDest`]).

use crate::model::ForwardMethod;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a service line identifies. The file does not say which family a
/// firewall-mark service belongs to, so only the mark is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcKey {
    Addr {
        /// the kernel's protocol name: TCP, UDP, SCTP
        protocol_name: [u8; 4],
        addr: IpAddr,
        port: u16,
    },
    Fwmark(u32),
}

/// A service line: its key, scheduler and whether it is persistent (the
/// timeout is in jiffies and sched flags and PE are absent: netlink has them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcService {
    pub key: ProcKey,
    pub scheduler: String,
    pub persistent: bool,
    pub dests: Vec<ProcDest>,
}

/// A real-server line. Thresholds, tunnel settings, persistent-connection
/// counts and counters are not in the file. Forwarding methods above
/// `Route` are printed as `Masq` by the kernel, so they read back as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcDest {
    pub addr: IpAddr,
    pub port: u16,
    pub forward: ForwardMethod,
    pub weight: i32,
    pub active_conns: u32,
    pub inactive_conns: u32,
}

/// The three header lines the kernel writes before the table.
const HEADER_LINES: usize = 3;

/// Every service of the file in its order (the kernel's hash-table order,
/// the same as the netlink service dump), or `None` when a line is not in
/// the layout this parser knows (a different kernel): the caller then uses
/// netlink alone.
pub fn parse(text: &str) -> Option<Vec<ProcService>> {
    let mut lines = text.lines();
    if !lines.next()?.starts_with("IP Virtual Server version ") {
        return None;
    }
    let mut services: Vec<ProcService> = Vec::new();
    for line in lines.skip(HEADER_LINES - 1) {
        if let Some(rest) = line.strip_prefix("  -> ") {
            services.last_mut()?.dests.push(parse_dest(rest)?);
        } else {
            services.push(parse_service(line)?);
        }
    }
    Some(services)
}

/// `TCP  0A000001:0050 wlc ops persistent 75000 FFFFFF00`,
/// `TCP  [2001:0db8:…:0001]:01BB mh persistent 2500 80000000`,
/// `FWM  00000011 rr persistent 90000 FFFFFFFF`.
fn parse_service(line: &str) -> Option<ProcService> {
    let mut words = line.split_ascii_whitespace();
    let protocol = words.next()?;
    let where_ = words.next()?;
    let key = if protocol == "FWM" {
        ProcKey::Fwmark(u32::from_str_radix(where_, 16).ok()?)
    } else {
        let bytes = protocol.as_bytes();
        if bytes.len() > 4 {
            return None;
        }
        let mut protocol_name = [0u8; 4];
        protocol_name[..bytes.len()].copy_from_slice(bytes);
        let (addr, port) = parse_addr_port(where_)?;
        ProcKey::Addr {
            protocol_name,
            addr,
            port,
        }
    };
    let scheduler = words.next()?.to_string();
    let persistent = words.any(|w| w == "persistent");
    Some(ProcService {
        key,
        scheduler,
        persistent,
        dests: Vec::new(),
    })
}

/// `C0A80101:1F90      Masq    3      0          0`
fn parse_dest(rest: &str) -> Option<ProcDest> {
    let mut words = rest.split_ascii_whitespace();
    let (addr, port) = parse_addr_port(words.next()?)?;
    let forward = match words.next()? {
        "Masq" => ForwardMethod::Masquerade,
        "Local" => ForwardMethod::Local,
        "Tunnel" => ForwardMethod::Tunnel,
        "Route" => ForwardMethod::Route,
        _ => return None,
    };
    let weight = words.next()?.parse().ok()?;
    // The kernel prints these atomics with %d.
    let active_conns = words.next()?.parse::<i32>().ok()? as u32;
    let inactive_conns = words.next()?.parse::<i32>().ok()? as u32;
    Some(ProcDest {
        addr,
        port,
        forward,
        weight,
        active_conns,
        inactive_conns,
    })
}

/// `0A000001:0050` (IPv4, host-order hex) or `[2001:0db8:…]:01BB`.
fn parse_addr_port(word: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = word.rsplit_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let addr = match addr.strip_prefix('[') {
        Some(v6) => IpAddr::V6(v6.strip_suffix(']')?.parse::<Ipv6Addr>().ok()?),
        None if addr.len() == 8 => IpAddr::V4(Ipv4Addr::from(u32::from_str_radix(addr, 16).ok()?)),
        None => return None,
    };
    Some((addr, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from the test VM's kernel (6.1) after ipvsadm added these
    /// services; the trailing blanks are the kernel's.
    const SAMPLE: &str = "IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
UDP  0A000002:0035 sh ops  persistent 75000 FFFFFF00
  -> C0A80101:0035      Masq    1      0          0         
TCP  0A000004:0000 none  persistent 90000 FFFFFFFF
TCP  [2001:0db8:0000:0000:0000:0000:0000:0001]:01BB mh persistent 2500 80000000
  -> C0A80707:01BB      Tunnel  1      0          0         
  -> [2001:0db8:0000:0000:0000:0000:0000:0002]:01BB      Masq    1      0          0         
TCP  0A000001:0050 wlc  
  -> C0A80103:0050      Route   0      7          2         
  -> C0A80101:1F90      Masq    -3     0          0         
SCTP  0A000003:005A lc  
FWM  00000011 rr persistent 90000 FFFFFFFF
  -> C0A80109:0000      Local   1      0          0         
";

    #[test]
    fn reads_every_line_kind() {
        let services = parse(SAMPLE).expect("parses");
        assert_eq!(services.len(), 6);
        let udp = &services[0];
        assert_eq!(
            udp.key,
            ProcKey::Addr {
                protocol_name: *b"UDP\0",
                addr: "10.0.0.2".parse().unwrap(),
                port: 53
            }
        );
        assert_eq!((udp.scheduler.as_str(), udp.persistent), ("sh", true));
        let v6 = &services[2];
        assert_eq!(v6.dests.len(), 2);
        assert_eq!(v6.dests[0].addr, "192.168.7.7".parse::<IpAddr>().unwrap());
        assert_eq!(v6.dests[0].forward, ForwardMethod::Tunnel);
        assert_eq!(v6.dests[1].addr, "2001:db8::2".parse::<IpAddr>().unwrap());
        assert_eq!(v6.dests[1].port, 443);
        let tcp = &services[3];
        assert!(!tcp.persistent);
        assert_eq!(tcp.dests[0].active_conns, 7);
        assert_eq!(tcp.dests[0].inactive_conns, 2);
        assert_eq!(tcp.dests[1].weight, -3);
        assert_eq!(tcp.dests[1].port, 8080);
        assert_eq!(
            services[4].key,
            ProcKey::Addr {
                protocol_name: *b"SCTP",
                addr: "10.0.0.3".parse().unwrap(),
                port: 90
            }
        );
        assert_eq!(services[5].key, ProcKey::Fwmark(17));
        assert_eq!(services[5].dests[0].forward, ForwardMethod::Local);
    }

    #[test]
    fn unknown_layouts_are_refused_not_guessed() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("something else\n"), None);
        let header = SAMPLE.lines().take(3).collect::<Vec<_>>().join("\n") + "\n";
        assert_eq!(parse(&header), Some(vec![]));
        for bad in [
            "  -> C0A80101:0035      Masq    1      0          0\n", // dest before any service
            "TCP  0A0000:0050 wlc\n",
            "TCP  0A000001:0050\n",
            "TCP  0A000001:0050 wlc\n  -> C0A80101:0035      Bypass  1      0          0\n",
            "TCP  0A000001:0050 wlc\n  -> C0A80101:0035      Masq    x      0          0\n",
            "TCP  [2001:db8::zz]:0050 wlc\n",
            "ICMPV6  0A000001:0050 wlc\n",
            // past the kernel's %d: not the layout this parser knows
            "TCP  0A000001:0050 wlc\n  -> C0A80101:0035      Masq    1      0          2147483648\n",
        ] {
            assert_eq!(parse(&(header.clone() + bad)), None, "{bad}");
        }
    }
}
