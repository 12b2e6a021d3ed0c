//! The IPVS generic netlink vocabulary: commands and one typed enum per
//! attribute space (`IPVS_CMD_ATTR_*`, `IPVS_SVC_ATTR_*`, `IPVS_DEST_ATTR_*`,
//! `IPVS_DAEMON_ATTR_*`, `IPVS_STATS_ATTR_*`, `IPVS_INFO_ATTR_*`). Unknown
//! attributes are kept as `Other`, so parse-then-emit is lossless.

use super::wire::{parse_attrs, Attr, AttrWriter, DecodeError};

pub const FAMILY_NAME: &str = "IPVS";
pub const GENL_VERSION: u8 = 1;

/// `IPVS_CMD_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Cmd {
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
    SetInfo = 14,
    GetInfo = 15,
    Zero = 16,
    Flush = 17,
}

/// `IPVS_STATS_ATTR_*`: 32-bit counters in `STATS` (bytes are 64-bit in
/// both), all 64-bit in `STATS64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsAttr {
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
    fn parse(a: &Attr<'_>, wide: bool) -> Result<StatsAttr, DecodeError> {
        let counter = |a: &Attr<'_>| {
            if wide {
                a.u64()
            } else {
                a.u32().map(u64::from)
            }
        };
        Ok(match a.kind {
            1 => StatsAttr::Conns(counter(a)?),
            2 => StatsAttr::InPkts(counter(a)?),
            3 => StatsAttr::OutPkts(counter(a)?),
            4 => StatsAttr::InBytes(a.u64()?),
            5 => StatsAttr::OutBytes(a.u64()?),
            6 => StatsAttr::Cps(counter(a)?),
            7 => StatsAttr::InPps(counter(a)?),
            8 => StatsAttr::OutPps(counter(a)?),
            9 => StatsAttr::InBps(counter(a)?),
            10 => StatsAttr::OutBps(counter(a)?),
            11 => StatsAttr::Pad(a.payload.to_vec()),
            kind => StatsAttr::Other(kind, a.payload.to_vec()),
        })
    }

    fn emit(&self, w: &mut AttrWriter, wide: bool) {
        let mut counter = |kind: u16, v: u64| {
            if wide {
                w.u64(kind, v);
            } else {
                w.u32(kind, v as u32);
            }
        };
        match self {
            StatsAttr::Conns(v) => counter(1, *v),
            StatsAttr::InPkts(v) => counter(2, *v),
            StatsAttr::OutPkts(v) => counter(3, *v),
            StatsAttr::InBytes(v) => {
                w.u64(4, *v);
            }
            StatsAttr::OutBytes(v) => {
                w.u64(5, *v);
            }
            StatsAttr::Cps(v) => counter(6, *v),
            StatsAttr::InPps(v) => counter(7, *v),
            StatsAttr::OutPps(v) => counter(8, *v),
            StatsAttr::InBps(v) => counter(9, *v),
            StatsAttr::OutBps(v) => counter(10, *v),
            StatsAttr::Pad(p) => {
                w.bytes(11, p);
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
pub struct StatsBlock {
    bytes: Vec<u8>,
    wide: bool,
}

impl StatsBlock {
    pub fn new(attrs: &[StatsAttr], wide: bool) -> StatsBlock {
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
    pub fn each(&self, mut visit: impl FnMut(StatsAttr)) -> Result<(), DecodeError> {
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
pub enum ServiceAttr {
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
    pub fn parse(a: &Attr<'_>) -> Result<ServiceAttr, DecodeError> {
        Ok(match a.kind {
            1 => ServiceAttr::Af(a.u16()?),
            2 => ServiceAttr::Protocol(a.u16()?),
            3 => ServiceAttr::Addr(a.fixed::<16>()?),
            4 => ServiceAttr::Port(a.be16()?),
            5 => ServiceAttr::Fwmark(a.u32()?),
            6 => ServiceAttr::SchedName(a.string()?),
            7 => {
                let b = a.fixed::<8>()?;
                ServiceAttr::Flags {
                    flags: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
                    mask: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
                }
            }
            8 => ServiceAttr::Timeout(a.u32()?),
            9 => ServiceAttr::Netmask(a.u32()?),
            10 => ServiceAttr::Stats(StatsBlock::parse(a, false)),
            11 => ServiceAttr::PeName(a.string()?),
            12 => ServiceAttr::Stats64(StatsBlock::parse(a, true)),
            kind => ServiceAttr::Other(kind, a.payload.to_vec()),
        })
    }

    pub fn emit(&self, w: &mut AttrWriter) {
        match self {
            ServiceAttr::Af(v) => w.u16(1, *v),
            ServiceAttr::Protocol(v) => w.u16(2, *v),
            ServiceAttr::Addr(v) => w.addr(3, *v),
            ServiceAttr::Port(v) => w.be16(4, *v),
            ServiceAttr::Fwmark(v) => w.u32(5, *v),
            ServiceAttr::SchedName(v) => w.string(6, v),
            ServiceAttr::Flags { flags, mask } => w.u32_pair(7, *flags, *mask),
            ServiceAttr::Timeout(v) => w.u32(8, *v),
            ServiceAttr::Netmask(v) => w.u32(9, *v),
            ServiceAttr::Stats(s) => {
                s.emit(w, 10);
                w
            }
            ServiceAttr::PeName(v) => w.string(11, v),
            ServiceAttr::Stats64(s) => {
                s.emit(w, 12);
                w
            }
            ServiceAttr::Other(kind, p) => w.bytes(*kind, p),
        };
    }
}

/// `IPVS_DEST_ATTR_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestAttr {
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
    pub fn parse(a: &Attr<'_>) -> Result<DestAttr, DecodeError> {
        Ok(match a.kind {
            1 => DestAttr::Addr(a.fixed::<16>()?),
            2 => DestAttr::Port(a.be16()?),
            3 => DestAttr::FwdMethod(a.u32()?),
            4 => DestAttr::Weight(a.u32()?),
            5 => DestAttr::UThresh(a.u32()?),
            6 => DestAttr::LThresh(a.u32()?),
            7 => DestAttr::ActiveConns(a.u32()?),
            8 => DestAttr::InactConns(a.u32()?),
            9 => DestAttr::PersistConns(a.u32()?),
            10 => DestAttr::Stats(StatsBlock::parse(a, false)),
            11 => DestAttr::AddrFamily(a.u16()?),
            12 => DestAttr::Stats64(StatsBlock::parse(a, true)),
            13 => DestAttr::TunType(a.u8()?),
            14 => DestAttr::TunPort(a.be16()?),
            15 => DestAttr::TunFlags(a.u16()?),
            kind => DestAttr::Other(kind, a.payload.to_vec()),
        })
    }

    pub fn emit(&self, w: &mut AttrWriter) {
        match self {
            DestAttr::Addr(v) => w.addr(1, *v),
            DestAttr::Port(v) => w.be16(2, *v),
            DestAttr::FwdMethod(v) => w.u32(3, *v),
            DestAttr::Weight(v) => w.u32(4, *v),
            DestAttr::UThresh(v) => w.u32(5, *v),
            DestAttr::LThresh(v) => w.u32(6, *v),
            DestAttr::ActiveConns(v) => w.u32(7, *v),
            DestAttr::InactConns(v) => w.u32(8, *v),
            DestAttr::PersistConns(v) => w.u32(9, *v),
            DestAttr::Stats(s) => {
                s.emit(w, 10);
                w
            }
            DestAttr::AddrFamily(v) => w.u16(11, *v),
            DestAttr::Stats64(s) => {
                s.emit(w, 12);
                w
            }
            DestAttr::TunType(v) => w.u8(13, *v),
            DestAttr::TunPort(v) => w.be16(14, *v),
            DestAttr::TunFlags(v) => w.u16(15, *v),
            DestAttr::Other(kind, p) => w.bytes(*kind, p),
        };
    }
}

/// `IPVS_DAEMON_ATTR_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonAttr {
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
    pub fn parse(a: &Attr<'_>) -> Result<DaemonAttr, DecodeError> {
        Ok(match a.kind {
            1 => DaemonAttr::State(a.u32()?),
            2 => DaemonAttr::McastIfn(a.string()?),
            3 => DaemonAttr::SyncId(a.u32()?),
            4 => DaemonAttr::SyncMaxlen(a.u16()?),
            5 => DaemonAttr::McastGroup(a.fixed::<4>()?),
            6 => DaemonAttr::McastGroup6(a.fixed::<16>()?),
            7 => DaemonAttr::McastPort(a.u16()?),
            8 => DaemonAttr::McastTtl(a.u8()?),
            kind => DaemonAttr::Other(kind, a.payload.to_vec()),
        })
    }

    pub fn emit(&self, w: &mut AttrWriter) {
        match self {
            DaemonAttr::State(v) => w.u32(1, *v),
            DaemonAttr::McastIfn(v) => w.string(2, v),
            DaemonAttr::SyncId(v) => w.u32(3, *v),
            DaemonAttr::SyncMaxlen(v) => w.u16(4, *v),
            DaemonAttr::McastGroup(v) => w.bytes(5, v),
            DaemonAttr::McastGroup6(v) => w.bytes(6, v),
            DaemonAttr::McastPort(v) => w.u16(7, *v),
            DaemonAttr::McastTtl(v) => w.u8(8, *v),
            DaemonAttr::Other(kind, p) => w.bytes(*kind, p),
        };
    }
}

/// `IPVS_CMD_ATTR_*`: the top level of requests and most replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdAttr {
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
    /// The kinds of the nests of a service and of a real server.
    pub const SERVICE: u16 = 1;
    pub const DEST: u16 = 2;

    /// A `Service` nest whose attributes `fill` hands over one at a time
    /// (requests are encoded without building the list).
    pub fn emit_service(w: &mut AttrWriter, fill: impl FnOnce(&mut dyn FnMut(&ServiceAttr))) {
        w.nest(CmdAttr::SERVICE, |inner| fill(&mut |a| a.emit(inner)));
    }

    /// A `Dest` nest whose attributes `fill` hands over one at a time.
    pub fn emit_dest(w: &mut AttrWriter, fill: impl FnOnce(&mut dyn FnMut(&DestAttr))) {
        w.nest(CmdAttr::DEST, |inner| fill(&mut |a| a.emit(inner)));
    }

    pub fn parse(a: &Attr<'_>) -> Result<CmdAttr, DecodeError> {
        Ok(match a.kind {
            CmdAttr::SERVICE => CmdAttr::Service(nested(a, ServiceAttr::parse)?),
            CmdAttr::DEST => CmdAttr::Dest(nested(a, DestAttr::parse)?),
            3 => CmdAttr::Daemon(nested(a, DaemonAttr::parse)?),
            4 => CmdAttr::TimeoutTcp(a.u32()?),
            5 => CmdAttr::TimeoutTcpFin(a.u32()?),
            6 => CmdAttr::TimeoutUdp(a.u32()?),
            kind => CmdAttr::Other(kind, a.payload.to_vec()),
        })
    }

    pub fn emit(&self, w: &mut AttrWriter) {
        match self {
            CmdAttr::Service(attrs) => {
                CmdAttr::emit_service(w, |each| attrs.iter().for_each(each));
            }
            CmdAttr::Dest(attrs) => {
                CmdAttr::emit_dest(w, |each| attrs.iter().for_each(each));
            }
            CmdAttr::Daemon(attrs) => {
                w.nest(3, |inner| attrs.iter().for_each(|a| a.emit(inner)));
            }
            CmdAttr::TimeoutTcp(v) => {
                w.u32(4, *v);
            }
            CmdAttr::TimeoutTcpFin(v) => {
                w.u32(5, *v);
            }
            CmdAttr::TimeoutUdp(v) => {
                w.u32(6, *v);
            }
            CmdAttr::Other(kind, p) => {
                w.bytes(*kind, p);
            }
        }
    }
}

/// `IPVS_INFO_ATTR_*` (the reply to `GET_INFO`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InfoAttr {
    Version(u32),
    ConnTabSize(u32),
    Other(u16, Vec<u8>),
}

impl InfoAttr {
    pub fn parse(a: &Attr<'_>) -> Result<InfoAttr, DecodeError> {
        Ok(match a.kind {
            1 => InfoAttr::Version(a.u32()?),
            2 => InfoAttr::ConnTabSize(a.u32()?),
            kind => InfoAttr::Other(kind, a.payload.to_vec()),
        })
    }

    pub fn emit(&self, w: &mut AttrWriter) {
        match self {
            InfoAttr::Version(v) => w.u32(1, *v),
            InfoAttr::ConnTabSize(v) => w.u32(2, *v),
            InfoAttr::Other(kind, p) => w.bytes(*kind, p),
        };
    }
}

/// Encode a list of top-level attributes.
pub fn emit_all(attrs: &[CmdAttr]) -> Vec<u8> {
    let mut w = AttrWriter::new();
    attrs.iter().for_each(|a| a.emit(&mut w));
    w.into_bytes()
}

#[cfg(test)]
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
            let outer = crate::netlink::wire::attrs(&bytes).unwrap();
            assert_eq!(StatsBlock::parse(&outer[0], wide), block);
        }
        let damaged = StatsBlock {
            bytes: vec![9, 0, 1, 0, 0],
            wide: true,
        };
        assert!(damaged.each(|_| {}).is_err());
    }
}
