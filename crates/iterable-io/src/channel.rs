//! An [`AsyncBufRead`] over a bounded channel of byte chunks: the async end of the
//! blocking bridge (a `spawn_blocking` task sends, the parser reads). Dropping the
//! reader closes the channel, and the sender stops at its next send.
//!
//! A [`ChunkPool`] hands the buffers of spent chunks back to the sender, so that the
//! same few buffers go round for the whole stream: no allocation per chunk, and no
//! buffer made on one thread and freed on another (which an allocator may keep
//! resident long after; BENCHMARKS.md, "Design choices, measured").

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};
use tokio::sync::mpsc;

use crate::peek::poll_read_buffered;

/// What the blocking side sends: a chunk of bytes or the error that ends the stream.
pub(crate) type Chunk = io::Result<Bytes>;

/// Buffers of spent chunks, waiting to be filled again by the sender.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChunkPool(Arc<Mutex<Vec<Vec<u8>>>>);

/// Buffers a pool keeps at most (a sender and reader have about four out at once).
const POOL_BUFFERS: usize = 4;

impl ChunkPool {
    /// An empty buffer of at least `capacity` bytes: a spent one, else a new one.
    pub(crate) fn take(&self, capacity: usize) -> Vec<u8> {
        let spent = self.0.lock().ok().and_then(|mut buffers| buffers.pop());
        match spent {
            Some(mut buffer) if buffer.capacity() >= capacity => {
                buffer.clear();
                buffer
            }
            _ => Vec::with_capacity(capacity),
        }
    }

    /// Keeps the buffer of `chunk` for [`take`](Self::take), when the chunk was its
    /// only holder and the pool is not full.
    fn give_back(&self, chunk: Bytes) {
        let Ok(buffer) = chunk.try_into_mut() else {
            return;
        };
        if let Ok(mut buffers) = self.0.lock()
            && buffers.len() < POOL_BUFFERS
        {
            buffers.push(Vec::from(buffer));
        }
    }
}

/// Reads the chunks of a channel in order; the end of the channel is the end of the stream.
pub(crate) struct ChannelReader {
    rx: mpsc::Receiver<Chunk>,
    chunk: Bytes,
    /// How much of `chunk` was consumed.
    at: usize,
    pool: Option<ChunkPool>,
    done: bool,
}

impl ChannelReader {
    /// Reads what `rx` receives.
    pub(crate) fn new(rx: mpsc::Receiver<Chunk>) -> Self {
        ChannelReader {
            rx,
            chunk: Bytes::new(),
            at: 0,
            pool: None,
            done: false,
        }
    }

    /// Reads what `rx` receives, and gives the buffer of each chunk it is done with
    /// back to `pool`.
    pub(crate) fn recycling(rx: mpsc::Receiver<Chunk>, pool: ChunkPool) -> Self {
        ChannelReader {
            pool: Some(pool),
            ..ChannelReader::new(rx)
        }
    }
}

impl AsyncBufRead for ChannelReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.at == this.chunk.len() && !this.done {
            match this.rx.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    let spent = std::mem::replace(&mut this.chunk, chunk);
                    this.at = 0;
                    if let Some(pool) = &this.pool {
                        pool.give_back(spent);
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(None) => this.done = true,
            }
        }
        Poll::Ready(Ok(&this.chunk[this.at..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.at = (this.at + amt).min(this.chunk.len());
    }
}

impl AsyncRead for ChannelReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read_buffered(self, cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn chunks_then_error() {
        let (tx, rx) = mpsc::channel(2);
        tokio::spawn(async move {
            tx.send(Ok(Bytes::from_static(b"ab"))).await.unwrap();
            tx.send(Ok(Bytes::new())).await.unwrap();
            tx.send(Ok(Bytes::from_static(b"cd"))).await.unwrap();
            tx.send(Err(io::Error::other("boom"))).await.unwrap();
        });
        let mut r = ChannelReader::new(rx);
        let mut out = [0u8; 4];
        r.read_exact(&mut out).await.unwrap();
        assert_eq!(&out, b"abcd");
        assert_eq!(r.read_u8().await.unwrap_err().to_string(), "boom");
    }

    #[tokio::test]
    async fn spent_chunks_go_back_to_the_pool() {
        let pool = ChunkPool::default();
        let (tx, rx) = mpsc::channel(4);
        let mut first = pool.take(64);
        first.extend_from_slice(b"abc");
        let first_buffer = first.as_ptr();
        let second = Bytes::from_static(b"de");
        let held = Bytes::from(b"fg".to_vec());
        tx.send(Ok(Bytes::from(first))).await.unwrap();
        tx.send(Ok(second)).await.unwrap();
        tx.send(Ok(held.clone())).await.unwrap();
        drop(tx);
        let mut r = ChannelReader::recycling(rx, pool.clone());
        let mut out = Vec::new();
        r.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, b"abcdefg");
        // The first buffer came back (a static one and one still held elsewhere did
        // not), and is handed out again, empty.
        assert_eq!(pool.0.lock().unwrap().len(), 1);
        let again = pool.take(64);
        assert_eq!((again.as_ptr(), again.len()), (first_buffer, 0));
        assert!(pool.take(64).capacity() >= 64);
        drop(held);
    }
}
