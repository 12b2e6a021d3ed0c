//! One rule for when a thread that reads services from the kernel hands
//! them to the thread that makes output of them: every hand-over wakes
//! the taking thread, so narrow services go over several at a time, but a
//! wide one should not wait for the next to be read, or the making would
//! barely overlap the reading.

/// Services gathered for the next hand-over.
pub(super) struct HandOver<T> {
    gathered: Vec<T>,
    servers: usize,
    most_services: usize,
}

/// A hand-over goes once the gathered services hold this many real
/// servers, however few services that is.
const MOST_SERVERS: usize = 320;

impl<T> HandOver<T> {
    /// A hand-over of `most_services` services at most.
    pub(super) fn new(most_services: usize) -> HandOver<T> {
        HandOver {
            gathered: Vec::with_capacity(most_services),
            servers: 0,
            most_services,
        }
    }

    /// Gathers `service`, which has `servers` real servers: the services
    /// to hand over now, if that made enough.
    pub(super) fn gather(&mut self, service: T, servers: usize) -> Option<Vec<T>> {
        self.gathered.push(service);
        self.servers += servers;
        let enough = self.gathered.len() >= self.most_services || self.servers >= MOST_SERVERS;
        enough.then(|| self.take())
    }

    /// Whatever is gathered, to hand over now (at the end, or on a failure).
    pub(super) fn take(&mut self) -> Vec<T> {
        self.servers = 0;
        std::mem::replace(&mut self.gathered, Vec::with_capacity(self.most_services))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes of the hand-overs of services of `widths` real servers.
    fn hand_overs(most_services: usize, widths: &[usize]) -> Vec<usize> {
        let mut hand_over = HandOver::new(most_services);
        let mut sizes: Vec<usize> = (widths.iter().enumerate())
            .filter_map(|(at, &width)| hand_over.gather(at, width))
            .map(|services| services.len())
            .collect();
        sizes.push(hand_over.take().len());
        sizes
    }

    #[test]
    fn narrow_services_go_over_by_count() {
        assert_eq!(hand_overs(8, &[10; 20]), [8, 8, 4]);
        assert_eq!(hand_overs(32, &[10; 32]), [32, 0]);
    }

    #[test]
    fn wide_services_go_over_by_their_real_servers() {
        assert_eq!(hand_overs(32, &[1000; 3]), [1, 1, 1, 0]);
        assert_eq!(hand_overs(32, &[100, 100, 100, 20, 5]), [4, 1]);
        assert_eq!(hand_overs(8, &[0, 0, 400, 0]), [3, 1]);
    }
}
