//! Managing IPVS from a program with the ipvsadm-rs library: make one
//! virtual service hold exactly the given real servers, as a controller
//! would on every change of its endpoints. What the library gives such a
//! program, and what kube-proxy's netlink client lacked when it hung:
//!
//! - every wait for the kernel ends by [`kernel::REPLY_DEADLINE`]: a kernel
//!   that stops answering is an error, never a hang;
//! - the change is simulated against the current table before anything is
//!   sent ([`State`]), so the kernel's refusals show up first;
//! - only the difference is sent ([`replace::diff`]), many requests per
//!   system call ([`RequestBatch`]);
//! - each operation carries its inverse, so a refused batch is undone.
//!
//! Run as root: `cargo run --example manage -- 10.0.0.1:80 192.168.0.1:8080 192.168.0.2:8080`

use anyhow::{bail, Context};
use ipvsadm_rs::cli::{parse_command_line, Parsed};
use ipvsadm_rs::kernel::{self, Detail, Ipvs, RequestBatch, Settings};
use ipvsadm_rs::model::Table;
use ipvsadm_rs::plan::{replace, Op, State};

/// The current table: services with their real servers, timeouts, daemons.
fn current_state(ipvs: &mut Ipvs) -> anyhow::Result<State> {
    let services = kernel::read_table(ipvs, Detail::SETTINGS)?;
    Ok(State::new(
        Table { services },
        ipvs.timeouts()?,
        ipvs.daemons()?,
    ))
}

/// `state` with one command of ipvsadm's grammar applied, as the kernel
/// would apply it.
fn apply(state: &mut State, line: &str) -> anyhow::Result<()> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match parse_command_line("manage", &words)? {
        Parsed::Run(command) => state.apply(&command).with_context(|| line.to_string())?,
        _ => bail!("{line}: not a command"),
    };
    Ok(())
}

/// Send `ops` in batches; if the kernel refuses one, undo what it took.
fn send(ipvs: &mut Ipvs, ops: &[Op]) -> anyhow::Result<()> {
    let mut accepted: Vec<&Op> = Vec::new();
    for chunk in ops.chunks(kernel::BATCH_MESSAGES) {
        let mut batch = RequestBatch::new();
        for op in chunk {
            op.change()
                .expect("a diff holds no listing")
                .push_to(&mut batch);
        }
        let answer = ipvs.apply_batch(&mut batch)?;
        let refused = |i: usize| answer.failures.iter().any(|&(at, _)| at == i);
        accepted.extend(
            chunk
                .iter()
                .enumerate()
                .filter(|&(i, _)| !refused(i))
                .map(|(_, op)| op),
        );
        if let Some(&(at, errno)) = answer.failures.first() {
            for inverse in accepted.iter().rev().flat_map(|op| op.inverse()) {
                ipvs.apply(&inverse.change().expect("an inverse sends a request"))?;
            }
            bail!(
                "the kernel refused {:?} (errno {errno}); nothing was left changed",
                chunk[at]
            );
        }
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((service, servers)) = args.split_first() else {
        bail!("usage: manage SERVICE-ADDRESS REAL-SERVER...");
    };
    let (mut ipvs, _) = kernel::connect(&Settings::default())?;
    let current = current_state(&mut ipvs)?;
    // The wanted table: the current one, with this service as it should be.
    let mut desired = current.clone();
    let _ = apply(&mut desired, &format!("-D -t {service}"));
    apply(&mut desired, &format!("-A -t {service} -s wrr"))?;
    for server in servers {
        apply(
            &mut desired,
            &format!("-a -t {service} -r {server} -m -w 1"),
        )?;
    }
    let ops = replace::diff(&current, &desired, false);
    send(&mut ipvs, &ops)?;
    println!("{service}: {} change(s) sent", ops.len());
    Ok(())
}
