//! The kernel side: the generic netlink family "IPVS". [`wire`] frames
//! messages, [`attrs`] types every attribute space, [`convert`] maps them to
//! and from the model, [`socket`] talks to the kernel, [`client`] offers the
//! operations. Nothing here knows argv or text formats.

pub mod attrs;
pub mod client;
pub mod convert;
pub mod socket;
pub mod wire;

pub use client::{Change, ConnectError, Ipvs};
pub use socket::{Batch, NetlinkError, RequestBatch};
