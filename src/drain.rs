//! `--drain-server`: take a real server out gently, as operators do by
//! hand: weight 0 (no new connections), wait until no connection entry
//! points at it (active, inactive, persistence templates), then delete it.
//! A wait that runs out, or Ctrl-C, leaves it at weight 0 and says so.

use crate::error::{Error, KernelOp};
use crate::kernel::{failed, Change, Ipvs, NetlinkError};
use crate::model::{RealServer, RealServerEntry, ServiceKey};
use crate::print::compat::{server_key_rule, server_rule};
use crate::print::OutputStyle;
use crate::sys;
use std::fs::File;
use std::io::Write;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// What to drain, and for how long at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Drain {
    /// the virtual service
    pub(crate) service: ServiceKey,
    /// the real server's address and port
    pub(crate) server: (IpAddr, u16),
    /// the longest wait
    pub(crate) wait: Duration,
}

/// The connection entries that point at a real server, as the kernel
/// counts them (UDP "connections" are inactive ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Connections {
    active: u32,
    inactive: u32,
    templates: u32,
}

impl Connections {
    fn of(entry: &RealServerEntry) -> Connections {
        Connections {
            active: entry.active_conns,
            inactive: entry.inactive_conns,
            templates: entry.persist_conns,
        }
    }

    fn total(self) -> u64 {
        u64::from(self.active) + u64::from(self.inactive) + u64::from(self.templates)
    }

    fn describe(self) -> String {
        let plural = |n: u64, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        format!(
            "{} left ({} active, {} inactive, {})",
            plural(self.total(), "connection"),
            self.active,
            self.inactive,
            plural(u64::from(self.templates), "persistence template")
        )
    }
}

/// How the wait ended.
enum Waited {
    /// no connection points at the real server any more
    Drained,
    /// the real server (or its service) was deleted meanwhile
    Gone,
    /// the limit came first
    OutOfTime(Connections),
    /// a termination signal came first
    Stopped(i32),
}

/// How often the counts are read, and how long a nap between looks for a
/// signal lasts.
const POLL_EVERY: Duration = Duration::from_millis(500);
const NAP: Duration = Duration::from_millis(50);

/// The exit status when the wait ran out (the server is left at weight 0).
const CONNECTIONS_REMAIN: u8 = 3;

/// What the kernel has now of the real server to drain.
enum Found {
    Server(RealServerEntry),
    NoServer,
    NoService,
}

/// The real server as the kernel has it now, with its counts. Errors are
/// reported as `op`'s. The service is asked for first: a dump of a
/// service that is gone is as empty as one of a service with no servers.
fn look_up(ipvs: &mut Ipvs, request: &Drain, op: KernelOp) -> Result<Found, Error> {
    match ipvs.service(&request.service) {
        Ok(_) => {}
        Err(NetlinkError::Kernel(libc::ESRCH)) => return Ok(Found::NoService),
        Err(e) => return Err(failed(op)(e)),
    }
    let servers = ipvs.servers(&request.service).map_err(failed(op))?;
    Ok(servers
        .into_iter()
        .find(|rs| (rs.server.addr, rs.server.port) == request.server)
        .map_or(Found::NoServer, Found::Server))
}

/// The real server to drain, refused as `-e` refuses an unknown service
/// or server (so the messages read as ipvsadm's).
fn find_server(ipvs: &mut Ipvs, request: &Drain) -> Result<RealServer, Error> {
    let edit_error = |errno| Error::Kernel {
        op: KernelOp::EditServer,
        errno,
    };
    match look_up(ipvs, request, KernelOp::EditServer)? {
        Found::Server(entry) => Ok(entry.server),
        Found::NoServer => Err(edit_error(libc::ENOENT)),
        Found::NoService => Err(edit_error(libc::ESRCH)),
    }
}

/// Writes the drain's lines: on a terminal the wait is one line that
/// updates in place; piped, one line per change of the counts.
struct Progress<'a> {
    out: &'a mut dyn Write,
    terminal: bool,
    last: Option<Connections>,
    /// a terminal line is being updated (a newline ends it first)
    open_line: bool,
}

impl Progress<'_> {
    /// End the line being updated, if one is.
    fn end_line(&mut self) -> Result<(), Error> {
        if self.open_line {
            self.out.write_all(b"\n").map_err(Error::output)?;
            self.open_line = false;
        }
        self.out.flush().map_err(Error::output)
    }

    fn line(&mut self, text: &str) -> Result<(), Error> {
        self.end_line()?;
        writeln!(self.out, "{text}").map_err(Error::output)?;
        self.out.flush().map_err(Error::output)
    }

    fn waiting(
        &mut self,
        waited: Duration,
        limit: Duration,
        left: Connections,
    ) -> Result<(), Error> {
        let (waited, limit) = (waited.as_secs(), limit.as_secs());
        if self.terminal {
            let text = format!("\r\x1b[K{waited} s of {limit} s: {}", left.describe());
            self.out.write_all(text.as_bytes()).map_err(Error::output)?;
            self.open_line = true;
            return self.out.flush().map_err(Error::output);
        }
        if self.last != Some(left) {
            self.last = Some(left);
            self.line(&format!("{waited} s: {}", left.describe()))?;
        }
        Ok(())
    }
}

/// Wait until nothing points at the real server, the limit passes, or a
/// termination signal arrives.
fn wait_for_connections(
    ipvs: &mut Ipvs,
    request: &Drain,
    progress: &mut Progress<'_>,
) -> Result<Waited, Error> {
    let start = Instant::now();
    loop {
        let Found::Server(entry) = look_up(ipvs, request, KernelOp::List)? else {
            return Ok(Waited::Gone);
        };
        let left = Connections::of(&entry);
        if left.total() == 0 {
            return Ok(Waited::Drained);
        }
        progress.waiting(start.elapsed(), request.wait, left)?;
        if start.elapsed() >= request.wait {
            return Ok(Waited::OutOfTime(left));
        }
        let next = Instant::now() + POLL_EVERY;
        while Instant::now() < next {
            if let Some(signal) = sys::termination_requested() {
                return Ok(Waited::Stopped(signal));
            }
            std::thread::sleep(NAP);
        }
    }
}

/// Drain one real server. `lock` takes the writer lock for each change
/// (not for the wait). Returns 0 when it was deleted (or someone else
/// deleted it), 3 when the wait ran out.
pub(crate) fn drain(
    ipvs: &mut Ipvs,
    request: &Drain,
    lock: fn() -> Option<File>,
    (out, style): (&mut dyn Write, OutputStyle),
) -> Result<u8, Error> {
    let server = find_server(ipvs, request)?;
    let named = server_key_rule("", &request.service, &server);
    let named = named.trim_start();
    // Signals are held from here: a Ctrl-C during the wait must leave the
    // server at weight 0 and say so.
    sys::defer_termination_signals();
    let mut progress = Progress {
        out,
        terminal: style.terminal,
        last: None,
        open_line: false,
    };
    if server.weight == 0 {
        progress.line(&format!("{named}: weight already 0"))?;
    } else {
        let zero = RealServer {
            weight: 0,
            ..server.clone()
        };
        let lock_held = lock();
        ipvs.apply(&Change::EditServer(&request.service, &zero))
            .map_err(failed(KernelOp::EditServer))?;
        drop(lock_held);
        let back = server_rule("ipvsadm-rs -e", &request.service, &server);
        progress.line(&format!(
            "{named}: weight 0, was {} (to put it back: {back})",
            server.weight
        ))?;
    }
    let start = Instant::now();
    let waited = wait_for_connections(ipvs, request, &mut progress)?;
    let seconds = start.elapsed().as_secs();
    match waited {
        Waited::Drained => {
            let lock_held = lock();
            ipvs.apply(&Change::DeleteServer(&request.service, &server))
                .map_err(failed(KernelOp::DeleteServer))?;
            drop(lock_held);
            progress.line(&format!(
                "{seconds} s: no connection left; {named}: deleted"
            ))?;
            Ok(0)
        }
        Waited::Gone => {
            progress.line(&format!("{seconds} s: {named}: deleted by someone else"))?;
            Ok(0)
        }
        Waited::OutOfTime(left) => {
            progress.line(&format!(
                "{seconds} s: {}; {named}: left at weight 0 (the wait is over)",
                left.describe()
            ))?;
            Ok(CONNECTIONS_REMAIN)
        }
        Waited::Stopped(signal) => {
            progress.end_line()?;
            Err(Error::DrainStopped {
                signal,
                server: named.to_string(),
                weight: server.weight,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn left(active: u32, inactive: u32, templates: u32) -> Connections {
        Connections {
            active,
            inactive,
            templates,
        }
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(
            left(1, 0, 0).describe(),
            "1 connection left (1 active, 0 inactive, 0 persistence templates)"
        );
        assert_eq!(
            left(0, 2, 1).describe(),
            "3 connections left (0 active, 2 inactive, 1 persistence template)"
        );
        assert_eq!(
            left(u32::MAX, u32::MAX, 1).total(),
            2 * u64::from(u32::MAX) + 1
        );
    }

    fn shown(terminal: bool, counts: &[Connections]) -> String {
        let mut out = Vec::new();
        let mut progress = Progress {
            out: &mut out,
            terminal,
            last: None,
            open_line: false,
        };
        for (second, left) in counts.iter().enumerate() {
            let waited = Duration::from_secs(second as u64);
            progress
                .waiting(waited, Duration::from_secs(60), *left)
                .unwrap();
        }
        progress.line("done").unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn piped_progress_is_a_line_per_change_of_the_counts() {
        let counts = [left(2, 0, 1), left(2, 0, 1), left(1, 0, 1), left(1, 0, 1)];
        assert_eq!(
            shown(false, &counts),
            "0 s: 3 connections left (2 active, 0 inactive, 1 persistence template)\n\
             2 s: 2 connections left (1 active, 0 inactive, 1 persistence template)\n\
             done\n"
        );
    }

    #[test]
    fn terminal_progress_updates_one_line_in_place() {
        let text = shown(true, &[left(1, 0, 0), left(1, 0, 0)]);
        assert_eq!(
            text,
            "\r\x1b[K0 s of 60 s: 1 connection left (1 active, 0 inactive, 0 persistence templates)\
             \r\x1b[K1 s of 60 s: 1 connection left (1 active, 0 inactive, 0 persistence templates)\n\
             done\n"
        );
    }
}
