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
    /// `-n`: addresses and ports as numbers
    pub numeric: bool,
    /// `--stats`: traffic counters
    pub stats: bool,
    /// `--rate`: traffic rates
    pub rate: bool,
    /// `--exact`: counters without K/M/G
    pub exact: bool,
    /// `--thresholds`: upper and lower connection thresholds
    pub thresholds: bool,
    /// `--persistent-conn`: persistence templates
    pub persistent_conn: bool,
    /// `--tun-info`: tunnel settings
    pub tun_info: bool,
    /// `--nosort`: kernel order
    pub nosort: bool,
    /// `--orphans`: only services that cannot send new connections
    pub orphans: bool,
    /// `--json`: a JSON document
    pub json: bool,
    /// `--prometheus`: metrics in the Prometheus text format
    pub metrics: Option<Metrics>,
}

/// What `--prometheus` covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metrics {
    /// services and their real servers
    WithRealServers,
    /// services only (`--prometheus services`), for big tables
    ServicesOnly,
}

/// How `-R` applies its input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoreMode {
    /// validate only, apply nothing
    pub check: bool,
    /// make the table equal to the input
    pub replace: bool,
    /// with `replace`: print the changes before making them
    pub diff: bool,
    /// with `diff`: print them as JSON
    pub json: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// One command, as argv or a restore line gives it.
pub enum Command {
    /// `-A`: add a virtual service
    AddService(Service),
    /// `-E`: change a virtual service
    EditService(Service),
    /// `-D`: delete a virtual service and its real servers
    DeleteService(ServiceKey),
    /// `-C`: delete every virtual service
    Flush,
    /// `-L`: list
    List {
        /// what to list
        target: ListTarget,
        /// how
        format: ListFormat,
    },
    /// zero the counters of one service, or of all (`None`)
    Zero(Option<ServiceKey>),
    /// `-a`: add a real server to a service
    AddServer {
        /// the virtual service
        service: ServiceKey,
        /// the real server
        server: RealServer,
    },
    /// `-e`: change a real server
    EditServer {
        /// the virtual service
        service: ServiceKey,
        /// the real server, as it is to be
        server: RealServer,
    },
    /// ipvsadm sends a whole destination (defaults filled in) for deletion;
    /// the kernel matches it by address and port.
    DeleteServer {
        /// the virtual service
        service: ServiceKey,
        /// the real server
        server: RealServer,
    },
    /// `--set`: connection timeouts
    SetTimeouts(Timeouts),
    /// `--start-daemon`
    StartDaemon(SyncDaemon),
    /// `--stop-daemon`
    StopDaemon {
        /// which daemon
        state: DaemonState,
        /// the sync id given (ipvsadm sends it)
        syncid: u32,
    },
    /// `-R`: changes from standard input
    Restore(RestoreMode),
    /// `-S`: the table as restore lines
    Save {
        /// addresses and ports as numbers (`-n`)
        numeric: bool,
        /// `--full`: thresholds, timeouts and sync daemons too
        full: bool,
    },
    /// `--drain-server`: weight 0, wait until no connection uses the real
    /// server, then delete it
    DrainServer {
        /// the virtual service
        service: ServiceKey,
        /// the real server (address and port; the rest is read back)
        server: RealServer,
        /// the longest wait, in seconds
        wait: u32,
    },
}

/// The outcome of reading one command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// `-h`: print the usage text to stdout
    Help,
    /// `-v`: print the version line to stdout
    Version,
    /// a command to run
    Run(Command),
}
