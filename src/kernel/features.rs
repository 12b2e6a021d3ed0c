//! What the running kernel offers IPVS users, for `ipvsadm-rs -v` (so that
//! bug reports carry it): its release, the schedulers its module tree has
//! (`twos` appeared in 6.12, `mh` in 4.18), read from the kernel's own
//! module index, and the optional features its answers show (64-bit
//! counters since 4.1, tunnel types since 5.3).

use super::attrs::{DestAttr, ServiceAttr};
use super::{Change, Ipvs, Settings};
use crate::model::{
    ForwardMethod, Netmask, Protocol, RealServer, Service, ServiceFlags, ServiceKey, Tunnel,
    TunnelFlags, TunnelType,
};
use std::net::{IpAddr, Ipv4Addr};

/// The schedulers named in a kernel's `modules.dep` and `modules.builtin`
/// (`.../ipvs/ip_vs_NAME.ko[.xz]`), sorted; the FTP helper and the SIP
/// persistence engine are not schedulers.
pub(crate) fn schedulers_in(modules_dep: &str, builtin: &str) -> Vec<String> {
    let mut names: Vec<String> = modules_dep
        .lines()
        .map(|l| l.split(':').next().unwrap_or(""))
        .chain(builtin.lines())
        .filter_map(|path| {
            let file = path.rsplit('/').next()?;
            let name = file.strip_prefix("ip_vs_")?.split(".ko").next()?;
            (!name.is_empty() && name != "ftp" && !name.starts_with("pe_"))
                .then(|| name.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The schedulers of the running kernel `release`, from its module index
/// under `/lib/modules`; empty when that cannot be read.
pub fn available_schedulers(release: &str) -> Vec<String> {
    let dir = std::path::Path::new("/lib/modules").join(release);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    schedulers_in(&read("modules.dep"), &read("modules.builtin"))
}

/// The running kernel's release (`uname -r`).
pub fn release() -> Option<String> {
    crate::sys::kernel_release()
}

/// The optional features a kernel's answers show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probed {
    /// services and real servers carry 64-bit counters (`STATS64`)
    pub counters_64bit: bool,
    /// the tunnel types the kernel took and reports back, in wire order
    /// (IP-in-IP only on a kernel that predates tunnel types)
    pub tunnel_types: Vec<TunnelType>,
}

/// Learn the optional features by building a one-service table in a
/// scratch network namespace, made for this and gone with the thread that
/// made it: the user's tables are never touched. Needs `CAP_SYS_ADMIN`;
/// the error says why the probe could not run.
pub fn probe(settings: &Settings) -> Result<Probed, String> {
    let settings = Settings {
        netns: None,
        ..settings.clone()
    };
    std::thread::spawn(move || probe_in_scratch_namespace(&settings))
        .join()
        .unwrap_or_else(|_| Err("the probe stopped".into()))
}

fn probe_in_scratch_namespace(settings: &Settings) -> Result<Probed, String> {
    let errno_text =
        |e: std::io::Error| crate::sys::strerror(e.raw_os_error().unwrap_or(libc::EIO));
    crate::sys::enter_new_network_namespace()
        .map_err(|e| format!("no scratch network namespace ({})", errno_text(e)))?;
    crate::sys::bring_loopback_up()
        .map_err(|e| format!("no loopback in the scratch namespace ({})", errno_text(e)))?;
    let mut ipvs = Ipvs::connect(settings, || false)
        .map_err(|_| "IPVS unavailable in a new network namespace".to_string())?;
    let service = probe_service();
    ipvs.apply(&Change::AddService(&service))
        .map_err(|e| format!("the scratch service was refused ({e})"))?;
    for (host, kind) in (10u8..).zip([TunnelType::Ipip, TunnelType::Gue, TunnelType::Gre]) {
        // A kernel that does not know a tunnel type refuses it or drops
        // it; either way the dump below does not report it.
        let _ = ipvs.apply(&Change::AddServer(
            &service.key,
            &tunnelled_server(host, kind),
        ));
    }
    let (service_attrs, servers) = ipvs
        .sent_attributes(&service.key)
        .map_err(|e| format!("the scratch service could not be read ({e})"))?;
    Ok(features_shown(&service_attrs, &servers))
}

/// What the attributes sent for a service and its real servers show.
pub(crate) fn features_shown(service: &[ServiceAttr], servers: &[Vec<DestAttr>]) -> Probed {
    let mut tunnel_types: Vec<TunnelType> = servers
        .iter()
        .flatten()
        .filter_map(|a| match a {
            DestAttr::TunType(raw) => Some(TunnelType::from_raw(*raw)),
            _ => None,
        })
        .collect();
    tunnel_types.sort_by_key(|t| t.raw());
    tunnel_types.dedup();
    if tunnel_types.is_empty() && !servers.is_empty() {
        tunnel_types.push(TunnelType::Ipip);
    }
    Probed {
        counters_64bit: service.iter().any(|a| matches!(a, ServiceAttr::Stats64(_))),
        tunnel_types,
    }
}

fn probe_service() -> Service {
    Service {
        key: ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            port: 80,
        },
        scheduler: "rr".into(),
        flags: ServiceFlags(0),
        timeout: 0,
        netmask: Netmask::V4(Ipv4Addr::BROADCAST),
        pe_name: None,
    }
}

fn tunnelled_server(host: u8, kind: TunnelType) -> RealServer {
    RealServer {
        addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, host)),
        port: 80,
        forward: ForwardMethod::Tunnel,
        weight: 1,
        u_threshold: 0,
        l_threshold: 0,
        tunnel: Tunnel {
            kind,
            // GUE needs a destination port; the others take none.
            port: if kind == TunnelType::Gue { 6080 } else { 0 },
            flags: TunnelFlags(TunnelFlags::NOCSUM),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedulers_come_from_the_module_index() {
        let dep = "kernel/net/netfilter/ipvs/ip_vs_rr.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz\n\
                   kernel/net/netfilter/ipvs/ip_vs_twos.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz\n\
                   kernel/net/netfilter/ipvs/ip_vs_ftp.ko: kernel/net/netfilter/ipvs/ip_vs.ko\n\
                   kernel/net/netfilter/ipvs/ip_vs_pe_sip.ko: kernel/net/netfilter/ipvs/ip_vs.ko\n\
                   kernel/net/netfilter/ipvs/ip_vs.ko: kernel/lib/libcrc32c.ko\n\
                   kernel/drivers/net/dummy.ko:\n";
        let builtin = "kernel/net/netfilter/ipvs/ip_vs_wlc.ko\n";
        assert_eq!(schedulers_in(dep, builtin), ["rr", "twos", "wlc"]);
        assert!(schedulers_in("", "").is_empty());
    }

    #[test]
    fn features_come_from_the_attributes_sent() {
        use crate::kernel::attrs::StatsBlock;
        let stats = || StatsBlock::new(&[], true);
        let gre = vec![DestAttr::Port(80), DestAttr::TunType(2)];
        let ipip = vec![DestAttr::Port(80), DestAttr::TunType(0)];
        let shown = features_shown(&[ServiceAttr::Stats64(stats())], &[gre, ipip]);
        assert!(shown.counters_64bit);
        assert_eq!(shown.tunnel_types, [TunnelType::Ipip, TunnelType::Gre]);
        // An old kernel: 32-bit counters only, and no tunnel type sent.
        let old = features_shown(&[ServiceAttr::Port(80)], &[vec![DestAttr::Port(80)]]);
        assert!(!old.counters_64bit);
        assert_eq!(old.tunnel_types, [TunnelType::Ipip]);
        assert!(features_shown(&[], &[]).tunnel_types.is_empty());
    }
}
