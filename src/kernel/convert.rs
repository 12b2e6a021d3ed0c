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
    if let Some(stats) = wide
        .then(|| stats64_as_the_kernel_lays_out(payload))
        .flatten()
    {
        return Ok(stats);
    }
    let mut s = Stats::default();
    crate::kernel::wire::parse_attrs(payload, |a| {
        StatsAttr::parse(a, wide).map(|attr| count(&mut s, attr))
    })?;
    Ok(s)
}

/// The counters of a `STATS64` payload as the kernel writes it: the ten
/// counters in the order of their ids, 12 bytes each (header and value)
/// with no padding between. A listing with counters reads 100,000 such
/// nests, and this reads one with a few comparisons where the typed
/// parser takes ten calls; any other layout is None, for that parser.
fn stats64_as_the_kernel_lays_out(payload: &[u8]) -> Option<Stats> {
    const KINDS: [u16; 10] = [
        StatsAttr::CONNS,
        StatsAttr::INPKTS,
        StatsAttr::OUTPKTS,
        StatsAttr::INBYTES,
        StatsAttr::OUTBYTES,
        StatsAttr::CPS,
        StatsAttr::INPPS,
        StatsAttr::OUTPPS,
        StatsAttr::INBPS,
        StatsAttr::OUTBPS,
    ];
    const ATTR_LEN: usize = 12;
    if payload.len() != KINDS.len() * ATTR_LEN {
        return None;
    }
    let mut values = [0u64; 10];
    for ((attr, kind), value) in payload.chunks_exact(ATTR_LEN).zip(KINDS).zip(&mut values) {
        let (header, counter) = attr.split_at(4);
        if header[..2] != (ATTR_LEN as u16).to_ne_bytes() || header[2..] != kind.to_ne_bytes() {
            return None;
        }
        *value = u64::from_ne_bytes(counter.try_into().ok()?);
    }
    Some(Stats::from_values(values))
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
    let mut fields = ServiceFields::default();
    attrs.iter().cloned().for_each(|a| fields.take(a));
    fields.finish()
}

/// The attributes of one service, taken one at a time as a reply hands
/// them over (a dump of 10,000 services builds no list on the way), then
/// the service ([`ServiceFields::finish`]).
#[derive(Default)]
pub(crate) struct ServiceFields {
    af: Option<u16>,
    protocol: Option<u16>,
    addr: Option<[u8; 16]>,
    port: Option<u16>,
    fwmark: Option<u32>,
    scheduler: Option<String>,
    flags: Option<u32>,
    timeout: Option<u32>,
    netmask: Option<u32>,
    pe_name: Option<String>,
    s32: Option<StatsBlock>,
    s64: Option<StatsBlock>,
}

impl ServiceFields {
    pub(crate) fn take(&mut self, a: ServiceAttr) {
        match a {
            ServiceAttr::Af(v) => self.af = Some(v),
            ServiceAttr::Protocol(v) => self.protocol = Some(v),
            ServiceAttr::Addr(v) => self.addr = Some(v),
            ServiceAttr::Port(v) => self.port = Some(v),
            ServiceAttr::Fwmark(v) => self.fwmark = Some(v),
            ServiceAttr::SchedName(v) => self.scheduler = Some(v),
            ServiceAttr::Flags(FlagsMask { flags, mask }) => self.flags = Some(flags & mask),
            ServiceAttr::Timeout(v) => self.timeout = Some(v),
            ServiceAttr::Netmask(v) => self.netmask = Some(v),
            ServiceAttr::Stats(v) => self.s32 = Some(v),
            ServiceAttr::PeName(v) => self.pe_name = Some(v),
            ServiceAttr::Stats64(v) => self.s64 = Some(v),
            ServiceAttr::Other(..) => {}
        }
    }

    /// The service, and its counters if a stats nest was taken.
    pub(crate) fn finish(self) -> Result<(Service, Stats), DecodeError> {
        let fam = family(
            self.af
                .ok_or_else(|| missing("the service address family"))?,
        )?;
        let key = match self.fwmark.filter(|m| *m != 0) {
            Some(fwmark) => ServiceKey::Fwmark {
                fwmark,
                family: fam,
            },
            None => ServiceKey::Addr {
                protocol: protocol(
                    self.protocol
                        .ok_or_else(|| missing("the service protocol"))?,
                )?,
                addr: ip(
                    fam,
                    self.addr.ok_or_else(|| missing("the service address"))?,
                ),
                port: self.port.ok_or_else(|| missing("the service port"))?,
            },
        };
        let raw_mask = self.netmask.ok_or_else(|| missing("the service netmask"))?;
        let netmask = match fam {
            Family::Inet => Netmask::V4(Ipv4Addr::from(raw_mask.to_ne_bytes())),
            Family::Inet6 => Netmask::V6(raw_mask as u8),
        };
        let flags = self.flags.ok_or_else(|| missing("the service flags"))?;
        let service = Service {
            key,
            scheduler: self
                .scheduler
                .ok_or_else(|| missing("the scheduler name"))?,
            // HASHED is the kernel's own bookkeeping, not a setting.
            flags: ServiceFlags(flags & !ServiceFlags::HASHED),
            timeout: self
                .timeout
                .ok_or_else(|| missing("the persistence timeout"))?,
            netmask,
            pe_name: self.pe_name.filter(|p| !p.is_empty()),
        };
        Ok((service, best_stats(self.s64.as_ref(), self.s32.as_ref())?))
    }
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
    let mut fields = DestFields::default();
    attrs.iter().cloned().for_each(|a| fields.take(a));
    fields.finish(service_family)
}

/// The attributes of one real server, taken one at a time as a reply
/// hands them over (a listing may read 100,000 of them), then the real
/// server ([`DestFields::finish`]).
#[derive(Default)]
pub(crate) struct DestFields {
    addr: Option<[u8; 16]>,
    port: Option<u16>,
    forward: Option<u32>,
    weight: Option<u32>,
    u_threshold: Option<u32>,
    l_threshold: Option<u32>,
    active: Option<u32>,
    inactive: Option<u32>,
    persist: Option<u32>,
    /// the family the kernel names; the first it names that is not
    /// known is the error
    af: Option<Result<Family, DecodeError>>,
    s32: Option<StatsBlock>,
    s64: Option<StatsBlock>,
    tunnel: Tunnel,
}

impl DestFields {
    pub(crate) fn take(&mut self, a: DestAttr) {
        match a {
            DestAttr::Addr(v) => self.addr = Some(v),
            DestAttr::Port(v) => self.port = Some(v),
            DestAttr::FwdMethod(v) => self.forward = Some(v),
            DestAttr::Weight(v) => self.weight = Some(v),
            DestAttr::UThresh(v) => self.u_threshold = Some(v),
            DestAttr::LThresh(v) => self.l_threshold = Some(v),
            DestAttr::ActiveConns(v) => self.active = Some(v),
            DestAttr::InactConns(v) => self.inactive = Some(v),
            DestAttr::PersistConns(v) => self.persist = Some(v),
            DestAttr::Stats(v) => self.s32 = Some(v),
            DestAttr::AddrFamily(v) => {
                if !matches!(self.af, Some(Err(_))) {
                    self.af = Some(family(v));
                }
            }
            DestAttr::Stats64(v) => self.s64 = Some(v),
            DestAttr::TunType(v) => self.tunnel.kind = TunnelType::from_raw(v),
            DestAttr::TunPort(v) => self.tunnel.port = v,
            DestAttr::TunFlags(v) => self.tunnel.flags = TunnelFlags(v),
            DestAttr::Other(..) => {}
        }
    }

    /// The real server of a service of `service_family` (the kernel names
    /// the server's own family since 3.18), with its counters if a stats
    /// nest was taken.
    pub(crate) fn finish(self, service_family: Family) -> Result<RealServerEntry, DecodeError> {
        let fam = self.af.unwrap_or(Ok(service_family))?;
        let forward = self
            .forward
            .ok_or_else(|| missing("the forwarding method"))?;
        Ok(RealServerEntry {
            server: RealServer {
                addr: ip(
                    fam,
                    self.addr
                        .ok_or_else(|| missing("the real server address"))?,
                ),
                port: self.port.ok_or_else(|| missing("the real server port"))?,
                forward: ForwardMethod::from_raw(forward),
                weight: self.weight.ok_or_else(|| missing("the weight"))? as i32,
                u_threshold: self
                    .u_threshold
                    .ok_or_else(|| missing("the upper threshold"))?,
                l_threshold: self
                    .l_threshold
                    .ok_or_else(|| missing("the lower threshold"))?,
                tunnel: self.tunnel,
            },
            active_conns: self
                .active
                .ok_or_else(|| missing("the active connections"))?,
            inactive_conns: self
                .inactive
                .ok_or_else(|| missing("the inactive connections"))?,
            persist_conns: self
                .persist
                .ok_or_else(|| missing("the persistent connections"))?,
            stats: best_stats(self.s64.as_ref(), self.s32.as_ref())?,
        })
    }
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
    // (nor persistence-template counts), and no counters.
    let text_lacks = detail.thresholds || detail.counters_low_bits;
    (!detail.tunnels || *forward != ForwardMethod::Tunnel) && !(from_text && text_lacks)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(base: u64) -> Vec<StatsAttr> {
        vec![
            StatsAttr::Conns(base + 1),
            StatsAttr::InPkts(base + 2),
            StatsAttr::OutPkts(base + 3),
            StatsAttr::InBytes(base + 4),
            StatsAttr::OutBytes(base + 5),
            StatsAttr::Cps(base + 6),
            StatsAttr::InPps(base + 7),
            StatsAttr::OutPps(base + 8),
            StatsAttr::InBps(base + 9),
            StatsAttr::OutBps(base + 10),
        ]
    }

    #[test]
    fn counters_read_alike_in_the_kernels_layout_and_in_any_other() {
        let base = 1 << 40;
        let expected = Stats {
            conns: base + 1,
            inpkts: base + 2,
            outpkts: base + 3,
            inbytes: base + 4,
            outbytes: base + 5,
            cps: base + 6,
            inpps: base + 7,
            outpps: base + 8,
            inbps: base + 9,
            outbps: base + 10,
        };
        let kernel = StatsBlock::new(&counters(base), true);
        assert_eq!(
            stats64_as_the_kernel_lays_out(kernel.payload()),
            Some(expected)
        );
        assert_eq!(stats_of_nest(kernel.payload(), true).unwrap(), expected);
        // Another order, padding or an unknown attribute: the typed parser.
        let mut reordered = counters(base);
        reordered.reverse();
        let mut padded = counters(base);
        padded.insert(3, StatsAttr::Pad(vec![]));
        let mut extended = counters(base);
        extended[9] = StatsAttr::Other(12, vec![0; 8]);
        for attrs in [reordered, padded, extended] {
            let block = StatsBlock::new(&attrs, true);
            assert_eq!(stats64_as_the_kernel_lays_out(block.payload()), None);
            let read = stats_of_nest(block.payload(), true).unwrap();
            assert_eq!((read.conns, read.inbytes), (base + 1, base + 4));
        }
        // The 32-bit nest is never taken for the 64-bit one.
        let narrow = StatsBlock::new(&counters(0), false);
        assert_eq!(stats_of_nest(narrow.payload(), false).unwrap().outbps, 10);
    }
}
