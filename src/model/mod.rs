//! The IPVS domain model: virtual services, real servers, timeouts, sync
//! daemons and counters, typed and serde-serialisable, with no I/O and no
//! knowledge of argv, text formats or netlink.

pub(crate) mod key_hash;

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};

/// Address family of a service or real server (AF_INET / AF_INET6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4
    Inet,
    /// IPv6
    Inet6,
}

impl Family {
    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }
}

/// Transport protocol of an address-based virtual service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP
    Tcp,
    /// UDP
    Udp,
    /// SCTP
    Sctp,
}

impl Protocol {
    /// IANA protocol number, as the kernel uses it.
    pub fn number(self) -> u16 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }

    /// Name used by the services database (`getservbyname`'s proto).
    pub fn db_name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

/// What identifies a virtual service in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ServiceKey {
    /// protocol + address + port (port 0 = all ports, persistent services only)
    Addr {
        /// transport protocol
        protocol: Protocol,
        /// virtual address
        addr: IpAddr,
        /// virtual port
        port: u16,
    },
    /// firewall-mark service; the family selects IPv4 or IPv6 packets
    Fwmark {
        /// the mark
        fwmark: u32,
        /// which packets
        family: Family,
    },
}

impl ServiceKey {
    /// The address family of the service.
    pub fn family(&self) -> Family {
        match self {
            ServiceKey::Addr { addr, .. } => Family::of(addr),
            ServiceKey::Fwmark { family, .. } => *family,
        }
    }
}

/// Service flag bits (`IP_VS_SVC_F_*`), kept raw so that unknown kernel bits survive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ServiceFlags(pub u32);

impl ServiceFlags {
    /// `IP_VS_SVC_F_PERSISTENT`: clients stick to one real server
    pub const PERSISTENT: u32 = 0x0001;
    /// `IP_VS_SVC_F_HASHED`: set by the kernel on services in its table
    pub const HASHED: u32 = 0x0002;
    /// `IP_VS_SVC_F_ONEPACKET`: one-packet scheduling (`-o`)
    pub const ONEPACKET: u32 = 0x0004;
    /// `IP_VS_SVC_F_SCHED1`: the scheduler's first flag (`-b flag-1`)
    pub const SCHED1: u32 = 0x0008;
    /// `IP_VS_SVC_F_SCHED2`: the scheduler's second flag
    pub const SCHED2: u32 = 0x0010;
    /// `IP_VS_SVC_F_SCHED3`: the scheduler's third flag
    pub const SCHED3: u32 = 0x0020;
    /// every scheduler flag
    pub const SCHED_MASK: u32 = Self::SCHED1 | Self::SCHED2 | Self::SCHED3;

    /// Whether `bit` is set.
    pub fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }
}

/// Persistence granularity: an IPv4 mask, or an IPv6 prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Netmask {
    /// an IPv4 mask
    V4(Ipv4Addr),
    /// an IPv6 prefix length
    V6(u8),
}

impl Netmask {
    /// The default granularity for a family: one client address.
    pub fn host(family: Family) -> Netmask {
        match family {
            Family::Inet => Netmask::V4(Ipv4Addr::BROADCAST),
            Family::Inet6 => Netmask::V6(128),
        }
    }
}

/// The settable part of a virtual service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// what identifies the service
    pub key: ServiceKey,
    /// scheduler name (`rr`, `wlc`, ...)
    pub scheduler: String,
    /// flag bits
    pub flags: ServiceFlags,
    /// persistence timeout in seconds (meaningful with `PERSISTENT`)
    pub timeout: u32,
    /// persistence granularity
    pub netmask: Netmask,
    /// persistence engine (`sip`), if any
    pub pe_name: Option<String>,
}

/// An enum of values the kernel defines, each named once: `from_raw` and
/// `raw` both come from the one list, and a value it does not know (a
/// newer kernel, a fork) is kept as `Other`.
macro_rules! kernel_values {
    ($(#[$attr:meta])* $name:ident: $raw:ty {
        $($(#[$vattr:meta])* $variant:ident = $value:literal,)*
    }) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vattr])* $variant,)*
            /// a value this tool does not know
            Other($raw),
        }

        impl $name {
            /// From the kernel's value.
            pub fn from_raw(v: $raw) -> $name {
                match v {
                    $($value => $name::$variant,)*
                    other => $name::Other(other),
                }
            }

            /// The kernel's value.
            pub fn raw(self) -> $raw {
                match self {
                    $($name::$variant => $value,)*
                    $name::Other(v) => v,
                }
            }
        }
    };
}

kernel_values! {
    /// How packets reach a real server (`IP_VS_CONN_F_FWD_MASK` values;
    /// `Other` holds what forks such as FullNAT add).
    ForwardMethod: u32 {
        /// NAT (`-m`)
        Masquerade = 0,
        /// local delivery (the real server is this host)
        Local = 1,
        /// IP-in-IP or other tunnel (`-i`)
        Tunnel = 2,
        /// direct routing (`-g`)
        Route = 3,
        /// bypass (the kernel's internal use)
        Bypass = 4,
    }
}

kernel_values! {
    /// Encapsulation used by tunnel real servers.
    #[derive(Default)]
    TunnelType: u8 {
        /// IP in IP
        #[default]
        Ipip = 0,
        /// Generic UDP Encapsulation
        Gue = 1,
        /// Generic Routing Encapsulation
        Gre = 2,
    }
}

/// Tunnel checksum mode (`IP_VS_TUNNEL_ENCAP_FLAG_*`), kept raw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TunnelFlags(pub u16);

impl TunnelFlags {
    /// no checksum
    pub const NOCSUM: u16 = 0;
    /// checksum
    pub const CSUM: u16 = 1;
    /// remote checksum offload
    pub const REMCSUM: u16 = 2;
}

/// Tunnel settings of a real server (only used with `ForwardMethod::Tunnel`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tunnel {
    /// encapsulation
    pub kind: TunnelType,
    /// destination port of GUE packets
    pub port: u16,
    /// checksum mode
    pub flags: TunnelFlags,
}

/// The settable part of a real server (destination).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealServer {
    /// address
    pub addr: IpAddr,
    /// port
    pub port: u16,
    /// how packets reach it
    pub forward: ForwardMethod,
    /// share of new connections; 0 takes none
    pub weight: i32,
    /// connections above which it takes no more (0: no limit)
    pub u_threshold: u32,
    /// connections below which it takes new ones again
    pub l_threshold: u32,
    /// tunnel settings (with `ForwardMethod::Tunnel`)
    pub tunnel: Tunnel,
}

impl RealServer {
    /// A real server at `addr`:`port` with ipvsadm's defaults for the rest:
    /// direct routing, weight 1, no thresholds, no tunnel settings.
    pub fn new(addr: IpAddr, port: u16) -> RealServer {
        RealServer {
            addr,
            port,
            forward: ForwardMethod::Route,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tunnel: Tunnel::default(),
        }
    }
}

/// Traffic counters and rates of a service or real server, full 64-bit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// connections scheduled
    pub conns: u64,
    /// incoming packets
    pub inpkts: u64,
    /// outgoing packets
    pub outpkts: u64,
    /// incoming bytes
    pub inbytes: u64,
    /// outgoing bytes
    pub outbytes: u64,
    /// connections per second (the kernel's estimate)
    pub cps: u64,
    /// incoming packets per second
    pub inpps: u64,
    /// outgoing packets per second
    pub outpps: u64,
    /// incoming bytes per second
    pub inbps: u64,
    /// outgoing bytes per second
    pub outbps: u64,
}

impl Stats {
    /// The counters in the order of the fields, which is also the kernel's
    /// (`IPVS_STATS_ATTR_CONNS` to `IPVS_STATS_ATTR_OUTBPS`). A field added
    /// changes the array's length, and with it every user's type.
    pub fn values(&self) -> [u64; 10] {
        let Stats {
            conns,
            inpkts,
            outpkts,
            inbytes,
            outbytes,
            cps,
            inpps,
            outpps,
            inbps,
            outbps,
        } = *self;
        [
            conns, inpkts, outpkts, inbytes, outbytes, cps, inpps, outpps, inbps, outbps,
        ]
    }

    /// The counters from [`Stats::values`]' order.
    pub fn from_values(values: [u64; 10]) -> Stats {
        let [conns, inpkts, outpkts, inbytes, outbytes, cps, inpps, outpps, inbps, outbps] = values;
        Stats {
            conns,
            inpkts,
            outpkts,
            inbytes,
            outbytes,
            cps,
            inpps,
            outpps,
            inbps,
            outbps,
        }
    }
}

/// A real server as the kernel reports it: settings plus live state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealServerEntry {
    /// its settings
    #[serde(flatten)]
    pub server: RealServer,
    /// connections in an active state
    pub active_conns: u32,
    /// connections in other states
    pub inactive_conns: u32,
    /// persistence templates pointing at it
    pub persist_conns: u32,
    /// traffic counters
    pub stats: Stats,
}

/// One service of a table borrowed whole: its settings, its counters and
/// its real servers (a listing made service by service as the table is
/// read hands these over).
pub type ServiceParts<'a> = (&'a Service, &'a Stats, &'a [RealServerEntry]);

/// A virtual service as the kernel reports it, with its real servers.
/// In JSON an orphan also carries `orphan`, why it is one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServiceEntry {
    /// its settings
    #[serde(flatten)]
    pub service: Service,
    /// traffic counters
    pub stats: Stats,
    /// its real servers, in kernel order (newest first)
    pub real_servers: Vec<RealServerEntry>,
}

/// Why a service cannot send a new connection anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrphanReason {
    /// it has no real server at all
    NoRealServers,
    /// every real server it has is at weight 0 (what graceful termination
    /// leaves behind)
    AllWeightsZero,
}

impl OrphanReason {
    /// Why a service with these real servers is an orphan, if it is one.
    pub fn of(real_servers: &[RealServerEntry]) -> Option<OrphanReason> {
        if real_servers.is_empty() {
            Some(OrphanReason::NoRealServers)
        } else if real_servers.iter().all(|rs| rs.server.weight == 0) {
            Some(OrphanReason::AllWeightsZero)
        } else {
            None
        }
    }

    /// The name used in JSON and in metric labels.
    pub fn name(self) -> &'static str {
        match self {
            OrphanReason::NoRealServers => "no_real_servers",
            OrphanReason::AllWeightsZero => "all_weights_zero",
        }
    }
}

impl ServiceEntry {
    /// A service that cannot send a new connection anywhere: no real server
    /// at all, or only real servers of weight 0.
    pub fn is_orphan(&self) -> bool {
        self.orphan_reason().is_some()
    }

    /// Why the service is an orphan, if it is one.
    pub fn orphan_reason(&self) -> Option<OrphanReason> {
        OrphanReason::of(&self.real_servers)
    }
}

/// The JSON form of a service entry: its fields, and for an orphan why.
#[derive(Serialize)]
struct ServiceEntryJson<'a> {
    #[serde(flatten)]
    service: &'a Service,
    stats: &'a Stats,
    real_servers: &'a [RealServerEntry],
    #[serde(skip_serializing_if = "Option::is_none")]
    orphan: Option<OrphanReason>,
}

impl Serialize for ServiceEntry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ServiceEntryJson {
            service: &self.service,
            stats: &self.stats,
            real_servers: &self.real_servers,
            orphan: self.orphan_reason(),
        }
        .serialize(serializer)
    }
}

/// Kernel IPVS version and connection hash table size (`IPVS_CMD_GET_INFO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Info {
    /// IPVS version, `0x010203` for 1.2.3
    pub version: u32,
    /// size of the connection hash table
    pub conn_tab_size: u32,
}

/// The whole IPVS table of one network namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// the services with their real servers
    pub services: Vec<ServiceEntry>,
}

/// Connection timeouts in seconds; 0 in a request means "leave unchanged".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    /// established TCP
    pub tcp: u32,
    /// TCP after a FIN
    pub tcp_fin: u32,
    /// UDP
    pub udp: u32,
}

/// Role of a connection synchronisation daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DaemonState {
    /// sends the connection table
    Master,
    /// receives it
    Backup,
}

impl DaemonState {
    /// The kernel's value.
    pub fn raw(self) -> u32 {
        match self {
            DaemonState::Master => 1,
            DaemonState::Backup => 2,
        }
    }
}

/// A connection synchronisation daemon; `None` fields are left to the kernel's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncDaemon {
    /// master or backup
    pub state: DaemonState,
    /// the interface it multicasts on
    pub mcast_ifn: String,
    /// the sync id (0: every id)
    pub syncid: u32,
    /// the most bytes per sync message
    pub sync_maxlen: Option<u16>,
    /// the multicast group
    pub mcast_group: Option<IpAddr>,
    /// the multicast port
    pub mcast_port: Option<u16>,
    /// the multicast TTL
    pub mcast_ttl: Option<u8>,
}

/// One entry of the kernel's connection table (/proc/net/ip_vs_conn).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// as the kernel names it: TCP, UDP, SCTP, or IP for templates
    pub protocol: String,
    /// client address
    pub client: IpAddr,
    /// client port
    pub client_port: u16,
    /// virtual address
    pub virtual_addr: IpAddr,
    /// virtual port
    pub virtual_port: u16,
    /// real server address
    pub destination: IpAddr,
    /// real server port
    pub destination_port: u16,
    /// connection state
    pub state: String,
    /// seconds until the entry expires
    pub expires: u32,
    /// persistence engine, if any
    pub pe_name: Option<String>,
    /// persistence engine data, if any
    pub pe_data: Option<String>,
}

impl SyncDaemon {
    /// A daemon with the kernel's defaults for everything but its role and
    /// interface.
    pub fn new(state: DaemonState, mcast_ifn: &str) -> SyncDaemon {
        SyncDaemon {
            state,
            mcast_ifn: mcast_ifn.to_string(),
            syncid: 0,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_values_are_the_fields_in_their_order() {
        let values: [u64; 10] = std::array::from_fn(|i| i as u64 + 1);
        let stats = Stats::from_values(values);
        assert_eq!(stats.values(), values);
        // The fields as serde writes them, in declaration order.
        let text = serde_json::to_string(&stats).unwrap();
        let written: Vec<u64> = text
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .map(|member| member.rsplit(':').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(written, values);
        assert_eq!(stats.inpkts, 2);
        assert_eq!(stats.outbps, 10);
    }

    #[test]
    fn raw_values_round_trip() {
        for v in 0..8 {
            assert_eq!(ForwardMethod::from_raw(v).raw(), v);
        }
        for v in 0..5u8 {
            assert_eq!(TunnelType::from_raw(v).raw(), v);
        }
    }

    #[test]
    fn model_serialises_and_reads_back() {
        let entry = ServiceEntry {
            service: Service {
                key: ServiceKey::Addr {
                    protocol: Protocol::Udp,
                    addr: "2001:db8::1".parse().unwrap(),
                    port: 53,
                },
                scheduler: "sh".into(),
                flags: ServiceFlags(ServiceFlags::PERSISTENT | ServiceFlags::SCHED1),
                timeout: 360,
                netmask: Netmask::V6(64),
                pe_name: Some("sip".into()),
            },
            stats: Stats {
                conns: u64::MAX,
                ..Stats::default()
            },
            real_servers: vec![RealServerEntry {
                server: RealServer {
                    addr: "10.0.0.2".parse().unwrap(),
                    port: 53,
                    forward: ForwardMethod::Tunnel,
                    weight: 3,
                    u_threshold: 10,
                    l_threshold: 2,
                    tunnel: Tunnel {
                        kind: TunnelType::Gue,
                        port: 6080,
                        flags: TunnelFlags(1),
                    },
                },
                active_conns: 1,
                inactive_conns: 2,
                persist_conns: 3,
                stats: Stats::default(),
            }],
        };
        let text = serde_json::to_string(&entry).unwrap();
        let back: ServiceEntry = serde_json::from_str(&text).unwrap();
        assert_eq!(back, entry);
        assert!(text.contains("\"conns\":18446744073709551615"), "{text}");
    }
}
