//! `-R`: read the whole input, check it (syntax, then a simulation against
//! the current table), and only then change the kernel, in batches of many
//! requests per `sendmsg`. If the kernel still refuses a step, or a
//! termination signal arrives, the steps it accepted are undone, newest
//! first, so the table ends as it was. (ipvsadm runs the input line by line
//! and leaves whatever was applied before a failure.)

use crate::cli::restore::{
    each_restore_input_line, read_restore_input, restore_text, room_for_lines, RestoreLine,
};
use crate::cli::restore_file::RestoreBytes;
use crate::cli::{Command, RestoreMode};
use crate::error::{Error, KernelOp};
use crate::exec::{failed, run_listing};
use crate::fetch::{self, Detail};
use crate::model::{Info, Table};
use crate::netlink::{Change, Ipvs, NetlinkError, RequestBatch};
use crate::plan::{plan, simulate, Op, Simulation, State, Step};
use crate::sys;
use std::io::Write;

/// The request an operation sends, and the operation ipvsadm's messages
/// name; None for a listing.
fn change_of(op: &Op) -> Option<(KernelOp, Change<'_>)> {
    Some(match op {
        Op::AddService(s) => (KernelOp::AddService, Change::AddService(s)),
        Op::EditService { new, .. } => (KernelOp::EditService, Change::EditService(new)),
        Op::DeleteService { old } => (
            KernelOp::DeleteService,
            Change::DeleteService(&old.service.key),
        ),
        Op::AddServer { service, server } => {
            (KernelOp::AddServer, Change::AddServer(service, server))
        }
        Op::EditServer { service, new, .. } => {
            (KernelOp::EditServer, Change::EditServer(service, new))
        }
        Op::DeleteServer { service, old } => {
            (KernelOp::DeleteServer, Change::DeleteServer(service, old))
        }
        Op::Flush { .. } => (KernelOp::Flush, Change::Flush),
        Op::Zero(key) => (KernelOp::Zero, Change::Zero(key.as_ref())),
        Op::SetTimeouts { new, .. } => (KernelOp::SetTimeouts, Change::SetTimeouts(new)),
        Op::StartDaemon(d) => (KernelOp::StartDaemon, Change::StartDaemon(d)),
        Op::StopDaemon { old } => (
            KernelOp::StopDaemon,
            Change::StopDaemon(old.state, old.syncid),
        ),
        Op::List(_) => return None,
    })
}

/// The current state a restore is checked against.
fn current_state(ipvs: &mut Ipvs) -> Result<State, Error> {
    Ok(State::new(
        Table {
            services: fetch::table(ipvs, Detail::Tunnels)?,
        },
        ipvs.timeouts().map_err(failed(KernelOp::List))?,
        ipvs.daemons().map_err(failed(KernelOp::List))?,
    ))
}

/// Undo `accepted` (newest first), one request at a time: this path is rare,
/// and each failure is reported without stopping the rest of the undo.
fn roll_back(ipvs: &mut Ipvs, accepted: &[&Step]) {
    for step in accepted.iter().rev() {
        for inverse in step.op.inverse() {
            if let Some((op, change)) = change_of(&inverse) {
                if let Err(e) = ipvs.apply(&change) {
                    eprintln!(
                        "ipvsadm-rs: undoing a change of line {}: {}",
                        step.line,
                        failed(op)(e)
                    );
                }
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

fn refusals(refused: Vec<crate::plan::Refusal>) -> Error {
    refuse(
        refused
            .into_iter()
            .map(|r| Error::AtLine {
                line: r.line,
                error: Box::new(r.error),
            })
            .collect(),
    )
}

/// `--replace`: the input read as the whole wanted table (timeouts as they
/// are unless it sets them; daemons too, unless it starts or stops one),
/// then the difference from the current state.
fn replace_steps(current: &State, commands: &[(usize, Command)]) -> Result<Vec<Step>, Error> {
    let manage_daemons = commands
        .iter()
        .any(|(_, c)| matches!(c, Command::StartDaemon(_) | Command::StopDaemon { .. }));
    let daemons = if manage_daemons {
        Vec::new()
    } else {
        current.daemons.clone()
    };
    let empty = State::new(Table::default(), current.timeouts, daemons);
    let (desired, _) = simulate(&empty, commands).map_err(refusals)?;
    // Replacement steps belong to no single input line (line 0).
    Ok(
        crate::plan::replace::diff(current, &desired, manage_daemons)
            .into_iter()
            .map(|op| Step { line: 0, op })
            .collect(),
    )
}

/// The replies of a batch were lost (the socket failed, or the kernel did
/// not answer in time), so what the kernel did with the requests in flight
/// is unknown: read the table back and make it equal to `before` with the
/// fewest operations, as `--replace` would.
fn recover(ipvs: &mut Ipvs, before: &State) -> Result<(), Error> {
    let now = current_state(ipvs)?;
    for op in crate::plan::replace::diff(&now, before, true) {
        if let Some((op, change)) = change_of(&op) {
            ipvs.apply(&change).map_err(failed(op))?;
        }
    }
    Ok(())
}

/// Send the changes of `steps` (no listings among them) in batches; on a
/// refusal or a termination signal, undo everything accepted so far.
/// A second thread encodes the next batches while the kernel works through
/// the current one.
fn apply_changes<'a>(
    ipvs: &mut Ipvs,
    before: &State,
    steps: &'a [Step],
    accepted: &mut Vec<&'a Step>,
) -> Result<(), Error> {
    std::thread::scope(|scope| {
        // The encoder runs ahead by up to two groups of batches. It hands
        // them over a group at a time: a thread that waits for room is
        // woken once per hand-over, and under emulation a wake-up per
        // batch made applying 10,000 x 10 about 5% slower than the raw
        // load. The first groups are small, so the first batch goes out
        // at once.
        let (sender, encoded) = std::sync::mpsc::sync_channel(1);
        scope.spawn(move || {
            let mut first = 0;
            let mut group_size = 1;
            while first < steps.len() {
                let mut group = Vec::with_capacity(group_size);
                while group.len() < group_size && first < steps.len() {
                    first = encode_batch(steps, first, &mut group);
                }
                // The receiver is gone when the sending side stopped early.
                if sender.send(group).is_err() {
                    break;
                }
                group_size = (group_size * 2).min(BATCHES_PER_GROUP);
            }
        });
        // Dropping `encoded` on an early return lets the encoder stop.
        for group in encoded.iter() {
            for (chunk, mut batch) in group {
                send_batch(ipvs, before, chunk, &mut batch, accepted)?;
            }
        }
        Ok(())
    })
}

/// The most batches the encoder hands over at once (4,096 requests,
/// about 1 MiB of buffers).
const BATCHES_PER_GROUP: usize = 16;

/// Encode the batch that starts at `steps[first]` onto `group`, request
/// `i` of the batch for step `first + i`; returns where the next starts.
fn encode_batch<'a>(
    steps: &'a [Step],
    first: usize,
    group: &mut Vec<(&'a [Step], RequestBatch)>,
) -> usize {
    let mut batch = RequestBatch::new();
    let mut end = first;
    while end < steps.len() && !batch.is_full() {
        let (_, change) =
            change_of(&steps[end].op).expect("listings are split off before apply_changes");
        change.push_to(&mut batch);
        end += 1;
    }
    group.push((&steps[first..end], batch));
    end
}

/// One batch, request `i` for `chunk[i]`: send it, then undo everything on
/// a refusal or a signal.
fn send_batch<'a>(
    ipvs: &mut Ipvs,
    before: &State,
    chunk: &'a [Step],
    batch: &mut RequestBatch,
    accepted: &mut Vec<&'a Step>,
) -> Result<(), Error> {
    let result = match ipvs.apply_batch(batch) {
        Ok(result) => result,
        Err(e) => {
            let (first, last) = (chunk[0].line, chunk[chunk.len() - 1].line);
            let outcome = match recover(ipvs, before) {
                Ok(()) => "the table was read back and returned to its state before the restore".to_string(),
                Err(undo) => format!("returning the table to its state before the restore failed too ({undo}); lines {first} to {last} may be partly applied"),
            };
            return Err(Error::Netlink {
                op: KernelOp::List,
                detail: format!("lost the kernel's answers while restoring ({e:?}); {outcome}"),
            });
        }
    };
    // The kernel answers in request order: the failures come sorted.
    let mut failures = result.failures.iter().peekable();
    for (i, step) in chunk.iter().enumerate() {
        if failures.next_if(|(index, _)| *index == i).is_none() {
            accepted.push(step);
        }
    }
    if let Some(&(index, errno)) = result.failures.first() {
        let step = &chunk[index];
        roll_back(ipvs, accepted);
        let op = change_of(&step.op).map_or(KernelOp::List, |(op, _)| op);
        return Err(Error::AtLine {
            line: step.line,
            error: Box::new(failed(op)(NetlinkError::Kernel(errno))),
        });
    }
    if let Some(signal) = sys::termination_requested() {
        roll_back(ipvs, accepted);
        return Err(Error::Interrupted { signal });
    }
    Ok(())
}

/// The commands of a restore input with their line numbers, or every
/// problem of its bytes or its lines (each naming its line), in input order.
pub fn read_commands(program: &str, input: &[u8]) -> Result<Vec<(usize, Command)>, Vec<Error>> {
    commands_of(read_restore_input(program, restore_text(input)?))
}

/// The commands of the lines, or the problem of each line that has one.
fn commands_of(lines: Vec<RestoreLine>) -> Result<Vec<(usize, Command)>, Vec<Error>> {
    if lines.iter().all(|line| line.parsed.is_ok()) {
        // Same size as a line: collected in place, without a second copy
        // of tens of thousands of commands.
        return Ok(lines
            .into_iter()
            .filter_map(|line| Some((line.number, line.parsed.ok()?)))
            .collect());
    }
    Err(lines
        .into_iter()
        .filter_map(|line| {
            Some(Error::AtLine {
                line: line.number,
                error: Box::new(line.parsed.err()?),
            })
        })
        .collect())
}

/// Feed parsed lines to a simulation up to one that did not parse: false
/// then (the input is refused, and the simulation is of no use).
fn simulate_lines(simulation: &mut Simulation, lines: &[RestoreLine]) -> bool {
    lines.iter().all(|line| match &line.parsed {
        Ok(command) => {
            simulation.run(line.number, command);
            true
        }
        Err(_) => false,
    })
}

/// Inputs up to this size are planned while they are parsed (about
/// 200,000 lines). Beyond it, a plan of hundreds of thousands of lines
/// would be held for nothing when a later line turns out wrong: refusing a
/// bad input of a million lines would need 200 MB more than reading it
/// does (measured: killed in a 512 MB VM).
const PLAN_WHILE_PARSING_UP_TO: usize = 8 << 20;

/// What a restore does with the lines of its input as they are parsed:
/// each is simulated against the current table at once (lines parsed
/// before the table arrived wait for it), so lines are not stored. They
/// are kept instead when the input is not planned this way (`--replace`,
/// huge inputs) or the table could not be read, and from the first line
/// that does not parse on (the input is refused then, and the kept lines
/// hold its problems).
struct Planner<'scope> {
    table_reader: Option<std::thread::ScopedJoinHandle<'scope, Result<State, Error>>>,
    state: Option<Result<State, Error>>,
    plan_early: bool,
    /// room for the steps of the whole input
    room: usize,
    simulation: Option<Simulation>,
    kept: Vec<RestoreLine>,
}

impl Planner<'_> {
    fn take(&mut self, line: RestoreLine) {
        if self.simulation.is_none()
            && self.plan_early
            && self
                .table_reader
                .as_ref()
                .is_some_and(|reader| reader.is_finished())
        {
            self.table_read();
        }
        match (&mut self.simulation, &line.parsed) {
            (Some(simulation), Ok(command)) => simulation.run(line.number, command),
            (Some(_), Err(_)) => {
                self.simulation = None;
                self.plan_early = false;
                self.kept.push(line);
            }
            (None, _) => self.kept.push(line),
        }
    }

    /// Wait for the current table, if it is still being read, and plan
    /// the lines that waited for it.
    fn table_read(&mut self) {
        let Some(reader) = self.table_reader.take() else {
            return;
        };
        let state = reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        if let (Ok(current), true) = (&state, self.plan_early) {
            let mut simulation = Simulation::new(current, self.room);
            if simulate_lines(&mut simulation, &self.kept) {
                left_to_exit(std::mem::take(&mut self.kept));
                self.simulation = Some(simulation);
            } else {
                self.plan_early = false;
            }
        }
        self.state = Some(state);
    }
}

pub fn restore(
    ipvs: &mut Ipvs,
    info: &Info,
    program: &str,
    mode: RestoreMode,
    input: RestoreBytes,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    // A split input's tail is known to be clean text: the problems of the
    // head are all there are, numbered from its first line.
    let (head, tail, tail_len) = match input {
        RestoreBytes::Whole(bytes) => (bytes, None, 0),
        RestoreBytes::Split {
            head,
            tail,
            tail_len,
        } => (head, Some(tail), tail_len),
    };
    let text = restore_text(&head).map_err(refuse)?;
    let len = text.len() + tail_len;
    // Three things at once: the current table is read (for --replace of a
    // big table, as long as parsing the input); the input is parsed in two
    // parts, one per thread; and lines are planned as soon as they are
    // parsed. Errors come out as if one step came after the other: parse
    // errors first, then the table, then the plan's refusals.
    let (state, simulation, kept) = std::thread::scope(|scope| {
        let mut planner = Planner {
            table_reader: Some(scope.spawn(|| current_state(ipvs))),
            state: None,
            plan_early: !mode.replace && len <= PLAN_WHILE_PARSING_UP_TO,
            room: room_for_lines(len),
            simulation: None,
            kept: Vec::new(),
        };
        let mut take = |line| planner.take(line);
        match tail {
            Some(tail) => tail.each_line_after(program, text, &mut take),
            None => each_restore_input_line(program, text, take),
        }
        planner.table_read();
        let state = planner.state.expect("the table was read");
        (state, planner.simulation, planner.kept)
    });
    // A simulation left means that every line parsed and was planned.
    let (state, steps) = match simulation {
        Some(simulation) => {
            let state = state?;
            let (simulated, steps) = simulation.finish().map_err(refusals)?;
            left_to_exit(simulated);
            (state, steps)
        }
        None => {
            // Lines planned early all parsed: what was kept holds every
            // problem, or (not planned early) every line.
            let commands = commands_of(kept).map_err(refuse)?;
            let state = state?;
            let steps = if mode.replace {
                replace_steps(&state, &commands)?
            } else {
                plan(&state, &commands).map_err(refusals)?
            };
            left_to_exit(commands);
            (state, steps)
        }
    };
    let status = apply_steps(ipvs, info, mode, &state, &steps, out);
    left_to_exit((state, steps));
    status
}

/// The process ends soon after a restore: what a big one read and planned
/// (tens of thousands of allocations) is left for the exit to release at
/// once, instead of being freed piece by piece first.
fn left_to_exit<T>(value: T) {
    std::mem::forget(value);
}

/// Carry out a planned restore (`state` is the table before it).
fn apply_steps(
    ipvs: &mut Ipvs,
    info: &Info,
    mode: RestoreMode,
    state: &State,
    steps: &[Step],
    out: &mut dyn Write,
) -> Result<u8, Error> {
    if mode.check {
        return Ok(0);
    }
    sys::defer_termination_signals();
    let mut accepted = Vec::new();
    // Listings inside the input run where they stand, between batches.
    for segment in steps.split_inclusive(|s| matches!(s.op, Op::List(_))) {
        let (changes, listing) = match segment.split_last() {
            Some((last, rest)) if matches!(last.op, Op::List(_)) => (rest, Some(last)),
            _ => (segment, None),
        };
        apply_changes(ipvs, state, changes, &mut accepted)?;
        if let Some(Step {
            op: Op::List(command),
            ..
        }) = listing
        {
            let _ = out.flush();
            // A listing that fails (the kernel, or a closed output) undoes
            // the restore like a refusal.
            if let Err(e) = run_listing(ipvs, info, command, out) {
                roll_back(ipvs, &accepted);
                return Err(e);
            }
        }
    }
    Ok(0)
}
