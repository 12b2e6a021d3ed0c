//! `-h` and `-v`: ipvsadm's usage text and layout, built from the option
//! table, with ipvsadm-rs's own version line and new options in their place.

use super::options::{HelpSection, OPTIONS};
use std::fmt::Write;

/// The version line (`-v`, and the first line of `-h`).
pub(crate) fn version_line() -> String {
    format!(
        "ipvsadm-rs v{} (compatible with ipvsadm v1.31 2019/12/24, IPVS v1.2.1)",
        env!("CARGO_PKG_VERSION")
    )
}

const USAGE: &[&str] = &[
    "-A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]",
    "-D virtual-service",
    "-C",
    "-R [--check] [--replace [--diff [--json]]]",
    "-S [-n] [--full]",
    "-a|e virtual-service -r server-address [options]",
    "-d virtual-service -r server-address",
    "--drain-server virtual-service -r server-address [--wait seconds]",
    "-L|l [virtual-service] [options]",
    "-Z [virtual-service]",
    "--set tcp tcpfin udp",
    "--start-daemon {master|backup} [daemon-options]",
    "--stop-daemon {master|backup}",
    "-h",
];

fn section(out: &mut String, which: HelpSection) {
    for (_, text) in OPTIONS
        .iter()
        .filter_map(|o| o.help)
        .filter(|(s, _)| *s == which)
    {
        out.push_str(text);
        out.push('\n');
    }
}

/// The full `-h` text; `program` is `argv[0]` as given.
pub(crate) fn usage(program: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", version_line());
    out.push_str("Usage:\n");
    for line in USAGE {
        let _ = writeln!(out, "  {program} {line}");
    }
    out.push_str("\nCommands:\nEither long or short options are allowed.\n");
    section(&mut out, HelpSection::Commands);
    out.push_str("\nvirtual-service:\n");
    section(&mut out, HelpSection::VirtualService);
    out.push_str("\nOptions:\n");
    section(&mut out, HelpSection::Options);
    // ipvsadm has no blank line before this heading.
    out.push_str("Daemon Options:\n");
    section(&mut out, HelpSection::DaemonOptions);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our usage text minus what ipvsadm-rs adds must be ipvsadm's, byte for byte.
    #[test]
    fn usage_is_ipvsadms_plus_the_new_options() {
        let golden = include_str!("../../tests/golden/ipvsadm-help.txt");
        let ours = usage("ipvsadm");
        let mut lines: Vec<&str> = ours.lines().collect();
        assert_eq!(lines[0], version_line());
        lines[0] = "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)";
        let new_options = [
            "--orphans",
            "--json",
            "--check",
            "--replace",
            "--diff",
            "--full",
            "--wait",
            "--drain-server",
            "--prometheus",
            "--netns",
        ];
        let mut kept = Vec::new();
        let mut skipping_continuation = false;
        for line in lines {
            let is_new = new_options
                .iter()
                .any(|o| line.starts_with(&format!("  {o} ")));
            if is_new || (skipping_continuation && line.starts_with("          ")) {
                skipping_continuation = true;
                continue;
            }
            skipping_continuation = false;
            if line.contains(" --drain-server ") {
                continue;
            }
            kept.push(
                line.replace(" [--check] [--replace [--diff [--json]]]", "")
                    .replace(" [--full]", ""),
            );
        }
        let expected: Vec<&str> = golden.lines().collect();
        assert_eq!(kept, expected);
        assert!(ours.ends_with("Multicast TTL (default=1)\n"));
    }

    #[test]
    fn program_name_comes_from_argv0() {
        assert!(usage("/usr/sbin/ipvsadm-rs").contains("\n  /usr/sbin/ipvsadm-rs -C\n"));
    }
}
