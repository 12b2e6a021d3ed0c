//! Listings, wherever they are asked for: a `-L`/`-S` command line, or a
//! listing line inside a restore input (run where it stands). The table
//! comes from the kernel layer, the bytes from the printers.

use crate::cli::{Command, ListFormat, ListTarget, Metrics};
use crate::error::{Error, KernelOp};
use crate::kernel::{
    connections, failed, table, table_taken_in_order, Detail, Ipvs, Made, NetlinkError,
};
use crate::model::{Connection, Info, Service, ServiceEntry, ServiceParts, Stats};
use crate::print::compat;
use crate::print::conn::{self, BlankLine};
use crate::print::json::{self, write_document, Document};
use crate::print::names::{NoNames, Resolver, SystemResolver};
use crate::print::prometheus::{write_metrics, MetricsScope};
use crate::print::sort::{self, sort_table};
use std::io::Write;

fn resolver(numeric: bool) -> &'static dyn Resolver {
    if numeric {
        &NoNames
    } else {
        &SystemResolver
    }
}

/// Output errors are reported (see [`Error::output`]).
fn written(result: std::io::Result<()>) -> Result<(), Error> {
    result.map_err(Error::output)
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

/// The connection table as ipvsadm's `list_conn` reads it, each
/// connection to `each` as its line comes in (see
/// [`connections::read_connection_pieces`]): the blank line that ended it,
/// if one did.
fn read_connections(each: &mut dyn FnMut(Connection)) -> Result<Option<BlankLine>, Error> {
    let mut lines = conn::ConnectionLines::default();
    let taken = connections::read_connection_pieces(|piece| lines.feed(piece, each))
        .map_err(|_| Error::ConnTableUnreadable)?;
    if taken == 0 {
        return Err(Error::ConnTableEmpty);
    }
    lines.finish(each).map_err(|_| Error::ConnTableUnreadable)
}

fn list_connections(format: ListFormat, out: &mut dyn Write) -> Result<u8, Error> {
    let blank = if format.json {
        let mut connections = Vec::new();
        let blank = read_connections(&mut |c| connections.push(c))?;
        let doc = Document {
            connections: Some(connections),
            ..Document::default()
        };
        written(write_document(out, &doc))?;
        blank
    } else {
        let names = resolver(format.numeric);
        let mut text = conn::header(format.persistent_conn);
        let (persistent_conn, numeric) = (format.persistent_conn, format.numeric);
        let blank = read_connections(&mut |c| {
            conn::write_row(&mut text, &c, (persistent_conn, numeric), names);
        })?;
        written(out.write_all(text.as_bytes()))?;
        blank
    };
    // ipvsadm stops at a line its sscanf cannot read, and exits 1 silently.
    match blank {
        Some(_) => Err(Error::Silent { status: 1 }),
        None => Ok(0),
    }
}

/// What of each real server a listing form prints.
fn detail_shown(format: &ListFormat) -> Detail {
    if format.json || format.metrics.is_some() {
        Detail::FULL
    } else {
        Detail {
            thresholds: format.thresholds || format.persistent_conn,
            tunnels: format.tun_info,
            counters: false,
            counters_low_bits: format.stats || format.rate,
        }
    }
}

/// Whether a whole-table listing in `format` is made service by service as
/// the table is read: each service's lines or JSON record are made on a
/// thread beside the reads while the kernel answers the next. Orphans are
/// chosen from the whole table first, and metrics are written whole.
fn made_as_read(format: &ListFormat) -> bool {
    !format.orphans && format.metrics.is_none()
}

/// A whole-table listing made service by service as the table is read
/// (see [`made_as_read`]): the same bytes as when it is made after. A
/// route that has no service whole before the end gives the whole table,
/// printed as usual.
fn list_as_read(
    ipvs: &mut Ipvs,
    info: &Info,
    format: ListFormat,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let detail = detail_shown(&format);
    let names = resolver(format.numeric);
    if format.json {
        return list_json_as_read(ipvs, info, format.nosort, out);
    }
    let lines = |parts: ServiceParts<'_>| compat::service_lines(parts, &format, names);
    let mut whole = match table::table_made_as_read(ipvs, detail, &lines)? {
        Made::AsRead(read) => {
            let (entries, lines): (Vec<_>, Vec<_>) = read.into_iter().unzip();
            return written(compat::write_listing_of_lines(
                out, info, &entries, &lines, &format,
            ))
            .map(|()| 0);
        }
        Made::Whole(entries) => entries,
    };
    let netns = ipvs.netns();
    write_services(out, (Some(info), netns), &mut whole, &format, names)?;
    Ok(0)
}

/// A `--json` listing of the whole table, each service's record written
/// as soon as it and every service before it in listing order are in
/// (see [`table_taken_in_order`]).
fn list_json_as_read(
    ipvs: &mut Ipvs,
    info: &Info,
    nosort: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let doc = Document {
        ipvs: Some(*info),
        ..Document::default()
    };
    let mut document = json::DocumentWriter::start(out, &doc).map_err(Error::output)?;
    let order = |services: &[(Service, Stats)]| sort::service_dump_order(services, nosort);
    let record = |parts: ServiceParts<'_>| json::service_record(parts, nosort);
    table_taken_in_order(ipvs, &order, &record, &mut |record| {
        written(record.and_then(|record| document.record(&record)))
    })?;
    written(document.finish()).map(|()| 0)
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
        ListTarget::Table if made_as_read(&format) => list_as_read(ipvs, info, format, out),
        ListTarget::Table | ListTarget::Service(_) => {
            let (mut entries, info) = match target {
                ListTarget::Service(key) => (vec![table::service(ipvs, &key)?], None),
                _ => (table::table(ipvs, detail_shown(&format))?, Some(info)),
            };
            if format.orphans {
                entries = keep_orphans(ipvs, entries)?;
            }
            let netns = ipvs.netns();
            write_services(out, (info, netns), &mut entries, &format, names)?;
            Ok(orphans_status(&format, entries.len()))
        }
        ListTarget::Timeouts | ListTarget::Daemons => list_settings(ipvs, target, format.json, out),
        ListTarget::Connections => list_connections(format, out),
    }
}

/// The services of a listing, in the form `format` asks for; metrics are
/// labelled with the namespace they were read in.
fn write_services(
    out: &mut dyn Write,
    (info, netns): (Option<&Info>, Option<&str>),
    entries: &mut Vec<ServiceEntry>,
    format: &ListFormat,
    names: &dyn Resolver,
) -> Result<(), Error> {
    // Machine-readable forms are sorted as the text is.
    if (format.json || format.metrics.is_some()) && !format.nosort {
        sort_table(entries);
    }
    written(if let Some(metrics) = format.metrics {
        let scope = MetricsScope {
            real_servers: metrics == Metrics::WithRealServers,
            netns,
        };
        write_metrics(out, entries, scope)
    } else if format.json {
        let mut doc = Document {
            ipvs: info.copied(),
            services: Some(std::mem::take(entries)),
            ..Document::default()
        };
        let written = write_document(out, &doc);
        // The caller counts the entries.
        *entries = doc.services.take().unwrap_or_default();
        written
    } else {
        compat::write_listing(out, info, entries, format, names)
    })
}

/// `-L --timeout` and `-L --daemon`, whose failures ipvsadm reports with
/// its exit status only.
fn list_settings(
    ipvs: &mut Ipvs,
    target: ListTarget,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let silent = |_| Error::Silent { status: 1 };
    let (mut doc, mut text) = (Document::default(), Vec::new());
    if target == ListTarget::Timeouts {
        let timeouts = ipvs.timeouts().map_err(silent)?;
        compat::write_timeouts(&mut text, &timeouts).map_err(Error::output)?;
        doc.timeouts = Some(timeouts);
    } else {
        let daemons = ipvs.daemons().map_err(silent)?;
        compat::write_daemons(&mut text, &daemons).map_err(Error::output)?;
        doc.daemons = Some(daemons);
    }
    written(if json {
        write_document(out, &doc)
    } else {
        out.write_all(&text)
    })?;
    Ok(0)
}

/// `-S`, each service's lines made as the table is read (see
/// [`made_as_read`]).
fn save_as_read(
    ipvs: &mut Ipvs,
    detail: Detail,
    numeric: bool,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let names = resolver(numeric);
    let lines = |parts: ServiceParts<'_>| compat::save_lines(parts, numeric, names);
    written(match table::table_made_as_read(ipvs, detail, &lines)? {
        Made::AsRead(read) => {
            let (entries, lines): (Vec<_>, Vec<_>) = read.into_iter().unzip();
            compat::write_save_of_lines(out, &entries, &lines)
        }
        Made::Whole(entries) => compat::write_save(out, &entries, numeric, names),
    })?;
    Ok(0)
}

/// A listing or save command (also from inside a restore input).
pub(crate) fn run_listing(
    ipvs: &mut Ipvs,
    info: &Info,
    command: &Command,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    match command {
        Command::List { target, format } => list(ipvs, info, *target, *format, out),
        Command::Save { numeric, full } => {
            // -S shows tunnel settings, and --full the thresholds too.
            let detail = Detail {
                thresholds: *full,
                ..Detail::SETTINGS
            };
            if !*full {
                return save_as_read(ipvs, detail, *numeric, out);
            }
            let entries = table::table(ipvs, detail)?;
            let timeouts = ipvs.timeouts().map_err(failed(KernelOp::List))?;
            let daemons = ipvs.daemons().map_err(failed(KernelOp::List))?;
            let names = resolver(*numeric);
            written(compat::write_full_save(
                out, &entries, &timeouts, &daemons, *numeric, names,
            ))?;
            Ok(0)
        }
        _ => Ok(0),
    }
}
