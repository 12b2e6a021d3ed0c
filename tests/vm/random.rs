//! Random command sequences for the differential test: a seeded generator
//! over a small universe of services and real servers (so edits and deletes
//! hit existing entries often), covering every option, with restores and
//! listings interleaved. The seed changes between runs and is printed on
//! failure; `IPVSADM_RS_SEED=N` replays one.

use crate::differential::{Case, Step};

/// xorshift64*: small, seedable, good enough to pick test cases.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

pub fn seed_from_env_or_clock() -> u64 {
    match std::env::var("IPVSADM_RS_SEED") {
        Ok(s) => s.parse().expect("IPVSADM_RS_SEED must be a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    }
}

/// (service option, family, is UDP, is fwmark)
const SERVICES: &[(&str, u8, bool, bool)] = &[
    ("-t 10.0.0.1:80", 4, false, false),
    ("-t 192.168.5.5:443", 4, false, false),
    ("-u 10.0.0.2:53", 4, true, false),
    ("--sctp-service 10.0.0.3:3868", 4, false, false),
    ("-t [2001:db8::1]:80", 6, false, false),
    ("-u [2001:db8::2]:53", 6, true, false),
    ("-f 7", 4, false, true),
    ("-f 3000 -6", 6, false, true),
    ("-t 10.0.0.9:0", 4, false, false),
];
const DESTS4: &[&str] = &["10.1.0.1", "10.1.0.2", "200.1.0.3", "10.1.0.4"];
const DESTS6: &[&str] = &["[2001:db8::10]", "[2001:db8::11]", "[2001:db8:ffff::12]"];
const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

pub const LISTING_FORMS: &[&str] = &[
    "-Ln",
    "-L",
    "-Sn",
    "-S",
    "-Ln --stats",
    "-Ln --stats --exact",
    "-Ln --rate",
    "-Ln --thresholds",
    "-Ln --persistent-conn",
    "-Ln --tun-info",
    "-Ln --nosort",
    "-L --timeout",
    "-L --daemon",
    "-Lnc",
    "-Ln -t 10.0.0.1:80",
    "-Ln -f 3000 -6",
    "-L -u [2001:db8::2]:53 --thresholds",
];

fn service_options(rng: &mut Rng, svc: (&str, u8, bool, bool)) -> String {
    let (spec, family, udp, fwmark) = svc;
    let mut line = spec.to_string();
    let sched = if rng.chance(3) {
        "nosuchsched"
    } else {
        rng.pick(SCHEDULERS)
    };
    if rng.chance(85) {
        line.push_str(&format!(" -s {sched}"));
    }
    let zero_port = spec.ends_with(":0");
    let persistent = zero_port || rng.chance(35);
    if persistent {
        if rng.chance(50) {
            line.push_str(&format!(" -p {}", 1 + rng.below(3000)));
        } else {
            line.push_str(" -p");
        }
        if rng.chance(40) {
            if family == 6 {
                line.push_str(&format!(" -M {}", 1 + rng.below(128)));
            } else {
                line.push_str(rng.pick(&[
                    " -M 255.255.255.0",
                    " -M 255.255.0.0",
                    " -M 255.255.255.255",
                ]));
            }
        }
        if udp && rng.chance(30) {
            line.push_str(" --pe sip");
        }
    }
    if (udp || fwmark) && rng.chance(25) {
        line.push_str(" -o");
    }
    if rng.chance(20) {
        let flags = match sched {
            "sh" => rng.pick(&["sh-fallback", "sh-port", "sh-fallback,sh-port", "flag-3"]),
            "mh" => rng.pick(&["mh-fallback", "mh-port", "mh-port,mh-fallback"]),
            _ => rng.pick(&["flag-1", "flag-2", "flag-1,flag-3"]),
        };
        if line.contains(" -s ") {
            line.push_str(&format!(" -b {flags}"));
        }
    }
    line
}

fn server_options(rng: &mut Rng, svc: (&str, u8, bool, bool), with_settings: bool) -> String {
    let (spec, family, _, _) = svc;
    let tunnel = rng.chance(25);
    let mixed = tunnel && rng.chance(30);
    let v6 = (family == 6) != mixed;
    let addr = if v6 {
        rng.pick(DESTS6)
    } else {
        rng.pick(DESTS4)
    };
    let mut line = format!("{spec} -r {addr}");
    if rng.chance(50) {
        line.push_str(rng.pick(&[":80", ":8080", ":53"]));
    } else if v6 && addr.starts_with('[') {
        // a bracketed address needs a port
        line.push_str(":0");
    }
    if !with_settings {
        return line;
    }
    if tunnel {
        line.push_str(" -i");
        match rng.below(4) {
            0 => line.push_str(" --tun-type ipip"),
            1 => line.push_str(&format!(
                " --tun-type gue --tun-port {}{}",
                1 + rng.below(65535),
                rng.pick(&["", " --tun-nocsum", " --tun-csum", " --tun-remcsum"])
            )),
            2 => line.push_str(&format!(
                " --tun-type gre{}",
                rng.pick(&["", " --tun-nocsum", " --tun-csum"])
            )),
            _ => {}
        }
    } else {
        line.push_str(rng.pick(&["", " -g", " -m", " -m"]));
    }
    if rng.chance(70) {
        line.push_str(&format!(
            " -w {}",
            rng.pick(&["0", "1", "2", "5", "100", "2147483647"])
        ));
    }
    if rng.chance(30) {
        let upper = rng.below(1000);
        let lower = if rng.chance(90) {
            rng.below(upper + 1)
        } else {
            upper + 1
        };
        line.push_str(&format!(" -x {upper} -y {lower}"));
    }
    line
}

/// A restore block that succeeds whatever the table holds: new services
/// (fresh addresses) with real servers, written the ways restore files are
/// (an `ipvsadm` word in front, CRLF line ends, blank lines). A failing
/// block is where ipvsadm (line by line) and ipvsadm-rs (all or nothing)
/// differ on purpose, so it is not generated here.
fn restore_block(rng: &mut Rng, fresh: &mut usize) -> String {
    let mut text = String::new();
    for _ in 0..1 + rng.below(2) {
        *fresh += 1;
        let svc = format!("-t 10.77.{}.{}:80", *fresh / 250, *fresh % 250 + 1);
        let mut lines = vec![format!(
            "-A {svc} -s {}",
            rng.pick(&["rr", "wlc", "sh", "lc"])
        )];
        for d in 0..rng.below(4) {
            lines.push(format!(
                "-a {svc} -r 10.78.{}.{} -m -w {}",
                *fresh % 250,
                d + 1,
                rng.below(10)
            ));
        }
        for line in lines {
            let prefix = if rng.chance(30) { "ipvsadm " } else { "" };
            let end = if rng.chance(20) { "\r\n" } else { "\n" };
            text.push_str(&format!("{prefix}{line}{end}"));
            if rng.chance(10) {
                text.push('\n');
            }
        }
    }
    text
}

/// A sequence with at least `changes` changes and listings interleaved.
pub fn sequence(rng: &mut Rng, changes: usize) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut fresh = 0;
    let mut count = 0;
    while count < changes {
        if rng.chance(30) {
            steps.push(Step::Listing(rng.pick(LISTING_FORMS).to_string()));
            continue;
        }
        let svc = SERVICES[rng.below(SERVICES.len())];
        let line = match rng.below(100) {
            0..=21 => format!("-A {}", service_options(rng, svc)),
            22..=31 => format!("-E {}", service_options(rng, svc)),
            32..=38 => format!("-D {}", svc.0),
            39..=61 => format!("-a {}", server_options(rng, svc, true)),
            62..=71 => format!("-e {}", server_options(rng, svc, true)),
            72..=79 => format!("-d {}", server_options(rng, svc, false)),
            80..=82 => "-Z".to_string(),
            83..=84 => format!("-Z {}", svc.0),
            85..=87 => format!(
                "--set {} {} {}",
                rng.below(1000),
                rng.below(200),
                rng.below(500)
            ),
            88..=89 => format!(
                "--start-daemon {} --mcast-interface dummy0 --syncid {}",
                rng.pick(&["master", "backup"]),
                rng.below(256)
            ),
            90..=91 => format!("--stop-daemon {}", rng.pick(&["master", "backup"])),
            92 => "-C".to_string(),
            _ => {
                let block = restore_block(rng, &mut fresh);
                steps.push(Step::Change(Case {
                    line: "-R".into(),
                    setup: vec![],
                    stdin: Some(block),
                }));
                count += 1;
                continue;
            }
        };
        steps.push(Step::Change(Case::line(&line)));
        count += 1;
    }
    steps
}
