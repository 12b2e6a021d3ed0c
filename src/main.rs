//! The `ipvsadm-rs` binary: read argv, run the command, exit with ipvsadm's
//! status. anyhow stops here; everything user-visible is a typed `Error`.

use ipvsadm_rs::cli::parse::is_restore;
use ipvsadm_rs::cli::personality::{admin_program, wrapped_words, Personality};
use ipvsadm_rs::cli::restore_file::RestoreInput;
use ipvsadm_rs::cli::{help, parse_command_line, Parsed};
use ipvsadm_rs::error::Error;
use ipvsadm_rs::exec::{connect, execute};
use std::io::Write;
use std::process::ExitCode;

fn run(program: &str, words: &[String]) -> anyhow::Result<ExitCode> {
    // A big restore file starts being read and parsed now, by a second
    // thread, while this one connects. Nothing of it shows before the
    // command line has been read in full.
    let restore_input = is_restore(words).then(|| RestoreInput::stdin(program));
    // ipvsadm initialises IPVS before it reads a single option: without
    // IPVS, or without privilege, every command line (even -h, -v or a
    // wrong one) gets the initialisation failure and status 2.
    let (mut ipvs, info) = connect()?;
    match parse_command_line(program, words)? {
        Parsed::Help => {
            std::io::stdout().write_all(help::usage(program).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Parsed::Version => {
            println!("{}", help::version_line());
            Ok(ExitCode::SUCCESS)
        }
        Parsed::Run(command) => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let result = execute(
                (&mut ipvs, info),
                program,
                &command,
                restore_input.unwrap_or(RestoreInput::Stream),
                &mut out,
            );
            // Whatever was listed before a failure still goes out first.
            if let Err(e) = out.flush() {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    ipvsadm_rs::sys::end_by_broken_pipe();
                }
            }
            Ok(ExitCode::from(result?))
        }
    }
}

fn main() -> ExitCode {
    // Big listings and restores allocate tens of megabytes in a burst.
    ipvsadm_rs::sys::allocate_in_large_steps();
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
        Ok(code) => code,
        Err(err) => match err.downcast_ref::<Error>() {
            Some(Error::BrokenPipe) => ipvsadm_rs::sys::end_by_broken_pipe(),
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
