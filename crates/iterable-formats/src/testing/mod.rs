//! Readers that stress parsers at buffer edges: bytes handed out a few at a time,
//! with `Pending` between reads. Native parsers break where a UTF-8 character, a
//! CRLF or a quoted field is split across two reads; these readers find that.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

/// An `AsyncBufRead` over owned bytes that returns at most `chunk` bytes per read and,
/// when `interleave_pending` is set, answers `Pending` (waking itself) before each read.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use tokio::io::AsyncReadExt;
/// use iterable_formats::testing::ChunkedReader;
///
/// let mut r = ChunkedReader::new(b"hello".to_vec(), 1, true);
/// let mut out = String::new();
/// r.read_to_string(&mut out).await.unwrap();
/// assert_eq!(out, "hello");
/// # });
/// ```
#[derive(Debug)]
pub struct ChunkedReader {
    data: Vec<u8>,
    pos: usize,
    chunk: usize,
    interleave_pending: bool,
    ready: bool,
}

impl ChunkedReader {
    /// Hands out `data` at most `chunk` bytes at a time (`chunk` of 0 counts as 1).
    pub fn new(data: Vec<u8>, chunk: usize, interleave_pending: bool) -> Self {
        ChunkedReader {
            data,
            pos: 0,
            chunk: chunk.max(1),
            interleave_pending,
            ready: false,
        }
    }
}

impl AsyncBufRead for ChunkedReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.interleave_pending && !this.ready && this.pos < this.data.len() {
            this.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let end = (this.pos + this.chunk).min(this.data.len());
        Poll::Ready(Ok(&this.data[this.pos..end]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.pos = (this.pos + amt).min(this.data.len());
        if amt > 0 {
            this.ready = false;
        }
    }
}

impl AsyncRead for ChunkedReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let chunk = match self.as_mut().poll_fill_buf(cx) {
            Poll::Ready(Ok(chunk)) => chunk,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        };
        let n = chunk.len().min(buf.remaining());
        buf.put_slice(&chunk[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

pub mod conformance;
