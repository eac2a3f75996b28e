//! Reading a local file ahead of its consumer: a blocking-pool thread reads large
//! chunks with plain `std::fs` calls and hands them over a small bounded channel. One
//! thread hop per [`FILE_CHUNK`] instead of one per small read, and the next chunk is
//! read while the current one is parsed. Dropping the reader ends the thread at its
//! next send.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::BytesMut;
use tokio::sync::mpsc;

use crate::channel::ChannelReader;

/// Bytes per read of the file.
pub(crate) const FILE_CHUNK: usize = 1024 * 1024;
/// Chunks read ahead of the consumer at most.
const AHEAD_CHUNKS: usize = 2;

/// Streams `file` through a blocking thread; `count` grows by every byte read.
pub(crate) fn read_file_ahead(file: std::fs::File, count: Arc<AtomicU64>) -> ChannelReader {
    let (tx, rx) = mpsc::channel(AHEAD_CHUNKS);
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        loop {
            let mut chunk = BytesMut::zeroed(FILE_CHUNK);
            let filled = fill(&mut file, &mut chunk);
            let message = match filled {
                Ok(0) => break,
                Ok(n) => {
                    chunk.truncate(n);
                    count.fetch_add(n as u64, Ordering::Relaxed);
                    Ok(chunk.freeze())
                }
                Err(e) => Err(e),
            };
            let failed = message.is_err();
            if tx.blocking_send(message).is_err() || failed {
                break;
            }
        }
    });
    ChannelReader::new(rx)
}

/// Reads until `chunk` is full or the file ends; returns how many bytes were read.
fn fill(file: &mut std::fs::File, chunk: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < chunk.len() {
        match file.read(&mut chunk[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
