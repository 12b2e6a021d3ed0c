//! The benchmark's floors for listings: each kernel read a listing can be
//! built from, timed alone and not decoded, in the namespace it runs in.
//! Prints one line per read, its name and seconds: the service dump; one
//! netlink real-server dump per service (where 64-bit counters are); one
//! request per service, by `getsockopt` for IPv4 and netlink for the
//! rest; the `/proc/net/ip_vs` text. Run as root:
//! `raw_read` (built by `cargo build --release --examples`).

use ipvsadm_rs::kernel::{self, raw_reads, Settings};
use ipvsadm_rs::model::{Family, ServiceKey};
use std::time::Instant;

fn timed<T>(name: &str, read: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<()> {
    let start = Instant::now();
    read()?;
    println!("{name} {:.3}", start.elapsed().as_secs_f64());
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let (mut ipvs, _) = kernel::connect(&Settings::default())?;
    // The services to ask for, found before any clock starts.
    let keys: Vec<ServiceKey> = ipvs.services()?.into_iter().map(|(s, _)| s.key).collect();
    // What getsockopt cannot ask for (IPv6 services) goes to netlink.
    let not_ipv4: Vec<ServiceKey> = keys
        .iter()
        .filter(|k| k.family() != Family::Inet)
        .copied()
        .collect();
    timed("service-dump", || Ok(ipvs.raw_service_dump()?))?;
    timed("server-dumps", || Ok(ipvs.raw_server_dumps(&keys)?))?;
    timed("requests", || {
        raw_reads::sockopt_server_requests()?;
        Ok(ipvs.raw_server_dumps(&not_ipv4)?)
    })?;
    timed("proc-text", || Ok(raw_reads::proc_text()?))?;
    Ok(())
}
