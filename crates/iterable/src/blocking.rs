//! The blocking API, for scripts and synchronous code: the same readers and writers,
//! run on an internal runtime, behind an [`Iterator`] of rows and plain methods.
//!
//! ```
//! use iterable::blocking;
//! use iterable::{row, IterableOptions};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("people.csv.gz");
//! let path = path.to_str().unwrap();
//! let mut out = blocking::open(path, &IterableOptions::write())?;
//! out.write(&row! { "id" => 1, "name" => "Anna" })?;
//! out.write(&row! { "id" => 2, "name" => "Ben" })?;
//! out.close()?;
//!
//! let names: Vec<String> = blocking::open_iterable(path)?
//!     .map(|row| row.map(|r| r["name"].to_string()))
//!     .collect::<iterable::Result<_>>()?;
//! assert_eq!(names, ["Anna", "Ben"]);
//! # Ok::<(), iterable::Error>(())
//! ```
//!
//! The runtime is made once, on first use, with a worker a core. Called from inside a
//! Tokio runtime of your own (a blocking call in async code), each call runs on a thread
//! of its own instead of panicking; it still blocks the task that makes it, so async
//! code should use the async API.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::OnceLock;

use iterable_core::{BoxIterable, IterableInfo, Progress, Result, Row};

use crate::{BulkReport, ConvertOptions, ConvertReport, IterableOptions};

/// Rows read from the async reader at a time behind [`Iterator::next`], and rows held
/// by [`BlockingIterable::write`] before they are handed on.
const CHUNK: usize = 1024;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("iterable-blocking")
            .enable_all()
            .build()
            .expect("the blocking API's runtime cannot be started")
    })
}

/// Runs `future` to its end on the internal runtime; from inside another Tokio
/// runtime, on a thread of its own.
fn block_on<F: Future + Send>(future: F) -> F::Output
where
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime().block_on(future);
    }
    std::thread::scope(|scope| {
        scope
            .spawn(|| runtime().block_on(future))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Opens `location` to read, format and codec detected ([`aopen_iterable`](crate::aopen_iterable)).
pub fn open_iterable(location: &str) -> Result<BlockingIterable> {
    open(location, &IterableOptions::read())
}

/// Opens `location` with `options`, to read or to write ([`IterableOptions::open`]).
pub fn open(location: &str, options: &IterableOptions) -> Result<BlockingIterable> {
    let inner = block_on(options.open(location))?;
    Ok(BlockingIterable::new(inner))
}

/// Reads several locations as one ([`IterableOptions::open_many`]).
pub fn open_many<S: AsRef<str> + Sync>(
    locations: &[S],
    options: &IterableOptions,
) -> Result<BlockingIterable> {
    let inner = block_on(options.open_many(locations))?;
    Ok(BlockingIterable::new(inner))
}

/// [`aconvert`](crate::aconvert), blocking.
pub fn convert(input: &str, output: &str, options: &ConvertOptions) -> Result<ConvertReport> {
    block_on(crate::aconvert(input, output, options))
}

/// [`abulk_convert`](crate::abulk_convert), blocking.
pub fn bulk_convert<S: AsRef<str> + Sync>(
    inputs: &[S],
    output: &str,
    options: &ConvertOptions,
) -> Result<BulkReport> {
    block_on(crate::abulk_convert(inputs, output, options))
}

/// An iterable, blocking: an [`Iterator`] of `Result<Row>` when reading, and
/// `read`, `read_bulk`, `write`, `write_bulk`, `reset`, `close`.
///
/// Rows are read from the async reader a chunk at a time, and written rows are handed
/// to the writer a chunk at a time: a row that the writer refuses is reported by a
/// later `write`, `write_bulk` or by `close`, naming the row. Dropped without `close`,
/// a writer leaves no file, as the async one does.
pub struct BlockingIterable {
    inner: Option<BoxIterable>,
    read: VecDeque<Row>,
    /// An error met after the rows of the last chunk, handed out after them.
    pending_error: Option<iterable_core::Error>,
    finished: bool,
    written: Vec<Row>,
}

impl std::fmt::Debug for BlockingIterable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingIterable")
            .field("info", self.info())
            .finish_non_exhaustive()
    }
}

impl BlockingIterable {
    fn new(inner: BoxIterable) -> Self {
        BlockingIterable {
            inner: Some(inner),
            read: VecDeque::new(),
            pending_error: None,
            finished: false,
            written: Vec::new(),
        }
    }

    fn inner(&mut self) -> &mut BoxIterable {
        self.inner.as_mut().expect("open until dropped")
    }

    /// The next row, or `None` at the end.
    pub fn read(&mut self) -> Result<Option<Row>> {
        if self.read.is_empty() && !self.finished {
            if let Some(e) = self.pending_error.take() {
                self.finished = true;
                return Err(e);
            }
            let inner = self.inner();
            match block_on(inner.aread_bulk(CHUNK)) {
                Ok(rows) if rows.is_empty() => self.finished = true,
                Ok(rows) => self.read.extend(rows),
                Err(e) => {
                    self.finished = true;
                    return Err(e);
                }
            }
        }
        Ok(self.read.pop_front())
    }

    /// Up to `n` rows; fewer only at the end (or before an error, which the next call
    /// returns); empty after the end.
    pub fn read_bulk(&mut self, n: usize) -> Result<Vec<Row>> {
        let mut out: Vec<Row> = Vec::with_capacity(n.min(65536));
        while out.len() < n {
            if let Some(row) = self.read.pop_front() {
                out.push(row);
                continue;
            }
            if self.finished {
                break;
            }
            if let Some(e) = self.pending_error.take() {
                if out.is_empty() {
                    self.finished = true;
                    return Err(e);
                }
                self.pending_error = Some(e);
                break;
            }
            let want = n - out.len();
            let inner = self.inner();
            match block_on(inner.aread_bulk(want)) {
                Ok(rows) if rows.is_empty() => self.finished = true,
                Ok(rows) => out.extend(rows),
                Err(e) if out.is_empty() => {
                    self.finished = true;
                    return Err(e);
                }
                Err(e) => {
                    self.pending_error = Some(e);
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Writes one row (held with the next ones, then handed to the writer in bulk).
    pub fn write(&mut self, row: &Row) -> Result<()> {
        self.written.push(row.clone());
        if self.written.len() >= CHUNK {
            self.flush_written()?;
        }
        Ok(())
    }

    /// Writes many rows.
    pub fn write_bulk(&mut self, rows: &[Row]) -> Result<()> {
        self.flush_written()?;
        let inner = self.inner();
        block_on(inner.awrite_bulk(rows))
    }

    fn flush_written(&mut self) -> Result<()> {
        if self.written.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.written);
        let inner = self.inner();
        block_on(inner.awrite_bulk(&rows))
    }

    /// Rewinds to the first row.
    pub fn reset(&mut self) -> Result<()> {
        self.read.clear();
        self.pending_error = None;
        self.finished = false;
        self.written.clear();
        let inner = self.inner();
        block_on(inner.areset())
    }

    /// Finishes: a writer writes what it holds and makes its file appear; a reader
    /// lets its source go. Closing twice is fine.
    pub fn close(&mut self) -> Result<()> {
        self.flush_written()?;
        let inner = self.inner();
        block_on(inner.aclose())
    }

    /// Where, what format and codec, which way.
    pub fn info(&self) -> &IterableInfo {
        self.inner.as_ref().expect("open until dropped").info()
    }

    /// How far it has come (rows handed to this wrapper, which reads ahead a chunk).
    pub fn progress(&self) -> Progress {
        self.inner.as_ref().expect("open until dropped").progress()
    }
}

impl Iterator for BlockingIterable {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        self.read().transpose()
    }
}

impl Drop for BlockingIterable {
    fn drop(&mut self) {
        // Readers and writers let their resources go inside the runtime they use.
        if let Some(inner) = self.inner.take() {
            let _entered = runtime().enter();
            drop(inner);
        }
    }
}
