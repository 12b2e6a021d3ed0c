//! The typed commands the grammar produces: what to do, with every default
//! and adjustment already applied, independent of how it was spelled.

use crate::model::{DaemonState, RealServer, Service, ServiceKey, SyncDaemon, Timeouts};

/// What a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListTarget {
    /// every virtual service (`-L`)
    Table,
    /// one virtual service (`-L -t addr:port`)
    Service(ServiceKey),
    /// the connection table (`-L -c`, from /proc/net/ip_vs_conn)
    Connections,
    /// `-L --timeout`
    Timeouts,
    /// `-L --daemon`
    Daemons,
}

/// Listing modifiers (`-n`, `--stats`, ...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListFormat {
    pub numeric: bool,
    pub stats: bool,
    pub rate: bool,
    pub exact: bool,
    pub thresholds: bool,
    pub persistent_conn: bool,
    pub tun_info: bool,
    pub nosort: bool,
    pub orphans: bool,
    pub json: bool,
}

/// How `-R` applies its input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreMode {
    /// validate only, apply nothing
    pub check: bool,
    /// make the table equal to the input
    pub replace: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    AddService(Service),
    EditService(Service),
    DeleteService(ServiceKey),
    Flush,
    List {
        target: ListTarget,
        format: ListFormat,
    },
    /// zero the counters of one service, or of all (`None`)
    Zero(Option<ServiceKey>),
    AddServer {
        service: ServiceKey,
        server: RealServer,
    },
    EditServer {
        service: ServiceKey,
        server: RealServer,
    },
    /// ipvsadm sends a whole destination (defaults filled in) for deletion;
    /// the kernel matches it by address and port.
    DeleteServer {
        service: ServiceKey,
        server: RealServer,
    },
    SetTimeouts(Timeouts),
    StartDaemon(SyncDaemon),
    StopDaemon {
        state: DaemonState,
        syncid: u32,
    },
    Restore(RestoreMode),
    Save {
        numeric: bool,
    },
}

/// The outcome of reading one command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// `-h`: print the usage text to stdout
    Help,
    /// `-v`: print the version line to stdout
    Version,
    Run(Command),
}
