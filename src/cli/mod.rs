//! The grammar: argv words and restore-file lines in, typed commands out.
//! One option table ([`options`]), one popt-compatible scanner ([`popt`]),
//! one set of value parsers ([`values`], [`address`]) and one interpretation
//! ([`parse`]) serve both the command line and every `-R` line.

pub mod address;
pub mod command;
pub mod completion;
pub mod help;
pub mod options;
pub mod parse;
pub mod personality;
pub mod popt;
pub mod restore;
pub mod restore_file;
pub mod values;

pub use command::{Command, ListFormat, ListTarget, Parsed, RestoreMode};
pub use parse::parse_command_line;
