//! Read the kernel table for a listing, fast: netlink has no dump of all
//! real servers, only one dump per service, which dominates big listings.
//! So service attributes come from one netlink dump and the real servers of
//! IPv4 services from one `getsockopt` call each ([`sockopt`]), read at the
//! same time by a second thread. Netlink per service is left for what that
//! interface lacks: IPv6 services, real servers of the other family, and
//! every setting that [`convert::getsockopt_carries`] says it cannot hold.

use super::{convert, failed, sockopt, Ipvs};
use crate::error::{Error, KernelOp};
use crate::model::{RealServerEntry, Service, ServiceEntry, ServiceKey, Stats};
use std::collections::HashMap;

/// How much of each real server a listing needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// every setting but the tunnel ones, and the connection counts
    /// (`-L`, `--thresholds`, `--persistent-conn`, `--orphans`); traffic
    /// counters may be left zero
    Basic,
    /// `Basic`, plus tunnel settings (`-S`, `--tun-info`, a restore's
    /// view of the table)
    Tunnels,
    /// everything netlink reports, traffic counters included
    Full,
}

/// Every service with its real servers, in kernel order, with at least
/// `detail` filled in.
pub fn table(ipvs: &mut Ipvs, detail: Detail) -> Result<Vec<ServiceEntry>, Error> {
    if detail == Detail::Full || ipvs.netlink_only {
        let services = ipvs.services().map_err(failed(KernelOp::List))?;
        return with_servers(ipvs, services, HashMap::new());
    }
    // The two reads are independent kernel walks: side by side, the
    // listing waits for the longer one only.
    let (services, mut quick) = std::thread::scope(|scope| {
        let quick = scope.spawn(quick_servers);
        let services = ipvs.services();
        // The fast path is only a shortcut: if its thread panicked, every
        // service is read through netlink instead, as when the interface
        // is missing.
        (services, quick.join().unwrap_or_default())
    });
    let services = services.map_err(failed(KernelOp::List))?;
    quick.retain(|_, servers| {
        servers
            .iter()
            .all(|rs| convert::getsockopt_carries(&rs.server, detail))
    });
    with_servers(ipvs, services, quick)
}

/// The real servers of every IPv4 service whose `getsockopt` answer is
/// whole, by service; empty when the interface is not available. The
/// interface skips real servers of the other family without saying so, so
/// each answer is held against the service's count of real servers (every
/// family), taken before and after all the answers: a service with real
/// servers of the other family, or whose count moved meanwhile, is left
/// out and goes to netlink. (Not caught: a count that moved and came back
/// between the two snapshots, just as a real server of the other family
/// was added or removed.)
fn quick_servers() -> HashMap<ServiceKey, Vec<RealServerEntry>> {
    let Ok(reader) = sockopt::Reader::open() else {
        return HashMap::new();
    };
    let Ok(before) = reader.server_counts() else {
        return HashMap::new();
    };
    let answers: Vec<(ServiceKey, Vec<RealServerEntry>)> = before
        .iter()
        .filter_map(|(&key, &expected)| {
            let servers = reader.servers(&key, expected).ok()??;
            (servers.len() == expected).then_some((key, servers))
        })
        .collect();
    let Ok(after) = reader.server_counts() else {
        return HashMap::new();
    };
    answers
        .into_iter()
        .filter(|(key, servers)| after.get(key) == Some(&servers.len()))
        .collect()
}

/// The services with their real servers: those in `known`, the others by
/// one netlink dump each.
fn with_servers(
    ipvs: &mut Ipvs,
    services: Vec<(Service, Stats)>,
    mut known: HashMap<ServiceKey, Vec<RealServerEntry>>,
) -> Result<Vec<ServiceEntry>, Error> {
    let mut entries = Vec::with_capacity(services.len());
    for (service, stats) in services {
        let real_servers = match known.remove(&service.key) {
            Some(servers) => servers,
            None => ipvs.servers(&service.key).map_err(failed(KernelOp::List))?,
        };
        entries.push(ServiceEntry {
            service,
            stats,
            real_servers,
        });
    }
    Ok(entries)
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
