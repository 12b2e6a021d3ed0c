//! ipvsadm 1.31's `-L` and `-S` output, byte for byte: its printf widths,
//! trailing blanks, K/M/G/T scaling, name truncation, and its bugs where
//! scripts may depend on them (real-server counters cut to 32 bits, fwmarks
//! printed signed, `(null)` for unknown forwarding methods). A pure function
//! of the model: the caller fetches, this writes.

use super::names::{truncate, write_addr_port, NoNames, Resolver};
use super::sort::{listing_order, servers_order};
use super::text;
use crate::cli::ListFormat;
use crate::model::{
    DaemonState, ForwardMethod, Info, Netmask, Protocol, RealServer, RealServerEntry, Service,
    ServiceEntry, ServiceFlags, ServiceKey, ServiceParts, Stats, SyncDaemon, Timeouts, TunnelType,
};
use std::io::{self, Write};
use std::net::IpAddr;

/// Which per-entry layout a listing uses (ipvsadm's format precedence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Rule,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    TunInfo,
    Default,
}

impl Layout {
    fn of(format: &ListFormat) -> Layout {
        if format.stats {
            Layout::Stats
        } else if format.rate {
            Layout::Rate
        } else if format.thresholds {
            Layout::Thresholds
        } else if format.persistent_conn {
            Layout::PersistentConn
        } else if format.tun_info {
            Layout::TunInfo
        } else {
            Layout::Default
        }
    }
}

struct Printer<'a> {
    layout: Layout,
    numeric: bool,
    exact: bool,
    names: &'a dyn Resolver,
    /// rule lines with every value `-R` needs to rebuild the table:
    /// thresholds, and a netmask also where ipvsadm leaves it out
    full: bool,
}

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Sctp => "SCTP",
    }
}

fn protocol_switch(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "-t",
        Protocol::Udp => "-u",
        Protocol::Sctp => "--sctp-service",
    }
}

/// ipvsadm's `fwd_name`; glibc prints a NULL string as `(null)`.
fn forward_name(f: ForwardMethod) -> &'static str {
    match f.raw() & 7 {
        0 => "Masq",
        1 => "Local",
        2 => "Tunnel",
        3 => "Route",
        _ => "(null)",
    }
}

/// ipvsadm's `fwd_switch`.
fn forward_switch(f: ForwardMethod) -> &'static str {
    match f.raw() & 7 {
        0 => "-m",
        2 => "-i",
        1 | 3 => "-g",
        _ => "(null)",
    }
}

/// `print_largenum`: right-aligned in 9, or scaled with K/M/G/T; with
/// `--exact`, the full number with one leading blank when longer than 8.
/// Written without `fmt`: a counter listing has five per line.
fn large_number(out: &mut String, x: u64, exact: bool) {
    if exact {
        return text::push_unsigned_right(out, x, (text::decimal_digits(x) + 1).max(9));
    }
    let (scaled, unit) = match x {
        0..100_000_000 => return text::push_unsigned_right(out, x, 9),
        100_000_000..1_000_000_000 => (x / 1000, 'K'),
        1_000_000_000..100_000_000_000 => (x / 1_000_000, 'M'),
        100_000_000_000..100_000_000_000_000 => (x / 1_000_000_000, 'G'),
        _ => (x / 1_000_000_000_000, 'T'),
    };
    text::push_unsigned_right(out, scaled, 8);
    out.push(unit);
}

/// ipvsadm 1.31 reads real-server STATS64 with a 32-bit getter: every
/// real-server counter it prints is the low 32 bits. Copied on purpose.
fn as_ipvsadm_reads_dest_stats(s: &Stats) -> Stats {
    let low = |v: u64| v & 0xffff_ffff;
    Stats {
        conns: low(s.conns),
        inpkts: low(s.inpkts),
        outpkts: low(s.outpkts),
        inbytes: low(s.inbytes),
        outbytes: low(s.outbytes),
        cps: low(s.cps),
        inpps: low(s.inpps),
        outpps: low(s.outpps),
        inbps: low(s.inbps),
        outbps: low(s.outbps),
    }
}

/// `print_sched_flags`: names depend on the scheduler; may be empty.
fn sched_flags(service: &Service) -> String {
    let f = service.flags;
    let names: &[(u32, &str)] = match service.scheduler.as_str() {
        "sh" => &[
            (ServiceFlags::SCHED1, "sh-fallback"),
            (ServiceFlags::SCHED2, "sh-port"),
        ],
        "mh" => &[
            (ServiceFlags::SCHED1, "mh-fallback"),
            (ServiceFlags::SCHED2, "mh-port"),
        ],
        _ => &[
            (ServiceFlags::SCHED1, "flag-1"),
            (ServiceFlags::SCHED2, "flag-2"),
            (ServiceFlags::SCHED3, "flag-3"),
        ],
    };
    names
        .iter()
        .filter(|(bit, _)| f.has(*bit))
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(",")
}

fn netmask_text(service: &Service) -> Option<String> {
    match service.netmask {
        Netmask::V4(mask) if u32::from(mask) != u32::MAX => Some(mask.to_string()),
        Netmask::V6(prefix) if prefix != 128 => Some(prefix.to_string()),
        _ => None,
    }
}

fn tunnel_flags_switch(flags: u16) -> &'static str {
    match flags {
        0 => "--tun-nocsum",
        1 => "--tun-csum",
        2 => "--tun-remcsum",
        _ => "",
    }
}

fn tunnel_flags_short(flags: u16) -> &'static str {
    match flags {
        0 => "-c",
        1 => "+c",
        2 => "r+c",
        _ => "",
    }
}

impl Printer<'_> {
    fn service_protocol(key: &ServiceKey) -> Option<Protocol> {
        match key {
            ServiceKey::Addr { protocol, .. } => Some(*protocol),
            ServiceKey::Fwmark { .. } => None,
        }
    }

    /// The service column: `TCP  1.2.3.4:80`, `FWM  7 IPv6`, or for rules
    /// `-t 1.2.3.4:80`, `-f 7 -6`.
    fn service_name(&self, key: &ServiceKey) -> String {
        let (mut name, mut address) = (String::new(), String::new());
        self.write_service_name(&mut name, &mut address, key);
        name
    }

    /// [`Self::service_name`] written over `name`, `address` being a
    /// buffer for the address (big listings reuse both for every service).
    fn write_service_name(&self, name: &mut String, address: &mut String, key: &ServiceKey) {
        name.clear();
        match key {
            // %d: fwmarks of 2^31 and above print negative, as in ipvsadm.
            ServiceKey::Fwmark { fwmark, family } => {
                name.push_str(if self.layout == Layout::Rule {
                    "-f "
                } else {
                    "FWM  "
                });
                text::push_signed(name, i64::from(*fwmark as i32));
                if *family == crate::model::Family::Inet6 {
                    name.push_str(if self.layout == Layout::Rule {
                        " -6"
                    } else {
                        " IPv6"
                    });
                }
            }
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            } => {
                let p = Some(*protocol);
                write_addr_port(address, addr, *port, p, self.numeric, self.names);
                if self.layout == Layout::Rule {
                    name.push_str(protocol_switch(*protocol));
                    name.push(' ');
                    name.push_str(address);
                } else {
                    text::push_left(name, protocol_name(*protocol), 4);
                    name.push(' ');
                    name.push_str(address);
                    if addr.is_ipv4() {
                        truncate(name, 33);
                    }
                }
            }
        }
    }

    fn service_line(&self, out: &mut String, s: &Service, stats: &Stats, name: &str) {
        use std::fmt::Write as _;
        match self.layout {
            Layout::Rule => {
                out.push_str("-A ");
                self.service_rule(out, s, name);
            }
            Layout::Stats => {
                text::push_left(out, name, 33);
                let st = stats;
                for v in [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes] {
                    large_number(out, v, self.exact);
                }
            }
            Layout::Rate => {
                text::push_left(out, name, 33);
                let st = stats;
                for v in [st.cps, st.inpps, st.outpps, st.inbps, st.outbps] {
                    large_number(out, v, self.exact);
                }
            }
            _ => {
                out.push_str(name);
                out.push(' ');
                out.push_str(&s.scheduler);
                if s.flags.0 & ServiceFlags::SCHED_MASK != 0 {
                    let _ = write!(out, " ({})", sched_flags(s));
                }
                if s.flags.has(ServiceFlags::PERSISTENT) {
                    let _ = write!(out, " persistent {}", s.timeout);
                    if let Some(mask) = netmask_text(s) {
                        let _ = write!(out, " mask {mask}");
                    }
                    if let Some(pe) = &s.pe_name {
                        let _ = write!(out, " pe {pe}");
                    }
                }
                if s.flags.has(ServiceFlags::ONEPACKET) {
                    out.push_str(" ops");
                }
            }
        }
        out.push('\n');
    }

    /// A service's `-A` line after the command: its name and options.
    fn service_rule(&self, out: &mut String, s: &Service, name: &str) {
        use std::fmt::Write as _;
        let _ = write!(out, "{name} -s {}", s.scheduler);
        let persistent = s.flags.has(ServiceFlags::PERSISTENT);
        if persistent {
            let _ = write!(out, " -p {}", s.timeout);
        }
        // ipvsadm saves the netmask of persistent services only; the kernel
        // keeps it for the others too.
        if persistent || self.full {
            if let Some(mask) = netmask_text(s) {
                let _ = write!(out, " -M {mask}");
            }
        }
        // ipvsadm saves the PE even for a service that is not persistent.
        if let Some(pe) = &s.pe_name {
            let _ = write!(out, " --pe {pe}");
        }
        if s.flags.has(ServiceFlags::ONEPACKET) {
            out.push_str(" -o");
        }
        if s.flags.0 & ServiceFlags::SCHED_MASK != 0 {
            let _ = write!(out, " -b {}", sched_flags(s));
        }
    }

    /// One real server's line; `name` is a buffer for its address.
    fn server_line(
        &self,
        out: &mut String,
        service: &Service,
        service_name: &str,
        rs: &RealServerEntry,
        name: &mut String,
    ) {
        use std::fmt::Write as _;
        let server = &rs.server;
        write_addr_port(
            name,
            &server.addr,
            server.port,
            Self::service_protocol(&service.key),
            self.numeric,
            self.names,
        );
        if self.layout != Layout::Rule && matches!(server.addr, IpAddr::V4(_)) {
            truncate(name, 28);
        }
        let name = &*name;
        let st = as_ipvsadm_reads_dest_stats(&rs.stats);
        let _ = match self.layout {
            Layout::Rule => {
                out.push_str("-a ");
                rule_server(out, service_name, name, server, self.full);
                Ok(())
            }
            Layout::Stats => {
                out.push_str("  -> ");
                text::push_left(out, name, 28);
                for v in [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes] {
                    large_number(out, v, self.exact);
                }
                writeln!(out)
            }
            Layout::Rate => {
                out.push_str("  -> ");
                text::push_left(out, name, 28);
                // cps, inpps and outpps are printed raw with %8llu: never scaled.
                for v in [st.cps, st.inpps, st.outpps] {
                    out.push(' ');
                    text::push_unsigned_right(out, v, 8);
                }
                large_number(out, st.inbps, self.exact);
                large_number(out, st.outbps, self.exact);
                writeln!(out)
            }
            Layout::Thresholds => writeln!(
                out,
                "  -> {name:<28} {:<10} {:<10} {:<10} {:<10}",
                server.u_threshold, server.l_threshold, rs.active_conns, rs.inactive_conns
            ),
            Layout::PersistentConn => writeln!(
                out,
                "  -> {name:<28} {:<9} {:<11} {:<10} {:<10}",
                server.weight as u32, rs.persist_conns, rs.active_conns, rs.inactive_conns
            ),
            Layout::TunInfo => writeln!(
                out,
                "  -> {name:<28} {:<7} {:<13} {:<6} {:<10} {:<10}",
                forward_name(server.forward),
                tunnel_info(server),
                server.weight,
                rs.active_conns,
                rs.inactive_conns
            ),
            Layout::Default => {
                default_server_line(out, name, rs);
                Ok(())
            }
        };
    }

    fn title(&self) -> String {
        const PROT: &str = "Prot LocalAddress:Port";
        const DEST: &str = "  -> RemoteAddress:Port";
        match self.layout {
            Layout::Rule => String::new(),
            Layout::Stats => format!(
                "{PROT:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{DEST}\n",
                "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"
            ),
            Layout::Rate => {
                format!("{PROT:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{DEST}\n", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS")
            }
            Layout::Thresholds => format!(
                "{PROT:<33} {:<10} {:<10} {:<10} {:<10}\n{DEST}\n",
                "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"
            ),
            Layout::PersistentConn => format!(
                "{PROT:<33} {:<9} {:<11} {:<10} {:<10}\n{DEST}\n",
                "Weight", "PersistConn", "ActiveConn", "InActConn"
            ),
            Layout::TunInfo => format!(
                "Prot LocalAddress:Port Scheduler Flags\n{DEST}           Forward TunnelInfo    Weight ActiveConn InActConn\n"
            ),
            Layout::Default => {
                format!("Prot LocalAddress:Port Scheduler Flags\n{DEST}           Forward Weight ActiveConn InActConn\n")
            }
        }
    }

    /// The title and the lines of every service, sorted unless `nosort`,
    /// in one or two parts to be written in order.
    fn entries(&self, entries: &[ServiceEntry], nosort: bool) -> Vec<String> {
        let order = listing_order(entries, nosort);
        let lines: usize = entries.iter().map(|e| 1 + e.real_servers.len()).sum();
        let mut head = self.title();
        if !super::two_threads_for(lines) {
            head.reserve(lines * BYTES_PER_LINE);
            self.services(&mut head, entries, &order, nosort);
            return vec![head];
        }
        // Services are formatted independently of each other: a big table
        // is formatted in two halves at once, written one after the other.
        head.reserve(lines * BYTES_PER_LINE / 2);
        let (first, second) = order.split_at(order.len() / 2);
        let tail = std::thread::scope(|scope| {
            let tail = scope.spawn(|| {
                let mut text = String::with_capacity(lines * BYTES_PER_LINE / 2);
                self.services(&mut text, entries, second, nosort);
                text
            });
            self.services(&mut head, entries, first, nosort);
            tail.join()
        });
        match tail {
            Ok(tail) => vec![head, tail],
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// The lines of the services at `order`, in that order.
    fn services(&self, out: &mut String, entries: &[ServiceEntry], order: &[usize], nosort: bool) {
        let mut scratch = Scratch::default();
        for entry in order.iter().map(|&i| &entries[i]) {
            let parts = (&entry.service, &entry.stats, &entry.real_servers[..]);
            self.service_block(out, parts, nosort, &mut scratch);
        }
    }

    /// One service's line, then its real servers' lines (sorted unless
    /// `nosort`).
    fn service_block(
        &self,
        out: &mut String,
        (service, stats, servers): ServiceParts<'_>,
        nosort: bool,
        scratch: &mut Scratch,
    ) {
        self.write_service_name(&mut scratch.name, &mut scratch.address, &service.key);
        self.service_line(out, service, stats, &scratch.name);
        for i in servers_order(servers, nosort) {
            let name = &scratch.name;
            self.server_line(out, service, name, &servers[i], &mut scratch.server_name);
        }
    }
}

/// Buffers a run of service blocks reuses from line to line.
#[derive(Default)]
struct Scratch {
    /// the service column
    name: String,
    /// the service's address, before the column is made of it
    address: String,
    /// a real server's address column
    server_name: String,
}

/// A listing line is about this long; the text is sized for it up front.
const BYTES_PER_LINE: usize = 72;

impl<'a> Printer<'a> {
    /// The printer of `-S` (`-n`: `numeric`).
    fn of_save(numeric: bool, names: &'a dyn Resolver) -> Printer<'a> {
        Printer {
            layout: Layout::Rule,
            numeric,
            exact: false,
            names,
            full: false,
        }
    }

    /// The printer of `-L` in `format`.
    fn of_listing(format: &ListFormat, names: &'a dyn Resolver) -> Printer<'a> {
        Printer {
            layout: Layout::of(format),
            numeric: format.numeric,
            exact: format.exact,
            names,
            full: false,
        }
    }
}

/// The version line that heads a whole-table listing.
fn write_version_line(w: &mut dyn Write, info: &Info) -> io::Result<()> {
    let v = info.version;
    writeln!(
        w,
        "IP Virtual Server version {}.{}.{} (size={})",
        (v >> 16) & 0xff,
        (v >> 8) & 0xff,
        v & 0xff,
        info.conn_tab_size as i32
    )
}

/// `-L` (with `info`: the whole table, headed by the version line) or
/// `-L -t ...` (without `info`: one service, no version line).
pub fn write_listing(
    w: &mut dyn Write,
    info: Option<&Info>,
    entries: &[ServiceEntry],
    format: &ListFormat,
    names: &dyn Resolver,
) -> io::Result<()> {
    if let Some(info) = info {
        write_version_line(w, info)?;
    }
    let printer = Printer::of_listing(format, names);
    for part in printer.entries(entries, format.nosort) {
        w.write_all(part.as_bytes())?;
    }
    Ok(())
}

/// One service's lines of `-L` in `format`, as [`write_listing`] writes
/// them (its real servers sorted unless `--nosort`). A listing that reads
/// the table service by service makes each service's lines as soon as it
/// is in, on the thread that read it, while the kernel answers the next;
/// [`write_listing_of_lines`] puts them together.
pub fn service_lines(
    (service, stats, servers): ServiceParts<'_>,
    format: &ListFormat,
    names: &dyn Resolver,
) -> String {
    let printer = Printer::of_listing(format, names);
    let mut out = String::with_capacity((1 + servers.len()) * BYTES_PER_LINE);
    let parts = (service, stats, servers);
    printer.service_block(&mut out, parts, format.nosort, &mut Scratch::default());
    out
}

/// The whole-table `-L` in `format` that [`write_listing`] writes, from
/// the lines [`service_lines`] made of each entry (`lines[i]` of
/// `entries[i]`): the same bytes.
pub fn write_listing_of_lines(
    w: &mut dyn Write,
    info: &Info,
    entries: &[ServiceEntry],
    lines: &[String],
    format: &ListFormat,
) -> io::Result<()> {
    // Tens of thousands of pieces: each goes through one large buffer, not
    // to a system call of its own.
    let mut w = io::BufWriter::with_capacity(super::STAGED_BYTES, w);
    write_version_line(&mut w, info)?;
    w.write_all(Printer::of_listing(format, &NoNames).title().as_bytes())?;
    write_in_listing_order(&mut w, entries, lines, format.nosort)?;
    w.flush()
}

/// `lines[i]` of every `entries[i]`, in the order a listing shows them.
fn write_in_listing_order(
    w: &mut dyn Write,
    entries: &[ServiceEntry],
    lines: &[String],
    nosort: bool,
) -> io::Result<()> {
    for i in listing_order(entries, nosort) {
        w.write_all(lines[i].as_bytes())?;
    }
    Ok(())
}

/// One service's lines of `-S` (`-n`: `numeric`), as [`write_save`]
/// writes them, made as the table is read (see [`service_lines`]).
pub fn save_lines(parts: ServiceParts<'_>, numeric: bool, names: &dyn Resolver) -> String {
    let printer = Printer::of_save(numeric, names);
    let mut out = String::with_capacity((1 + parts.2.len()) * BYTES_PER_LINE);
    printer.service_block(&mut out, parts, false, &mut Scratch::default());
    out
}

/// The `-S` that [`write_save`] writes, from the lines [`save_lines`]
/// made of each entry (`lines[i]` of `entries[i]`): the same bytes.
pub fn write_save_of_lines(
    w: &mut dyn Write,
    entries: &[ServiceEntry],
    lines: &[String],
) -> io::Result<()> {
    let mut w = io::BufWriter::with_capacity(super::STAGED_BYTES, w);
    write_in_listing_order(&mut w, entries, lines, false)?;
    w.flush()
}

/// `-S` / `-S -n`: the table as `ipvsadm` command lines (never thresholds).
pub fn write_save(
    w: &mut dyn Write,
    entries: &[ServiceEntry],
    numeric: bool,
    names: &dyn Resolver,
) -> io::Result<()> {
    let printer = Printer::of_save(numeric, names);
    for part in printer.entries(entries, false) {
        w.write_all(part.as_bytes())?;
    }
    Ok(())
}

/// `-S --full`: the `-S` lines with thresholds (and netmasks ipvsadm
/// leaves out), then the timeouts as a `--set` line and a
/// `--start-daemon` line for each running sync daemon, all of which `-R`
/// reads back.
pub fn write_full_save(
    w: &mut dyn Write,
    entries: &[ServiceEntry],
    timeouts: &Timeouts,
    daemons: &[SyncDaemon],
    numeric: bool,
    names: &dyn Resolver,
) -> io::Result<()> {
    let printer = Printer {
        layout: Layout::Rule,
        numeric,
        exact: false,
        names,
        full: true,
    };
    for part in printer.entries(entries, false) {
        w.write_all(part.as_bytes())?;
    }
    writeln!(w, "{}", timeouts_rule(timeouts))?;
    for d in daemons {
        writeln!(w, "{}", daemon_rule(d))?;
    }
    Ok(())
}

/// The printer of rule lines that name everything by number and carry
/// every value (change plans).
fn numeric_rules() -> Printer<'static> {
    Printer {
        layout: Layout::Rule,
        numeric: true,
        exact: false,
        names: &super::names::NoNames,
        full: true,
    }
}

/// `command` (`-D`, `-Z`) and the service: `-D -t 10.0.0.1:80`.
pub(crate) fn service_key_rule(command: &str, key: &ServiceKey) -> String {
    format!("{command} {}", numeric_rules().service_name(key))
}

/// `command` (`-A`, `-E`) and the service with every option:
/// `-A -t 10.0.0.1:80 -s rr -p 300`.
pub(crate) fn service_rule(command: &str, service: &Service) -> String {
    let printer = numeric_rules();
    let mut out = format!("{command} ");
    printer.service_rule(&mut out, service, &printer.service_name(&service.key));
    out
}

/// The real server's address as a rule names it: `10.1.1.1:80`.
fn server_name(key: &ServiceKey, server: &RealServer) -> String {
    let mut name = String::new();
    let protocol = Printer::service_protocol(key);
    write_addr_port(
        &mut name,
        &server.addr,
        server.port,
        protocol,
        true,
        &super::names::NoNames,
    );
    name
}

/// `command` (`-a`, `-e`) and the real server with every option:
/// `-a -t 10.0.0.1:80 -r 10.1.1.1:80 -m -w 1 -x 100`.
pub(crate) fn server_rule(command: &str, key: &ServiceKey, server: &RealServer) -> String {
    let service = numeric_rules().service_name(key);
    let mut out = format!("{command} ");
    rule_server(&mut out, &service, &server_name(key, server), server, true);
    out.pop(); // the newline
    out
}

/// `command` (`-d`) naming the service and the real server only.
pub(crate) fn server_key_rule(command: &str, key: &ServiceKey, server: &RealServer) -> String {
    let service = numeric_rules().service_name(key);
    format!("{command} {service} -r {}", server_name(key, server))
}

/// `--set tcp tcpfin udp`.
pub(crate) fn timeouts_rule(t: &Timeouts) -> String {
    format!("--set {} {} {}", t.tcp, t.tcp_fin, t.udp)
}

fn daemon_state_name(state: DaemonState) -> &'static str {
    match state {
        DaemonState::Master => "master",
        DaemonState::Backup => "backup",
    }
}

/// `--start-daemon` with every value the kernel reports for the daemon.
pub(crate) fn daemon_rule(d: &SyncDaemon) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "--start-daemon {} --mcast-interface {} --syncid {}",
        daemon_state_name(d.state),
        d.mcast_ifn,
        d.syncid
    );
    if let Some(v) = d.sync_maxlen {
        let _ = write!(out, " --sync-maxlen {v}");
    }
    if let Some(g) = d.mcast_group {
        let text = match g {
            IpAddr::V4(a) => a.to_string(),
            IpAddr::V6(a) => crate::sys::format_inet_ntop6(&a),
        };
        let _ = write!(out, " --mcast-group {text}");
    }
    if let Some(v) = d.mcast_port {
        let _ = write!(out, " --mcast-port {v}");
    }
    if let Some(v) = d.mcast_ttl {
        let _ = write!(out, " --mcast-ttl {v}");
    }
    out
}

/// `--stop-daemon master`.
pub(crate) fn daemon_stop_rule(d: &SyncDaemon) -> String {
    format!("--stop-daemon {}", daemon_state_name(d.state))
}

/// `-L --timeout`.
pub fn write_timeouts(w: &mut dyn Write, t: &Timeouts) -> io::Result<()> {
    writeln!(
        w,
        "Timeout (tcp tcpfin udp): {} {} {}",
        t.tcp as i32, t.tcp_fin as i32, t.udp as i32
    )
}

/// `-L --daemon`.
pub fn write_daemons(w: &mut dyn Write, daemons: &[SyncDaemon]) -> io::Result<()> {
    let mut out = String::new();
    for d in daemons {
        let kind = daemon_state_name(d.state);
        out.push_str(&format!(
            "{kind} sync daemon (mcast={}, syncid={}",
            d.mcast_ifn, d.syncid as i32
        ));
        if let Some(v) = d.sync_maxlen.filter(|v| *v != 0) {
            out.push_str(&format!(", maxlen={v}"));
        }
        if let Some(g) = d.mcast_group {
            let text = match g {
                IpAddr::V4(a) => a.to_string(),
                IpAddr::V6(a) => crate::sys::format_inet_ntop6(&a),
            };
            out.push_str(&format!(", group={text}"));
        }
        if let Some(v) = d.mcast_port.filter(|v| *v != 0) {
            out.push_str(&format!(", port={v}"));
        }
        if let Some(v) = d.mcast_ttl.filter(|v| *v != 0) {
            out.push_str(&format!(", ttl={v}"));
        }
        out.push_str(")\n");
    }
    w.write_all(out.as_bytes())
}

/// A real server's `-S` line after the command; with `full`, its
/// thresholds too.
fn rule_server(out: &mut String, service_name: &str, name: &str, server: &RealServer, full: bool) {
    use std::fmt::Write as _;
    out.push_str(service_name);
    out.push_str(" -r ");
    out.push_str(name);
    out.push(' ');
    out.push_str(forward_switch(server.forward));
    out.push_str(" -w ");
    text::push_signed(out, i64::from(server.weight));
    if full && server.u_threshold != 0 {
        let _ = write!(out, " -x {}", server.u_threshold);
    }
    if full && server.l_threshold != 0 {
        let _ = write!(out, " -y {}", server.l_threshold);
    }
    let tunnel = &server.tunnel;
    if server.forward == ForwardMethod::Tunnel {
        let flags = tunnel_flags_switch(tunnel.flags.0);
        let _ = match tunnel.kind {
            TunnelType::Ipip => write!(out, " --tun-type ipip"),
            TunnelType::Gue => write!(out, " --tun-type gue --tun-port {} {flags}", tunnel.port),
            TunnelType::Gre => write!(out, " --tun-type gre {flags}"),
            TunnelType::Other(_) => Ok(()),
        };
    }
    out.push('\n');
}

/// The tunnel column of `--tun-info`.
fn tunnel_info(server: &RealServer) -> String {
    let tunnel = &server.tunnel;
    match (server.forward, tunnel.kind) {
        (ForwardMethod::Tunnel, TunnelType::Ipip) => "ipip".to_string(),
        (ForwardMethod::Tunnel, TunnelType::Gue) => {
            format!("gue:{}:{}", tunnel.port, tunnel_flags_short(tunnel.flags.0))
        }
        (ForwardMethod::Tunnel, TunnelType::Gre) => {
            format!("gre:{}", tunnel_flags_short(tunnel.flags.0))
        }
        _ => "n/a".to_string(),
    }
}

/// A real server's line in the default layout, the one of big listings:
/// written without `fmt` (see text.rs).
fn default_server_line(out: &mut String, name: &str, rs: &RealServerEntry) {
    out.push_str("  -> ");
    text::push_left(out, name, 28);
    out.push(' ');
    text::push_left(out, forward_name(rs.server.forward), 7);
    out.push(' ');
    text::push_signed_left(out, i64::from(rs.server.weight), 6);
    out.push(' ');
    text::push_unsigned_left(out, u64::from(rs.active_conns), 10);
    out.push(' ');
    text::push_unsigned_left(out, u64::from(rs.inactive_conns), 10);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Family, ForwardMethod, Netmask, Protocol, RealServer, Service, ServiceFlags, ServiceKey,
        Stats, Tunnel,
    };
    use crate::print::names::NoNames;
    use std::net::{IpAddr, Ipv4Addr};

    /// `print_largenum` as ipvsadm's C writes it, with printf.
    fn large_number_by_printf(x: u64, exact: bool) -> String {
        let len = x.to_string().len();
        if exact {
            format!("{x:>width$}", width = if len <= 8 { 9 } else { len + 1 })
        } else if x < 100_000_000 {
            format!("{x:>9}")
        } else if x < 1_000_000_000 {
            format!("{:>8}K", x / 1000)
        } else if x < 100_000_000_000 {
            format!("{:>8}M", x / 1_000_000)
        } else if x < 100_000_000_000_000 {
            format!("{:>8}G", x / 1_000_000_000)
        } else {
            format!("{:>8}T", x / 1_000_000_000_000)
        }
    }

    #[test]
    fn large_numbers_print_as_ipvsadm_does() {
        let bounds = [
            100_000_000u64,
            1_000_000_000,
            100_000_000_000,
            100_000_000_000_000,
        ];
        let near = bounds.iter().flat_map(|&b| [b - 1, b, b + 1]);
        for x in near.chain([0, 7, 12_345_678, u64::from(u32::MAX), u64::MAX]) {
            for exact in [false, true] {
                let mut out = String::new();
                large_number(&mut out, x, exact);
                assert_eq!(out, large_number_by_printf(x, exact), "{x} exact {exact}");
            }
        }
    }

    fn entry(i: u32) -> ServiceEntry {
        let addr = |a: u32| IpAddr::V4(Ipv4Addr::from(a));
        ServiceEntry {
            service: Service {
                key: ServiceKey::Addr {
                    protocol: Protocol::Tcp,
                    addr: addr(0x0a00_0000 + i),
                    port: 80,
                },
                scheduler: "wlc".into(),
                flags: ServiceFlags(0),
                timeout: 0,
                netmask: Netmask::host(Family::Inet),
                pe_name: None,
            },
            stats: Stats::default(),
            real_servers: (0..9u32)
                .map(|j| RealServerEntry {
                    server: RealServer {
                        addr: addr(0xc0a8_0000 + (j << 8) + i % 250),
                        port: 8080,
                        forward: ForwardMethod::Masquerade,
                        weight: j as i32,
                        u_threshold: 0,
                        l_threshold: 0,
                        tunnel: Tunnel::default(),
                    },
                    active_conns: i,
                    inactive_conns: j,
                    persist_conns: 0,
                    stats: Stats::default(),
                })
                .rev()
                .collect(),
        }
    }

    /// A table big enough for two formatting threads prints exactly what
    /// one thread prints going through the sorted services one by one.
    #[test]
    fn big_tables_format_the_same_in_two_halves() {
        let entries: Vec<ServiceEntry> = (0..3000).rev().map(entry).collect();
        let printer = Printer {
            layout: Layout::Default,
            numeric: true,
            exact: false,
            names: &NoNames,
            full: false,
        };
        let parts = printer.entries(&entries, false);
        if std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2) {
            assert_eq!(parts.len(), 2, "two formatting threads");
        }
        let together = parts.concat();
        let order = listing_order(&entries, false);
        let mut one_by_one = printer.title();
        printer.services(&mut one_by_one, &entries, &order, false);
        const { assert!(3000 * 10 >= crate::print::TWO_THREADS_FROM) };
        assert_eq!(together.lines().count(), 2 + 3000 * 10);
        assert_eq!(together, one_by_one);
        assert!(together.contains("\nTCP  10.0.0.0:80 wlc\n  -> 192.168.0.0:8080"));
    }

    /// A table whose counters differ from service to service, some of its
    /// services fwmarks of either family.
    fn counted_entry(i: u32) -> ServiceEntry {
        let mut entry = entry(i);
        let counters = |k: u64| Stats::from_values(std::array::from_fn(|v| k << (3 * v)));
        entry.stats = counters(u64::from(i));
        for (j, rs) in entry.real_servers.iter_mut().enumerate() {
            rs.stats = counters(u64::from(i) * 7 + j as u64);
        }
        if i.is_multiple_of(7) {
            let family = if i.is_multiple_of(2) {
                Family::Inet
            } else {
                Family::Inet6
            };
            entry.service.key = ServiceKey::Fwmark { fwmark: i, family };
        }
        entry
    }

    /// Lines made service by service as the table is read, put together,
    /// are what the listing of the whole table writes, in the plain form
    /// and every counter form, sorted or not.
    #[test]
    fn lines_made_as_read_make_the_listing() {
        let entries: Vec<ServiceEntry> = (0..400).rev().map(counted_entry).collect();
        let info = Info {
            version: 0x010201,
            conn_tab_size: 4096,
        };
        let counters = |stats, exact, nosort| ListFormat {
            numeric: true,
            stats,
            rate: !stats,
            exact,
            nosort,
            ..ListFormat::default()
        };
        let plain = |nosort, thresholds| ListFormat {
            numeric: true,
            nosort,
            thresholds,
            ..ListFormat::default()
        };
        for format in [
            counters(true, false, false),
            counters(true, true, false),
            counters(false, false, false),
            counters(false, true, true),
            counters(true, false, true),
            plain(false, false),
            plain(true, false),
            plain(false, true),
        ] {
            let mut whole = Vec::new();
            write_listing(&mut whole, Some(&info), &entries, &format, &NoNames).unwrap();
            let lines: Vec<String> = entries
                .iter()
                .map(|e| service_lines(parts_of(e), &format, &NoNames))
                .collect();
            let mut pieced = Vec::new();
            write_listing_of_lines(&mut pieced, &info, &entries, &lines, &format).unwrap();
            assert_eq!(
                String::from_utf8(pieced).unwrap(),
                String::from_utf8(whole).unwrap()
            );
        }
    }

    fn parts_of(entry: &ServiceEntry) -> ServiceParts<'_> {
        (&entry.service, &entry.stats, &entry.real_servers[..])
    }

    /// `-S` lines made service by service as the table is read, put
    /// together, are the save of the whole table.
    #[test]
    fn save_lines_made_as_read_make_the_save() {
        let entries: Vec<ServiceEntry> = (0..400).rev().map(counted_entry).collect();
        let mut whole = Vec::new();
        write_save(&mut whole, &entries, true, &NoNames).unwrap();
        let lines: Vec<String> = entries
            .iter()
            .map(|e| save_lines(parts_of(e), true, &NoNames))
            .collect();
        let mut pieced = Vec::new();
        write_save_of_lines(&mut pieced, &entries, &lines).unwrap();
        assert!(whole.starts_with(b"-A "), "a save of rules");
        assert_eq!(
            String::from_utf8(pieced).unwrap(),
            String::from_utf8(whole).unwrap()
        );
    }
}
