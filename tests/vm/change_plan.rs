//! `-R --replace --diff` and `-S --full` on the real kernel: random pairs of
//! tables, each plan checked by feeding it to the reference ipvsadm, and
//! complete saves fed back.

use crate::random::{seed_from_env_or_clock, Rng};
use crate::testbed;

/// (service option, IPv6, UDP or fwmark: may use one-packet scheduling)
const SERVICES: &[(&str, bool, bool)] = &[
    ("-t 10.0.0.1:80", false, false),
    ("-t 10.0.0.2:443", false, false),
    ("-u 10.0.0.3:53", false, true),
    ("--sctp-service 10.0.0.4:3868", false, false),
    ("-t [2001:db8::1]:80", true, false),
    ("-u [2001:db8::2]:53", true, true),
    ("-f 7", false, true),
    ("-f 3000 -6", true, true),
];
const SERVERS4: &[&str] = &["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"];
const SERVERS6: &[&str] = &["[2001:db8::10]", "[2001:db8::11]", "[2001:db8::12]"];

/// One service of a generated table: its index in `SERVICES`, its options,
/// and its real servers (index into the address list, and options).
#[derive(Clone)]
struct Svc {
    which: usize,
    options: String,
    servers: Vec<(usize, String)>,
}

#[derive(Clone)]
struct Table {
    services: Vec<Svc>,
    timeouts: (usize, usize, usize),
}

fn service_options(rng: &mut Rng, which: usize) -> String {
    let (_, v6, one_packet) = SERVICES[which];
    let scheduler = rng.pick(&["rr", "wrr", "lc", "wlc", "sh", "mh", "sed"]);
    let mut options = format!("-s {scheduler}");
    if rng.chance(40) {
        options.push_str(&format!(" -p {}", 1 + rng.below(900)));
        if rng.chance(50) {
            options.push_str(if v6 { " -M 64" } else { " -M 255.255.255.0" });
        }
    }
    if one_packet && rng.chance(25) {
        options.push_str(" -o");
    }
    match scheduler {
        "sh" if rng.chance(40) => options.push_str(" -b sh-port"),
        "mh" if rng.chance(40) => options.push_str(" -b mh-fallback,mh-port"),
        _ => {}
    }
    options
}

fn server_options(rng: &mut Rng) -> String {
    let mut options = format!(
        "{} -w {}",
        rng.pick(&["-m", "-m", "-g", "-i"]),
        rng.below(6)
    );
    if rng.chance(35) {
        let upper = 1 + rng.below(500);
        options.push_str(&format!(" -x {upper} -y {}", rng.below(upper + 1)));
    }
    options
}

fn random_service(rng: &mut Rng, which: usize) -> Svc {
    let pool = if SERVICES[which].1 {
        SERVERS6.len()
    } else {
        SERVERS4.len()
    };
    let mut servers = Vec::new();
    for addr in 0..pool {
        if rng.chance(50) {
            servers.push((addr, server_options(rng)));
        }
    }
    Svc {
        which,
        options: service_options(rng, which),
        servers,
    }
}

fn random_timeouts(rng: &mut Rng) -> (usize, usize, usize) {
    (1 + rng.below(1000), 1 + rng.below(200), 1 + rng.below(500))
}

fn random_table(rng: &mut Rng) -> Table {
    let mut services = Vec::new();
    for which in 0..SERVICES.len() {
        if rng.chance(60) {
            services.push(random_service(rng, which));
        }
    }
    Table {
        services,
        timeouts: random_timeouts(rng),
    }
}

/// A table like `from`, with a few services dropped, added or changed,
/// and real servers dropped, added or re-weighted.
fn changed(rng: &mut Rng, from: &Table) -> Table {
    let mut table = from.clone();
    table.services.retain(|_| rng.chance(85));
    for svc in &mut table.services {
        if rng.chance(20) {
            svc.options = service_options(rng, svc.which);
        }
        svc.servers.retain(|_| rng.chance(80));
        for server in &mut svc.servers {
            if rng.chance(25) {
                server.1 = server_options(rng);
            }
        }
        let pool = if SERVICES[svc.which].1 {
            SERVERS6.len()
        } else {
            SERVERS4.len()
        };
        for addr in 0..pool {
            if !svc.servers.iter().any(|(a, _)| *a == addr) && rng.chance(20) {
                svc.servers.push((addr, server_options(rng)));
            }
        }
    }
    for which in 0..SERVICES.len() {
        if !table.services.iter().any(|s| s.which == which) && rng.chance(25) {
            table.services.push(random_service(rng, which));
        }
    }
    if rng.chance(50) {
        table.timeouts = random_timeouts(rng);
    }
    table
}

impl Table {
    fn text(&self) -> String {
        let mut text = String::new();
        for svc in &self.services {
            let (spec, v6, _) = SERVICES[svc.which];
            text.push_str(&format!("-A {spec} {}\n", svc.options));
            for (addr, options) in &svc.servers {
                let addr = if v6 { SERVERS6[*addr] } else { SERVERS4[*addr] };
                text.push_str(&format!("-a {spec} -r {addr}:8080 {options}\n"));
            }
        }
        let (tcp, fin, udp) = self.timeouts;
        text.push_str(&format!("--set {tcp} {fin} {udp}\n"));
        text
    }
}

/// A bash here-document writing `text` to `path`.
fn file(path: &str, text: &str) -> String {
    format!("cat > {path} <<'TABLE'\n{text}TABLE\n")
}

const PAIRS: usize = 30;
const FULL_SAVES: usize = 6;

const PAIR_SCRIPT: &str = r#"
R=ipvsadm-rs; I=/sbin/ipvsadm
dump() { $I -Sn; $I -Ln --thresholds; $I -L --timeout; }
for i in $(seq 0 $((PAIRS - 1))); do
    $R -C; $R -R < /tmp/A$i || echo "pair $i: A does not load" >&2
    dump > $RESULTS/a$i.dump
    $R -R --replace --diff --check < /tmp/B$i > $RESULTS/plan$i; echo $? > $RESULTS/plan$i.rc
    $R -R --replace --diff --check --json < /tmp/B$i > $RESULTS/json$i; echo $? > $RESULTS/json$i.rc
    IPVSADM_RS_NETLINK_TRACE=$RESULTS/trace$i $R -R --replace < /tmp/B$i; echo $? > $RESULTS/replace$i.rc
    dump > $RESULTS/replaced$i.dump
    $R -C; $R -R < /tmp/A$i
    $I -R < $RESULTS/plan$i; echo $? > $RESULTS/reference$i.rc
    dump > $RESULTS/got$i.dump
    $R -C; $R -R < /tmp/B$i
    dump > $RESULTS/want$i.dump
done
ip link add dummy0 type dummy 2>/dev/null; ip link set dummy0 up
for k in $(seq 0 $((FULL_SAVES - 1))); do
    $R -C; $R -R < /tmp/T$k || echo "table $k does not load" >&2
    $R --stop-daemon master 2>/dev/null; $R --stop-daemon backup 2>/dev/null
    $R $(cat /tmp/D$k)
    { dump; $I -L --daemon; } > $RESULTS/saved$k.dump
    $R -Sn --full > $RESULTS/full$k
    $R -R --replace --diff < $RESULTS/full$k > $RESULTS/fullplan$k; echo $? > $RESULTS/fullplan$k.rc
    $R -C; $R --stop-daemon master 2>/dev/null; $R --stop-daemon backup 2>/dev/null
    $R --set 900 120 300
    $R -R < $RESULTS/full$k; echo $? > $RESULTS/fullload$k.rc
    { dump; $I -L --daemon; } > $RESULTS/loaded$k.dump
done
"#;

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

/// 30 random pairs (table A in the kernel, input B): the printed plan fed
/// to the reference `ipvsadm -R` on A gives B; it has a line per change
/// request `--replace` sends; the exit status is 0 exactly when A equals
/// B; the JSON plan has one entry per line. Then complete saves of random
/// tables with thresholds, timeouts and a sync daemon: fed back with
/// `--diff` they print nothing and exit 0; loaded on an empty table they
/// give the same table.
#[test]
fn change_plans_rebuild_the_input_and_full_saves_round_trip() {
    let seed = seed_from_env_or_clock();
    let mut rng = Rng::new(seed);
    let mut script = format!("PAIRS={PAIRS}; FULL_SAVES={FULL_SAVES}\n");
    for i in 0..PAIRS {
        let a = random_table(&mut rng);
        let b = match i % 5 {
            0 => a.clone(),
            1 | 2 => random_table(&mut rng),
            _ => changed(&mut rng, &a),
        };
        script.push_str(&file(&format!("/tmp/A{i}"), &a.text()));
        script.push_str(&file(&format!("/tmp/B{i}"), &b.text()));
    }
    for k in 0..FULL_SAVES {
        script.push_str(&file(&format!("/tmp/T{k}"), &random_table(&mut rng).text()));
        let daemon = format!(
            "--start-daemon {} --mcast-interface dummy0 --syncid {}{}\n",
            rng.pick(&["master", "backup"]),
            rng.below(256),
            rng.pick(&[
                "",
                " --mcast-port 9000",
                " --sync-maxlen 1000 --mcast-ttl 3"
            ])
        );
        script.push_str(&file(&format!("/tmp/D{k}"), &daemon));
    }
    script.push_str(PAIR_SCRIPT);
    let run = testbed::run_in_vm("change-plan", &script);
    let context = format!("seed {seed} (IPVSADM_RS_SEED={seed} replays it)");
    assert_eq!(run.status, 0, "{context}\n{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.is_empty(), "{context}\n{}", run.stderr);
    let (mut equal_pairs, mut changes) = (0, 0);
    for i in 0..PAIRS {
        let read = |name: &str| run.read(format!("{name}{i}"));
        let plan = read("plan");
        let at = format!("{context}, pair {i}:\n{plan}");
        assert_eq!(run.read(format!("reference{i}.rc")).trim(), "0", "{at}");
        assert_eq!(
            run.read(format!("got{i}.dump")),
            run.read(format!("want{i}.dump")),
            "{at}"
        );
        assert_eq!(
            run.read(format!("replaced{i}.dump")),
            run.read(format!("want{i}.dump")),
            "{at}"
        );
        assert_eq!(run.read(format!("replace{i}.rc")).trim(), "0", "{at}");
        let plan_lines = lines(&plan);
        assert_eq!(
            plan_lines.len(),
            crate::change_requests(&read("trace")),
            "{at}"
        );
        let same_table = run.read(format!("a{i}.dump")) == run.read(format!("want{i}.dump"));
        let status = if same_table { "0" } else { "3" };
        assert_eq!(run.read(format!("plan{i}.rc")).trim(), status, "{at}");
        assert_eq!(plan_lines.is_empty(), same_table, "{at}");
        assert_eq!(run.read(format!("json{i}.rc")).trim(), status, "{at}");
        let json: Vec<serde_json::Value> =
            serde_json::from_str(&read("json")).expect("a JSON list");
        let commands: Vec<&str> = json
            .iter()
            .map(|e| e["command"].as_str().unwrap())
            .collect();
        assert_eq!(commands, plan_lines, "{at}");
        equal_pairs += usize::from(same_table);
        changes += plan_lines.len();
    }
    assert!(
        equal_pairs >= PAIRS / 5 && changes > PAIRS * 3,
        "{context}: {equal_pairs} {changes}"
    );
    let mut thresholds = 0;
    for k in 0..FULL_SAVES {
        let full = run.read(format!("full{k}"));
        let at = format!("{context}, full save {k}:\n{full}");
        assert_eq!(run.read(format!("fullplan{k}")), "", "{at}");
        assert_eq!(run.read(format!("fullplan{k}.rc")).trim(), "0", "{at}");
        assert_eq!(run.read(format!("fullload{k}.rc")).trim(), "0", "{at}");
        let saved = run.read(format!("saved{k}.dump"));
        assert!(saved.contains("sync daemon"), "{at}\n{saved}");
        assert_eq!(run.read(format!("loaded{k}.dump")), saved, "{at}");
        let has = |start: &str| full.lines().any(|l| l.starts_with(start));
        assert!(has("--set ") && has("--start-daemon "), "{at}");
        thresholds += full.matches(" -x ").count();
    }
    assert!(thresholds > 0, "{context}: no threshold was saved");
}
