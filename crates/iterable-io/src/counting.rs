//! A reader that counts the raw bytes it reads, for progress reporting.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

/// Counts every byte read through it into a shared counter.
pub(crate) struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> CountingReader<R> {
    /// Wraps `inner`, adding to `count`.
    pub(crate) fn new(inner: R, count: Arc<AtomicU64>) -> Self {
        CountingReader { inner, count }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for CountingReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            let n = (buf.filled().len() - before) as u64;
            self.count.fetch_add(n, Ordering::Relaxed);
        }
        result
    }
}

/// The blocking counterpart, for the zip reader.
pub(crate) struct CountingStdReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> CountingStdReader<R> {
    /// Wraps `inner`, adding to `count`.
    pub(crate) fn new(inner: R, count: Arc<AtomicU64>) -> Self {
        CountingStdReader { inner, count }
    }
}

impl<R: io::Read> io::Read for CountingStdReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: io::Seek> io::Seek for CountingStdReader<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn counts() {
        let count = Arc::new(AtomicU64::new(0));
        let mut r = CountingReader::new(&b"hello world"[..], count.clone());
        let mut out = Vec::new();
        r.read_to_end(&mut out).await.unwrap();
        assert_eq!(count.load(Ordering::Relaxed), 11);
    }
}
