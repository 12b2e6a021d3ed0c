//! From the model to bytes: [`compat`] writes ipvsadm's formats exactly,
//! `sort` reproduces its order, [`names`] its host and port naming;
//! [`plan`] writes a change plan; [`prometheus`] writes metrics; [`json`]
//! writes `--json` documents.

pub mod compat;
pub(crate) mod conn;
pub mod json;
pub(crate) mod json_bytes;
pub(crate) mod json_records;
pub mod names;
pub mod plan;
pub mod prometheus;
pub(crate) mod sort;
pub(crate) mod text;

/// Output work this big (lines, or real servers) is split between two
/// threads: 110,000 lines take 0.2 to 0.3 s under emulation, 30 ms
/// natively.
pub(crate) const TWO_THREADS_FROM: usize = 20_000;

/// Whether output work of `size` is split between two threads (there
/// must be two CPUs).
pub(crate) fn two_threads_for(size: usize) -> bool {
    size >= TWO_THREADS_FROM && std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

/// The buffer a listing made of many small pieces (one per service) is
/// written through: every write to standard output is a system call.
pub(crate) const STAGED_BYTES: usize = 1 << 20;

/// How many real servers `services` hold: the size of their output work.
pub(crate) fn real_servers(services: &[crate::model::ServiceEntry]) -> usize {
    services.iter().map(|s| s.real_servers.len()).sum()
}

/// How the standard output is shown, read once by the binary: progress
/// lines update in place on a terminal, and colour is used there unless
/// `NO_COLOR` is set; piped output is plain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputStyle {
    /// the output is a terminal
    pub terminal: bool,
    /// colour may be used
    pub colour: bool,
}
