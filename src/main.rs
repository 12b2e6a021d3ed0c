//! The `ipvsadm-rs` binary: read the environment and argv, run the
//! command, print what failed, exit with ipvsadm's status. anyhow stops
//! here; everything user-visible is a typed `Error`.

use ipvsadm_rs::error::Error;
use ipvsadm_rs::kernel::{ListSource, Settings};
use ipvsadm_rs::tool::{self, admin_program, wrapped_words, OutputStyle, Personality};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// The environment, read once: where to trace netlink datagrams, and
/// where listings read real servers (`IPVSADM_RS_LIST_SOURCE=netlink`,
/// `requests` or `proc`, to compare the paths; unset: the cheapest).
fn settings() -> Settings {
    Settings {
        trace: std::env::var_os("IPVSADM_RS_NETLINK_TRACE").map(Into::into),
        list_source: match std::env::var("IPVSADM_RS_LIST_SOURCE").as_deref() {
            Ok("netlink") => ListSource::Netlink,
            Ok("requests") => ListSource::Requests,
            Ok("proc") => ListSource::ProcText,
            _ => ListSource::Cheapest,
        },
        // From argv (`--netns`), not the environment: see tool::run.
        netns: None,
    }
}

/// How standard output is shown: a terminal gets progress lines that
/// update in place, and colour unless `NO_COLOR` is set (no-color.org).
fn output_style() -> OutputStyle {
    let terminal = std::io::stdout().is_terminal();
    OutputStyle {
        terminal,
        colour: terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

fn run(program: &str, words: &[String]) -> anyhow::Result<u8> {
    let style = output_style();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = tool::run(program, words, (&settings(), style), &mut out);
    // Whatever was listed before a failure still goes out first; a reader
    // that went away ends the process as it ends ipvsadm.
    if let Err(e) = out.flush() {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            tool::end_by_broken_pipe();
        }
    }
    Ok(result?)
}

fn main() -> ExitCode {
    // Big listings and restores allocate tens of megabytes in a burst.
    tool::allocate_in_large_steps();
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let argv0 = args.first().map_or("ipvsadm-rs", String::as_str);
    let personality = Personality::of(argv0);
    let words = match wrapped_words(personality, argv0, args.get(1..).unwrap_or(&[])) {
        Ok(words) => words,
        Err(usage) => {
            eprint!("{usage}");
            return ExitCode::from(1);
        }
    };
    // Messages name argv[0] as given, as ipvsadm's do; a wrapper's name
    // the admin tool it runs.
    let program = match personality {
        Personality::Admin => argv0,
        _ => admin_program(argv0),
    };
    match run(program, &words) {
        Ok(code) => ExitCode::from(code),
        Err(err) => match err.downcast_ref::<Error>() {
            Some(Error::BrokenPipe) => tool::end_by_broken_pipe(),
            // A listing inside a restore lost its reader and undoing the
            // restore failed in part: those failures first, then the end
            // ipvsadm meets, killed by SIGPIPE.
            Some(Error::Several { problems, .. })
                if matches!(problems.last(), Some(Error::BrokenPipe)) =>
            {
                for problem in &problems[..problems.len() - 1] {
                    eprintln!("{problem}");
                }
                tool::end_by_broken_pipe()
            }
            Some(Error::Silent { status }) => ExitCode::from(*status),
            Some(typed) => {
                eprintln!("{typed}");
                ExitCode::from(typed.exit_status())
            }
            None => {
                eprintln!("{program}: {err:#}");
                ExitCode::from(1)
            }
        },
    }
}
