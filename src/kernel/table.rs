//! Read the kernel table for a listing, fast: netlink has no dump of all
//! real servers, only one dump per service, which dominates big listings.
//! So service attributes come from one netlink dump, and the real servers
//! from whichever source costs the kernel least for this table's shape:
//! one `getsockopt` call per IPv4 service ([`sockopt`]) after the dump
//! when lookups are cheap, or else `/proc/net/ip_vs` ([`procfs`]) read
//! from the start while requests come from the end. `getsockopt` sees
//! IPv4 services only, and the kernel counts no other family for it, so
//! the services it cannot answer (IPv6 ones) are weighed once the dump
//! has shown them, and meet the text then when they are many. Netlink per
//! service is left for what those lack: services no source had whole, and
//! every setting that [`convert::quick_read_carries`] says they cannot
//! hold.

use super::hand_over::HandOver;
use super::procfs::{self, ProcKey};
use super::{convert, failed, sockopt, Ipvs, ListSource, NetlinkError};
use crate::error::{Error, KernelOp};
use crate::model::key_hash::{KeyMap, KeySet};
use crate::model::{RealServerEntry, Service, ServiceEntry, ServiceKey, ServiceParts, Stats};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What of each real server a listing needs, beyond its address,
/// forwarding method, weight and connection counts (which every source
/// has).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    /// thresholds and persistence-template counts (`--thresholds`,
    /// `--persistent-conn`, `-S --full`, a restore's view of the table)
    pub thresholds: bool,
    /// tunnel settings of tunnelled real servers (`-S`, `--tun-info`)
    pub tunnels: bool,
    /// traffic counters, 64-bit (`--json`, metrics)
    pub counters: bool,
    /// traffic counters of which only the low 32 bits are shown: ipvsadm's
    /// `--stats` and `--rate` print no more of a real server's, and
    /// `getsockopt` has that much
    pub counters_low_bits: bool,
}

impl Detail {
    /// `-L`, `--orphans`
    pub const PLAIN: Detail = Detail {
        thresholds: false,
        tunnels: false,
        counters: false,
        counters_low_bits: false,
    };
    /// every setting, no counters (a restore's view, `-S --full`)
    pub const SETTINGS: Detail = Detail {
        thresholds: true,
        tunnels: true,
        counters: false,
        counters_low_bits: false,
    };
    /// everything netlink reports
    pub const FULL: Detail = Detail {
        thresholds: true,
        tunnels: true,
        counters: true,
        counters_low_bits: true,
    };
}

/// A whole table read for a listing, with what the listing made of each
/// service where it could be made as the table came in.
pub enum Made<T> {
    /// every service with what `each` made of it on a thread beside the
    /// reads, as soon as its real servers were in; in kernel order
    AsRead(Vec<(ServiceEntry, T)>),
    /// every service, in kernel order, read by a route that has no
    /// service whole before the end (the text): the caller makes its
    /// output of the whole table
    Whole(Vec<ServiceEntry>),
}

/// Every service with its real servers, in kernel order, with at least
/// `detail` filled in.
pub fn table(ipvs: &mut Ipvs, detail: Detail) -> Result<Vec<ServiceEntry>, Error> {
    Ok(match table_made_as_read(ipvs, detail, &|_| ())? {
        Made::AsRead(read) => read.into_iter().map(|(entry, ())| entry).collect(),
        Made::Whole(entries) => entries,
    })
}

/// Every service with its real servers, as [`table`] reads them for
/// `detail`, and where the route allows, what `each` made of every
/// service on a thread beside the reads, as soon as its real servers were
/// in: a listing formats one service while the kernel answers the next.
pub fn table_made_as_read<T: Send>(
    ipvs: &mut Ipvs,
    detail: Detail,
    each: &(dyn Fn(ServiceParts<'_>) -> T + Sync),
) -> Result<Made<T>, Error> {
    // The text has no thresholds, persistence templates or counters.
    let text_serves = !detail.thresholds && !detail.counters && !detail.counters_low_bits;
    match ipvs.list_source {
        _ if detail.counters => by_netlink(ipvs, each).map(Made::AsRead),
        ListSource::Netlink => by_netlink(ipvs, each).map(Made::AsRead),
        ListSource::ProcText if text_serves => {
            from_both_ends(ipvs, detail, None, None).map(Made::Whole)
        }
        ListSource::Cheapest if text_serves => {
            // The counts decide the source, and are then the ones each
            // answer is checked against. They show IPv4 services only (the
            // kernel counts no other family for this interface): what the
            // rest costs is known once the service dump is in.
            let counted = sockopt::Counted::read().ok();
            match counted.as_ref().map(|c| choose_source(&c.counts, c.total)) {
                Some(ListSource::Requests) => by_requests(ipvs, detail, counted, true, each),
                _ => from_both_ends(ipvs, detail, counted, None).map(Made::Whole),
            }
        }
        ListSource::Cheapest | ListSource::ProcText | ListSource::Requests => {
            by_requests(ipvs, detail, None, false, each)
        }
    }
}

/// A service's real servers and what was made of them, by position in
/// the service dump; `None` where no quick source had them whole.
type MadeSoFar<T> = Vec<Option<(Vec<RealServerEntry>, T)>>;

/// Nothing made yet for any of `services` services.
fn nothing_made<T>(services: usize) -> MadeSoFar<T> {
    std::iter::repeat_with(|| None).take(services).collect()
}

/// Every service's real servers by one netlink dump each (the only source
/// of their 64-bit counters), each made into `each`'s output as it came.
fn by_netlink<T: Send>(
    ipvs: &mut Ipvs,
    each: &(dyn Fn(ServiceParts<'_>) -> T + Sync),
) -> Result<Vec<(ServiceEntry, T)>, Error> {
    let services = ipvs.services().map_err(failed(KernelOp::List))?;
    let none = nothing_made(services.len());
    completed_by_netlink(ipvs, services, none, each)
}

/// Real servers by one `getsockopt` request per IPv4 service, asked once
/// the service dump is in (the kernel answers the two under one mutex, so
/// side by side they only wait for each other), each made into `each`'s
/// output on a second thread while the next is asked; `counted` when the
/// counts were read already. The answers are checked against a second
/// count, and what they lack is read through netlink. With `late_text`,
/// the services `getsockopt` cannot answer (IPv6 ones) meet the text
/// halfway instead when that is cheaper than asking netlink for each.
fn by_requests<T: Send>(
    ipvs: &mut Ipvs,
    detail: Detail,
    counted: Option<sockopt::Counted>,
    late_text: bool,
    each: &(dyn Fn(ServiceParts<'_>) -> T + Sync),
) -> Result<Made<T>, Error> {
    let services = ipvs.services().map_err(failed(KernelOp::List))?;
    let counted = counted.or_else(|| sockopt::Counted::read().ok());
    let Some(counted) = counted else {
        let none = nothing_made(services.len());
        return completed_by_netlink(ipvs, services, none, each).map(Made::AsRead);
    };
    let unanswered = services.len().saturating_sub(counted.counts.len());
    if late_text && text_is_cheaper(&counted.counts, services.len(), unanswered) {
        let read_already = Some((services, Known::default()));
        return from_both_ends(ipvs, detail, Some(counted), read_already).map(Made::Whole);
    }
    let mut made = requested_and_made(&services, &counted, detail, each);
    let recount = counted.recount();
    for ((service, _), slot) in services.iter().zip(&mut made) {
        let moved = |(servers, _): &(Vec<RealServerEntry>, T)| {
            !recount.still_whole(&service.key, servers.len())
        };
        if slot.as_ref().is_some_and(moved) {
            *slot = None;
        }
    }
    completed_by_netlink(ipvs, services, made, each).map(Made::AsRead)
}

/// The real servers of every IPv4 service of `services` that `counted`
/// answers whole for `detail`, asked one by one in kernel order, handed
/// with their services to `each` on a second thread as they come in (a
/// few at a time: every hand-over wakes that thread); once every request
/// is answered, this thread makes what is left beside it. By position in
/// `services`.
fn requested_and_made<T: Send>(
    services: &[(Service, Stats)],
    counted: &sockopt::Counted,
    detail: Detail,
    each: &(dyn Fn(ServiceParts<'_>) -> T + Sync),
) -> MadeSoFar<T> {
    type Answers = Vec<(usize, Vec<RealServerEntry>)>;
    let (sender, receiver) = std::sync::mpsc::channel::<Answers>();
    let receiver = std::sync::Mutex::new(receiver);
    let make_all = || {
        let mut made = Vec::new();
        // The lock is held while waiting, not while making.
        let next = || receiver.lock().map_or(None, |r| r.recv().ok());
        while let Some(answers) = next() {
            for (at, servers) in answers {
                let (service, stats) = &services[at];
                let output = each((service, stats, &servers));
                made.push((at, (servers, output)));
            }
        }
        made
    };
    let (mine, theirs) = std::thread::scope(|scope| {
        let maker = scope.spawn(make_all);
        let mut answers = HandOver::new(HANDED_OVER_AT_ONCE);
        for (at, (service, _)) in services.iter().enumerate() {
            let answer = counted.whole_servers(&service.key);
            let Some(servers) = answer.filter(|s| carried(s, detail, false)) else {
                continue;
            };
            let width = servers.len();
            if let Some(full) = answers.gather((at, servers), width) {
                if sender.send(full).is_err() {
                    break;
                }
            }
        }
        let _ = sender.send(answers.take());
        drop(sender);
        (make_all(), maker.join())
    });
    let theirs = match theirs {
        Ok(theirs) => theirs,
        // A panic while making output is a bug of the caller's: it goes on.
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let mut made = nothing_made(services.len());
    for (at, pair) in mine.into_iter().chain(theirs) {
        made[at] = Some(pair);
    }
    made
}

/// How many answered services go to the making thread at once, at most.
const HANDED_OVER_AT_ONCE: usize = 32;

/// The services with their real servers and what `each` made of them:
/// those `made` has, and the others read by one netlink dump each.
fn completed_by_netlink<T: Send>(
    ipvs: &mut Ipvs,
    services: Vec<(Service, Stats)>,
    made: MadeSoFar<T>,
    each: &(dyn Fn(ServiceParts<'_>) -> T + Sync),
) -> Result<Vec<(ServiceEntry, T)>, Error> {
    let missing: Vec<usize> = (0..made.len()).filter(|&i| made[i].is_none()).collect();
    let keys: Vec<ServiceKey> = missing.iter().map(|&i| services[i].0.key).collect();
    let finish = |at: usize, servers: Vec<RealServerEntry>| {
        let (service, stats) = &services[missing[at]];
        let made = each((service, stats, &servers));
        (servers, made)
    };
    let mut read = Vec::with_capacity(keys.len());
    super::in_order::read_in_order(ipvs, &keys, &finish, &mut |_, made| {
        read.push(made);
        Ok(())
    })?;
    // One read per missing service, in order: each fills the next gap.
    let mut read = read.into_iter();
    let mut entries = Vec::with_capacity(services.len());
    for ((service, stats), slot) in services.into_iter().zip(made) {
        if let Some((real_servers, made)) = slot.or_else(|| read.next()) {
            let entry = ServiceEntry {
                service,
                stats,
                real_servers,
            };
            entries.push((entry, made));
        }
    }
    Ok(entries)
}

/// Whether every one of `servers`, read by a quick source (the text when
/// `from_text`), has all that `detail` needs.
fn carried(servers: &[RealServerEntry], detail: Detail, from_text: bool) -> bool {
    servers
        .iter()
        .all(|rs| convert::quick_read_carries(&rs.server, detail, from_text))
}

/// Real servers from both ends of the kernel's order at once: a second
/// thread reads `/proc/net/ip_vs` from the start while this one, once the
/// service dump is in, asks for services one by one from the end
/// (`getsockopt` for IPv4, netlink for the rest); each stops where the
/// other has been. The text costs more the further it goes (the kernel
/// walks the table again for every 4 KiB read) and a request costs what
/// its service's lookup costs (long where addresses share a hash chain),
/// so the two meet wherever the table's shape puts the balance, with no
/// guess. With `ListSource::ProcText` the text is read whole instead.
/// `read_already`: the service dump and what requests have answered,
/// when they came first (then the text starts now, and the services
/// answered already are passed over from the back).
fn from_both_ends(
    ipvs: &mut Ipvs,
    detail: Detail,
    counted: Option<sockopt::Counted>,
    read_already: Option<(Vec<(Service, Stats)>, Known)>,
) -> Result<Vec<ServiceEntry>, Error> {
    let whole_text = ipvs.list_source == ListSource::ProcText;
    let text_named = AtomicUsize::new(0);
    let back_reached = AtomicUsize::new(usize::MAX);
    let (services, back, text) = std::thread::scope(|scope| {
        let text = scope.spawn(|| {
            procfs::read_while(|named| {
                text_named.store(named, Ordering::Relaxed);
                whole_text || named < back_reached.load(Ordering::Relaxed)
            })
        });
        let (services, answered) = match read_already {
            Some((services, known)) => (Ok(services), known),
            None => (ipvs.services(), Known::default()),
        };
        let back = match (&services, whole_text) {
            (Ok(services), false) => {
                let counted = counted.or_else(|| sockopt::Counted::read().ok());
                from_the_back(
                    ipvs,
                    services,
                    counted,
                    answered,
                    &text_named,
                    &back_reached,
                )
            }
            _ => Ok(answered),
        };
        // The text stops now, whatever happened here.
        back_reached.store(0, Ordering::Relaxed);
        (services, back, text.join().ok().flatten())
    });
    let services = services.map_err(failed(KernelOp::List))?;
    let mut known = back.map_err(failed(KernelOp::List))?;
    if let Some(by_name) = text {
        known.by_text = agreeing_with_counts(by_name, &known.sockopt_counts);
    }
    with_servers(ipvs, services, known, detail)
}

/// The real servers of `services` from the last one backwards, until the
/// text has named the one to be read next; `reached` tells the text how
/// far back this has come. Services `known` has are passed over; IPv4
/// services are asked of `counted` when it has them whole, the others of
/// netlink.
fn from_the_back(
    ipvs: &mut Ipvs,
    services: &[(Service, Stats)],
    counted: Option<sockopt::Counted>,
    mut known: Known,
    text_named: &AtomicUsize,
    reached: &AtomicUsize,
) -> Result<Known, NetlinkError> {
    for (at, (service, _)) in services.iter().enumerate().rev() {
        if at < text_named.load(Ordering::Relaxed) {
            break;
        }
        let key = service.key;
        if known.by_sockopt.contains_key(&key) {
            reached.store(at, Ordering::Relaxed);
            continue;
        }
        match counted.as_ref().and_then(|c| c.whole_servers(&key)) {
            Some(servers) => {
                known.by_sockopt.insert(key, servers);
            }
            None => {
                known.by_netlink.insert(key, ipvs.servers(&key)?);
            }
        }
        reached.store(at, Ordering::Relaxed);
    }
    if let Some(counted) = counted {
        let recount = counted.recount();
        known
            .by_sockopt
            .retain(|key, servers| recount.still_whole(key, servers.len()));
        known.sockopt_counts = counted.counts;
    }
    Ok(known)
}

/// Real servers read by the quick sources, each kind kept apart.
#[derive(Default)]
struct Known {
    /// by netlink, whole
    by_netlink: KeyMap<ServiceKey, Vec<RealServerEntry>>,
    /// by `getsockopt`, for IPv4 services
    by_sockopt: KeyMap<ServiceKey, Vec<RealServerEntry>>,
    /// from `/proc/net/ip_vs`, for every service it names once
    by_text: KeyMap<ProcKey, Vec<RealServerEntry>>,
    /// getsockopt's counts of the real servers of IPv4 services (every
    /// family counted), which the text is checked against
    sockopt_counts: KeyMap<ServiceKey, usize>,
}

impl Known {
    /// The real servers read for `key`, if they are whole for `detail`;
    /// `shared_marks` are fwmarks used by services of both families, which
    /// the text does not tell apart.
    fn take(
        &mut self,
        key: &ServiceKey,
        detail: Detail,
        shared_marks: &KeySet<u32>,
    ) -> Option<Vec<RealServerEntry>> {
        if let Some(servers) = self.by_netlink.remove(key) {
            return Some(servers);
        }
        if let Some(servers) = self
            .by_sockopt
            .remove(key)
            .filter(|s| carried(s, detail, false))
        {
            return Some(servers);
        }
        if let ServiceKey::Fwmark { fwmark, .. } = key {
            if shared_marks.contains(fwmark) {
                return None;
            }
        }
        self.by_text
            .remove(&proc_key(key))
            .filter(|s| carried(s, detail, true))
    }
}

/// How `/proc/net/ip_vs` names a service.
fn proc_key(key: &ServiceKey) -> ProcKey {
    match *key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => ProcKey::Addr {
            protocol,
            addr,
            port,
        },
        ServiceKey::Fwmark { fwmark, .. } => ProcKey::Fwmark(fwmark),
    }
}

/// The entries of the text whose IPv4 services `getsockopt` counted the
/// same number of real servers for (a service the text caught while it
/// changed goes to netlink).
fn agreeing_with_counts(
    mut by_name: KeyMap<ProcKey, Vec<RealServerEntry>>,
    counts: &KeyMap<ServiceKey, usize>,
) -> KeyMap<ProcKey, Vec<RealServerEntry>> {
    for (key, count) in counts {
        let name = proc_key(key);
        if by_name
            .get(&name)
            .is_some_and(|servers| servers.len() != *count)
        {
            by_name.remove(&name);
        }
    }
    by_name
}

/// Rough kernel costs, in steps of a walk along the service table: a
/// `getsockopt` request, a netlink dump of one service (three system calls
/// and a message per real server), and the bytes of text the kernel
/// formats per step.
const SOCKOPT_REQUEST: u64 = 400;
const NETLINK_REQUEST: u64 = 3000;
const TEXT_BYTES_PER_STEP: u64 = 1;
/// Bytes of `/proc/net/ip_vs` per service line and per real-server line.
const TEXT_SERVICE_BYTES: u64 = 48;
const TEXT_SERVER_BYTES: u64 = 56;
/// What a `/proc` read hands over at once: every read after the first
/// walks the table again from its start to where the last one stopped.
const TEXT_READ_BYTES: u64 = 4096;

/// The cheaper source for a table of `total` services, of which `counts`
/// are the IPv4 ones with their numbers of real servers: `Requests` (one
/// per service), or `ProcText` (the text, which `from_both_ends` then
/// meets with requests from the end). A request finds its service by
/// walking the kernel's hash chain, and the kernel hashes services into
/// 256 chains by protocol, port and the last byte of the address:
/// services sharing those walk one long chain. The text walks the table
/// once per 4 KiB read, and needs no lookup.
fn choose_source(counts: &KeyMap<ServiceKey, usize>, total: usize) -> ListSource {
    // No service getsockopt can see: the table is empty, or holds no
    // IPv4 service, and the text is then read beside the service dump
    // from the start, where waiting for the dump would show it late.
    if total == 0 {
        return ListSource::ProcText;
    }
    let total = total.max(counts.len()) as u64;
    let ipv4 = counts.len() as u64;
    let requests =
        chain_steps(counts.keys()) + ipv4 * SOCKOPT_REQUEST + (total - ipv4) * NETLINK_REQUEST;
    if text_cost(counts, total) < requests {
        ListSource::ProcText
    } else {
        ListSource::Requests
    }
}

/// Whether the text (met from the back) costs less than one netlink
/// request for each of `unanswered` services of a table of `total`, of
/// which `counts` are the IPv4 ones (see [`choose_source`]).
fn text_is_cheaper(counts: &KeyMap<ServiceKey, usize>, total: usize, unanswered: usize) -> bool {
    text_cost(counts, total as u64) < unanswered as u64 * NETLINK_REQUEST
}

/// The steps of reading the whole text of `total` services, of which
/// `counts` are the IPv4 ones with their numbers of real servers.
fn text_cost(counts: &KeyMap<ServiceKey, usize>, total: u64) -> u64 {
    let ipv4 = counts.len() as u64;
    let ipv4_servers: u64 = counts.values().map(|&n| n as u64).sum();
    // The other services' real servers are not counted by getsockopt:
    // take them to be as many as the IPv4 ones', or 10 each.
    let per_service = ipv4_servers.checked_div(ipv4).unwrap_or(10);
    let servers = ipv4_servers + total.saturating_sub(ipv4) * per_service;
    let bytes = total * TEXT_SERVICE_BYTES + servers * TEXT_SERVER_BYTES;
    (bytes / TEXT_READ_BYTES) * total / 2 + bytes / TEXT_BYTES_PER_STEP
}

/// The steps requests for `keys` walk along the kernel's hash chains: a
/// chain of k services costs 1 + 2 + ... + k. The kernel also mixes a
/// per-namespace value into every bucket number, which only renumbers the
/// buckets and leaves their lengths as they are.
fn chain_steps<'a>(keys: impl Iterator<Item = &'a ServiceKey>) -> u64 {
    let mut addr_chains = [0u64; 256];
    let mut mark_chains = [0u64; 256];
    for key in keys {
        match *key {
            ServiceKey::Addr {
                protocol,
                addr: IpAddr::V4(addr),
                port,
            } => {
                let bucket = u32::from(protocol.number())
                    ^ u32::from(addr)
                    ^ u32::from(port >> 8)
                    ^ u32::from(port);
                addr_chains[(bucket & 0xff) as usize] += 1;
            }
            ServiceKey::Fwmark { fwmark, .. } => mark_chains[(fwmark & 0xff) as usize] += 1,
            ServiceKey::Addr { .. } => {}
        }
    }
    addr_chains
        .iter()
        .chain(&mark_chains)
        .map(|&k| k * (k + 1) / 2)
        .sum()
}

/// The services with their real servers: those `known` has whole for
/// `detail`, the others by one netlink dump each.
fn with_servers(
    ipvs: &mut Ipvs,
    services: Vec<(Service, Stats)>,
    mut known: Known,
    detail: Detail,
) -> Result<Vec<ServiceEntry>, Error> {
    let shared_marks = marks_of_both_families(&services);
    let found: MadeSoFar<()> = services
        .iter()
        .map(|(service, _)| known.take(&service.key, detail, &shared_marks))
        .map(|servers| servers.map(|servers| (servers, ())))
        .collect();
    let read = completed_by_netlink(ipvs, services, found, &|_| ())?;
    Ok(read.into_iter().map(|(entry, ())| entry).collect())
}

/// The fwmarks that services of both families use.
fn marks_of_both_families(services: &[(Service, Stats)]) -> KeySet<u32> {
    let mut seen = KeySet::default();
    let mut shared = KeySet::default();
    for (service, _) in services {
        if let ServiceKey::Fwmark { fwmark, .. } = service.key {
            if !seen.insert(fwmark) {
                shared.insert(fwmark);
            }
        }
    }
    shared
}

/// One service and its real servers, from netlink.
pub(crate) fn service(ipvs: &mut Ipvs, key: &ServiceKey) -> Result<ServiceEntry, Error> {
    let (service, stats) = ipvs.service(key).map_err(failed(KernelOp::List))?;
    let real_servers = ipvs.servers(&service.key).map_err(failed(KernelOp::List))?;
    Ok(ServiceEntry {
        service,
        stats,
        real_servers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Family, ForwardMethod, Protocol, RealServer};
    use std::net::{IpAddr, Ipv4Addr};

    fn tcp(a: u8, b: u8, c: u8, d: u8, port: u16) -> ServiceKey {
        ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            port,
        }
    }

    fn counts(keys: impl Iterator<Item = ServiceKey>, servers: usize) -> KeyMap<ServiceKey, usize> {
        keys.map(|k| (k, servers)).collect()
    }

    #[test]
    fn chains_follow_the_last_byte_protocol_and_port() {
        // 512 services over all 256 last bytes: chains of two.
        let spread: Vec<ServiceKey> = (0..512u32)
            .map(|i| tcp(10, 0, (i >> 8) as u8, i as u8, 80))
            .collect();
        assert_eq!(chain_steps(spread.iter()), 256 * 3);
        // 512 services ending in .1: one chain.
        let colliding: Vec<ServiceKey> = (0..512u32)
            .map(|i| tcp(10, (i >> 8) as u8, i as u8, 1, 80))
            .collect();
        assert_eq!(chain_steps(colliding.iter()), 512 * 513 / 2);
        // The port moves a service to another chain, and so does the protocol.
        assert_eq!(
            chain_steps([tcp(10, 0, 0, 1, 80), tcp(10, 0, 0, 1, 81)].iter()),
            2
        );
        let marks: Vec<ServiceKey> = (0..4)
            .map(|m| ServiceKey::Fwmark {
                fwmark: m * 256,
                family: Family::Inet,
            })
            .collect();
        assert_eq!(chain_steps(marks.iter()), 10);
    }

    #[test]
    fn the_text_is_read_where_requests_would_be_slow() {
        let n = 10_000u32;
        let friendly = counts(
            (0..n).map(|i| tcp(10, (i >> 16) as u8, (i >> 8) as u8, i as u8, 80)),
            10,
        );
        assert_eq!(choose_source(&friendly, n as usize), ListSource::Requests);
        let colliding = counts((0..n).map(|i| tcp(10, (i >> 8) as u8, i as u8, 1, 80)), 10);
        assert_eq!(choose_source(&colliding, n as usize), ListSource::ProcText);
        // Only IPv6 services: getsockopt counts none of them.
        assert_eq!(
            choose_source(&KeyMap::default(), n as usize),
            ListSource::ProcText
        );
        let wide = counts((0..50u32).map(|i| tcp(10, 0, 0, i as u8, 80)), 1000);
        assert_eq!(choose_source(&wide, 50), ListSource::Requests);
        // No IPv4 service (getsockopt counts 0): the text from the start.
        assert_eq!(choose_source(&KeyMap::default(), 0), ListSource::ProcText);
    }

    #[test]
    fn services_getsockopt_cannot_answer_meet_the_text_when_many() {
        // getsockopt counts IPv4 services alone: the rest are known from
        // the service dump, and cost a netlink request each.
        let n = 10_000u32;
        let none = KeyMap::default();
        assert!(text_is_cheaper(&none, n as usize, n as usize));
        let half = counts(
            (0..n / 2).map(|i| tcp(10, (i >> 16) as u8, (i >> 8) as u8, i as u8, 53)),
            10,
        );
        assert!(text_is_cheaper(&half, n as usize, n as usize / 2));
        // Everything answered (an IPv4 table): nothing left to meet.
        assert!(!text_is_cheaper(&half, n as usize / 2, 0));
        // One IPv6 service among many IPv4 ones: its request is cheaper
        // than the text of the whole table.
        assert!(!text_is_cheaper(&half, n as usize / 2 + 1, 1));
    }

    fn server(last: u8, forward: ForwardMethod) -> RealServerEntry {
        RealServerEntry {
            server: RealServer {
                forward,
                ..RealServer::new(IpAddr::V4(Ipv4Addr::new(10, 1, 1, last)), 80)
            },
            active_conns: 0,
            inactive_conns: 0,
            persist_conns: 0,
            stats: Stats::default(),
        }
    }

    #[test]
    fn text_entries_are_taken_only_when_whole_and_unambiguous() {
        let v4_mark = ServiceKey::Fwmark {
            fwmark: 7,
            family: Family::Inet,
        };
        let web = tcp(10, 0, 0, 1, 80);
        let tunnelled = tcp(10, 0, 0, 2, 80);
        let mut known = Known {
            by_text: KeyMap::from_iter([
                (ProcKey::Fwmark(7), vec![server(1, ForwardMethod::Route)]),
                (proc_key(&web), vec![server(2, ForwardMethod::Masquerade)]),
                (proc_key(&tunnelled), vec![server(3, ForwardMethod::Tunnel)]),
            ]),
            ..Known::default()
        };
        let shared = KeySet::from_iter([7]);
        let thresholds = Detail {
            thresholds: true,
            ..Detail::PLAIN
        };
        assert!(known.take(&web, thresholds, &shared).is_none());
        assert!(known.take(&v4_mark, Detail::PLAIN, &shared).is_none());
        assert_eq!(
            known
                .take(&v4_mark, Detail::PLAIN, &KeySet::default())
                .unwrap()
                .len(),
            1
        );
        let save = Detail {
            tunnels: true,
            ..Detail::PLAIN
        };
        assert!(known.take(&tunnelled, save, &shared).is_none());
    }

    #[test]
    fn netlink_answers_come_first_then_getsockopt_then_the_text() {
        let web = tcp(10, 0, 0, 1, 80);
        let mut known = Known {
            by_netlink: KeyMap::from_iter([(web, vec![server(1, ForwardMethod::Tunnel)])]),
            by_sockopt: KeyMap::from_iter([(web, vec![server(2, ForwardMethod::Tunnel)])]),
            by_text: KeyMap::from_iter([(proc_key(&web), vec![server(3, ForwardMethod::Route)])]),
            ..Known::default()
        };
        let save = Detail {
            tunnels: true,
            ..Detail::PLAIN
        };
        let none = KeySet::default();
        // Netlink's answer is whole, tunnel settings and all.
        assert_eq!(
            known.take(&web, save, &none).unwrap()[0].server.addr,
            server(1, ForwardMethod::Route).server.addr
        );
        // getsockopt's has no tunnel settings: the text's is next.
        assert_eq!(
            known.take(&web, save, &none).unwrap()[0].server.addr,
            server(3, ForwardMethod::Route).server.addr
        );
        assert!(known.take(&web, save, &none).is_none());
    }

    #[test]
    fn text_entries_that_disagree_with_getsockopt_counts_are_dropped() {
        let web = tcp(10, 0, 0, 1, 80);
        let other = tcp(10, 0, 0, 2, 80);
        let by_name = KeyMap::from_iter([
            (proc_key(&web), vec![server(1, ForwardMethod::Route)]),
            (proc_key(&other), vec![server(2, ForwardMethod::Route)]),
        ]);
        let kept = agreeing_with_counts(by_name, &KeyMap::from_iter([(web, 1), (other, 2)]));
        assert_eq!(kept.keys().collect::<Vec<_>>(), [&proc_key(&web)]);
    }

    #[test]
    fn marks_used_by_both_families_are_found() {
        let service = |key| {
            let service = Service {
                key,
                scheduler: "wlc".into(),
                flags: crate::model::ServiceFlags(0),
                timeout: 0,
                netmask: crate::model::Netmask::V4(Ipv4Addr::BROADCAST),
                pe_name: None,
            };
            (service, Stats::default())
        };
        let services = [
            service(ServiceKey::Fwmark {
                fwmark: 7,
                family: Family::Inet,
            }),
            service(ServiceKey::Fwmark {
                fwmark: 7,
                family: Family::Inet6,
            }),
            service(ServiceKey::Fwmark {
                fwmark: 8,
                family: Family::Inet,
            }),
            service(tcp(10, 0, 0, 1, 80)),
        ];
        assert_eq!(marks_of_both_families(&services), KeySet::from_iter([7]));
    }
}
