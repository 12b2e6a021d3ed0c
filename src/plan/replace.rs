//! `--replace`: the fewest operations that turn the current state into the
//! one the input describes: delete what the input lacks, add what is new,
//! edit what differs; unchanged services are not touched (they never stop
//! serving), and an input equal to the table sends nothing.

use super::{same_server, Op, State};
use crate::model::{RealServer, SyncDaemon};

/// Whether two real-server definitions name the same server.
fn same_target(a: &RealServer, b: &RealServer) -> bool {
    same_server(a, &b.addr, b.port)
}

/// Operations from `current` to `desired`. Daemons are compared only when
/// `manage_daemons` (the input started or stopped one).
pub fn diff(current: &State, desired: &State, manage_daemons: bool) -> Vec<Op> {
    let mut ops = Vec::new();
    for entry in &current.table.services {
        if desired.service(&entry.service.key).is_none() {
            ops.push(Op::DeleteService {
                old: Box::new(entry.clone()),
            });
        }
    }
    for want in &desired.table.services {
        let key = want.service.key;
        let Some(have) = current.service(&key) else {
            ops.push(Op::AddService(want.service.clone()));
            // The kernel lists the newest real server first: add oldest first.
            for rs in want.real_servers.iter().rev() {
                ops.push(Op::AddServer {
                    service: key,
                    server: rs.server.clone(),
                });
            }
            continue;
        };
        if have.service != want.service {
            ops.push(Op::EditService {
                new: want.service.clone(),
                old: Box::new(have.service.clone()),
            });
        }
        for old in &have.real_servers {
            if !want
                .real_servers
                .iter()
                .any(|w| same_target(&w.server, &old.server))
            {
                ops.push(Op::DeleteServer {
                    service: key,
                    old: old.server.clone(),
                });
            }
        }
        for new in want.real_servers.iter().rev() {
            match have
                .real_servers
                .iter()
                .find(|h| same_target(&h.server, &new.server))
            {
                None => ops.push(Op::AddServer {
                    service: key,
                    server: new.server.clone(),
                }),
                Some(old) if old.server != new.server => ops.push(Op::EditServer {
                    service: key,
                    new: new.server.clone(),
                    old: Box::new(old.server.clone()),
                }),
                Some(_) => {}
            }
        }
    }
    if desired.timeouts != current.timeouts {
        ops.push(Op::SetTimeouts {
            new: desired.timeouts,
            old: current.timeouts,
        });
    }
    if manage_daemons {
        let kept = |d: &SyncDaemon, among: &[SyncDaemon]| among.iter().any(|x| x == d);
        for d in &current.daemons {
            if !kept(d, &desired.daemons) {
                ops.push(Op::StopDaemon { old: d.clone() });
            }
        }
        for d in &desired.daemons {
            if !kept(d, &current.daemons) {
                ops.push(Op::StartDaemon(d.clone()));
            }
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{parse_command_line, Parsed};
    use crate::model::{Table, Timeouts};

    fn state(lines: &[&str]) -> State {
        let mut s = State::new(
            Table::default(),
            Timeouts {
                tcp: 900,
                tcp_fin: 120,
                udp: 300,
            },
            vec![],
        );
        for line in lines {
            let words: Vec<String> = line.split_whitespace().map(String::from).collect();
            let Ok(Parsed::Run(c)) = parse_command_line("ipvsadm", &words) else {
                panic!("{line}")
            };
            s.apply(&c).unwrap();
        }
        s
    }

    #[test]
    fn equal_states_need_nothing() {
        let lines = [
            "-A -t 10.0.0.1:80 -s rr",
            "-a -t 10.0.0.1:80 -r 10.1.1.1 -m",
            "-A -f 5 -p",
        ];
        assert!(diff(&state(&lines), &state(&lines), true).is_empty());
    }

    #[test]
    fn only_the_differences_are_sent() {
        let current = state(&[
            "-A -t 10.0.0.1:80 -s rr",
            "-a -t 10.0.0.1:80 -r 10.1.1.1 -m",
            "-a -t 10.0.0.1:80 -r 10.1.1.2 -m",
            "-A -t 10.0.0.2:80",
            "-A -t 10.0.0.3:80",
        ]);
        let desired = state(&[
            "-A -t 10.0.0.1:80 -s rr",
            "-a -t 10.0.0.1:80 -r 10.1.1.1 -m -w 5",
            "-a -t 10.0.0.1:80 -r 10.1.1.3 -m",
            "-A -t 10.0.0.3:80 -s wrr",
            "-A -t 10.0.0.4:80",
        ]);
        let ops = diff(&current, &desired, false);
        let kinds: Vec<&str> = ops
            .iter()
            .map(|op| match op {
                Op::DeleteService { .. } => "delete-service",
                Op::AddService(_) => "add-service",
                Op::EditService { .. } => "edit-service",
                Op::DeleteServer { .. } => "delete-server",
                Op::AddServer { .. } => "add-server",
                Op::EditServer { .. } => "edit-server",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "delete-service",
                "delete-server",
                "edit-server",
                "add-server",
                "edit-service",
                "add-service"
            ]
        );
        // Applying the diff to the current state gives the desired one.
        let mut sim = current.clone();
        for command in ops.iter().filter_map(crate::plan::command_of) {
            sim.apply(&command).unwrap();
        }
        let keys = |s: &State| {
            s.table
                .services
                .iter()
                .map(|e| {
                    (
                        e.service.clone(),
                        e.real_servers
                            .iter()
                            .map(|r| r.server.clone())
                            .collect::<Vec<_>>(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let mut got = keys(&sim);
        let mut want = keys(&desired);
        got.sort_by_key(|(s, _)| format!("{:?}", s.key));
        want.sort_by_key(|(s, _)| format!("{:?}", s.key));
        for ((gs, mut gr), (ws, mut wr)) in got.into_iter().zip(want) {
            gr.sort_by_key(|r| r.addr);
            wr.sort_by_key(|r| r.addr);
            assert_eq!((gs, gr), (ws, wr));
        }
    }
}
