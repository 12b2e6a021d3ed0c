//! man/ipvsadm-rs.8 against the option table: every spelling the CLI
//! accepts is documented, every documented option exists, and the page
//! renders without warnings.

use ipvsadm_rs::cli::options::OPTIONS;
use std::collections::BTreeSet;

const PAGE: &str = include_str!("../man/ipvsadm-rs.8");

/// Options in roff spelling (`\-\-name`, `\-X`) on the item lines after `.TP`/`.TQ`.
fn documented() -> (BTreeSet<String>, BTreeSet<char>) {
    let (mut long, mut short) = (BTreeSet::new(), BTreeSet::new());
    let lines: Vec<&str> = PAGE.lines().collect();
    for pair in lines.windows(2) {
        if !(pair[0] == ".TP" || pair[0] == ".TQ") {
            continue;
        }
        let item = pair[1].replace("\\-", "-");
        for word in item.split(|c: char| c.is_whitespace() || c == '"' || c == ',') {
            let word = word.trim_start_matches("\\fB").trim_end_matches("\\fR");
            if let Some(name) = word.strip_prefix("--") {
                long.insert(name.to_string());
            } else if let Some(rest) = word.strip_prefix('-') {
                if rest.len() == 1 {
                    short.insert(rest.chars().next().unwrap());
                }
            }
        }
    }
    (long, short)
}

#[test]
fn every_option_is_documented_and_every_documented_option_exists() {
    let (long, short) = documented();
    let table_long: BTreeSet<String> = OPTIONS.iter().map(|o| o.long.to_string()).collect();
    let table_short: BTreeSet<char> = OPTIONS.iter().filter_map(|o| o.short).collect();
    let undocumented: Vec<_> = table_long.difference(&long).collect();
    assert!(
        undocumented.is_empty(),
        "not in the man page: {undocumented:?}"
    );
    let unknown: Vec<_> = long.difference(&table_long).collect();
    assert!(
        unknown.is_empty(),
        "documented but not accepted: {unknown:?}"
    );
    assert_eq!(
        short, table_short,
        "short options differ between the page and the table"
    );
}

#[test]
fn page_renders_without_warnings() {
    let out = std::process::Command::new("groff")
        .args(["-man", "-ww", "-z"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/man/ipvsadm-rs.8"))
        .output()
        .expect("groff (Debian package groff-base) runs");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn the_json_schema_names_every_model_field() {
    // Field names that --json prints must be documented.
    for field in [
        "ipvs",
        "conn_tab_size",
        "services",
        "timeouts",
        "daemons",
        "connections",
        "key",
        "scheduler",
        "flags",
        "timeout",
        "netmask",
        "pe_name",
        "real_servers",
        "forward",
        "weight",
        "u_threshold",
        "l_threshold",
        "tunnel",
        "active_conns",
        "inactive_conns",
        "persist_conns",
        "inbytes",
        "outbps",
        "mcast_ifn",
        "expires",
    ] {
        assert!(
            PAGE.contains(&format!("\\fB{field}\\fR")),
            "{field} is not documented"
        );
    }
}
