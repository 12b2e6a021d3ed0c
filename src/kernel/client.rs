//! The IPVS operations over one socket: the family is resolved once, then
//! every command and dump reuses it (ipvsadm opens a socket and resolves the
//! family for every single operation).

use super::attrs::{
    emit_all, Cmd, CmdAttr, DestAttr, InfoAttr, ServiceAttr, FAMILY_NAME, GENL_VERSION,
};
use super::convert::{
    best_counters, daemon_attrs, daemon_from, daemon_stop_attrs, each_dest_full,
    each_dest_identity, each_service_full, each_service_identity, service_from, service_identity,
    DestFields, ServiceFields,
};
use super::socket::{Batch, Kind, NetlinkError, ReplyVisitor, Request, RequestBatch, Socket};
use super::wire::{self, AttrWriter, DecodeError};
use crate::error::KernelOp;
use crate::model::key_hash::KeySet;
use crate::model::{
    DaemonState, Family, Info, RealServer, RealServerEntry, Service, ServiceKey, Stats, SyncDaemon,
    Timeouts,
};

/// A connection to the kernel's IPVS: one netlink socket, its family
/// resolved once. Every wait for the kernel has a deadline
/// ([`REPLY_DEADLINE`](super::REPLY_DEADLINE)): a kernel that does not
/// answer becomes [`NetlinkError::Timeout`], never a hang.
pub struct Ipvs {
    socket: Socket,
    family: u16,
    /// where listings read real servers
    pub(crate) list_source: super::ListSource,
    /// the network namespace it was opened in, as the user named it
    netns: Option<String>,
    /// where datagrams are traced, for connections opened beside it
    trace: Option<std::path::PathBuf>,
}

/// A request that changes the kernel's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// `IPVS_CMD_NEW_SERVICE`
    AddService(&'a Service),
    /// `IPVS_CMD_SET_SERVICE`
    EditService(&'a Service),
    /// `IPVS_CMD_DEL_SERVICE`
    DeleteService(&'a ServiceKey),
    /// `IPVS_CMD_FLUSH`
    Flush,
    /// `IPVS_CMD_ZERO` of one service, or of all
    Zero(Option<&'a ServiceKey>),
    /// `IPVS_CMD_NEW_DEST`: a real server of a service
    AddServer(&'a ServiceKey, &'a RealServer),
    /// `IPVS_CMD_SET_DEST`
    EditServer(&'a ServiceKey, &'a RealServer),
    /// `IPVS_CMD_DEL_DEST`
    DeleteServer(&'a ServiceKey, &'a RealServer),
    /// `IPVS_CMD_SET_CONFIG`
    SetTimeouts(&'a Timeouts),
    /// `IPVS_CMD_NEW_DAEMON`
    StartDaemon(&'a SyncDaemon),
    /// `IPVS_CMD_DEL_DAEMON`: the daemon's state and sync id
    StopDaemon(DaemonState, u32),
}

impl Change<'_> {
    /// The operation ipvsadm's messages name when this request fails.
    pub fn op(&self) -> KernelOp {
        match self {
            Change::AddService(_) => KernelOp::AddService,
            Change::EditService(_) => KernelOp::EditService,
            Change::DeleteService(_) => KernelOp::DeleteService,
            Change::Flush => KernelOp::Flush,
            Change::Zero(_) => KernelOp::Zero,
            Change::AddServer(..) => KernelOp::AddServer,
            Change::EditServer(..) => KernelOp::EditServer,
            Change::DeleteServer(..) => KernelOp::DeleteServer,
            Change::SetTimeouts(_) => KernelOp::SetTimeouts,
            Change::StartDaemon(_) => KernelOp::StartDaemon,
            Change::StopDaemon(..) => KernelOp::StopDaemon,
        }
    }

    /// Write the request's attributes (what ipvsadm sends, identity only
    /// where the kernel reads nothing else); returns its command.
    fn write(&self, w: &mut AttrWriter) -> Cmd {
        let identity = |w: &mut AttrWriter, key| {
            CmdAttr::emit_service(w, |each| each_service_identity(key, each))
        };
        match *self {
            Change::AddService(s) => {
                CmdAttr::emit_service(w, |each| each_service_full(s, each));
                Cmd::NewService
            }
            Change::EditService(s) => {
                CmdAttr::emit_service(w, |each| each_service_full(s, each));
                Cmd::SetService
            }
            Change::DeleteService(key) => {
                identity(w, key);
                Cmd::DelService
            }
            Change::Flush => Cmd::Flush,
            Change::Zero(key) => {
                if let Some(key) = key {
                    identity(w, key);
                }
                Cmd::Zero
            }
            Change::AddServer(key, server) => {
                identity(w, key);
                CmdAttr::emit_dest(w, |each| each_dest_full(server, each));
                Cmd::NewDest
            }
            Change::EditServer(key, server) => {
                identity(w, key);
                CmdAttr::emit_dest(w, |each| each_dest_full(server, each));
                Cmd::SetDest
            }
            Change::DeleteServer(key, server) => {
                identity(w, key);
                CmdAttr::emit_dest(w, |each| each_dest_identity(server, each));
                Cmd::DelDest
            }
            Change::SetTimeouts(t) => {
                CmdAttr::TimeoutTcp(t.tcp).emit(w);
                CmdAttr::TimeoutTcpFin(t.tcp_fin).emit(w);
                CmdAttr::TimeoutUdp(t.udp).emit(w);
                Cmd::SetConfig
            }
            Change::StartDaemon(d) => {
                CmdAttr::Daemon(daemon_attrs(d)).emit(w);
                Cmd::NewDaemon
            }
            Change::StopDaemon(state, syncid) => {
                CmdAttr::Daemon(daemon_stop_attrs(state, syncid)).emit(w);
                Cmd::DelDaemon
            }
        }
    }

    /// The generic netlink command and attribute bytes of the request.
    pub fn encoded(&self) -> (u8, Vec<u8>) {
        let mut w = AttrWriter::new();
        let cmd = self.write(&mut w);
        (cmd as u8, w.into_bytes())
    }

    /// Append the request to a batch.
    pub fn push_to(&self, batch: &mut RequestBatch) {
        batch.push(GENL_VERSION, |w| self.write(w) as u8);
    }
}

/// Why the connection could not be set up.
#[derive(Debug)]
pub enum ConnectError {
    /// the kernel has no IPVS family (module missing or not loadable)
    NoFamily,
    /// the exchange failed
    Netlink(NetlinkError),
}

/// The typed top-level attributes of one reply's attribute area.
pub fn top_level(reply: &[u8]) -> Result<Vec<CmdAttr>, DecodeError> {
    wire::parse_attrs(reply, CmdAttr::parse)
}

/// The services of one reply to a service dump, in order, to `visit`.
/// Big dumps are read attribute by attribute, without building a list per
/// reply or per service.
fn services_in(reply: &[u8], mut visit: impl FnMut(Service, Stats)) -> Result<(), DecodeError> {
    each_nest(reply, CmdAttr::SERVICE, |nest| {
        let mut counters = Counters::default();
        let kinds = [ServiceAttr::STATS64, ServiceAttr::STATS];
        let mut fields = ServiceFields::default();
        counters.read_around(nest, kinds, ServiceAttr::parse, |a| fields.take(a))?;
        let (service, _) = fields.finish()?;
        visit(service, counters.read()?);
        Ok(())
    })
}

/// The stats nests of one dump entry, read in place once the entry is
/// (a listing of 100,000 real servers holds 200,000 of them, and only
/// the 64-bit one of each pair is needed).
#[derive(Default)]
struct Counters<'a> {
    wide: Option<&'a [u8]>,
    narrow: Option<&'a [u8]>,
}

impl<'a> Counters<'a> {
    /// Every attribute of `nest` parsed by `parse` to `each`, but for the
    /// stats nests of kinds `[wide, narrow]` (64-bit and 32-bit), which
    /// are kept unread.
    fn read_around<A>(
        &mut self,
        nest: &'a [u8],
        [wide, narrow]: [u16; 2],
        parse: impl Fn(&wire::Attr<'a>) -> Result<A, DecodeError>,
        mut each: impl FnMut(A),
    ) -> Result<(), DecodeError> {
        wire::parse_attrs(nest, |a| {
            match a.kind {
                kind if kind == wide => self.wide = Some(a.payload),
                kind if kind == narrow => self.narrow = Some(a.payload),
                _ => parse(a).map(&mut each)?,
            }
            Ok(())
        })
        .map(drop)
    }

    /// The 64-bit counters, or the 32-bit ones (kernels before 4.1).
    fn read(&self) -> Result<Stats, DecodeError> {
        best_counters(self.wide, self.narrow)
    }
}

/// The real servers of one reply to a real-server dump of a service of
/// `family`, in order, to `visit`.
fn servers_in(
    reply: &[u8],
    family: Family,
    mut visit: impl FnMut(RealServerEntry),
) -> Result<(), DecodeError> {
    each_nest(reply, CmdAttr::DEST, |nest| {
        let mut counters = Counters::default();
        let kinds = [DestAttr::STATS64, DestAttr::STATS];
        let mut fields = DestFields::default();
        counters.read_around(nest, kinds, DestAttr::parse, |a| fields.take(a))?;
        let mut entry = fields.finish(family)?;
        entry.stats = counters.read()?;
        visit(entry);
        Ok(())
    })
}

/// The payload of every top-level nest of `kind` in a reply, in order, to
/// `visit`; other attributes are skipped.
fn each_nest(
    reply: &[u8],
    kind: u16,
    mut visit: impl FnMut(&[u8]) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    wire::parse_attrs(reply, |a| {
        if a.kind == kind {
            visit(a.payload)
        } else {
            Ok(())
        }
    })
    .map(drop)
}

impl Ipvs {
    /// Open the socket and resolve the IPVS family. `load_module` runs when
    /// the family is missing (ipvsadm runs `/sbin/modprobe -- ip_vs`).
    pub fn connect(
        settings: &super::Settings,
        load_module: impl FnOnce() -> bool,
    ) -> Result<Ipvs, ConnectError> {
        let mut socket = Socket::open(settings.trace.as_deref()).map_err(ConnectError::Netlink)?;
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
        Ok(Ipvs {
            socket,
            family,
            list_source: settings.list_source,
            netns: settings.netns.as_ref().map(|n| n.name.clone()),
            trace: settings.trace.clone(),
        })
    }

    /// A second connection like this one, for reading beside it on
    /// another thread (which must be in the same network namespace).
    pub(crate) fn sibling(&self) -> Result<Ipvs, NetlinkError> {
        Ok(Ipvs {
            socket: Socket::open(self.trace.as_deref())?,
            family: self.family,
            list_source: self.list_source,
            netns: self.netns.clone(),
            trace: self.trace.clone(),
        })
    }

    pub(crate) fn call(
        &mut self,
        cmd: Cmd,
        attrs: &[CmdAttr],
        kind: Kind,
    ) -> Result<Vec<Vec<u8>>, NetlinkError> {
        self.socket
            .exchange(self.family, cmd as u8, GENL_VERSION, &emit_all(attrs), kind)
    }

    /// [`Ipvs::call`], each reply's attributes handed to `visit` with the
    /// number of the datagram it came in, uncopied.
    pub(super) fn call_each(
        &mut self,
        cmd: Cmd,
        attrs: &[CmdAttr],
        kind: Kind,
        visit: &mut ReplyVisitor<'_>,
    ) -> Result<(), NetlinkError> {
        let request = Request {
            family: self.family,
            cmd: cmd as u8,
            version: GENL_VERSION,
            attrs: &emit_all(attrs),
            kind,
        };
        self.socket.exchange_each(request, visit)
    }

    /// The kernel's IPVS version and connection table size.
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

    /// The network namespace this connection works in, as the user named
    /// it (`--netns`); None for the caller's own.
    pub fn netns(&self) -> Option<&str> {
        self.netns.as_deref()
    }

    /// Carry out one change (one request, one acknowledgement).
    pub fn apply(&mut self, change: &Change<'_>) -> Result<(), NetlinkError> {
        let (cmd, attrs) = change.encoded();
        self.socket
            .exchange(self.family, cmd, GENL_VERSION, &attrs, Kind::Do)
            .map(drop)
    }

    /// Carry out a batch of changes (`Change::push_to`) in one round trip
    /// (see `Socket::exchange_batch`): which failed, by index.
    pub fn apply_batch(&mut self, batch: &mut RequestBatch) -> Result<Batch, NetlinkError> {
        self.socket.exchange_batch(self.family, batch)
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

    /// The running sync daemons.
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
        let mut seen = KeySet::default();
        let mut out = Vec::new();
        self.call_each(Cmd::GetService, &[], Kind::Dump, &mut |reply, _| {
            Ok(services_in(reply, |service, stats| {
                if seen.insert(service.key) {
                    out.push((service, stats));
                }
            })?)
        })?;
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

    /// The attributes the kernel sends for `key`'s service and for each of
    /// its real servers, untranslated: which ones a kernel sends tells
    /// what it has (see `features::probe`).
    pub(crate) fn sent_attributes(
        &mut self,
        key: &ServiceKey,
    ) -> Result<(Vec<ServiceAttr>, Vec<Vec<DestAttr>>), NetlinkError> {
        let identity = [CmdAttr::Service(service_identity(key))];
        let mut service = Vec::new();
        for reply in self.call(Cmd::GetService, &identity, Kind::Do)? {
            for attr in top_level(&reply)? {
                if let CmdAttr::Service(attrs) = attr {
                    service = attrs;
                }
            }
        }
        let mut servers = Vec::new();
        for reply in self.call(Cmd::GetDest, &identity, Kind::Dump)? {
            for attr in top_level(&reply)? {
                if let CmdAttr::Dest(attrs) = attr {
                    servers.push(attrs);
                }
            }
        }
        Ok((service, servers))
    }

    /// The real servers of one service, in kernel order (an empty list when
    /// the service does not exist: the kernel does not say).
    pub fn servers(&mut self, key: &ServiceKey) -> Result<Vec<RealServerEntry>, NetlinkError> {
        let family = key.family();
        let identity = [CmdAttr::Service(service_identity(key))];
        let mut out = Vec::new();
        let mut datagrams = 0;
        self.call_each(
            Cmd::GetDest,
            &identity,
            Kind::Dump,
            &mut |reply, datagram| {
                datagrams = datagram + 1;
                Ok(servers_in(reply, family, |entry| out.push(entry))?)
            },
        )?;
        // The kernel resumes a dump by position, datagram after datagram,
        // so a real server added or removed meanwhile can repeat one: the
        // first of each wins. One datagram (most services) cannot repeat.
        if datagrams > 1 {
            let mut seen = KeySet::default();
            out.retain(|entry| seen.insert((entry.server.addr, entry.server.port)));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::attrs::{StatsAttr, StatsBlock};
    use crate::kernel::convert::{dest_from, dest_full, service_full};
    use crate::model::{ForwardMethod, Netmask, Protocol, ServiceFlags, Tunnel};
    use std::net::{IpAddr, Ipv4Addr};

    fn service(i: u8) -> Service {
        Service {
            key: ServiceKey::Addr {
                protocol: Protocol::Tcp,
                addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, i)),
                port: 80,
            },
            scheduler: "wlc".into(),
            flags: ServiceFlags(0),
            timeout: 0,
            netmask: Netmask::host(Family::Inet),
            pe_name: i.is_multiple_of(2).then(|| "sip".to_string()),
        }
    }

    fn stats(first: u64, wide: bool) -> StatsBlock {
        StatsBlock::new(
            &[StatsAttr::Conns(first), StatsAttr::InBytes(first + 1)],
            wide,
        )
    }

    /// A dump reply read attribute by attribute gives what reading it into
    /// lists gives, unknown attributes skipped at either level.
    #[test]
    fn dump_replies_read_as_they_stream_as_when_listed() {
        let mut nests = Vec::new();
        for i in 1..4 {
            let mut attrs = service_full(&service(i));
            attrs.push(ServiceAttr::Stats(stats(u64::from(i), false)));
            attrs.push(ServiceAttr::Other(99, vec![1, 2, 3]));
            if i != 2 {
                attrs.push(ServiceAttr::Stats64(stats(u64::from(i) << 40, true)));
            }
            nests.push(CmdAttr::Service(attrs));
            nests.push(CmdAttr::Other(42, vec![0; 4]));
        }
        let reply = emit_all(&nests);
        let mut streamed = Vec::new();
        services_in(&reply, |s, st| streamed.push((s, st))).unwrap();
        let listed: Vec<(Service, Stats)> = top_level(&reply)
            .unwrap()
            .into_iter()
            .filter_map(|a| match a {
                CmdAttr::Service(attrs) => Some(service_from(&attrs).unwrap()),
                _ => None,
            })
            .collect();
        assert_eq!(streamed.len(), 3);
        assert_eq!(streamed, listed);
        assert_eq!(streamed[0].1.inbytes, (1 << 40) + 1);
        assert_eq!(streamed[1].1.conns, 2);

        let server = |i: u8| RealServer {
            addr: IpAddr::V4(Ipv4Addr::new(192, 168, 0, i)),
            port: 8080,
            forward: ForwardMethod::Masquerade,
            weight: i32::from(i),
            u_threshold: 0,
            l_threshold: 0,
            tunnel: Tunnel::default(),
        };
        let nests: Vec<CmdAttr> = (1..4)
            .map(|i| {
                let mut attrs = dest_full(&server(i));
                attrs.extend([
                    DestAttr::ActiveConns(u32::from(i)),
                    DestAttr::InactConns(0),
                    DestAttr::PersistConns(0),
                    DestAttr::Stats64(stats(7, true)),
                ]);
                CmdAttr::Dest(attrs)
            })
            .collect();
        let reply = emit_all(&nests);
        let mut streamed = Vec::new();
        servers_in(&reply, Family::Inet, |rs| streamed.push(rs)).unwrap();
        let listed: Vec<RealServerEntry> = nests
            .iter()
            .map(|n| match n {
                CmdAttr::Dest(attrs) => dest_from(attrs, Family::Inet).unwrap(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(streamed, listed);
        assert_eq!(streamed[2].server.weight, 3);
        // A damaged nest is an error either way.
        let mut damaged = reply.clone();
        damaged.truncate(reply.len() - 3);
        assert!(servers_in(&damaged, Family::Inet, |_| ()).is_err());
    }
}
