//! Where a listing's time goes: each step of one, timed apart in the
//! namespace it runs in, one "name seconds" line each. The steps are the
//! service dump (undecoded, then decoded), the whole table from each source, and the
//! printing of `-Ln`, `-Ln --stats` and `--json` (unsorted) into memory. Run as root:
//! `phases` (built by `cargo build --release --examples`).

use ipvsadm_rs::cli::ListFormat;
use ipvsadm_rs::kernel::{self, read_table, Detail, ListSource, Settings};
use ipvsadm_rs::print::compat::write_listing;
use ipvsadm_rs::print::json::{write_document, Document};
use ipvsadm_rs::print::names::NoNames;
use std::time::Instant;

fn timed<T>(name: &str, step: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    let start = Instant::now();
    let value = step()?;
    println!("{name} {:.3}", start.elapsed().as_secs_f64());
    Ok(value)
}

fn main() -> anyhow::Result<()> {
    let (mut ipvs, info) = timed("connect", || Ok(kernel::connect(&Settings::default())?))?;
    timed("services-undecoded", || Ok(ipvs.raw_service_dump()?))?;
    timed("services", || Ok(ipvs.services()?))?;
    let sources = [
        ("cheapest", ListSource::Cheapest),
        ("netlink", ListSource::Netlink),
        ("requests", ListSource::Requests),
        ("proc", ListSource::ProcText),
    ];
    let mut plain = Vec::new();
    for (name, source) in sources {
        let settings = Settings {
            list_source: source,
            ..Settings::default()
        };
        let (mut ipvs, _) = kernel::connect(&settings)?;
        plain = timed(&format!("table-{name}"), || {
            Ok(read_table(&mut ipvs, Detail::PLAIN)?)
        })?;
    }
    let full = timed("table-counters", || {
        Ok(read_table(&mut ipvs, Detail::FULL)?)
    })?;
    let numeric = ListFormat {
        numeric: true,
        ..ListFormat::default()
    };
    let stats = ListFormat {
        stats: true,
        ..numeric
    };
    for (name, entries, format) in [("print-Ln", &plain, numeric), ("print-stats", &full, stats)] {
        timed(name, || {
            let mut out = Vec::new();
            write_listing(&mut out, Some(&info), entries, &format, &NoNames)?;
            Ok(out.len())
        })?;
    }
    timed("print-json", || {
        let doc = Document {
            ipvs: Some(info),
            services: Some(full),
            ..Document::default()
        };
        let mut out = Vec::new();
        write_document(&mut out, &doc)?;
        Ok(out.len())
    })?;
    Ok(())
}
