//! A table read through netlink (the only source of 64-bit real-server
//! counters) in a listing's own order, each service handed over as soon
//! as it and every service before it are in: the listing writes its
//! output while the kernel answers the rest, where reading in kernel
//! order would leave all the writing until the end. Readers on threads of
//! their own take every n-th service of that order, so that its front
//! moves evenly. Every other route reads what its quick sources lacked
//! through [`read_in_order`] as well.

use super::hand_over::HandOver;
use super::{failed, Ipvs, NetlinkError};
use crate::error::{Error, KernelOp};
use crate::model::{RealServerEntry, Service, ServiceKey, ServiceParts, Stats};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

/// Below this many services, this thread reads them all.
const PARALLEL_FROM: usize = 16;

/// How many services a reader hands over at once, at most.
const HANDED_OVER_AT_ONCE: usize = 8;

/// What a reader hands over: what was made of services, by their
/// position in the listing's order.
type Handed<R> = Result<Vec<(usize, R)>, NetlinkError>;

/// The positions of a service dump's services in a listing's order.
pub type ListingOrder<'a> = &'a dyn Fn(&[(Service, Stats)]) -> Vec<usize>;

/// What `each` made of every service of the table with its real
/// servers, read by one netlink dump each, in the order `order` gives of
/// the service dump (positions in it). `each` runs on the thread that
/// read the service; `take` gets what it made on this thread, in that
/// order, as soon as everything before it is taken. A failed `take` stops
/// the reading and is returned.
pub fn table_taken_in_order<T: Send>(
    ipvs: &mut Ipvs,
    order: ListingOrder<'_>,
    each: &(dyn Fn(ServiceParts<'_>) -> T + Sync),
    take: &mut dyn FnMut(T) -> Result<(), Error>,
) -> Result<(), Error> {
    let services = ipvs.services().map_err(failed(KernelOp::List))?;
    let in_order: Vec<&(Service, Stats)> =
        order(&services).iter().map(|&at| &services[at]).collect();
    let make = |at: usize, servers: Vec<RealServerEntry>| {
        let (service, stats) = in_order[at];
        each((service, stats, &servers))
    };
    let keys: Vec<ServiceKey> = in_order.iter().map(|(service, _)| service.key).collect();
    read_in_order(ipvs, &keys, &make, &mut |_, made| take(made))
}

/// The real servers of `keys`, by one netlink dump each, made into
/// `make`'s output on the reading threads and delivered in the order of
/// `keys`. With many services, one reader per CPU (four at most), each
/// on its own connection; whatever no reader delivered (one that
/// panicked) is read here at the end.
pub(super) fn read_in_order<R: Send>(
    ipvs: &mut Ipvs,
    keys: &[ServiceKey],
    make: &(dyn Fn(usize, Vec<RealServerEntry>) -> R + Sync),
    deliver: &mut dyn FnMut(usize, R) -> Result<(), Error>,
) -> Result<(), Error> {
    let threads = match keys.len() {
        n if n < PARALLEL_FROM => 1,
        _ => std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
    };
    let others: Result<Vec<Ipvs>, _> = (1..threads).map(|_| ipvs.sibling()).collect();
    let mut next = 0;
    // Without a second connection, this one reads everything.
    if let (Ok(mut others), true) = (others, threads > 1) {
        let mut readers: Vec<&mut Ipvs> = others.iter_mut().collect();
        readers.insert(0, &mut *ipvs);
        next = read_beside(readers, keys, make, deliver)?;
    }
    for (at, key) in keys.iter().enumerate().skip(next) {
        let servers = ipvs.servers(key).map_err(failed(KernelOp::List))?;
        deliver(at, make(at, servers))?;
    }
    Ok(())
}

/// [`read_in_order`] by one thread per reader, reader `n` taking every
/// `readers.len()`-th service from the `n`-th: how many services were
/// delivered, in order, before the readers stopped.
fn read_beside<R: Send>(
    readers: Vec<&mut Ipvs>,
    keys: &[ServiceKey],
    make: &(dyn Fn(usize, Vec<RealServerEntry>) -> R + Sync),
    deliver: &mut dyn FnMut(usize, R) -> Result<(), Error>,
) -> Result<usize, Error> {
    let stride = readers.len();
    let stop = AtomicBool::new(false);
    let (send, receive) = mpsc::channel::<Handed<R>>();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (readers.into_iter().enumerate())
            .map(|(first, reader)| {
                let (send, stop) = (send.clone(), &stop);
                let mine = (first..keys.len()).step_by(stride);
                scope.spawn(move || read_positions(reader, mine, keys, make, (&send, stop)))
            })
            .collect();
        drop(send);
        let taken = take_in_order(&receive, keys.len(), deliver);
        // Readers still at work stop at their next service. One that
        // panicked has delivered less: the caller reads the rest.
        stop.store(true, Ordering::Relaxed);
        handles.into_iter().for_each(|h| drop(h.join()));
        taken
    })
}

/// One reader's services, at positions `mine`, handed over a few at a
/// time until they are all read, `stop` is set, or a read fails.
fn read_positions<R>(
    reader: &mut Ipvs,
    mine: impl Iterator<Item = usize>,
    keys: &[ServiceKey],
    make: &(dyn Fn(usize, Vec<RealServerEntry>) -> R + Sync),
    (send, stop): (&mpsc::Sender<Handed<R>>, &AtomicBool),
) {
    let mut read = HandOver::new(HANDED_OVER_AT_ONCE);
    for at in mine {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let servers = match reader.servers(&keys[at]) {
            Ok(servers) => servers,
            Err(e) => {
                // What was read before the failure still counts.
                let _ = send.send(Ok(read.take()));
                let _ = send.send(Err(e));
                return;
            }
        };
        let width = servers.len();
        if let Some(full) = read.gather((at, make(at, servers)), width) {
            if send.send(Ok(full)).is_err() {
                return;
            }
        }
    }
    let _ = send.send(Ok(read.take()));
}

/// Services handed over through `receive` delivered in order of position
/// as soon as every one before them is: how many were delivered when the
/// readers were done. The first failure (a read or a delivery) ends it.
fn take_in_order<R>(
    receive: &mpsc::Receiver<Handed<R>>,
    count: usize,
    deliver: &mut dyn FnMut(usize, R) -> Result<(), Error>,
) -> Result<usize, Error> {
    let mut waiting: Vec<Option<R>> = std::iter::repeat_with(|| None).take(count).collect();
    let mut next = 0;
    // The loop ends when every reader has dropped its sender.
    for handed in receive {
        for (at, made) in handed.map_err(failed(KernelOp::List))? {
            waiting[at] = Some(made);
        }
        while let Some(made) = waiting.get_mut(next).and_then(Option::take) {
            deliver(next, made)?;
            next += 1;
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivered(batches: Vec<Handed<char>>, count: usize) -> (Result<usize, Error>, String) {
        let (send, receive) = mpsc::channel();
        batches.into_iter().for_each(|b| send.send(b).unwrap());
        drop(send);
        let mut seen = String::new();
        let taken = take_in_order(&receive, count, &mut |at, made| {
            assert_eq!(at, seen.len(), "delivered out of order");
            seen.push(made);
            Ok(())
        });
        (taken, seen)
    }

    #[test]
    fn services_are_delivered_in_order_however_they_come() {
        let batches = vec![
            Ok(vec![(1, 'b'), (3, 'd')]),
            Ok(vec![(4, 'e')]),
            Ok(vec![(0, 'a'), (2, 'c')]),
        ];
        let (taken, seen) = delivered(batches, 5);
        assert_eq!((taken.unwrap(), seen.as_str()), (5, "abcde"));
    }

    #[test]
    fn a_gap_stops_delivery_where_it_is() {
        // A reader that gave up (it panicked) left position 2 unread.
        let batches = vec![Ok(vec![(0, 'a'), (1, 'b'), (3, 'd')])];
        let (taken, seen) = delivered(batches, 4);
        assert_eq!((taken.unwrap(), seen.as_str()), (2, "ab"));
    }

    #[test]
    fn a_failed_read_ends_the_listing_with_its_error() {
        let batches = vec![
            Ok(vec![(0, 'a')]),
            Err(NetlinkError::Kernel(libc::EIO)),
            Ok(vec![(1, 'b')]),
        ];
        let (taken, seen) = delivered(batches, 2);
        assert!(matches!(taken, Err(Error::Kernel { errno, .. }) if errno == libc::EIO));
        assert_eq!(seen, "a");
    }

    #[test]
    fn a_failed_delivery_stops_the_taking() {
        let (send, receive) = mpsc::channel();
        send.send(Ok(vec![(0, 'a'), (1, 'b')])).unwrap();
        drop(send);
        let mut calls = 0;
        let taken = take_in_order(&receive, 2, &mut |_, _| {
            calls += 1;
            Err(Error::Silent { status: 1 })
        });
        assert!(taken.is_err());
        assert_eq!(calls, 1);
    }
}
