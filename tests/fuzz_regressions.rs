//! Every input a fuzzer found trouble with (saved under
//! `tests/fuzz/regressions/<target>/`) goes through that target's checks
//! again, so a finding stays fixed. Runs on stable, without libFuzzer.

use ipvsadm_rs::fuzz_bodies as bodies;

use std::path::Path;

fn replay(target: &str, body: fn(&[u8])) {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/regressions")
        .join(target);
    let mut replayed = 0;
    for entry in std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
    {
        let path = entry.unwrap().path();
        let input = std::fs::read(&path).unwrap();
        // A panic names the input that caused it.
        eprintln!("replaying {}", path.display());
        body(&input);
        replayed += 1;
    }
    assert!(replayed > 0, "no saved inputs in {}", folder.display());
}

#[test]
fn argv_findings() {
    replay("argv", bodies::argv);
}

#[test]
fn restore_findings() {
    replay("restore", bodies::restore);
}

#[test]
fn netlink_reply_findings() {
    replay("netlink_reply", bodies::netlink_reply);
}

#[test]
fn proc_conn_findings() {
    replay("proc_conn", bodies::proc_conn);
}

#[test]
fn proc_ip_vs_findings() {
    replay("proc_ip_vs", bodies::proc_ip_vs);
}

#[test]
fn sockopt_reply_findings() {
    replay("sockopt_reply", bodies::sockopt_reply);
}
