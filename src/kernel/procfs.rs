//! IPVS's `/proc/net/ip_vs` text, read for listings that need of each real
//! server only its forwarding method, weight and connection counts: one
//! walk of the kernel's table gives the real servers of every service of
//! both families, where `getsockopt` sees IPv4 only and netlink needs a
//! request per service, and no per-service lookup walks a hash chain.
//! The text carries no thresholds, persistence templates, tunnel settings
//! or counters; [`Detail`](super::Detail) says when it is enough.

use crate::model::{ForwardMethod, Protocol, RealServer, RealServerEntry, Stats};
use std::collections::HashMap;
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

/// The real servers of every service in the text, by name; a name seen
/// twice (two fwmark services of one mark, or a service the walk met twice
/// while the table changed) is left out, and the caller asks netlink.
/// None when the text is not IPVS's.
pub(crate) fn decode(text: &str) -> Option<HashMap<ProcKey, Vec<RealServerEntry>>> {
    let mut lines = text.lines();
    if !lines.next()?.starts_with("IP Virtual Server version ") {
        return None;
    }
    let mut found: Vec<(ProcKey, Vec<RealServerEntry>)> = Vec::new();
    // The two column titles (`Prot LocalAddress:Port ...`,
    // `  -> RemoteAddress:Port ...`) are not entries.
    for line in lines.skip(2) {
        if let Some(server) = line.strip_prefix("  -> ") {
            found.last_mut()?.1.push(real_server(server)?);
        } else {
            found.push((service_key(line)?, Vec::new()));
        }
    }
    let mut seen: HashMap<ProcKey, usize> = HashMap::new();
    for (key, _) in &found {
        *seen.entry(*key).or_default() += 1;
    }
    Some(
        found
            .into_iter()
            .filter(|(key, _)| seen[key] == 1)
            .collect(),
    )
}

/// `TCP  0A000001:0050 wlc ...`, `UDP  [2001:0db8:...]:0035 rr ...`,
/// `FWM  00000007 rr ...`.
fn service_key(line: &str) -> Option<ProcKey> {
    let mut words = line.split_whitespace();
    let protocol = match words.next()? {
        "FWM" => {
            return u32::from_str_radix(words.next()?, 16)
                .ok()
                .map(ProcKey::Fwmark)
        }
        "TCP" => Protocol::Tcp,
        "UDP" => Protocol::Udp,
        "SCTP" => Protocol::Sctp,
        _ => return None,
    };
    let (addr, port) = address_and_port(words.next()?)?;
    Some(ProcKey::Addr {
        protocol,
        addr,
        port,
    })
}

/// `0A010101:1F90      Masq    1      0          0`.
fn real_server(text: &str) -> Option<RealServerEntry> {
    let mut words = text.split_whitespace();
    let (addr, port) = address_and_port(words.next()?)?;
    // The kernel writes `Masq` for every method but these three; stock
    // kernels take no other (forks' extra methods would read as NAT).
    let forward = match words.next()? {
        "Masq" => ForwardMethod::Masquerade,
        "Local" => ForwardMethod::Local,
        "Tunnel" => ForwardMethod::Tunnel,
        "Route" => ForwardMethod::Route,
        _ => return None,
    };
    let weight = words.next()?.parse().ok()?;
    let active_conns = words.next()?.parse().ok()?;
    let inactive_conns = words.next()?.parse().ok()?;
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

/// `0A000001:0050` (IPv4 in hex, host order) or `[2001:0db8::1]:0050`.
fn address_and_port(word: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = word.rsplit_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let addr = match addr.strip_prefix('[') {
        Some(v6) => IpAddr::V6(v6.strip_suffix(']')?.parse::<Ipv6Addr>().ok()?),
        None if addr.len() == 8 => IpAddr::V4(Ipv4Addr::from(u32::from_str_radix(addr, 16).ok()?)),
        None => return None,
    };
    Some((addr, port))
}

/// The text, read through the calling thread's own namespace view
/// (`/proc/thread-self/net`, which follows `--netns`), for as long as
/// `keep_going` says, which is told after every read how many services
/// the text has named so far. Stopped early, the text ends before the
/// service it named last, which may be cut. None when it cannot be read.
pub(crate) fn read_while(mut keep_going: impl FnMut(usize) -> bool) -> Option<String> {
    use std::io::Read;
    let mut file = std::fs::File::open("/proc/thread-self/net/ip_vs").ok()?;
    let mut text = Vec::with_capacity(1 << 20);
    let mut chunk = vec![0u8; 64 * 1024];
    // Lines that do not start with a space: the two title lines, then one
    // per service.
    let mut unindented = 0;
    loop {
        let read = file.read(&mut chunk).ok()?;
        if read == 0 {
            break;
        }
        let at_line_start = text.last().is_none_or(|&b| b == b'\n');
        unindented += unindented_lines(&chunk[..read], at_line_start);
        text.extend_from_slice(&chunk[..read]);
        if !keep_going(unindented.saturating_sub(2)) {
            text.truncate(last_unindented_line(&text));
            break;
        }
    }
    String::from_utf8(text).ok()
}

/// How many lines start in `bytes` with something other than a space.
fn unindented_lines(bytes: &[u8], at_line_start: bool) -> usize {
    let first = usize::from(at_line_start && bytes.first().is_some_and(|&b| b != b' '));
    first
        + bytes
            .windows(2)
            .filter(|pair| pair[0] == b'\n' && pair[1] != b' ')
            .count()
}

/// Where the last line that starts with something other than a space
/// begins (the text's length when there is none after the first line).
fn last_unindented_line(text: &[u8]) -> usize {
    text.windows(2)
        .rposition(|pair| pair[0] == b'\n' && pair[1] != b' ')
        .map_or(text.len(), |at| at + 1)
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
        let table = decode(&text).unwrap();
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
        let table = decode(&text).unwrap();
        assert_eq!(table.keys().collect::<Vec<_>>(), [&ProcKey::Fwmark(8)]);
    }

    #[test]
    fn services_are_counted_across_reads_and_a_cut_text_ends_before_its_last() {
        let text = format!(
            "{HEAD}TCP  0A000001:0050 rr\n  -> 0A010101:0050 Masq 1 0 0\nTCP  0A000002:0050 rr\n"
        );
        let bytes = text.as_bytes();
        // The title lines and two services, however the text is split.
        for cut in 1..bytes.len() {
            let (a, b) = bytes.split_at(cut);
            let first = unindented_lines(a, true);
            assert_eq!(
                first + unindented_lines(b, a.last() == Some(&b'\n')),
                4,
                "cut at {cut}"
            );
        }
        let end = last_unindented_line(bytes);
        assert!(text[end..].starts_with("TCP  0A000002"));
        assert_eq!(decode(&text[..end]).unwrap().len(), 1);
    }

    #[test]
    fn text_that_is_not_ipvs_is_refused() {
        assert!(decode("").is_none());
        assert!(decode("something else\n").is_none());
        assert!(decode(&format!("{HEAD}  -> 0A010101:0050 Masq 1 0 0\n")).is_none());
        assert!(decode(&format!(
            "{HEAD}TCP  0A000001:0050 rr\n  -> 0A010101:0050 Bounce 1 0 0\n"
        ))
        .is_none());
        assert!(decode(&format!("{HEAD}ICMP  0A000001:0050 rr\n")).is_none());
        assert_eq!(decode(HEAD).unwrap().len(), 0);
    }
}
