//! Between the domain model and IPVS attributes: what a request carries for
//! a service, real server or daemon, and how a kernel reply becomes the model
//! (64-bit counters when the kernel sends them, unknown attributes ignored,
//! missing required ones an error).

use super::attrs::{DaemonAttr, DestAttr, FlagsMask, ServiceAttr, StatsAttr, StatsBlock};
use super::table::Detail;
use super::wire::DecodeError;
use crate::model::{
    DaemonState, Family, ForwardMethod, Netmask, Protocol, RealServer, RealServerEntry, Service,
    ServiceFlags, ServiceKey, Stats, SyncDaemon, Tunnel, TunnelFlags, TunnelType,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(crate) const AF_INET: u16 = 2;
pub(crate) const AF_INET6: u16 = 10;

fn af(family: Family) -> u16 {
    match family {
        Family::Inet => AF_INET,
        Family::Inet6 => AF_INET6,
    }
}

fn family(af: u16) -> Result<Family, DecodeError> {
    match af {
        AF_INET => Ok(Family::Inet),
        AF_INET6 => Ok(Family::Inet6),
        other => Err(DecodeError(format!("unknown address family {other}"))),
    }
}

fn addr16(addr: &IpAddr) -> [u8; 16] {
    let mut out = [0u8; 16];
    match addr {
        IpAddr::V4(a) => out[..4].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => out = a.octets(),
    }
    out
}

fn ip(family: Family, raw: [u8; 16]) -> IpAddr {
    match family {
        Family::Inet => IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3])),
        Family::Inet6 => IpAddr::V6(Ipv6Addr::from(raw)),
    }
}

fn protocol(number: u16) -> Result<Protocol, DecodeError> {
    match number {
        6 => Ok(Protocol::Tcp),
        17 => Ok(Protocol::Udp),
        132 => Ok(Protocol::Sctp),
        other => Err(DecodeError(format!("unknown protocol {other}"))),
    }
}

/// The attributes `each_attr` hands over one at a time, as a list.
fn collected<T: Clone>(each_attr: impl FnOnce(&mut dyn FnMut(&T))) -> Vec<T> {
    let mut attrs = Vec::new();
    each_attr(&mut |a| attrs.push(a.clone()));
    attrs
}

/// What identifies a service: AF plus fwmark, or protocol, address and
/// port, one attribute at a time (a restore encodes one per request; no
/// list is built).
pub(crate) fn each_service_identity(key: &ServiceKey, each: &mut dyn FnMut(&ServiceAttr)) {
    match key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            each(&ServiceAttr::Af(af(Family::of(addr))));
            each(&ServiceAttr::Protocol(protocol.number()));
            each(&ServiceAttr::Addr(addr16(addr)));
            each(&ServiceAttr::Port(*port));
        }
        ServiceKey::Fwmark { fwmark, family } => {
            each(&ServiceAttr::Af(af(*family)));
            each(&ServiceAttr::Fwmark(*fwmark));
        }
    }
}

pub(crate) fn service_identity(key: &ServiceKey) -> Vec<ServiceAttr> {
    collected(|each| each_service_identity(key, each))
}

fn netmask_raw(netmask: Netmask) -> u32 {
    match netmask {
        // The kernel reads an IPv4 mask as a __be32: its bytes in network order.
        Netmask::V4(mask) => u32::from_ne_bytes(mask.octets()),
        Netmask::V6(prefix) => u32::from(prefix),
    }
}

/// A full service definition, in the order ipvsadm sends it; the flags mask
/// is all ones, so every flag is set to exactly what the service says.
pub(crate) fn each_service_full(s: &Service, each: &mut dyn FnMut(&ServiceAttr)) {
    each_service_identity(&s.key, each);
    each(&ServiceAttr::SchedName(s.scheduler.clone()));
    if let Some(pe) = &s.pe_name {
        each(&ServiceAttr::PeName(pe.clone()));
    }
    each(&ServiceAttr::Flags(FlagsMask {
        flags: s.flags.0,
        mask: u32::MAX,
    }));
    each(&ServiceAttr::Timeout(s.timeout));
    each(&ServiceAttr::Netmask(netmask_raw(s.netmask)));
}

#[cfg(any(test, fuzzing))]
pub(crate) fn service_full(s: &Service) -> Vec<ServiceAttr> {
    collected(|each| each_service_full(s, each))
}

/// The counters of a stats nest's payload (`STATS`, or `STATS64` when
/// `wide`), read in place: big dumps have two nests per entry.
fn stats_of_nest(payload: &[u8], wide: bool) -> Result<Stats, DecodeError> {
    let mut s = Stats::default();
    crate::kernel::wire::parse_attrs(payload, |a| {
        StatsAttr::parse(a, wide).map(|attr| count(&mut s, attr))
    })?;
    Ok(s)
}

fn count(s: &mut Stats, attr: StatsAttr) {
    match attr {
        StatsAttr::Conns(v) => s.conns = v,
        StatsAttr::InPkts(v) => s.inpkts = v,
        StatsAttr::OutPkts(v) => s.outpkts = v,
        StatsAttr::InBytes(v) => s.inbytes = v,
        StatsAttr::OutBytes(v) => s.outbytes = v,
        StatsAttr::Cps(v) => s.cps = v,
        StatsAttr::InPps(v) => s.inpps = v,
        StatsAttr::OutPps(v) => s.outpps = v,
        StatsAttr::InBps(v) => s.inbps = v,
        StatsAttr::OutBps(v) => s.outbps = v,
        StatsAttr::Pad(_) | StatsAttr::Other(..) => {}
    }
}

/// The counters of an entry whose stats nests have these payloads: the
/// 64-bit ones, else the 32-bit ones (kernels before 4.1), else none.
pub(crate) fn best_counters(
    wide: Option<&[u8]>,
    narrow: Option<&[u8]>,
) -> Result<Stats, DecodeError> {
    match (wide, narrow) {
        (Some(wide), _) => stats_of_nest(wide, true),
        (None, Some(narrow)) => stats_of_nest(narrow, false),
        (None, None) => Ok(Stats::default()),
    }
}

/// [`best_counters`] of two parsed nests.
fn best_stats(
    wide: Option<&StatsBlock>,
    narrow: Option<&StatsBlock>,
) -> Result<Stats, DecodeError> {
    best_counters(
        wide.map(StatsBlock::payload),
        narrow.map(StatsBlock::payload),
    )
}

fn missing(what: &str) -> DecodeError {
    DecodeError(format!("the kernel's reply lacks {what}"))
}

/// A service from a `GET_SERVICE` reply.
pub(crate) fn service_from(attrs: &[ServiceAttr]) -> Result<(Service, Stats), DecodeError> {
    service_from_each(|each| {
        attrs.iter().cloned().for_each(each);
        Ok(())
    })
}

/// [`service_from`], the attributes handed over one at a time by `fill`
/// (a dump of 10,000 services builds no list on the way).
pub(crate) fn service_from_each(
    fill: impl FnOnce(&mut dyn FnMut(ServiceAttr)) -> Result<(), DecodeError>,
) -> Result<(Service, Stats), DecodeError> {
    let (mut af_v, mut proto, mut addr, mut port, mut fwmark) = (None, None, None, None, None);
    let (mut sched, mut flags, mut timeout, mut netmask, mut pe) = (None, None, None, None, None);
    let (mut s32, mut s64) = (None, None);
    fill(&mut |a| match a {
        ServiceAttr::Af(v) => af_v = Some(v),
        ServiceAttr::Protocol(v) => proto = Some(v),
        ServiceAttr::Addr(v) => addr = Some(v),
        ServiceAttr::Port(v) => port = Some(v),
        ServiceAttr::Fwmark(v) => fwmark = Some(v),
        ServiceAttr::SchedName(v) => sched = Some(v),
        ServiceAttr::Flags(FlagsMask { flags: f, mask }) => flags = Some(f & mask),
        ServiceAttr::Timeout(v) => timeout = Some(v),
        ServiceAttr::Netmask(v) => netmask = Some(v),
        ServiceAttr::Stats(v) => s32 = Some(v),
        ServiceAttr::PeName(v) => pe = Some(v),
        ServiceAttr::Stats64(v) => s64 = Some(v),
        ServiceAttr::Other(..) => {}
    })?;
    let fam = family(af_v.ok_or_else(|| missing("the service address family"))?)?;
    let key = match fwmark.filter(|m| *m != 0) {
        Some(fwmark) => ServiceKey::Fwmark {
            fwmark,
            family: fam,
        },
        None => ServiceKey::Addr {
            protocol: protocol(proto.ok_or_else(|| missing("the service protocol"))?)?,
            addr: ip(fam, addr.ok_or_else(|| missing("the service address"))?),
            port: port.ok_or_else(|| missing("the service port"))?,
        },
    };
    let raw_mask = netmask.ok_or_else(|| missing("the service netmask"))?;
    let netmask = match fam {
        Family::Inet => Netmask::V4(Ipv4Addr::from(raw_mask.to_ne_bytes())),
        Family::Inet6 => Netmask::V6(raw_mask as u8),
    };
    let service = Service {
        key,
        scheduler: sched.ok_or_else(|| missing("the scheduler name"))?,
        // HASHED is the kernel's own bookkeeping, not a setting.
        flags: ServiceFlags(
            flags.ok_or_else(|| missing("the service flags"))? & !ServiceFlags::HASHED,
        ),
        timeout: timeout.ok_or_else(|| missing("the persistence timeout"))?,
        netmask,
        pe_name: pe.filter(|p| !p.is_empty()),
    };
    Ok((service, best_stats(s64.as_ref(), s32.as_ref())?))
}

/// The identity of a real server within its service.
pub(crate) fn each_dest_identity(server: &RealServer, each: &mut dyn FnMut(&DestAttr)) {
    each(&DestAttr::AddrFamily(af(Family::of(&server.addr))));
    each(&DestAttr::Addr(addr16(&server.addr)));
    each(&DestAttr::Port(server.port));
}

/// A full real-server definition, in the order ipvsadm sends it.
pub(crate) fn each_dest_full(server: &RealServer, each: &mut dyn FnMut(&DestAttr)) {
    each_dest_identity(server, each);
    each(&DestAttr::FwdMethod(server.forward.raw()));
    each(&DestAttr::Weight(server.weight as u32));
    each(&DestAttr::TunType(server.tunnel.kind.raw()));
    each(&DestAttr::TunPort(server.tunnel.port));
    each(&DestAttr::TunFlags(server.tunnel.flags.0));
    each(&DestAttr::UThresh(server.u_threshold));
    each(&DestAttr::LThresh(server.l_threshold));
}

#[cfg(any(test, fuzzing))]
pub(crate) fn dest_full(server: &RealServer) -> Vec<DestAttr> {
    collected(|each| each_dest_full(server, each))
}

/// A real server from a `GET_DEST` reply; `service_family` applies when the
/// kernel does not say (before 3.18).
#[cfg(any(test, fuzzing))]
pub(crate) fn dest_from(
    attrs: &[DestAttr],
    service_family: Family,
) -> Result<RealServerEntry, DecodeError> {
    dest_from_each(service_family, |each| {
        attrs.iter().cloned().for_each(each);
        Ok(())
    })
}

/// [`dest_from`], the attributes handed over one at a time by `fill`.
pub(crate) fn dest_from_each(
    service_family: Family,
    fill: impl FnOnce(&mut dyn FnMut(DestAttr)) -> Result<(), DecodeError>,
) -> Result<RealServerEntry, DecodeError> {
    let (mut addr, mut port, mut fwd, mut weight, mut uth, mut lth) =
        (None, None, None, None, None, None);
    let (mut active, mut inactive, mut persist) = (None, None, None);
    // The first family the kernel names that is not known is the error.
    let (mut fam, mut s32, mut s64) = (Ok(service_family), None, None);
    let mut tunnel = Tunnel::default();
    fill(&mut |a| match a {
        DestAttr::Addr(v) => addr = Some(v),
        DestAttr::Port(v) => port = Some(v),
        DestAttr::FwdMethod(v) => fwd = Some(v),
        DestAttr::Weight(v) => weight = Some(v),
        DestAttr::UThresh(v) => uth = Some(v),
        DestAttr::LThresh(v) => lth = Some(v),
        DestAttr::ActiveConns(v) => active = Some(v),
        DestAttr::InactConns(v) => inactive = Some(v),
        DestAttr::PersistConns(v) => persist = Some(v),
        DestAttr::Stats(v) => s32 = Some(v),
        DestAttr::AddrFamily(v) => {
            if fam.is_ok() {
                fam = family(v);
            }
        }
        DestAttr::Stats64(v) => s64 = Some(v),
        DestAttr::TunType(v) => tunnel.kind = TunnelType::from_raw(v),
        DestAttr::TunPort(v) => tunnel.port = v,
        DestAttr::TunFlags(v) => tunnel.flags = TunnelFlags(v),
        DestAttr::Other(..) => {}
    })?;
    let fam = fam?;
    Ok(RealServerEntry {
        server: RealServer {
            addr: ip(fam, addr.ok_or_else(|| missing("the real server address"))?),
            port: port.ok_or_else(|| missing("the real server port"))?,
            forward: ForwardMethod::from_raw(fwd.ok_or_else(|| missing("the forwarding method"))?),
            weight: weight.ok_or_else(|| missing("the weight"))? as i32,
            u_threshold: uth.ok_or_else(|| missing("the upper threshold"))?,
            l_threshold: lth.ok_or_else(|| missing("the lower threshold"))?,
            tunnel,
        },
        active_conns: active.ok_or_else(|| missing("the active connections"))?,
        inactive_conns: inactive.ok_or_else(|| missing("the inactive connections"))?,
        persist_conns: persist.ok_or_else(|| missing("the persistent connections"))?,
        stats: best_stats(s64.as_ref(), s32.as_ref())?,
    })
}

/// Whether a real server read through `getsockopt` (or, `from_text`,
/// from `/proc/net/ip_vs`) is whole for a listing of `detail`; when it is
/// not, the listing reads its service through netlink. Every setting is
/// named here without `..`: a new one does not compile until it says
/// whether the quick reads can show it.
pub(crate) fn quick_read_carries(server: &RealServer, detail: Detail, from_text: bool) -> bool {
    let RealServer {
        addr: _,
        port: _,
        forward,
        weight: _,
        u_threshold: _,
        l_threshold: _,
        tunnel: _,
    } = server;
    // Neither has tunnel settings; only tunnelled real servers have any,
    // and only some listings show them. The text has no thresholds
    // (nor persistence-template counts).
    (!detail.tunnels || *forward != ForwardMethod::Tunnel) && !(from_text && detail.thresholds)
}

/// `--start-daemon`: state, interface and sync id always; the rest only when
/// given, so the kernel applies its own defaults.
pub(crate) fn daemon_attrs(d: &SyncDaemon) -> Vec<DaemonAttr> {
    let mut attrs = vec![
        DaemonAttr::State(d.state.raw()),
        DaemonAttr::McastIfn(d.mcast_ifn.clone()),
        DaemonAttr::SyncId(d.syncid),
    ];
    if let Some(v) = d.sync_maxlen {
        attrs.push(DaemonAttr::SyncMaxlen(v));
    }
    if let Some(v) = d.mcast_port {
        attrs.push(DaemonAttr::McastPort(v));
    }
    if let Some(v) = d.mcast_ttl {
        attrs.push(DaemonAttr::McastTtl(v));
    }
    match d.mcast_group {
        Some(IpAddr::V4(g)) => attrs.push(DaemonAttr::McastGroup(g.octets())),
        Some(IpAddr::V6(g)) => attrs.push(DaemonAttr::McastGroup6(g.octets())),
        None => {}
    }
    attrs
}

/// `--stop-daemon`: which daemon (state and sync id), no interface.
pub(crate) fn daemon_stop_attrs(state: DaemonState, syncid: u32) -> Vec<DaemonAttr> {
    vec![
        DaemonAttr::State(state.raw()),
        DaemonAttr::McastIfn(String::new()),
        DaemonAttr::SyncId(syncid),
    ]
}

/// A daemon from a `GET_DAEMON` reply; None for a state that is neither
/// master nor backup (ipvsadm skips those).
pub(crate) fn daemon_from(attrs: &[DaemonAttr]) -> Result<Option<SyncDaemon>, DecodeError> {
    let (mut state, mut ifn, mut syncid) = (None, None, None);
    let mut d = SyncDaemon::new(DaemonState::Master, "");
    let (mut group4, mut group6) = (None, None);
    for a in attrs {
        match a {
            DaemonAttr::State(v) => state = Some(*v),
            DaemonAttr::McastIfn(v) => ifn = Some(v.clone()),
            DaemonAttr::SyncId(v) => syncid = Some(*v),
            DaemonAttr::SyncMaxlen(v) => d.sync_maxlen = Some(*v),
            DaemonAttr::McastGroup(v) => group4 = Some(IpAddr::V4(Ipv4Addr::from(*v))),
            DaemonAttr::McastGroup6(v) => group6 = Some(IpAddr::V6(Ipv6Addr::from(*v))),
            DaemonAttr::McastPort(v) => d.mcast_port = Some(*v),
            DaemonAttr::McastTtl(v) => d.mcast_ttl = Some(*v),
            DaemonAttr::Other(..) => {}
        }
    }
    let state = state.ok_or_else(|| missing("the daemon state"))?;
    d.mcast_ifn = ifn.ok_or_else(|| missing("the daemon interface"))?;
    d.syncid = syncid.ok_or_else(|| missing("the daemon sync id"))?;
    // ipvsadm takes the IPv4 group when both are present.
    d.mcast_group = group4.or(group6);
    d.state = if state & 1 != 0 {
        DaemonState::Master
    } else if state & 2 != 0 {
        DaemonState::Backup
    } else {
        return Ok(None);
    };
    Ok(Some(d))
}
