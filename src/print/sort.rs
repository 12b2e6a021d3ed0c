//! ipvsadm's listing order, reproduced exactly: its comparators subtract
//! unsigned 32-bit values into a C `int` (so differences of 2^31 or more
//! wrap, and 10.0.0.1 sorts after 192.168.1.1), and glibc 2.36's `qsort` is a
//! stable top-down merge sort. With a comparator that is not a total order,
//! only the same algorithm gives the same order.

use crate::model::{RealServerEntry, Service, ServiceEntry, ServiceKey, Stats};
use std::net::IpAddr;

/// glibc `msort_with_tmp`: split at n/2, sort both halves, merge taking from
/// the left run while `cmp(left, right) <= 0`. Works on positions, so the
/// items themselves are moved once, at the end.
pub(crate) fn glibc_merge_sort<T>(items: &mut Vec<T>, cmp: &impl Fn(&T, &T) -> i32) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    let mut scratch = Vec::with_capacity(items.len());
    merge_sort_positions(&mut order, &mut scratch, &|a, b| cmp(&items[a], &items[b]));
    // `order` is a permutation: every slot is taken exactly once.
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

fn merge_sort_positions(
    order: &mut [usize],
    scratch: &mut Vec<usize>,
    cmp: &impl Fn(usize, usize) -> i32,
) {
    let n = order.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    merge_sort_positions(&mut order[..n1], scratch, cmp);
    merge_sort_positions(&mut order[n1..], scratch, cmp);
    scratch.clear();
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(order[i], order[j]) <= 0 {
            scratch.push(order[i]);
            i += 1;
        } else {
            scratch.push(order[j]);
            j += 1;
        }
    }
    scratch.extend_from_slice(&order[i..n1]);
    scratch.extend_from_slice(&order[j..n]);
    order.copy_from_slice(scratch);
}

/// `(int)(a - b)` of two unsigned 32-bit values.
fn wrapping_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// The address as ipvsadm's 16-byte union holds it, read as four host-order words.
fn words(addr: &IpAddr) -> [u32; 4] {
    let bytes = match addr {
        IpAddr::V4(a) => {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&a.octets());
            b
        }
        IpAddr::V6(a) => a.octets(),
    };
    std::array::from_fn(|i| {
        u32::from_be_bytes([
            bytes[4 * i],
            bytes[4 * i + 1],
            bytes[4 * i + 2],
            bytes[4 * i + 3],
        ])
    })
}

/// Compare as ipvsadm does: all four words when the left side is IPv6, else the first.
fn compare_addr(left: &IpAddr, right: &IpAddr) -> i32 {
    if let IpAddr::V4(l) = left {
        // the common case, without building both unions
        let r = match right {
            IpAddr::V4(r) => u32::from(*r),
            IpAddr::V6(r) => words(&IpAddr::V6(*r))[0],
        };
        return wrapping_diff(u32::from(*l), r);
    }
    let (l, r) = (words(left), words(right));
    let count = if left.is_ipv6() { 4 } else { 1 };
    (0..count)
        .map(|i| wrapping_diff(l[i], r[i]))
        .find(|d| *d != 0)
        .unwrap_or(0)
}

/// The fields ipvsadm's service entry has: fwmark services carry no
/// protocol, address or port.
fn service_fields(key: &ServiceKey) -> (u32, u16, u16, Option<IpAddr>, u16) {
    let af = match key.family() {
        crate::model::Family::Inet => 2,
        crate::model::Family::Inet6 => 10,
    };
    match key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => (0, af, protocol.number(), Some(*addr), *port),
        ServiceKey::Fwmark { fwmark, .. } => (*fwmark, af, 0, None, 0),
    }
}

/// ipvsadm's `ipvs_cmp_services`: fwmark, family, protocol, address, port.
pub(crate) fn compare_services(a: &ServiceEntry, b: &ServiceEntry) -> i32 {
    compare_service_keys(&a.service.key, &b.service.key)
}

/// [`compare_services`] of the services `a` and `b` name.
fn compare_service_keys(a: &ServiceKey, b: &ServiceKey) -> i32 {
    let (fa, afa, pa, aa, porta) = service_fields(a);
    let (fb, afb, pb, ab, portb) = service_fields(b);
    let r = wrapping_diff(fa, fb);
    if r != 0 {
        return r;
    }
    let r = i32::from(afa) - i32::from(afb);
    if r != 0 {
        return r;
    }
    let r = i32::from(pa) - i32::from(pb);
    if r != 0 {
        return r;
    }
    let zero = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
    let (aa, ab) = (aa.unwrap_or(zero), ab.unwrap_or(zero));
    let r = compare_addr(&aa, &ab);
    if r != 0 {
        return r;
    }
    i32::from(porta) - i32::from(portb)
}

/// ipvsadm's `ipvs_cmp_dests`: address, then port.
pub(crate) fn compare_servers(a: &RealServerEntry, b: &RealServerEntry) -> i32 {
    let r = compare_addr(&a.server.addr, &b.server.addr);
    if r != 0 {
        return r;
    }
    i32::from(a.server.port) - i32::from(b.server.port)
}

/// The positions of `entries` in listing order (kernel order with
/// `nosort`). Positions are sorted, not the entries themselves (they hold
/// their real servers): the table is not copied.
pub(crate) fn listing_order(entries: &[ServiceEntry], nosort: bool) -> Vec<usize> {
    positions(entries, nosort, compare_services)
}

/// The positions of the services of a service dump in listing order
/// (kernel order with `nosort`): a listing that reads each service's real
/// servers in that order can write each as it comes.
pub(crate) fn service_dump_order(services: &[(Service, Stats)], nosort: bool) -> Vec<usize> {
    positions(services, nosort, |a, b| {
        compare_service_keys(&a.0.key, &b.0.key)
    })
}

/// The positions of `servers` in listing order (kernel order with
/// `nosort`).
pub(crate) fn servers_order(servers: &[RealServerEntry], nosort: bool) -> Vec<usize> {
    positions(servers, nosort, compare_servers)
}

/// The positions of `items` in the order `compare` sorts them (as they
/// are with `nosort`).
fn positions<T>(items: &[T], nosort: bool, compare: fn(&T, &T) -> i32) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    if !nosort {
        glibc_merge_sort(&mut order, &|a: &usize, b: &usize| {
            compare(&items[*a], &items[*b])
        });
    }
    order
}

/// Sort services and each service's real servers in ipvsadm's order.
/// Big tables have their two halves' real servers sorted at once.
pub(crate) fn sort_table(services: &mut Vec<ServiceEntry>) {
    glibc_merge_sort(services, &compare_services);
    let sort_servers = |services: &mut [ServiceEntry]| {
        for entry in services {
            glibc_merge_sort(&mut entry.real_servers, &compare_servers);
        }
    };
    if !super::two_threads_for(super::real_servers(services)) {
        return sort_servers(services);
    }
    let half = services.len() / 2;
    let (first, second) = services.split_at_mut(half);
    std::thread::scope(|scope| {
        scope.spawn(|| sort_servers(second));
        sort_servers(first);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_sort_is_stable_and_top_down() {
        let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        glibc_merge_sort(&mut v, &|x: &(i32, char), y: &(i32, char)| x.0 - y.0);
        assert_eq!(v, [(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
    }

    #[test]
    fn big_tables_sort_the_same_in_two_halves() {
        use crate::model::{Netmask, Protocol, RealServer, Service, ServiceFlags, Stats};
        use std::net::Ipv4Addr;
        // Enough real servers for two threads, in a scrambled order.
        let entry = |i: u32| ServiceEntry {
            service: Service {
                key: ServiceKey::Addr {
                    protocol: Protocol::Tcp,
                    addr: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i * 7919 % 101)),
                    port: 80,
                },
                scheduler: "wlc".into(),
                flags: ServiceFlags(0),
                timeout: 0,
                netmask: Netmask::V4(Ipv4Addr::BROADCAST),
                pe_name: None,
            },
            stats: Stats::default(),
            real_servers: (0..crate::print::TWO_THREADS_FROM as u32 / 8)
                .map(|j| RealServerEntry {
                    server: RealServer::new(
                        IpAddr::V4(Ipv4Addr::from(j.wrapping_mul(2_654_435_761))),
                        80,
                    ),
                    active_conns: 0,
                    inactive_conns: 0,
                    persist_conns: 0,
                    stats: Stats::default(),
                })
                .collect(),
        };
        let mut table: Vec<ServiceEntry> = (0..10).map(entry).collect();
        let mut one_by_one = table.clone();
        glibc_merge_sort(&mut one_by_one, &compare_services);
        for entry in &mut one_by_one {
            glibc_merge_sort(&mut entry.real_servers, &compare_servers);
        }
        sort_table(&mut table);
        assert!(table != (0..10).map(entry).collect::<Vec<_>>());
        assert!(table == one_by_one);
    }

    #[test]
    fn addresses_wrap_like_c_ints() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "192.168.1.1".parse().unwrap();
        // 10.0.0.1 - 192.168.1.1 = 0x0a000001 - 0xc0a80101 wraps positive
        assert!(compare_addr(&a, &b) > 0);
        assert!(compare_addr(&b, &a) < 0);
    }
}
