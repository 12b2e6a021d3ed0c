//! The kernel reads a listing is built from, done without decoding, so
//! that a benchmark can print beside each listing form the floor it stands
//! on: what the kernel itself takes to answer.

use super::attrs::{Cmd, CmdAttr};
use super::convert::service_identity;
use super::socket::{Kind, NetlinkError};
use super::{procfs, sockopt, Ipvs};
use crate::model::ServiceKey;
use std::io;

impl Ipvs {
    /// The netlink service dump, undecoded: the bytes of its replies.
    pub fn raw_service_dump(&mut self) -> Result<usize, NetlinkError> {
        let mut bytes = 0;
        self.call_each(Cmd::GetService, &[], Kind::Dump, &mut |reply, _| {
            bytes += reply.len();
            Ok(())
        })?;
        Ok(bytes)
    }

    /// One netlink real-server dump per service of `keys`, undecoded (the
    /// only source of 64-bit real-server counters): the bytes of the
    /// replies.
    pub fn raw_server_dumps(&mut self, keys: &[ServiceKey]) -> Result<usize, NetlinkError> {
        let mut bytes = 0;
        for key in keys {
            let identity = [CmdAttr::Service(service_identity(key))];
            self.call_each(Cmd::GetDest, &identity, Kind::Dump, &mut |reply, _| {
                bytes += reply.len();
                Ok(())
            })?;
        }
        Ok(bytes)
    }
}

/// The `getsockopt` requests a listing sends: the service table with its
/// counts, then one real-server request per IPv4 service of `keys`, in
/// their order (a listing asks in the order of the service dump) (their
/// answers are fixed-size structures, copied field by field): how many
/// real servers they gave.
pub fn sockopt_server_requests(keys: &[ServiceKey]) -> io::Result<usize> {
    let counted = sockopt::Counted::read()?;
    Ok(keys
        .iter()
        .filter_map(|key| counted.whole_servers(key))
        .map(|servers| servers.len())
        .sum())
}

/// `/proc/net/ip_vs`, read whole and not parsed: its length.
pub fn proc_text() -> io::Result<usize> {
    let mut bytes = 0;
    let read = procfs::read_pieces(|piece| {
        bytes += piece.len();
        true
    });
    read.then_some(bytes)
        .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
}
