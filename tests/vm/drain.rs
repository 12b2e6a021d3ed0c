//! `--drain-server` on the real kernel, with real TCP and UDP traffic
//! through NAT services: it waits for connections and persistence
//! templates, stops at its limit or on Ctrl-C with the server at weight 0,
//! and refuses what `-e` refuses in `-e`'s words.

use crate::testbed;

/// The real server's line of `-Ln -t ...` output, if it is listed.
fn server_line<'a>(listing: &'a str, server: &str) -> Option<&'a str> {
    listing
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("-> {server}")))
}

/// The weight column of a real server's line.
fn weight(listing: &str, server: &str) -> Option<String> {
    let line = server_line(listing, server)?;
    Some(line.split_whitespace().nth(3)?.to_string())
}

fn seconds(text: &str) -> f64 {
    text.trim().parse().expect("seconds since boot")
}

#[test]
fn drain_waits_for_connections_and_templates_then_deletes() {
    let run = testbed::run_in_vm("drain", include_str!("drain.sh"));
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    for n in 1..=2 {
        let reference = run.read(format!("refused{n}.ref"));
        assert!(reference.ends_with("\n255\n"), "{reference}");
        assert_eq!(run.read(format!("refused{n}.rs")), reference);
    }
    let before = run.read("tcp.before");
    assert!(
        server_line(&before, "10.20.0.1:80").is_some_and(|l| l.contains("Masq    3      1 ")),
        "no held connection:\n{before}"
    );
    for kind in ["tcp", "udp", "persist"] {
        let short = run.read(format!("{kind}.short"));
        assert_eq!(
            run.read(format!("{kind}.short.rc")).trim(),
            "3",
            "{kind}:\n{short}"
        );
        assert!(short.contains("weight 0, was "), "{kind}:\n{short}");
        assert!(
            short.contains("left at weight 0 (the wait is over)"),
            "{kind}:\n{short}"
        );
        let server = run.read(format!("{kind}.after-short"));
        let name = match kind {
            "tcp" => "10.20.0.1:80",
            "udp" => "10.20.0.1:53",
            _ => "10.20.0.1:81",
        };
        assert_eq!(
            weight(&server, name).as_deref(),
            Some("0"),
            "{kind}:\n{server}"
        );
        let long = run.read(format!("{kind}.long"));
        assert_eq!(
            run.read(format!("{kind}.long.rc")).trim(),
            "0",
            "{kind}:\n{long}"
        );
        assert!(long.contains("weight already 0"), "{kind}:\n{long}");
        assert!(long.contains("no connection left; "), "{kind}:\n{long}");
        let after = run.read(format!("{kind}.after"));
        assert!(
            server_line(&after, name).is_none(),
            "{kind}: not deleted\n{after}"
        );
    }
    // The TCP drain ended only after the client closed.
    let (closed, drained) = (
        seconds(&run.read("tcp.closed")),
        seconds(&run.read("tcp.drained")),
    );
    assert!(drained > closed, "drained at {drained}, closed at {closed}");
    assert!(run
        .read("tcp.long")
        .contains("1 connection left (1 active, 0 inactive, 0 persistence templates)"));
    let udp = run.read("udp.short");
    assert!(
        udp.contains("3 connections left (0 active, 3 inactive, 0 persistence templates)"),
        "{udp}"
    );
    let waited = seconds(&run.read("udp.drained")) - seconds(&run.read("udp.sent"));
    assert!(
        waited >= 7.0,
        "UDP entries last 8 s; the drain took {waited} s"
    );
    // The template outlived the connection, and the drain waited for it.
    let persist = run.read("persist.long");
    assert!(
        persist.contains("1 connection left (0 active, 0 inactive, 1 persistence template)"),
        "{persist}"
    );
    assert_eq!(run.read("int.rc").trim(), "130");
    assert_eq!(
        run.read("int.err").trim(),
        "ipvsadm-rs: interrupted by signal 2; -t 10.10.0.100:82 -r 10.20.0.1:82 is left at weight 0 (it was 3)"
    );
    assert_eq!(
        weight(&run.read("int.after"), "10.20.0.1:82").as_deref(),
        Some("0")
    );
}
