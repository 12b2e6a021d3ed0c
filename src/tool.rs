//! The `ipvsadm-rs` command as a function, for the binary: argv words in,
//! listings on the given output, an exit status or a typed error out. The
//! binary reads its environment into [`Settings`], prints errors and exits.

use crate::cli::global::take_global_options;
use crate::cli::parse::is_restore;
use crate::cli::{help, parse_command_line, Parsed};
use crate::error::Error;
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
    // A big restore file starts being read and parsed now, by a second
    // thread, while this one connects. Nothing of it shows before the
    // command line has been read in full.
    let restore_input = is_restore(words).then(|| RestoreInput::stdin(program));
    // ipvsadm initialises IPVS before it reads a single option: without
    // IPVS, or without privilege, every command line (even -h, -v or a
    // wrong one) gets the initialisation failure and status 2.
    let (mut ipvs, info) = connect(settings)?;
    let written = |result: std::io::Result<()>| result.map(|()| 0).map_err(Error::output);
    match parse_command_line(program, words)? {
        Parsed::Help => written(out.write_all(help::usage(program).as_bytes())),
        Parsed::Version => written(writeln!(out, "{}", help::version_line())),
        Parsed::Run(command) => crate::exec::execute(
            (&mut ipvs, info),
            program,
            &command,
            restore_input.unwrap_or(RestoreInput::Stream),
            (out, style),
        ),
    }
}

/// The shell completions of the command, generated from its option table
/// (packagers and `cargo run --example completions` write them out).
pub use crate::cli::completion::{
    file_name as completion_file_name, script as completion_script, Shell,
};
