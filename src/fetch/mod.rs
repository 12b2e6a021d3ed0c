//! Read the kernel table for a listing, fast: netlink has no dump of all
//! real servers, only one dump per service, which dominates big listings.
//! So service attributes come from one netlink dump and the real servers of
//! IPv4 services from one `getsockopt` call each ([`sockopt`]), with netlink
//! per service only for what that interface lacks: IPv6 services, real
//! servers of the other family, tunnel settings and 64-bit counters.

pub mod sockopt;

use crate::error::{Error, KernelOp};
use crate::exec::failed;
use crate::model::{Family, ForwardMethod, RealServerEntry, ServiceEntry, ServiceKey};
use crate::netlink::Ipvs;
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

/// The environment variable that forces the pure-netlink path (`netlink`);
/// for comparing the two paths.
pub const SOURCE_VARIABLE: &str = "IPVSADM_RS_LIST_SOURCE";

/// Every service with its real servers, in kernel order, with at least
/// `detail` filled in.
pub fn table(ipvs: &mut Ipvs, detail: Detail) -> Result<Vec<ServiceEntry>, Error> {
    let forced = std::env::var(SOURCE_VARIABLE).is_ok_and(|v| v == "netlink");
    let services = ipvs.services().map_err(failed(KernelOp::List))?;
    // The socket and the counts are read after the netlink dump, so that a
    // service added since is missing from the counts, and goes to netlink.
    let quick = if detail == Detail::Full || forced {
        None
    } else {
        sockopt::Reader::open()
            .and_then(|reader| Ok((reader.server_counts()?, reader)))
            .ok()
    };
    let mut entries = Vec::with_capacity(services.len());
    for (service, stats) in services {
        let quickly_read = quick
            .as_ref()
            .and_then(|(counts, reader)| quick_servers(reader, counts, &service.key));
        let real_servers = match quickly_read {
            Some(servers) if detail == Detail::Tunnels && has_tunnel(&servers) => None,
            other => other,
        };
        let real_servers = match real_servers {
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

/// The real servers of an IPv4 service by `getsockopt`, when that call
/// gives all of them. It skips real servers of the other family without
/// saying so; such a service has more real servers in `counts` than the
/// call returns, and goes to netlink, as does a service that changed
/// between the two reads (or is not in `counts` at all).
fn quick_servers(
    reader: &sockopt::Reader,
    counts: &HashMap<ServiceKey, usize>,
    key: &ServiceKey,
) -> Option<Vec<RealServerEntry>> {
    if key.family() != Family::Inet {
        return None;
    }
    let expected = *counts.get(key)?;
    let servers = reader.servers(key, expected).ok()??;
    (servers.len() == expected).then_some(servers)
}

/// Tunnel settings are only in the netlink dump.
fn has_tunnel(servers: &[RealServerEntry]) -> bool {
    servers
        .iter()
        .any(|rs| rs.server.forward == ForwardMethod::Tunnel)
}

/// One service and its real servers, from netlink.
pub fn service(ipvs: &mut Ipvs, key: &ServiceKey) -> Result<ServiceEntry, Error> {
    let (service, stats) = ipvs.service(key).map_err(failed(KernelOp::List))?;
    let real_servers = ipvs.servers(&service.key).map_err(failed(KernelOp::List))?;
    Ok(ServiceEntry {
        service,
        stats,
        real_servers,
    })
}
