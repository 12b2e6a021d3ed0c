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

    pub(crate) fn parse(a: &Attr<'_>, wide: bool) -> Result<StatsAttr, DecodeError> {
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

    #[cfg(test)]
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
    #[cfg(test)]
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

    /// The nest's payload, its counters unread.
    pub(crate) fn payload(&self) -> &[u8] {
        &self.bytes
    }

    /// Every attribute, in order, to `visit` (no list is built).
    #[cfg(test)]
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

/// How one attribute's payload of type `T` is read and written.
trait Codec<T> {
    fn read(a: &Attr<'_>) -> Result<T, DecodeError>;
    fn write(w: &mut AttrWriter, kind: u16, v: &T);
}

/// A codec: a type that reads a payload with `$read` and writes it with
/// `$write`.
macro_rules! codec {
    ($name:ident: $ty:ty, |$a:ident| $read:expr, |$w:ident, $k:ident, $v:ident| $write:expr) => {
        struct $name;
        impl Codec<$ty> for $name {
            fn read($a: &Attr<'_>) -> Result<$ty, DecodeError> {
                $read
            }
            fn write($w: &mut AttrWriter, $k: u16, $v: &$ty) {
                $write;
            }
        }
    };
}

codec!(U8: u8, |a| a.u8(), |w, k, v| w.u8(k, *v));
codec!(U16: u16, |a| a.u16(), |w, k, v| w.u16(k, *v));
codec!(Be16: u16, |a| a.be16(), |w, k, v| w.be16(k, *v));
codec!(U32: u32, |a| a.u32(), |w, k, v| w.u32(k, *v));
codec!(Addr16: [u8; 16], |a| a.fixed::<16>(), |w, k, v| w.addr(k, *v));
codec!(Addr4: [u8; 4], |a| a.fixed::<4>(), |w, k, v| w.bytes(k, v));
codec!(Text: String, |a| a.string(), |w, k, v| w.string(k, v));
codec!(Pair: FlagsMask, |a| a.fixed::<8>().map(FlagsMask::from_bytes), |w, k, v| w.u32_pair(k, v.flags, v.mask));
codec!(Stats32: StatsBlock, |a| Ok(StatsBlock::parse(a, false)), |w, k, v| v.emit(w, k));
codec!(Stats64: StatsBlock, |a| Ok(StatsBlock::parse(a, true)), |w, k, v| v.emit(w, k));

/// An attribute space, so that a nest of it is read and written whole.
trait Space: Sized {
    fn parse(a: &Attr<'_>) -> Result<Self, DecodeError>;
    fn emit(&self, w: &mut AttrWriter);
}

/// A nest: the attributes of another space, in order.
struct Nest;

impl<T: Space> Codec<Vec<T>> for Nest {
    fn read(a: &Attr<'_>) -> Result<Vec<T>, DecodeError> {
        parse_attrs(a.payload, T::parse)
    }
    fn write(w: &mut AttrWriter, kind: u16, v: &Vec<T>) {
        w.nest(kind, |inner| v.iter().for_each(|a| a.emit(inner)));
    }
}

/// A service's flags and the mask of the ones it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FlagsMask {
    pub(crate) flags: u32,
    pub(crate) mask: u32,
}

impl FlagsMask {
    fn from_bytes(b: [u8; 8]) -> FlagsMask {
        FlagsMask {
            flags: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            mask: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

/// One typed enum per attribute space: each attribute's id is written once,
/// as the constant both `parse` and `emit` use, with its variant and codec.
/// Attributes this tool does not know are kept as `Other`, so
/// parse-then-emit is lossless.
macro_rules! attribute_space {
    ($(#[$doc:meta])* $name:ident {
        $($(#[$vdoc:meta])* $konst:ident = $id:literal => $variant:ident($ty:ty) by $codec:ident,)*
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub(crate) enum $name {
            $($(#[$vdoc])* $variant($ty),)*
            /// an attribute this tool does not know, kept as it came
            Other(u16, Vec<u8>),
        }

        impl $name {
            $(pub(crate) const $konst: u16 = $id;)*

            /// The attribute `a`, typed by its id.
            pub(crate) fn parse(a: &Attr<'_>) -> Result<$name, DecodeError> {
                Ok(match a.kind {
                    $(Self::$konst => $name::$variant($codec::read(a)?),)*
                    kind => $name::Other(kind, a.payload.to_vec()),
                })
            }

            /// Append the attribute to `w`.
            #[cfg_attr(not(any(test, fuzzing)), allow(dead_code))]
            pub(crate) fn emit(&self, w: &mut AttrWriter) {
                match self {
                    $($name::$variant(v) => $codec::write(w, Self::$konst, v),)*
                    $name::Other(kind, p) => {
                        w.bytes(*kind, p);
                    }
                }
            }
        }

        impl Space for $name {
            fn parse(a: &Attr<'_>) -> Result<$name, DecodeError> {
                $name::parse(a)
            }
            fn emit(&self, w: &mut AttrWriter) {
                $name::emit(self, w)
            }
        }
    };
}

attribute_space! {
    /// `IPVS_SVC_ATTR_*`.
    ServiceAttr {
        AF = 1 => Af(u16) by U16,
        PROTOCOL = 2 => Protocol(u16) by U16,
        /// `union nf_inet_addr`: IPv4 in the first 4 bytes
        ADDR = 3 => Addr([u8; 16]) by Addr16,
        /// host order here; big-endian on the wire
        PORT = 4 => Port(u16) by Be16,
        FWMARK = 5 => Fwmark(u32) by U32,
        SCHED_NAME = 6 => SchedName(String) by Text,
        FLAGS = 7 => Flags(FlagsMask) by Pair,
        TIMEOUT = 8 => Timeout(u32) by U32,
        /// raw u32: an IPv4 mask as its network-order bytes, or an IPv6 prefix length
        NETMASK = 9 => Netmask(u32) by U32,
        STATS = 10 => Stats(StatsBlock) by Stats32,
        PE_NAME = 11 => PeName(String) by Text,
        STATS64 = 12 => Stats64(StatsBlock) by Stats64,
    }
}

attribute_space! {
    /// `IPVS_DEST_ATTR_*`.
    DestAttr {
        ADDR = 1 => Addr([u8; 16]) by Addr16,
        /// host order here; big-endian on the wire
        PORT = 2 => Port(u16) by Be16,
        FWD_METHOD = 3 => FwdMethod(u32) by U32,
        WEIGHT = 4 => Weight(u32) by U32,
        U_THRESH = 5 => UThresh(u32) by U32,
        L_THRESH = 6 => LThresh(u32) by U32,
        ACTIVE_CONNS = 7 => ActiveConns(u32) by U32,
        INACT_CONNS = 8 => InactConns(u32) by U32,
        PERSIST_CONNS = 9 => PersistConns(u32) by U32,
        STATS = 10 => Stats(StatsBlock) by Stats32,
        ADDR_FAMILY = 11 => AddrFamily(u16) by U16,
        STATS64 = 12 => Stats64(StatsBlock) by Stats64,
        TUN_TYPE = 13 => TunType(u8) by U8,
        /// host order here; big-endian on the wire
        TUN_PORT = 14 => TunPort(u16) by Be16,
        TUN_FLAGS = 15 => TunFlags(u16) by U16,
    }
}

attribute_space! {
    /// `IPVS_DAEMON_ATTR_*`.
    DaemonAttr {
        STATE = 1 => State(u32) by U32,
        MCAST_IFN = 2 => McastIfn(String) by Text,
        SYNC_ID = 3 => SyncId(u32) by U32,
        SYNC_MAXLEN = 4 => SyncMaxlen(u16) by U16,
        /// an IPv4 address in network order
        MCAST_GROUP = 5 => McastGroup([u8; 4]) by Addr4,
        MCAST_GROUP6 = 6 => McastGroup6([u8; 16]) by Addr16,
        MCAST_PORT = 7 => McastPort(u16) by U16,
        MCAST_TTL = 8 => McastTtl(u8) by U8,
    }
}

attribute_space! {
    /// `IPVS_INFO_ATTR_*` (the reply to `GET_INFO`).
    InfoAttr {
        VERSION = 1 => Version(u32) by U32,
        CONNTAB_SIZE = 2 => ConnTabSize(u32) by U32,
    }
}

attribute_space! {
    /// `IPVS_CMD_ATTR_*`: the top level of requests and most replies.
    CmdAttr {
        SERVICE = 1 => Service(Vec<ServiceAttr>) by Nest,
        DEST = 2 => Dest(Vec<DestAttr>) by Nest,
        DAEMON = 3 => Daemon(Vec<DaemonAttr>) by Nest,
        TIMEOUT_TCP = 4 => TimeoutTcp(u32) by U32,
        TIMEOUT_TCP_FIN = 5 => TimeoutTcpFin(u32) by U32,
        TIMEOUT_UDP = 6 => TimeoutUdp(u32) by U32,
    }
}

impl CmdAttr {
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
}

/// Encode a list of top-level attributes.
pub(crate) fn emit_all(attrs: &[CmdAttr]) -> Vec<u8> {
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
