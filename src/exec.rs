//! Carry out one typed command against the kernel: connect once (as ipvsadm
//! does first: family, then GET_INFO), apply or fetch, then print. Kernel
//! failures become ipvsadm's messages and exit statuses.

use crate::cli::restore_file::RestoreInput;
use crate::cli::{Command, ListFormat, ListTarget};
use crate::error::{Error, KernelOp};
use crate::fetch::{self, Detail};
use crate::model::{Info, ServiceEntry};
use crate::netlink::{Change, ConnectError, Ipvs, NetlinkError};
use crate::print::json::{write_document, Document};
use crate::print::names::{NoNames, Resolver, SystemResolver};
use crate::print::sort::sort_table;
use crate::print::{compat, conn};
use std::io::Write;

/// The error for a failed exchange, in the words ipvsadm uses for `op`.
pub fn failed(op: KernelOp) -> impl Fn(NetlinkError) -> Error {
    move |e| match e {
        NetlinkError::Kernel(errno) => Error::Kernel { op, errno },
        NetlinkError::Timeout(d) => Error::Netlink {
            op,
            detail: format!("no answer from the kernel within {} s", d.as_secs()),
        },
        NetlinkError::Io(e) => Error::Netlink {
            op,
            detail: format!("netlink socket: {e}"),
        },
        NetlinkError::Decode(e) => Error::Netlink {
            op,
            detail: format!("unexpected reply from the kernel: {e}"),
        },
    }
}

/// `/sbin/modprobe -- ip_vs`, its own messages left on stderr as ipvsadm does.
fn load_ip_vs_module() -> bool {
    std::process::Command::new("/sbin/modprobe")
        .args(["--", "ip_vs"])
        .status()
        .is_ok_and(|s| s.success())
}

/// ipvsadm's `ipvs_init` (+ modprobe and retry): a working family and GET_INFO.
pub fn connect() -> Result<(Ipvs, Info), Error> {
    let mut ipvs = match Ipvs::connect(load_ip_vs_module) {
        Ok(ipvs) => ipvs,
        // ipvsadm then falls back to the raw-socket interface, which answers
        // ENOPROTOOPT on a kernel without IPVS.
        Err(ConnectError::NoFamily) => {
            return Err(Error::Init {
                errno: libc::ENOPROTOOPT,
            })
        }
        Err(ConnectError::Netlink(NetlinkError::Kernel(errno))) => {
            return Err(Error::Init { errno })
        }
        Err(ConnectError::Netlink(NetlinkError::Io(e))) => {
            return Err(Error::Init {
                errno: e.raw_os_error().unwrap_or(libc::EINVAL),
            })
        }
        Err(ConnectError::Netlink(_)) => {
            return Err(Error::Init {
                errno: libc::EINVAL,
            })
        }
    };
    let info = ipvs.info().map_err(|e| match e {
        NetlinkError::Kernel(errno) => Error::Init { errno },
        _ => Error::Init {
            errno: libc::EINVAL,
        },
    })?;
    Ok((ipvs, info))
}

fn resolver(numeric: bool) -> &'static dyn Resolver {
    if numeric {
        &NoNames
    } else {
        &SystemResolver
    }
}

/// Output errors are reported; a closed pipe (`ipvsadm-rs -Ln | head`)
/// becomes `Error::BrokenPipe`, which ends the process as ipvsadm ends.
fn written(result: std::io::Result<()>) -> Result<(), Error> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Error::BrokenPipe),
        Err(e) => Err(Error::Netlink {
            op: KernelOp::List,
            detail: format!("cannot write the output: {e}"),
        }),
    }
}

/// `--orphans`: keep the services that cannot send new connections. A
/// service with no real server is confirmed with a single-service GET first:
/// one deleted between the service dump and its real-server dump would
/// otherwise look like an orphan (the kernel answers an empty dump for it).
fn keep_orphans(ipvs: &mut Ipvs, entries: Vec<ServiceEntry>) -> Result<Vec<ServiceEntry>, Error> {
    let mut orphans = Vec::new();
    for entry in entries.into_iter().filter(ServiceEntry::is_orphan) {
        if entry.real_servers.is_empty() {
            match ipvs.service(&entry.service.key) {
                Ok(_) => {}
                Err(NetlinkError::Kernel(libc::ESRCH)) => continue,
                Err(e) => return Err(failed(KernelOp::List)(e)),
            }
        }
        orphans.push(entry);
    }
    Ok(orphans)
}

const CONN_PROC_FILE: &str = "/proc/net/ip_vs_conn";

fn read_connections() -> Result<String, Error> {
    let text = std::fs::read_to_string(CONN_PROC_FILE)
        .map_err(|_| Error::Listing(format!("cannot open file {CONN_PROC_FILE}")))?;
    if text.is_empty() {
        return Err(Error::Listing(format!(
            "unexpected input from {CONN_PROC_FILE}"
        )));
    }
    Ok(text)
}

fn list_connections(format: ListFormat, out: &mut dyn Write) -> Result<u8, Error> {
    let text = read_connections()?;
    let (connections, blank) = conn::parse_connections(&text);
    if format.json {
        written(write_document(
            out,
            &Document {
                connections: Some(connections),
                ..Document::default()
            },
        ))?;
    } else {
        let names = resolver(format.numeric);
        let mut text = conn::header(format.persistent_conn);
        for c in &connections {
            text.push_str(&conn::row(c, format.persistent_conn, format.numeric, names));
        }
        written(out.write_all(text.as_bytes()))?;
    }
    // ipvsadm stops at a line its sscanf cannot read, and exits 1 silently.
    match blank {
        Some(_) => Err(Error::Silent { status: 1 }),
        None => Ok(0),
    }
}

/// What of each real server a listing form prints.
fn detail_shown(format: &ListFormat) -> Detail {
    if format.json || format.stats || format.rate {
        Detail::Full
    } else if format.tun_info {
        Detail::Tunnels
    } else {
        Detail::Basic
    }
}

/// The exit status of `--orphans`: 3 when it listed any, 0 when none.
fn orphans_status(format: &ListFormat, listed: usize) -> u8 {
    if format.orphans && listed > 0 {
        3
    } else {
        0
    }
}

fn list(
    ipvs: &mut Ipvs,
    info: &Info,
    target: ListTarget,
    format: ListFormat,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let names = resolver(format.numeric);
    match target {
        ListTarget::Table | ListTarget::Service(_) => {
            let (mut entries, info) = match target {
                ListTarget::Service(key) => (vec![fetch::service(ipvs, &key)?], None),
                _ => (fetch::table(ipvs, detail_shown(&format))?, Some(info)),
            };
            if format.orphans {
                entries = keep_orphans(ipvs, entries)?;
            }
            if format.json {
                if !format.nosort {
                    sort_table(&mut entries);
                }
                let doc = Document {
                    ipvs: info.copied(),
                    services: Some(entries.clone()),
                    ..Document::default()
                };
                written(write_document(out, &doc))?;
            } else {
                written(compat::write_listing(out, info, &entries, &format, names))?;
            }
            Ok(orphans_status(&format, entries.len()))
        }
        // ipvsadm reports these failures with its exit status only.
        ListTarget::Timeouts => {
            let t = ipvs.timeouts().map_err(|_| Error::Silent { status: 1 })?;
            if format.json {
                written(write_document(
                    out,
                    &Document {
                        timeouts: Some(t),
                        ..Document::default()
                    },
                ))?;
            } else {
                written(compat::write_timeouts(out, &t))?;
            }
            Ok(0)
        }
        ListTarget::Daemons => {
            let d = ipvs.daemons().map_err(|_| Error::Silent { status: 1 })?;
            if format.json {
                written(write_document(
                    out,
                    &Document {
                        daemons: Some(d),
                        ..Document::default()
                    },
                ))?;
            } else {
                written(compat::write_daemons(out, &d))?;
            }
            Ok(0)
        }
        ListTarget::Connections => list_connections(format, out),
    }
}

/// A listing or save command (also from inside a restore input).
pub fn run_listing(
    ipvs: &mut Ipvs,
    info: &Info,
    command: &Command,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    match command {
        Command::List { target, format } => list(ipvs, info, *target, *format, out),
        Command::Save { numeric } => {
            let entries = fetch::table(ipvs, Detail::Tunnels)?;
            written(compat::write_save(
                out,
                &entries,
                *numeric,
                resolver(*numeric),
            ))?;
            Ok(0)
        }
        _ => Ok(0),
    }
}

/// Where writers serialise: two restores never interleave.
const LOCK_FILE: &str = "/run/ipvsadm-rs.lock";

/// An exclusive lock held while the table is changed (listings do not
/// take it). Without a writable /run it is skipped: ipvsadm has none.
fn writer_lock() -> Option<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(LOCK_FILE)
        .ok()?;
    file.lock().ok()?;
    Some(file)
}

/// Run one command; listings write to `out`. `program` is argv[0] (restore
/// lines quote it), `input` gives `-R` its standard input. Returns the exit
/// status.
pub fn execute(
    (ipvs, info): (&mut Ipvs, Info),
    program: &str,
    command: &Command,
    input: RestoreInput,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let changes_table = match command {
        Command::List { .. } | Command::Save { .. } => false,
        Command::Restore(mode) => !mode.check,
        _ => true,
    };
    let _lock = if changes_table { writer_lock() } else { None };
    let (op, change) = match command {
        Command::AddService(s) => (KernelOp::AddService, Change::AddService(s)),
        Command::EditService(s) => (KernelOp::EditService, Change::EditService(s)),
        Command::DeleteService(key) => (KernelOp::DeleteService, Change::DeleteService(key)),
        Command::Flush => (KernelOp::Flush, Change::Flush),
        Command::Zero(key) => (KernelOp::Zero, Change::Zero(key.as_ref())),
        Command::AddServer { service, server } => {
            (KernelOp::AddServer, Change::AddServer(service, server))
        }
        Command::EditServer { service, server } => {
            (KernelOp::EditServer, Change::EditServer(service, server))
        }
        Command::DeleteServer { service, server } => (
            KernelOp::DeleteServer,
            Change::DeleteServer(service, server),
        ),
        Command::SetTimeouts(t) => (KernelOp::SetTimeouts, Change::SetTimeouts(t)),
        Command::StartDaemon(d) => (KernelOp::StartDaemon, Change::StartDaemon(d)),
        Command::StopDaemon { state, syncid } => {
            (KernelOp::StopDaemon, Change::StopDaemon(*state, *syncid))
        }
        Command::List { .. } | Command::Save { .. } => {
            return run_listing(ipvs, &info, command, out)
        }
        Command::Restore(mode) => {
            let bytes = input.read().map_err(|e| {
                Error::Listing(format!("ipvsadm-rs: cannot read the restore input: {e}"))
            })?;
            return crate::apply::restore(ipvs, &info, program, *mode, bytes, out);
        }
    };
    ipvs.apply(&change).map_err(failed(op))?;
    Ok(0)
}
