//! The grammar: argv words and restore-file lines in, typed commands out.
//! One option table (`options`), one popt-compatible scanner (`popt`),
//! one set of value parsers (`values`, `address`) and one interpretation
//! (`parse`) serve both the command line and every `-R` line. No file
//! I/O, no threads, no clocks; the one outside call is ipvsadm's own: host
//! and port names resolve through the C library (`sys`) as they are read.

pub(crate) mod address;
pub(crate) mod command;
pub(crate) mod completion;
pub mod global;
pub(crate) mod help;
pub(crate) mod options;
pub(crate) mod parse;
pub(crate) mod personality;
pub(crate) mod popt;
pub(crate) mod restore;
pub(crate) mod values;

pub use command::{Command, ListFormat, ListTarget, Metrics, Parsed, RestoreMode};
pub use parse::parse_command_line;
