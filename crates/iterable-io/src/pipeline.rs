//! Decoding ahead on another task: the decoder runs in its own tokio task and hands
//! decoded chunks to the parser over a small bounded channel, so on a multi-threaded
//! runtime decompression and parsing use two cores. Memory stays bounded by
//! [`AHEAD_CHUNKS`] x [`CHUNK_SIZE`]; dropping the reader ends the task at its next send.

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

use crate::ByteReader;
use crate::channel::ChannelReader;

/// Decoded bytes per chunk handed to the parser.
pub(crate) const CHUNK_SIZE: usize = 512 * 1024;
/// Chunks decoded ahead of the parser at most.
pub(crate) const AHEAD_CHUNKS: usize = 2;

/// Runs `decoder` on its own task when a tokio runtime is current; without one, hands
/// the decoder back (the caller then decodes inline).
pub(crate) fn decode_ahead<D>(decoder: D) -> Result<ByteReader, D>
where
    D: AsyncRead + Send + Unpin + 'static,
{
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return Err(decoder);
    };
    let (tx, rx) = mpsc::channel(AHEAD_CHUNKS);
    runtime.spawn(async move {
        let mut decoder = decoder;
        loop {
            let mut chunk = BytesMut::with_capacity(CHUNK_SIZE);
            let filled = fill(&mut decoder, &mut chunk).await;
            let last = !matches!(filled, Ok(true));
            let message = match filled {
                Err(e) => Err(e),
                Ok(_) if chunk.is_empty() => break,
                Ok(_) => Ok(chunk.freeze()),
            };
            if tx.send(message).await.is_err() || last {
                break;
            }
        }
    });
    Ok(Box::new(ChannelReader::new(rx)))
}

/// Reads into `chunk` until it is full (`Ok(true)`) or the stream ends (`Ok(false)`).
async fn fill<D: AsyncRead + Unpin>(
    decoder: &mut D,
    chunk: &mut BytesMut,
) -> std::io::Result<bool> {
    while chunk.len() < CHUNK_SIZE {
        if decoder.read_buf(chunk).await? == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}
