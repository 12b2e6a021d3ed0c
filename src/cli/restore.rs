//! The lines of a `-R` input, split into words and read by the same grammar
//! as argv. ipvsadm's tokenizer rules: words are separated by blanks, TABs,
//! CR and LF; a word exactly `ipvsadm` is dropped wherever it stands; blank
//! lines are skipped. Unlike ipvsadm, lines whose first word starts with `#`
//! are comments (ipvsadm aborts on them).

use super::command::{Command, Parsed};
#[cfg(test)]
use super::parse::parse_command_line;
use super::parse::parse_words;
use super::values::each_restore_line;
use crate::error::Error;

/// One non-blank, non-comment line of a restore input and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RestoreLine {
    /// 1-based line number in the input
    pub(crate) number: usize,
    pub(crate) parsed: Result<Command, Error>,
}

/// The restore input as text. ipvsadm reads bytes; here every line must be
/// UTF-8 without NUL bytes (C would cut a line at a NUL and run what came
/// before it). Otherwise: one error per offending line, naming it, so that
/// nothing is applied.
pub(crate) fn restore_text(input: &[u8]) -> Result<&str, Vec<Error>> {
    if let Ok(text) = std::str::from_utf8(input) {
        if !text.as_bytes().contains(&0) {
            return Ok(text);
        }
    }
    let problems = input
        .split(|&b| b == b'\n')
        .enumerate()
        .filter_map(|(i, line)| {
            let what = match std::str::from_utf8(line) {
                Err(e) => format!(
                    "byte 0x{:02x} at column {} is not UTF-8 text",
                    line[e.valid_up_to()],
                    e.valid_up_to() + 1
                ),
                Ok(text) => format!(
                    "a NUL byte at column {}",
                    text.bytes().position(|b| b == 0)? + 1
                ),
            };
            Some(Error::AtLine {
                line: i + 1,
                error: Box::new(Error::Invalid(what)),
            })
        })
        .collect();
    Err(problems)
}

/// Read every line of a restore input, on this thread. `program` is `argv[0]`.
#[cfg(any(test, fuzzing))]
pub(crate) fn read_restore_input(program: &str, input: &str) -> Vec<RestoreLine> {
    let mut lines = Vec::with_capacity(room_for_lines(input.len()));
    each_line(program, input, &mut |line| lines.push(line));
    lines
}

/// Room for the lines (or the steps) of an input of `len` bytes: lines of
/// 16 bytes and more (`-a -t` lines are three times that), so that a
/// vector of them is seldom copied as it grows; room not written to costs
/// no memory.
pub(crate) fn room_for_lines(len: usize) -> usize {
    len / 16 + 1
}

/// Where the first line that starts at or after the beginning of `bytes`
/// starts: just after its first newline (or at its end).
pub(crate) fn line_start_at(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1)
}

/// Each line of `input` that is not blank or a comment, numbered from 1,
/// to `each`; returns the number of line ends.
pub(crate) fn each_line(program: &str, input: &str, each: &mut impl FnMut(RestoreLine)) -> usize {
    each_restore_line(input, |i, words| {
        words.retain(|w| *w != "ipvsadm");
        if words.is_empty() || words[0].starts_with('#') {
            return;
        }
        each(RestoreLine {
            number: i + 1,
            parsed: parse_restore_words(program, words),
        });
    })
}

/// The problems [`restore_text`] finds in `input`, as printed.
#[cfg(test)]
pub(crate) fn text_problems(input: &[u8]) -> Vec<String> {
    restore_text(input)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// A restore line cannot ask for help, the version, or another restore:
/// ipvsadm answers those with `Try ...` (it would loop on `-R`). Nor can
/// it drain a real server.
fn parse_restore_words(program: &str, words: &[&str]) -> Result<Command, Error> {
    match parse_words(program, words)? {
        Parsed::Run(Command::Restore(_)) | Parsed::Help | Parsed::Version => Err(Error::TryHelp {
            program: program.to_string(),
        }),
        // A drain waits for minutes, on the real kernel's connections: it
        // has no place in an all-or-nothing plan.
        Parsed::Run(Command::DrainServer { .. }) => Err(Error::invalid(
            "The 'drain-server' command is not allowed in a restore input",
        )),
        Parsed::Run(command) => Ok(command),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_grammar_as_argv() {
        let input = "ipvsadm -A -t 1.2.3.4:80 -s rr\r\n\n   \n# a comment\n-a -t 1.2.3.4:80 -r 10.0.0.1 -m -w 2\n-R\n";
        let lines = read_restore_input("ipvsadm", input);
        assert_eq!(
            lines.iter().map(|l| l.number).collect::<Vec<_>>(),
            [1, 5, 6]
        );
        let argv: Vec<String> = ["-A", "-t", "1.2.3.4:80", "-s", "rr"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            Ok(lines[0].parsed.clone().unwrap()),
            match parse_command_line("ipvsadm", &argv) {
                Ok(Parsed::Run(c)) => Ok::<_, Error>(c),
                other => panic!("{other:?}"),
            }
        );
        assert!(matches!(lines[1].parsed, Ok(Command::AddServer { .. })));
        assert_eq!(
            lines[2].parsed,
            Err(Error::TryHelp {
                program: "ipvsadm".into()
            })
        );
    }

    #[test]
    fn lines_with_nul_bytes_or_bytes_that_are_not_utf8_are_named() {
        let input = b"-A -t 1.2.3.4:80\n-A -t 1.2.3.5:80 \xff\xfe\n-C\n-A\0 -t 1.2.3.6:80\n";
        assert_eq!(
            text_problems(input),
            [
                "line 2: byte 0xff at column 18 is not UTF-8 text",
                "line 4: a NUL byte at column 3",
            ]
        );
        assert!(problems_exit(input) == 2);
        assert_eq!(restore_text("-C\n\u{e9}\n".as_bytes()), Ok("-C\n\u{e9}\n"));
    }

    fn problems_exit(input: &[u8]) -> u8 {
        restore_text(input).unwrap_err()[0].exit_status()
    }

    #[test]
    fn ipvsadm_words_are_dropped_anywhere() {
        let lines = read_restore_input("ipvsadm", "-A -t 1.2.3.4:80 -s ipvsadm\n");
        // Read as `-A -t 1.2.3.4:80 -s`: the scheduler is missing.
        let without = ["-A", "-t", "1.2.3.4:80", "-s"];
        assert!(matches!(lines[0].parsed, Err(Error::Popt { .. })));
        assert_eq!(
            lines[0].parsed.clone().err(),
            parse_command_line("ipvsadm", &without).err()
        );
    }
}
