//! `host[:port]` and netmask arguments, read exactly as ipvsadm's
//! `parse_service` and `parse_netmask` read them, quirks included: all-digit
//! words are refused, a bracketed IPv4 loses its port, unbracketed IPv6 takes
//! no port, names go through the system resolver and services database.

use super::values::string_to_number;
use crate::model::Protocol;
use crate::sys;
use std::net::{IpAddr, Ipv4Addr};

/// A parsed `host[:port]`; `port` is None when no port was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HostPort {
    pub(crate) addr: IpAddr,
    pub(crate) port: Option<u16>,
}

/// ipvsadm's `parse_service`. `protocol` is the protocol of the service as
/// parsed so far: port names resolve only for TCP, UDP and SCTP.
pub(crate) fn parse_host_port(buf: &str, protocol: Option<Protocol>) -> Option<HostPort> {
    plain_ipv4_host_port(buf).or_else(|| any_host_port(buf, protocol))
}

/// The form of nearly every address in a saved table, `a.b.c.d` or
/// `a.b.c.d:port` in plain decimal, read in one pass; None for anything
/// else, which [`any_host_port`] reads (to the same result when this one
/// reads it: a test holds them to that).
fn plain_ipv4_host_port(buf: &str) -> Option<HostPort> {
    let (addr, end) = sys::plain_dotted_quad_prefix(buf.as_bytes())?;
    let port = match buf.as_bytes().get(end) {
        None => None,
        Some(b':') => {
            let digits = &buf.as_bytes()[end + 1..];
            if !(1..=5).contains(&digits.len()) || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let value = digits
                .iter()
                .fold(0u32, |v, b| v * 10 + u32::from(b - b'0'));
            Some(u16::try_from(value).ok()?)
        }
        Some(_) => return None,
    };
    Some(HostPort {
        addr: IpAddr::V4(addr),
        port,
    })
}

/// ipvsadm's `parse_service` for every form.
fn any_host_port(buf: &str, protocol: Option<Protocol>) -> Option<HostPort> {
    let (host, bracket_port) = match buf.strip_prefix('[') {
        Some(inner) => {
            let close = inner.find(']')?;
            let port = inner[close + 1..].strip_prefix(':')?;
            (&inner[..close], Some(port))
        }
        None => (buf, None),
    };
    // One pass over the host part for what the steps below ask (restores
    // read two addresses on most of their lines).
    let (mut all_digits, mut first_colon, mut last_colon, mut first_dot) = (true, None, None, None);
    for (i, byte) in host.bytes().enumerate() {
        match byte {
            b'0'..=b'9' => continue,
            b':' => {
                first_colon.get_or_insert(i);
                last_colon = Some(i);
            }
            b'.' => {
                first_dot.get_or_insert(i);
            }
            _ => {}
        }
        all_digits = false;
    }
    // str_is_digit(): an all-digit word (the empty word included) is refused.
    if all_digits && bracket_port.is_none() {
        return None;
    }
    // Every IPv6 text has a colon, and a dot only in an embedded IPv4 tail
    // after one: `10.0.0.1:80` is not worth asking inet_pton.
    let maybe_v6 = match (first_colon, first_dot) {
        (None, _) => false,
        (Some(colon), Some(dot)) => colon < dot,
        (Some(_), None) => true,
    };
    let (addr, port_text) = match maybe_v6.then(|| sys::parse_inet_pton6(host)).flatten() {
        Some(v6) => (IpAddr::V6(v6), bracket_port),
        None => {
            // The port of a non-IPv6 word is after its last ':'; a port after
            // brackets around an IPv4 address is forgotten (C reassigns portp).
            let (host, port) = match last_colon {
                Some(i) => (&host[..i], Some(&host[i + 1..])),
                None => (host, None),
            };
            let v4 = sys::parse_inet_aton(host).or_else(|| sys::resolve_host_v4(host))?;
            (IpAddr::V4(v4), port)
        }
    };
    let port = match port_text {
        None => None,
        Some(text) => Some(parse_port(text, protocol)?),
    };
    Some(HostPort { addr, port })
}

fn parse_port(text: &str, protocol: Option<Protocol>) -> Option<u16> {
    if let Some(n) = string_to_number(text, 0, 65535) {
        return u16::try_from(n).ok();
    }
    sys::service_port(text, protocol?.db_name())
}

/// ipvsadm's `parse_netmask` for IPv4 services: `inet_aton` forms (so `24`
/// means 0.0.0.24), else a host name (!).
pub(crate) fn parse_ipv4_netmask(buf: &str) -> Option<Ipv4Addr> {
    sys::parse_inet_aton(buf).or_else(|| sys::resolve_host_v4(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(addr: &str, port: Option<u16>) -> Option<HostPort> {
        Some(HostPort {
            addr: addr.parse().unwrap(),
            port,
        })
    }

    #[test]
    fn host_and_port_forms() {
        let (tcp, udp) = (Some(Protocol::Tcp), Some(Protocol::Udp));
        for (text, protocol, expected) in [
            ("1.2.3.4:80", tcp, hp("1.2.3.4", Some(80))),
            ("1.2.3.4", tcp, hp("1.2.3.4", None)),
            ("10.1:0080", tcp, hp("10.0.0.1", Some(80))),
            ("1.2.3.4:http", tcp, hp("1.2.3.4", Some(80))),
            ("1.2.3.4:+80", tcp, hp("1.2.3.4", Some(80))),
            ("[1.2.3.4]:80", tcp, hp("1.2.3.4", None)),
            ("[2001:db8::1]:53", udp, hp("2001:db8::1", Some(53))),
            ("2001:db8::1:80", udp, hp("2001:db8::1:80", None)),
            ("[::1]", udp, None),
            ("[::1]:", udp, None),
            ("[::1", udp, None),
            ("80", tcp, None),
            ("", tcp, None),
            ("1.2.3.4:", tcp, None),
            ("1.2.3.4:65536", tcp, None),
            ("1.2.3.4:http-alt", udp, None),
            // no protocol yet (-r before -t): names never resolve
            ("1.2.3.4:http", None, None),
            ("1.2.3.4:80", None, hp("1.2.3.4", Some(80))),
        ] {
            assert_eq!(parse_host_port(text, protocol), expected, "{text}");
        }
    }

    #[test]
    fn the_plain_ipv4_form_reads_as_every_form_does() {
        let tcp = Some(Protocol::Tcp);
        let mut read_plainly = 0;
        let parts = ["0", "1", "09", "10", "255", "256", "1000", "", "x"];
        let ports = [
            "", ":", ":0", ":80", ":0080", ":65535", ":65536", ":123456", ":+1", ":8x", "x", ".5",
            "0",
        ];
        for a in parts {
            for b in parts {
                for port in ports {
                    for text in [format!("{a}.{b}.3.4{port}"), format!("1.2.{a}.{b}{port}")] {
                        // (Texts the plain form refuses may go to the
                        // resolver: not here.)
                        let plain = plain_ipv4_host_port(&text);
                        if plain.is_some() {
                            read_plainly += 1;
                            assert_eq!(plain, any_host_port(&text, tcp), "{text}");
                        }
                    }
                }
            }
        }
        assert!(read_plainly > 100);
    }

    #[test]
    fn netmasks() {
        assert_eq!(
            parse_ipv4_netmask("255.255.255.0"),
            Some(Ipv4Addr::new(255, 255, 255, 0))
        );
        assert_eq!(parse_ipv4_netmask("24"), Some(Ipv4Addr::new(0, 0, 0, 24)));
        assert_eq!(parse_ipv4_netmask("1.2.3.4.5"), None);
    }
}
