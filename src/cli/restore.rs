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
use std::sync::mpsc::{Receiver, Sender};

/// One non-blank, non-comment line of a restore input and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreLine {
    /// 1-based line number in the input
    pub number: usize,
    pub parsed: Result<Command, Error>,
}

/// The restore input as text. ipvsadm reads bytes; here every line must be
/// UTF-8 without NUL bytes (C would cut a line at a NUL and run what came
/// before it). Otherwise: one error per offending line, naming it, so that
/// nothing is applied.
pub fn restore_text(input: &[u8]) -> Result<&str, Vec<Error>> {
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

/// Inputs at least this large are read by two threads: lines are
/// independent, and restores of tens of thousands of lines spend a good
/// part of their time here.
pub const TWO_THREADS_FROM_BYTES: usize = 256 * 1024;

/// Read every line of a restore input. `program` is argv[0].
pub fn read_restore_input(program: &str, input: &str) -> Vec<RestoreLine> {
    let mut lines = Vec::with_capacity(room_for_lines(input.len()));
    each_restore_input_line(program, input, |line| lines.push(line));
    lines
}

/// Room for the lines (or the steps) of an input of `len` bytes: lines of
/// 16 bytes and more (`-a -t` lines are three times that), so that a
/// vector of them is seldom copied as it grows; room not written to costs
/// no memory.
pub fn room_for_lines(len: usize) -> usize {
    len / 16 + 1
}

/// Where a two-thread read cuts an input of `len` bytes: at the first line
/// start at or after this byte. The cut is just after a newline (a byte
/// boundary that is always a character boundary).
pub fn two_thread_cut_near(len: usize) -> usize {
    len * FIRST_PART_PERCENT / 100
}

/// Each line of a restore input, in order, to `each`, on this thread. A
/// big input is parsed by two threads: this one parses its first part
/// (and `each` gets each line as soon as it is parsed: a restore plans it
/// there and then), while a second thread parses the rest and hands it
/// over in chunks as it goes, which `each` gets after the first part.
pub fn each_restore_input_line(program: &str, input: &str, mut each: impl FnMut(RestoreLine)) {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if input.len() < TWO_THREADS_FROM_BYTES || cpus < 2 {
        each_line(program, input, &mut each);
        return;
    }
    // The first part is the smaller one, as this thread has `each` to run
    // on every line.
    let near = two_thread_cut_near(input.len());
    let cut = near + line_start_at(&input.as_bytes()[near..]);
    let (head, tail) = input.split_at(cut);
    std::thread::scope(|scope| {
        let (send, parsed) = std::sync::mpsc::channel();
        scope.spawn(move || send_parsed_chunks(program, tail, &send));
        // Ends when the other thread is done (or panicked: the scope
        // passes its panic on).
        each_line_then_received(program, head, parsed, &mut each);
    });
}

/// Where the first line that starts at or after the beginning of `bytes`
/// starts: just after its first newline (or at its end).
pub fn line_start_at(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1)
}

/// The second thread's work: parse `tail` and send its lines in chunks
/// as it goes. Once nobody receives them any more, the lines parsed are
/// no longer kept or sent (each line is still read to the end of `tail`).
pub fn send_parsed_chunks(program: &str, tail: &str, send: &Sender<Vec<RestoreLine>>) {
    let mut chunk = Vec::with_capacity(CHUNK_LINES);
    let mut receiver_gone = false;
    each_line(program, tail, &mut |line| {
        if receiver_gone {
            return;
        }
        chunk.push(line);
        if chunk.len() == CHUNK_LINES {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_LINES));
            receiver_gone = send.send(full).is_err();
        }
    });
    if !receiver_gone {
        let _ = send.send(chunk);
    }
}

/// This thread's part: the lines of `head` to `each`, then the other
/// thread's lines of the tail as they arrive, numbered on from `head`'s.
pub fn each_line_then_received(
    program: &str,
    head: &str,
    tail: Receiver<Vec<RestoreLine>>,
    each: &mut impl FnMut(RestoreLine),
) {
    let lines_before_tail = each_line(program, head, each);
    for chunk in tail {
        for mut line in chunk {
            line.number += lines_before_tail;
            each(line);
        }
    }
}

/// How many lines the second thread parses before it hands them over:
/// small enough that the last chunk is planned quickly after the parsing
/// ends, large enough that handing over costs nothing.
const CHUNK_LINES: usize = 2048;

/// Where two-thread reads cut the input. Under emulation, parsing
/// 10,000 x 10 takes 250 ms and planning it 117 ms. This thread parses
/// and plans its part, then plans the other thread's lines as they come:
/// parsing 30% and planning everything here takes about as long as
/// parsing 70% there, and the whole is then shortest. (Measured again
/// when the second thread starts before the connection, for a restore
/// file: of 20, 25, 30, 35 and 40%, 30% gave the shortest median check
/// of 10,000 x 10, 0.25 s.)
const FIRST_PART_PERCENT: usize = 30;

/// Each line of `input` that is not blank or a comment, numbered from 1,
/// to `each`; returns the number of line ends.
fn each_line(program: &str, input: &str, each: &mut impl FnMut(RestoreLine)) -> usize {
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

/// The lines of `input`, numbered from 1, read by this thread alone.
#[cfg(test)]
fn read_lines(program: &str, input: &str) -> Vec<RestoreLine> {
    let mut lines = Vec::with_capacity(room_for_lines(input.len()));
    each_line(program, input, &mut |line| lines.push(line));
    lines
}

/// A restore line cannot ask for help, the version, or another restore:
/// ipvsadm answers those with `Try ...` (it would loop on `-R`).
fn parse_restore_words(program: &str, words: &[&str]) -> Result<Command, Error> {
    match parse_words(program, words)? {
        Parsed::Run(Command::Restore(_)) | Parsed::Help | Parsed::Version => Err(Error::TryHelp {
            program: program.to_string(),
        }),
        Parsed::Run(command) => Ok(command),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_inputs_read_in_two_halves_keep_their_line_numbers() {
        let mut input = String::new();
        let mut expected = Vec::new();
        let mut number = 0;
        while input.len() < 2 * TWO_THREADS_FROM_BYTES {
            number += 1;
            if number % 7 == 0 {
                input.push_str("# a comment\n");
                continue;
            }
            if number % 11 == 0 {
                input.push('\n');
                continue;
            }
            input.push_str(&format!(
                "-A -t 10.0.{}.{}:80 -s rr\n",
                number / 250,
                number % 250
            ));
            expected.push(number);
        }
        input.push_str("-A -t 10.0.0.1:80 -s\n"); // the last line, in the second half: refused
        let lines = read_restore_input("ipvsadm", &input);
        let numbers: Vec<usize> = lines.iter().map(|l| l.number).collect();
        expected.push(number + 1);
        assert_eq!(numbers, expected);
        assert_eq!(read_lines("ipvsadm", &input), lines);
        assert!(lines.last().unwrap().parsed.is_err());
    }

    #[test]
    fn lines_come_in_order_from_both_threads() {
        let line = "-a -t 10.0.0.1:80 -r 192.168.1.1:8080 -m -w 1\n";
        let big = line.repeat(2 * TWO_THREADS_FROM_BYTES / line.len());
        let lines = read_lines("ipvsadm", &big);
        // The second thread's part comes in several chunks.
        assert!(lines.len() * (100 - FIRST_PART_PERCENT) / 100 > 3 * CHUNK_LINES);
        let mut got = Vec::new();
        each_restore_input_line("ipvsadm", &big, |line| got.push(line));
        assert_eq!(got, lines);
        assert!(lines.iter().enumerate().all(|(i, l)| l.number == i + 1));
    }

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
