//! Carry out one typed command against the kernel: connect once (as ipvsadm
//! does first: family, then GET_INFO), apply or fetch, then print. Kernel
//! failures become ipvsadm's messages and exit statuses.

use crate::cli::{Command, ListFormat, ListTarget};
use crate::error::{Error, KernelOp};
use crate::model::{Info, ServiceEntry, ServiceKey};
use crate::netlink::{ConnectError, Ipvs, NetlinkError};
use crate::print::compat;
use crate::print::names::{NoNames, Resolver, SystemResolver};
use std::io::Write;

/// The error for a failed exchange, in the words ipvsadm uses for `op`.
fn failed(op: KernelOp) -> impl Fn(NetlinkError) -> Error {
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

/// Every service with its real servers, in kernel order.
pub fn fetch_table(ipvs: &mut Ipvs) -> Result<Vec<ServiceEntry>, Error> {
    let services = ipvs.services().map_err(failed(KernelOp::List))?;
    let mut entries = Vec::with_capacity(services.len());
    for (service, stats) in services {
        let real_servers = ipvs.servers(&service.key).map_err(failed(KernelOp::List))?;
        entries.push(ServiceEntry {
            service,
            stats,
            real_servers,
        });
    }
    Ok(entries)
}

fn fetch_service(ipvs: &mut Ipvs, key: &ServiceKey) -> Result<ServiceEntry, Error> {
    let (service, stats) = ipvs.service(key).map_err(failed(KernelOp::List))?;
    let real_servers = ipvs.servers(&service.key).map_err(failed(KernelOp::List))?;
    Ok(ServiceEntry {
        service,
        stats,
        real_servers,
    })
}

fn resolver(numeric: bool) -> &'static dyn Resolver {
    if numeric {
        &NoNames
    } else {
        &SystemResolver
    }
}

/// Output errors other than a closed pipe are reported; a closed pipe
/// (`ipvsadm-rs -Ln | head`) is not an error.
fn written(result: std::io::Result<()>) -> Result<(), Error> {
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Netlink {
            op: KernelOp::List,
            detail: format!("cannot write the output: {e}"),
        }),
        _ => Ok(()),
    }
}

fn not_yet(what: &str) -> Error {
    Error::Unsupported(format!("ipvsadm-rs: {what} is not implemented yet"))
}

fn list(
    ipvs: &mut Ipvs,
    info: &Info,
    target: ListTarget,
    format: ListFormat,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if format.orphans {
        return Err(not_yet("--orphans"));
    }
    if format.json {
        return Err(not_yet("--json"));
    }
    let names = resolver(format.numeric);
    match target {
        ListTarget::Table => {
            let entries = fetch_table(ipvs)?;
            written(compat::write_listing(
                out,
                Some(info),
                &entries,
                &format,
                names,
            ))
        }
        ListTarget::Service(key) => {
            let entry = fetch_service(ipvs, &key)?;
            written(compat::write_listing(out, None, &[entry], &format, names))
        }
        // ipvsadm reports these failures with its exit status only.
        ListTarget::Timeouts => {
            let t = ipvs.timeouts().map_err(|_| Error::Silent { status: 1 })?;
            written(compat::write_timeouts(out, &t))
        }
        ListTarget::Daemons => {
            let d = ipvs.daemons().map_err(|_| Error::Silent { status: 1 })?;
            written(compat::write_daemons(out, &d))
        }
        ListTarget::Connections => Err(not_yet("-L -c")),
    }
}

/// Run one command; listings write to `out`.
pub fn execute(command: &Command, out: &mut dyn Write) -> Result<(), Error> {
    let (mut ipvs, info) = connect()?;
    let ipvs = &mut ipvs;
    match command {
        Command::AddService(s) => ipvs.add_service(s).map_err(failed(KernelOp::AddService)),
        Command::EditService(s) => ipvs.edit_service(s).map_err(failed(KernelOp::EditService)),
        Command::DeleteService(key) => ipvs
            .delete_service(key)
            .map_err(failed(KernelOp::DeleteService)),
        Command::Flush => ipvs.flush().map_err(failed(KernelOp::Flush)),
        Command::Zero(key) => ipvs.zero(key.as_ref()).map_err(failed(KernelOp::Zero)),
        Command::AddServer { service, server } => ipvs
            .add_server(service, server)
            .map_err(failed(KernelOp::AddServer)),
        Command::EditServer { service, server } => ipvs
            .edit_server(service, server)
            .map_err(failed(KernelOp::EditServer)),
        Command::DeleteServer { service, server } => ipvs
            .delete_server(service, server)
            .map_err(failed(KernelOp::DeleteServer)),
        Command::SetTimeouts(t) => ipvs.set_timeouts(t).map_err(failed(KernelOp::SetTimeouts)),
        Command::StartDaemon(d) => ipvs.start_daemon(d).map_err(failed(KernelOp::StartDaemon)),
        Command::StopDaemon { state, syncid } => ipvs
            .stop_daemon(*state, *syncid)
            .map_err(failed(KernelOp::StopDaemon)),
        Command::List { target, format } => list(ipvs, &info, *target, *format, out),
        Command::Save { numeric } => {
            let entries = fetch_table(ipvs)?;
            written(compat::write_save(
                out,
                &entries,
                *numeric,
                resolver(*numeric),
            ))
        }
        Command::Restore(_) => Err(not_yet("--restore")),
    }
}
