//! The kernel boundary: everything that talks to IPVS lives here, and
//! nothing above it knows that there are two interfaces. Generic netlink
//! (`wire` frames messages, `attrs` types every attribute space,
//! `convert` maps them to and from the model, `socket` talks to the
//! kernel, `client` offers the operations) does every change and most
//! reads; the older `getsockopt` interface (`sockopt`) and the
//! `/proc/net/ip_vs` text (`procfs`) read the real servers of big listings
//! fast (`table` chooses between them); `features`
//! says what the running kernel offers. Nothing here knows argv or text
//! formats.

pub(crate) mod attrs;
pub(crate) mod client;
pub(crate) mod connections;
pub(crate) mod convert;
pub mod features;
mod hand_over;
pub(crate) mod in_order;
pub(crate) mod procfs;
pub mod raw_reads;
pub(crate) mod socket;
pub(crate) mod sockopt;
pub(crate) mod table;
pub(crate) mod wire;

pub use client::{Change, ConnectError, Ipvs};
pub use in_order::table_taken_in_order;
pub use socket::{Batch, NetlinkError, RequestBatch, BATCH_MESSAGES, REPLY_DEADLINE};
pub use table::{table as read_table, table_made_as_read as read_table_made_as_read, Detail, Made};
pub use wire::DecodeError;

use crate::error::{Error, KernelOp};
use crate::model::Info;
use std::path::PathBuf;

/// How the kernel layer behaves, decided once by the caller (the binary
/// reads it from its environment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Every datagram sent (`>`) and received (`<`) is appended to this
    /// file as a hex line, for debugging and golden tests.
    pub trace: Option<PathBuf>,
    /// Where listings read real servers (for comparing the sources).
    pub list_source: ListSource,
    /// The network namespace to work in (`--netns`); None: the caller's.
    pub netns: Option<Netns>,
}

/// Where a whole-table listing reads real servers from; whatever the
/// source, what it lacks is read through netlink, and the listing is the
/// same.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListSource {
    /// the source that costs the kernel least for the table at hand
    #[default]
    Cheapest,
    /// one netlink dump per service
    Netlink,
    /// one request per service: `getsockopt` for IPv4, netlink for the rest
    Requests,
    /// `/proc/net/ip_vs` wherever the listing needs nothing it lacks
    ProcText,
}

/// A network namespace: a name under `/var/run/netns` (as `ip netns`
/// makes them), or a path to a namespace file (`/proc/PID/ns/net`,
/// `/var/run/docker/netns/ingress_sbox`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Netns {
    /// as the user gave it (metrics label it so)
    pub name: String,
    /// the namespace file
    pub path: PathBuf,
}

impl Netns {
    /// `arg` read as `ip netns` reads a name, or as a path when it has a `/`.
    pub fn new(arg: &str) -> Netns {
        let path = if arg.contains('/') {
            PathBuf::from(arg)
        } else {
            PathBuf::from("/var/run/netns").join(arg)
        };
        Netns {
            name: arg.to_string(),
            path,
        }
    }

    /// Move this thread (and the threads it starts later) into the
    /// namespace, before any socket is opened.
    fn enter(&self) -> Result<(), Error> {
        crate::sys::enter_network_namespace(&self.path).map_err(|e| Error::Netns {
            name: self.name.clone(),
            detail: match e.raw_os_error() {
                Some(libc::ENOENT) => format!("{} does not exist", self.path.display()),
                Some(libc::EINVAL) => {
                    format!("{} is not a network namespace", self.path.display())
                }
                _ => crate::sys::strerror(e.raw_os_error().unwrap_or(libc::EIO)),
            },
        })
    }
}

/// The error for a failed exchange, in the words ipvsadm uses for `op`.
pub(crate) fn failed(op: KernelOp) -> impl Fn(NetlinkError) -> Error {
    move |e| match e {
        NetlinkError::Kernel(errno) => Error::Kernel { op, errno },
        other => Error::Netlink {
            op,
            detail: other.to_string(),
        },
    }
}

/// `/sbin/modprobe -- ip_vs`, its own messages left on stderr as ipvsadm does.
fn load_ip_vs_module() -> bool {
    std::process::Command::new("/sbin/modprobe")
        .args(["--", "ip_vs"])
        .status()
        .is_ok_and(|s| s.success())
}

/// The errno ipvsadm's start-up failure reports for a failed connection.
fn init_errno(e: ConnectError) -> i32 {
    match e {
        // ipvsadm then falls back to the raw-socket interface, which
        // answers ENOPROTOOPT on a kernel without IPVS.
        ConnectError::NoFamily => libc::ENOPROTOOPT,
        ConnectError::Netlink(NetlinkError::Kernel(errno)) => errno,
        ConnectError::Netlink(NetlinkError::Io(e)) => e.raw_os_error().unwrap_or(libc::EINVAL),
        ConnectError::Netlink(_) => libc::EINVAL,
    }
}

/// ipvsadm's `ipvs_init` (+ modprobe and retry): a working family and
/// GET_INFO, or ipvsadm's start-up failure. With `settings.netns`, in that
/// namespace, entered first: a namespace that cannot be entered fails
/// before anything is read or changed.
pub fn connect(settings: &Settings) -> Result<(Ipvs, Info), Error> {
    if let Some(netns) = &settings.netns {
        netns.enter()?;
    }
    let mut ipvs = Ipvs::connect(settings, load_ip_vs_module).map_err(|e| Error::Init {
        errno: init_errno(e),
    })?;
    let info = ipvs.info().map_err(|e| Error::Init {
        errno: match e {
            NetlinkError::Kernel(errno) => errno,
            _ => libc::EINVAL,
        },
    })?;
    Ok((ipvs, info))
}
