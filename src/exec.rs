//! Carry out one typed command against the kernel: a change is one
//! request, a listing goes to [`crate::listing`], a restore to
//! [`crate::restore`]. Kernel failures become ipvsadm's messages and exit
//! statuses.

use crate::cli::Command;
use crate::drain::{drain, Drain};
use crate::error::Error;
use crate::kernel::{failed, Ipvs};
use crate::listing::run_listing;
use crate::model::Info;
use crate::print::OutputStyle;
use crate::restore::RestoreInput;
use crate::sys;
use std::io::Write;
use std::time::Duration;

/// Where writers serialise: two restores never interleave.
const LOCK_FILE: &str = "/run/ipvsadm-rs.lock";

/// The writers' lock of the network namespace this thread is in: the
/// initial namespace's is `LOCK_FILE`, another's is named by its inode, so
/// restores in two namespaces do not wait for each other (and `--netns X`
/// and `ip netns exec X` share one).
fn lock_path() -> String {
    let own = sys::namespace_id("/proc/thread-self/ns/net");
    match (own, sys::namespace_id("/proc/1/ns/net")) {
        (Some(own), Some(init)) if own == init => LOCK_FILE.to_string(),
        (Some((_, inode)), _) => format!("/run/ipvsadm-rs.net-{inode}.lock"),
        (None, _) => LOCK_FILE.to_string(),
    }
}

/// An exclusive lock held while the table is changed (listings do not
/// take it). Without a writable /run it is skipped: ipvsadm has none.
fn writer_lock() -> Option<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path())
        .ok()?;
    file.lock().ok()?;
    Some(file)
}

/// Whether the command changes the table (and so takes the writer lock).
fn changes_table(command: &Command) -> bool {
    match command {
        Command::List { .. } | Command::Save { .. } => false,
        Command::Restore(mode) => !mode.check,
        // A drain takes the lock for each of its changes, not for its wait.
        Command::DrainServer { .. } => false,
        _ => true,
    }
}

/// Run one command; listings write to `out`. `program` is `argv[0]` (restore
/// lines quote it), `input` gives `-R` its standard input. Returns the exit
/// status.
pub(crate) fn execute(
    (ipvs, info): (&mut Ipvs, Info),
    program: &str,
    command: &Command,
    input: RestoreInput,
    (out, style): (&mut dyn Write, OutputStyle),
) -> Result<u8, Error> {
    let _lock = changes_table(command).then(writer_lock).flatten();
    if let Some(change) = command.change() {
        ipvs.apply(&change).map_err(failed(change.op()))?;
        return Ok(0);
    }
    match command {
        Command::Restore(mode) => {
            let bytes = input
                .read()
                .map_err(|e| Error::RestoreInput(e.to_string()))?;
            crate::restore::restore(ipvs, &info, program, *mode, bytes, (out, style))
        }
        Command::DrainServer {
            service,
            server,
            wait,
        } => {
            let request = Drain {
                service: *service,
                server: (server.addr, server.port),
                wait: Duration::from_secs(u64::from(*wait)),
            };
            drain(ipvs, &request, writer_lock, (out, style))
        }
        _ => run_listing(ipvs, &info, command, out),
    }
}
