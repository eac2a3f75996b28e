//! A buffered reader that can look at its first bytes without consuming them.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, ReadBuf};

/// Wraps an [`AsyncBufRead`]; [`Peekable::peek`] copies bytes from the front of the
/// stream into a small side buffer, which reads then drain before the inner reader.
pub(crate) struct Peekable<R> {
    inner: R,
    peeked: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: AsyncBufRead + Unpin> Peekable<R> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: R) -> Self {
        Peekable {
            inner,
            peeked: Vec::new(),
            pos: 0,
            eof: false,
        }
    }

    /// Up to `n` bytes from the current position (fewer only at end of stream), without
    /// consuming them.
    pub(crate) async fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        while self.peeked.len() - self.pos < n && !self.eof {
            let want = n - (self.peeked.len() - self.pos);
            let chunk = self.inner.fill_buf().await?;
            if chunk.is_empty() {
                self.eof = true;
                break;
            }
            let take = chunk.len().min(want);
            self.peeked.extend_from_slice(&chunk[..take]);
            self.inner.consume(take);
        }
        let end = self.peeked.len().min(self.pos + n);
        Ok(&self.peeked[self.pos..end])
    }

    /// True when nothing is peeked (the inner reader can be used as is).
    pub(crate) fn nothing_peeked(&self) -> bool {
        self.pos == self.peeked.len()
    }

    /// The inner reader; only valid when [`Self::nothing_peeked`].
    pub(crate) fn into_inner(self) -> R {
        debug_assert!(self.nothing_peeked());
        self.inner
    }
}

impl<R: AsyncBufRead + Unpin> AsyncBufRead for Peekable<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.pos < this.peeked.len() {
            return Poll::Ready(Ok(&this.peeked[this.pos..]));
        }
        Pin::new(&mut this.inner).poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        if this.pos < this.peeked.len() {
            this.pos = (this.pos + amt).min(this.peeked.len());
            if this.pos == this.peeked.len() {
                this.peeked = Vec::new();
                this.pos = 0;
            }
        } else {
            Pin::new(&mut this.inner).consume(amt);
        }
    }
}

impl<R: AsyncBufRead + Unpin> AsyncRead for Peekable<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read_buffered(self, cx, buf)
    }
}

/// `poll_read` for a type whose reading lives in its `AsyncBufRead` methods.
pub(crate) fn poll_read_buffered<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let available = match reader.as_mut().poll_fill_buf(cx) {
        Poll::Ready(Ok(bytes)) => bytes,
        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
        Poll::Pending => return Poll::Pending,
    };
    let n = available.len().min(buf.remaining());
    buf.put_slice(&available[..n]);
    reader.consume(n);
    Poll::Ready(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, BufReader};

    /// Hands out one byte a read.
    struct OneByte(&'static [u8]);

    impl AsyncRead for OneByte {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if let Some((first, rest)) = self.0.split_first() {
                buf.put_slice(&[*first]);
                self.0 = rest;
            }
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn growing_peeks_then_read_everything() {
        let mut p = Peekable::new(BufReader::new(OneByte(b"hello, world")));
        assert_eq!(p.peek(1).await.unwrap(), b"h");
        assert_eq!(p.peek(5).await.unwrap(), b"hello");
        assert_eq!(p.peek(3).await.unwrap(), b"hel");
        assert_eq!(p.peek(100).await.unwrap(), b"hello, world");
        let mut out = String::new();
        p.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, "hello, world");
    }

    #[tokio::test]
    async fn partial_consume_of_peeked_bytes() {
        let mut p = Peekable::new(BufReader::new(&b"abcdef"[..]));
        assert_eq!(p.peek(4).await.unwrap(), b"abcd");
        let mut two = [0u8; 2];
        p.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"ab");
        assert_eq!(p.peek(3).await.unwrap(), b"cde");
        let mut rest = Vec::new();
        p.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"cdef");
    }
}
