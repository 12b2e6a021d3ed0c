//! The feature suites, compiled into the library's test binary (see
//! src/lib.rs): each checks one feature through the library's internals.

#[path = "alerts.rs"]
mod alerts;
#[path = "completions.rs"]
mod completions;
#[path = "fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "grammar.rs"]
mod grammar;
#[path = "hostile.rs"]
mod hostile;
#[path = "man_page.rs"]
mod man_page;
#[path = "netlink_golden.rs"]
mod netlink_golden;
#[path = "printer_golden.rs"]
mod printer_golden;
#[path = "properties.rs"]
mod properties;

/// Whether a program a check runs (groff, man, zsh, fish, promtool) is
/// installed.
/// `tests/run.sh` installs them all and sets `IPVSADM_RS_ALL_TOOLS`, which
/// makes a missing one a failure; a plain `cargo test` on a machine without
/// one skips the checks that need it, and says so.
fn tool_installed(program: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        let required = std::env::var_os("IPVSADM_RS_ALL_TOOLS").is_some();
        assert!(!required, "{program} is not installed");
        eprintln!("skipped: {program} is not installed (tests/run.sh installs it)");
    }
    found
}
