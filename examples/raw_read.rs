//! The benchmark's floors for listings: each whole-table kernel read a
//! listing can be built from, done alone and not decoded, so that the
//! benchmark can time it as it times the tools (a process, from start to
//! exit, in the namespace it runs in). Run as root with one read's name:
//! - `service-dump`: the netlink service dump alone;
//! - `server-dumps`: the service dump, then one netlink real-server dump
//!   per service (where 64-bit counters are): what the counter forms read;
//! - `requests`: the service dump, then one request per service in the
//!   dump's order, `getsockopt` for IPv4 and netlink for the rest;
//! - `proc-text`: the `/proc/net/ip_vs` text.
//!
//! A listing needs the service dump whatever else it reads (only it shows
//! every family's services), and the kernel answers it and the
//! per-service reads under one mutex, so they cannot overlap: a floor
//! that left the dump out would be no whole read of the table.
//! Built by `cargo build --release --examples`.

use ipvsadm_rs::kernel::{self, raw_reads, Ipvs, Settings};
use ipvsadm_rs::model::{Family, ServiceKey};

/// The services the service dump names, its replies decoded no further.
fn service_keys(ipvs: &mut Ipvs) -> anyhow::Result<Vec<ServiceKey>> {
    Ok(ipvs.services()?.into_iter().map(|(s, _)| s.key).collect())
}

fn main() -> anyhow::Result<()> {
    let read = std::env::args().nth(1).unwrap_or_default();
    let (mut ipvs, _) = kernel::connect(&Settings::default())?;
    match read.as_str() {
        "service-dump" => drop(ipvs.raw_service_dump()?),
        "server-dumps" => {
            let keys = service_keys(&mut ipvs)?;
            ipvs.raw_server_dumps(&keys)?;
        }
        "requests" => {
            let keys = service_keys(&mut ipvs)?;
            raw_reads::sockopt_server_requests(&keys)?;
            // What getsockopt cannot ask for (IPv6 services) goes to netlink.
            let not_ipv4: Vec<ServiceKey> = keys
                .into_iter()
                .filter(|k| k.family() != Family::Inet)
                .collect();
            ipvs.raw_server_dumps(&not_ipv4)?;
        }
        "proc-text" => drop(raw_reads::proc_text()?),
        _ => anyhow::bail!("usage: raw_read service-dump|server-dumps|requests|proc-text"),
    }
    Ok(())
}
