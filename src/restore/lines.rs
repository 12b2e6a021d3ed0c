//! The lines of a big restore input, parsed by two threads: lines are
//! independent, and a restore of tens of thousands of lines spends a good
//! part of its time parsing. This thread parses the first part (and hands
//! each line on as soon as it is parsed, to be planned there and then)
//! while a second thread parses the rest and hands it over in chunks.

use crate::cli::restore::{each_line, line_start_at, RestoreLine};
use std::sync::mpsc::{Receiver, Sender};

/// Inputs at least this large are read by two threads: lines are
/// independent, and restores of tens of thousands of lines spend a good
/// part of their time here.
pub(crate) const TWO_THREADS_FROM_BYTES: usize = 256 * 1024;

/// Where a two-thread read cuts an input of `len` bytes: at the first line
/// start at or after this byte. The cut is just after a newline (a byte
/// boundary that is always a character boundary).
pub(crate) fn two_thread_cut_near(len: usize) -> usize {
    len * FIRST_PART_PERCENT / 100
}

/// Each line of a restore input, in order, to `each`, on this thread. A
/// big input is parsed by two threads: this one parses its first part
/// (and `each` gets each line as soon as it is parsed: a restore plans it
/// there and then), while a second thread parses the rest and hands it
/// over in chunks as it goes, which `each` gets after the first part.
pub(crate) fn each_restore_input_line(
    program: &str,
    input: &str,
    mut each: impl FnMut(RestoreLine),
) {
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

/// The second thread's work: parse `tail` and send its lines in chunks
/// as it goes. Once nobody receives them any more, the lines parsed are
/// no longer kept or sent (each line is still read to the end of `tail`).
pub(crate) fn send_parsed_chunks(program: &str, tail: &str, send: &Sender<Vec<RestoreLine>>) {
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
pub(crate) fn each_line_then_received(
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

/// Where two-thread reads cut the input, in percent. This thread parses
/// and plans its part, then plans the other thread's lines as they come,
/// so its part is the smaller one: the cut balances parsing the rest
/// there against parsing this part and planning everything here (the
/// README's Speed section has the measurements).
const FIRST_PART_PERCENT: usize = 30;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::restore::read_restore_input;

    /// Every line of `input`, as the two threads hand them over.
    fn lines_of(input: &str) -> Vec<RestoreLine> {
        let mut lines = Vec::new();
        each_restore_input_line("ipvsadm", input, |line| lines.push(line));
        lines
    }

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
        let lines = lines_of(&input);
        let numbers: Vec<usize> = lines.iter().map(|l| l.number).collect();
        expected.push(number + 1);
        assert_eq!(numbers, expected);
        assert_eq!(read_restore_input("ipvsadm", &input), lines);
        assert!(lines.last().unwrap().parsed.is_err());
    }

    #[test]
    fn lines_come_in_order_from_both_threads() {
        let line = "-a -t 10.0.0.1:80 -r 192.168.1.1:8080 -m -w 1\n";
        let big = line.repeat(2 * TWO_THREADS_FROM_BYTES / line.len());
        let lines = read_restore_input("ipvsadm", &big);
        // The second thread's part comes in several chunks.
        assert!(lines.len() * (100 - FIRST_PART_PERCENT) / 100 > 3 * CHUNK_LINES);
        assert_eq!(lines_of(&big), lines);
        assert!(lines.iter().enumerate().all(|(i, l)| l.number == i + 1));
    }
}
