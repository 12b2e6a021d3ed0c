//! The records `--json` holds by the hundred thousand, written by hand: a
//! real server with its counters, and every service's counters. Through
//! serde each field costs a round of calls for its name and its value;
//! here the names are literals and each value one small write (the README's
//! Speed section has the difference). The model's derives stay what
//! defines the document: everything else of a service goes through them,
//! and the tests compare these writers with serde_json's output of the
//! same values.

use super::json_bytes::{self, Error};
use super::text;
use crate::model::{
    OrphanReason, RealServer, RealServerEntry, ServiceEntry, ServiceParts, Stats, Tunnel,
    TunnelFlags,
};
use std::net::IpAddr;

/// `services` as a JSON array, the bytes serde_json writes for it.
pub(crate) fn services(out: &mut Vec<u8>, services: &[ServiceEntry]) -> Result<(), Error> {
    array(out, services, service)
}

/// `items` as a JSON array, each written by `write`.
fn array<T>(
    out: &mut Vec<u8>,
    items: &[T],
    write: fn(&mut Vec<u8>, &T) -> Result<(), Error>,
) -> Result<(), Error> {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(out, item)?;
    }
    out.push(b']');
    Ok(())
}

/// A service: its settings through serde (one object per service),
/// flattened into the entry's object as the model's `ServiceEntryJson`
/// does, then its counters, its real servers and why it is an orphan.
fn service(out: &mut Vec<u8>, entry: &ServiceEntry) -> Result<(), Error> {
    let ServiceEntry {
        service,
        stats,
        real_servers,
    } = entry;
    service_of_parts(out, (service, stats, real_servers), real_servers.iter())
}

/// [`service`] of a service borrowed whole, its real servers written in
/// the order `listed` gives.
pub(crate) fn service_of_parts<'a>(
    out: &mut Vec<u8>,
    (settings, counters, real_servers): ServiceParts<'a>,
    listed: impl Iterator<Item = &'a RealServerEntry>,
) -> Result<(), Error> {
    json_bytes::append(out, settings)?;
    // Reopen the settings' object to add the entry's own members.
    if out.pop() != Some(b'}') {
        return Err(Error::new("a service's settings are not a JSON object"));
    }
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    out.extend_from_slice(b"\"stats\":");
    stats(out, counters);
    out.extend_from_slice(b",\"real_servers\":[");
    for (i, server) in listed.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        real_server(out, server)?;
    }
    out.push(b']');
    if let Some(reason) = OrphanReason::of(real_servers) {
        out.extend_from_slice(b",\"orphan\":");
        json_bytes::string(out, reason.name())?;
    }
    out.push(b'}');
    Ok(())
}

/// A real server: its settings flattened, its connection counts, its
/// counters. Every struct is taken apart whole, so a field added to the
/// model fails the build here until it is written.
fn real_server(out: &mut Vec<u8>, entry: &RealServerEntry) -> Result<(), Error> {
    let RealServerEntry {
        server,
        active_conns,
        inactive_conns,
        persist_conns,
        stats: counters,
    } = entry;
    let RealServer {
        addr: address,
        port,
        forward,
        weight,
        u_threshold,
        l_threshold,
        tunnel,
    } = server;
    let Tunnel {
        kind,
        port: tunnel_port,
        flags: TunnelFlags(flags),
    } = tunnel;
    out.extend_from_slice(b"{\"addr\":");
    addr(out, address);
    member(out, b",\"port\":", u64::from(*port));
    out.extend_from_slice(b",\"forward\":");
    json_bytes::append(out, forward)?;
    out.extend_from_slice(b",\"weight\":");
    text::push_signed(out, i64::from(*weight));
    member(out, b",\"u_threshold\":", u64::from(*u_threshold));
    member(out, b",\"l_threshold\":", u64::from(*l_threshold));
    out.extend_from_slice(b",\"tunnel\":{\"kind\":");
    json_bytes::append(out, kind)?;
    member(out, b",\"port\":", u64::from(*tunnel_port));
    member(out, b",\"flags\":", u64::from(*flags));
    member(out, b"},\"active_conns\":", u64::from(*active_conns));
    member(out, b",\"inactive_conns\":", u64::from(*inactive_conns));
    member(out, b",\"persist_conns\":", u64::from(*persist_conns));
    out.extend_from_slice(b",\"stats\":");
    stats(out, counters);
    out.push(b'}');
    Ok(())
}

/// `name` (the separator, the quoted name and the colon) and a number.
fn member(out: &mut Vec<u8>, name: &[u8], value: u64) {
    out.extend_from_slice(name);
    text::push_unsigned(out, value);
}

/// An address as serde writes it: Rust's `Display` text, quoted.
fn addr(out: &mut Vec<u8>, addr: &IpAddr) {
    out.push(b'"');
    match addr {
        IpAddr::V4(v4) => text::push_ipv4(out, *v4),
        IpAddr::V6(v6) => text::push_ipv6_as_rust_displays(out, *v6),
    }
    out.push(b'"');
}

/// The names of [`Stats::values`], in its order, each with what comes
/// before it.
const STATS_NAMES: [&[u8]; 10] = [
    b"{\"conns\":",
    b",\"inpkts\":",
    b",\"outpkts\":",
    b",\"inbytes\":",
    b",\"outbytes\":",
    b",\"cps\":",
    b",\"inpps\":",
    b",\"outpps\":",
    b",\"inbps\":",
    b",\"outbps\":",
];

fn stats(out: &mut Vec<u8>, stats: &Stats) {
    let values: [u64; 10] = stats.values();
    for (name, value) in STATS_NAMES.into_iter().zip(values) {
        member(out, name, value);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Family, Protocol};
    use crate::model::{
        ForwardMethod, Netmask, RealServer, Service, ServiceFlags, ServiceKey, Tunnel, TunnelFlags,
        TunnelType,
    };

    fn edge_stats(seed: u64) -> Stats {
        Stats {
            conns: seed,
            inpkts: u64::MAX,
            outpkts: 0,
            inbytes: 1 << 40,
            outbytes: 99_999,
            cps: 100_000,
            inpps: 9,
            outpps: 10,
            inbps: u64::from(u32::MAX),
            outbps: seed * 7,
        }
    }

    fn edge_servers() -> Vec<RealServerEntry> {
        let addrs = ["10.1.2.3", "0.0.0.0", "255.255.255.255", "::", "::1.2.3.4"];
        let addrs = addrs.iter().chain(&["::ffff:1.2.3.4", "2001:db8::1:0:0:2"]);
        let forwards = [ForwardMethod::Masquerade, ForwardMethod::Tunnel];
        addrs
            .enumerate()
            .map(|(i, text)| RealServerEntry {
                server: RealServer {
                    addr: text.parse().unwrap(),
                    port: [0, 80, u16::MAX][i % 3],
                    forward: [forwards[i % 2], ForwardMethod::Other(77)][i / 5],
                    weight: [1, 0, -1, i32::MIN, i32::MAX][i % 5],
                    u_threshold: u32::MAX,
                    l_threshold: i as u32,
                    tunnel: Tunnel {
                        kind: [TunnelType::Gue, TunnelType::Other(9)][i % 2],
                        port: 6080,
                        flags: TunnelFlags(TunnelFlags::REMCSUM),
                    },
                },
                active_conns: u32::MAX,
                inactive_conns: 12,
                persist_conns: 0,
                stats: edge_stats(i as u64),
            })
            .collect()
    }

    fn service(key: ServiceKey, pe_name: Option<&str>) -> Service {
        Service {
            key,
            scheduler: "wlc".into(),
            flags: ServiceFlags(u32::MAX),
            timeout: 300,
            netmask: Netmask::V6(64),
            pe_name: pe_name.map(str::to_string),
        }
    }

    #[test]
    fn services_are_written_as_serde_json_writes_them() {
        let keys = [
            ServiceKey::Addr {
                protocol: Protocol::Udp,
                addr: "2001:db8::1".parse().unwrap(),
                port: 53,
            },
            ServiceKey::Fwmark {
                fwmark: u32::MAX,
                family: Family::Inet,
            },
        ];
        let mut weights_zero = edge_servers();
        weights_zero.iter_mut().for_each(|s| s.server.weight = 0);
        let entries: Vec<ServiceEntry> = [edge_servers(), Vec::new(), weights_zero]
            .into_iter()
            .enumerate()
            .map(|(i, real_servers)| ServiceEntry {
                service: service(keys[i % 2], [Some("sip"), None][i % 2]),
                stats: edge_stats(i as u64 + 3),
                real_servers,
            })
            .collect();
        for some in [&entries[..], &entries[..1], &[]] {
            let mut out = Vec::new();
            services(&mut out, some).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(some).unwrap()
            );
        }
    }
}
