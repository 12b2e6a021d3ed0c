//! `-h` and `-v`: ipvsadm's usage text and layout, built from the option
//! table, with ipvsadm-rs's own version line and new options in their place.

use super::options::{HelpSection, OPTIONS};
use crate::model::TunnelType;
use std::fmt::Write;

/// The version line (`-v`, and the first line of `-h`).
pub(crate) fn version_line() -> String {
    format!(
        "ipvsadm-rs v{} (compatible with ipvsadm v1.31 2019/12/24, IPVS v1.2.1)",
        env!("CARGO_PKG_VERSION")
    )
}

/// What `ipvsadm-rs -v` says of the running kernel: its release, IPVS as it
/// answered (or why it could not be reached), the schedulers its module
/// index has, and the optional features its answers show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KernelReport {
    /// `uname -r`
    pub(crate) release: Option<String>,
    /// IPVS's version and connection table size, or why IPVS is unavailable
    pub(crate) ipvs: Result<crate::model::Info, String>,
    /// scheduler names, sorted
    pub(crate) schedulers: Vec<String>,
    /// the optional features the kernel's answers show, or why they could
    /// not be asked
    pub(crate) features: Result<crate::kernel::features::Probed, String>,
}

/// `ipvsadm-rs -v`: the version line, then the kernel's report.
pub(crate) fn version_report(report: &KernelReport) -> String {
    let release = report.release.as_deref().unwrap_or("(unknown release)");
    let ipvs = match &report.ipvs {
        Ok(info) => format!(
            "IPVS {}.{}.{} (connection table {} entries)",
            info.version >> 16,
            (info.version >> 8) & 0xff,
            info.version & 0xff,
            info.conn_tab_size
        ),
        Err(why) => format!("IPVS unavailable: {why}"),
    };
    let schedulers = match report.schedulers.as_slice() {
        [] => "(none found in the module index)".to_string(),
        names => names.join(" "),
    };
    format!(
        "{}\nkernel: Linux {release}, {ipvs}\nschedulers: {schedulers}\nfeatures: {}\n",
        version_line(),
        features_text(&report.features)
    )
}

/// The `features:` line's value.
fn features_text(features: &Result<crate::kernel::features::Probed, String>) -> String {
    let probed = match features {
        Ok(probed) => probed,
        Err(why) => return format!("not probed ({why})"),
    };
    let counters = if probed.counters_64bit {
        "64-bit counters"
    } else {
        "32-bit counters"
    };
    let tunnels: Vec<String> = probed
        .tunnel_types
        .iter()
        .map(|t| match t {
            TunnelType::Ipip => "ipip".to_string(),
            TunnelType::Gue => "gue".to_string(),
            TunnelType::Gre => "gre".to_string(),
            TunnelType::Other(raw) => format!("type {raw}"),
        })
        .collect();
    if tunnels.is_empty() {
        return format!("{counters}, tunnel types unknown (no tunnelled real server was taken)");
    }
    format!("{counters}, tunnel types {}", tunnels.join(" "))
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
    fn the_version_report_names_the_kernel_and_what_it_offers() {
        let mut report = KernelReport {
            release: Some("6.12.118+deb12-amd64".into()),
            ipvs: Ok(crate::model::Info {
                version: 0x010201,
                conn_tab_size: 4096,
            }),
            schedulers: vec!["mh".into(), "rr".into(), "twos".into()],
            features: Ok(crate::kernel::features::Probed {
                counters_64bit: true,
                tunnel_types: vec![TunnelType::Ipip, TunnelType::Gue, TunnelType::Gre],
            }),
        };
        let text = version_report(&report);
        assert_eq!(
            text,
            format!(
                "{}\nkernel: Linux 6.12.118+deb12-amd64, IPVS 1.2.1 (connection table 4096 entries)\nschedulers: mh rr twos\nfeatures: 64-bit counters, tunnel types ipip gue gre\n",
                version_line()
            )
        );
        report.features = Ok(crate::kernel::features::Probed {
            counters_64bit: false,
            tunnel_types: vec![TunnelType::Ipip, TunnelType::Other(7)],
        });
        assert!(version_report(&report)
            .ends_with("features: 32-bit counters, tunnel types ipip type 7\n"));
        report.features = Ok(crate::kernel::features::Probed {
            counters_64bit: true,
            tunnel_types: vec![],
        });
        assert!(version_report(&report).ends_with(
            "features: 64-bit counters, tunnel types unknown (no tunnelled real server was taken)\n"
        ));
        report.ipvs = Err("Permission denied (you must be root)".into());
        report.schedulers.clear();
        report.features = Err("IPVS unavailable".into());
        assert!(version_report(&report).ends_with(
            "IPVS unavailable: Permission denied (you must be root)\nschedulers: (none found in the module index)\nfeatures: not probed (IPVS unavailable)\n"
        ));
    }

    #[test]
    fn program_name_comes_from_argv0() {
        assert!(usage("/usr/sbin/ipvsadm-rs").contains("\n  /usr/sbin/ipvsadm-rs -C\n"));
    }
}
