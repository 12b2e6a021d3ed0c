//! `-R`: read the whole input, check it (syntax, then a simulation against
//! the current table), and only then change the kernel; if the kernel still
//! refuses a step, undo the steps already taken, newest first, so the table
//! ends as it was. ipvsadm runs the input line by line and leaves whatever
//! was applied before a failure.

use crate::cli::restore::read_restore_input;
use crate::cli::{Command, RestoreMode};
use crate::error::{Error, KernelOp};
use crate::exec::{failed, fetch_table, run_listing};
use crate::model::{Info, Table};
use crate::netlink::{Ipvs, NetlinkError};
use crate::plan::{plan, Op, State, Step};
use std::io::Write;

/// Carry out one operation.
fn run_op(ipvs: &mut Ipvs, op: &Op) -> Result<(), (KernelOp, NetlinkError)> {
    let tag = |op: KernelOp| move |e| (op, e);
    match op {
        Op::AddService(s) => ipvs.add_service(s).map_err(tag(KernelOp::AddService)),
        Op::EditService { new, .. } => ipvs.edit_service(new).map_err(tag(KernelOp::EditService)),
        Op::DeleteService { old } => ipvs
            .delete_service(&old.service.key)
            .map_err(tag(KernelOp::DeleteService)),
        Op::AddServer { service, server } => ipvs
            .add_server(service, server)
            .map_err(tag(KernelOp::AddServer)),
        Op::EditServer { service, new, .. } => ipvs
            .edit_server(service, new)
            .map_err(tag(KernelOp::EditServer)),
        Op::DeleteServer { service, old } => ipvs
            .delete_server(service, old)
            .map_err(tag(KernelOp::DeleteServer)),
        Op::Flush { .. } => ipvs.flush().map_err(tag(KernelOp::Flush)),
        Op::Zero(key) => ipvs.zero(key.as_ref()).map_err(tag(KernelOp::Zero)),
        Op::SetTimeouts { new, .. } => ipvs.set_timeouts(new).map_err(tag(KernelOp::SetTimeouts)),
        Op::StartDaemon(d) => ipvs.start_daemon(d).map_err(tag(KernelOp::StartDaemon)),
        Op::StopDaemon { old } => ipvs
            .stop_daemon(old.state, old.syncid)
            .map_err(tag(KernelOp::StopDaemon)),
        Op::List(_) => Ok(()),
    }
}

/// The current state a restore is checked against.
fn current_state(ipvs: &mut Ipvs) -> Result<State, Error> {
    Ok(State {
        table: Table {
            services: fetch_table(ipvs)?,
        },
        timeouts: ipvs.timeouts().map_err(failed(KernelOp::List))?,
        daemons: ipvs.daemons().map_err(failed(KernelOp::List))?,
    })
}

/// Undo `done` (newest first). Failures are reported but do not stop the
/// undo of the rest.
fn roll_back(ipvs: &mut Ipvs, done: &[Step]) {
    for step in done.iter().rev() {
        for inverse in step.op.inverse() {
            if let Err((op, e)) = run_op(ipvs, &inverse) {
                eprintln!("ipvsadm-rs: undoing line {}: {}", step.line, failed(op)(e));
            }
        }
    }
}

/// Report every problem, one per line in input order; the first one
/// decides the exit status.
fn refuse(problems: Vec<Error>) -> Error {
    let status = problems.first().map_or(1, Error::exit_status);
    for problem in &problems {
        eprintln!("{problem}");
    }
    Error::Silent { status }
}

pub fn restore(
    ipvs: &mut Ipvs,
    info: &Info,
    program: &str,
    mode: RestoreMode,
    input: &str,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    if mode.replace {
        return Err(Error::Unsupported(
            "ipvsadm-rs: --replace is not implemented yet".into(),
        ));
    }
    let mut commands: Vec<(usize, Command)> = Vec::new();
    let mut problems = Vec::new();
    for line in read_restore_input(program, input) {
        match line.parsed {
            Ok(command) => commands.push((line.number, command)),
            Err(error) => problems.push(Error::AtLine {
                line: line.number,
                error: Box::new(error),
            }),
        }
    }
    if !problems.is_empty() {
        return Err(refuse(problems));
    }
    let state = current_state(ipvs)?;
    let steps = plan(&state, &commands).map_err(|refusals| {
        refuse(
            refusals
                .into_iter()
                .map(|r| Error::AtLine {
                    line: r.line,
                    error: Box::new(r.error),
                })
                .collect(),
        )
    })?;
    if mode.check {
        return Ok(0);
    }
    for (i, step) in steps.iter().enumerate() {
        if let Op::List(command) = &step.op {
            let _ = out.flush();
            run_listing(ipvs, info, command, out)?;
            continue;
        }
        if let Err((op, e)) = run_op(ipvs, &step.op) {
            roll_back(ipvs, &steps[..i]);
            return Err(Error::AtLine {
                line: step.line,
                error: Box::new(failed(op)(e)),
            });
        }
    }
    Ok(0)
}
