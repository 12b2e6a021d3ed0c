//! What `-R` reads. Boot scripts run `ipvsadm-rs -R < rules`: standard
//! input is then a regular file, and a big one is read by two threads from
//! the moment the command line says restore. A second thread reads, checks
//! and parses the last part of the file while the first one connects to the
//! kernel, takes the writer lock and reads the first part; parsing is where
//! a big restore spends most of its time before it can apply anything.

use super::lines::{
    each_line_then_received, send_parsed_chunks, two_thread_cut_near, TWO_THREADS_FROM_BYTES,
};
use crate::cli::restore::{line_start_at, restore_text, RestoreLine};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{channel, Receiver};
use std::thread::JoinHandle;

/// Standard input of a restore, opened before the command runs.
pub(crate) enum RestoreInput {
    /// A pipe or a terminal: read whole when the command runs.
    Stream,
    /// A regular file; if it is big, a second thread already reads and
    /// parses its last part.
    File {
        file: File,
        tail: Option<TailThread>,
    },
}

/// The bytes of a restore input.
pub(crate) enum RestoreBytes {
    Whole(Vec<u8>),
    /// The first part; the rest, `tail_len` bytes, is clean text (UTF-8,
    /// no NUL) that the tail thread parses.
    Split {
        head: Vec<u8>,
        tail: TailThread,
        tail_len: usize,
    },
}

/// The thread that reads and parses the last part of a restore file.
pub(crate) struct TailThread {
    /// where the first part ends (the file was cut near this byte)
    near: u64,
    ready: Receiver<TailReady>,
    chunks: Receiver<Vec<RestoreLine>>,
    handle: JoinHandle<()>,
}

/// What the tail thread found when it had read the file from `near` on.
enum TailReady {
    /// The tail starts at `cut` (just after the first newline at or after
    /// `near`), has `len` bytes, is clean text, and its lines are coming.
    Clean {
        cut: u64,
        len: usize,
    },
    /// The bytes from `near` on, which are not all clean text: the input is
    /// checked whole, so that every problem is named in order.
    NotText(Vec<u8>),
    Failed(std::io::Error),
}

impl RestoreInput {
    /// Standard input, with the tail thread started if it is a big regular file.
    pub(crate) fn stdin(program: &str) -> RestoreInput {
        match std::io::stdin().as_fd().try_clone_to_owned() {
            Ok(fd) => RestoreInput::file(File::from(fd), program),
            Err(_) => RestoreInput::Stream,
        }
    }

    /// `file` as a restore input, read from its position on.
    pub(crate) fn file(file: File, program: &str) -> RestoreInput {
        let size = match file.metadata() {
            Ok(meta) if meta.is_file() => meta.len(),
            _ => return RestoreInput::Stream,
        };
        // The position is where reading starts (`-R` after a `read` in a
        // shell script); the parts are cut from there.
        let Ok(start) = (&file).stream_position() else {
            return RestoreInput::Stream;
        };
        let len = size.saturating_sub(start);
        let tail = (len >= TWO_THREADS_FROM_BYTES as u64)
            .then(|| {
                let near = start + two_thread_cut_near(len as usize) as u64;
                TailThread::start(&file, near, size, program)
            })
            .flatten();
        RestoreInput::File { file, tail }
    }

    /// Read the input (standard input to its end, as ipvsadm does).
    pub(crate) fn read(self) -> std::io::Result<RestoreBytes> {
        match self {
            RestoreInput::Stream => {
                let mut bytes = Vec::new();
                std::io::stdin().lock().read_to_end(&mut bytes)?;
                Ok(RestoreBytes::Whole(bytes))
            }
            // A regular file is read in one allocation of its size.
            RestoreInput::File { file, tail: None } => whole(&file),
            RestoreInput::File {
                file,
                tail: Some(tail),
            } => read_in_two_parts(&file, tail),
        }
    }
}

/// This thread reads the first part while the tail thread reads the rest.
/// Afterwards the file position is at the end of what was read, as after
/// ipvsadm's reads.
fn read_in_two_parts(mut file: &File, tail: TailThread) -> std::io::Result<RestoreBytes> {
    let start = file.stream_position()?;
    let mut head = read_at(file, start, tail.near)?;
    let bytes = match tail.ready.recv() {
        Ok(TailReady::Clean { cut, len }) => {
            let rest = read_at(file, tail.near, cut)?;
            if head.len() as u64 + rest.len() as u64 != cut - start {
                // The file changed while it was read: read it again, whole.
                file.seek(SeekFrom::Start(start))?;
                return whole(file);
            }
            head.extend_from_slice(&rest);
            file.seek(SeekFrom::Start(cut + len as u64))?;
            RestoreBytes::Split {
                head,
                tail,
                tail_len: len,
            }
        }
        Ok(TailReady::NotText(rest)) => {
            head.extend_from_slice(&rest);
            file.seek(SeekFrom::Start(start + head.len() as u64))?;
            RestoreBytes::Whole(head)
        }
        Ok(TailReady::Failed(e)) => return Err(e),
        // The thread ended without a word: it panicked; pass it on.
        Err(_) => match tail.handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => return whole(file),
        },
    };
    Ok(bytes)
}

/// The rest of `file` from its position, in one read.
fn whole(mut file: &File) -> std::io::Result<RestoreBytes> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(RestoreBytes::Whole(bytes))
}

/// Bytes `from..to` of `file` (fewer if it ends before), without moving
/// its position, read straight into their place.
fn read_at(file: &File, from: u64, to: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0u8; usize::try_from(to.saturating_sub(from)).unwrap_or(usize::MAX)];
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read_at(&mut bytes[filled..], from + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

/// The bytes of `file` from `from` to its end, expected at `size`: read
/// in one piece up to there, then on if the file has grown since.
fn read_to_end_at(file: &File, from: u64, size: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = read_at(file, from, size.max(from))?;
    loop {
        let at = from + bytes.len() as u64;
        let more = read_at(file, at, at + (64 << 10))?;
        if more.is_empty() {
            return Ok(bytes);
        }
        bytes.extend_from_slice(&more);
    }
}

impl TailThread {
    /// Read `file` from `near` to its end (expected at `size`) on a new thread.
    fn start(file: &File, near: u64, size: u64, program: &str) -> Option<TailThread> {
        let file = file.try_clone().ok()?;
        let program = program.to_string();
        let (ready_sender, ready) = channel();
        let (chunk_sender, chunks) = channel();
        let handle = std::thread::Builder::new()
            .spawn(move || {
                let rest = match read_to_end_at(&file, near, size) {
                    Ok(rest) => rest,
                    Err(e) => {
                        let _ = ready_sender.send(TailReady::Failed(e));
                        return;
                    }
                };
                let from = line_start_at(&rest);
                match restore_text(&rest[from..]) {
                    Ok(text) => {
                        let clean = TailReady::Clean {
                            cut: near + from as u64,
                            len: text.len(),
                        };
                        if ready_sender.send(clean).is_ok() {
                            send_parsed_chunks(&program, text, &chunk_sender);
                        }
                    }
                    Err(_) => {
                        let _ = ready_sender.send(TailReady::NotText(rest));
                    }
                }
            })
            .ok()?;
        Some(TailThread {
            near,
            ready,
            chunks,
            handle,
        })
    }

    /// The lines of `head` (the first part, parsed on this thread), then
    /// the tail's lines as the tail thread hands them over.
    pub(crate) fn each_line_after(
        self,
        program: &str,
        head: &str,
        each: &mut impl FnMut(RestoreLine),
    ) {
        each_line_then_received(program, head, self.chunks, each);
        if let Err(panic) = self.handle.join() {
            std::panic::resume_unwind(panic);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::restore::{read_restore_input, text_problems};
    use std::io::Write;

    /// A file with `text`, open for reading from `start`.
    fn file_with(name: &str, text: &[u8], start: u64) -> File {
        let path =
            std::env::temp_dir().join(format!("ipvsadm-rs-test-{}-{name}", std::process::id()));
        File::create(&path).unwrap().write_all(text).unwrap();
        let mut file = File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        file.seek(SeekFrom::Start(start)).unwrap();
        file
    }

    fn big_input() -> String {
        let mut input = String::new();
        let mut number = 0;
        while input.len() < 3 * TWO_THREADS_FROM_BYTES {
            number += 1;
            input.push_str(&match number % 13 {
                0 => "# a comment\n".to_string(),
                1 => "\n".to_string(),
                // refused, in both parts
                2 => format!("-A -t 10.0.0.{}:80 -s\n", number % 250),
                _ => format!(
                    "-a -t 10.0.{}.1:80 -r 10.1.0.{}:8080 -m -w 3\n",
                    number / 250 % 250,
                    number % 250
                ),
            });
        }
        input
    }

    /// The lines a restore gets from `bytes`, read in two parts or whole.
    fn lines_of(bytes: RestoreBytes) -> Vec<RestoreLine> {
        let mut lines = Vec::new();
        match bytes {
            RestoreBytes::Split { head, tail, .. } => {
                let head = restore_text(&head).unwrap();
                tail.each_line_after("ipvsadm", head, &mut |line| lines.push(line));
            }
            RestoreBytes::Whole(_) => panic!("read whole"),
        }
        lines
    }

    #[test]
    fn big_files_are_read_in_two_parts_to_the_same_lines() {
        let input = big_input();
        let file = file_with("two-parts", input.as_bytes(), 0);
        let bytes = RestoreInput::file(file.try_clone().unwrap(), "ipvsadm")
            .read()
            .unwrap();
        let lines = lines_of(bytes);
        assert_eq!(lines, read_restore_input("ipvsadm", &input));
        assert!(lines.len() > 10_000);
        // Read to the end, as a read of standard input leaves it.
        assert_eq!((&file).stream_position().unwrap(), input.len() as u64);
    }

    #[test]
    fn reading_starts_at_the_file_position() {
        let input = big_input();
        let skipped = "-C\n-A -t 1.2.3.4:80\n";
        let text = format!("{skipped}{input}");
        let file = file_with("position", text.as_bytes(), skipped.len() as u64);
        let lines = lines_of(RestoreInput::file(file, "ipvsadm").read().unwrap());
        assert_eq!(lines, read_restore_input("ipvsadm", &input));
    }

    #[test]
    fn a_tail_that_is_not_text_is_read_whole_and_named_by_line() {
        let mut input = big_input().into_bytes();
        let last_line = input.iter().filter(|&&b| b == b'\n').count();
        input.extend_from_slice(b"-A -t 1.2.3.4:80 \xff\n");
        let file = file_with("not-text", &input, 0);
        let RestoreBytes::Whole(bytes) = RestoreInput::file(file, "ipvsadm").read().unwrap() else {
            panic!("a tail that is not text was split off");
        };
        assert_eq!(bytes, input);
        assert_eq!(
            text_problems(&bytes),
            [format!(
                "line {}: byte 0xff at column 18 is not UTF-8 text",
                last_line + 1
            )]
        );
    }

    #[test]
    fn a_file_that_grew_since_it_was_measured_is_read_to_its_end() {
        let text: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let file = file_with("grew", &text, 0);
        assert_eq!(read_to_end_at(&file, 1000, 5000).unwrap(), &text[1000..]);
        assert_eq!(read_at(&file, 1000, 5000).unwrap(), &text[1000..5000]);
        assert_eq!(read_at(&file, 199_990, 300_000).unwrap(), &text[199_990..]);
    }

    #[test]
    fn small_files_are_read_whole() {
        let text = b"-A -t 1.2.3.4:80 -s rr\n";
        let file = file_with("small", text, 0);
        let input = RestoreInput::file(file, "ipvsadm");
        assert!(matches!(input, RestoreInput::File { tail: None, .. }));
        let RestoreBytes::Whole(bytes) = input.read().unwrap() else {
            panic!("split");
        };
        assert_eq!(bytes, text);
    }
}
