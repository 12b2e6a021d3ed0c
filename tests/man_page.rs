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

const PAGES: [&str; 3] = ["ipvsadm-rs.8", "ipvsadm-rs-save.8", "ipvsadm-rs-restore.8"];

fn page_path(name: &str) -> String {
    format!("{}/man/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn pages_render_without_warnings() {
    if !super::tool_installed("groff") || !super::tool_installed("man") {
        return;
    }
    for name in PAGES {
        let out = std::process::Command::new("groff")
            .args(["-man", "-ww", "-z"])
            .arg(page_path(name))
            .output()
            .expect("groff (Debian package groff-base) runs");
        assert!(out.status.success(), "{name}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{name}");
        // and as an admin reads it: `man -l`, formatted to text
        let out = std::process::Command::new("man")
            .args(["-l", "--warnings=w", "-Tutf8"])
            .arg(page_path(name))
            .env("MANWIDTH", "80")
            .output()
            .expect("man (Debian package man-db) runs");
        assert!(out.status.success(), "man -l {name}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "man -l {name}");
        assert!(
            out.stdout.len() > 500,
            "man -l {name} printed almost nothing"
        );
    }
}

/// The section of a page under each `.SH`.
fn sections(page: &str) -> Vec<String> {
    page.lines()
        .filter_map(|l| l.strip_prefix(".SH "))
        .map(|s| s.trim_matches('"').to_string())
        .collect()
}

#[test]
fn pages_follow_ipvsadms_structure() {
    let main = sections(PAGE);
    for wanted in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "COMMANDS",
        "PARAMETERS",
        "ORPHANS",
        "JSON",
        "RESTORE",
        "EXIT STATUS",
        "EXAMPLES",
        "FILES",
        "SEE ALSO",
    ] {
        assert!(
            main.iter().any(|s| s == wanted),
            "ipvsadm-rs.8 lacks {wanted}"
        );
    }
    // the examples the issue asks for: the boot-time restore and an orphan check
    let examples = &PAGE[PAGE.find(".SH EXAMPLES").unwrap()..];
    assert!(examples.contains("< /etc/ipvsadm.rules"));
    assert!(examples.contains("\\-\\-orphans"));
    for wrapper in ["ipvsadm-rs-save.8", "ipvsadm-rs-restore.8"] {
        let text = std::fs::read_to_string(page_path(wrapper)).unwrap();
        let found = sections(&text);
        for wanted in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "EXIT STATUS",
            "SEE ALSO",
        ] {
            assert!(
                found.iter().any(|s| s == wanted),
                "{wrapper} lacks {wanted}"
            );
        }
        // each page names the others
        assert!(PAGE.contains(&format!(
            ".BR {} (8)",
            wrapper.trim_end_matches(".8").replace('-', "\\-")
        )));
    }
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
