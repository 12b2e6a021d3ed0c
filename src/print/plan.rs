//! `-R --replace --diff`: a change plan, one ipvsadm command line per
//! kernel request in the order they are sent (so that `ipvsadm -R` reads
//! it back), or the same changes as JSON with the values before and after.

use super::compat::{
    daemon_rule, daemon_stop_rule, server_key_rule, server_rule, service_key_rule, service_rule,
    timeouts_rule,
};
use crate::model::{RealServer, Service, ServiceEntry, ServiceKey, SyncDaemon, Timeouts};
use crate::plan::Op;
use serde::Serialize;
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

/// A value a change replaces or puts in place, in the `--json` listing's
/// shapes.
#[derive(Serialize)]
#[serde(untagged)]
enum Shown<'a> {
    Service(&'a Service),
    /// a deleted service, with the real servers it takes
    Entry {
        service: &'a Service,
        real_servers: Vec<&'a RealServer>,
    },
    Entries(Vec<Shown<'a>>),
    Server(&'a RealServer),
    Timeouts(&'a Timeouts),
    Daemon(&'a SyncDaemon),
}

impl<'a> Shown<'a> {
    fn entry(entry: &'a ServiceEntry) -> Shown<'a> {
        Shown::Entry {
            service: &entry.service,
            real_servers: entry.real_servers.iter().map(|rs| &rs.server).collect(),
        }
    }
}

/// What the operation replaces and what it puts in its place (None for
/// nothing).
fn before_and_after(op: &Op) -> (Option<Shown<'_>>, Option<Shown<'_>>) {
    use Shown::*;
    match op {
        Op::AddService(s) => (None, Some(Service(s))),
        Op::EditService { new, old } => (Some(Service(old)), Some(Service(new))),
        Op::DeleteService { old } => (Some(Shown::entry(old)), None),
        Op::AddServer { server, .. } => (None, Some(Server(server))),
        Op::EditServer { new, old, .. } => (Some(Server(old)), Some(Server(new))),
        Op::DeleteServer { old, .. } => (Some(Server(old)), None),
        Op::Flush { old } => (
            Some(Entries(old.iter().map(Shown::entry).collect())),
            Some(Entries(Vec::new())),
        ),
        Op::SetTimeouts { new, old } => (Some(Timeouts(old)), Some(Timeouts(new))),
        Op::StartDaemon(d) => (None, Some(Daemon(d))),
        Op::StopDaemon { old } => (Some(Daemon(old)), None),
        Op::Zero(_) | Op::List(_) => (None, None),
    }
}

/// One entry of the JSON plan. Field names are part of the interface (see
/// ipvsadm-rs(8), CHANGE PLAN).
#[derive(Serialize)]
struct PlanEntry<'a> {
    command: String,
    change: &'static str,
    service: Option<&'a ServiceKey>,
    before: Option<Shown<'a>>,
    after: Option<Shown<'a>>,
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
        list.push(PlanEntry {
            command,
            change: change_name(op),
            service: service_of(op),
            before,
            after,
        });
    }
    serde_json::to_writer(&mut *w, &list)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{parse_command_line, Command, Parsed};
    use crate::model::{Table, Timeouts};
    use crate::plan::replace::diff;
    use crate::plan::State;
    use serde_json::Value;

    fn command(line: &str) -> Command {
        let words: Vec<&str> = line.split_whitespace().collect();
        match parse_command_line("ipvsadm", &words) {
            Ok(Parsed::Run(command)) => command,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn state(lines: &str) -> State {
        let timeouts = Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300,
        };
        let mut state = State::new(Table::default(), timeouts, vec![]);
        for line in lines.lines() {
            state.apply(&command(line)).unwrap();
        }
        state
    }

    const CURRENT: &str = "\
-A -t 10.0.0.1:80 -s sh -p 300 -M 255.255.255.0 --pe sip -b sh-port
-a -t 10.0.0.1:80 -r 10.1.1.1:8080 -m -w 3 -x 100 -y 10
-a -t 10.0.0.1:80 -r 10.1.1.2 -i --tun-type gue --tun-port 6080 --tun-csum
-A -u [2001:db8::1]:53 -s wlc -o
-a -u [2001:db8::1]:53 -r [2001:db8::10]:53 -m
-A -f 7 -6 -s mh -b mh-port,mh-fallback
-A -t 10.0.0.9:0 -p 60
--start-daemon master --mcast-interface eth1 --syncid 5";

    const WANTED: &str = "\
-A -t 10.0.0.1:80 -s rr -p 300
-a -t 10.0.0.1:80 -r 10.1.1.1:8080 -m -w 0 -x 100
-a -t 10.0.0.1:80 -r 10.1.1.3 -g -w 2 -x 20 -y 7
-A -u [2001:db8::1]:53 -s wlc -o
-a -u [2001:db8::1]:53 -r [2001:db8::10]:53 -m
-a -u [2001:db8::1]:53 -r 10.1.1.4:53 -i --tun-type gre --tun-nocsum
-A -f 8 -s rr -M 255.255.0.0
--set 30 0 10
--start-daemon backup --mcast-interface eth1 --syncid 6 --mcast-group ff02::81 --mcast-port 9000";

    /// The printed plan, read back by the grammar and applied to the
    /// current state in order, gives the wanted state, line for line.
    #[test]
    fn the_printed_plan_read_back_gives_the_wanted_table() {
        let (current, wanted) = (state(CURRENT), state(WANTED));
        let ops = diff(&current, &wanted, true);
        let mut text = Vec::new();
        write_plan(&mut text, &ops, false).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(text.lines().count(), ops.len());
        let mut replayed = current.clone();
        for line in text.lines() {
            replayed.apply(&command(line)).unwrap();
        }
        assert!(replayed == wanted, "{text}");
        for expected in [
            "-E -t 10.0.0.1:80 -s rr -p 300",
            "-d -t 10.0.0.1:80 -r 10.1.1.2:80",
            "-e -t 10.0.0.1:80 -r 10.1.1.1:8080 -m -w 0 -x 100",
            "-a -t 10.0.0.1:80 -r 10.1.1.3:80 -g -w 2 -x 20 -y 7",
            "-a -u [2001:db8::1]:53 -r 10.1.1.4:53 -i -w 1 --tun-type gre --tun-nocsum",
            "-D -f 7 -6",
            "-A -f 8 -s rr -M 255.255.0.0",
            "--set 30 120 10",
            "--stop-daemon master",
            "--start-daemon backup --mcast-interface eth1 --syncid 6 --mcast-group ff02::81 --mcast-port 9000",
        ] {
            assert!(text.lines().any(|l| l == expected), "{expected} not in\n{text}");
        }
        assert!(diff(&wanted, &wanted, true).is_empty());
    }

    #[test]
    fn colour_marks_each_line_by_its_effect_and_json_has_a_line_each() {
        let ops = diff(&state(CURRENT), &state(WANTED), true);
        let (mut plain, mut coloured, mut json) = (Vec::new(), Vec::new(), Vec::new());
        write_plan(&mut plain, &ops, false).unwrap();
        write_plan(&mut coloured, &ops, true).unwrap();
        write_plan_json(&mut json, &ops).unwrap();
        let (plain, coloured) = (
            String::from_utf8(plain).unwrap(),
            String::from_utf8(coloured).unwrap(),
        );
        assert!(!plain.contains('\x1b'));
        for (p, c) in plain.lines().zip(coloured.lines()) {
            let colour = match &p[..2] {
                "-A" | "-a" | "--" if !p.starts_with("--stop") && !p.starts_with("--set") => {
                    "\x1b[32m"
                }
                "-D" | "-d" => "\x1b[31m",
                _ if p.starts_with("--stop") => "\x1b[31m",
                _ => "\x1b[33m",
            };
            assert_eq!(c, format!("{colour}{p}\x1b[0m"));
        }
        assert!(
            json.starts_with(b"[{\"command\":\"-D "),
            "the command first"
        );
        let list: Vec<Value> = serde_json::from_slice(&json).unwrap();
        assert_eq!(list.len(), plain.lines().count());
        for (entry, line) in list.iter().zip(plain.lines()) {
            assert_eq!(entry["command"], line);
        }
        let edit = list.iter().find(|e| e["change"] == "edit-server").unwrap();
        assert_eq!(edit["before"]["weight"], 3);
        assert_eq!(edit["after"]["weight"], 0);
        assert_eq!(edit["service"]["port"], 80);
        let deleted = list
            .iter()
            .find(|e| e["change"] == "delete-service")
            .unwrap();
        assert_eq!(deleted["after"], Value::Null);
        assert_eq!(deleted["before"]["service"]["scheduler"], "mh");
    }
}
