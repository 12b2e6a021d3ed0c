//! The IPVS operations over one socket: the family is resolved once, then
//! every command and dump reuses it (ipvsadm opens a socket and resolves the
//! family for every single operation).

use super::attrs::{emit_all, Cmd, CmdAttr, InfoAttr, FAMILY_NAME, GENL_VERSION};
use super::convert::{
    daemon_attrs, daemon_from, daemon_stop_attrs, dest_from, dest_full, dest_identity,
    service_from, service_full, service_identity,
};
use super::socket::{Batch, Kind, NetlinkError, Socket};
use super::wire::{self, DecodeError};
use crate::model::{
    DaemonState, Info, RealServer, RealServerEntry, Service, ServiceKey, Stats, SyncDaemon,
    Timeouts,
};
use std::collections::HashSet;

pub struct Ipvs {
    socket: Socket,
    family: u16,
}

/// A request that changes the kernel's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    AddService(&'a Service),
    EditService(&'a Service),
    DeleteService(&'a ServiceKey),
    Flush,
    /// one service, or all
    Zero(Option<&'a ServiceKey>),
    AddServer(&'a ServiceKey, &'a RealServer),
    EditServer(&'a ServiceKey, &'a RealServer),
    DeleteServer(&'a ServiceKey, &'a RealServer),
    SetTimeouts(&'a Timeouts),
    StartDaemon(&'a SyncDaemon),
    StopDaemon(DaemonState, u32),
}

impl Change<'_> {
    /// The generic netlink command and attribute bytes of the request.
    pub fn encoded(&self) -> (u8, Vec<u8>) {
        let (cmd, attrs) = self.encode();
        (cmd as u8, emit_all(&attrs))
    }

    /// The command and attributes of the request (what ipvsadm sends,
    /// identity only where the kernel reads nothing else).
    pub fn encode(&self) -> (Cmd, Vec<CmdAttr>) {
        let svc = |key: &ServiceKey| CmdAttr::Service(service_identity(key));
        match *self {
            Change::AddService(s) => (Cmd::NewService, vec![CmdAttr::Service(service_full(s))]),
            Change::EditService(s) => (Cmd::SetService, vec![CmdAttr::Service(service_full(s))]),
            Change::DeleteService(key) => (Cmd::DelService, vec![svc(key)]),
            Change::Flush => (Cmd::Flush, vec![]),
            Change::Zero(Some(key)) => (Cmd::Zero, vec![svc(key)]),
            Change::Zero(None) => (Cmd::Zero, vec![]),
            Change::AddServer(key, server) => (
                Cmd::NewDest,
                vec![svc(key), CmdAttr::Dest(dest_full(server))],
            ),
            Change::EditServer(key, server) => (
                Cmd::SetDest,
                vec![svc(key), CmdAttr::Dest(dest_full(server))],
            ),
            Change::DeleteServer(key, server) => (
                Cmd::DelDest,
                vec![svc(key), CmdAttr::Dest(dest_identity(server))],
            ),
            Change::SetTimeouts(t) => (
                Cmd::SetConfig,
                vec![
                    CmdAttr::TimeoutTcp(t.tcp),
                    CmdAttr::TimeoutTcpFin(t.tcp_fin),
                    CmdAttr::TimeoutUdp(t.udp),
                ],
            ),
            Change::StartDaemon(d) => (Cmd::NewDaemon, vec![CmdAttr::Daemon(daemon_attrs(d))]),
            Change::StopDaemon(state, syncid) => (
                Cmd::DelDaemon,
                vec![CmdAttr::Daemon(daemon_stop_attrs(state, syncid))],
            ),
        }
    }
}

/// Why the connection could not be set up.
#[derive(Debug)]
pub enum ConnectError {
    /// the kernel has no IPVS family (module missing or not loadable)
    NoFamily,
    Netlink(NetlinkError),
}

/// The typed top-level attributes of one reply's attribute area.
pub fn top_level(reply: &[u8]) -> Result<Vec<CmdAttr>, DecodeError> {
    wire::parse_attrs(reply, CmdAttr::parse)
}

impl Ipvs {
    /// Open the socket and resolve the IPVS family. `load_module` runs when
    /// the family is missing (ipvsadm runs `/sbin/modprobe -- ip_vs`).
    pub fn connect(load_module: impl FnOnce() -> bool) -> Result<Ipvs, ConnectError> {
        let mut socket = Socket::open().map_err(ConnectError::Netlink)?;
        let family = match socket
            .resolve_family(FAMILY_NAME)
            .map_err(ConnectError::Netlink)?
        {
            Some(id) => id,
            None if load_module() => socket
                .resolve_family(FAMILY_NAME)
                .map_err(ConnectError::Netlink)?
                .ok_or(ConnectError::NoFamily)?,
            None => return Err(ConnectError::NoFamily),
        };
        Ok(Ipvs { socket, family })
    }

    fn call(
        &mut self,
        cmd: Cmd,
        attrs: &[CmdAttr],
        kind: Kind,
    ) -> Result<Vec<Vec<u8>>, NetlinkError> {
        self.socket
            .exchange(self.family, cmd as u8, GENL_VERSION, &emit_all(attrs), kind)
    }

    pub fn info(&mut self) -> Result<Info, NetlinkError> {
        let replies = self.call(Cmd::GetInfo, &[], Kind::Do)?;
        let (mut version, mut size) = (None, None);
        for reply in &replies {
            for attr in wire::attrs(reply)? {
                match InfoAttr::parse(&attr)? {
                    InfoAttr::Version(v) => version = Some(v),
                    InfoAttr::ConnTabSize(v) => size = Some(v),
                    InfoAttr::Other(..) => {}
                }
            }
        }
        match (version, size) {
            (Some(version), Some(conn_tab_size)) => Ok(Info {
                version,
                conn_tab_size,
            }),
            _ => Err(NetlinkError::Decode(DecodeError(
                "GET_INFO reply incomplete".into(),
            ))),
        }
    }

    /// Carry out one change (one request, one acknowledgement).
    pub fn apply(&mut self, change: &Change<'_>) -> Result<(), NetlinkError> {
        let (cmd, attrs) = change.encode();
        self.call(cmd, &attrs, Kind::Do).map(drop)
    }

    /// Carry out many changes, already encoded (`Change::encoded`), with few
    /// round trips (see `Socket::exchange_many`): which were sent, and which
    /// failed.
    pub fn apply_encoded(&mut self, requests: &[(u8, Vec<u8>)]) -> Result<Batch, NetlinkError> {
        self.socket
            .exchange_many(self.family, GENL_VERSION, requests)
    }

    /// Missing attributes read as 0 (kernels built without TCP or UDP support).
    pub fn timeouts(&mut self) -> Result<Timeouts, NetlinkError> {
        let mut t = Timeouts::default();
        for reply in self.call(Cmd::GetConfig, &[], Kind::Do)? {
            for attr in top_level(&reply)? {
                match attr {
                    CmdAttr::TimeoutTcp(v) => t.tcp = v,
                    CmdAttr::TimeoutTcpFin(v) => t.tcp_fin = v,
                    CmdAttr::TimeoutUdp(v) => t.udp = v,
                    _ => {}
                }
            }
        }
        Ok(t)
    }

    pub fn daemons(&mut self) -> Result<Vec<SyncDaemon>, NetlinkError> {
        let mut out = Vec::new();
        for reply in self.call(Cmd::GetDaemon, &[], Kind::Dump)? {
            for attr in top_level(&reply)? {
                if let CmdAttr::Daemon(attrs) = attr {
                    out.extend(daemon_from(&attrs)?);
                }
            }
        }
        Ok(out)
    }

    /// Every virtual service, in kernel dump order. The kernel resumes a
    /// dump by position, so concurrent changes can repeat an entry: the
    /// first occurrence of each key wins.
    pub fn services(&mut self) -> Result<Vec<(Service, Stats)>, NetlinkError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for reply in self.call(Cmd::GetService, &[], Kind::Dump)? {
            for attr in top_level(&reply)? {
                if let CmdAttr::Service(attrs) = attr {
                    let (service, stats) = service_from(&attrs)?;
                    if seen.insert(service.key) {
                        out.push((service, stats));
                    }
                }
            }
        }
        Ok(out)
    }

    /// One service (`GET_SERVICE` without dump): ESRCH when it does not exist.
    pub fn service(&mut self, key: &ServiceKey) -> Result<(Service, Stats), NetlinkError> {
        for reply in self.call(
            Cmd::GetService,
            &[CmdAttr::Service(service_identity(key))],
            Kind::Do,
        )? {
            for attr in top_level(&reply)? {
                if let CmdAttr::Service(attrs) = attr {
                    return Ok(service_from(&attrs)?);
                }
            }
        }
        Err(NetlinkError::Decode(DecodeError(
            "GET_SERVICE reply without a service".into(),
        )))
    }

    /// The real servers of one service, in kernel order (an empty list when
    /// the service does not exist: the kernel does not say).
    pub fn servers(&mut self, key: &ServiceKey) -> Result<Vec<RealServerEntry>, NetlinkError> {
        let family = key.family();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for reply in self.call(
            Cmd::GetDest,
            &[CmdAttr::Service(service_identity(key))],
            Kind::Dump,
        )? {
            for attr in top_level(&reply)? {
                if let CmdAttr::Dest(attrs) = attr {
                    let entry = dest_from(&attrs, family)?;
                    if seen.insert((entry.server.addr, entry.server.port)) {
                        out.push(entry);
                    }
                }
            }
        }
        Ok(out)
    }
}
