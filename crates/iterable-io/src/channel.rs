//! An [`AsyncBufRead`] over a bounded channel of byte chunks: the async end of the
//! blocking bridge (a `spawn_blocking` task sends, the parser reads). Dropping the
//! reader closes the channel, and the sender stops at its next send.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};
use tokio::sync::mpsc;

use crate::peek::poll_read_buffered;

/// What the blocking side sends: a chunk of bytes or the error that ends the stream.
pub(crate) type Chunk = io::Result<Bytes>;

/// Reads the chunks of a channel in order; the end of the channel is the end of the stream.
pub(crate) struct ChannelReader {
    rx: mpsc::Receiver<Chunk>,
    chunk: Bytes,
    done: bool,
}

impl ChannelReader {
    /// Reads what `rx` receives.
    pub(crate) fn new(rx: mpsc::Receiver<Chunk>) -> Self {
        ChannelReader {
            rx,
            chunk: Bytes::new(),
            done: false,
        }
    }
}

impl AsyncBufRead for ChannelReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.chunk.is_empty() && !this.done {
            match this.rx.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.chunk = chunk,
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(None) => this.done = true,
            }
        }
        Poll::Ready(Ok(&this.chunk[..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().chunk.advance(amt);
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
}
