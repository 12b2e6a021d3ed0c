//! What each fuzz target does with an input: feed it to one of the parsers
//! that read untrusted bytes (argv, restore files, kernel replies, /proc
//! files, getsockopt answers) and check what must hold for any input. A panic or a failed
//! check is a finding. The cargo-fuzz targets call these, and
//! `tests/fuzz_regressions.rs` replays every saved finding through them.

use ipvsadm_rs::cli::restore::{read_restore_input, restore_text};
use ipvsadm_rs::cli::{parse_command_line, Command, Parsed};
use ipvsadm_rs::error::Error;
use ipvsadm_rs::kernel::attrs::{emit_all, CmdAttr, DestAttr};
use ipvsadm_rs::kernel::client::top_level;
use ipvsadm_rs::kernel::convert::{daemon_attrs, daemon_from, dest_from, dest_full};
use ipvsadm_rs::kernel::convert::{service_from, service_full};
use ipvsadm_rs::kernel::procfs::{self, Decoder};
use ipvsadm_rs::kernel::sockopt;
use ipvsadm_rs::kernel::wire::{self, NLMSG_ERROR};
use ipvsadm_rs::model::Family;
use ipvsadm_rs::plan::{simulate, State};
use ipvsadm_rs::print::conn;
use ipvsadm_rs::print::names::NoNames;

/// Every error renders as text and carries one of ipvsadm's exit statuses.
fn check_error(error: &Error) {
    assert!(!error.to_string().is_empty() || matches!(error, Error::Silent { .. }));
    assert!(matches!(error.exit_status(), 1 | 2 | 255 | 128..=192));
}

/// argv: NUL bytes separate the words. Besides never panicking, the one
/// grammar must read the same words the same way on a restore line.
pub fn argv(data: &[u8]) {
    let words: Vec<String> = data
        .split(|&b| b == 0)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    let parsed = parse_command_line("ipvsadm", &words);
    if let Err(e) = &parsed {
        check_error(e);
    }
    let restorable = !words.is_empty()
        && !words[0].starts_with('#')
        && words
            .iter()
            .all(|w| !w.is_empty() && w != "ipvsadm" && !w.contains([' ', '\t', '\r', '\n', '\0']));
    if !restorable {
        return;
    }
    let line = words.join(" ");
    let lines = read_restore_input("ipvsadm", &line);
    assert_eq!(lines.len(), 1);
    let as_restore_line = match parsed {
        Ok(Parsed::Run(Command::Restore(_)) | Parsed::Help | Parsed::Version) => {
            Err(Error::TryHelp {
                program: "ipvsadm".into(),
            })
        }
        Ok(Parsed::Run(command)) => Ok(command),
        Err(e) => Err(e),
    };
    assert_eq!(lines[0].parsed, as_restore_line);
}

/// A restore input: bad bytes are refused line by line; good text is read,
/// numbered in order, and planned against an empty table.
pub fn restore(data: &[u8]) {
    let line_count = data.split(|&b| b == b'\n').count();
    let text = match restore_text(data) {
        Ok(text) => text,
        Err(problems) => {
            assert!(!problems.is_empty());
            for problem in &problems {
                check_error(problem);
                assert!(matches!(problem, Error::AtLine { line, .. } if *line <= line_count));
            }
            return;
        }
    };
    let lines = read_restore_input("ipvsadm", text);
    assert!(lines.windows(2).all(|w| w[0].number < w[1].number));
    assert!(lines
        .iter()
        .all(|l| l.number >= 1 && l.number <= line_count));
    let mut commands = Vec::new();
    for line in lines {
        match line.parsed {
            Ok(command) => commands.push((line.number, command)),
            Err(e) => check_error(&e),
        }
    }
    match simulate(&State::default(), &commands) {
        Ok((end, steps)) => {
            assert!(steps.len() <= commands.len());
            // --replace from an empty table to the input's outcome adds
            // each service and each real server once.
            let ops = ipvsadm_rs::plan::replace::diff(&State::default(), &end, false);
            let servers: usize = end
                .table()
                .services
                .iter()
                .map(|s| s.real_servers.len())
                .sum();
            let timeouts_set = usize::from(end.timeouts != State::default().timeouts);
            assert_eq!(
                ops.len(),
                end.table().services.len() + servers + timeouts_set
            );
        }
        Err(refusals) => {
            for refusal in &refusals {
                check_error(&refusal.error);
                assert!(commands.iter().any(|(n, _)| *n == refusal.line));
            }
        }
    }
}

/// A datagram from the kernel: framing, the generic netlink header, every
/// attribute space. What decodes must encode and decode to itself.
pub fn netlink_reply(data: &[u8]) {
    let Ok(messages) = wire::messages(data) else {
        return;
    };
    for message in messages {
        if message.kind == NLMSG_ERROR {
            let _ = wire::error_code(message.payload);
            continue;
        }
        let Ok(genl) = wire::genl(message.payload) else {
            continue;
        };
        let Ok(attrs) = top_level(genl.attrs) else {
            continue;
        };
        for attr in attrs {
            match attr {
                CmdAttr::Service(attrs) => {
                    if let Ok((service, _)) = service_from(&attrs) {
                        let again = reparse(CmdAttr::Service(service_full(&service)));
                        let Some(CmdAttr::Service(attrs)) = again else {
                            panic!("the service did not encode as a service");
                        };
                        assert_eq!(service_from(&attrs).map(|(s, _)| s), Ok(service));
                    }
                }
                CmdAttr::Dest(attrs) => {
                    for family in [Family::Inet, Family::Inet6] {
                        if let Ok(entry) = dest_from(&attrs, family) {
                            let mut reply = dest_full(&entry.server);
                            reply.extend([
                                DestAttr::ActiveConns(entry.active_conns),
                                DestAttr::InactConns(entry.inactive_conns),
                                DestAttr::PersistConns(entry.persist_conns),
                            ]);
                            let Some(CmdAttr::Dest(attrs)) = reparse(CmdAttr::Dest(reply)) else {
                                panic!("the real server did not encode as one");
                            };
                            let again = dest_from(&attrs, family).map(|e| {
                                (e.server, e.active_conns, e.inactive_conns, e.persist_conns)
                            });
                            let conns = (entry.active_conns, entry.inactive_conns);
                            assert_eq!(
                                again,
                                Ok((entry.server, conns.0, conns.1, entry.persist_conns))
                            );
                        }
                    }
                }
                CmdAttr::Daemon(attrs) => {
                    if let Ok(Some(daemon)) = daemon_from(&attrs) {
                        let again = reparse(CmdAttr::Daemon(daemon_attrs(&daemon)));
                        let Some(CmdAttr::Daemon(attrs)) = again else {
                            panic!("the daemon did not encode as one");
                        };
                        assert_eq!(daemon_from(&attrs), Ok(Some(daemon)));
                    }
                }
                _ => {}
            }
        }
    }
}

/// One attribute encoded, then decoded again.
fn reparse(attr: CmdAttr) -> Option<CmdAttr> {
    let bytes = emit_all(&[attr]);
    let mut attrs = top_level(&bytes).ok()?;
    assert_eq!(attrs.len(), 1);
    attrs.pop()
}

/// `/proc/net/ip_vs_conn` (`-Lc`): parsed whole and in pieces (of a size
/// the first byte chooses) alike, and every row printed, in both layouts.
pub fn proc_conn(data: &[u8]) {
    let whole = conn::parse_connections_in_pieces(data, data.len());
    let size = 1 + data.first().map_or(0, |&b| usize::from(b) % 64);
    assert_eq!(conn::parse_connections_in_pieces(data, size), whole);
    for c in &whole.0 {
        for persistent in [false, true] {
            assert!(conn::row(c, persistent, true, &NoNames).ends_with('\n'));
        }
    }
}

/// `/proc/net/ip_vs` (the fast listing path): decoded whole, and in two
/// pieces cut where the first byte says, as reads hand it over; both
/// give the same.
pub fn proc_ip_vs(data: &[u8]) {
    let Some((&cut, text)) = data.split_first() else {
        return;
    };
    let (first, second) = text.split_at(usize::from(cut).min(text.len()));
    let mut decoder = Decoder::default();
    let in_pieces = decoder
        .feed(first)
        .and_then(|()| decoder.feed(second))
        .and_then(|()| decoder.finish(true));
    assert_eq!(procfs::decode(text), in_pieces);
}

/// `getsockopt` answers (the fast listing path): the first byte is how
/// many entries were asked for, the rest the kernel's answer. What is
/// decoded stays within the answer and the request, and "every entry
/// written" means exactly that.
pub fn sockopt_reply(data: &[u8]) {
    let Some((&capacity, answer)) = data.split_first() else {
        return;
    };
    let capacity = usize::from(capacity);
    let (servers, full) = sockopt::decode_servers(answer, capacity);
    assert!(servers.len() <= capacity);
    assert_eq!(full, servers.len() == capacity);
    assert!(servers.iter().all(|rs| rs.server.weight != -1));
    let (counts, _) = sockopt::decode_server_counts(answer, capacity);
    assert!(counts.len() <= capacity);
}
