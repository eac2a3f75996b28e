//! Decoding ahead on another thread: the decoder runs on a thread of tokio's blocking
//! pool (driven there by `Handle::block_on`) and hands decoded chunks to the parser over
//! a small bounded channel, so decompression and parsing use two cores.
//!
//! A plain tokio task is not enough: the parser's task wakes the decoder whenever it
//! frees a slot of the channel, and tokio runs a task woken that way next on the same
//! worker (its LIFO slot), so the two took turns on one core. A thread of its own
//! decodes while the parser parses. Memory stays bounded by [`AHEAD_CHUNKS`] x
//! [`CHUNK_SIZE`], and the chunks' buffers go round through a [`ChunkPool`];
//! dropping the reader ends the thread at its next send.

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

use crate::ByteReader;
use crate::channel::{ChannelReader, ChunkPool};
use crate::thread_panic::report_panics;

/// Decoded bytes per chunk handed to the parser.
pub(crate) const CHUNK_SIZE: usize = 512 * 1024;
/// Chunks decoded ahead of the parser at most.
pub(crate) const AHEAD_CHUNKS: usize = 2;

/// Runs `decoder` on a blocking-pool thread when a tokio runtime is current; without
/// one, hands the decoder back (the caller then decodes inline).
pub(crate) fn decode_ahead<D>(decoder: D) -> Result<ByteReader, D>
where
    D: AsyncRead + Send + Unpin + 'static,
{
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return Err(decoder);
    };
    let (tx, rx) = mpsc::channel(AHEAD_CHUNKS);
    let pool = ChunkPool::default();
    let spent = pool.clone();
    let handle = runtime.clone();
    let panic_tx = tx.clone();
    runtime.spawn_blocking(move || {
        report_panics(panic_tx, "the decoder", || {
            handle.block_on(decode_into(decoder, tx, spent))
        })
    });
    Ok(Box::new(ChannelReader::recycling(rx, pool)))
}

/// Decodes `decoder` chunk by chunk (into buffers from `pool`) into `tx` until the end,
/// an error, or a closed channel (the reader was dropped).
async fn decode_into<D: AsyncRead + Unpin>(
    mut decoder: D,
    tx: mpsc::Sender<std::io::Result<bytes::Bytes>>,
    pool: ChunkPool,
) {
    loop {
        let mut chunk = pool.take(CHUNK_SIZE);
        let filled = fill(&mut decoder, &mut chunk).await;
        let last = !matches!(filled, Ok(true));
        let message = match filled {
            Err(e) => Err(e),
            Ok(_) if chunk.is_empty() => break,
            Ok(_) => Ok(bytes::Bytes::from(chunk)),
        };
        if tx.send(message).await.is_err() || last {
            break;
        }
    }
}

/// Reads into `chunk` until it is full (`Ok(true)`) or the stream ends (`Ok(false)`).
async fn fill<D: AsyncRead + Unpin>(decoder: &mut D, chunk: &mut Vec<u8>) -> std::io::Result<bool> {
    while chunk.len() < CHUNK_SIZE {
        if decoder.read_buf(chunk).await? == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}
