//! `-R --replace --diff`: a change plan, one ipvsadm command line per
//! kernel request in the order they are sent (so that `ipvsadm -R` reads
//! it back), or the same changes as JSON with the values before and after.

use super::compat::{
    daemon_rule, daemon_stop_rule, server_key_rule, server_rule, service_key_rule, service_rule,
    timeouts_rule,
};
use crate::model::ServiceKey;
use crate::plan::Op;
use serde_json::{json, Value};
use std::io::{self, Write};

/// What an operation does to the table, for the colour of its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Adds,
    Changes,
    Removes,
}

impl Effect {
    fn of(op: &Op) -> Effect {
        match op {
            Op::AddService(_) | Op::AddServer { .. } | Op::StartDaemon(_) => Effect::Adds,
            Op::DeleteService { .. }
            | Op::DeleteServer { .. }
            | Op::Flush { .. }
            | Op::StopDaemon { .. } => Effect::Removes,
            Op::EditService { .. }
            | Op::EditServer { .. }
            | Op::SetTimeouts { .. }
            | Op::Zero(_)
            | Op::List(_) => Effect::Changes,
        }
    }

    /// ANSI colour: green, yellow, red.
    fn colour(self) -> &'static str {
        match self {
            Effect::Adds => "\x1b[32m",
            Effect::Changes => "\x1b[33m",
            Effect::Removes => "\x1b[31m",
        }
    }
}

/// The command line of one operation, numeric and with every value; None
/// for a listing, which sends nothing.
pub fn plan_line(op: &Op) -> Option<String> {
    Some(match op {
        Op::AddService(s) => service_rule("-A", s),
        Op::EditService { new, .. } => service_rule("-E", new),
        Op::DeleteService { old } => service_key_rule("-D", &old.service.key),
        Op::AddServer { service, server } => server_rule("-a", service, server),
        Op::EditServer { service, new, .. } => server_rule("-e", service, new),
        Op::DeleteServer { service, old } => server_key_rule("-d", service, old),
        Op::Flush { .. } => "-C".to_string(),
        Op::Zero(None) => "-Z".to_string(),
        Op::Zero(Some(key)) => service_key_rule("-Z", key),
        Op::SetTimeouts { new, .. } => timeouts_rule(new),
        Op::StartDaemon(d) => daemon_rule(d),
        Op::StopDaemon { old } => daemon_stop_rule(old),
        Op::List(_) => return None,
    })
}

/// The plan as command lines; `colour` marks additions green, changes
/// yellow and removals red (for a terminal).
pub fn write_plan<'a>(
    w: &mut dyn Write,
    ops: impl IntoIterator<Item = &'a Op>,
    colour: bool,
) -> io::Result<()> {
    let mut text = String::new();
    for op in ops {
        let Some(line) = plan_line(op) else { continue };
        if colour {
            text.push_str(Effect::of(op).colour());
            text.push_str(&line);
            text.push_str("\x1b[0m\n");
        } else {
            text.push_str(&line);
            text.push('\n');
        }
    }
    w.write_all(text.as_bytes())
}

/// The name of an operation in the JSON plan (ipvsadm's command names).
fn change_name(op: &Op) -> &'static str {
    match op {
        Op::AddService(_) => "add-service",
        Op::EditService { .. } => "edit-service",
        Op::DeleteService { .. } => "delete-service",
        Op::AddServer { .. } => "add-server",
        Op::EditServer { .. } => "edit-server",
        Op::DeleteServer { .. } => "delete-server",
        Op::Flush { .. } => "flush",
        Op::Zero(_) => "zero",
        Op::SetTimeouts { .. } => "set",
        Op::StartDaemon(_) => "start-daemon",
        Op::StopDaemon { .. } => "stop-daemon",
        Op::List(_) => "list",
    }
}

/// The service an operation belongs to, if one.
fn service_of(op: &Op) -> Option<&ServiceKey> {
    match op {
        Op::AddService(s) => Some(&s.key),
        Op::EditService { new, .. } => Some(&new.key),
        Op::DeleteService { old } => Some(&old.service.key),
        Op::AddServer { service, .. }
        | Op::EditServer { service, .. }
        | Op::DeleteServer { service, .. } => Some(service),
        Op::Zero(key) => key.as_ref(),
        _ => None,
    }
}

/// What the operation replaces and what it puts in its place (null for
/// nothing). A deleted service is shown with the real servers it takes.
fn before_and_after(op: &Op) -> (Value, Value) {
    match op {
        Op::AddService(s) => (Value::Null, of(s)),
        Op::EditService { new, old } => (of(old), of(new)),
        Op::DeleteService { old } => (entry_value(old), Value::Null),
        Op::AddServer { server, .. } => (Value::Null, of(server)),
        Op::EditServer { new, old, .. } => (of(old), of(new)),
        Op::DeleteServer { old, .. } => (of(old), Value::Null),
        Op::Flush { old } => (
            Value::Array(old.iter().map(entry_value).collect()),
            json!([]),
        ),
        Op::SetTimeouts { new, old } => (of(old), of(new)),
        Op::StartDaemon(d) => (Value::Null, of(d)),
        Op::StopDaemon { old } => (of(old), Value::Null),
        Op::Zero(_) | Op::List(_) => (Value::Null, Value::Null),
    }
}

/// A model value as JSON (the model's types always serialise).
fn of<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn entry_value(entry: &crate::model::ServiceEntry) -> Value {
    let servers: Vec<_> = entry.real_servers.iter().map(|rs| &rs.server).collect();
    json!({ "service": entry.service, "real_servers": servers })
}

/// The plan as one JSON list: per operation its command line, its name,
/// its service, and the values before and after.
pub fn write_plan_json<'a>(
    w: &mut dyn Write,
    ops: impl IntoIterator<Item = &'a Op>,
) -> io::Result<()> {
    let mut list = Vec::new();
    for op in ops {
        let Some(command) = plan_line(op) else {
            continue;
        };
        let (before, after) = before_and_after(op);
        list.push(json!({
            "command": command,
            "change": change_name(op),
            "service": service_of(op),
            "before": before,
            "after": after,
        }));
    }
    serde_json::to_writer(&mut *w, &list)?;
    w.write_all(b"\n")
}
