//! `--replace`: the fewest operations that turn the current state into the
//! one the input describes: delete what the input lacks, add what is new,
//! edit what differs; unchanged services are not touched (they never stop
//! serving), and an input equal to the table sends nothing.

use super::{same_server, Op, State, WIDE};
use crate::model::key_hash::KeyHashing;
use crate::model::{RealServer, SyncDaemon};
use std::collections::HashMap;
use std::net::IpAddr;

/// A service's real servers found by address and port: along the list
/// when it is short, through a map when it is long (so that the
/// difference of two services of 20,000 real servers is not 400 million
/// comparisons).
struct Servers<'a> {
    list: &'a [RealServer],
    map: Option<HashMap<(IpAddr, u16), &'a RealServer, KeyHashing>>,
}

impl<'a> Servers<'a> {
    fn new(list: &'a [RealServer]) -> Servers<'a> {
        let map =
            (list.len() > WIDE).then(|| list.iter().map(|rs| ((rs.addr, rs.port), rs)).collect());
        Servers { list, map }
    }

    /// The real server that names the same server as `like`.
    fn find(&self, like: &RealServer) -> Option<&'a RealServer> {
        match &self.map {
            Some(map) => map.get(&(like.addr, like.port)).copied(),
            None => self
                .list
                .iter()
                .find(|rs| same_server(rs, &like.addr, like.port)),
        }
    }
}

/// Whether a running daemon is the one wanted: same state, interface and
/// sync id, and every value the input gives. A value it leaves out is the
/// kernel's to choose (the message length follows the interface's MTU),
/// so what the kernel chose is not a difference.
fn runs_as_wanted(running: &SyncDaemon, wanted: &SyncDaemon) -> bool {
    fn given<T: PartialEq>(wanted: Option<T>, running: Option<T>) -> bool {
        wanted.is_none() || wanted == running
    }
    running.state == wanted.state
        && running.mcast_ifn == wanted.mcast_ifn
        && running.syncid == wanted.syncid
        && given(wanted.sync_maxlen, running.sync_maxlen)
        && given(wanted.mcast_group, running.mcast_group)
        && given(wanted.mcast_port, running.mcast_port)
        && given(wanted.mcast_ttl, running.mcast_ttl)
}

/// Operations from `current` to `desired`. Daemons are compared only when
/// `manage_daemons` (the input started or stopped one). The states keep
/// real servers oldest first; operations carry them in kernel order.
pub fn diff(current: &State, desired: &State, manage_daemons: bool) -> Vec<Op> {
    let mut ops = Vec::new();
    for planned in &current.services {
        if desired.service(&planned.service.key).is_none() {
            ops.push(Op::DeleteService {
                old: Box::new(planned.to_kernel()),
            });
        }
    }
    for want in &desired.services {
        let key = want.service.key;
        let Some(have) = current.service(&key) else {
            ops.push(Op::AddService(want.service.clone()));
            // Oldest first, so that the kernel lists them as the input did.
            for rs in &want.real_servers {
                ops.push(Op::AddServer {
                    service: key,
                    server: rs.clone(),
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
        let (wanted, had) = (
            Servers::new(&want.real_servers),
            Servers::new(&have.real_servers),
        );
        for old in have.real_servers.iter().rev() {
            if wanted.find(old).is_none() {
                ops.push(Op::DeleteServer {
                    service: key,
                    old: old.clone(),
                });
            }
        }
        for new in &want.real_servers {
            match had.find(new) {
                None => ops.push(Op::AddServer {
                    service: key,
                    server: new.clone(),
                }),
                Some(old) if old != new => ops.push(Op::EditServer {
                    service: key,
                    new: new.clone(),
                    old: Box::new(old.clone()),
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
        for d in &current.daemons {
            if !desired.daemons.iter().any(|want| runs_as_wanted(d, want)) {
                ops.push(Op::StopDaemon { old: d.clone() });
            }
        }
        for want in &desired.daemons {
            if !current.daemons.iter().any(|d| runs_as_wanted(d, want)) {
                ops.push(Op::StartDaemon(want.clone()));
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

    fn words(text: &[String]) -> Vec<&str> {
        text.iter().map(String::as_str).collect()
    }

    #[test]
    fn wide_services_differ_by_what_changed() {
        let server = |j: usize, weight: usize| {
            format!(
                "-a -t 10.0.0.1:80 -r 10.1.{}.{}:80 -m -w {weight}",
                j / 250,
                j % 250 + 1
            )
        };
        let mut current = vec!["-A -t 10.0.0.1:80 -s rr".to_string()];
        current.extend((0..300).map(|j| server(j, 1)));
        let mut desired = vec!["-A -t 10.0.0.1:80 -s rr".to_string()];
        // Every tenth one dropped, every seventh reweighted, ten new ones.
        desired.extend(
            (0..310)
                .filter(|j| j % 10 != 0 || *j >= 300)
                .map(|j| server(j, if j % 7 == 0 { 2 } else { 1 })),
        );
        let (current, desired) = (state(&words(&current)), state(&words(&desired)));
        assert!(diff(&current, &current, false).is_empty());
        let ops = diff(&current, &desired, false);
        let count = |kind: fn(&Op) -> bool| ops.iter().filter(|op| kind(op)).count();
        assert_eq!(count(|op| matches!(op, Op::DeleteServer { .. })), 30);
        let reweighted = (0..300).filter(|j| j % 7 == 0 && j % 10 != 0).count();
        assert_eq!(count(|op| matches!(op, Op::EditServer { .. })), reweighted);
        assert_eq!(count(|op| matches!(op, Op::AddServer { .. })), 10);
        assert_eq!(ops.len(), 30 + reweighted + 10);
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
        // In the order they are sent, named as ipvsadm's messages name them.
        let kinds: Vec<String> = ops
            .iter()
            .map(|op| format!("{:?}", op.change().unwrap().op()))
            .collect();
        let sent = "DeleteService DeleteServer EditServer AddServer EditService AddService";
        assert_eq!(kinds.join(" "), sent);
        // Applying the diff to the current state gives the desired one.
        let mut sim = current.clone();
        for change in ops.iter().filter_map(Op::change) {
            sim.apply_change(&change).unwrap();
        }
        let keys = |s: &State| {
            s.services
                .iter()
                .map(|e| (e.service.clone(), e.real_servers.clone()))
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
