//! One binary, several names (as busybox does). `ipvsadm-rs`, and an
//! `ipvsadm` link to it, are the admin tool. `ipvsadm-rs-save` and
//! `ipvsadm-rs-restore` (and `ipvsadm-save`/`ipvsadm-restore` links) stand
//! in for ipvsadm's wrapper scripts: they turn their own arguments into an
//! admin command line, which then goes through the one grammar.

/// Which tool `argv[0]` names: ipvsadm itself or one of its wrapper scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personality {
    /// `ipvsadm`, `ipvsadm-rs`
    Admin,
    /// `ipvsadm-save [-n]`
    Save,
    /// `ipvsadm-restore`, but replacing the table atomically instead of
    /// flushing it first
    Restore,
}

fn basename(argv0: &str) -> &str {
    argv0.rsplit('/').next().unwrap_or(argv0)
}

impl Personality {
    /// The tool `argv0` names.
    pub fn of(argv0: &str) -> Personality {
        match basename(argv0) {
            "ipvsadm-rs-save" | "ipvsadm-save" => Personality::Save,
            "ipvsadm-rs-restore" | "ipvsadm-restore" => Personality::Restore,
            _ => Personality::Admin,
        }
    }
}

/// The admin tool's name in a wrapper's messages: the scripts run
/// `ipvsadm`, ours run `ipvsadm-rs`.
pub fn admin_program(argv0: &str) -> &'static str {
    if basename(argv0).starts_with("ipvsadm-rs") {
        "ipvsadm-rs"
    } else {
        "ipvsadm"
    }
}

/// The admin command line a wrapper runs, or the usage text it prints to
/// stderr before exiting with status 1 (the save script's `help`).
pub fn wrapped_words(
    personality: Personality,
    argv0: &str,
    args: &[String],
) -> Result<Vec<String>, String> {
    let words: &[&str] = match personality {
        Personality::Admin => return Ok(args.to_vec()),
        // The script loops over every argument: `-n` sets numeric output,
        // any other word starting with `-` (a lone `-` too) is a usage
        // error, and other words are ignored.
        Personality::Save => {
            let mut numeric = false;
            for arg in args {
                if arg == "-n" {
                    numeric = true;
                } else if arg.starts_with('-') {
                    return Err(format!(
                        "{}: Script to save the IPVS table to stdout.\n   With the -n option, prints out the table in numeric format.\n",
                        basename(argv0)
                    ));
                }
            }
            if numeric {
                &["-S", "-n"]
            } else {
                &["-S"]
            }
        }
        // ipvsadm-restore ignores its arguments.
        Personality::Restore => &["--restore", "--replace"],
    };
    Ok(words.iter().map(|w| w.to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(argv0: &str, args: &[&str]) -> Result<Vec<String>, String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        wrapped_words(Personality::of(argv0), argv0, &args)
    }

    #[test]
    fn names_select_the_personality() {
        use Personality::*;
        for (argv0, personality) in [
            ("ipvsadm-rs", Admin),
            ("/sbin/ipvsadm", Admin),
            ("/usr/sbin/ipvsadm-rs-save", Save),
            ("ipvsadm-save", Save),
            ("./ipvsadm-rs-restore", Restore),
            ("ipvsadm-restore", Restore),
        ] {
            assert_eq!(Personality::of(argv0), personality, "{argv0}");
        }
        assert_eq!(admin_program("/usr/sbin/ipvsadm-rs-save"), "ipvsadm-rs");
        assert_eq!(admin_program("/sbin/ipvsadm-restore"), "ipvsadm");
    }

    #[test]
    fn wrappers_become_admin_command_lines() {
        assert_eq!(words("ipvsadm-rs-save", &[]).unwrap(), ["-S"]);
        assert_eq!(words("ipvsadm-rs-save", &["-n"]).unwrap(), ["-S", "-n"]);
        assert_eq!(
            words("ipvsadm-save", &["x", "-n", "y"]).unwrap(),
            ["-S", "-n"]
        );
        let usage = words("/usr/sbin/ipvsadm-rs-save", &["-n", "-x"]).unwrap_err();
        assert!(
            usage.starts_with("ipvsadm-rs-save: Script to save"),
            "{usage}"
        );
        assert!(words("ipvsadm-save", &["-"]).is_err());
        assert_eq!(
            words("ipvsadm-rs-restore", &["-n", "anything"]).unwrap(),
            ["--restore", "--replace"]
        );
        assert_eq!(words("ipvsadm-rs", &["-Ln"]).unwrap(), ["-Ln"]);
    }
}
