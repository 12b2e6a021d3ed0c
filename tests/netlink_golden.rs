//! Golden bytes from a real kernel (tests/golden/netlink/session.trace,
//! recorded in the VM): every request and reply parses into the typed
//! attribute enums and emits back byte for byte; replies decode into the
//! model with the values the session created; requests carry what ipvsadm
//! sends; damaged replies are errors, never panics.

use ipvsadm_rs::kernel::attrs::{CmdAttr, DestAttr, FlagsMask, InfoAttr, ServiceAttr};
use ipvsadm_rs::kernel::convert::{daemon_from, dest_from, service_from};
use ipvsadm_rs::kernel::wire::{self, AttrWriter};
use ipvsadm_rs::model::*;
use std::net::Ipv4Addr;

struct Step {
    command: String,
    sent: Vec<Vec<u8>>,
    received: Vec<Vec<u8>>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn steps() -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for line in include_str!("golden/netlink/session.trace").lines() {
        if let Some(cmd) = line.strip_prefix("# ipvsadm-rs ") {
            steps.push(Step {
                command: cmd.to_string(),
                sent: vec![],
                received: vec![],
            });
        } else if let Some(h) = line.strip_prefix("> ") {
            steps.last_mut().unwrap().sent.push(unhex(h));
        } else if let Some(h) = line.strip_prefix("< ") {
            steps.last_mut().unwrap().received.push(unhex(h));
        }
    }
    steps
}

fn step(command: &str) -> Step {
    steps()
        .into_iter()
        .find(|s| s.command == command)
        .unwrap_or_else(|| panic!("no step {command}"))
}

/// The IPVS family id, from the controller's reply in a step.
fn family_id(step: &Step) -> u16 {
    for datagram in &step.received {
        for msg in wire::messages(datagram).unwrap() {
            if msg.kind == 0x10 {
                let g = wire::genl(msg.payload).unwrap();
                for a in wire::attrs(g.attrs).unwrap() {
                    if a.kind == 1 {
                        return a.u16().unwrap();
                    }
                }
            }
        }
    }
    panic!("no family id in step {}", step.command)
}

/// Every IPVS message (cmd, attribute bytes) in a list of datagrams.
fn ipvs_messages(datagrams: &[Vec<u8>], family: u16) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    for d in datagrams {
        for msg in wire::messages(d).unwrap() {
            if msg.kind == family {
                let g = wire::genl(msg.payload).unwrap();
                out.push((g.cmd, g.attrs.to_vec()));
            }
        }
    }
    out
}

fn parse_cmd_attrs(bytes: &[u8]) -> Vec<CmdAttr> {
    wire::attrs(bytes)
        .unwrap()
        .iter()
        .map(|a| CmdAttr::parse(a).unwrap())
        .collect()
}

fn emit(attrs: &[CmdAttr]) -> Vec<u8> {
    let mut w = AttrWriter::new();
    attrs.iter().for_each(|a| a.emit(&mut w));
    w.into_bytes()
}

#[test]
fn every_message_round_trips_byte_for_byte() {
    let mut count = 0;
    for step in steps() {
        let family = family_id(&step);
        for (cmd, bytes) in ipvs_messages(&step.sent, family)
            .into_iter()
            .chain(ipvs_messages(&step.received, family))
        {
            let back = if cmd == 14 {
                // SET_INFO: the GET_INFO reply has its own attribute space.
                let info: Vec<InfoAttr> = wire::attrs(&bytes)
                    .unwrap()
                    .iter()
                    .map(|a| InfoAttr::parse(a).unwrap())
                    .collect();
                let mut w = AttrWriter::new();
                info.iter().for_each(|a| a.emit(&mut w));
                w.into_bytes()
            } else {
                emit(&parse_cmd_attrs(&bytes))
            };
            assert_eq!(
                back, bytes,
                "step {}: cmd {cmd} does not round-trip",
                step.command
            );
            count += 1;
        }
    }
    assert!(count >= 60, "only {count} IPVS messages in the session");
}

#[test]
fn requests_carry_what_ipvsadm_sends() {
    let s = step("-A -t 10.0.0.1:80 -s rr");
    let family = family_id(&s);
    let new_service: Vec<_> = ipvs_messages(&s.sent, family)
        .into_iter()
        .filter(|(cmd, _)| *cmd == 1)
        .collect();
    assert_eq!(new_service.len(), 1);
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&[10, 0, 0, 1]);
    // ipvsadm 1.31 (reference §11.8): AF, PROTOCOL, ADDR, PORT, SCHED_NAME,
    // FLAGS {0, ~0}, TIMEOUT, NETMASK 255.255.255.255.
    assert_eq!(
        parse_cmd_attrs(&new_service[0].1),
        vec![CmdAttr::Service(vec![
            ServiceAttr::Af(2),
            ServiceAttr::Protocol(6),
            ServiceAttr::Addr(addr),
            ServiceAttr::Port(80),
            ServiceAttr::SchedName("rr".into()),
            ServiceAttr::Flags(FlagsMask {
                flags: 0,
                mask: u32::MAX
            }),
            ServiceAttr::Timeout(0),
            ServiceAttr::Netmask(u32::MAX),
        ])]
    );
    // The port is big-endian on the wire: bytes 00 50.
    assert!(new_service[0]
        .1
        .windows(6)
        .any(|w| w == [6, 0, 4, 0, 0x00, 0x50]));

    let s = step("-A -u [2001:db8::1]:53 -s sh -b sh-port,sh-fallback -p 100 -M 64 -o --pe sip");
    let (_, bytes) = ipvs_messages(&s.sent, family_id(&s))
        .into_iter()
        .find(|(cmd, _)| *cmd == 1)
        .unwrap();
    let CmdAttr::Service(attrs) = &parse_cmd_attrs(&bytes)[0] else {
        panic!()
    };
    assert!(attrs.contains(&ServiceAttr::Flags(FlagsMask {
        flags: 0x1d,
        mask: u32::MAX
    })));
    assert!(attrs.contains(&ServiceAttr::Netmask(64)));
    assert!(attrs.contains(&ServiceAttr::PeName("sip".into())));

    let s = step("-a -u [2001:db8::1]:53 -r 10.1.1.5 -i --tun-type gue --tun-port 6080 --tun-csum");
    let (_, bytes) = ipvs_messages(&s.sent, family_id(&s))
        .into_iter()
        .find(|(cmd, _)| *cmd == 5)
        .unwrap();
    let CmdAttr::Dest(dest) = &parse_cmd_attrs(&bytes)[1] else {
        panic!()
    };
    assert_eq!(
        dest[0],
        DestAttr::AddrFamily(2),
        "mixed-family tunnel: the dest says IPv4"
    );
    assert!(dest.contains(&DestAttr::TunType(1)) && dest.contains(&DestAttr::TunPort(6080)));
    assert!(dest.contains(&DestAttr::TunFlags(1)) && dest.contains(&DestAttr::FwdMethod(2)));
}

#[test]
fn dump_replies_decode_into_the_model() {
    let s = step("-Ln");
    let family = family_id(&s);
    let mut services = Vec::new();
    let mut info = None;
    for (cmd, bytes) in ipvs_messages(&s.received, family) {
        if cmd == 14 {
            let attrs: Vec<InfoAttr> = wire::attrs(&bytes)
                .unwrap()
                .iter()
                .map(|a| InfoAttr::parse(a).unwrap())
                .collect();
            info = Some(attrs);
            continue;
        }
        for attr in parse_cmd_attrs(&bytes) {
            if let CmdAttr::Service(a) = attr {
                services.push(service_from(&a).unwrap());
            }
        }
    }
    assert_eq!(
        info.unwrap(),
        vec![InfoAttr::Version(0x010201), InfoAttr::ConnTabSize(4096)]
    );
    assert_eq!(services.len(), 3);
    let udp = services
        .iter()
        .find(|(s, _)| {
            matches!(
                s.key,
                ServiceKey::Addr {
                    protocol: Protocol::Udp,
                    ..
                }
            )
        })
        .unwrap();
    assert_eq!(udp.0.scheduler, "sh");
    assert_eq!(udp.0.flags, ServiceFlags(0x1d), "HASHED (0x2) is dropped");
    assert_eq!(udp.0.netmask, Netmask::V6(64));
    assert_eq!(udp.0.pe_name.as_deref(), Some("sip"));
    assert_eq!(udp.0.timeout, 100);
    let fw = services
        .iter()
        .find(|(s, _)| matches!(s.key, ServiceKey::Fwmark { .. }))
        .unwrap();
    assert_eq!(
        fw.0.key,
        ServiceKey::Fwmark {
            fwmark: 7,
            family: Family::Inet6
        }
    );
    assert_eq!(fw.0.timeout, 360);
    let tcp = services
        .iter()
        .find(|(s, _)| {
            matches!(
                s.key,
                ServiceKey::Addr {
                    protocol: Protocol::Tcp,
                    ..
                }
            )
        })
        .unwrap();
    assert_eq!(tcp.0.netmask, Netmask::V4(Ipv4Addr::BROADCAST));

    let mut dests = Vec::new();
    for (_, bytes) in ipvs_messages(&s.received, family)
        .into_iter()
        .filter(|(cmd, _)| *cmd != 14)
    {
        for attr in parse_cmd_attrs(&bytes) {
            if let CmdAttr::Dest(a) = attr {
                dests.push(dest_from(&a, Family::Inet6).unwrap());
            }
        }
    }
    let masq = dests
        .iter()
        .find(|d| d.server.forward == ForwardMethod::Masquerade)
        .unwrap();
    assert_eq!(
        (
            masq.server.port,
            masq.server.weight,
            masq.server.u_threshold,
            masq.server.l_threshold
        ),
        (8080, 3, 100, 10)
    );
    assert_eq!(
        masq.server.addr,
        "192.168.1.20".parse::<std::net::IpAddr>().unwrap()
    );
    let tun = dests
        .iter()
        .find(|d| d.server.forward == ForwardMethod::Tunnel)
        .unwrap();
    assert_eq!(
        tun.server.addr,
        "10.1.1.5".parse::<std::net::IpAddr>().unwrap(),
        "the dest's own family wins"
    );
    assert_eq!(
        tun.server.tunnel,
        Tunnel {
            kind: TunnelType::Gue,
            port: 6080,
            flags: TunnelFlags(1)
        }
    );
}

#[test]
fn timeouts_and_daemons_decode() {
    let s = step("-L --timeout");
    let mut got = Vec::new();
    for (_, bytes) in ipvs_messages(&s.received, family_id(&s))
        .into_iter()
        .filter(|(cmd, _)| *cmd != 14)
    {
        got.extend(parse_cmd_attrs(&bytes));
    }
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        got.contains(&CmdAttr::TimeoutTcp(100))
            && got.contains(&CmdAttr::TimeoutTcpFin(20))
            && got.contains(&CmdAttr::TimeoutUdp(30))
    );
    let s = step("-L --daemon");
    let mut daemons = 0;
    for (_, bytes) in ipvs_messages(&s.received, family_id(&s))
        .into_iter()
        .filter(|(cmd, _)| *cmd != 14)
    {
        for attr in parse_cmd_attrs(&bytes) {
            if let CmdAttr::Daemon(a) = attr {
                let d = daemon_from(&a).unwrap().unwrap();
                assert_eq!(
                    (d.state, d.mcast_ifn.as_str(), d.syncid),
                    (DaemonState::Master, "dummy0", 3)
                );
                assert_eq!(
                    (d.mcast_group, d.mcast_port, d.mcast_ttl),
                    (Some("239.1.2.3".parse().unwrap()), Some(9000), Some(5))
                );
                daemons += 1;
            }
        }
    }
    assert_eq!(daemons, 1);
}

#[test]
fn unknown_attributes_survive_and_are_ignored() {
    let s = step("-Ln");
    let family = family_id(&s);
    let (_, bytes) = ipvs_messages(&s.received, family)
        .into_iter()
        .find(|(cmd, _)| *cmd == 1)
        .unwrap();
    let mut attrs = parse_cmd_attrs(&bytes);
    let CmdAttr::Service(svc) = &mut attrs[0] else {
        panic!()
    };
    let before = service_from(svc).unwrap();
    svc.push(ServiceAttr::Other(99, vec![1, 2, 3, 4, 5]));
    attrs.push(CmdAttr::Other(42, vec![7; 6]));
    let bytes = emit(&attrs);
    let again = parse_cmd_attrs(&bytes);
    assert_eq!(again, attrs);
    assert_eq!(emit(&again), bytes);
    let CmdAttr::Service(svc) = &again[0] else {
        panic!()
    };
    assert_eq!(service_from(svc).unwrap(), before);
}

#[test]
fn damaged_replies_are_errors_not_panics() {
    let s = step("-Ln");
    for datagram in &s.received {
        for cut in 0..datagram.len() {
            let part = &datagram[..cut];
            // Each layer either parses or says why; none panics.
            if let Ok(msgs) = wire::messages(part) {
                for m in msgs {
                    if let Ok(g) = wire::genl(m.payload) {
                        if let Ok(top) = wire::attrs(g.attrs) {
                            for a in top {
                                if let Ok(CmdAttr::Service(svc)) = CmdAttr::parse(&a) {
                                    let _ = service_from(&svc);
                                }
                            }
                        }
                    }
                }
            }
        }
        // A first attribute claiming to run past the message is reported.
        let mut bad = datagram.clone();
        if bad.len() > 40 {
            bad[20] = 0xff;
            bad[21] = 0x7f;
            let parsed = wire::messages(&bad).ok().and_then(|m| {
                m.into_iter()
                    .map(|m| wire::genl(m.payload).map(|g| wire::attrs(g.attrs).is_ok()))
                    .collect::<Result<Vec<_>, _>>()
                    .ok()
            });
            assert!(
                parsed.is_none_or(|v| v.iter().any(|ok| !ok)),
                "corruption went unnoticed"
            );
        }
    }
    // A service without its required attributes is refused with a reason.
    let err = service_from(&[ServiceAttr::Af(2)]).unwrap_err();
    assert!(err.to_string().contains("lacks"), "{err}");
    assert!(dest_from(&[DestAttr::Port(80)], Family::Inet).is_err());
}
