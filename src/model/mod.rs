//! The IPVS domain model: virtual services, real servers, timeouts, sync
//! daemons and counters, typed and serde-serialisable, with no I/O and no
//! knowledge of argv, text formats or netlink.

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};

/// Address family of a service or real server (AF_INET / AF_INET6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Inet,
    Inet6,
}

impl Family {
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
    Tcp,
    Udp,
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
        protocol: Protocol,
        addr: IpAddr,
        port: u16,
    },
    /// firewall-mark service; the family selects IPv4 or IPv6 packets
    Fwmark { fwmark: u32, family: Family },
}

impl ServiceKey {
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
    pub const PERSISTENT: u32 = 0x0001;
    pub const HASHED: u32 = 0x0002;
    pub const ONEPACKET: u32 = 0x0004;
    pub const SCHED1: u32 = 0x0008;
    pub const SCHED2: u32 = 0x0010;
    pub const SCHED3: u32 = 0x0020;
    pub const SCHED_MASK: u32 = Self::SCHED1 | Self::SCHED2 | Self::SCHED3;

    pub fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }
}

/// Persistence granularity: an IPv4 mask, or an IPv6 prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Netmask {
    V4(Ipv4Addr),
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
    pub key: ServiceKey,
    pub scheduler: String,
    pub flags: ServiceFlags,
    /// persistence timeout in seconds (meaningful with `PERSISTENT`)
    pub timeout: u32,
    pub netmask: Netmask,
    pub pe_name: Option<String>,
}

/// How packets reach a real server (`IP_VS_CONN_F_FWD_MASK` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ForwardMethod {
    Masquerade,
    Local,
    Tunnel,
    Route,
    Bypass,
    /// a value this tool does not know (forks such as FullNAT)
    Other(u32),
}

impl ForwardMethod {
    pub fn from_raw(v: u32) -> ForwardMethod {
        match v {
            0 => ForwardMethod::Masquerade,
            1 => ForwardMethod::Local,
            2 => ForwardMethod::Tunnel,
            3 => ForwardMethod::Route,
            4 => ForwardMethod::Bypass,
            other => ForwardMethod::Other(other),
        }
    }

    pub fn raw(self) -> u32 {
        match self {
            ForwardMethod::Masquerade => 0,
            ForwardMethod::Local => 1,
            ForwardMethod::Tunnel => 2,
            ForwardMethod::Route => 3,
            ForwardMethod::Bypass => 4,
            ForwardMethod::Other(v) => v,
        }
    }
}

/// Encapsulation used by tunnel real servers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelType {
    #[default]
    Ipip,
    Gue,
    Gre,
    Other(u8),
}

impl TunnelType {
    pub fn from_raw(v: u8) -> TunnelType {
        match v {
            0 => TunnelType::Ipip,
            1 => TunnelType::Gue,
            2 => TunnelType::Gre,
            other => TunnelType::Other(other),
        }
    }

    pub fn raw(self) -> u8 {
        match self {
            TunnelType::Ipip => 0,
            TunnelType::Gue => 1,
            TunnelType::Gre => 2,
            TunnelType::Other(v) => v,
        }
    }
}

/// Tunnel checksum mode (`IP_VS_TUNNEL_ENCAP_FLAG_*`), kept raw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TunnelFlags(pub u16);

impl TunnelFlags {
    pub const NOCSUM: u16 = 0;
    pub const CSUM: u16 = 1;
    pub const REMCSUM: u16 = 2;
}

/// Tunnel settings of a real server (only used with `ForwardMethod::Tunnel`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tunnel {
    pub kind: TunnelType,
    pub port: u16,
    pub flags: TunnelFlags,
}

/// The settable part of a real server (destination).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealServer {
    pub addr: IpAddr,
    pub port: u16,
    pub forward: ForwardMethod,
    pub weight: i32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub tunnel: Tunnel,
}

/// Traffic counters and rates of a service or real server, full 64-bit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
    pub cps: u64,
    pub inpps: u64,
    pub outpps: u64,
    pub inbps: u64,
    pub outbps: u64,
}

/// A real server as the kernel reports it: settings plus live state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealServerEntry {
    #[serde(flatten)]
    pub server: RealServer,
    pub active_conns: u32,
    pub inactive_conns: u32,
    pub persist_conns: u32,
    pub stats: Stats,
}

/// A virtual service as the kernel reports it, with its real servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceEntry {
    #[serde(flatten)]
    pub service: Service,
    pub stats: Stats,
    pub real_servers: Vec<RealServerEntry>,
}

impl ServiceEntry {
    /// A service that cannot send a new connection anywhere: no real server
    /// at all, or only real servers of weight 0 (what graceful termination
    /// leaves behind).
    pub fn is_orphan(&self) -> bool {
        self.real_servers.iter().all(|rs| rs.server.weight == 0)
    }
}

/// Kernel IPVS version and connection hash table size (`IPVS_CMD_GET_INFO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Info {
    pub version: u32,
    pub conn_tab_size: u32,
}

/// The whole IPVS table of one network namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub services: Vec<ServiceEntry>,
}

/// Connection timeouts in seconds; 0 in a request means "leave unchanged".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    pub tcp: u32,
    pub tcp_fin: u32,
    pub udp: u32,
}

/// Role of a connection synchronisation daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DaemonState {
    Master,
    Backup,
}

impl DaemonState {
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
    pub state: DaemonState,
    pub mcast_ifn: String,
    pub syncid: u32,
    pub sync_maxlen: Option<u16>,
    pub mcast_group: Option<IpAddr>,
    pub mcast_port: Option<u16>,
    pub mcast_ttl: Option<u8>,
}

/// One entry of the kernel's connection table (/proc/net/ip_vs_conn).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// as the kernel names it: TCP, UDP, SCTP, or IP for templates
    pub protocol: String,
    pub client: IpAddr,
    pub client_port: u16,
    pub virtual_addr: IpAddr,
    pub virtual_port: u16,
    pub destination: IpAddr,
    pub destination_port: u16,
    pub state: String,
    /// seconds until the entry expires
    pub expires: u32,
    pub pe_name: Option<String>,
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
