//! Tests against the real kernel, in the QEMU test bed: one VM boot per test
//! function. They never skip: if the VM cannot run, they fail and say why.

mod differential;
mod testbed;

use differential::{compare_in_vm, mismatch_report, read_corpus, TableCheck};

/// Every invalid line of the corpus: same stderr and exit status as the
/// reference, and nothing changed in the kernel.
#[test]
fn invalid_command_lines_match_the_reference() {
    let cases = read_corpus(include_str!("../corpus/invalid-command-lines.txt"));
    assert!(
        cases.len() >= 150,
        "the corpus must hold at least 150 lines"
    );
    let compared = compare_in_vm("invalid-command-lines", &cases, TableCheck::ProcEveryCase);
    let accepted: Vec<&str> = compared
        .iter()
        .filter(|c| c.reference.status == "0")
        .map(|c| c.case.line.as_str())
        .collect();
    assert!(
        accepted.is_empty(),
        "the reference accepts these corpus lines: {accepted:#?}"
    );
    let report = mismatch_report(&compared);
    let mismatches = compared.iter().filter(|c| !c.matches()).count();
    assert!(
        report.is_empty(),
        "{mismatches} of {} lines differ:\n{report}",
        compared.len()
    );
    eprintln!(
        "{} invalid command lines: identical stderr, exit status and table",
        compared.len()
    );
}

/// Commands that reach the kernel: the same exit status, output and
/// messages, and the same table afterwards (read with the reference).
#[test]
fn kernel_commands_match_the_reference() {
    let cases = read_corpus(include_str!("../corpus/kernel-commands.txt"));
    let compared = compare_in_vm("kernel-commands", &cases, TableCheck::EveryCase);
    let report = mismatch_report(&compared);
    let mismatches = compared.iter().filter(|c| !c.matches()).count();
    assert!(
        report.is_empty(),
        "{mismatches} of {} cases differ:\n{report}",
        compared.len()
    );
    let changed = compared
        .iter()
        .filter(|c| c.reference.table != compared[0].reference.table || c.reference.status == "0")
        .count();
    eprintln!("{} kernel commands: identical status, output and table ({changed} changed the table or succeeded)", compared.len());
}

/// 50,000 services, and 10,000 services × 10 real servers, list completely
/// (multi-part dumps, no truncation) and byte-identical to the reference.
#[test]
fn large_tables_list_completely() {
    let script = r#"
source /testbed/lib.sh
mkns big
cd /tmp
busybox awk 'BEGIN { for (i = 0; i < 50000; i++) printf "-A -t 10.%d.%d.%d:80 -s rr\n", int(i / 65536), int(i / 256) % 256, i % 256 }' > svc50k.rules
busybox awk 'BEGIN { for (i = 0; i < 10000; i++) {
    printf "-A -t 10.%d.%d.%d:80 -s wlc\n", int(i / 65536), int(i / 256) % 256, i % 256
    for (j = 1; j <= 10; j++) printf "-a -t 10.%d.%d.%d:80 -r 192.168.%d.%d:8080 -m -w %d\n", int(i / 65536), int(i / 256) % 256, i % 256, j, i % 250 + 1, j }
}' > svc10k.rules
check() {
    local name=$1
    ip netns exec big ipvsadm -Ln > ref.$name.out
    ip netns exec big ipvsadm-rs -Ln > rs.$name.out; echo $? > $RESULTS/$name.rc
    grep -c '^TCP' rs.$name.out > $RESULTS/$name.services
    grep -c '^  -> [0-9]' rs.$name.out > $RESULTS/$name.servers
    cmp -s ref.$name.out rs.$name.out && echo same > $RESULTS/$name.cmp || echo differ > $RESULTS/$name.cmp
    ip netns exec big ipvsadm-rs -Sn | wc -l > $RESULTS/$name.save-lines
}
ip netns exec big ipvsadm -R < svc50k.rules
check 50k
ip netns exec big ipvsadm -C
ip netns exec big ipvsadm -R < svc10k.rules
check 10k
"#;
    let run = testbed::run_in_vm("large-tables", script);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    let read = |name: &str| run.read(name).trim().to_string();
    assert_eq!(read("50k.rc"), "0");
    assert_eq!(read("50k.services"), "50000");
    assert_eq!(
        read("50k.cmp"),
        "same",
        "ipvsadm-rs -Ln differs from ipvsadm -Ln at 50,000 services"
    );
    assert_eq!(read("50k.save-lines"), "50000");
    assert_eq!(read("10k.rc"), "0");
    assert_eq!(read("10k.services"), "10000");
    assert_eq!(read("10k.servers"), "100000");
    assert_eq!(
        read("10k.cmp"),
        "same",
        "ipvsadm-rs -Ln differs from ipvsadm -Ln at 10,000 x 10"
    );
    assert_eq!(read("10k.save-lines"), "110000");
}

/// Without CAP_NET_ADMIN: ipvsadm's message and exit status.
#[test]
fn unprivileged_users_get_ipvsadms_message() {
    let script = r#"
for cmd in "-Ln" "-A -t 10.0.0.1:80" "-C" "--set 1 2 3" "-L --timeout"; do
    n=$((n + 1))
    su nobody -c "ipvsadm $cmd" > $RESULTS/$n.ref.out 2> $RESULTS/$n.ref.err; echo $? > $RESULTS/$n.ref.rc
    su nobody -c "ipvsadm-rs $cmd" > $RESULTS/$n.rs.out 2> $RESULTS/$n.rs.err; echo $? > $RESULTS/$n.rs.rc
done
"#;
    let run = testbed::run_in_vm("unprivileged", script);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    for n in 1..=5 {
        for what in ["out", "err", "rc"] {
            assert_eq!(
                run.read(format!("{n}.ref.{what}")),
                run.read(format!("{n}.rs.{what}")),
                "case {n} {what}"
            );
        }
        assert_eq!(run.read(format!("{n}.rs.rc")).trim(), "2");
        assert!(run
            .read(format!("{n}.rs.err"))
            .starts_with("Can't initialize ipvs: Permission denied (you must be root)\n"));
    }
}

/// With ip_vs unloaded, both tools run `/sbin/modprobe -- ip_vs` and go on;
/// when that cannot work, both fail with ipvsadm's message and status.
#[test]
fn missing_module_is_loaded_or_reported_like_ipvsadm() {
    let script = r#"
cmp_tools() {
    local name=$1; shift
    rmmod ip_vs 2>/dev/null
    ipvsadm "$@" > $RESULTS/$name.ref.out 2> $RESULTS/$name.ref.err; echo $? > $RESULTS/$name.ref.rc
    lsmod | grep -c '^ip_vs ' > $RESULTS/$name.ref.loaded
    rmmod ip_vs 2>/dev/null
    ipvsadm-rs "$@" > $RESULTS/$name.rs.out 2> $RESULTS/$name.rs.err; echo $? > $RESULTS/$name.rs.rc
    lsmod | grep -c '^ip_vs ' > $RESULTS/$name.rs.loaded
}
cmp_tools loads -L --timeout
mv /sbin/modprobe /sbin/modprobe.away
cmp_tools fails -L --timeout
mv /sbin/modprobe.away /sbin/modprobe
"#;
    let run = testbed::run_in_vm("missing-module", script);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    for name in ["loads", "fails"] {
        for what in ["out", "err", "rc", "loaded"] {
            assert_eq!(
                run.read(format!("{name}.ref.{what}")),
                run.read(format!("{name}.rs.{what}")),
                "{name}: {what} differs"
            );
        }
    }
    assert_eq!(run.read("loads.rs.rc").trim(), "0");
    assert_eq!(
        run.read("loads.rs.loaded").trim(),
        "1",
        "ip_vs was loaded on demand"
    );
    assert_eq!(
        run.read("loads.rs.out"),
        "Timeout (tcp tcpfin udp): 900 120 300\n"
    );
    assert_eq!(run.read("fails.rs.rc").trim(), "2");
    assert_eq!(
        run.read("fails.rs.err"),
        "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n"
    );
}
