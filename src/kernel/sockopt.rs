//! IPVS's older `getsockopt` interface, read-only, for big listings: one
//! call returns every real server of an IPv4 service, where netlink needs
//! a dump per service (three system calls and a message per real server).
//! The interface sees only IPv4 services and their
//! IPv4 real servers, and has neither tunnel settings nor 64-bit counters;
//! the caller takes those from netlink. Replies are decoded from bytes by
//! pure functions, at the offsets of the kernel's structures.

use crate::model::key_hash::KeyMap;
use crate::model::{
    Family, ForwardMethod, Protocol, RealServer, RealServerEntry, ServiceKey, Stats,
};
use crate::sys;
use std::io;
use std::mem::{offset_of, size_of};
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsRawFd, OwnedFd};

/// `IP_VS_BASE_CTL` (64 + 1024 + 64) and the three requests used here.
const BASE_CTL: i32 = 64 + 1024 + 64;
const GET_INFO: i32 = BASE_CTL + 1;
const GET_SERVICES: i32 = BASE_CTL + 2;
const GET_DESTS: i32 = BASE_CTL + 4;

/// `IP_VS_CONN_F_FWD_MASK`: the forwarding method in a real server's flags
/// (netlink's FWD_METHOD attribute is the same bits).
const FORWARD_MASK: u32 = 0x7;

// The structures of <linux/ip_vs.h>, mirrored only for their sizes and
// field offsets (C layout: padding and the 8-byte alignment of the 64-bit
// counters differ between architectures). They are never built.
#[allow(dead_code)]
#[repr(C)]
struct StatsUser {
    conns: u32,
    inpkts: u32,
    outpkts: u32,
    inbytes: u64,
    outbytes: u64,
    cps: u32,
    inpps: u32,
    outpps: u32,
    inbps: u32,
    outbps: u32,
}

#[allow(dead_code)]
#[repr(C)]
struct GetInfo {
    version: u32,
    size: u32,
    num_services: u32,
}

#[allow(dead_code)]
#[repr(C)]
struct ServiceEntry {
    protocol: u16,
    addr: u32,
    port: u16,
    fwmark: u32,
    sched_name: [u8; 16],
    flags: u32,
    timeout: u32,
    netmask: u32,
    num_dests: u32,
    stats: StatsUser,
}

#[allow(dead_code)]
#[repr(C)]
struct GetServices {
    num_services: u32,
    entrytable: [ServiceEntry; 0],
}

#[allow(dead_code)]
#[repr(C)]
struct DestEntry {
    addr: u32,
    port: u16,
    conn_flags: u32,
    weight: i32,
    u_threshold: u32,
    l_threshold: u32,
    activeconns: u32,
    inactconns: u32,
    persistconns: u32,
    stats: StatsUser,
}

#[allow(dead_code)]
#[repr(C)]
struct GetDests {
    protocol: u16,
    addr: u32,
    port: u16,
    fwmark: u32,
    num_dests: u32,
    entrytable: [DestEntry; 0],
}

/// The kernel writes as many entries as exist (at most as many as asked
/// for) and does not say how many: the buffer is filled with this byte
/// first, and an entry still holding it was not written. No written entry
/// can look like that: protocol 0xffff is no protocol IPVS takes, and a
/// weight of -1 is refused by the kernel.
const UNWRITTEN: u8 = 0xff;

/// Room for this many more entries than expected, so that one call almost
/// always suffices even when the table grows meanwhile.
const SLACK: usize = 16;

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// The counters of the `StatsUser` at `at`: the kernel cut the packet,
/// connection and rate counters to their low 32 bits, and left the byte
/// counters whole.
fn stats_at(bytes: &[u8], at: usize) -> Stats {
    let low = |field| u64::from(u32_at(bytes, at + field).unwrap_or(0));
    let whole = |field| u64_at(bytes, at + field).unwrap_or(0);
    Stats::from_values([
        low(offset_of!(StatsUser, conns)),
        low(offset_of!(StatsUser, inpkts)),
        low(offset_of!(StatsUser, outpkts)),
        whole(offset_of!(StatsUser, inbytes)),
        whole(offset_of!(StatsUser, outbytes)),
        low(offset_of!(StatsUser, cps)),
        low(offset_of!(StatsUser, inpps)),
        low(offset_of!(StatsUser, outpps)),
        low(offset_of!(StatsUser, inbps)),
        low(offset_of!(StatsUser, outbps)),
    ])
}

/// An address or port in network byte order, as the kernel stores it.
fn ipv4_at(bytes: &[u8], at: usize) -> Option<Ipv4Addr> {
    let octets: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(octets))
}

fn port_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn protocol_of(number: u16) -> Option<Protocol> {
    [Protocol::Tcp, Protocol::Udp, Protocol::Sctp]
        .into_iter()
        .find(|p| p.number() == number)
}

/// The key of a `GET_SERVICES` entry (the interface's services are IPv4).
fn service_key(entry: &[u8]) -> Option<ServiceKey> {
    let fwmark = u32_at(entry, offset_of!(ServiceEntry, fwmark))?;
    if fwmark != 0 {
        return Some(ServiceKey::Fwmark {
            fwmark,
            family: Family::Inet,
        });
    }
    Some(ServiceKey::Addr {
        protocol: protocol_of(u16_at(entry, offset_of!(ServiceEntry, protocol))?)?,
        addr: IpAddr::V4(ipv4_at(entry, offset_of!(ServiceEntry, addr))?),
        port: port_at(entry, offset_of!(ServiceEntry, port))?,
    })
}

/// A `GET_SERVICES` answer for `capacity` entries: each written entry's
/// key and real-server count (every family, unlike `GET_DESTS`), and
/// whether every entry was written (so there may be more).
pub(crate) fn decode_server_counts(
    answer: &[u8],
    capacity: usize,
) -> (KeyMap<ServiceKey, usize>, bool) {
    let mut counts = KeyMap::default();
    let table = answer
        .get(offset_of!(GetServices, entrytable)..)
        .unwrap_or(&[]);
    let mut written = 0;
    for entry in table.chunks_exact(size_of::<ServiceEntry>()).take(capacity) {
        if u16_at(entry, offset_of!(ServiceEntry, protocol))
            == Some(u16::from_ne_bytes([UNWRITTEN; 2]))
        {
            break;
        }
        written += 1;
        let count = u32_at(entry, offset_of!(ServiceEntry, num_dests));
        if let (Some(key), Some(count)) = (service_key(entry), count) {
            counts.insert(key, count as usize);
        }
    }
    (counts, written == capacity)
}

/// A `GET_DESTS` answer for `capacity` entries: the written real servers,
/// and whether every entry was written (so there may be more). Counters
/// are left zero: the interface has only 32 bits for most of them.
pub(crate) fn decode_servers(answer: &[u8], capacity: usize) -> (Vec<RealServerEntry>, bool) {
    let table = answer
        .get(offset_of!(GetDests, entrytable)..)
        .unwrap_or(&[]);
    let mut servers = Vec::with_capacity(capacity);
    for entry in table.chunks_exact(size_of::<DestEntry>()).take(capacity) {
        let field = |offset| u32_at(entry, offset).unwrap_or(0);
        let weight = field(offset_of!(DestEntry, weight)) as i32;
        if weight == i32::from_ne_bytes([UNWRITTEN; 4]) {
            break;
        }
        let (Some(addr), Some(port)) = (
            ipv4_at(entry, offset_of!(DestEntry, addr)),
            port_at(entry, offset_of!(DestEntry, port)),
        ) else {
            break;
        };
        // What the interface does not hold keeps ipvsadm's defaults, and
        // `quick_read_carries` says which listings cannot use it then; of
        // most counters it has the low 32 bits (`Detail::counters_low_bits`).
        servers.push(RealServerEntry {
            server: RealServer {
                forward: ForwardMethod::from_raw(
                    field(offset_of!(DestEntry, conn_flags)) & FORWARD_MASK,
                ),
                weight,
                u_threshold: field(offset_of!(DestEntry, u_threshold)),
                l_threshold: field(offset_of!(DestEntry, l_threshold)),
                ..RealServer::new(IpAddr::V4(addr), port)
            },
            active_conns: field(offset_of!(DestEntry, activeconns)),
            inactive_conns: field(offset_of!(DestEntry, inactconns)),
            persist_conns: field(offset_of!(DestEntry, persistconns)),
            stats: stats_at(entry, offset_of!(DestEntry, stats)),
        });
    }
    let full = servers.len() == capacity;
    (servers, full)
}

/// A `GET_DESTS` request for `capacity` entries of the service `key`
/// (IPv4 only), its entries pre-filled with [`UNWRITTEN`].
pub(crate) fn servers_request(key: &ServiceKey, capacity: usize) -> Option<Vec<u8>> {
    let mut request = vec![UNWRITTEN; size_of::<GetDests>() + capacity * size_of::<DestEntry>()];
    let mut put = |offset: usize, bytes: &[u8]| {
        request[offset..offset + bytes.len()].copy_from_slice(bytes);
    };
    let (protocol, addr, port, fwmark) = match *key {
        ServiceKey::Addr {
            protocol,
            addr: IpAddr::V4(addr),
            port,
        } => (protocol.number(), addr, port, 0),
        ServiceKey::Fwmark {
            fwmark,
            family: Family::Inet,
        } => (0, Ipv4Addr::UNSPECIFIED, 0, fwmark),
        _ => return None,
    };
    put(offset_of!(GetDests, protocol), &protocol.to_ne_bytes());
    put(offset_of!(GetDests, addr), &addr.octets());
    put(offset_of!(GetDests, port), &port.to_be_bytes());
    put(offset_of!(GetDests, fwmark), &fwmark.to_ne_bytes());
    put(
        offset_of!(GetDests, num_dests),
        &u32::try_from(capacity).ok()?.to_ne_bytes(),
    );
    Some(request)
}

/// A `GET_SERVICES` request for `capacity` entries, pre-filled with
/// [`UNWRITTEN`].
pub(crate) fn services_request(capacity: usize) -> Option<Vec<u8>> {
    let mut request =
        vec![UNWRITTEN; size_of::<GetServices>() + capacity * size_of::<ServiceEntry>()];
    let at = offset_of!(GetServices, num_services);
    request[at..at + 4].copy_from_slice(&u32::try_from(capacity).ok()?.to_ne_bytes());
    Some(request)
}

/// A socket for the `getsockopt` requests.
pub(crate) struct Reader {
    socket: OwnedFd,
}

impl Reader {
    pub(crate) fn open() -> io::Result<Reader> {
        Ok(Reader {
            socket: sys::inet_datagram_socket()?,
        })
    }

    fn get(&self, name: i32, buf: &mut [u8]) -> io::Result<()> {
        sys::get_socket_option(self.socket.as_raw_fd(), libc::IPPROTO_IP, name, buf).map(|_| ())
    }

    /// Ask for `capacity` entries, and twice as many again while every
    /// entry comes back written (the table grew since it was counted).
    fn read_all<T>(
        &self,
        name: i32,
        mut capacity: usize,
        request: impl Fn(usize) -> io::Result<Vec<u8>>,
        decode: impl Fn(&[u8], usize) -> (T, bool),
    ) -> io::Result<T> {
        loop {
            let mut answer = request(capacity)?;
            self.get(name, &mut answer)?;
            match decode(&answer, capacity) {
                (found, false) => return Ok(found),
                _ => capacity *= 2,
            }
        }
    }

    /// How many real servers each IPv4 service has, every family counted;
    /// and how many services of every family the kernel has.
    pub(crate) fn server_counts(&self) -> io::Result<(KeyMap<ServiceKey, usize>, usize)> {
        let mut info = [0u8; size_of::<GetInfo>()];
        self.get(GET_INFO, &mut info)?;
        let services = u32_at(&info, offset_of!(GetInfo, num_services)).unwrap_or(0) as usize;
        let counts = self.read_all(
            GET_SERVICES,
            services + SLACK,
            |capacity| {
                services_request(capacity).ok_or_else(|| io::Error::from_raw_os_error(libc::E2BIG))
            },
            decode_server_counts,
        )?;
        Ok((counts, services))
    }

    /// The IPv4 real servers of an IPv4 service, `expected` being a guess
    /// of their number; None when the kernel has no such service.
    pub(crate) fn servers(
        &self,
        key: &ServiceKey,
        expected: usize,
    ) -> io::Result<Option<Vec<RealServerEntry>>> {
        let request = |capacity| {
            servers_request(key, capacity)
                .ok_or_else(|| io::Error::from_raw_os_error(libc::EAFNOSUPPORT))
        };
        match self.read_all(GET_DESTS, expected + SLACK, request, decode_servers) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(None),
            answer => answer.map(Some),
        }
    }
}

/// `getsockopt`'s count of the real servers of every IPv4 service, and a
/// socket to ask for them, each answer checked against its count. The
/// interface skips real servers of the other family without saying so, so
/// an answer holding fewer than the service's count (every family) is not
/// whole.
pub(crate) struct Counted {
    reader: Reader,
    /// real servers per IPv4 service, every family counted
    pub(crate) counts: KeyMap<ServiceKey, usize>,
    /// services of every family
    pub(crate) total: usize,
}

impl Counted {
    /// The counts as they are now.
    pub(crate) fn read() -> io::Result<Counted> {
        let reader = Reader::open()?;
        let (counts, total) = reader.server_counts()?;
        Ok(Counted {
            reader,
            counts,
            total,
        })
    }

    /// The real servers of `key`'s service, when the answer holds as many
    /// as the service had when counted.
    pub(crate) fn whole_servers(&self, key: &ServiceKey) -> Option<Vec<RealServerEntry>> {
        let expected = *self.counts.get(key)?;
        let servers = self.reader.servers(key, expected).ok()??;
        (servers.len() == expected).then_some(servers)
    }

    /// The counts read again now, which answers are checked against.
    pub(crate) fn recount(&self) -> Recount {
        Recount(self.reader.server_counts().ok().map(|(counts, _)| counts))
    }
}

/// [`Counted`]'s counts read again after the answers: an answer whose
/// service's count moved since it was first counted may be stale. None
/// when counting again failed, which no answer passes.
pub(crate) struct Recount(Option<KeyMap<ServiceKey, usize>>);

impl Recount {
    /// Whether an answer of `held` real servers for `key`'s service still
    /// holds them all. Not caught: a count that moved and came back
    /// between the two counts.
    pub(crate) fn still_whole(&self, key: &ServiceKey, held: usize) -> bool {
        self.0
            .as_ref()
            .is_some_and(|now| now.get(key) == Some(&held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes and offsets <linux/ip_vs.h> has on x86_64, measured there
    /// with a C program (`offsetof`, `sizeof`).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn layouts_are_those_of_the_kernel_headers() {
        assert_eq!(size_of::<StatsUser>(), 56);
        assert_eq!(offset_of!(StatsUser, inbytes), 16);
        assert_eq!(size_of::<DestEntry>(), 96);
        assert_eq!(offset_of!(DestEntry, stats), 40);
        assert_eq!(size_of::<GetDests>(), 24);
        assert_eq!(size_of::<ServiceEntry>(), 104);
        // the table after the count is 8-aligned, as in C
        assert_eq!(offset_of!(GetServices, entrytable), 8);
        assert_eq!(offset_of!(ServiceEntry, sched_name), 16);
        assert_eq!(offset_of!(ServiceEntry, num_dests), 44);
        assert_eq!(offset_of!(ServiceEntry, stats), 48);
    }

    /// An answer as the kernel writes it: `written` entries over a request
    /// of `capacity`.
    fn dests_answer(
        key: &ServiceKey,
        capacity: usize,
        written: &[(Ipv4Addr, u16, u32, i32)],
    ) -> Vec<u8> {
        let mut answer = servers_request(key, capacity).unwrap();
        for (i, &(addr, port, flags, weight)) in written.iter().enumerate() {
            let at = size_of::<GetDests>() + i * size_of::<DestEntry>();
            let entry = &mut answer[at..at + size_of::<DestEntry>()];
            entry.fill(0);
            entry[offset_of!(DestEntry, addr)..][..4].copy_from_slice(&addr.octets());
            entry[offset_of!(DestEntry, port)..][..2].copy_from_slice(&port.to_be_bytes());
            entry[offset_of!(DestEntry, conn_flags)..][..4].copy_from_slice(&flags.to_ne_bytes());
            entry[offset_of!(DestEntry, weight)..][..4].copy_from_slice(&weight.to_ne_bytes());
            entry[offset_of!(DestEntry, u_threshold)..][..4]
                .copy_from_slice(&(100 + i as u32).to_ne_bytes());
            entry[offset_of!(DestEntry, persistconns)..][..4].copy_from_slice(&7u32.to_ne_bytes());
            let stats = offset_of!(DestEntry, stats);
            let conns = stats + offset_of!(StatsUser, conns);
            entry[conns..][..4].copy_from_slice(&(11 + i as u32).to_ne_bytes());
            let outbytes = stats + offset_of!(StatsUser, outbytes);
            entry[outbytes..][..8].copy_from_slice(&(5u64 << 40).to_ne_bytes());
            let outbps = stats + offset_of!(StatsUser, outbps);
            entry[outbps..][..4].copy_from_slice(&u32::MAX.to_ne_bytes());
        }
        answer
    }

    #[test]
    fn an_answer_is_whole_only_while_its_count_stands() {
        let key = |port| ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "10.1.2.3".parse().unwrap(),
            port,
        };
        let now: KeyMap<ServiceKey, usize> = [(key(80), 3)].into_iter().collect();
        let recount = Recount(Some(now));
        assert!(recount.still_whole(&key(80), 3));
        assert!(!recount.still_whole(&key(80), 2), "a count that moved");
        assert!(!recount.still_whole(&key(81), 0), "a service gone since");
        assert!(!Recount(None).still_whole(&key(80), 3), "counting failed");
    }

    #[test]
    fn requests_name_the_service_in_network_order() {
        let key = ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: "10.1.2.3".parse().unwrap(),
            port: 53,
        };
        let request = servers_request(&key, 2).unwrap();
        assert_eq!(request.len(), 24 + 2 * 96);
        assert_eq!(u16_at(&request, 0), Some(17));
        assert_eq!(request[4..8], [10, 1, 2, 3]);
        assert_eq!(request[8..10], [0, 53]);
        assert_eq!(u32_at(&request, 12), Some(0));
        assert_eq!(u32_at(&request, 16), Some(2));
        assert!(request[24..].iter().all(|&b| b == UNWRITTEN));
        let fwmark = ServiceKey::Fwmark {
            fwmark: 9,
            family: Family::Inet,
        };
        assert_eq!(u32_at(&servers_request(&fwmark, 0).unwrap(), 12), Some(9));
        let v6 = ServiceKey::Fwmark {
            fwmark: 9,
            family: Family::Inet6,
        };
        assert_eq!(servers_request(&v6, 1), None);
    }

    #[test]
    fn answers_end_at_the_first_entry_not_written() {
        let key = ServiceKey::Fwmark {
            fwmark: 1,
            family: Family::Inet,
        };
        let answer = dests_answer(
            &key,
            4,
            &[
                ("192.168.1.2".parse().unwrap(), 80, 0x182, 1),
                ("192.168.1.1".parse().unwrap(), 8080, 0x100, 0),
            ],
        );
        let (servers, full) = decode_servers(&answer, 4);
        assert!(!full);
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[0].server.forward, ForwardMethod::Tunnel);
        assert_eq!(servers[1].server.forward, ForwardMethod::Masquerade);
        assert_eq!(
            servers[1].server.addr,
            "192.168.1.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            (servers[1].server.port, servers[1].server.weight),
            (8080, 0)
        );
        assert_eq!(servers[1].server.u_threshold, 101);
        assert_eq!(servers[0].persist_conns, 7);
        // the counters: 32 bits but for the bytes
        let stats = &servers[1].stats;
        assert_eq!((stats.conns, stats.inpkts), (12, 0));
        assert_eq!(
            (stats.outbytes, stats.outbps),
            (5 << 40, u64::from(u32::MAX))
        );
        // every entry written: there may be more than were asked for
        let (servers, full) = decode_servers(
            &dests_answer(&key, 1, &[("1.1.1.1".parse().unwrap(), 1, 3, 5)]),
            1,
        );
        assert!(full);
        assert_eq!(servers[0].server.forward, ForwardMethod::Route);
        // a short answer is not misread
        assert_eq!(decode_servers(&answer[..100], 4).0.len(), 0);
    }

    #[test]
    fn service_counts_are_keyed_like_netlink_services() {
        let capacity = 3;
        let mut answer = services_request(capacity).unwrap();
        assert_eq!(u32_at(&answer, 0), Some(3));
        assert_eq!(
            answer.len(),
            size_of::<GetServices>() + 3 * size_of::<ServiceEntry>()
        );
        let mut entry =
            |i: usize, protocol: u16, addr: [u8; 4], port: u16, fwmark: u32, dests: u32| {
                let at = offset_of!(GetServices, entrytable) + i * size_of::<ServiceEntry>();
                let e = &mut answer[at..at + size_of::<ServiceEntry>()];
                e.fill(0);
                e[0..2].copy_from_slice(&protocol.to_ne_bytes());
                e[offset_of!(ServiceEntry, addr)..][..4].copy_from_slice(&addr);
                e[offset_of!(ServiceEntry, port)..][..2].copy_from_slice(&port.to_be_bytes());
                e[offset_of!(ServiceEntry, fwmark)..][..4].copy_from_slice(&fwmark.to_ne_bytes());
                e[offset_of!(ServiceEntry, num_dests)..][..4].copy_from_slice(&dests.to_ne_bytes());
            };
        entry(0, 6, [10, 0, 0, 1], 80, 0, 3);
        entry(1, 6, [0; 4], 0, 7, 0);
        let (counts, full) = decode_server_counts(&answer, capacity);
        assert!(!full);
        let tcp = ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "10.0.0.1".parse().unwrap(),
            port: 80,
        };
        let fwmark = ServiceKey::Fwmark {
            fwmark: 7,
            family: Family::Inet,
        };
        assert_eq!(counts.get(&tcp), Some(&3));
        assert_eq!(counts.get(&fwmark), Some(&0));
        assert_eq!(counts.len(), 2);
    }
}
