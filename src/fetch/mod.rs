//! Read the kernel table for a listing, fast: netlink has no dump of all
//! real servers, only one dump per service, which dominates big listings.
//! So service attributes come from one netlink dump, real servers from one
//! read of `/proc/net/ip_vs`, and netlink per service only for what that
//! file lacks. Both views are checked against each other; on disagreement
//! they are read again, and then netlink alone is used.

pub mod proc_table;

use crate::error::{Error, KernelOp};
use crate::exec::failed;
use crate::model::{
    ForwardMethod, Protocol, RealServer, RealServerEntry, Service, ServiceEntry, ServiceFlags,
    ServiceKey, Stats, Tunnel,
};
use crate::netlink::Ipvs;
use proc_table::{ProcKey, ProcService};

/// How much of each real server a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// address, port, method, weight, active and inactive connections
    /// (`-L`, `--orphans`): thresholds, tunnel settings, persistent
    /// connections and counters are left zero
    Basic,
    /// `Basic`, plus tunnel settings of tunnel real servers (`-S`, `--tun-info`)
    Tunnels,
    /// everything netlink reports
    Full,
}

/// The environment variable that forces the pure-netlink path (`netlink`);
/// for comparing the two paths and for kernels whose file layout differs.
pub const SOURCE_VARIABLE: &str = "IPVSADM_RS_LIST_SOURCE";

/// How often the two views are read again when they disagree (the table
/// changed between the reads) before netlink alone is used.
const ATTEMPTS: usize = 3;

const PROC_FILE: &str = "/proc/net/ip_vs";

/// Every service with its real servers, in kernel order, with at least
/// `detail` filled in.
pub fn table(ipvs: &mut Ipvs, detail: Detail) -> Result<Vec<ServiceEntry>, Error> {
    let forced = std::env::var(SOURCE_VARIABLE).is_ok_and(|v| v == "netlink");
    if detail != Detail::Full && !forced {
        for _ in 0..ATTEMPTS {
            // The two reads are independent kernel walks of similar cost:
            // side by side they take the time of the longer one.
            let (services, proc) = std::thread::scope(|scope| {
                let proc = scope.spawn(read_proc_table);
                let services = ipvs.services();
                (services, proc.join().ok().flatten())
            });
            let services = services.map_err(failed(KernelOp::List))?;
            let Some(proc) = proc else {
                break;
            };
            if let Some(mut entries) = join(services, proc) {
                if detail == Detail::Tunnels {
                    fill_tunnels(ipvs, &mut entries)?;
                }
                return Ok(entries);
            }
        }
    }
    netlink_table(ipvs)
}

/// The whole table from netlink alone: one service dump, then one
/// real-server dump per service.
pub fn netlink_table(ipvs: &mut Ipvs) -> Result<Vec<ServiceEntry>, Error> {
    let services = ipvs.services().map_err(failed(KernelOp::List))?;
    let mut entries = Vec::with_capacity(services.len());
    for (service, stats) in services {
        let real_servers = ipvs.servers(&service.key).map_err(failed(KernelOp::List))?;
        entries.push(ServiceEntry {
            service,
            stats,
            real_servers,
        });
    }
    Ok(entries)
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

/// The file in one go (large reads: the kernel restarts its walk at every
/// read, and each restart is a chance to see a change halfway), or `None`
/// when it is missing or not in a layout this tool knows.
fn read_proc_table() -> Option<Vec<ProcService>> {
    let text = std::fs::read_to_string(PROC_FILE).ok()?;
    proc_table::parse(&text)
}

fn protocol_name(p: Protocol) -> [u8; 4] {
    match p {
        Protocol::Tcp => *b"TCP\0",
        Protocol::Udp => *b"UDP\0",
        Protocol::Sctp => *b"SCTP",
    }
}

/// Whether a service line describes this netlink service.
fn same_service(service: &Service, line: &ProcService) -> bool {
    let same_key = match (service.key, line.key) {
        (
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            },
            ProcKey::Addr {
                protocol_name: name,
                addr: a,
                port: p,
            },
        ) => protocol_name(protocol) == name && addr == a && port == p,
        (ServiceKey::Fwmark { fwmark, .. }, ProcKey::Fwmark(mark)) => fwmark == mark,
        _ => false,
    };
    same_key
        && service.scheduler == line.scheduler
        && service.flags.has(ServiceFlags::PERSISTENT) == line.persistent
}

/// Whether a service lists some real server twice: the file is read in
/// pieces and the kernel resumes by position, so a change between two
/// pieces can repeat (or skip) entries.
fn repeats_a_server(line: &ProcService) -> bool {
    let mut keys: Vec<_> = line.dests.iter().map(|d| (d.addr, d.port)).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

/// The two views side by side: both walk the kernel's hash tables in the
/// same order, so they must pair up one to one. `None` when they do not
/// (a change came between or during the reads).
fn join(services: Vec<(Service, Stats)>, proc: Vec<ProcService>) -> Option<Vec<ServiceEntry>> {
    if services.len() != proc.len() {
        return None;
    }
    let mut entries = Vec::with_capacity(services.len());
    for ((service, stats), line) in services.into_iter().zip(proc) {
        if !same_service(&service, &line) || repeats_a_server(&line) {
            return None;
        }
        let real_servers = line
            .dests
            .iter()
            .map(|d| RealServerEntry {
                server: RealServer {
                    addr: d.addr,
                    port: d.port,
                    forward: d.forward,
                    weight: d.weight,
                    u_threshold: 0,
                    l_threshold: 0,
                    tunnel: Tunnel::default(),
                },
                active_conns: d.active_conns,
                inactive_conns: d.inactive_conns,
                persist_conns: 0,
                stats: Stats::default(),
            })
            .collect();
        entries.push(ServiceEntry {
            service,
            stats,
            real_servers,
        });
    }
    Some(entries)
}

/// Tunnel settings are only in the netlink dump: fetch it for the services
/// that have a tunnel real server.
fn fill_tunnels(ipvs: &mut Ipvs, entries: &mut [ServiceEntry]) -> Result<(), Error> {
    for entry in entries.iter_mut() {
        let has_tunnel = entry
            .real_servers
            .iter()
            .any(|rs| rs.server.forward == ForwardMethod::Tunnel);
        if has_tunnel {
            entry.real_servers = ipvs
                .servers(&entry.service.key)
                .map_err(failed(KernelOp::List))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Family, Netmask};

    fn service(key: ServiceKey, scheduler: &str, flags: u32) -> (Service, Stats) {
        let service = Service {
            key,
            scheduler: scheduler.into(),
            flags: ServiceFlags(flags),
            timeout: 300,
            netmask: Netmask::host(key.family()),
            pe_name: None,
        };
        (service, Stats::default())
    }

    const FILE: &str = "IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  0A000001:0050 wlc  
  -> C0A80102:0050      Tunnel  1      0          0         
  -> C0A80101:1F90      Masq    3      4          5         
FWM  00000011 rr persistent 90000 FFFFFFFF
";

    fn netlink_view() -> Vec<(Service, Stats)> {
        let tcp = ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "10.0.0.1".parse().unwrap(),
            port: 80,
        };
        let fwm = ServiceKey::Fwmark {
            fwmark: 17,
            family: Family::Inet,
        };
        vec![
            service(tcp, "wlc", ServiceFlags::HASHED),
            service(fwm, "rr", ServiceFlags::HASHED | ServiceFlags::PERSISTENT),
        ]
    }

    #[test]
    fn agreeing_views_are_joined_in_order() {
        let entries = join(netlink_view(), proc_table::parse(FILE).unwrap()).expect("agree");
        assert_eq!(entries.len(), 2);
        let servers = &entries[0].real_servers;
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[0].server.forward, ForwardMethod::Tunnel);
        assert_eq!(
            servers[1].server.addr,
            "192.168.1.1".parse::<std::net::IpAddr>().unwrap()
        );
        assert_eq!(servers[1].server.port, 8080);
        assert_eq!(servers[1].server.weight, 3);
        assert_eq!((servers[1].active_conns, servers[1].inactive_conns), (4, 5));
        assert_eq!(entries[1].service.scheduler, "rr");
        assert!(entries[1].real_servers.is_empty());
    }

    #[test]
    fn disagreeing_views_are_refused() {
        let proc = || proc_table::parse(FILE).unwrap();
        // a service added or deleted between the reads
        let mut fewer = netlink_view();
        fewer.pop();
        assert!(join(fewer, proc()).is_none());
        // same count, different services
        let mut other = netlink_view();
        other[0].0.key = ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: "10.0.0.1".parse().unwrap(),
            port: 80,
        };
        assert!(join(other, proc()).is_none());
        // an edit between the reads
        let mut edited = netlink_view();
        edited[0].0.scheduler = "rr".into();
        assert!(join(edited.clone(), proc()).is_none());
        edited[0].0.scheduler = "wlc".into();
        edited[1].0.flags = ServiceFlags(ServiceFlags::HASHED);
        assert!(join(edited, proc()).is_none());
        // a real server repeated by a read that resumed after a change
        let repeated = FILE.replace(
            "  -> C0A80101:1F90",
            "  -> C0A80102:0050      Tunnel  1      0          0\n  -> C0A80101:1F90",
        );
        assert!(join(netlink_view(), proc_table::parse(&repeated).unwrap()).is_none());
    }
}
