//! Reading a local file ahead of its consumer: a blocking-pool thread reads large
//! chunks with plain `std::fs` calls and hands them over a small bounded channel. One
//! thread hop per [`FILE_CHUNK`] instead of one per small read, and the next chunk is
//! read while the current one is parsed. Dropping the reader ends the thread at its
//! next send. The chunks' buffers go round through a [`ChunkPool`].

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::channel::{ChannelReader, ChunkPool};
use crate::thread_panic::report_panics;

/// Bytes per read of the file.
pub(crate) const FILE_CHUNK: usize = 1024 * 1024;
/// Chunks read ahead of the consumer at most.
const AHEAD_CHUNKS: usize = 2;

/// Streams `file` through a blocking thread; `count` grows by every byte read.
pub(crate) fn read_file_ahead(file: std::fs::File, count: Arc<AtomicU64>) -> ChannelReader {
    let (tx, rx) = mpsc::channel(AHEAD_CHUNKS);
    let pool = ChunkPool::default();
    let spent = pool.clone();
    let panic_tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        report_panics(panic_tx, "the file reader", move || {
            let mut file = file;
            loop {
                let mut chunk = spent.take(FILE_CHUNK);
                let message = match fill(&mut file, &mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        count.fetch_add(n as u64, Ordering::Relaxed);
                        Ok(Bytes::from(chunk))
                    }
                    Err(e) => Err(e),
                };
                let failed = message.is_err();
                if tx.blocking_send(message).is_err() || failed {
                    break;
                }
            }
        })
    });
    ChannelReader::recycling(rx, pool)
}

/// Reads until `chunk` holds [`FILE_CHUNK`] bytes or the file ends; returns how many
/// bytes were read. The bytes go straight into the vector's spare capacity (no zeroing
/// first), and interrupted reads are retried.
fn fill(file: &mut std::fs::File, chunk: &mut Vec<u8>) -> io::Result<usize> {
    file.take(FILE_CHUNK as u64).read_to_end(chunk)
}
