//! [`SyncInput`]: a blocking [`Read`] + [`BufRead`] over an async byte reader, for
//! parsers that run on the blocking pool.

use std::fmt;
use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::runtime::Handle;

/// How much one refill asks of the async reader.
const FILL: usize = 64 * 1024;

/// The bytes of a source as a blocking reader: each refill of its 64 KiB buffer
/// awaits the async reader on the runtime that opened it.
///
/// It counts the bytes the parser consumed ([`offset`](Self::offset)), for error
/// positions, and fails every read once its [`BlockingReader`](super::BlockingReader)
/// is dropped or closed, so a parser stops at its next read. Only use it on a blocking
/// thread (as [`spawn_reader`](super::spawn_reader) does): it blocks.
pub struct SyncInput {
    inner: Box<dyn AsyncRead + Send + Unpin>,
    handle: Handle,
    stop: Arc<AtomicBool>,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    offset: u64,
    location: String,
}

impl fmt::Debug for SyncInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncInput")
            .field("location", &self.location)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl SyncInput {
    pub(crate) fn new(
        inner: Box<dyn AsyncRead + Send + Unpin>,
        handle: Handle,
        stop: Arc<AtomicBool>,
        location: &str,
    ) -> Self {
        SyncInput {
            inner,
            handle,
            stop,
            buf: vec![0; FILL].into_boxed_slice(),
            pos: 0,
            len: 0,
            offset: 0,
            location: location.to_owned(),
        }
    }

    /// Bytes consumed so far (read, or consumed after `fill_buf`): the offset of the
    /// next byte in the decoded stream.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The file or URL being read, for error messages.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Reads everything that is left into memory (for formats that need random
    /// access, such as a workbook), refusing more than `limit` bytes.
    pub fn read_all(&mut self, limit: u64) -> io::Result<Vec<u8>> {
        let mut all = Vec::new();
        loop {
            let chunk = self.fill_buf()?;
            if chunk.is_empty() {
                return Ok(all);
            }
            if all.len() as u64 + chunk.len() as u64 > limit {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("larger than the {limit} bytes this format reads into memory"),
                ));
            }
            all.extend_from_slice(chunk);
            let n = chunk.len();
            self.consume(n);
        }
    }
}

fn stopped() -> io::Error {
    // Not `Interrupted`: std's read loops retry that kind.
    io::Error::other("the reader was dropped or closed")
}

impl BufRead for SyncInput {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.len {
            if self.stop.load(Ordering::Relaxed) {
                return Err(stopped());
            }
            let (inner, buf) = (&mut self.inner, &mut self.buf);
            let n = self.handle.block_on(inner.read(buf))?;
            self.pos = 0;
            self.len = n;
        }
        Ok(&self.buf[self.pos..self.len])
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.len - self.pos);
        self.pos += amt;
        self.offset += amt as u64;
    }
}

impl Read for SyncInput {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}
