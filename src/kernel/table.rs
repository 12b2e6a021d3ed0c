//! Read the kernel table for a listing, fast: netlink has no dump of all
//! real servers, only one dump per service, which dominates big listings.
//! So service attributes come from one netlink dump, and a second thread
//! reads the real servers at the same time from whichever source costs
//! the kernel less for this table: one `getsockopt` call per IPv4 service
//! ([`sockopt`]), or one read of `/proc/net/ip_vs` ([`procfs`]) when
//! per-service lookups would be slow (IPv6 services, addresses that share
//! a hash chain) and the listing needs no thresholds. Netlink per service
//! is left for what those lack: services neither source had whole, and
//! every setting that [`convert::quick_read_carries`] says they cannot
//! hold.

use super::procfs::{self, ProcKey};
use super::{convert, failed, sockopt, Ipvs, ListSource, NetlinkError};
use crate::error::{Error, KernelOp};
use crate::model::{RealServerEntry, Service, ServiceEntry, ServiceKey, Stats};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What of each real server a listing needs, beyond its address,
/// forwarding method, weight and connection counts (which every source
/// has).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    /// thresholds and persistence-template counts (`--thresholds`,
    /// `--persistent-conn`, `-S --full`, a restore's view of the table)
    pub thresholds: bool,
    /// tunnel settings of tunnelled real servers (`-S`, `--tun-info`)
    pub tunnels: bool,
    /// traffic counters, 64-bit (`--stats`, `--rate`, `--json`, metrics)
    pub counters: bool,
}

impl Detail {
    /// `-L`, `--orphans`
    pub const PLAIN: Detail = Detail {
        thresholds: false,
        tunnels: false,
        counters: false,
    };
    /// every setting, no counters (a restore's view, `-S --full`)
    pub const SETTINGS: Detail = Detail {
        thresholds: true,
        tunnels: true,
        counters: false,
    };
    /// everything netlink reports
    pub const FULL: Detail = Detail {
        thresholds: true,
        tunnels: true,
        counters: true,
    };
}

/// Every service with its real servers, in kernel order, with at least
/// `detail` filled in.
pub fn table(ipvs: &mut Ipvs, detail: Detail) -> Result<Vec<ServiceEntry>, Error> {
    // The text has no thresholds, persistence templates or counters.
    let text_serves = !detail.thresholds && !detail.counters;
    match ipvs.list_source {
        _ if detail.counters => by_netlink(ipvs, detail),
        ListSource::Netlink => by_netlink(ipvs, detail),
        ListSource::Cheapest | ListSource::ProcText if text_serves => from_both_ends(ipvs, detail),
        ListSource::Cheapest | ListSource::ProcText | ListSource::Requests => {
            by_requests(ipvs, detail)
        }
    }
}

/// Every service's real servers by one netlink dump each.
fn by_netlink(ipvs: &mut Ipvs, detail: Detail) -> Result<Vec<ServiceEntry>, Error> {
    let services = ipvs.services().map_err(failed(KernelOp::List))?;
    with_servers(ipvs, services, Known::default(), detail)
}

/// Real servers by one `getsockopt` request per IPv4 service, read beside
/// the service dump (the two are independent kernel walks: side by side,
/// the listing waits for the longer one only).
fn by_requests(ipvs: &mut Ipvs, detail: Detail) -> Result<Vec<ServiceEntry>, Error> {
    let (services, by_sockopt) = std::thread::scope(|scope| {
        let quick = scope.spawn(sockopt_servers);
        let services = ipvs.services();
        // The fast path is only a shortcut: if its thread panicked, every
        // service is read through netlink instead, as when the interface
        // is missing.
        (services, quick.join().unwrap_or_default())
    });
    let services = services.map_err(failed(KernelOp::List))?;
    let known = Known {
        by_sockopt,
        ..Known::default()
    };
    with_servers(ipvs, services, known, detail)
}

/// Real servers from both ends of the kernel's order at once: a second
/// thread reads `/proc/net/ip_vs` from the start while this one, once the
/// service dump is in, asks for services one by one from the end
/// (`getsockopt` for IPv4, netlink for the rest); each stops where the
/// other has been. The text costs more the further it goes (the kernel
/// walks the table again for every 4 KiB read) and a request costs what
/// its service's lookup costs (long where addresses share a hash chain),
/// so the two meet wherever the table's shape puts the balance, with no
/// guess. With `ListSource::ProcText` the text is read whole instead.
fn from_both_ends(ipvs: &mut Ipvs, detail: Detail) -> Result<Vec<ServiceEntry>, Error> {
    let whole_text = ipvs.list_source == ListSource::ProcText;
    let text_named = AtomicUsize::new(0);
    let back_reached = AtomicUsize::new(usize::MAX);
    let (services, back, text) = std::thread::scope(|scope| {
        let text = scope.spawn(|| {
            procfs::read_while(|named| {
                text_named.store(named, Ordering::Relaxed);
                whole_text || named < back_reached.load(Ordering::Relaxed)
            })
        });
        let services = ipvs.services();
        let back = match (&services, whole_text) {
            (Ok(services), false) => from_the_back(ipvs, services, &text_named, &back_reached),
            _ => Ok(Known::default()),
        };
        // The text stops now, whatever happened here.
        back_reached.store(0, Ordering::Relaxed);
        (services, back, text.join().ok().flatten())
    });
    let services = services.map_err(failed(KernelOp::List))?;
    let mut known = back.map_err(failed(KernelOp::List))?;
    if let Some(by_name) = text.as_deref().and_then(procfs::decode) {
        known.by_text = agreeing_with_counts(by_name, &known.sockopt_counts);
    }
    with_servers(ipvs, services, known, detail)
}

/// The real servers of `services` from the last one backwards, until the
/// text has named the one to be read next; `reached` tells the text how
/// far back this has come.
fn from_the_back(
    ipvs: &mut Ipvs,
    services: &[(Service, Stats)],
    text_named: &AtomicUsize,
    reached: &AtomicUsize,
) -> Result<Known, NetlinkError> {
    let reader = sockopt::Reader::open().ok();
    let counts = reader
        .as_ref()
        .and_then(|r| r.server_counts().ok())
        .map(|(counts, _)| counts)
        .unwrap_or_default();
    let mut known = Known::default();
    for (at, (service, _)) in services.iter().enumerate().rev() {
        if at < text_named.load(Ordering::Relaxed) {
            break;
        }
        let key = service.key;
        let expected = counts.get(&key).copied();
        let quick = match (&reader, expected) {
            (Some(reader), Some(expected)) => reader.servers(&key, expected).ok().flatten(),
            _ => None,
        };
        match quick {
            Some(servers) if Some(servers.len()) == expected => {
                known.by_sockopt.insert(key, servers);
            }
            _ => {
                known.by_netlink.insert(key, ipvs.servers(&key)?);
            }
        }
        reached.store(at, Ordering::Relaxed);
    }
    // getsockopt answers whose service's count moved meanwhile are
    // dropped (see `sockopt_servers`).
    if let Some(after) = reader.and_then(|r| r.server_counts().ok()) {
        known
            .by_sockopt
            .retain(|key, servers| after.0.get(key) == Some(&servers.len()));
    }
    known.sockopt_counts = counts;
    Ok(known)
}

/// Real servers read by the quick sources, each kind kept apart.
#[derive(Default)]
struct Known {
    /// by netlink, whole
    by_netlink: HashMap<ServiceKey, Vec<RealServerEntry>>,
    /// by `getsockopt`, for IPv4 services
    by_sockopt: HashMap<ServiceKey, Vec<RealServerEntry>>,
    /// from `/proc/net/ip_vs`, for every service it names once
    by_text: HashMap<ProcKey, Vec<RealServerEntry>>,
    /// getsockopt's counts of the real servers of IPv4 services (every
    /// family counted), which the text is checked against
    sockopt_counts: HashMap<ServiceKey, usize>,
}

impl Known {
    /// The real servers read for `key`, if they are whole for `detail`;
    /// `shared_marks` are fwmarks used by services of both families, which
    /// the text does not tell apart.
    fn take(
        &mut self,
        key: &ServiceKey,
        detail: Detail,
        shared_marks: &HashSet<u32>,
    ) -> Option<Vec<RealServerEntry>> {
        let whole = |servers: &Vec<RealServerEntry>, from_text| {
            servers
                .iter()
                .all(|rs| convert::quick_read_carries(&rs.server, detail, from_text))
        };
        if let Some(servers) = self.by_netlink.remove(key) {
            return Some(servers);
        }
        if let Some(servers) = self.by_sockopt.remove(key).filter(|s| whole(s, false)) {
            return Some(servers);
        }
        if let ServiceKey::Fwmark { fwmark, .. } = key {
            if shared_marks.contains(fwmark) {
                return None;
            }
        }
        self.by_text
            .remove(&proc_key(key))
            .filter(|s| whole(s, true))
    }
}

/// How `/proc/net/ip_vs` names a service.
fn proc_key(key: &ServiceKey) -> ProcKey {
    match *key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => ProcKey::Addr {
            protocol,
            addr,
            port,
        },
        ServiceKey::Fwmark { fwmark, .. } => ProcKey::Fwmark(fwmark),
    }
}

/// The entries of the text whose IPv4 services `getsockopt` counted the
/// same number of real servers for (a service the text caught while it
/// changed goes to netlink).
fn agreeing_with_counts(
    mut by_name: HashMap<ProcKey, Vec<RealServerEntry>>,
    counts: &HashMap<ServiceKey, usize>,
) -> HashMap<ProcKey, Vec<RealServerEntry>> {
    for (key, count) in counts {
        let name = proc_key(key);
        if by_name
            .get(&name)
            .is_some_and(|servers| servers.len() != *count)
        {
            by_name.remove(&name);
        }
    }
    by_name
}

/// The real servers of every IPv4 service whose `getsockopt` answer is
/// whole, by service; empty when the interface is not available. The
/// interface skips real servers of the other family without saying so,
/// so each answer is held against the service's count of real servers
/// (every family), taken before and after all the answers: a service with
/// real servers of the other family, or whose count moved meanwhile, is
/// left out and goes to netlink. (Not caught: a count that moved and came
/// back between the two snapshots, just as a real server of the other
/// family was added or removed.)
fn sockopt_servers() -> HashMap<ServiceKey, Vec<RealServerEntry>> {
    let Ok(reader) = sockopt::Reader::open() else {
        return HashMap::new();
    };
    let Ok((before, _)) = reader.server_counts() else {
        return HashMap::new();
    };
    let answers: Vec<(ServiceKey, Vec<RealServerEntry>)> = before
        .iter()
        .filter_map(|(&key, &expected)| {
            let servers = reader.servers(&key, expected).ok()??;
            (servers.len() == expected).then_some((key, servers))
        })
        .collect();
    let Ok((after, _)) = reader.server_counts() else {
        return HashMap::new();
    };
    answers
        .into_iter()
        .filter(|(key, servers)| after.get(key) == Some(&servers.len()))
        .collect()
}

/// The services with their real servers: those `known` has whole for
/// `detail`, the others by one netlink dump each.
fn with_servers(
    ipvs: &mut Ipvs,
    services: Vec<(Service, Stats)>,
    mut known: Known,
    detail: Detail,
) -> Result<Vec<ServiceEntry>, Error> {
    let shared_marks = marks_of_both_families(&services);
    let mut found: Vec<Option<Vec<RealServerEntry>>> = services
        .iter()
        .map(|(service, _)| known.take(&service.key, detail, &shared_marks))
        .collect();
    let missing: Vec<usize> = (0..found.len()).filter(|&i| found[i].is_none()).collect();
    let keys: Vec<ServiceKey> = missing.iter().map(|&i| services[i].0.key).collect();
    let read = netlink_servers(ipvs, &keys).map_err(failed(KernelOp::List))?;
    for (i, servers) in missing.into_iter().zip(read) {
        found[i] = Some(servers);
    }
    Ok(services
        .into_iter()
        .zip(found)
        .map(|((service, stats), real_servers)| ServiceEntry {
            service,
            stats,
            real_servers: real_servers.unwrap_or_default(),
        })
        .collect())
}

/// Below this many services, one connection reads them all.
const PARALLEL_FROM: usize = 16;

/// The real servers of `keys`, in order, by one netlink dump each. Many
/// are split between this connection and others on threads of their own
/// (one per CPU, four at most), so that the kernel, which does the work of
/// a dump on the asking thread's CPU, answers on every CPU at once.
fn netlink_servers(
    ipvs: &mut Ipvs,
    keys: &[ServiceKey],
) -> Result<Vec<Vec<RealServerEntry>>, NetlinkError> {
    let read = |ipvs: &mut Ipvs, keys: &[ServiceKey]| {
        keys.iter()
            .map(|key| ipvs.servers(key))
            .collect::<Result<Vec<_>, _>>()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if keys.len() < PARALLEL_FROM || threads < 2 {
        return read(ipvs, keys);
    }
    let parts: Vec<&[ServiceKey]> = keys.chunks(keys.len().div_ceil(threads)).collect();
    // Without a second connection, this one reads everything.
    let Ok(mut others) = (1..parts.len())
        .map(|_| ipvs.sibling())
        .collect::<Result<Vec<_>, _>>()
    else {
        return read(ipvs, keys);
    };
    let (first, rest) = std::thread::scope(|scope| {
        let handles: Vec<_> = others
            .iter_mut()
            .zip(&parts[1..])
            .map(|(other, part)| scope.spawn(move || read(other, part)))
            .collect();
        let first = read(ipvs, parts[0]);
        (
            first,
            handles.into_iter().map(|h| h.join()).collect::<Vec<_>>(),
        )
    });
    let mut all = first?;
    for (part, joined) in parts[1..].iter().zip(rest) {
        // A reader that panicked is replaced by this connection.
        all.extend(joined.unwrap_or_else(|_| read(ipvs, part))?);
    }
    Ok(all)
}

/// The fwmarks that services of both families use.
fn marks_of_both_families(services: &[(Service, Stats)]) -> HashSet<u32> {
    let mut seen = HashSet::new();
    let mut shared = HashSet::new();
    for (service, _) in services {
        if let ServiceKey::Fwmark { fwmark, .. } = service.key {
            if !seen.insert(fwmark) {
                shared.insert(fwmark);
            }
        }
    }
    shared
}

/// One service and its real servers, from netlink.
pub(crate) fn service(ipvs: &mut Ipvs, key: &ServiceKey) -> Result<ServiceEntry, Error> {
    let (service, stats) = ipvs.service(key).map_err(failed(KernelOp::List))?;
    let real_servers = ipvs.servers(&service.key).map_err(failed(KernelOp::List))?;
    Ok(ServiceEntry {
        service,
        stats,
        real_servers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Family, ForwardMethod, Protocol, RealServer};
    use std::net::{IpAddr, Ipv4Addr};

    fn tcp(a: u8, b: u8, c: u8, d: u8, port: u16) -> ServiceKey {
        ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            port,
        }
    }

    fn server(last: u8, forward: ForwardMethod) -> RealServerEntry {
        RealServerEntry {
            server: RealServer {
                forward,
                ..RealServer::new(IpAddr::V4(Ipv4Addr::new(10, 1, 1, last)), 80)
            },
            active_conns: 0,
            inactive_conns: 0,
            persist_conns: 0,
            stats: Stats::default(),
        }
    }

    #[test]
    fn text_entries_are_taken_only_when_whole_and_unambiguous() {
        let v4_mark = ServiceKey::Fwmark {
            fwmark: 7,
            family: Family::Inet,
        };
        let web = tcp(10, 0, 0, 1, 80);
        let tunnelled = tcp(10, 0, 0, 2, 80);
        let mut known = Known {
            by_text: HashMap::from([
                (ProcKey::Fwmark(7), vec![server(1, ForwardMethod::Route)]),
                (proc_key(&web), vec![server(2, ForwardMethod::Masquerade)]),
                (proc_key(&tunnelled), vec![server(3, ForwardMethod::Tunnel)]),
            ]),
            ..Known::default()
        };
        let shared = HashSet::from([7]);
        let thresholds = Detail {
            thresholds: true,
            ..Detail::PLAIN
        };
        assert!(known.take(&web, thresholds, &shared).is_none());
        assert!(known.take(&v4_mark, Detail::PLAIN, &shared).is_none());
        assert_eq!(
            known
                .take(&v4_mark, Detail::PLAIN, &HashSet::new())
                .unwrap()
                .len(),
            1
        );
        let save = Detail {
            tunnels: true,
            ..Detail::PLAIN
        };
        assert!(known.take(&tunnelled, save, &shared).is_none());
    }

    #[test]
    fn netlink_answers_come_first_then_getsockopt_then_the_text() {
        let web = tcp(10, 0, 0, 1, 80);
        let mut known = Known {
            by_netlink: HashMap::from([(web, vec![server(1, ForwardMethod::Tunnel)])]),
            by_sockopt: HashMap::from([(web, vec![server(2, ForwardMethod::Tunnel)])]),
            by_text: HashMap::from([(proc_key(&web), vec![server(3, ForwardMethod::Route)])]),
            ..Known::default()
        };
        let save = Detail {
            tunnels: true,
            ..Detail::PLAIN
        };
        let none = HashSet::new();
        // Netlink's answer is whole, tunnel settings and all.
        assert_eq!(
            known.take(&web, save, &none).unwrap()[0].server.addr,
            server(1, ForwardMethod::Route).server.addr
        );
        // getsockopt's has no tunnel settings: the text's is next.
        assert_eq!(
            known.take(&web, save, &none).unwrap()[0].server.addr,
            server(3, ForwardMethod::Route).server.addr
        );
        assert!(known.take(&web, save, &none).is_none());
    }

    #[test]
    fn text_entries_that_disagree_with_getsockopt_counts_are_dropped() {
        let web = tcp(10, 0, 0, 1, 80);
        let other = tcp(10, 0, 0, 2, 80);
        let by_name = HashMap::from([
            (proc_key(&web), vec![server(1, ForwardMethod::Route)]),
            (proc_key(&other), vec![server(2, ForwardMethod::Route)]),
        ]);
        let kept = agreeing_with_counts(by_name, &HashMap::from([(web, 1), (other, 2)]));
        assert_eq!(kept.keys().collect::<Vec<_>>(), [&proc_key(&web)]);
    }

    #[test]
    fn marks_used_by_both_families_are_found() {
        let service = |key| {
            let service = Service {
                key,
                scheduler: "wlc".into(),
                flags: crate::model::ServiceFlags(0),
                timeout: 0,
                netmask: crate::model::Netmask::V4(Ipv4Addr::BROADCAST),
                pe_name: None,
            };
            (service, Stats::default())
        };
        let services = [
            service(ServiceKey::Fwmark {
                fwmark: 7,
                family: Family::Inet,
            }),
            service(ServiceKey::Fwmark {
                fwmark: 7,
                family: Family::Inet6,
            }),
            service(ServiceKey::Fwmark {
                fwmark: 8,
                family: Family::Inet,
            }),
            service(tcp(10, 0, 0, 1, 80)),
        ];
        assert_eq!(marks_of_both_families(&services), HashSet::from([7]));
    }
}
