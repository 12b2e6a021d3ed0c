//! Sending a planned restore: changes go out in batches of many requests
//! per `sendmsg`, encoded by a second thread while the kernel works through
//! the current batch. If the kernel refuses a step, or a termination signal
//! arrives, the steps it accepted are undone, newest first, so the table
//! ends as it was.

use super::current_state;
use crate::error::{Error, KernelOp};
use crate::kernel::{failed, Ipvs, NetlinkError, RequestBatch};
use crate::listing::run_listing;
use crate::model::Info;
use crate::plan::{Op, State, Step};
use crate::sys;
use std::io::Write;

/// Undo `accepted` (newest first), one request at a time: this path is
/// rare, and each failure is kept without stopping the rest of the undo.
/// Returns the failures, in the order they happened.
fn roll_back(ipvs: &mut Ipvs, accepted: &[&Step]) -> Vec<Error> {
    let mut failures = Vec::new();
    for step in accepted.iter().rev() {
        for inverse in step.op.inverse() {
            if let Some(change) = inverse.change() {
                if let Err(e) = ipvs.apply(&change) {
                    failures.push(Error::Undo(Box::new(Error::AtLine {
                        line: step.line,
                        error: Box::new(failed(change.op())(e)),
                    })));
                }
            }
        }
    }
    failures
}

/// Undo `accepted`, then fail with `cause`, after any failure of the undo.
fn undone(ipvs: &mut Ipvs, accepted: &[&Step], cause: Error) -> Error {
    let mut problems = roll_back(ipvs, accepted);
    if problems.is_empty() {
        return cause;
    }
    let status = cause.exit_status();
    problems.push(cause);
    Error::Several { problems, status }
}

/// The replies of a batch were lost (the socket failed, or the kernel did
/// not answer in time), so what the kernel did with the requests in flight
/// is unknown: read the table back and make it equal to `before` with the
/// fewest operations, as `--replace` would.
fn recover(ipvs: &mut Ipvs, before: &State) -> Result<(), Error> {
    let now = current_state(ipvs)?;
    for op in crate::plan::replace::diff(&now, before, true) {
        if let Some(change) = op.change() {
            ipvs.apply(&change).map_err(failed(change.op()))?;
        }
    }
    Ok(())
}

/// The most batches the encoder hands over at once (4,096 requests,
/// about 1 MiB of buffers).
const BATCHES_PER_GROUP: usize = 16;

/// Send the changes of `steps` (no listings among them) in batches; on a
/// refusal or a termination signal, undo everything accepted so far.
fn send_changes<'a>(
    ipvs: &mut Ipvs,
    before: &State,
    steps: &'a [Step],
    accepted: &mut Vec<&'a Step>,
) -> Result<(), Error> {
    std::thread::scope(|scope| {
        // The encoder runs ahead by up to two groups of batches and hands
        // them over a group at a time, so that the sending thread is woken
        // once per group rather than once per batch. The first groups are
        // small, so the first batch goes out at once.
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
        let change = steps[end]
            .op
            .change()
            .expect("listings are split off before send_changes");
        change.push_to(&mut batch);
        end += 1;
    }
    group.push((&steps[first..end], batch));
    end
}

/// The error for a batch whose replies were lost, after the table was
/// returned to `before` (or that failed too).
fn lost_replies(ipvs: &mut Ipvs, before: &State, chunk: &[Step], e: NetlinkError) -> Error {
    let (first, last) = (chunk[0].line, chunk[chunk.len() - 1].line);
    let outcome = match recover(ipvs, before) {
        Ok(()) => "the table was read back and returned to its state before the restore".to_string(),
        Err(undo) => format!("returning the table to its state before the restore failed too ({undo}); lines {first} to {last} may be partly applied"),
    };
    Error::Netlink {
        op: KernelOp::List,
        detail: format!("lost the kernel's answers while restoring ({e}); {outcome}"),
    }
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
        Err(e) => return Err(lost_replies(ipvs, before, chunk, e)),
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
        let op = step.op.change().map_or(KernelOp::List, |c| c.op());
        let refused = Error::AtLine {
            line: step.line,
            error: Box::new(failed(op)(NetlinkError::Kernel(errno))),
        };
        return Err(undone(ipvs, accepted, refused));
    }
    if let Some(signal) = sys::termination_requested() {
        return Err(undone(ipvs, accepted, Error::Interrupted { signal }));
    }
    Ok(())
}

/// Carry out a planned restore (`before` is the table before it).
pub(super) fn send_steps(
    ipvs: &mut Ipvs,
    info: &Info,
    before: &State,
    steps: &[Step],
    out: &mut dyn Write,
) -> Result<u8, Error> {
    sys::defer_termination_signals();
    let mut accepted = Vec::new();
    // Listings inside the input run where they stand, between batches.
    for segment in steps.split_inclusive(|s| matches!(s.op, Op::List(_))) {
        let (changes, listing) = match segment.split_last() {
            Some((last, rest)) if matches!(last.op, Op::List(_)) => (rest, Some(last)),
            _ => (segment, None),
        };
        send_changes(ipvs, before, changes, &mut accepted)?;
        if let Some(Step {
            op: Op::List(command),
            ..
        }) = listing
        {
            let _ = out.flush();
            // A listing that fails (the kernel, or a closed output) undoes
            // the restore like a refusal.
            if let Err(e) = run_listing(ipvs, info, command, out) {
                return Err(undone(ipvs, &accepted, e));
            }
        }
    }
    Ok(0)
}
