//! The `ipvsadm-rs` command as a function, for the binary: argv words in,
//! listings on the given output, an exit status or a typed error out. The
//! binary reads its environment into [`Settings`], prints errors and exits.

use crate::cli::global::take_global_options;
use crate::cli::help::KernelReport;
use crate::cli::parse::{help_or_version, is_restore};
use crate::cli::{help, parse_command_line, Parsed};
use crate::error::{ipvs_strerror, Error};
use crate::kernel::features;
use crate::kernel::{connect, Netns, Settings};
pub use crate::print::OutputStyle;
use crate::restore::RestoreInput;
use std::io::Write;

pub use crate::cli::personality::{admin_program, wrapped_words, Personality};
pub use crate::sys::{allocate_in_large_steps, end_by_broken_pipe};

/// Run the command line `words` (argv without `argv[0]`); `program` is the
/// name messages use. Listings and help go to `out`, shown as `style` says.
pub fn run(
    program: &str,
    words: &[String],
    (settings, style): (&Settings, OutputStyle),
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let global = take_global_options(words)?;
    let words = &global.words;
    let settings = &Settings {
        netns: global.netns.as_deref().map(Netns::new),
        ..settings.clone()
    };
    // Under its own name, help and the version need neither IPVS nor
    // root, as users expect of any command. Under the name ipvsadm,
    // ipvsadm's order stays: IPVS is set up first, and a failure ends it.
    if !speaks_as_ipvsadm(program) {
        match help_or_version(words) {
            Some(Parsed::Help) => return written(out, help::usage(program)),
            Some(Parsed::Version) => {
                return written(out, help::version_report(&kernel_report(settings)))
            }
            _ => {}
        }
    }
    // A big restore file starts being read and parsed now, by a second
    // thread, while this one connects. Nothing of it shows before the
    // command line has been read in full.
    let restore_input = is_restore(words).then(|| RestoreInput::stdin(program));
    // ipvsadm initialises IPVS before it reads a single option: without
    // IPVS, or without privilege, every command line (under the name
    // ipvsadm even -h and -v; a wrong one too) gets the initialisation
    // failure and status 2.
    let (mut ipvs, info) = connect(settings)?;
    match parse_command_line(program, words)? {
        Parsed::Help => written(out, help::usage(program)),
        Parsed::Version => written(out, format!("{}\n", help::version_line())),
        Parsed::Run(command) => crate::exec::execute(
            (&mut ipvs, info),
            program,
            &command,
            restore_input.unwrap_or(RestoreInput::Stream),
            (out, style),
        ),
    }
}

/// `text` on `out`; status 0.
fn written(out: &mut dyn Write, text: String) -> Result<u8, Error> {
    out.write_all(text.as_bytes())
        .map(|()| 0)
        .map_err(Error::output)
}

/// Whether the command runs under ipvsadm's own name (a link), where
/// every behaviour is ipvsadm's.
fn speaks_as_ipvsadm(program: &str) -> bool {
    program.rsplit('/').next() == Some("ipvsadm")
}

/// The running kernel, as `-v` reports it: IPVS is set up to ask it.
fn kernel_report(settings: &Settings) -> KernelReport {
    let release = features::release();
    let schedulers = release
        .as_deref()
        .map(features::available_schedulers)
        .unwrap_or_default();
    let ipvs = match connect(settings) {
        Ok((_, info)) => Ok(info),
        Err(Error::Init { errno }) => Err(ipvs_strerror(None, errno)),
        Err(other) => Err(other.to_string()),
    };
    // Only a kernel with IPVS can show its features.
    let features = match &ipvs {
        Ok(_) => features::probe(settings),
        Err(_) => Err("IPVS unavailable".into()),
    };
    KernelReport {
        release,
        ipvs,
        schedulers,
        features,
    }
}

/// The shell completions of the command, generated from its option table
/// (packagers and `cargo run --example completions` write them out).
pub use crate::cli::completion::{
    file_name as completion_file_name, script as completion_script, Shell,
};
