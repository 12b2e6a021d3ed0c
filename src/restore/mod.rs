//! `-R`, all or nothing: read the whole input, check it (syntax, then a
//! simulation against the current table), and only then change the kernel
//! (see [`apply`]); if the kernel still refuses a step, or a termination
//! signal arrives, what it accepted is undone. ipvsadm runs its input line
//! by line and leaves whatever was applied before a failure.
//!
//! The pipeline, in order: [`input`] reads standard input (a big file in
//! two parts, the second by a thread started before the connection);
//! [`lines`] parses the lines (two threads for a big input); a
//! [`Planner`] plans each line as it arrives, while the current table is
//! read by another thread; [`apply`] encodes and sends the steps in
//! batches and rolls back.

mod apply;
pub(crate) mod input;
mod lines;

pub(crate) use input::{RestoreBytes, RestoreInput};

use crate::cli::restore::{restore_text, room_for_lines, RestoreLine};
use crate::cli::{Command, RestoreMode};
use crate::error::{Error, KernelOp};
use crate::kernel::{failed, table, Detail, Ipvs};
use crate::model::{Info, Table};
use crate::plan::{plan, simulate, Refusal, Simulation, State, Step};
use crate::print::{self, OutputStyle};
use std::io::Write;
use std::thread::ScopedJoinHandle;

/// The current state a restore is checked against.
fn current_state(ipvs: &mut Ipvs) -> Result<State, Error> {
    Ok(State::new(
        Table {
            services: table::table(ipvs, Detail::SETTINGS)?,
        },
        ipvs.timeouts().map_err(failed(KernelOp::List))?,
        ipvs.daemons().map_err(failed(KernelOp::List))?,
    ))
}

/// The refusals of a plan, as one error naming every refused line.
fn refusals(refused: Vec<Refusal>) -> Error {
    Error::several(
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

/// The commands of a restore input with their line numbers, or every
/// problem of its bytes or its lines (each naming its line), in input order.
#[cfg(test)]
pub(crate) fn read_commands(
    program: &str,
    input: &[u8],
) -> Result<Vec<(usize, Command)>, Vec<Error>> {
    commands_of(crate::cli::restore::read_restore_input(
        program,
        restore_text(input)?,
    ))
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

/// Inputs up to this size are planned while they are parsed (about
/// 200,000 lines). Beyond it, a plan of hundreds of thousands of lines
/// would be held for nothing when a later line turns out wrong: refusing a
/// huge bad input would need far more memory than reading it does.
const PLAN_WHILE_PARSING_UP_TO: usize = 8 << 20;

/// The current table as a restore waits for it: still being read by
/// another thread, or read.
enum CurrentTable<'scope> {
    Reading(ScopedJoinHandle<'scope, Result<State, Error>>),
    Read(Result<State, Error>),
}

impl CurrentTable<'_> {
    fn wait(self) -> Result<State, Error> {
        match self {
            CurrentTable::Reading(reader) => reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            CurrentTable::Read(state) => state,
        }
    }
}

/// What a restore does with the lines of its input as they are parsed.
enum Planner<'scope> {
    /// Lines are planned as soon as the current table is in; until then
    /// they wait here.
    Waiting {
        table: ScopedJoinHandle<'scope, Result<State, Error>>,
        waiting: Vec<RestoreLine>,
        /// room for the steps of the whole input
        room: usize,
    },
    /// Every line so far parsed, and is planned against `current`; lines
    /// are not stored.
    Planning {
        current: State,
        simulation: Simulation,
    },
    /// Lines are kept for the end: the input is not planned as it is
    /// parsed (`--replace`, huge inputs), the table could not be read, or
    /// a line did not parse (the input is refused then, and the kept
    /// lines hold its problems).
    Keeping {
        table: CurrentTable<'scope>,
        kept: Vec<RestoreLine>,
    },
}

impl<'scope> Planner<'scope> {
    fn take(&mut self, line: RestoreLine) {
        if matches!(self, Planner::Waiting { table, .. } if table.is_finished()) {
            self.plan_waiting();
        }
        match self {
            Planner::Planning { simulation, .. } => match &line.parsed {
                Ok(command) => simulation.run(line.number, command),
                Err(_) => self.keep_from(line),
            },
            Planner::Waiting { waiting, .. } => match &line.parsed {
                Ok(_) => waiting.push(line),
                Err(_) => self.keep_from(line),
            },
            Planner::Keeping { kept, .. } => kept.push(line),
        }
    }

    /// A line did not parse: the plan so far is of no use; the lines
    /// from this one on are kept for their problems.
    fn keep_from(&mut self, line: RestoreLine) {
        let this = std::mem::replace(self, Planner::placeholder());
        let (table, mut kept) = match this {
            Planner::Waiting { table, waiting, .. } => (CurrentTable::Reading(table), waiting),
            Planner::Planning { current, .. } => (CurrentTable::Read(Ok(current)), Vec::new()),
            Planner::Keeping { table, kept } => (table, kept),
        };
        kept.push(line);
        *self = Planner::Keeping { table, kept };
    }

    /// A state that lives only while `self` is being replaced.
    fn placeholder() -> Planner<'scope> {
        Planner::Keeping {
            table: CurrentTable::Read(Ok(State::default())),
            kept: Vec::new(),
        }
    }

    /// Wait for the current table and plan the lines that waited for it.
    fn plan_waiting(&mut self) {
        if !matches!(self, Planner::Waiting { .. }) {
            return;
        }
        if let Planner::Waiting {
            table,
            waiting,
            room,
        } = std::mem::replace(self, Planner::placeholder())
        {
            *self = Planner::planned_from(CurrentTable::Reading(table).wait(), waiting, room);
        }
    }

    /// Planning from the table just read, the waiting lines first.
    fn planned_from(
        table: Result<State, Error>,
        waiting: Vec<RestoreLine>,
        room: usize,
    ) -> Planner<'scope> {
        let current = match table {
            Ok(current) => current,
            Err(e) => {
                return Planner::Keeping {
                    table: CurrentTable::Read(Err(e)),
                    kept: waiting,
                }
            }
        };
        let mut simulation = Simulation::new(&current, room);
        for line in &waiting {
            if let Ok(command) = &line.parsed {
                simulation.run(line.number, command);
            }
        }
        left_to_exit(waiting);
        Planner::Planning {
            current,
            simulation,
        }
    }

    /// Every line has been taken: planning, or keeping with the table read.
    fn finish(mut self) -> Planner<'static> {
        self.plan_waiting();
        match self {
            Planner::Planning {
                current,
                simulation,
            } => Planner::Planning {
                current,
                simulation,
            },
            Planner::Keeping { table, kept } => Planner::Keeping {
                table: CurrentTable::Read(table.wait()),
                kept,
            },
            Planner::Waiting { .. } => unreachable!("plan_waiting leaves no waiting lines"),
        }
    }
}

/// Parse and plan the input: the table before the restore and the steps.
/// Three things at once: the current table is read (for `--replace` of a
/// big table, as long as parsing the input); the input is parsed, in two
/// parts for a big one; and lines are planned as soon as they are parsed.
/// Errors come out as if one step came after the other: parse errors
/// first, then the table, then the plan's refusals.
fn plan_input(
    ipvs: &mut Ipvs,
    program: &str,
    mode: RestoreMode,
    input: RestoreBytes,
) -> Result<(State, Vec<Step>), Error> {
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
    let text = restore_text(&head).map_err(Error::several)?;
    let len = text.len() + tail_len;
    let planned = std::thread::scope(|scope| {
        let reader = scope.spawn(|| current_state(ipvs));
        let mut planner = if !mode.replace && len <= PLAN_WHILE_PARSING_UP_TO {
            Planner::Waiting {
                table: reader,
                waiting: Vec::new(),
                room: room_for_lines(len),
            }
        } else {
            Planner::Keeping {
                table: CurrentTable::Reading(reader),
                kept: Vec::new(),
            }
        };
        let mut take = |line| planner.take(line);
        match tail {
            Some(tail) => tail.each_line_after(program, text, &mut take),
            None => lines::each_restore_input_line(program, text, take),
        }
        planner.finish()
    });
    match planned {
        Planner::Planning {
            current,
            simulation,
        } => {
            let (simulated, steps) = simulation.finish().map_err(refusals)?;
            left_to_exit(simulated);
            Ok((current, steps))
        }
        Planner::Keeping { table, kept } => {
            let commands = commands_of(kept).map_err(Error::several)?;
            let current = table.wait()?;
            let steps = if mode.replace {
                replace_steps(&current, &commands)?
            } else {
                plan(&current, &commands).map_err(refusals)?
            };
            left_to_exit(commands);
            Ok((current, steps))
        }
        Planner::Waiting { .. } => unreachable!("finish leaves no waiting lines"),
    }
}

/// `--diff`: print the plan (before anything is sent).
fn write_plan(
    steps: &[Step],
    mode: RestoreMode,
    colour: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let ops = steps.iter().map(|step| &step.op);
    if mode.json {
        print::plan::write_plan_json(out, ops)
    } else {
        print::plan::write_plan(out, ops, colour)
    }
    // Shown before the changes go out, however long they take.
    .and_then(|()| out.flush())
    .map_err(Error::output)
}

/// Run a restore input; listings inside it, and a `--diff` plan, write to
/// `out`.
pub(crate) fn restore(
    ipvs: &mut Ipvs,
    info: &Info,
    program: &str,
    mode: RestoreMode,
    input: RestoreBytes,
    (out, style): (&mut dyn Write, OutputStyle),
) -> Result<u8, Error> {
    let (before, steps) = plan_input(ipvs, program, mode, input)?;
    if mode.diff {
        write_plan(&steps, mode, style.colour, out)?;
    }
    let status = if mode.check {
        Ok(0)
    } else {
        apply::send_steps(ipvs, info, &before, &steps, out)
    };
    // `--diff` says whether there was anything to change, as `diff` does.
    let changed = mode.diff && !steps.is_empty();
    left_to_exit((before, steps));
    status.map(|status| {
        if changed && status == 0 {
            PLAN_HAS_CHANGES
        } else {
            status
        }
    })
}

/// The exit status of `--diff` when the table differed from the input
/// (as `--orphans` uses 3 for "found some").
const PLAN_HAS_CHANGES: u8 = 3;

/// The process ends soon after a restore: what a big one read and planned
/// (tens of thousands of allocations) is left for the exit to release at
/// once, instead of being freed piece by piece first.
fn left_to_exit<T>(value: T) {
    std::mem::forget(value);
}
