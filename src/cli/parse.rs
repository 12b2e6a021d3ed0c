//! From argv words to a typed `Command`, step for step as ipvsadm 1.31's
//! `parse_options` and `process_options` do it: options are applied left to
//! right as popt returns them (some depend on what came before), errors stop
//! at the first one in ipvsadm's order, then the legality matrix and the
//! per-command checks run, and finally defaults and adjustments are applied.

use super::address::{parse_host_port, parse_ipv4_netmask};
use super::command::{Command, ListFormat, ListTarget, Metrics, Parsed, RestoreMode};
use super::options::{Action, CommandKind, Opt, OPT_BITS};
use super::popt::{Occurrence, Scanner};
use super::values::{atoi, comma_items, parse_fwmark, string_to_number};
use crate::error::Error;
use crate::model::{
    DaemonState, Family, ForwardMethod, Netmask, Protocol, RealServer, Service, ServiceFlags,
    ServiceKey, SyncDaemon, Timeouts, TunnelFlags, TunnelType,
};
use crate::sys;
use std::net::{IpAddr, Ipv4Addr};

/// `MAX_TIMEOUT`: 31 days.
const MAX_TIMEOUT: i64 = 86400 * 31;
/// `IPVS_SVC_PERSISTENT_TIMEOUT`: `-p` without a value.
const DEFAULT_PERSISTENT_TIMEOUT: u32 = 360;
const DEFAULT_SCHEDULER: &str = "wlc";
const DEFAULT_MCAST_INTERFACE: &str = "eth0";
/// `--drain-server` without `--wait`: five minutes, longer than the
/// kernel's default UDP timeout, shorter than its idle TCP one.
const DEFAULT_DRAIN_WAIT: u32 = 300;
/// Weight and threshold upper bound (Debian's patch: INT_MAX, upstream 65535).
const INT_MAX: i64 = i32::MAX as i64;

/// The service being built, as ipvsadm's `ipvs_service_t` holds it while
/// options are applied in order.
struct ServiceDraft {
    family: Family,
    protocol: Option<Protocol>,
    addr: IpAddr,
    port: u16,
    fwmark: u32,
    scheduler: String,
    pe_name: String,
    flags: u32,
    timeout: u32,
    /// raw like ipvsadm's u32: an IPv4 mask (host order here), or a prefix
    netmask: u32,
}

struct Draft {
    command: CommandKind,
    options: u64,
    svc: ServiceDraft,
    dest: RealServer,
    daemon: SyncDaemon,
    timeouts: Timeouts,
    format: ListFormat,
    sched_flags_arg: Option<String>,
    /// `--wait`, in seconds
    wait: u32,
}

impl Draft {
    fn new(command: CommandKind) -> Draft {
        Draft {
            command,
            options: 0,
            svc: ServiceDraft {
                family: Family::Inet,
                protocol: None,
                addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                port: 0,
                fwmark: 0,
                scheduler: String::new(),
                pe_name: String::new(),
                flags: 0,
                timeout: 0,
                netmask: u32::MAX,
            },
            dest: RealServer::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            daemon: SyncDaemon::new(DaemonState::Master, ""),
            timeouts: Timeouts::default(),
            format: ListFormat::default(),
            sched_flags_arg: None,
            wait: DEFAULT_DRAIN_WAIT,
        }
    }

    fn has(&self, opt: Opt) -> bool {
        self.options & opt.mask() != 0
    }

    /// ipvsadm's `set_option`: an option bit may be given once.
    fn set_option(&mut self, opt: Opt) -> Result<(), Error> {
        if self.has(opt) {
            return Err(Error::invalid(format!(
                "multiple '{}' options specified",
                opt.name()
            )));
        }
        self.options |= opt.mask();
        Ok(())
    }
}

/// C `strncpy` into a fixed buffer: keep at most `max` bytes.
fn truncated(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn number(arg: &str, min: i64, max: i64, message: &str) -> Result<i64, Error> {
    string_to_number(arg, min, max).ok_or_else(|| Error::invalid(message))
}

/// ipvsadm's `parse_timeout`: a missing value means the persistence default.
fn timeout_value(arg: Option<&str>, min: i64) -> Result<u32, Error> {
    match arg {
        None => Ok(DEFAULT_PERSISTENT_TIMEOUT),
        Some(text) => string_to_number(text, min, MAX_TIMEOUT)
            .map(|v| v as u32)
            .ok_or_else(|| Error::invalid(format!("invalid timeout value `{text}' specified"))),
    }
}

/// Read one command line (argv without `argv[0]`). `program` is `argv[0]`, which
/// ipvsadm's `Try ...` message repeats.
pub fn parse_command_line<W: AsRef<str>>(program: &str, words: &[W]) -> Result<Parsed, Error> {
    let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
    parse_words(program, &words)
}

/// What the first option popt returns from `words` does, if it is one:
/// the command (or help, or the version), known before the line is read
/// in full.
fn first_action<W: AsRef<str>>(words: &[W]) -> Option<Action> {
    let words: Vec<&str> = words.iter().map(AsRef::as_ref).collect();
    let first = Scanner::new(&words).next_option().ok()??;
    Some(first.spec.action)
}

/// Whether the command of `words` is a restore (`-R`).
pub(crate) fn is_restore<W: AsRef<str>>(words: &[W]) -> bool {
    first_action(words) == Some(Action::Command(CommandKind::Restore))
}

/// `Help` or `Version` when the first option asks for help or the version.
pub(crate) fn help_or_version<W: AsRef<str>>(words: &[W]) -> Option<Parsed> {
    match first_action(words)? {
        Action::Help => Some(Parsed::Help),
        Action::Version => Some(Parsed::Version),
        _ => None,
    }
}

/// [`parse_command_line`] for words already borrowed as `&str`: a restore
/// reads tens of thousands of lines, and a copy of each line's words shows.
pub(crate) fn parse_words(program: &str, words: &[&str]) -> Result<Parsed, Error> {
    if words.is_empty() {
        // No arguments at all: ipvsadm lists the table, names resolved.
        return Ok(Parsed::Run(Command::List {
            target: ListTarget::Table,
            format: ListFormat::default(),
        }));
    }
    let try_help = || Error::TryHelp {
        program: program.to_string(),
    };
    let mut scanner = Scanner::new(words);
    // The first option popt returns must be a command; anything else
    // (including a popt error, or no option at all) is `Try ...`, exit 255.
    let first = scanner
        .next_option()
        .map_err(|_| try_help())?
        .ok_or_else(try_help)?;
    let command = match first.spec.action {
        Action::Command(kind) => kind,
        Action::Help => return Ok(Parsed::Help),
        Action::Version => return Ok(Parsed::Version),
        _ => return Err(try_help()),
    };
    let mut draft = Draft::new(command);
    match command {
        CommandKind::StartDaemon | CommandKind::StopDaemon => {
            draft.daemon.state = match first.arg {
                Some("master") => DaemonState::Master,
                Some("backup") => DaemonState::Backup,
                // The stop-daemon text says start_daemon: ipvsadm's, kept.
                _ if command == CommandKind::StartDaemon => {
                    return Err(Error::invalid("illegal start-daemon parameter specified"))
                }
                _ => return Err(Error::invalid("illegal start_daemon specified")),
            };
        }
        _ => {}
    }
    loop {
        match scanner.next_option() {
            Ok(Some(occurrence)) => apply_option(&mut draft, occurrence, &scanner)?,
            Ok(None) => break,
            Err(failure) => {
                return Err(Error::Popt {
                    word: failure.word,
                    kind: failure.kind,
                })
            }
        }
    }
    if command == CommandKind::SetTimeouts {
        let (Some(tcp), Some(tcp_fin), Some(udp)) = (
            scanner.next_positional(),
            scanner.next_positional(),
            scanner.next_positional(),
        ) else {
            return Err(Error::invalid("--set option requires 3 timeout values"));
        };
        draft.timeouts = Timeouts {
            tcp: timeout_value(Some(tcp), 0)?,
            tcp_fin: timeout_value(Some(tcp_fin), 0)?,
            udp: timeout_value(Some(udp), 0)?,
        };
    }
    if let Some(word) = scanner.next_positional() {
        return Err(Error::invalid(format!("unexpected argument {word}")));
    }
    apply_sched_flags(&mut draft)?;
    check_matrix(&draft)?;
    finish(draft).map(Parsed::Run)
}

/// One option as ipvsadm's big `switch` handles it. Order matters: the
/// option bit is claimed before its value is checked.
fn apply_option(
    draft: &mut Draft,
    occurrence: Occurrence<'_>,
    scanner: &Scanner<'_>,
) -> Result<(), Error> {
    let arg = occurrence.arg.unwrap_or("");
    let action = occurrence.spec.action;
    if let Action::Command(_) | Action::Help | Action::Version = action {
        // A command after the first option: ipvsadm blames the last argv
        // word popt consumed (for `--start-daemon master`, that is `master`).
        return Err(Error::invalid(format!(
            "invalid option `{}'",
            scanner.last_word()
        )));
    }
    if let Some(bit) = occurrence.spec.bit {
        draft.set_option(bit)?;
    }
    let format = &mut draft.format;
    let flag = match occurrence.spec.bit {
        Some(Opt::Numeric) => &mut format.numeric,
        Some(Opt::Stats) => &mut format.stats,
        Some(Opt::Rate) => &mut format.rate,
        Some(Opt::Exact) => &mut format.exact,
        Some(Opt::Thresholds) => &mut format.thresholds,
        Some(Opt::PersistentConn) => &mut format.persistent_conn,
        Some(Opt::TunInfo) => &mut format.tun_info,
        Some(Opt::NoSort) => &mut format.nosort,
        Some(Opt::Orphans) => &mut format.orphans,
        Some(Opt::Json) => &mut format.json,
        _ => return apply_value(draft, action, arg, occurrence.arg),
    };
    *flag = true;
    Ok(())
}

/// An option that sets a value of the service, the real server or the
/// daemon (its bit already claimed). `arg` is "" when there is none.
fn apply_value(
    draft: &mut Draft,
    action: Action,
    arg: &str,
    given: Option<&str>,
) -> Result<(), Error> {
    match action {
        Action::TcpService | Action::UdpService | Action::SctpService => {
            let protocol = match action {
                Action::TcpService => Protocol::Tcp,
                Action::UdpService => Protocol::Udp,
                _ => Protocol::Sctp,
            };
            draft.svc.protocol = Some(protocol);
            let parsed = parse_host_port(arg, Some(protocol))
                .ok_or_else(|| Error::invalid("illegal virtual server address[:port] specified"))?;
            draft.svc.addr = parsed.addr;
            draft.svc.family = Family::of(&parsed.addr);
            if draft.svc.family == Family::Inet6 {
                draft.svc.netmask = 128;
            }
            draft.svc.port = parsed.port.unwrap_or(0);
        }
        Action::FwmarkService => {
            // ipvsadm sets a sane protocol "even though it is not used": it
            // still decides how `-r host:name` port names resolve.
            draft.svc.family = Family::Inet;
            draft.svc.protocol = Some(Protocol::Tcp);
            draft.svc.fwmark = parse_fwmark(arg)
                .ok_or_else(|| Error::invalid(format!("invalid fwmark value `{arg}' specified")))?;
        }
        Action::Ipv6 => {
            if draft.svc.fwmark == 0 {
                // ipvsadm's text ends in "\n" and fail() adds another.
                return Err(Error::invalid("-6 used before -f\n"));
            }
            draft.svc.family = Family::Inet6;
            draft.svc.netmask = 128;
        }
        Action::Scheduler => draft.svc.scheduler = truncated(arg, 15),
        Action::Pe => draft.svc.pe_name = truncated(arg, 16),
        Action::Persistent => {
            draft.svc.flags |= ServiceFlags::PERSISTENT;
            draft.svc.timeout = timeout_value(given, 1)?;
        }
        Action::Netmask => draft.svc.netmask = netmask_value(draft.svc.family, arg)?,
        Action::Ops => draft.svc.flags |= ServiceFlags::ONEPACKET,
        Action::SchedFlags => draft.sched_flags_arg = Some(arg.to_string()),
        Action::Netns => {
            return Err(Error::invalid(
                "The '--netns' option belongs on the command line, not in a restore input",
            ))
        }
        Action::Prometheus => {
            draft.format.metrics = Some(match given {
                None | Some("all") => Metrics::WithRealServers,
                Some("services") => Metrics::ServicesOnly,
                Some(_) => return Err(Error::invalid("illegal prometheus scope specified")),
            });
        }
        Action::Wait => {
            draft.wait = number(arg, 0, MAX_TIMEOUT, "illegal wait specified")? as u32;
        }
        // The listing targets, `--check` and `--replace` are their bit;
        // sorting is the default: `--sort` is accepted anywhere, any
        // number of times.
        Action::Flag => {}
        Action::SyncId
        | Action::SyncMaxlen
        | Action::McastInterface
        | Action::McastGroup
        | Action::McastPort
        | Action::McastTtl => apply_daemon_value(&mut draft.daemon, action, arg)?,
        _ => apply_server_value(draft, action, arg)?,
    }
    Ok(())
}

/// `-M`: an IPv6 prefix length, or an IPv4 mask.
fn netmask_value(family: Family, arg: &str) -> Result<u32, Error> {
    if family == Family::Inet6 {
        // atoi() into a u32 compared unsigned: negatives are huge.
        let prefix = atoi(arg) as u32;
        if !(1..=128).contains(&prefix) {
            return Err(Error::invalid("illegal ipv6 netmask specified"));
        }
        return Ok(prefix);
    }
    let mask = parse_ipv4_netmask(arg)
        .ok_or_else(|| Error::invalid("illegal virtual server persistent mask specified"))?;
    Ok(u32::from(mask))
}

/// An option of the real server.
fn apply_server_value(draft: &mut Draft, action: Action, arg: &str) -> Result<(), Error> {
    let dest = &mut draft.dest;
    match action {
        Action::RealServer => {
            let parsed = parse_host_port(arg, draft.svc.protocol)
                .ok_or_else(|| Error::invalid("illegal real server address[:port] specified"))?;
            dest.addr = parsed.addr;
            // No port: the service's port as parsed so far.
            dest.port = parsed.port.unwrap_or(draft.svc.port);
        }
        Action::Gatewaying => dest.forward = ForwardMethod::Route,
        Action::Ipip => dest.forward = ForwardMethod::Tunnel,
        Action::Masquerading => dest.forward = ForwardMethod::Masquerade,
        Action::Weight => {
            dest.weight = number(arg, 0, INT_MAX, "illegal weight specified")? as i32;
        }
        Action::UThreshold => {
            dest.u_threshold = number(arg, 0, INT_MAX, "illegal u_threshold specified")? as u32;
        }
        Action::LThreshold => {
            dest.l_threshold = number(arg, 0, INT_MAX, "illegal l_threshold specified")? as u32;
        }
        Action::TunType => {
            dest.tunnel.kind = match arg {
                "ipip" => TunnelType::Ipip,
                "gue" => TunnelType::Gue,
                "gre" => TunnelType::Gre,
                _ => return Err(Error::invalid("illegal tunnel type specified")),
            };
        }
        Action::TunPort => {
            dest.tunnel.port = number(arg, 1, 65535, "illegal tunnel port specified")? as u16;
        }
        Action::TunNoCsum => dest.tunnel.flags.0 |= TunnelFlags::NOCSUM,
        Action::TunCsum => dest.tunnel.flags.0 |= TunnelFlags::CSUM,
        Action::TunRemCsum => dest.tunnel.flags.0 |= TunnelFlags::REMCSUM,
        _ => unreachable!("every other option is handled by apply_option or apply_value"),
    }
    Ok(())
}

/// An option of the sync daemon.
fn apply_daemon_value(daemon: &mut SyncDaemon, action: Action, arg: &str) -> Result<(), Error> {
    match action {
        Action::SyncId => daemon.syncid = number(arg, 0, 255, "illegal syncid specified")? as u32,
        Action::SyncMaxlen => {
            // 65535 - IP header - UDP header
            let v = number(arg, 1, 65535 - 20 - 8, "illegal sync-maxlen specified")?;
            daemon.sync_maxlen = Some(v as u16);
        }
        Action::McastInterface => daemon.mcast_ifn = truncated(arg, 15),
        Action::McastGroup => daemon.mcast_group = Some(mcast_group(arg)?),
        Action::McastPort => {
            daemon.mcast_port = Some(number(arg, 1, 65535, "illegal mcast-port specified")? as u16);
        }
        Action::McastTtl => {
            daemon.mcast_ttl = Some(number(arg, 1, 255, "illegal mcast-ttl specified")? as u8);
        }
        _ => unreachable!("apply_value passes only daemon options"),
    }
    Ok(())
}

/// `--mcast-group`: a multicast address of either family.
fn mcast_group(arg: &str) -> Result<IpAddr, Error> {
    if arg.contains(':') {
        sys::parse_inet_pton6(arg)
            .filter(|a| a.is_multicast())
            .map(IpAddr::V6)
            .ok_or_else(|| Error::invalid(format!("invalid IPv6 mcast-group `{arg}'")))
    } else {
        sys::parse_inet_pton4(arg)
            .filter(|a| a.is_multicast())
            .map(IpAddr::V4)
            .ok_or_else(|| Error::invalid(format!("invalid IPv4 mcast-group `{arg}'")))
    }
}

/// `-b`: read after all options, against the final scheduler. An empty
/// argument changes nothing. (ipvsadm crashes on a list of only commas;
/// here it is an empty list.)
fn apply_sched_flags(draft: &mut Draft) -> Result<(), Error> {
    let Some(arg) = draft.sched_flags_arg.as_deref().filter(|a| !a.is_empty()) else {
        return Ok(());
    };
    let scheduler = match draft.svc.scheduler.as_str() {
        "" => DEFAULT_SCHEDULER,
        s => s,
    };
    let mut flags = 0;
    for item in comma_items(arg) {
        let (bit, needs) = match item {
            "flag-1" => (ServiceFlags::SCHED1, None),
            "flag-2" => (ServiceFlags::SCHED2, None),
            "flag-3" => (ServiceFlags::SCHED3, None),
            "sh-fallback" => (ServiceFlags::SCHED1, Some("sh")),
            "sh-port" => (ServiceFlags::SCHED2, Some("sh")),
            "mh-fallback" => (ServiceFlags::SCHED1, Some("mh")),
            "mh-port" => (ServiceFlags::SCHED2, Some("mh")),
            _ => return Err(Error::invalid(format!("invalid scheduler flag `{item}'"))),
        };
        if needs.is_some_and(|s| s != scheduler) {
            return Err(Error::invalid(format!(
                "incompatible scheduler flag `{item}'"
            )));
        }
        flags |= bit;
    }
    draft.svc.flags = (draft.svc.flags & !ServiceFlags::SCHED_MASK) | flags;
    Ok(())
}

/// ipvsadm's `generic_opt_check`: one pass over the option bits in order;
/// the first failing bit decides the message.
fn check_matrix(draft: &Draft) -> Result<(), Error> {
    if matrix_allows(draft.command, draft.options) {
        return Ok(());
    }
    first_matrix_problem(draft)
}

/// Whether the legality matrix allows these options with this command, as
/// three mask tests: every line of a restore passes here.
fn matrix_allows(cmd: CommandKind, options: u64) -> bool {
    let column = cmd.column_masks();
    options & column.illegal == 0
        && column.required & !options == 0
        && (options & column.exclusive).count_ones() <= 1
}

/// The first problem in ipvsadm's order (the rows in `OPT_* ` order).
fn first_matrix_problem(draft: &Draft) -> Result<(), Error> {
    let cmd = draft.command;
    let mut first_exclusive: Option<Opt> = None;
    for row in OPT_BITS {
        let legality = row.opt.legality(cmd);
        if !draft.has(row.opt) {
            if legality == b'+' {
                return Err(Error::invalid(format!(
                    "You need to supply the '{}' option for the '{}' command",
                    row.name,
                    cmd.name()
                )));
            }
            continue;
        }
        match legality {
            b'x' => {
                return Err(Error::invalid(format!(
                    "Illegal '{}' option with the '{}' command",
                    row.name,
                    cmd.name()
                )))
            }
            b'1' => match first_exclusive {
                None => first_exclusive = Some(row.opt),
                Some(earlier) => {
                    return Err(Error::invalid(format!(
                        "The option '{}' conflicts with the '{}' option in the '{}' command",
                        row.name,
                        earlier.name(),
                        cmd.name()
                    )))
                }
            },
            _ => {}
        }
    }
    Ok(())
}

/// ipvsadm's `tunnel_opt_check`: the tunnel options each tunnel type takes
/// (`+` required, `x` illegal, `1` at most one), columns tun-port, nocsum,
/// csum, remcsum.
fn check_tunnel_options(draft: &Draft) -> Result<(), Error> {
    const COLUMNS: [Opt; 4] = [Opt::TunPort, Opt::TunNoCsum, Opt::TunCsum, Opt::TunRemCsum];
    let (type_name, row) = match draft.dest.tunnel.kind {
        TunnelType::Ipip => ("ipip", "xxxx"),
        TunnelType::Gue => ("gue", "+111"),
        TunnelType::Gre => ("gre", "x11x"),
        TunnelType::Other(_) => return Ok(()),
    };
    let mut first_exclusive: Option<Opt> = None;
    for (opt, legality) in COLUMNS.iter().zip(row.bytes()) {
        let given = draft.has(*opt);
        match (given, legality) {
            (false, b'+') => {
                return Err(Error::invalid(format!(
                    "You need to supply the '{}' option for the '{type_name}' tunnel type",
                    opt.name()
                )))
            }
            (true, b'x') => {
                return Err(Error::invalid(format!(
                    "Illegal '{}' option with the '{type_name}' tunnel type",
                    opt.name()
                )))
            }
            (true, b'1') => match first_exclusive {
                None => first_exclusive = Some(*opt),
                Some(earlier) => {
                    return Err(Error::invalid(format!(
                        "The option '{}' conflicts with the '{}' option in the '{type_name}' tunnel type",
                        opt.name(),
                        earlier.name()
                    )))
                }
            },
            _ => {}
        }
    }
    Ok(())
}

fn service_key(svc: &ServiceDraft) -> ServiceKey {
    match (svc.fwmark, svc.protocol) {
        (0, Some(protocol)) => ServiceKey::Addr {
            protocol,
            addr: svc.addr,
            port: svc.port,
        },
        // Without -t/-u/--sctp-service/-f (only reachable for -Z), ipvsadm's
        // zeroed service; `finish` turns it into "all services".
        (0, None) => ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: svc.addr,
            port: 0,
        },
        (fwmark, _) => ServiceKey::Fwmark {
            fwmark,
            family: svc.family,
        },
    }
}

fn netmask(svc: &ServiceDraft) -> Netmask {
    match svc.family {
        Family::Inet => Netmask::V4(Ipv4Addr::from(svc.netmask)),
        Family::Inet6 => Netmask::V6(svc.netmask as u8),
    }
}

/// `process_options` after the matrix: per-command checks in ipvsadm's
/// order, defaults, adjustments, and the typed command.
fn finish(mut draft: Draft) -> Result<Command, Error> {
    match draft.command {
        CommandKind::AddService | CommandKind::EditService => check_service(&mut draft.svc)?,
        CommandKind::StartDaemon if draft.daemon.mcast_ifn.is_empty() => {
            draft.daemon.mcast_ifn = DEFAULT_MCAST_INTERFACE.to_string();
        }
        CommandKind::AddServer | CommandKind::EditServer => check_server(&mut draft)?,
        CommandKind::List => check_list(&draft)?,
        CommandKind::Restore => check_restore(&draft)?,
        _ => {}
    }
    Ok(command_of(draft))
}

/// `-A`/`-E`: ipvsadm's checks of the service, and its default scheduler.
fn check_service(svc: &mut ServiceDraft) -> Result<(), Error> {
    let is_fwmark = svc.fwmark != 0;
    if !is_fwmark && svc.port == 0 && svc.flags & ServiceFlags::PERSISTENT == 0 {
        return Err(Error::invalid(
            "Zero port specified for non-persistent service",
        ));
    }
    if svc.flags & ServiceFlags::ONEPACKET != 0 && !is_fwmark && svc.protocol != Some(Protocol::Udp)
    {
        return Err(Error::invalid(
            "One-Packet Scheduling is only for UDP virtual services",
        ));
    }
    if svc.scheduler.is_empty() {
        svc.scheduler = DEFAULT_SCHEDULER.to_string();
    }
    Ok(())
}

/// `-a`/`-e`: ipvsadm's checks of the real server against its service.
fn check_server(draft: &mut Draft) -> Result<(), Error> {
    // Direct routing and tunnels cannot change the port: ipvsadm
    // silently uses the service's.
    if draft.svc.fwmark == 0
        && matches!(
            draft.dest.forward,
            ForwardMethod::Tunnel | ForwardMethod::Route
        )
    {
        draft.dest.port = draft.svc.port;
    }
    if Family::of(&draft.dest.addr) != draft.svc.family
        && draft.dest.forward != ForwardMethod::Tunnel
    {
        return Err(Error::invalid(
            "Different address family is allowed only for tunneling servers",
        ));
    }
    let tunnel_opts = [
        Opt::TunType,
        Opt::TunPort,
        Opt::TunNoCsum,
        Opt::TunCsum,
        Opt::TunRemCsum,
    ];
    if tunnel_opts.iter().any(|o| draft.has(*o)) && draft.dest.forward != ForwardMethod::Tunnel {
        return Err(Error::invalid(
            "Tunnel options conflict with forward method",
        ));
    }
    check_tunnel_options(draft)
}

/// `-L`: options that ask for two different listings conflict.
fn check_list(draft: &Draft) -> Result<(), Error> {
    let table_views =
        draft.has(Opt::Connection) || draft.has(Opt::Timeout) || draft.has(Opt::Daemon);
    let formats = draft.has(Opt::Stats) || draft.has(Opt::Rate) || draft.has(Opt::Thresholds);
    let other_tables = draft.has(Opt::Timeout) || draft.has(Opt::Daemon);
    // --orphans only makes sense for services, and metrics are a form of
    // their own: ipvsadm-rs's rules, in the words ipvsadm uses for its own
    // conflicts.
    let other_forms = formats
        || table_views
        || [Opt::PersistentConn, Opt::TunInfo, Opt::Json, Opt::Exact]
            .iter()
            .any(|o| draft.has(*o));
    if (table_views && formats)
        || (other_tables && draft.has(Opt::PersistentConn))
        || (table_views && draft.has(Opt::Orphans))
        || (draft.has(Opt::Prometheus) && other_forms)
    {
        return Err(Error::invalid("options conflicts in the list command"));
    }
    Ok(())
}

/// `-R`: `--diff` shows what `--replace` would do, and `--json` is a
/// form of `--diff` (ipvsadm-rs's own rules, in ipvsadm's words).
fn check_restore(draft: &Draft) -> Result<(), Error> {
    for (option, needs) in [(Opt::Diff, Opt::Replace), (Opt::Json, Opt::Diff)] {
        if draft.has(option) && !draft.has(needs) {
            return Err(Error::invalid(format!(
                "You need to supply the '{}' option with the '{}' option",
                needs.name(),
                option.name()
            )));
        }
    }
    Ok(())
}

/// What `-L` lists, from the options given.
fn list_target(draft: &Draft, key: ServiceKey) -> ListTarget {
    if draft.has(Opt::Connection) {
        ListTarget::Connections
    } else if draft.has(Opt::ServiceAddress) {
        ListTarget::Service(key)
    } else if draft.has(Opt::Timeout) {
        ListTarget::Timeouts
    } else if draft.has(Opt::Daemon) {
        ListTarget::Daemons
    } else {
        ListTarget::Table
    }
}

/// The typed command of a checked draft.
fn command_of(draft: Draft) -> Command {
    let key = service_key(&draft.svc);
    let service = || Service {
        key,
        scheduler: draft.svc.scheduler.clone(),
        flags: ServiceFlags(draft.svc.flags),
        timeout: draft.svc.timeout,
        netmask: netmask(&draft.svc),
        pe_name: Some(draft.svc.pe_name.clone()).filter(|p| !p.is_empty()),
    };
    let server = || draft.dest.clone();
    match draft.command {
        CommandKind::AddService => Command::AddService(service()),
        CommandKind::EditService => Command::EditService(service()),
        CommandKind::DeleteService => Command::DeleteService(key),
        CommandKind::Flush => Command::Flush,
        CommandKind::List => Command::List {
            target: list_target(&draft, key),
            format: draft.format,
        },
        CommandKind::Zero => {
            // ipvsadm zeroes everything when the service is all zero
            // (no -t given, or -t 0.0.0.0:0).
            let everything =
                draft.svc.fwmark == 0 && draft.svc.addr.is_unspecified() && draft.svc.port == 0;
            Command::Zero((!everything).then_some(key))
        }
        CommandKind::AddServer => Command::AddServer {
            service: key,
            server: server(),
        },
        CommandKind::EditServer => Command::EditServer {
            service: key,
            server: server(),
        },
        CommandKind::DeleteServer => Command::DeleteServer {
            service: key,
            server: server(),
        },
        CommandKind::SetTimeouts => Command::SetTimeouts(draft.timeouts),
        CommandKind::StartDaemon => Command::StartDaemon(draft.daemon),
        CommandKind::StopDaemon => Command::StopDaemon {
            state: draft.daemon.state,
            syncid: draft.daemon.syncid,
        },
        CommandKind::Restore => Command::Restore(RestoreMode {
            check: draft.has(Opt::Check),
            replace: draft.has(Opt::Replace),
            diff: draft.has(Opt::Diff),
            json: draft.has(Opt::Json),
        }),
        CommandKind::Save => Command::Save {
            numeric: draft.format.numeric,
            full: draft.has(Opt::Full),
        },
        CommandKind::DrainServer => Command::DrainServer {
            service: key,
            server: draft.dest,
            wait: draft.wait,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::options::{OPTIONS, OPT_BITS};

    /// The mask test and the row-by-row walk agree for every command with
    /// no option, one option, or any two.
    #[test]
    fn the_matrix_masks_say_what_its_rows_say() {
        let commands: Vec<CommandKind> = OPTIONS
            .iter()
            .filter_map(|o| match o.action {
                Action::Command(kind) => Some(kind),
                _ => None,
            })
            .collect();
        assert_eq!(commands.len(), 16, "every command, -L twice");
        let bits: Vec<u64> = OPT_BITS.iter().map(|row| row.opt.mask()).collect();
        let (mut allowed, mut refused) = (0, 0);
        for &command in &commands {
            let mut sets = vec![0];
            for (i, a) in bits.iter().enumerate() {
                sets.push(*a);
                sets.extend(bits[i + 1..].iter().map(|b| a | b));
            }
            for options in sets {
                let mut draft = Draft::new(command);
                draft.options = options;
                let walked = first_matrix_problem(&draft).is_ok();
                assert_eq!(
                    matrix_allows(command, options),
                    walked,
                    "{command:?} {options:#x}"
                );
                if walked {
                    allowed += 1;
                } else {
                    refused += 1;
                }
            }
        }
        assert!(allowed > 100 && refused > 1000, "{allowed} {refused}");
    }
}
