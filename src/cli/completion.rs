//! Shell completions (bash, zsh, fish) generated from the option table the
//! parser uses, through clap_complete: the table is turned into a clap
//! command only to describe it, never to parse with it.

use super::options::{ArgKind, OptionSpec, OPTIONS};
use clap::{Arg, ArgAction, Command};
pub use clap_complete::Shell;

/// Values a completion can offer for an option's argument.
fn choices(spec: &OptionSpec) -> Option<&'static [&'static str]> {
    Some(match spec.long {
        "scheduler" => &[
            "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh",
        ],
        "start-daemon" | "stop-daemon" => &["master", "backup"],
        "tun-type" => &["ipip", "gue", "gre"],
        "pe" => &["sip"],
        _ => return None,
    })
}

/// The description column of a `--help` entry: what follows the last run
/// of two or more blanks on each line, lines joined.
pub(crate) fn description(help: &str) -> String {
    help.lines()
        .filter_map(|line| line.trim_end().rsplit_once("  ").map(|(_, d)| d.trim()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn argument(spec: &OptionSpec) -> Arg {
    let mut arg = Arg::new(spec.long).long(spec.long);
    if let Some(letter) = spec.short {
        arg = arg.short(letter);
    }
    // `-l` is a second table entry for `--list`.
    if spec.long == "list" {
        arg = arg.short_alias('l');
    }
    if let Some((_, help)) = spec.help {
        arg = arg.help(description(help));
    }
    arg = match spec.arg {
        ArgKind::None => arg.action(ArgAction::SetTrue),
        ArgKind::Required => arg.num_args(1),
        ArgKind::Optional => arg.num_args(0..=1),
    };
    if let Some(name) = spec.value_name {
        arg = arg.value_name(name);
    }
    if let Some(values) = choices(spec) {
        arg = arg.value_parser(values.to_vec());
    }
    arg
}

/// The option table as a clap command named `bin`.
pub(crate) fn command(bin: &'static str) -> Command {
    let mut command = Command::new(bin)
        .about("Linux Virtual Server administration (ipvsadm-compatible)")
        .disable_help_flag(true)
        .disable_version_flag(true);
    for spec in OPTIONS {
        if spec.long == "list" && spec.short == Some('l') {
            continue;
        }
        command = command.arg(argument(spec));
    }
    command
}

/// The completion script for `shell`, completing the program `bin`.
pub fn script(shell: Shell, bin: &'static str) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command(bin), bin, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The file name each shell looks for.
pub fn file_name(shell: Shell, bin: &str) -> String {
    match shell {
        Shell::Zsh => format!("_{bin}"),
        Shell::Fish => format!("{bin}.fish"),
        _ => bin.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_come_from_the_help_column() {
        assert_eq!(
            description("  --add-service     -A        add virtual service with options"),
            "add virtual service with options"
        );
        assert_eq!(
            description("  --scheduler    -s scheduler         one of rr|wrr|lc,\n                                      the default scheduler is wlc."),
            "one of rr|wrr|lc, the default scheduler is wlc."
        );
    }

    #[test]
    fn every_spelling_is_described() {
        let command = command("ipvsadm-rs");
        command.clone().debug_assert();
        for spec in OPTIONS {
            let arg = command
                .get_arguments()
                .find(|a| a.get_long() == Some(spec.long))
                .unwrap_or_else(|| panic!("--{} missing", spec.long));
            if let Some(letter) = spec.short {
                let shorts = arg.get_short_and_visible_aliases().unwrap_or_default();
                let hidden = arg.get_all_short_aliases().unwrap_or_default();
                assert!(
                    shorts.contains(&letter) || hidden.contains(&letter),
                    "-{letter}"
                );
            }
        }
    }
}
