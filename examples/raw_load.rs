//! The benchmark's "raw batched load": the requests a restore of standard
//! input would send, all encoded before the clock starts, then sent in the
//! same batches on one socket. It prints the seconds the kernel exchange
//! took, the floor for `ipvsadm-rs -R` of that input into an empty table.
//! Run as root in a namespace whose table is empty:
//! `raw_load < rules` (built by `cargo build --release --examples`).

use ipvsadm_rs::cli::restore::read_restore_input;
use ipvsadm_rs::cli::Command;
use ipvsadm_rs::netlink::{Change, Ipvs, RequestBatch};
use std::io::Read;

fn main() -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let lines = read_restore_input("raw_load", &input);
    let mut batches = vec![RequestBatch::new()];
    for line in &lines {
        let change = match line.parsed.as_ref() {
            Ok(Command::AddService(s)) => Change::AddService(s),
            Ok(Command::AddServer { service, server }) => Change::AddServer(service, server),
            _ => anyhow::bail!("line {}: only -A and -a lines are loaded", line.number),
        };
        if batches.last().is_some_and(RequestBatch::is_full) {
            batches.push(RequestBatch::new());
        }
        change.push_to(batches.last_mut().expect("one batch at least"));
    }
    let mut ipvs = Ipvs::connect(|| false).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let start = std::time::Instant::now();
    for batch in &mut batches {
        let result = ipvs
            .apply_batch(batch)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        anyhow::ensure!(result.failures.is_empty(), "refused: {:?}", result.failures);
    }
    println!("{:.3}", start.elapsed().as_secs_f64());
    Ok(())
}
