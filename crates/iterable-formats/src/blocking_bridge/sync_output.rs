//! [`SyncOutput`]: a blocking [`Write`] that forwards to an async sink, for writers
//! that run on the blocking pool.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::runtime::Handle;

/// How much is gathered before one hop to the async sink.
const CHUNK: usize = 256 * 1024;

/// A blocking writer over an async sink: writes gather in a 256 KiB buffer, and each
/// full buffer is written to the sink on the runtime that opened it.
///
/// [`close`](Self::close) flushes and shuts the sink down (for an atomic file sink,
/// that publishes the file). The bridge calls it after [`RowWriter::finish`](super::RowWriter::finish);
/// a `SyncOutput` dropped without it never shuts its sink down. Only use it on a
/// blocking thread: it blocks.
pub struct SyncOutput {
    inner: Box<dyn AsyncWrite + Send + Unpin>,
    handle: Handle,
    buf: Vec<u8>,
    written: Arc<AtomicU64>,
}

impl fmt::Debug for SyncOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncOutput")
            .field("buffered", &self.buf.len())
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl SyncOutput {
    pub(crate) fn new(
        inner: Box<dyn AsyncWrite + Send + Unpin>,
        handle: Handle,
        written: Arc<AtomicU64>,
    ) -> Self {
        SyncOutput {
            inner,
            handle,
            buf: Vec::with_capacity(CHUNK),
            written,
        }
    }

    fn send_buffer(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let (inner, buf) = (&mut self.inner, &self.buf);
            self.handle.block_on(inner.write_all(buf))?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes what is buffered, then shuts the sink down.
    pub fn close(mut self) -> io::Result<()> {
        self.send_buffer()?;
        let inner = &mut self.inner;
        self.handle.block_on(inner.shutdown())
    }
}

impl Write for SyncOutput {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > CHUNK {
            self.send_buffer()?;
        }
        if data.len() >= CHUNK {
            let inner = &mut self.inner;
            self.handle.block_on(inner.write_all(data))?;
        } else {
            self.buf.extend_from_slice(data);
        }
        self.written.fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(data.len())
    }

    /// Writes what is buffered to the sink and flushes it.
    fn flush(&mut self) -> io::Result<()> {
        self.send_buffer()?;
        let inner = &mut self.inner;
        self.handle.block_on(inner.flush())
    }
}
