//! The benchmark's "raw batched load": the requests a restore of standard
//! input would send, all encoded before the clock starts, then sent in the
//! same batches on one socket. It prints the seconds the kernel exchange
//! took, the floor for `ipvsadm-rs -R` of that input into an empty table.
//! Run as root in a namespace whose table is empty:
//! `raw_load < rules` (built by `cargo build --release --examples`).

use ipvsadm_rs::cli::{parse_command_line, Command, Parsed};
use ipvsadm_rs::kernel::{self, RequestBatch, Settings};
use std::io::Read;

fn main() -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let mut commands = Vec::new();
    for (number, line) in input.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match parse_command_line("raw_load", &words)? {
            Parsed::Run(c @ (Command::AddService(_) | Command::AddServer { .. })) => {
                commands.push(c)
            }
            _ => anyhow::bail!("line {}: only -A and -a lines are loaded", number + 1),
        }
    }
    let mut batches = vec![RequestBatch::new()];
    for command in &commands {
        if batches.last().is_some_and(RequestBatch::is_full) {
            batches.push(RequestBatch::new());
        }
        let change = command.change().expect("-A and -a send a request");
        change.push_to(batches.last_mut().expect("one batch at least"));
    }
    let (mut ipvs, _) = kernel::connect(&Settings::default())?;
    let start = std::time::Instant::now();
    for batch in &mut batches {
        let result = ipvs.apply_batch(batch)?;
        anyhow::ensure!(result.failures.is_empty(), "refused: {:?}", result.failures);
    }
    println!("{:.3}", start.elapsed().as_secs_f64());
    Ok(())
}
