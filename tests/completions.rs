//! The committed completion files are what the option table generates, the
//! shells accept them, and bash offers every long option after `--`.

use ipvsadm_rs::cli::completion::{file_name, script, Shell};
use ipvsadm_rs::cli::options::OPTIONS;
use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/completions");
const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

fn path(shell: Shell) -> String {
    format!("{DIR}/{}", file_name(shell, "ipvsadm-rs"))
}

#[test]
fn committed_completions_are_generated_from_the_option_table() {
    for shell in SHELLS {
        let committed = std::fs::read_to_string(path(shell)).unwrap();
        assert!(
            committed == script(shell, "ipvsadm-rs"),
            "{} is stale: run `cargo run --example completions`",
            path(shell)
        );
    }
}

#[test]
fn shells_accept_the_completion_files() {
    for (shell, program, check) in [
        (Shell::Bash, "bash", "-n"),
        (Shell::Zsh, "zsh", "-n"),
        (Shell::Fish, "fish", "--no-execute"),
    ] {
        if !super::tool_installed(program) {
            continue;
        }
        let out = Command::new(program)
            .args([check, &path(shell)])
            .output()
            .unwrap_or_else(|e| panic!("{program} (tests/run.sh installs it): {e}"));
        assert!(
            out.status.success(),
            "{program} {check}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// What bash's programmable completion offers for `line` (the word being
/// completed is the last one).
fn bash_offers(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split(' ').collect();
    let script = format!(
        // the function the script registers with `complete -F`, called as bash would
        "source {}\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n\
         function=$(complete -p ipvsadm-rs | sed -E 's/.*-F ([^ ]+).*/\\1/')\n\
         \"$function\" ipvsadm-rs '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        path(Shell::Bash),
        words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len().saturating_sub(2)],
    );
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_offers_every_long_option_after_two_dashes() {
    let offered = bash_offers("ipvsadm-rs --");
    for spec in OPTIONS {
        let long = format!("--{}", spec.long);
        assert!(offered.contains(&long), "{long} not offered: {offered:?}");
    }
    assert!(offered.iter().all(|o| o.starts_with("--")), "{offered:?}");
    // and values where the table knows them
    let schedulers = bash_offers("ipvsadm-rs -A -t 10.0.0.1:80 -s w");
    assert_eq!(schedulers, ["wrr", "wlc"]);
}
