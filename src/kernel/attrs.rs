//! The IPVS generic netlink vocabulary: commands and one typed enum per
//! attribute space (`IPVS_CMD_ATTR_*`, `IPVS_SVC_ATTR_*`, `IPVS_DEST_ATTR_*`,
//! `IPVS_DAEMON_ATTR_*`, `IPVS_STATS_ATTR_*`, `IPVS_INFO_ATTR_*`). Unknown
//! attributes are kept as `Other`, so parse-then-emit is lossless.

use super::wire::{parse_attrs, Attr, AttrWriter, DecodeError};

pub(crate) const FAMILY_NAME: &str = "IPVS";
pub(crate) const GENL_VERSION: u8 = 1;

/// `IPVS_CMD_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Cmd {
    NewService = 1,
    SetService = 2,
    DelService = 3,
    GetService = 4,
    NewDest = 5,
    SetDest = 6,
    DelDest = 7,
    GetDest = 8,
    NewDaemon = 9,
    DelDaemon = 10,
    GetDaemon = 11,
    SetConfig = 12,
    GetConfig = 13,
    #[allow(dead_code)] // never sent; the numbering is the kernel's
    SetInfo = 14,
    GetInfo = 15,
    Zero = 16,
    Flush = 17,
}

/// `IPVS_STATS_ATTR_*`: 32-bit counters in `STATS` (bytes are 64-bit in
/// both), all 64-bit in `STATS64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StatsAttr {
    Conns(u64),
    InPkts(u64),
    OutPkts(u64),
    InBytes(u64),
    OutBytes(u64),
    Cps(u64),
    InPps(u64),
    OutPps(u64),
    InBps(u64),
    OutBps(u64),
    Pad(Vec<u8>),
    Other(u16, Vec<u8>),
}

impl StatsAttr {
    /// `IPVS_STATS_ATTR_CONNS`
    pub(crate) const CONNS: u16 = 1;
    /// `IPVS_STATS_ATTR_INPKTS`
    pub(crate) const INPKTS: u16 = 2;
    /// `IPVS_STATS_ATTR_OUTPKTS`
    pub(crate) const OUTPKTS: u16 = 3;
    /// `IPVS_STATS_ATTR_INBYTES`
    pub(crate) const INBYTES: u16 = 4;
    /// `IPVS_STATS_ATTR_OUTBYTES`
    pub(crate) const OUTBYTES: u16 = 5;
    /// `IPVS_STATS_ATTR_CPS`
    pub(crate) const CPS: u16 = 6;
    /// `IPVS_STATS_ATTR_INPPS`
    pub(crate) const INPPS: u16 = 7;
    /// `IPVS_STATS_ATTR_OUTPPS`
    pub(crate) const OUTPPS: u16 = 8;
    /// `IPVS_STATS_ATTR_INBPS`
    pub(crate) const INBPS: u16 = 9;
    /// `IPVS_STATS_ATTR_OUTBPS`
    pub(crate) const OUTBPS: u16 = 10;
    /// `IPVS_STATS_ATTR_PAD`
    pub(crate) const PAD: u16 = 11;

    fn parse(a: &Attr<'_>, wide: bool) -> Result<StatsAttr, DecodeError> {
        let counter = |a: &Attr<'_>| {
            if wide {
                a.u64()
            } else {
                a.u32().map(u64::from)
            }
        };
        Ok(match a.kind {
            Self::CONNS => StatsAttr::Conns(counter(a)?),
            Self::INPKTS => StatsAttr::InPkts(counter(a)?),
            Self::OUTPKTS => StatsAttr::OutPkts(counter(a)?),
            Self::INBYTES => StatsAttr::InBytes(a.u64()?),
            Self::OUTBYTES => StatsAttr::OutBytes(a.u64()?),
            Self::CPS => StatsAttr::Cps(counter(a)?),
            Self::INPPS => StatsAttr::InPps(counter(a)?),
            Self::OUTPPS => StatsAttr::OutPps(counter(a)?),
            Self::INBPS => StatsAttr::InBps(counter(a)?),
            Self::OUTBPS => StatsAttr::OutBps(counter(a)?),
            Self::PAD => StatsAttr::Pad(a.payload.to_vec()),
            kind => StatsAttr::Other(kind, a.payload.to_vec()),
        })
    }

    #[cfg(any(test, fuzzing))]
    fn emit(&self, w: &mut AttrWriter, wide: bool) {
        let mut counter = |kind: u16, v: u64| {
            if wide {
                w.u64(kind, v);
            } else {
                w.u32(kind, v as u32);
            }
        };
        match self {
            StatsAttr::Conns(v) => counter(Self::CONNS, *v),
            StatsAttr::InPkts(v) => counter(Self::INPKTS, *v),
            StatsAttr::OutPkts(v) => counter(Self::OUTPKTS, *v),
            StatsAttr::InBytes(v) => {
                w.u64(Self::INBYTES, *v);
            }
            StatsAttr::OutBytes(v) => {
                w.u64(Self::OUTBYTES, *v);
            }
            StatsAttr::Cps(v) => counter(Self::CPS, *v),
            StatsAttr::InPps(v) => counter(Self::INPPS, *v),
            StatsAttr::OutPps(v) => counter(Self::OUTPPS, *v),
            StatsAttr::InBps(v) => counter(Self::INBPS, *v),
            StatsAttr::OutBps(v) => counter(Self::OUTBPS, *v),
            StatsAttr::Pad(p) => {
                w.bytes(Self::PAD, p);
            }
            StatsAttr::Other(kind, p) => {
                w.bytes(*kind, p);
            }
        }
    }
}

/// A stats nest (`STATS`, or `STATS64` when `wide`), kept as its bytes and
/// read on demand: parse-then-emit stays lossless, and a dump of 100,000
/// real servers does not build two million `StatsAttr`s on the way
/// ([`StatsBlock::each`] reads them one at a time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatsBlock {
    bytes: Vec<u8>,
    wide: bool,
}

impl StatsBlock {
    #[cfg(any(test, fuzzing))]
    pub(crate) fn new(attrs: &[StatsAttr], wide: bool) -> StatsBlock {
        let mut w = AttrWriter::new();
        for attr in attrs {
            attr.emit(&mut w, wide);
        }
        StatsBlock {
            bytes: w.into_bytes(),
            wide,
        }
    }

    /// Read when its counters are asked for (a damaged block fails then).
    fn parse(a: &Attr<'_>, wide: bool) -> StatsBlock {
        StatsBlock {
            bytes: a.payload.to_vec(),
            wide,
        }
    }

    /// Every attribute, in order, to `visit` (no list is built).
    pub(crate) fn each(&self, mut visit: impl FnMut(StatsAttr)) -> Result<(), DecodeError> {
        // A vector of `()` never allocates.
        parse_attrs(&self.bytes, |a| {
            StatsAttr::parse(a, self.wide).map(&mut visit)
        })?;
        Ok(())
    }

    fn emit(&self, w: &mut AttrWriter, kind: u16) {
        w.bytes(kind, &self.bytes);
    }
}

/// `IPVS_SVC_ATTR_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServiceAttr {
    Af(u16),
    Protocol(u16),
    /// `union nf_inet_addr`: IPv4 in the first 4 bytes
    Addr([u8; 16]),
    /// host order here; big-endian on the wire
    Port(u16),
    Fwmark(u32),
    SchedName(String),
    Flags {
        flags: u32,
        mask: u32,
    },
    Timeout(u32),
    /// raw u32: an IPv4 mask as its network-order bytes, or an IPv6 prefix length
    Netmask(u32),
    Stats(StatsBlock),
    PeName(String),
    Stats64(StatsBlock),
    Other(u16, Vec<u8>),
}

impl ServiceAttr {
    /// `IPVS_SVC_ATTR_AF`
    pub(crate) const AF: u16 = 1;
    /// `IPVS_SVC_ATTR_PROTOCOL`
    pub(crate) const PROTOCOL: u16 = 2;
    /// `IPVS_SVC_ATTR_ADDR`
    pub(crate) const ADDR: u16 = 3;
    /// `IPVS_SVC_ATTR_PORT`
    pub(crate) const PORT: u16 = 4;
    /// `IPVS_SVC_ATTR_FWMARK`
    pub(crate) const FWMARK: u16 = 5;
    /// `IPVS_SVC_ATTR_SCHED_NAME`
    pub(crate) const SCHED_NAME: u16 = 6;
    /// `IPVS_SVC_ATTR_FLAGS`
    pub(crate) const FLAGS: u16 = 7;
    /// `IPVS_SVC_ATTR_TIMEOUT`
    pub(crate) const TIMEOUT: u16 = 8;
    /// `IPVS_SVC_ATTR_NETMASK`
    pub(crate) const NETMASK: u16 = 9;
    /// `IPVS_SVC_ATTR_STATS`
    pub(crate) const STATS: u16 = 10;
    /// `IPVS_SVC_ATTR_PE_NAME`
    pub(crate) const PE_NAME: u16 = 11;
    /// `IPVS_SVC_ATTR_STATS64`
    pub(crate) const STATS64: u16 = 12;

    pub(crate) fn parse(a: &Attr<'_>) -> Result<ServiceAttr, DecodeError> {
        Ok(match a.kind {
            Self::AF => ServiceAttr::Af(a.u16()?),
            Self::PROTOCOL => ServiceAttr::Protocol(a.u16()?),
            Self::ADDR => ServiceAttr::Addr(a.fixed::<16>()?),
            Self::PORT => ServiceAttr::Port(a.be16()?),
            Self::FWMARK => ServiceAttr::Fwmark(a.u32()?),
            Self::SCHED_NAME => ServiceAttr::SchedName(a.string()?),
            Self::FLAGS => {
                let b = a.fixed::<8>()?;
                ServiceAttr::Flags {
                    flags: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
                    mask: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
                }
            }
            Self::TIMEOUT => ServiceAttr::Timeout(a.u32()?),
            Self::NETMASK => ServiceAttr::Netmask(a.u32()?),
            Self::STATS => ServiceAttr::Stats(StatsBlock::parse(a, false)),
            Self::PE_NAME => ServiceAttr::PeName(a.string()?),
            Self::STATS64 => ServiceAttr::Stats64(StatsBlock::parse(a, true)),
            kind => ServiceAttr::Other(kind, a.payload.to_vec()),
        })
    }

    pub(crate) fn emit(&self, w: &mut AttrWriter) {
        match self {
            ServiceAttr::Af(v) => w.u16(Self::AF, *v),
            ServiceAttr::Protocol(v) => w.u16(Self::PROTOCOL, *v),
            ServiceAttr::Addr(v) => w.addr(Self::ADDR, *v),
            ServiceAttr::Port(v) => w.be16(Self::PORT, *v),
            ServiceAttr::Fwmark(v) => w.u32(Self::FWMARK, *v),
            ServiceAttr::SchedName(v) => w.string(Self::SCHED_NAME, v),
            ServiceAttr::Flags { flags, mask } => w.u32_pair(Self::FLAGS, *flags, *mask),
            ServiceAttr::Timeout(v) => w.u32(Self::TIMEOUT, *v),
            ServiceAttr::Netmask(v) => w.u32(Self::NETMASK, *v),
            ServiceAttr::Stats(s) => {
                s.emit(w, Self::STATS);
                w
            }
            ServiceAttr::PeName(v) => w.string(Self::PE_NAME, v),
            ServiceAttr::Stats64(s) => {
                s.emit(w, Self::STATS64);
                w
            }
            ServiceAttr::Other(kind, p) => w.bytes(*kind, p),
        };
    }
}

/// `IPVS_DEST_ATTR_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DestAttr {
    Addr([u8; 16]),
    /// host order here; big-endian on the wire
    Port(u16),
    FwdMethod(u32),
    Weight(u32),
    UThresh(u32),
    LThresh(u32),
    ActiveConns(u32),
    InactConns(u32),
    PersistConns(u32),
    Stats(StatsBlock),
    AddrFamily(u16),
    Stats64(StatsBlock),
    TunType(u8),
    /// host order here; big-endian on the wire
    TunPort(u16),
    TunFlags(u16),
    Other(u16, Vec<u8>),
}

impl DestAttr {
    /// `IPVS_DEST_ATTR_ADDR`
    pub(crate) const ADDR: u16 = 1;
    /// `IPVS_DEST_ATTR_PORT`
    pub(crate) const PORT: u16 = 2;
    /// `IPVS_DEST_ATTR_FWD_METHOD`
    pub(crate) const FWD_METHOD: u16 = 3;
    /// `IPVS_DEST_ATTR_WEIGHT`
    pub(crate) const WEIGHT: u16 = 4;
    /// `IPVS_DEST_ATTR_U_THRESH`
    pub(crate) const U_THRESH: u16 = 5;
    /// `IPVS_DEST_ATTR_L_THRESH`
    pub(crate) const L_THRESH: u16 = 6;
    /// `IPVS_DEST_ATTR_ACTIVE_CONNS`
    pub(crate) const ACTIVE_CONNS: u16 = 7;
    /// `IPVS_DEST_ATTR_INACT_CONNS`
    pub(crate) const INACT_CONNS: u16 = 8;
    /// `IPVS_DEST_ATTR_PERSIST_CONNS`
    pub(crate) const PERSIST_CONNS: u16 = 9;
    /// `IPVS_DEST_ATTR_STATS`
    pub(crate) const STATS: u16 = 10;
    /// `IPVS_DEST_ATTR_ADDR_FAMILY`
    pub(crate) const ADDR_FAMILY: u16 = 11;
    /// `IPVS_DEST_ATTR_STATS64`
    pub(crate) const STATS64: u16 = 12;
    /// `IPVS_DEST_ATTR_TUN_TYPE`
    pub(crate) const TUN_TYPE: u16 = 13;
    /// `IPVS_DEST_ATTR_TUN_PORT`
    pub(crate) const TUN_PORT: u16 = 14;
    /// `IPVS_DEST_ATTR_TUN_FLAGS`
    pub(crate) const TUN_FLAGS: u16 = 15;

    pub(crate) fn parse(a: &Attr<'_>) -> Result<DestAttr, DecodeError> {
        Ok(match a.kind {
            Self::ADDR => DestAttr::Addr(a.fixed::<16>()?),
            Self::PORT => DestAttr::Port(a.be16()?),
            Self::FWD_METHOD => DestAttr::FwdMethod(a.u32()?),
            Self::WEIGHT => DestAttr::Weight(a.u32()?),
            Self::U_THRESH => DestAttr::UThresh(a.u32()?),
            Self::L_THRESH => DestAttr::LThresh(a.u32()?),
            Self::ACTIVE_CONNS => DestAttr::ActiveConns(a.u32()?),
            Self::INACT_CONNS => DestAttr::InactConns(a.u32()?),
            Self::PERSIST_CONNS => DestAttr::PersistConns(a.u32()?),
            Self::STATS => DestAttr::Stats(StatsBlock::parse(a, false)),
            Self::ADDR_FAMILY => DestAttr::AddrFamily(a.u16()?),
            Self::STATS64 => DestAttr::Stats64(StatsBlock::parse(a, true)),
            Self::TUN_TYPE => DestAttr::TunType(a.u8()?),
            Self::TUN_PORT => DestAttr::TunPort(a.be16()?),
            Self::TUN_FLAGS => DestAttr::TunFlags(a.u16()?),
            kind => DestAttr::Other(kind, a.payload.to_vec()),
        })
    }

    pub(crate) fn emit(&self, w: &mut AttrWriter) {
        match self {
            DestAttr::Addr(v) => w.addr(Self::ADDR, *v),
            DestAttr::Port(v) => w.be16(Self::PORT, *v),
            DestAttr::FwdMethod(v) => w.u32(Self::FWD_METHOD, *v),
            DestAttr::Weight(v) => w.u32(Self::WEIGHT, *v),
            DestAttr::UThresh(v) => w.u32(Self::U_THRESH, *v),
            DestAttr::LThresh(v) => w.u32(Self::L_THRESH, *v),
            DestAttr::ActiveConns(v) => w.u32(Self::ACTIVE_CONNS, *v),
            DestAttr::InactConns(v) => w.u32(Self::INACT_CONNS, *v),
            DestAttr::PersistConns(v) => w.u32(Self::PERSIST_CONNS, *v),
            DestAttr::Stats(s) => {
                s.emit(w, Self::STATS);
                w
            }
            DestAttr::AddrFamily(v) => w.u16(Self::ADDR_FAMILY, *v),
            DestAttr::Stats64(s) => {
                s.emit(w, Self::STATS64);
                w
            }
            DestAttr::TunType(v) => w.u8(Self::TUN_TYPE, *v),
            DestAttr::TunPort(v) => w.be16(Self::TUN_PORT, *v),
            DestAttr::TunFlags(v) => w.u16(Self::TUN_FLAGS, *v),
            DestAttr::Other(kind, p) => w.bytes(*kind, p),
        };
    }
}

/// `IPVS_DAEMON_ATTR_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DaemonAttr {
    State(u32),
    McastIfn(String),
    SyncId(u32),
    SyncMaxlen(u16),
    /// an IPv4 address in network order
    McastGroup([u8; 4]),
    McastGroup6([u8; 16]),
    McastPort(u16),
    McastTtl(u8),
    Other(u16, Vec<u8>),
}

impl DaemonAttr {
    /// `IPVS_DAEMON_ATTR_STATE`
    pub(crate) const STATE: u16 = 1;
    /// `IPVS_DAEMON_ATTR_MCAST_IFN`
    pub(crate) const MCAST_IFN: u16 = 2;
    /// `IPVS_DAEMON_ATTR_SYNC_ID`
    pub(crate) const SYNC_ID: u16 = 3;
    /// `IPVS_DAEMON_ATTR_SYNC_MAXLEN`
    pub(crate) const SYNC_MAXLEN: u16 = 4;
    /// `IPVS_DAEMON_ATTR_MCAST_GROUP`
    pub(crate) const MCAST_GROUP: u16 = 5;
    /// `IPVS_DAEMON_ATTR_MCAST_GROUP6`
    pub(crate) const MCAST_GROUP6: u16 = 6;
    /// `IPVS_DAEMON_ATTR_MCAST_PORT`
    pub(crate) const MCAST_PORT: u16 = 7;
    /// `IPVS_DAEMON_ATTR_MCAST_TTL`
    pub(crate) const MCAST_TTL: u16 = 8;

    pub(crate) fn parse(a: &Attr<'_>) -> Result<DaemonAttr, DecodeError> {
        Ok(match a.kind {
            Self::STATE => DaemonAttr::State(a.u32()?),
            Self::MCAST_IFN => DaemonAttr::McastIfn(a.string()?),
            Self::SYNC_ID => DaemonAttr::SyncId(a.u32()?),
            Self::SYNC_MAXLEN => DaemonAttr::SyncMaxlen(a.u16()?),
            Self::MCAST_GROUP => DaemonAttr::McastGroup(a.fixed::<4>()?),
            Self::MCAST_GROUP6 => DaemonAttr::McastGroup6(a.fixed::<16>()?),
            Self::MCAST_PORT => DaemonAttr::McastPort(a.u16()?),
            Self::MCAST_TTL => DaemonAttr::McastTtl(a.u8()?),
            kind => DaemonAttr::Other(kind, a.payload.to_vec()),
        })
    }

    pub(crate) fn emit(&self, w: &mut AttrWriter) {
        match self {
            DaemonAttr::State(v) => w.u32(Self::STATE, *v),
            DaemonAttr::McastIfn(v) => w.string(Self::MCAST_IFN, v),
            DaemonAttr::SyncId(v) => w.u32(Self::SYNC_ID, *v),
            DaemonAttr::SyncMaxlen(v) => w.u16(Self::SYNC_MAXLEN, *v),
            DaemonAttr::McastGroup(v) => w.bytes(Self::MCAST_GROUP, v),
            DaemonAttr::McastGroup6(v) => w.bytes(Self::MCAST_GROUP6, v),
            DaemonAttr::McastPort(v) => w.u16(Self::MCAST_PORT, *v),
            DaemonAttr::McastTtl(v) => w.u8(Self::MCAST_TTL, *v),
            DaemonAttr::Other(kind, p) => w.bytes(*kind, p),
        };
    }
}

/// `IPVS_CMD_ATTR_*`: the top level of requests and most replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CmdAttr {
    Service(Vec<ServiceAttr>),
    Dest(Vec<DestAttr>),
    Daemon(Vec<DaemonAttr>),
    TimeoutTcp(u32),
    TimeoutTcpFin(u32),
    TimeoutUdp(u32),
    Other(u16, Vec<u8>),
}

fn nested<T>(
    a: &Attr<'_>,
    parse: fn(&Attr<'_>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    parse_attrs(a.payload, parse)
}

impl CmdAttr {
    /// `IPVS_CMD_ATTR_SERVICE`
    pub(crate) const SERVICE: u16 = 1;
    /// `IPVS_CMD_ATTR_DEST`
    pub(crate) const DEST: u16 = 2;
    /// `IPVS_CMD_ATTR_DAEMON`
    pub(crate) const DAEMON: u16 = 3;
    /// `IPVS_CMD_ATTR_TIMEOUT_TCP`
    pub(crate) const TIMEOUT_TCP: u16 = 4;
    /// `IPVS_CMD_ATTR_TIMEOUT_TCP_FIN`
    pub(crate) const TIMEOUT_TCP_FIN: u16 = 5;
    /// `IPVS_CMD_ATTR_TIMEOUT_UDP`
    pub(crate) const TIMEOUT_UDP: u16 = 6;

    /// A `Service` nest whose attributes `fill` hands over one at a time
    /// (requests are encoded without building the list).
    pub(crate) fn emit_service(
        w: &mut AttrWriter,
        fill: impl FnOnce(&mut dyn FnMut(&ServiceAttr)),
    ) {
        w.nest(CmdAttr::SERVICE, |inner| fill(&mut |a| a.emit(inner)));
    }

    /// A `Dest` nest whose attributes `fill` hands over one at a time.
    pub(crate) fn emit_dest(w: &mut AttrWriter, fill: impl FnOnce(&mut dyn FnMut(&DestAttr))) {
        w.nest(CmdAttr::DEST, |inner| fill(&mut |a| a.emit(inner)));
    }

    pub(crate) fn parse(a: &Attr<'_>) -> Result<CmdAttr, DecodeError> {
        Ok(match a.kind {
            CmdAttr::SERVICE => CmdAttr::Service(nested(a, ServiceAttr::parse)?),
            CmdAttr::DEST => CmdAttr::Dest(nested(a, DestAttr::parse)?),
            CmdAttr::DAEMON => CmdAttr::Daemon(nested(a, DaemonAttr::parse)?),
            CmdAttr::TIMEOUT_TCP => CmdAttr::TimeoutTcp(a.u32()?),
            CmdAttr::TIMEOUT_TCP_FIN => CmdAttr::TimeoutTcpFin(a.u32()?),
            CmdAttr::TIMEOUT_UDP => CmdAttr::TimeoutUdp(a.u32()?),
            kind => CmdAttr::Other(kind, a.payload.to_vec()),
        })
    }

    pub(crate) fn emit(&self, w: &mut AttrWriter) {
        match self {
            CmdAttr::Service(attrs) => {
                CmdAttr::emit_service(w, |each| attrs.iter().for_each(each));
            }
            CmdAttr::Dest(attrs) => {
                CmdAttr::emit_dest(w, |each| attrs.iter().for_each(each));
            }
            CmdAttr::Daemon(attrs) => {
                w.nest(CmdAttr::DAEMON, |inner| {
                    attrs.iter().for_each(|a| a.emit(inner))
                });
            }
            CmdAttr::TimeoutTcp(v) => {
                w.u32(CmdAttr::TIMEOUT_TCP, *v);
            }
            CmdAttr::TimeoutTcpFin(v) => {
                w.u32(CmdAttr::TIMEOUT_TCP_FIN, *v);
            }
            CmdAttr::TimeoutUdp(v) => {
                w.u32(CmdAttr::TIMEOUT_UDP, *v);
            }
            CmdAttr::Other(kind, p) => {
                w.bytes(*kind, p);
            }
        }
    }
}

/// `IPVS_INFO_ATTR_*` (the reply to `GET_INFO`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InfoAttr {
    Version(u32),
    ConnTabSize(u32),
    Other(u16, Vec<u8>),
}

impl InfoAttr {
    /// `IPVS_INFO_ATTR_VERSION`
    pub(crate) const VERSION: u16 = 1;
    /// `IPVS_INFO_ATTR_CONNTAB_SIZE`
    pub(crate) const CONNTAB_SIZE: u16 = 2;

    pub(crate) fn parse(a: &Attr<'_>) -> Result<InfoAttr, DecodeError> {
        Ok(match a.kind {
            Self::VERSION => InfoAttr::Version(a.u32()?),
            Self::CONNTAB_SIZE => InfoAttr::ConnTabSize(a.u32()?),
            kind => InfoAttr::Other(kind, a.payload.to_vec()),
        })
    }

    #[cfg(any(test, fuzzing))]
    pub(crate) fn emit(&self, w: &mut AttrWriter) {
        match self {
            InfoAttr::Version(v) => w.u32(Self::VERSION, *v),
            InfoAttr::ConnTabSize(v) => w.u32(Self::CONNTAB_SIZE, *v),
            InfoAttr::Other(kind, p) => w.bytes(*kind, p),
        };
    }
}

/// Encode a list of top-level attributes.
pub(crate) fn emit_all(attrs: &[CmdAttr]) -> Vec<u8> {
    let mut w = AttrWriter::new();
    attrs.iter().for_each(|a| a.emit(&mut w));
    w.into_bytes()
}

#[cfg(any(test, fuzzing))]
mod tests {
    use super::*;

    /// A stats block reads back what was written into it, in order, in
    /// either width, and emits the same bytes it was parsed from.
    #[test]
    fn stats_blocks_read_back_what_they_hold() {
        let attrs = vec![
            StatsAttr::Conns(5),
            StatsAttr::Pad(Vec::new()),
            StatsAttr::InBytes(1 << 40),
            StatsAttr::OutPps(7),
            StatsAttr::Other(99, vec![1, 2, 3]),
        ];
        for wide in [false, true] {
            let block = StatsBlock::new(&attrs, wide);
            let mut seen = Vec::new();
            block.each(|a| seen.push(a)).unwrap();
            assert_eq!(seen, attrs);
            let mut w = AttrWriter::new();
            block.emit(&mut w, 12);
            let bytes = w.into_bytes();
            let outer = crate::kernel::wire::attrs(&bytes).unwrap();
            assert_eq!(StatsBlock::parse(&outer[0], wide), block);
        }
        let damaged = StatsBlock {
            bytes: vec![9, 0, 1, 0, 0],
            wide: true,
        };
        assert!(damaged.each(|_| {}).is_err());
    }
}
