//! From commands to kernel operations, checked before anything is sent.
//! IPVS has no transactions, so a restore is made safe here: the input is
//! simulated against the current table (the kernel's own refusals, such as
//! an existing service or a real server of an unknown service, are found
//! first, with the line that causes them), and every operation carries what
//! is needed to undo it.

mod changes;
pub mod replace;

use crate::cli::Command;
use crate::error::{Error, KernelOp};
use crate::kernel::Change;
use crate::model::key_hash::KeyHashing;
use crate::model::{
    RealServer, RealServerEntry, Service, ServiceEntry, ServiceKey, Stats, SyncDaemon, Table,
    Timeouts,
};
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// One kernel operation, with the state it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
// The undo values are boxed: a restore holds one `Op` per input line, and
// the common ones (additions) are then half the size.
/// One kernel operation of a plan; every field named `old` is what it
/// replaces or removes, so that [`Op::inverse`] can undo it.
pub enum Op {
    /// add a service
    AddService(Service),
    /// change a service
    EditService {
        /// as it is to be
        new: Service,
        /// as it was
        old: Box<Service>,
    },
    /// delete a service
    DeleteService {
        /// the service with the real servers the deletion takes with it
        old: Box<ServiceEntry>,
    },
    /// add a real server
    AddServer {
        /// to this service
        service: ServiceKey,
        /// the real server
        server: RealServer,
    },
    /// change a real server
    EditServer {
        /// of this service
        service: ServiceKey,
        /// as it is to be
        new: RealServer,
        /// as it was
        old: Box<RealServer>,
    },
    /// delete a real server
    DeleteServer {
        /// of this service
        service: ServiceKey,
        /// as it was
        old: RealServer,
    },
    /// delete every service
    Flush {
        /// the services as they were
        old: Vec<ServiceEntry>,
    },
    /// zero counters; they cannot be restored, so zeroing is not undone
    Zero(Option<ServiceKey>),
    /// set the connection timeouts
    SetTimeouts {
        /// as they are to be
        new: Timeouts,
        /// as they were
        old: Timeouts,
    },
    /// start a sync daemon
    StartDaemon(SyncDaemon),
    /// stop a sync daemon
    StopDaemon {
        /// the daemon as it ran
        old: SyncDaemon,
    },
    /// a listing inside the input, run where it stands
    List(Box<Command>),
}

impl Op {
    /// The operations that undo this one, in order.
    pub fn inverse(&self) -> Vec<Op> {
        match self {
            Op::AddService(s) => vec![Op::DeleteService {
                old: Box::new(entry(s.clone(), std::iter::empty())),
            }],
            Op::EditService { new, old } => vec![Op::EditService {
                new: (**old).clone(),
                old: Box::new(new.clone()),
            }],
            Op::DeleteService { old } => restore_entries(std::slice::from_ref(old)),
            Op::AddServer { service, server } => vec![Op::DeleteServer {
                service: *service,
                old: server.clone(),
            }],
            Op::EditServer { service, new, old } => {
                vec![Op::EditServer {
                    service: *service,
                    new: (**old).clone(),
                    old: Box::new(new.clone()),
                }]
            }
            Op::DeleteServer { service, old } => vec![Op::AddServer {
                service: *service,
                server: old.clone(),
            }],
            Op::Flush { old } => restore_entries(old),
            Op::SetTimeouts { new, old } => vec![Op::SetTimeouts {
                new: *old,
                old: *new,
            }],
            Op::StartDaemon(d) => vec![Op::StopDaemon { old: d.clone() }],
            Op::StopDaemon { old } => vec![Op::StartDaemon(old.clone())],
            Op::Zero(_) | Op::List(_) => vec![],
        }
    }
}

/// A service entry as the kernel lists it, with counters zero.
fn entry<'a>(service: Service, servers: impl Iterator<Item = &'a RealServer>) -> ServiceEntry {
    ServiceEntry {
        service,
        stats: Stats::default(),
        real_servers: servers.map(server_entry).collect(),
    }
}

fn server_entry(server: &RealServer) -> RealServerEntry {
    RealServerEntry {
        server: server.clone(),
        active_conns: 0,
        inactive_conns: 0,
        persist_conns: 0,
        stats: Stats::default(),
    }
}

/// Re-create services with their real servers. The kernel keeps real
/// servers in a list with the newest first; adding them oldest first keeps
/// the dump order.
fn restore_entries(entries: &[ServiceEntry]) -> Vec<Op> {
    let mut ops = Vec::new();
    for e in entries {
        ops.push(Op::AddService(e.service.clone()));
        for rs in e.real_servers.iter().rev() {
            ops.push(Op::AddServer {
                service: e.service.key,
                server: rs.server.clone(),
            });
        }
    }
    ops
}

/// Services with more real servers than this get a set of their real
/// servers' addresses: below it, a look along the list is cheaper.
const WIDE: usize = 32;

/// A service as a plan sees it: what the kernel would hold, without the
/// counters. A plan never reads them, and a restore simulates 100,000 real
/// servers: without their counters each is a third of the size.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PlannedService {
    service: Service,
    /// Oldest first, the reverse of the kernel's order, so that adding one
    /// is a push: inserting at the front would move every entry for each
    /// addition, quadratic in a wide service.
    real_servers: Vec<RealServer>,
}

impl PlannedService {
    /// From the kernel's view (newest real server first).
    fn from_kernel(entry: ServiceEntry) -> PlannedService {
        PlannedService {
            service: entry.service,
            real_servers: entry
                .real_servers
                .into_iter()
                .rev()
                .map(|rs| rs.server)
                .collect(),
        }
    }

    /// In the kernel's view: newest real server first, counters zero.
    fn to_kernel(&self) -> ServiceEntry {
        entry(self.service.clone(), self.real_servers.iter().rev())
    }

    fn into_kernel(self) -> ServiceEntry {
        entry(self.service, self.real_servers.iter().rev())
    }
}

/// The kernel state a plan is checked against.
#[derive(Debug, Clone, Default)]
pub struct State {
    services: Vec<PlannedService>,
    /// connection timeouts
    pub timeouts: Timeouts,
    /// running sync daemons
    pub daemons: Vec<SyncDaemon>,
    /// where each service is in `services`: restores of tens of
    /// thousands of lines must not search the table for every line
    index: HashMap<ServiceKey, usize, KeyHashing>,
    /// the real servers of each service with more than `WIDE` of them:
    /// checking an addition must not search thousands of entries
    wide: HashMap<ServiceKey, HashSet<(IpAddr, u16), KeyHashing>, KeyHashing>,
    /// the service found last, and where: restore files give a service's
    /// real servers one after the other, and the look-up in `index` is a
    /// good part of planning a line
    last_found: Cell<Option<(ServiceKey, usize)>>,
}

/// States are equal when the services, timeouts and daemons are: the
/// indexes are derived from them.
impl PartialEq for State {
    fn eq(&self, other: &State) -> bool {
        self.services == other.services
            && self.timeouts == other.timeouts
            && self.daemons == other.daemons
    }
}

impl Eq for State {}

/// A planned operation and the input line it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 1-based input line (0: a `--replace` step, of no single line)
    pub line: usize,
    /// what to send
    pub op: Op,
}

/// An input line the plan refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based input line
    pub line: usize,
    /// what the kernel would answer
    pub error: Error,
}

fn kernel(op: KernelOp, errno: i32) -> Error {
    Error::Kernel { op, errno }
}

fn same_server(a: &RealServer, addr: &IpAddr, port: u16) -> bool {
    a.addr == *addr && a.port == port
}

impl State {
    /// The state of a table read from the kernel.
    pub fn new(table: Table, timeouts: Timeouts, daemons: Vec<SyncDaemon>) -> State {
        let mut state = State {
            services: table
                .services
                .into_iter()
                .map(PlannedService::from_kernel)
                .collect(),
            timeouts,
            daemons,
            index: HashMap::default(),
            wide: HashMap::default(),
            last_found: Cell::new(None),
        };
        state.reindex();
        for i in 0..state.services.len() {
            state.index_if_wide(i);
        }
        state
    }

    /// (Re)build the set of service `i`'s real servers if it is wide.
    fn index_if_wide(&mut self, i: usize) {
        let entry = &self.services[i];
        if entry.real_servers.len() > WIDE {
            let servers = entry
                .real_servers
                .iter()
                .map(|rs| (rs.addr, rs.port))
                .collect();
            self.wide.insert(entry.service.key, servers);
        }
    }

    /// Whether service `i` has a real server at this address and port.
    fn has_server(&self, i: usize, addr: &IpAddr, port: u16) -> bool {
        let entry = &self.services[i];
        if entry.real_servers.len() > WIDE {
            if let Some(servers) = self.wide.get(&entry.service.key) {
                return servers.contains(&(*addr, port));
            }
        }
        entry
            .real_servers
            .iter()
            .any(|rs| same_server(rs, addr, port))
    }

    fn reindex(&mut self) {
        self.last_found.set(None);
        self.index = self
            .services
            .iter()
            .enumerate()
            .map(|(i, e)| (e.service.key, i))
            .collect();
    }

    /// The simulated table, in kernel order.
    pub fn table(&self) -> Table {
        Table {
            services: self
                .services
                .iter()
                .map(PlannedService::to_kernel)
                .collect(),
        }
    }

    fn service_index(&self, key: &ServiceKey) -> Option<usize> {
        if let Some((last, i)) = self.last_found.get() {
            if last == *key {
                return Some(i);
            }
        }
        let found = self.index.get(key).copied();
        if let Some(i) = found {
            self.last_found.set(Some((*key, i)));
        }
        found
    }

    /// The service with this key and its real servers, if there is one.
    fn service(&self, key: &ServiceKey) -> Option<&PlannedService> {
        self.service_index(key).map(|i| &self.services[i])
    }

    /// Apply one command to the simulated state, as the kernel would, and
    /// return the operation with its undo information.
    pub fn apply(&mut self, command: &Command) -> Result<Option<Op>, Error> {
        match command.change() {
            Some(change) => self.apply_change(&change).map(Some),
            None => Ok(match command {
                Command::List { .. } | Command::Save { .. } => {
                    Some(Op::List(Box::new(command.clone())))
                }
                _ => None,
            }),
        }
    }

    /// Apply one kernel request to the simulated state, as the kernel
    /// would, and return the operation with its undo information.
    pub fn apply_change(&mut self, change: &Change<'_>) -> Result<Op, Error> {
        Ok(match *change {
            Change::AddService(s) => self.add_service(s)?,
            Change::EditService(s) => {
                let i = self
                    .service_index(&s.key)
                    .ok_or(kernel(KernelOp::EditService, libc::ESRCH))?;
                let old = std::mem::replace(&mut self.services[i].service, s.clone());
                Op::EditService {
                    new: s.clone(),
                    old: Box::new(old),
                }
            }
            Change::DeleteService(key) => self.delete_service(key)?,
            Change::Flush => self.flush(),
            Change::Zero(key) => {
                if let Some(key) = key {
                    self.service_index(key)
                        .ok_or(kernel(KernelOp::Zero, libc::ESRCH))?;
                }
                Op::Zero(key.copied())
            }
            Change::AddServer(service, server) => self.add_server(service, server)?,
            Change::EditServer(service, server) => self.edit_server(service, server)?,
            Change::DeleteServer(service, server) => self.delete_server(service, server)?,
            Change::SetTimeouts(t) => self.set_timeouts(t),
            Change::StartDaemon(d) => {
                if self.daemons.iter().any(|x| x.state == d.state) {
                    return Err(kernel(KernelOp::StartDaemon, libc::EEXIST));
                }
                self.daemons.push(d.clone());
                Op::StartDaemon(d.clone())
            }
            Change::StopDaemon(state, _) => {
                let i = self
                    .daemons
                    .iter()
                    .position(|x| x.state == state)
                    .ok_or(kernel(KernelOp::StopDaemon, libc::ESRCH))?;
                Op::StopDaemon {
                    old: self.daemons.remove(i),
                }
            }
        })
    }

    fn add_service(&mut self, s: &Service) -> Result<Op, Error> {
        if self.service_index(&s.key).is_some() {
            return Err(kernel(KernelOp::AddService, libc::EEXIST));
        }
        self.index.insert(s.key, self.services.len());
        self.services.push(PlannedService {
            service: s.clone(),
            real_servers: Vec::new(),
        });
        Ok(Op::AddService(s.clone()))
    }

    fn delete_service(&mut self, key: &ServiceKey) -> Result<Op, Error> {
        let i = self
            .service_index(key)
            .ok_or(kernel(KernelOp::DeleteService, libc::ESRCH))?;
        let old = self.services.remove(i);
        self.reindex();
        self.wide.remove(key);
        Ok(Op::DeleteService {
            old: Box::new(old.into_kernel()),
        })
    }

    fn flush(&mut self) -> Op {
        self.index.clear();
        self.last_found.set(None);
        self.wide.clear();
        Op::Flush {
            old: std::mem::take(&mut self.services)
                .into_iter()
                .map(PlannedService::into_kernel)
                .collect(),
        }
    }

    fn add_server(&mut self, service: &ServiceKey, server: &RealServer) -> Result<Op, Error> {
        let i = self
            .service_index(service)
            .ok_or(kernel(KernelOp::AddServer, libc::ESRCH))?;
        check_thresholds(KernelOp::AddServer, server)?;
        if self.has_server(i, &server.addr, server.port) {
            return Err(kernel(KernelOp::AddServer, libc::EEXIST));
        }
        let servers = &mut self.services[i].real_servers;
        servers.push(server.clone());
        match servers.len() {
            n if n == WIDE + 1 => self.index_if_wide(i),
            n if n > WIDE + 1 => {
                if let Some(set) = self.wide.get_mut(service) {
                    set.insert((server.addr, server.port));
                }
            }
            _ => {}
        }
        Ok(Op::AddServer {
            service: *service,
            server: server.clone(),
        })
    }

    fn edit_server(&mut self, service: &ServiceKey, server: &RealServer) -> Result<Op, Error> {
        let i = self
            .service_index(service)
            .ok_or(kernel(KernelOp::EditServer, libc::ESRCH))?;
        check_thresholds(KernelOp::EditServer, server)?;
        let rs = self.services[i]
            .real_servers
            .iter_mut()
            .find(|rs| same_server(rs, &server.addr, server.port))
            .ok_or(kernel(KernelOp::EditServer, libc::ENOENT))?;
        let old = std::mem::replace(rs, server.clone());
        Ok(Op::EditServer {
            service: *service,
            new: server.clone(),
            old: Box::new(old),
        })
    }

    fn delete_server(&mut self, service: &ServiceKey, server: &RealServer) -> Result<Op, Error> {
        let i = self
            .service_index(service)
            .ok_or(kernel(KernelOp::DeleteServer, libc::ESRCH))?;
        let servers = &mut self.services[i].real_servers;
        let j = servers
            .iter()
            .position(|rs| same_server(rs, &server.addr, server.port))
            .ok_or(kernel(KernelOp::DeleteServer, libc::ENOENT))?;
        if let Some(set) = self.wide.get_mut(service) {
            set.remove(&(server.addr, server.port));
        }
        Ok(Op::DeleteServer {
            service: *service,
            old: servers.remove(j),
        })
    }

    fn set_timeouts(&mut self, t: &Timeouts) -> Op {
        let old = self.timeouts;
        // 0 leaves a timeout unchanged.
        let pick = |new: u32, old: u32| if new == 0 { old } else { new };
        self.timeouts = Timeouts {
            tcp: pick(t.tcp, old.tcp),
            tcp_fin: pick(t.tcp_fin, old.tcp_fin),
            udp: pick(t.udp, old.udp),
        };
        Op::SetTimeouts {
            new: self.timeouts,
            old,
        }
    }
}

/// The kernel refuses a lower threshold above the upper one (ERANGE).
fn check_thresholds(op: KernelOp, server: &RealServer) -> Result<(), Error> {
    if server.l_threshold > server.u_threshold {
        return Err(kernel(op, libc::ERANGE));
    }
    Ok(())
}

/// A simulation fed one line at a time (a restore plans the first part of
/// its input while the rest is still being parsed): the final state and the
/// steps, or every line the kernel would refuse (the simulation goes on
/// without a refused line).
pub struct Simulation {
    state: State,
    steps: Vec<Step>,
    refusals: Vec<Refusal>,
}

impl Simulation {
    /// Start from `state`, with room for `lines` steps.
    pub fn new(state: &State, lines: usize) -> Simulation {
        Simulation {
            state: state.clone(),
            steps: Vec::with_capacity(lines),
            refusals: Vec::new(),
        }
    }

    /// Simulate `command` of input line `line`.
    pub fn run(&mut self, line: usize, command: &Command) {
        match self.state.apply(command) {
            Ok(Some(op)) => self.steps.push(Step { line, op }),
            Ok(None) => {}
            Err(error) => self.refusals.push(Refusal { line, error }),
        }
    }

    /// The final state and the steps, or every refused line.
    pub fn finish(self) -> Result<(State, Vec<Step>), Vec<Refusal>> {
        if self.refusals.is_empty() {
            Ok((self.state, self.steps))
        } else {
            Err(self.refusals)
        }
    }
}

/// Simulate a whole input (see [`Simulation`]).
pub fn simulate(
    state: &State,
    lines: &[(usize, Command)],
) -> Result<(State, Vec<Step>), Vec<Refusal>> {
    let mut simulation = Simulation::new(state, lines.len());
    for (line, command) in lines {
        simulation.run(*line, command);
    }
    simulation.finish()
}

/// Plan a whole input: its steps, or every line the kernel would refuse.
pub fn plan(state: &State, lines: &[(usize, Command)]) -> Result<Vec<Step>, Vec<Refusal>> {
    simulate(state, lines).map(|(_, steps)| steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{parse_command_line, Parsed};

    fn cmd(line: &str) -> Command {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        match parse_command_line("ipvsadm", &words).unwrap() {
            Parsed::Run(c) => c,
            other => panic!("{other:?}"),
        }
    }

    fn lines(text: &[&str]) -> Vec<(usize, Command)> {
        text.iter()
            .enumerate()
            .map(|(i, l)| (i + 1, cmd(l)))
            .collect()
    }

    /// A service with `n` real servers, added in input order.
    fn wide_service(n: usize) -> Vec<String> {
        let mut text = vec!["-A -t 10.0.0.1:80 -s rr".to_string()];
        text.extend((0..n).map(|j| {
            format!(
                "-a -t 10.0.0.1:80 -r 10.1.{}.{}:80 -m -w {}",
                j / 250,
                j % 250 + 1,
                j % 7
            )
        }));
        text
    }

    fn run(state: &State, text: &[String]) -> Result<(State, Vec<Step>), Vec<Refusal>> {
        let words: Vec<&str> = text.iter().map(String::as_str).collect();
        simulate(state, &lines(&words))
    }

    #[test]
    fn wide_services_are_checked_like_narrow_ones() {
        let text = wide_service(3 * WIDE);
        let (state, steps) = run(&State::default(), &text).unwrap();
        assert_eq!(steps.len(), text.len());
        // Newest first, as the kernel lists them.
        let listed: Vec<u16> = state.table().services[0]
            .real_servers
            .iter()
            .map(|rs| rs.server.weight as u16)
            .collect();
        let added: Vec<u16> = (0..3 * WIDE).rev().map(|j| (j % 7) as u16).collect();
        assert_eq!(listed, added);
        // Every real server again, narrow and wide alike: each one exists.
        let again = &text[1..];
        let refused = run(&state, again).unwrap_err();
        assert_eq!(refused.len(), again.len());
        assert!(refused
            .iter()
            .all(|r| r.error == kernel(KernelOp::AddServer, libc::EEXIST)));
        // Deleted ones can come back; the others still exist.
        let mut change: Vec<String> = (0..3 * WIDE)
            .step_by(3)
            .map(|j| format!("-d -t 10.0.0.1:80 -r 10.1.{}.{}:80", j / 250, j % 250 + 1))
            .collect();
        change.extend(text[1..].iter().step_by(3).cloned());
        let (after, _) = run(&state, &change).unwrap();
        assert_eq!(after.table().services[0].real_servers.len(), 3 * WIDE);
        let refused = run(&after, &text[2..3]).unwrap_err();
        assert_eq!(refused[0].error, kernel(KernelOp::AddServer, libc::EEXIST));
        // A state read from the kernel gets the same checks.
        let read = State::new(state.table(), Timeouts::default(), vec![]);
        assert_eq!(read, state);
        assert_eq!(run(&read, again).unwrap_err().len(), again.len());
    }

    #[test]
    fn services_are_found_where_they_are_after_deletions_and_flushes() {
        let text = [
            "-A -t 10.0.0.1:80",
            "-A -t 10.0.0.2:80",
            "-a -t 10.0.0.1:80 -r 10.1.1.1",
            "-D -t 10.0.0.1:80",
            // Gone, though it was the service found last.
            "-a -t 10.0.0.1:80 -r 10.1.1.3",
            // 10.0.0.2 moved down a place when 10.0.0.1 went.
            "-a -t 10.0.0.2:80 -r 10.1.1.2",
            "-A -t 10.0.0.1:80",
            "-a -t 10.0.0.1:80 -r 10.1.1.4",
            "-C",
            "-a -t 10.0.0.1:80 -r 10.1.1.5",
            "-A -t 10.0.0.2:80",
            "-a -t 10.0.0.2:80 -r 10.1.1.6",
        ];
        let lines = lines(&text);
        let refused = plan(&State::default(), &lines).unwrap_err();
        let refused: Vec<(usize, String)> = refused
            .iter()
            .map(|r| (r.line, r.error.to_string()))
            .collect();
        let undefined = "Service not defined".to_string();
        assert_eq!(refused, [(5, undefined.clone()), (10, undefined)]);
        // Without the refused lines, the final table holds what is left.
        let accepted: Vec<(usize, Command)> = lines
            .into_iter()
            .filter(|(line, _)| ![5, 10].contains(line))
            .collect();
        let (state, _) = simulate(&State::default(), &accepted).unwrap();
        let table = state.table();
        assert_eq!(table.services.len(), 1);
        let servers: Vec<String> = table.services[0]
            .real_servers
            .iter()
            .map(|rs| rs.server.addr.to_string())
            .collect();
        assert_eq!(servers, ["10.1.1.6"]);
    }

    #[test]
    fn refusals_name_the_line_and_ipvsadms_message() {
        let err = plan(
            &State::default(),
            &lines(&[
                "-A -t 10.0.0.1:80",
                "-A -t 10.0.0.1:80",
                "-a -t 10.0.0.2:80 -r 10.1.1.1",
                "-a -t 10.0.0.1:80 -r 10.1.1.1 -y 5",
                "-e -t 10.0.0.1:80 -r 10.1.1.9",
                "--stop-daemon master",
            ]),
        )
        .unwrap_err();
        let got: Vec<(usize, String)> = err.iter().map(|r| (r.line, r.error.to_string())).collect();
        assert_eq!(
            got,
            [
                (2, "Service already exists".to_string()),
                (3, "Service not defined".to_string()),
                (4, "Numerical result out of range".to_string()),
                (5, "No such destination".to_string()),
                (6, "No daemon is running".to_string()),
            ]
        );
    }

    #[test]
    fn inverses_undo_in_reverse_order() {
        let mut state = State::default();
        state.apply(&cmd("-A -t 10.0.0.1:80 -s rr")).unwrap();
        state
            .apply(&cmd("-a -t 10.0.0.1:80 -r 10.1.1.1 -m"))
            .unwrap();
        state
            .apply(&cmd("-a -t 10.0.0.1:80 -r 10.1.1.2 -m -w 3"))
            .unwrap();
        state.timeouts = Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300,
        };
        let before = state.clone();
        let steps = plan(
            &state,
            &lines(&[
                "-E -t 10.0.0.1:80 -s wrr",
                "-e -t 10.0.0.1:80 -r 10.1.1.1 -m -w 7",
                "-d -t 10.0.0.1:80 -r 10.1.1.2",
                "-A -f 5",
                "--set 10 0 0",
                "-D -t 10.0.0.1:80",
            ]),
        )
        .unwrap();
        // Replay the plan, then its inverses in reverse, on a simulation.
        let mut sim = before.clone();
        for s in &steps {
            apply_op(&mut sim, &s.op);
        }
        assert!(sim
            .services
            .iter()
            .all(|e| !matches!(e.service.key, ServiceKey::Addr { .. })));
        for s in steps.iter().rev() {
            for inverse in s.op.inverse() {
                apply_op(&mut sim, &inverse);
            }
        }
        assert_eq!(sim, before);
    }

    /// Apply an operation to a simulated state (the kernel's effect).
    fn apply_op(state: &mut State, op: &Op) {
        if let Some(change) = op.change() {
            state.apply_change(&change).unwrap();
        }
    }
}
