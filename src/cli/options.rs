//! The one declarative option table: every spelling ipvsadm-rs accepts, what
//! it does, its help line, and the command × option legality matrix. The
//! popt-style scanner, `--help`, and the man-page and completion checks all
//! read these tables, so they cannot drift apart. (clap's parser cannot
//! express popt's rules, such as the command-first check, optional values
//! that skip words starting with `-`, or the argv word blamed in errors, so
//! parsing is ours; clap comes in for generating shell completions from
//! this table.)

/// The commands, in ipvsadm's `CMD_*` order (the legality matrix columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CommandKind {
    AddService,
    EditService,
    DeleteService,
    Flush,
    List,
    AddServer,
    DeleteServer,
    EditServer,
    SetTimeouts,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
    Zero,
    /// ipvsadm-rs's own: weight 0, wait for the connections, delete
    DrainServer,
}

impl CommandKind {
    /// Name used in ipvsadm's messages (`cmdnames[]`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            CommandKind::AddService => "add-service",
            CommandKind::EditService => "edit-service",
            CommandKind::DeleteService => "delete-service",
            CommandKind::Flush => "flush",
            CommandKind::List => "list",
            CommandKind::AddServer => "add-server",
            CommandKind::DeleteServer => "delete-server",
            CommandKind::EditServer => "edit-server",
            CommandKind::SetTimeouts => "set",
            CommandKind::StartDaemon => "start-daemon",
            CommandKind::StopDaemon => "stop-daemon",
            CommandKind::Restore => "restore",
            CommandKind::Save => "save",
            CommandKind::Zero => "zero",
            CommandKind::DrainServer => "drain-server",
        }
    }

    fn column(self) -> usize {
        self as usize
    }
}

/// Option bits: the rows of the legality matrix, in ipvsadm's `OPT_*` order,
/// followed by ipvsadm-rs's own options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Opt {
    Numeric,
    Connection,
    ServiceAddress,
    Scheduler,
    Persistent,
    Netmask,
    RealServer,
    ForwardingMethod,
    Weight,
    UThreshold,
    LThreshold,
    McastInterface,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    NoSort,
    SyncId,
    Exact,
    Ops,
    Pe,
    SchedFlags,
    McastGroup,
    McastPort,
    McastTtl,
    SyncMaxlen,
    TunInfo,
    TunType,
    TunPort,
    TunNoCsum,
    TunCsum,
    TunRemCsum,
    Orphans,
    Json,
    Check,
    Replace,
    Diff,
    Full,
    Wait,
    Prometheus,
}

/// One row of the legality matrix: the option's name in messages and one
/// character per command (columns in `CommandKind` order): `+` required,
/// `x` illegal, `1` at most one of the `1` options, `.` optional.
pub(crate) struct OptBit {
    pub(crate) opt: Opt,
    pub(crate) name: &'static str,
    pub(crate) legality: &'static str,
}

//                                     AEDCLadeTSsRSZd
pub(crate) const OPT_BITS: &[OptBit] = &[
    bit(Opt::Numeric, "numeric", "xxxx.xxxxxxx.xx"),
    bit(Opt::Connection, "connection", "xxxx1xxxxxxxxxx"),
    bit(Opt::ServiceAddress, "service-address", "+++x1+++xxxxx.+"),
    bit(Opt::Scheduler, "scheduler", "..xxxxxxxxxxxxx"),
    bit(Opt::Persistent, "persistent", "..xxxxxxxxxxxxx"),
    bit(Opt::Netmask, "netmask", "..xxxxxxxxxxxxx"),
    bit(Opt::RealServer, "real-server", "xxxxx+++xxxxxx+"),
    bit(
        Opt::ForwardingMethod,
        "forwarding-method",
        "xxxxx.x.xxxxxxx",
    ),
    bit(Opt::Weight, "weight", "xxxxx.x.xxxxxxx"),
    bit(Opt::UThreshold, "u-threshold", "xxxxx.x.xxxxxxx"),
    bit(Opt::LThreshold, "l-threshold", "xxxxx.x.xxxxxxx"),
    bit(Opt::McastInterface, "mcast-interface", "xxxxxxxxx.xxxxx"),
    bit(Opt::Timeout, "timeout", "xxxx1xxxxxxxxxx"),
    bit(Opt::Daemon, "daemon", "xxxx1xxxxxxxxxx"),
    bit(Opt::Stats, "stats", "xxxx.xxxxxxxxxx"),
    bit(Opt::Rate, "rate", "xxxx.xxxxxxxxxx"),
    bit(Opt::Thresholds, "thresholds", "xxxx.xxxxxxxxxx"),
    bit(Opt::PersistentConn, "persistent-conn", "xxxx.xxxxxxxxxx"),
    bit(Opt::NoSort, "nosort", "xxxx.xxxxxxxxxx"),
    bit(Opt::SyncId, "syncid", "xxxx.xxxx..xxxx"),
    bit(Opt::Exact, "exact", "xxxx.xxxxxxxxxx"),
    bit(Opt::Ops, "ops", "..xxxxxxxxxxxxx"),
    bit(Opt::Pe, "pe", "..xxxxxxxxxxxxx"),
    bit(Opt::SchedFlags, "sched-flags", "..xxxxxxxxxxxxx"),
    bit(Opt::McastGroup, "mcast-group", "xxxxxxxxx.xxxxx"),
    bit(Opt::McastPort, "mcast-port", "xxxxxxxxx.xxxxx"),
    bit(Opt::McastTtl, "mcast-ttl", "xxxxxxxxx.xxxxx"),
    bit(Opt::SyncMaxlen, "sync-maxlen", "xxxxxxxxx.xxxxx"),
    bit(Opt::TunInfo, "tun-info", "xxxx.xxxxxxxxxx"),
    bit(Opt::TunType, "tun-type", "xxxxx.x.xxxxxxx"),
    bit(Opt::TunPort, "tun-port", "xxxxx.x.xxxxxxx"),
    bit(Opt::TunNoCsum, "tun-nocsum", "xxxxx.x.xxxxxxx"),
    bit(Opt::TunCsum, "tun-csum", "xxxxx.x.xxxxxxx"),
    bit(Opt::TunRemCsum, "tun-remcsum", "xxxxx.x.xxxxxxx"),
    // ipvsadm-rs's own options.
    bit(Opt::Orphans, "orphans", "xxxx.xxxxxxxxxx"),
    bit(Opt::Json, "json", "xxxx.xxxxxx.xxx"),
    bit(Opt::Check, "check", "xxxxxxxxxxx.xxx"),
    bit(Opt::Replace, "replace", "xxxxxxxxxxx.xxx"),
    bit(Opt::Diff, "diff", "xxxxxxxxxxx.xxx"),
    bit(Opt::Full, "full", "xxxxxxxxxxxx.xx"),
    bit(Opt::Wait, "wait", "xxxxxxxxxxxxxx."),
    bit(Opt::Prometheus, "prometheus", "xxxx.xxxxxxxxxx"),
];

const fn bit(opt: Opt, name: &'static str, legality: &'static str) -> OptBit {
    OptBit {
        opt,
        name,
        legality,
    }
}

impl Opt {
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn mask(self) -> u64 {
        1 << self.index()
    }

    pub(crate) fn name(self) -> &'static str {
        OPT_BITS[self.index()].name
    }

    /// The legality of this option with a command: `+`, `x`, `1` or `.`.
    pub(crate) fn legality(self, cmd: CommandKind) -> u8 {
        OPT_BITS[self.index()].legality.as_bytes()[cmd.column()]
    }
}

/// Whether an option takes an argument (popt's `POPT_ARG_NONE`,
/// `POPT_ARG_STRING`, `POPT_ARG_STRING | POPT_ARGFLAG_OPTIONAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArgKind {
    None,
    Required,
    Optional,
}

/// What a spelling means once popt has matched it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Command(CommandKind),
    Help,
    Version,
    /// an option whose whole effect is its bit (a listing format, a
    /// listing target, `--check`, `--replace`; `--sort` has none)
    Flag,
    TcpService,
    UdpService,
    SctpService,
    FwmarkService,
    Ipv6,
    Scheduler,
    Pe,
    Persistent,
    Netmask,
    RealServer,
    Gatewaying,
    Ipip,
    Masquerading,
    TunType,
    TunPort,
    TunNoCsum,
    TunCsum,
    TunRemCsum,
    Weight,
    UThreshold,
    LThreshold,
    Ops,
    SchedFlags,
    SyncId,
    SyncMaxlen,
    McastInterface,
    McastGroup,
    McastPort,
    McastTtl,
    Wait,
    Prometheus,
    /// `--netns`: taken off argv before parsing (see `global`); only a
    /// restore line can bring it here
    Netns,
}

/// The sections of `--help`, in print order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HelpSection {
    Commands,
    VirtualService,
    Options,
    DaemonOptions,
}

/// One popt table entry.
#[derive(Debug)]
pub(crate) struct OptionSpec {
    pub(crate) long: &'static str,
    pub(crate) short: Option<char>,
    pub(crate) arg: ArgKind,
    pub(crate) action: Action,
    /// The legality-matrix bit it claims (before its value is checked);
    /// a second option claiming it is refused.
    pub(crate) bit: Option<Opt>,
    /// Where and how `--help` shows it (exact ipvsadm layout), if at all.
    pub(crate) help: Option<(HelpSection, &'static str)>,
    /// Argument placeholder used by completions and the man page check.
    pub(crate) value_name: Option<&'static str>,
}

const fn spec(
    long: &'static str,
    short: Option<char>,
    arg: ArgKind,
    action: Action,
    bit: Option<Opt>,
    help: Option<(HelpSection, &'static str)>,
    value_name: Option<&'static str>,
) -> OptionSpec {
    OptionSpec {
        long,
        short,
        arg,
        action,
        bit,
        help,
        value_name,
    }
}

use Action as A;
use ArgKind::{None as Flag, Optional, Required};
use CommandKind as C;
use HelpSection::{Commands, DaemonOptions, Options, VirtualService};
use Opt as O;

/// Every spelling, in `--help` order. popt matches the first entry with the
/// long name or short letter; `--list` appears twice as in ipvsadm (`-L`, `-l`).
#[rustfmt::skip]
pub(crate) const OPTIONS: &[OptionSpec] = &[
    spec("add-service", Some('A'), Flag, A::Command(C::AddService), None, Some((Commands, "  --add-service     -A        add virtual service with options")), None),
    spec("edit-service", Some('E'), Flag, A::Command(C::EditService), None, Some((Commands, "  --edit-service    -E        edit virtual service with options")), None),
    spec("delete-service", Some('D'), Flag, A::Command(C::DeleteService), None, Some((Commands, "  --delete-service  -D        delete virtual service")), None),
    spec("clear", Some('C'), Flag, A::Command(C::Flush), None, Some((Commands, "  --clear           -C        clear the whole table")), None),
    spec("restore", Some('R'), Flag, A::Command(C::Restore), None, Some((Commands, "  --restore         -R        restore rules from stdin")), None),
    spec("save", Some('S'), Flag, A::Command(C::Save), None, Some((Commands, "  --save            -S        save rules to stdout")), None),
    spec("add-server", Some('a'), Flag, A::Command(C::AddServer), None, Some((Commands, "  --add-server      -a        add real server with options")), None),
    spec("edit-server", Some('e'), Flag, A::Command(C::EditServer), None, Some((Commands, "  --edit-server     -e        edit real server with options")), None),
    spec("delete-server", Some('d'), Flag, A::Command(C::DeleteServer), None, Some((Commands, "  --delete-server   -d        delete real server")), None),
    spec("list", Some('L'), Flag, A::Command(C::List), None, Some((Commands, "  --list            -L|-l     list the table")), None),
    spec("list", Some('l'), Flag, A::Command(C::List), None, None, None),
    spec("drain-server", None, Flag, A::Command(C::DrainServer), None, Some((Commands, "  --drain-server              take a real server out: weight 0, wait\n                              for its connections, delete it")), None),
    spec("zero", Some('Z'), Flag, A::Command(C::Zero), None, Some((Commands, "  --zero            -Z        zero counters in a service or all services")), None),
    spec("set", None, Flag, A::Command(C::SetTimeouts), None, Some((Commands, "  --set tcp tcpfin udp        set connection timeout values")), None),
    spec("start-daemon", None, Required, A::Command(C::StartDaemon), None, Some((Commands, "  --start-daemon              start connection sync daemon")), Some("master|backup")),
    spec("stop-daemon", None, Required, A::Command(C::StopDaemon), None, Some((Commands, "  --stop-daemon               stop connection sync daemon")), Some("master|backup")),
    spec("help", Some('h'), Flag, A::Help, None, Some((Commands, "  --help            -h        display this help message")), None),
    spec("version", Some('v'), Flag, A::Version, None, None, None),
    spec("tcp-service", Some('t'), Required, A::TcpService, Some(O::ServiceAddress), Some((VirtualService, "  --tcp-service|-t  service-address   service-address is host[:port]")), Some("service-address")),
    spec("udp-service", Some('u'), Required, A::UdpService, Some(O::ServiceAddress), Some((VirtualService, "  --udp-service|-u  service-address   service-address is host[:port]")), Some("service-address")),
    spec("sctp-service", None, Required, A::SctpService, Some(O::ServiceAddress), Some((VirtualService, "  --sctp-service    service-address   service-address is host[:port]")), Some("service-address")),
    spec("fwmark-service", Some('f'), Required, A::FwmarkService, Some(O::ServiceAddress), Some((VirtualService, "  --fwmark-service|-f fwmark          fwmark is an integer greater than zero")), Some("fwmark")),
    spec("ipv6", Some('6'), Flag, A::Ipv6, None, Some((Options, "  --ipv6         -6                   fwmark entry uses IPv6")), None),
    spec("scheduler", Some('s'), Required, A::Scheduler, Some(O::Scheduler), Some((Options, "  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,\n                                      the default scheduler is wlc.")), Some("scheduler")),
    spec("pe", None, Required, A::Pe, Some(O::Pe), Some((Options, "  --pe            engine              alternate persistence engine may be sip,\n                                      not set by default.")), Some("engine")),
    spec("persistent", Some('p'), Optional, A::Persistent, Some(O::Persistent), Some((Options, "  --persistent   -p [timeout]         persistent service")), Some("timeout")),
    spec("netmask", Some('M'), Required, A::Netmask, Some(O::Netmask), Some((Options, "  --netmask      -M netmask           persistent granularity mask")), Some("netmask")),
    spec("real-server", Some('r'), Required, A::RealServer, Some(O::RealServer), Some((Options, "  --real-server  -r server-address    server-address is host (and port)")), Some("server-address")),
    spec("gatewaying", Some('g'), Flag, A::Gatewaying, Some(O::ForwardingMethod), Some((Options, "  --gatewaying   -g                   gatewaying (direct routing) (default)")), None),
    spec("ipip", Some('i'), Flag, A::Ipip, Some(O::ForwardingMethod), Some((Options, "  --ipip         -i                   ipip encapsulation (tunneling)")), None),
    spec("masquerading", Some('m'), Flag, A::Masquerading, Some(O::ForwardingMethod), Some((Options, "  --masquerading -m                   masquerading (NAT)")), None),
    spec("tun-type", None, Required, A::TunType, Some(O::TunType), Some((Options, "  --tun-type      type                one of ipip|gue|gre,\n                                      the default tunnel type is ipip.")), Some("type")),
    spec("tun-port", None, Required, A::TunPort, Some(O::TunPort), Some((Options, "  --tun-port      port                tunnel destination port")), Some("port")),
    spec("tun-nocsum", None, Flag, A::TunNoCsum, Some(O::TunNoCsum), Some((Options, "  --tun-nocsum                        tunnel encapsulation without checksum")), None),
    spec("tun-csum", None, Flag, A::TunCsum, Some(O::TunCsum), Some((Options, "  --tun-csum                          tunnel encapsulation with checksum")), None),
    spec("tun-remcsum", None, Flag, A::TunRemCsum, Some(O::TunRemCsum), Some((Options, "  --tun-remcsum                       tunnel encapsulation with remote checksum")), None),
    spec("weight", Some('w'), Required, A::Weight, Some(O::Weight), Some((Options, "  --weight       -w weight            capacity of real server")), Some("weight")),
    spec("u-threshold", Some('x'), Required, A::UThreshold, Some(O::UThreshold), Some((Options, "  --u-threshold  -x uthreshold        upper threshold of connections")), Some("uthreshold")),
    spec("l-threshold", Some('y'), Required, A::LThreshold, Some(O::LThreshold), Some((Options, "  --l-threshold  -y lthreshold        lower threshold of connections")), Some("lthreshold")),
    spec("connection", Some('c'), Flag, A::Flag, Some(O::Connection), Some((Options, "  --connection   -c                   output of current IPVS connections")), None),
    spec("timeout", None, Flag, A::Flag, Some(O::Timeout), Some((Options, "  --timeout                           output of timeout (tcp tcpfin udp)")), None),
    spec("daemon", None, Flag, A::Flag, Some(O::Daemon), Some((Options, "  --daemon                            output of daemon information")), None),
    spec("stats", None, Flag, A::Flag, Some(O::Stats), Some((Options, "  --stats                             output of statistics information")), None),
    spec("rate", None, Flag, A::Flag, Some(O::Rate), Some((Options, "  --rate                              output of rate information")), None),
    spec("exact", Some('X'), Flag, A::Flag, Some(O::Exact), Some((Options, "  --exact                             expand numbers (display exact values)")), None),
    spec("thresholds", None, Flag, A::Flag, Some(O::Thresholds), Some((Options, "  --thresholds                        output of thresholds information")), None),
    spec("persistent-conn", None, Flag, A::Flag, Some(O::PersistentConn), Some((Options, "  --persistent-conn                   output of persistent connection info")), None),
    spec("tun-info", None, Flag, A::Flag, Some(O::TunInfo), Some((Options, "  --tun-info                          output of tunnel information")), None),
    spec("orphans", None, Flag, A::Flag, Some(O::Orphans), Some((Options, "  --orphans                           list only virtual services that have no\n                                      real server or only weight-0 ones")), None),
    spec("json", None, Flag, A::Flag, Some(O::Json), Some((Options, "  --json                              output the listing as one JSON document")), None),
    spec("prometheus", None, Optional, A::Prometheus, Some(O::Prometheus), Some((Options, "  --prometheus [services]             output metrics for Prometheus (services:\n                                      without real-server series)")), Some("services")),
    spec("nosort", None, Flag, A::Flag, Some(O::NoSort), Some((Options, "  --nosort                            disable sorting output of service/server entries")), None),
    spec("sort", None, Flag, A::Flag, None, Some((Options, "  --sort                              does nothing, for backwards compatibility")), None),
    spec("ops", Some('o'), Flag, A::Ops, Some(O::Ops), Some((Options, "  --ops          -o                   one-packet scheduling")), None),
    spec("numeric", Some('n'), Flag, A::Flag, Some(O::Numeric), Some((Options, "  --numeric      -n                   numeric output of addresses and ports")), None),
    spec("sched-flags", Some('b'), Required, A::SchedFlags, Some(O::SchedFlags), Some((Options, "  --sched-flags  -b flags             scheduler flags (comma-separated)")), Some("flags")),
    spec("check", None, Flag, A::Flag, Some(O::Check), Some((Options, "  --check                             with -R: validate the input, apply nothing")), None),
    spec("replace", None, Flag, A::Flag, Some(O::Replace), Some((Options, "  --replace                           with -R: make the table equal to the input")), None),
    spec("diff", None, Flag, A::Flag, Some(O::Diff), Some((Options, "  --diff                              with -R --replace: print the changes\n                                      (exit 3 when there are any)")), None),
    spec("full", None, Flag, A::Flag, Some(O::Full), Some((Options, "  --full                              with -S: also thresholds, timeouts and\n                                      sync daemons")), None),
    spec("wait", None, Required, A::Wait, Some(O::Wait), Some((Options, "  --wait seconds                      with --drain-server: the longest wait\n                                      (default 300)")), Some("seconds")),
    spec("netns", None, Required, A::Netns, None, Some((Options, "  --netns name|path                   run in that network namespace (any command)")), Some("name|path")),
    spec("syncid", None, Required, A::SyncId, Some(O::SyncId), Some((DaemonOptions, "  --syncid sid                        syncid for connection sync (default=255)")), Some("sid")),
    spec("sync-maxlen", None, Required, A::SyncMaxlen, Some(O::SyncMaxlen), Some((DaemonOptions, "  --sync-maxlen length                Max sync message length (default=1472)")), Some("length")),
    spec("mcast-interface", None, Required, A::McastInterface, Some(O::McastInterface), Some((DaemonOptions, "  --mcast-interface interface         multicast interface for connection sync")), Some("interface")),
    spec("mcast-group", None, Required, A::McastGroup, Some(O::McastGroup), Some((DaemonOptions, "  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)")), Some("address")),
    spec("mcast-port", None, Required, A::McastPort, Some(O::McastPort), Some((DaemonOptions, "  --mcast-port port                   UDP port (default=8848)")), Some("port")),
    spec("mcast-ttl", None, Required, A::McastTtl, Some(O::McastTtl), Some((DaemonOptions, "  --mcast-ttl ttl                     Multicast TTL (default=1)")), Some("ttl")),
];

/// popt's `findOption` for `--name`: exact match only (no abbreviations).
pub(crate) fn find_long(name: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|o| o.long == name)
}

/// popt's `findOption` for a short letter: the first entry with it.
pub(crate) fn find_short(letter: char) -> Option<&'static OptionSpec> {
    // A table by letter (restores look up four or five letters a line).
    let entry = *SHORT_LETTERS.get(letter as usize)?;
    (entry != 0).then(|| &OPTIONS[usize::from(entry) - 1])
}

/// For each ASCII letter, 1 + the index of its first entry in `OPTIONS`,
/// or 0.
const SHORT_LETTERS: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut i = OPTIONS.len();
    // Backwards, so that the first entry with a letter is the one kept.
    while i > 0 {
        i -= 1;
        if let Some(letter) = OPTIONS[i].short {
            assert!((letter as usize) < 128 && i < 255);
            table[letter as usize] = i as u8 + 1;
        }
    }
    table
};

/// One command's column of the legality matrix as option masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) required: u64,
    pub(crate) illegal: u64,
    /// at most one of these
    pub(crate) exclusive: u64,
}

/// How many commands (matrix columns) there are.
const COMMANDS: usize = CommandKind::DrainServer as usize + 1;

/// The matrix by command (`CommandKind` order), for a check in a few
/// instructions; the error messages still come from `OPT_BITS`'s rows.
pub(crate) const COLUMNS: [Column; COMMANDS] = {
    let mut columns = [Column {
        required: 0,
        illegal: 0,
        exclusive: 0,
    }; COMMANDS];
    let mut row = 0;
    while row < OPT_BITS.len() {
        let bit = 1u64 << OPT_BITS[row].opt as usize;
        let legality = OPT_BITS[row].legality.as_bytes();
        let mut column = 0;
        while column < COMMANDS {
            match legality[column] {
                b'+' => columns[column].required |= bit,
                b'x' => columns[column].illegal |= bit,
                b'1' => columns[column].exclusive |= bit,
                _ => {}
            }
            column += 1;
        }
        row += 1;
    }
    columns
};

impl CommandKind {
    /// This command's column of the legality matrix.
    pub(crate) fn column_masks(self) -> &'static Column {
        &COLUMNS[self.column()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_letter_table_finds_the_first_entry_with_a_letter() {
        for code in 0..=0x2ff {
            let letter = char::from_u32(code).unwrap();
            let first = OPTIONS.iter().find(|o| o.short == Some(letter));
            // By name (unique): a `const` table's entries need not keep
            // one address across uses.
            assert_eq!(
                find_short(letter).map(|o| o.long),
                first.map(|o| o.long),
                "{letter:?}"
            );
        }
        assert_eq!(find_short('l').unwrap().long, "list");
    }

    #[test]
    fn matrix_rows_are_in_bit_order_and_complete() {
        for (i, row) in OPT_BITS.iter().enumerate() {
            assert_eq!(row.opt.index(), i, "{}", row.name);
            assert_eq!(row.legality.len(), COMMANDS, "{}", row.name);
            assert!(
                row.legality.bytes().all(|c| b"+x1.".contains(&c)),
                "{}",
                row.name
            );
        }
    }

    #[test]
    fn spellings_are_unique_except_list() {
        for (i, a) in OPTIONS.iter().enumerate() {
            for b in &OPTIONS[i + 1..] {
                if a.long != "list" {
                    assert_ne!(a.long, b.long);
                }
                if a.short.is_some() {
                    assert_ne!(a.short, b.short, "{}", a.long);
                }
            }
        }
    }

    #[test]
    fn matrix_spot_checks_from_ipvsadm() {
        assert_eq!(Opt::Numeric.legality(CommandKind::Save), b'.');
        assert_eq!(Opt::ServiceAddress.legality(CommandKind::Zero), b'.');
        assert_eq!(Opt::SyncId.legality(CommandKind::List), b'.');
        assert_eq!(Opt::SyncId.legality(CommandKind::StopDaemon), b'.');
        assert_eq!(Opt::McastInterface.legality(CommandKind::StopDaemon), b'x');
        assert_eq!(Opt::RealServer.legality(CommandKind::DeleteServer), b'+');
        assert_eq!(Opt::Weight.legality(CommandKind::DeleteServer), b'x');
    }
}
