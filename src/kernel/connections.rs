//! The connection table's text (`/proc/net/ip_vs_conn`; netlink has no
//! command for connections), read on a second thread and handed over a
//! piece at a time, so that parsing and printing one piece overlaps the
//! kernel's making of the next (each read walks the connection hash from
//! its start again, which makes the reading the longer part).

use crate::error::CONN_TABLE;
use std::io::{self, Read};
use std::sync::mpsc;

/// How many read pieces may wait for the taker before the reader waits.
const PIECES_AHEAD: usize = 64;

/// The text, a piece at a time (what one read gives: the kernel hands over
/// at most a page), to `take` on this thread for as long as it says: how
/// many bytes were taken. Err when the table cannot be opened or read.
pub(crate) fn read_connection_pieces(mut take: impl FnMut(&[u8]) -> bool) -> io::Result<usize> {
    // Opened here, so that the text is of this thread's namespace.
    let mut file = std::fs::File::open(CONN_TABLE)?;
    let (send, receive) = mpsc::sync_channel::<io::Result<Vec<u8>>>(PIECES_AHEAD);
    std::thread::scope(|scope| {
        scope.spawn(move || read_into(&mut file, &send));
        let mut taken = 0;
        for piece in receive {
            let piece = piece?;
            taken += piece.len();
            if !take(&piece) {
                break;
            }
        }
        // Leaving the loop drops the receiver: the reader stops at its
        // next hand-over.
        Ok(taken)
    })
}

/// Reads `file` to its end into `send`, a piece per read; stops when the
/// taker is gone.
fn read_into(file: &mut std::fs::File, send: &mpsc::SyncSender<io::Result<Vec<u8>>>) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let piece = match file.read(&mut buffer) {
            Ok(0) => return,
            Ok(read) => Ok(buffer[..read].to_vec()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Err(e),
        };
        let failed = piece.is_err();
        if send.send(piece).is_err() || failed {
            return;
        }
    }
}
