//! Valid command lines parse to the right typed command: every command and
//! option, in every spelling (short, clustered, attached, `=`, long), with
//! ipvsadm's defaults and adjustments. No kernel needed.

use ipvsadm_rs::cli::{
    parse_command_line, Command, ListFormat, ListTarget, Metrics, Parsed, RestoreMode,
};
use ipvsadm_rs::model::*;
use std::net::{IpAddr, Ipv4Addr};

fn parse(line: &str) -> Parsed {
    let words: Vec<String> = line.split_whitespace().map(String::from).collect();
    parse_command_line("ipvsadm", &words).unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn cmd(line: &str) -> Command {
    match parse(line) {
        Parsed::Run(c) => c,
        other => panic!("{line}: {other:?}"),
    }
}

/// All spellings must give the same command.
fn same(lines: &[&str]) -> Command {
    let first = cmd(lines[0]);
    for line in &lines[1..] {
        assert_eq!(cmd(line), first, "{line} differs from {}", lines[0]);
    }
    first
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn tcp(addr: &str, port: u16) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: ip(addr),
        port,
    }
}

fn service(key: ServiceKey) -> Service {
    Service {
        key,
        scheduler: "wlc".into(),
        flags: ServiceFlags(0),
        timeout: 0,
        netmask: Netmask::host(key.family()),
        pe_name: None,
    }
}

fn server(addr: &str, port: u16) -> RealServer {
    RealServer {
        addr: ip(addr),
        port,
        forward: ForwardMethod::Route,
        weight: 1,
        u_threshold: 0,
        l_threshold: 0,
        tunnel: Tunnel::default(),
    }
}

fn list(target: ListTarget, format: ListFormat) -> Command {
    Command::List { target, format }
}

#[test]
fn add_and_edit_service_spellings() {
    let expected = Command::AddService(Service {
        scheduler: "rr".into(),
        ..service(tcp("1.2.3.4", 80))
    });
    assert_eq!(
        same(&[
            "-A -t 1.2.3.4:80 -s rr",
            "-At 1.2.3.4:80 -s rr",
            "-At1.2.3.4:80 -srr",
            "-A -t=1.2.3.4:80 -s=rr",
            "--add-service --tcp-service 1.2.3.4:80 --scheduler rr",
            "--add-service --tcp-service=1.2.3.4:80 --scheduler=rr",
            "-A -s rr -t 1.2.3.4:80",
            "-A -t 1.2.3.4:http -s rr",
            "-A -t 1.2.3.4:0080 -s rr",
            "-A -t 1.2.3.4:+80 -s rr --sort --sort",
            "-A -t 16909060:80 -s rr",
            "-A -t 0x01020304:80 -s rr",
        ]),
        expected
    );
    let Command::AddService(s) = expected else {
        unreachable!()
    };
    assert_eq!(
        same(&[
            "-E -t 1.2.3.4:80 -s rr",
            "--edit-service -t 1.2.3.4:80 -s rr"
        ]),
        Command::EditService(s)
    );
}

#[test]
fn service_defaults_and_options() {
    // no -s: wlc; no -p: not persistent, timeout 0; mask /32
    assert_eq!(
        cmd("-A -u 10.0.0.1:53"),
        Command::AddService(service(ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: ip("10.0.0.1"),
            port: 53
        }))
    );
    let persistent = Service {
        flags: ServiceFlags(ServiceFlags::PERSISTENT),
        timeout: 360,
        ..service(tcp("10.0.0.1", 0))
    };
    assert_eq!(
        same(&[
            "-A -t 10.0.0.1 -p",
            "-A -t 10.0.0.1:0 --persistent",
            "-A -t 10.0.0.1 -p -s wlc"
        ]),
        Command::AddService(persistent.clone())
    );
    assert_eq!(
        same(&[
            "-A -t 10.0.0.1 -p 300",
            "-A -t 10.0.0.1 -p300",
            "-A -t 10.0.0.1 -p=300",
            "-A -t 10.0.0.1 --persistent=300",
            "-A -t 10.0.0.1 --persistent 300"
        ]),
        Command::AddService(Service {
            timeout: 300,
            ..persistent.clone()
        })
    );
    assert_eq!(
        same(&[
            "-A -t 10.0.0.1:80 -p 60 -M 255.255.255.0",
            "-A -t 10.0.0.1:80 -p 60 --netmask 255.255.255.0",
            "-A -t 10.0.0.1:80 -p 60 -M 0xffffff00"
        ]),
        Command::AddService(Service {
            key: tcp("10.0.0.1", 80),
            timeout: 60,
            netmask: Netmask::V4(Ipv4Addr::new(255, 255, 255, 0)),
            ..persistent.clone()
        })
    );
    // IPv4 -M 24 is the mask 0.0.0.24 (ipvsadm quirk, inet_aton)
    let Command::AddService(s) = cmd("-A -t 10.0.0.1:80 -M 24") else {
        panic!()
    };
    assert_eq!(s.netmask, Netmask::V4(Ipv4Addr::new(0, 0, 0, 24)));
    assert_eq!(
        s.flags,
        ServiceFlags(0),
        "-M without -p is kept but not persistent"
    );
    // one-packet scheduling, PE, scheduler flags
    let Command::EditService(s) = same(&[
        "-E -u [2001:db8::1]:53 -s sh -b sh-port,sh-fallback -p 100 -M 64 -o --pe sip",
        "--edit-service --udp-service [2001:db8::1]:53 --scheduler sh --sched-flags sh-fallback,sh-port --persistent 100 --netmask 64 --ops --pe sip",
    ]) else { panic!() };
    assert_eq!(s.flags, ServiceFlags(0x1d));
    assert_eq!(s.netmask, Netmask::V6(64));
    assert_eq!(s.pe_name.as_deref(), Some("sip"));
    assert_eq!(s.timeout, 100);
    let Command::AddService(s) = cmd("-A -t 1.2.3.4:80 -s mh -b mh-fallback,,flag-3") else {
        panic!()
    };
    assert_eq!(
        s.flags,
        ServiceFlags(ServiceFlags::SCHED1 | ServiceFlags::SCHED3)
    );
    let Command::AddService(s) = cmd("-A -t 1.2.3.4:80 -b flag-1,flag-2") else {
        panic!()
    };
    assert_eq!(
        s.flags,
        ServiceFlags(ServiceFlags::SCHED1 | ServiceFlags::SCHED2)
    );
    // long names are truncated like ipvsadm's fixed buffers
    let Command::AddService(s) =
        cmd("-A -t 1.2.3.4:80 -s abcdefghijklmnopqrstuvwxyz --pe abcdefghijklmnopqrstuvwxyz")
    else {
        panic!()
    };
    assert_eq!(s.scheduler, "abcdefghijklmno");
    assert_eq!(s.pe_name.as_deref(), Some("abcdefghijklmnop"));
}

#[test]
fn netmask_depends_on_what_came_before() {
    // -M read as IPv4 first, then the IPv6 service resets it to 128
    let Command::AddService(s) = cmd("-A -M 64 -t [::1]:80 -p") else {
        panic!()
    };
    assert_eq!(s.netmask, Netmask::V6(128));
    // IPv6 netmasks use atoi(): trailing garbage is ignored
    let Command::AddService(s) = cmd("-A -t [::1]:80 -p -M 64abc") else {
        panic!()
    };
    assert_eq!(s.netmask, Netmask::V6(64));
}

#[test]
fn ipv6_and_fwmark_services() {
    let v6 = ServiceKey::Addr {
        protocol: Protocol::Sctp,
        addr: ip("2001:db8::1"),
        port: 3868,
    };
    assert_eq!(
        cmd("-A --sctp-service [2001:db8::1]:3868"),
        Command::AddService(service(v6))
    );
    // unbracketed IPv6 takes no port
    let Command::AddService(s) = cmd("-A -t 2001:db8::1:80 -p") else {
        panic!()
    };
    assert_eq!(s.key, tcp("2001:db8::1:80", 0));
    let fw = ServiceKey::Fwmark {
        fwmark: 7,
        family: Family::Inet,
    };
    assert_eq!(
        same(&[
            "-A -f 7",
            "-A -f7",
            "--add-service --fwmark-service 7",
            "-A -f +7"
        ]),
        Command::AddService(service(fw))
    );
    let fw6 = ServiceKey::Fwmark {
        fwmark: 3,
        family: Family::Inet6,
    };
    assert_eq!(
        same(&["-A -f 3 -6", "-A -f3 --ipv6", "-A -f 3 -6 -6"]),
        Command::AddService(service(fw6))
    );
    assert_eq!(
        cmd("-D -f 4294967295"),
        Command::DeleteService(ServiceKey::Fwmark {
            fwmark: u32::MAX,
            family: Family::Inet
        })
    );
}

#[test]
fn delete_flush_zero() {
    assert_eq!(
        same(&[
            "-D -t 1.2.3.4:80",
            "--delete-service -t 1.2.3.4:80",
            "-Dt1.2.3.4:80"
        ]),
        Command::DeleteService(tcp("1.2.3.4", 80))
    );
    assert_eq!(same(&["-C", "--clear"]), Command::Flush);
    assert_eq!(
        same(&["-Z", "--zero", "-Z -t 0.0.0.0:0"]),
        Command::Zero(None)
    );
    assert_eq!(
        same(&["-Z -t 1.2.3.4:80", "-Zt 1.2.3.4:80"]),
        Command::Zero(Some(tcp("1.2.3.4", 80)))
    );
    assert_eq!(
        cmd("-Z -f 1 -6"),
        Command::Zero(Some(ServiceKey::Fwmark {
            fwmark: 1,
            family: Family::Inet6
        }))
    );
}

#[test]
fn real_server_spellings_and_defaults() {
    let expected = Command::AddServer {
        service: tcp("1.2.3.4", 80),
        server: RealServer {
            forward: ForwardMethod::Masquerade,
            weight: 5,
            ..server("10.0.0.1", 8080)
        },
    };
    assert_eq!(
        same(&[
            "-a -t 1.2.3.4:80 -r 10.0.0.1:8080 -m -w 5",
            "-a -t 1.2.3.4:80 -r 10.0.0.1:8080 -mw 5",
            "-a -t 1.2.3.4:80 -r 10.0.0.1:8080 -mw5",
            "--add-server --tcp-service 1.2.3.4:80 --real-server 10.0.0.1:8080 --masquerading --weight 5",
            "-a -t 1.2.3.4:80 -r 10.0.0.1:webcache -m -w 5",
            "-a -t 1.2.3.4:80 -r 10.0.0.1:8080 -m -w +5",
            "-a -t 1.2.3.4:80 -r 10.0.0.1:8080 -m -w 005",
        ]),
        expected
    );
    // default: direct routing, weight 1, the service port
    assert_eq!(
        cmd("-a -t 1.2.3.4:80 -r 10.0.0.1"),
        Command::AddServer {
            service: tcp("1.2.3.4", 80),
            server: server("10.0.0.1", 80)
        }
    );
    // DR and tunnel destinations are forced to the service port
    assert_eq!(
        same(&[
            "-a -t 1.2.3.4:80 -r 10.0.0.1:8080 -g",
            "-a -t 1.2.3.4:80 -r 10.0.0.1:8080 --gatewaying"
        ]),
        Command::AddServer {
            service: tcp("1.2.3.4", 80),
            server: server("10.0.0.1", 80)
        }
    );
    let Command::AddServer { server: s, .. } = cmd("-a -t 1.2.3.4:80 -r 10.0.0.1:8080 -i") else {
        panic!()
    };
    assert_eq!((s.port, s.forward), (80, ForwardMethod::Tunnel));
    // masquerading keeps its port; without one, the service port as parsed so far
    let Command::AddServer { server: s, .. } = cmd("-a -t 1.2.3.4:80 -r 10.0.0.1 -m") else {
        panic!()
    };
    assert_eq!(s.port, 80);
    let Command::AddServer { server: s, .. } = cmd("-a -r 10.0.0.1 -m -t 1.2.3.4:80") else {
        panic!()
    };
    assert_eq!(s.port, 0);
    // fwmark services: no port forcing; port names resolve as TCP
    let Command::AddServer { server: s, .. } = cmd("-a -f 1 -r 10.0.0.1:http -g") else {
        panic!()
    };
    assert_eq!(s.port, 80);
    // -d takes none of the adjustments
    assert_eq!(
        same(&[
            "-d -t 1.2.3.4:80 -r 10.0.0.1:8080",
            "--delete-server -t 1.2.3.4:80 --real-server 10.0.0.1:8080"
        ]),
        Command::DeleteServer {
            service: tcp("1.2.3.4", 80),
            server: server("10.0.0.1", 8080)
        }
    );
}

#[test]
fn thresholds_weights_and_edit_server() {
    let Command::EditServer { server: s, .. } = same(&[
        "-e -t 1.2.3.4:80 -r 10.0.0.1 -w 2147483647 -x 100 -y 10",
        "--edit-server -t 1.2.3.4:80 -r 10.0.0.1 --weight 2147483647 --u-threshold 100 --l-threshold 10",
        "-e -t 1.2.3.4:80 -r 10.0.0.1 -w2147483647 -x100 -y10",
    ]) else { panic!() };
    assert_eq!(
        (s.weight, s.u_threshold, s.l_threshold),
        (i32::MAX, 100, 10)
    );
    let Command::AddServer { server: s, .. } = cmd("-a -t 1.2.3.4:80 -r 10.0.0.1 -w 0") else {
        panic!()
    };
    assert_eq!(s.weight, 0);
}

#[test]
fn tunnels() {
    let Command::AddServer { server: s, .. } = same(&[
        "-a -u 1.2.3.4:53 -r 10.0.0.1 -i --tun-type gue --tun-port 6080 --tun-csum",
        "-a -u 1.2.3.4:53 -r 10.0.0.1 --ipip --tun-type=gue --tun-port=6080 --tun-csum",
    ]) else {
        panic!()
    };
    assert_eq!(
        s.tunnel,
        Tunnel {
            kind: TunnelType::Gue,
            port: 6080,
            flags: TunnelFlags(TunnelFlags::CSUM)
        }
    );
    let Command::AddServer { server: s, .. } =
        cmd("-a -u 1.2.3.4:53 -r 10.0.0.1 -i --tun-type gre --tun-csum")
    else {
        panic!()
    };
    assert!(s.tunnel.kind == TunnelType::Gre && s.tunnel.flags.0 == TunnelFlags::CSUM);
    let Command::AddServer { server: s, .. } =
        cmd("-a -u 1.2.3.4:53 -r 10.0.0.1 -i --tun-type gue --tun-port 5 --tun-remcsum")
    else {
        panic!()
    };
    assert_eq!(s.tunnel.flags.0, TunnelFlags::REMCSUM);
    let Command::AddServer { server: s, .. } =
        cmd("-a -u 1.2.3.4:53 -r 10.0.0.1 -i --tun-type gue --tun-port 1 --tun-nocsum")
    else {
        panic!()
    };
    assert_eq!(s.tunnel.flags.0, TunnelFlags::NOCSUM);
    // mixed families are allowed for tunnels
    let Command::AddServer { server: s, .. } = cmd("-a -t 1.2.3.4:80 -r 2001:db8::5 -i") else {
        panic!()
    };
    assert_eq!((s.addr, s.port), (ip("2001:db8::5"), 80));
    let Command::AddServer { server: s, .. } = cmd("-a -f 9 -6 -r [2001:db8::5]:0 -m") else {
        panic!()
    };
    assert_eq!(s.forward, ForwardMethod::Masquerade);
}

#[test]
fn listings() {
    let table = list(ListTarget::Table, ListFormat::default());
    assert_eq!(same(&["-L", "-l", "--list", "-L --sort", ""]), table);
    let numeric = list(
        ListTarget::Table,
        ListFormat {
            numeric: true,
            ..ListFormat::default()
        },
    );
    assert_eq!(
        same(&[
            "-Ln",
            "-ln",
            "-L -n",
            "--list --numeric",
            "-L -n --",
            "-L -n --syncid 5"
        ]),
        numeric
    );
    let all = ListFormat {
        numeric: true,
        stats: true,
        rate: true,
        exact: true,
        thresholds: true,
        persistent_conn: true,
        tun_info: true,
        nosort: true,
        orphans: true,
        json: true,
        metrics: None,
    };
    assert_eq!(
        same(&[
            "-L -n --stats --rate --exact --thresholds --persistent-conn --tun-info --nosort --orphans --json",
            "-LnX --stats --rate --thresholds --persistent-conn --tun-info --nosort --orphans --json",
        ]),
        list(ListTarget::Table, all)
    );
    assert_eq!(
        same(&["-L -c", "-Lc", "--list --connection"]),
        list(ListTarget::Connections, ListFormat::default())
    );
    assert_eq!(
        cmd("-L -c --persistent-conn"),
        list(
            ListTarget::Connections,
            ListFormat {
                persistent_conn: true,
                ..ListFormat::default()
            }
        )
    );
    assert_eq!(
        cmd("-L --timeout"),
        list(ListTarget::Timeouts, ListFormat::default())
    );
    assert_eq!(
        cmd("-L --daemon"),
        list(ListTarget::Daemons, ListFormat::default())
    );
    assert_eq!(
        same(&["-L -t 1.2.3.4:80", "-Lt 1.2.3.4:80"]),
        list(
            ListTarget::Service(tcp("1.2.3.4", 80)),
            ListFormat::default()
        )
    );
    assert_eq!(
        cmd("-L -f 5 -6 -n").clone(),
        list(
            ListTarget::Service(ServiceKey::Fwmark {
                fwmark: 5,
                family: Family::Inet6
            }),
            ListFormat {
                numeric: true,
                ..ListFormat::default()
            }
        )
    );
}

#[test]
fn save_restore_timeouts_daemons() {
    assert_eq!(
        same(&["-S", "--save"]),
        Command::Save {
            numeric: false,
            full: false
        }
    );
    assert_eq!(
        same(&["-Sn", "-S -n", "--save --numeric"]),
        Command::Save {
            numeric: true,
            full: false
        }
    );
    assert_eq!(
        same(&["-R", "--restore"]),
        Command::Restore(RestoreMode::default())
    );
    assert_eq!(
        cmd("-R --check --replace"),
        Command::Restore(RestoreMode {
            check: true,
            replace: true,
            ..RestoreMode::default()
        })
    );
    assert_eq!(
        same(&[
            "--set 900 120 300",
            "--set 900 120 +300",
            "--set -- 900 120 300",
            "--set 900 -- 120 300"
        ]),
        Command::SetTimeouts(Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300
        })
    );
    assert_eq!(
        cmd("--set 0 0 2678400"),
        Command::SetTimeouts(Timeouts {
            tcp: 0,
            tcp_fin: 0,
            udp: 2678400
        })
    );
    assert_eq!(
        cmd("--start-daemon master"),
        Command::StartDaemon(SyncDaemon {
            state: DaemonState::Master,
            mcast_ifn: "eth0".into(),
            syncid: 0,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        })
    );
    assert_eq!(
        same(&[
            "--start-daemon backup --mcast-interface eth1 --syncid 7 --sync-maxlen 1400 --mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 3",
            "--start-daemon=backup --mcast-interface=eth1 --syncid=7 --sync-maxlen=1400 --mcast-group=239.1.2.3 --mcast-port=9000 --mcast-ttl=3",
        ]),
        Command::StartDaemon(SyncDaemon {
            state: DaemonState::Backup,
            mcast_ifn: "eth1".into(),
            syncid: 7,
            sync_maxlen: Some(1400),
            mcast_group: Some(ip("239.1.2.3")),
            mcast_port: Some(9000),
            mcast_ttl: Some(3),
        })
    );
    let Command::StartDaemon(d) =
        cmd("--start-daemon master --mcast-group ff02::1:2 --mcast-interface abcdefghijklmnopq")
    else {
        panic!()
    };
    assert_eq!(
        (d.mcast_group, d.mcast_ifn.as_str()),
        (Some(ip("ff02::1:2")), "abcdefghijklmno")
    );
    assert_eq!(
        same(&["--stop-daemon master", "--stop-daemon=master"]),
        Command::StopDaemon {
            state: DaemonState::Master,
            syncid: 0
        }
    );
    assert_eq!(
        cmd("--stop-daemon backup --syncid 9"),
        Command::StopDaemon {
            state: DaemonState::Backup,
            syncid: 9
        }
    );
}

#[test]
fn help_and_version_come_first_and_ignore_the_rest() {
    assert_eq!(parse("-h"), Parsed::Help);
    assert_eq!(parse("--help --bogus"), Parsed::Help);
    assert_eq!(parse("-hL"), Parsed::Help);
    assert_eq!(parse("-v"), Parsed::Version);
    assert_eq!(parse("--version -L"), Parsed::Version);
}

#[test]
fn host_names_resolve_through_the_system() {
    // /etc/hosts always knows localhost
    assert_eq!(
        cmd("-D -t localhost:80"),
        Command::DeleteService(tcp("127.0.0.1", 80))
    );
}

fn refusal(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    match parse_command_line("ipvsadm-rs", &words) {
        Err(e) => format!("{e} ({})", e.exit_status()),
        Ok(parsed) => panic!("{line}: accepted as {parsed:?}"),
    }
}

#[test]
fn diff_is_a_form_of_replace_and_json_a_form_of_diff() {
    assert_eq!(
        same(&["-R --replace --diff", "--restore --diff --replace"]),
        Command::Restore(RestoreMode {
            replace: true,
            diff: true,
            ..RestoreMode::default()
        })
    );
    assert_eq!(
        cmd("-R --replace --diff --json --check"),
        Command::Restore(RestoreMode {
            check: true,
            replace: true,
            diff: true,
            json: true,
        })
    );
    assert_eq!(
        refusal("-R --diff"),
        "You need to supply the 'replace' option with the 'diff' option (2)"
    );
    assert_eq!(
        refusal("-R --replace --json"),
        "You need to supply the 'diff' option with the 'json' option (2)"
    );
    assert_eq!(
        refusal("-L --diff"),
        "Illegal 'diff' option with the 'list' command (2)"
    );
    assert_eq!(
        refusal("-R --replace --diff --diff"),
        "multiple 'diff' options specified (2)"
    );
}

#[test]
fn full_is_a_form_of_save() {
    assert_eq!(
        same(&["-S --full", "--save --full"]),
        Command::Save {
            numeric: false,
            full: true
        }
    );
    assert_eq!(
        same(&["-Sn --full", "--full -S -n"][..1]),
        Command::Save {
            numeric: true,
            full: true
        }
    );
    assert_eq!(
        refusal("-L --full"),
        "Illegal 'full' option with the 'list' command (2)"
    );
}

#[test]
fn drain_server_names_its_server_as_delete_server_does() {
    assert_eq!(
        same(&[
            "--drain-server -t 10.0.0.1:80 -r 10.1.1.1",
            "--drain-server -t 10.0.0.1:80 -r 10.1.1.1:80 --wait 300",
            "--drain-server --wait 300 -t 10.0.0.1:80 -r 10.1.1.1:80",
        ]),
        Command::DrainServer {
            service: tcp("10.0.0.1", 80),
            server: server("10.1.1.1", 80),
            wait: 300,
        }
    );
    let Command::DrainServer { wait, .. } =
        cmd("--drain-server -u 10.0.0.1:53 -r 10.1.1.1:5353 --wait 0")
    else {
        panic!("not a drain")
    };
    assert_eq!(wait, 0);
    for (line, message) in [
        (
            "--drain-server -t 10.0.0.1:80",
            "You need to supply the 'real-server' option for the 'drain-server' command (2)",
        ),
        (
            "--drain-server -r 10.1.1.1",
            "You need to supply the 'service-address' option for the 'drain-server' command (2)",
        ),
        (
            "--drain-server -t 10.0.0.1:80 -r 10.1.1.1 -w 0",
            "Illegal 'weight' option with the 'drain-server' command (2)",
        ),
        (
            "--drain-server -t 10.0.0.1:80 -r 10.1.1.1 --wait -1",
            "illegal wait specified (2)",
        ),
        (
            "--drain-server -t 10.0.0.1:80 -r 10.1.1.1 --wait soon",
            "illegal wait specified (2)",
        ),
        (
            "-d -t 10.0.0.1:80 -r 10.1.1.1 --wait 5",
            "Illegal 'wait' option with the 'delete-server' command (2)",
        ),
        (
            "--drain-server -t 10.0.0.1:80 -r 10.1.1.1:http:x",
            "illegal real server address[:port] specified (2)",
        ),
    ] {
        assert_eq!(refusal(line), message, "{line}");
    }
}

#[test]
fn prometheus_is_a_listing_form_of_its_own() {
    let metrics = |line: &str| match cmd(line) {
        Command::List { format, .. } => format.metrics,
        other => panic!("{line}: {other:?}"),
    };
    assert_eq!(metrics("-L --prometheus"), Some(Metrics::WithRealServers));
    assert_eq!(
        metrics("-Ln --prometheus=all"),
        Some(Metrics::WithRealServers)
    );
    assert_eq!(
        metrics("-L --prometheus services"),
        Some(Metrics::ServicesOnly)
    );
    assert_eq!(
        metrics("-L --prometheus -n"),
        Some(Metrics::WithRealServers)
    );
    assert_eq!(
        metrics("-L --orphans --prometheus"),
        Some(Metrics::WithRealServers)
    );
    assert_eq!(metrics("-Ln"), None);
    for line in [
        "-L --prometheus --json",
        "-L --prometheus --stats",
        "-L --prometheus -c",
        "-L --prometheus --timeout",
        "-L --prometheus --tun-info",
    ] {
        assert_eq!(
            refusal(line),
            "options conflicts in the list command (2)",
            "{line}"
        );
    }
    assert_eq!(
        refusal("-L --prometheus servers"),
        "illegal prometheus scope specified (2)"
    );
    assert_eq!(
        refusal("-S --prometheus"),
        "Illegal 'prometheus' option with the 'save' command (2)"
    );
}
