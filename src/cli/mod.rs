//! The grammar: argv words and restore-file lines in, typed commands out.
//! One option table ([`options`]), one popt-compatible scanner ([`popt`]),
//! one set of value parsers ([`values`], [`address`]) and one interpretation
//! ([`parse`]) serve both the command line and every `-R` line. Pure: no
//! I/O, no threads, no clocks.

pub(crate) mod address;
pub(crate) mod command;
pub(crate) mod completion;
pub(crate) mod help;
pub(crate) mod options;
pub(crate) mod parse;
pub(crate) mod personality;
pub(crate) mod popt;
pub(crate) mod restore;
pub(crate) mod values;

pub use command::{Command, ListFormat, ListTarget, Parsed, RestoreMode};
pub use parse::parse_command_line;
