//! Progress callbacks: a [`ProgressEvent`] handed to a function of yours every so many
//! rows or so much time, by [`aconvert`](crate::aconvert) and by any iterable wrapped
//! with [`with_progress`].
//!
//! A callback is called at most once an interval, and once more at the end with
//! [`ProgressEvent::done`] set, so the last event holds the totals. Without a callback
//! nothing is counted or timed on the row path.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::{Arc, Mutex};
//! use futures::StreamExt;
//! use iterable::{IterableOptions, ProgressEvery, aopen_iterable, row, with_progress};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("n.jsonl");
//! let path = path.to_str().unwrap();
//! let mut out = IterableOptions::write().open(path).await?;
//! for i in 0..2500 {
//!     out.awrite(&row! { "i" => i }).await?;
//! }
//! out.aclose().await?;
//!
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = seen.clone();
//! let src = aopen_iterable(path).await?;
//! let mut src = with_progress(src, ProgressEvery::Rows(1000), move |p| {
//!     log.lock().unwrap().push((p.rows_read, p.done));
//! });
//! while let Some(row) = src.next().await {
//!     row?;
//! }
//! assert_eq!(*seen.lock().unwrap(), [(1000, false), (2000, false), (2500, true)]);
//! # Ok::<(), iterable::Error>(())
//! # }).unwrap();
//! ```

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{AsyncIterable, BoxIterable, IterableInfo, Mode, Progress, Result, Row};

/// How often a progress callback is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressEvery {
    /// Each time this many more rows are read (0 is taken as 1).
    Rows(u64),
    /// At most once in this much time (checked every 256 rows, or after each batch).
    Time(Duration),
}

/// Where a job stands, handed to a progress callback.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProgressEvent {
    /// The input being read.
    pub location: Arc<str>,
    /// Rows read so far.
    pub rows_read: u64,
    /// Rows written so far (0 when only reading).
    pub rows_written: u64,
    /// Bytes consumed from the input (compressed bytes for a compressed file).
    pub bytes_read: u64,
    /// The input's size in bytes, when known (a file's size, a `Content-Length`, an
    /// object's size).
    pub bytes_total: Option<u64>,
    /// Bad records skipped under the `Skip` or `DeadLetter` policy.
    pub skipped: u64,
    /// Time since the job started.
    pub elapsed: Duration,
    /// Set on the last event: once the input is read whole (and the output closed), or
    /// when a writer is closed.
    pub done: bool,
}

impl ProgressEvent {
    /// How much of the input is read, 0.0 to 1.0, when its size is known (1.0 once
    /// [`done`](Self::done): a Parquet or Arrow file read in place, or a projection
    /// of its columns, consumes fewer bytes than the file holds).
    pub fn fraction(&self) -> Option<f64> {
        match self.bytes_total {
            Some(_) if self.done => Some(1.0),
            Some(0) => Some(1.0),
            Some(total) => Some((self.bytes_read as f64 / total as f64).min(1.0)),
            None => None,
        }
    }

    /// [`fraction`](Self::fraction) as a percentage.
    pub fn percent(&self) -> Option<f64> {
        self.fraction().map(|f| f * 100.0)
    }

    /// The time left at the rate so far, when the input's size is known and some of it
    /// is read.
    pub fn eta(&self) -> Option<Duration> {
        let fraction = self.fraction()?;
        if self.done || fraction >= 1.0 {
            return Some(Duration::ZERO);
        }
        if fraction <= 0.0 {
            return None;
        }
        Some(self.elapsed.mul_f64((1.0 - fraction) / fraction))
    }
}

/// A progress callback, shared between the places that call it.
pub type ProgressCallback = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

/// A callback and how often to call it, as options hold one: equal when it is the same
/// callback.
#[derive(Clone)]
pub(crate) struct ProgressHook {
    pub(crate) every: ProgressEvery,
    pub(crate) callback: ProgressCallback,
}

impl ProgressHook {
    pub(crate) fn new(
        every: ProgressEvery,
        callback: impl Fn(&ProgressEvent) + Send + Sync + 'static,
    ) -> Self {
        ProgressHook {
            every,
            callback: Arc::new(callback),
        }
    }

    /// `iterable`, reported to this hook's callback.
    pub(crate) fn wrap(&self, iterable: BoxIterable) -> BoxIterable {
        wrap(iterable, self.every, self.callback.clone())
    }
}

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProgressHook({:?})", self.every)
    }
}

impl PartialEq for ProgressHook {
    fn eq(&self, other: &Self) -> bool {
        self.every == other.every && Arc::ptr_eq(&self.callback, &other.callback)
    }
}

impl Eq for ProgressHook {}

/// Decides when a callback is due and builds its events.
pub(crate) struct ProgressTicker {
    every: ProgressEvery,
    callback: ProgressCallback,
    location: Arc<str>,
    started: Instant,
    /// The next row count that makes an event due (`Rows`).
    next_rows: u64,
    /// When the last event was sent (`Time`).
    last: Instant,
}

impl ProgressTicker {
    pub(crate) fn new(every: ProgressEvery, callback: ProgressCallback, location: &str) -> Self {
        let now = Instant::now();
        ProgressTicker {
            every,
            callback,
            location: location.into(),
            started: now,
            next_rows: Self::step(every),
            last: now,
        }
    }

    fn step(every: ProgressEvery) -> u64 {
        match every {
            ProgressEvery::Rows(n) => n.max(1),
            ProgressEvery::Time(_) => u64::MAX,
        }
    }

    /// How many rows may be read before the next event is due by rows (a bulk reader
    /// reads at most that many, so that events fall on the interval exactly).
    pub(crate) fn rows_until_due(&self, rows: u64) -> u64 {
        self.next_rows.saturating_sub(rows).max(1)
    }

    /// Sends an event if one is due after `rows` rows.
    pub(crate) fn tick(&mut self, rows: u64, event: impl FnOnce() -> Counts) {
        let due = match self.every {
            ProgressEvery::Rows(n) => {
                if rows < self.next_rows {
                    return;
                }
                let n = n.max(1);
                self.next_rows = (rows / n + 1).saturating_mul(n);
                true
            }
            ProgressEvery::Time(interval) => {
                let now = Instant::now();
                let due = now.duration_since(self.last) >= interval;
                if due {
                    self.last = now;
                }
                due
            }
        };
        if due {
            self.send(event(), false);
        }
    }

    /// Starts over (the iterable was rewound): the interval and the clock from zero.
    pub(crate) fn restart(&mut self) {
        let now = Instant::now();
        self.started = now;
        self.last = now;
        self.next_rows = Self::step(self.every);
    }

    /// Sends the last event.
    pub(crate) fn finish(&mut self, counts: Counts) {
        self.send(counts, true);
    }

    fn send(&self, counts: Counts, done: bool) {
        (self.callback)(&ProgressEvent {
            location: self.location.clone(),
            rows_read: counts.read.rows,
            rows_written: counts.rows_written,
            bytes_read: counts.read.bytes,
            bytes_total: counts.read.bytes_total,
            skipped: counts.read.skipped,
            elapsed: self.started.elapsed(),
            done,
        });
    }
}

/// What an event reports: the reader's progress and the rows written.
pub(crate) struct Counts {
    pub(crate) read: Progress,
    pub(crate) rows_written: u64,
}

/// `iterable`, calling `callback` as it is read: every `every`, and once at its end
/// (`done`). The rows are passed through unchanged. A writer can be wrapped too: its
/// events count the rows written, and the last one comes when it is closed.
pub fn with_progress(
    iterable: BoxIterable,
    every: ProgressEvery,
    callback: impl Fn(&ProgressEvent) + Send + Sync + 'static,
) -> BoxIterable {
    wrap(iterable, every, Arc::new(callback))
}

fn wrap(iterable: BoxIterable, every: ProgressEvery, callback: ProgressCallback) -> BoxIterable {
    let location = iterable.info().location.clone();
    Box::new(WithProgress {
        inner: iterable,
        ticker: ProgressTicker::new(every, callback, &location),
        rows: 0,
        finished: false,
        pending_error: None,
    })
}

/// An iterable whose reading is reported to a callback (see [`with_progress`]).
struct WithProgress {
    inner: BoxIterable,
    ticker: ProgressTicker,
    rows: u64,
    finished: bool,
    /// An error met after some rows of a bulk read, given by the next read.
    pending_error: Option<iterable_core::Error>,
}

impl WithProgress {
    /// Counts `n` rows read (at the end when `n` is 0) and calls the callback if due.
    fn count(&mut self, n: usize) {
        if n == 0 {
            if !self.finished {
                self.finished = true;
                let counts = self.counts();
                self.ticker.finish(counts);
            }
            return;
        }
        self.rows += n as u64;
        let inner = &*self.inner;
        self.ticker.tick(self.rows, || counts_of(inner));
    }

    /// Counts one row; by time, the clock is read every 256 rows only.
    fn count_one(&mut self) {
        if matches!(self.ticker.every, ProgressEvery::Rows(_))
            || (self.rows + 1).is_multiple_of(256)
        {
            self.count(1);
        } else {
            self.rows += 1;
        }
    }

    fn counts(&self) -> Counts {
        counts_of(&*self.inner)
    }
}

/// A reader's progress as read; a writer's as rows written (nothing read).
fn counts_of(iterable: &dyn AsyncIterable) -> Counts {
    let progress = iterable.progress();
    match iterable.info().mode {
        Mode::Read => Counts {
            read: progress,
            rows_written: 0,
        },
        Mode::Write => Counts {
            read: Progress::default(),
            rows_written: progress.rows,
        },
    }
}

impl Stream for WithProgress {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        let this = &mut *self;
        if let Some(e) = this.pending_error.take() {
            return Poll::Ready(Some(Err(e)));
        }
        let next = Pin::new(&mut this.inner).poll_next(cx);
        match &next {
            Poll::Ready(Some(Ok(_))) => this.count_one(),
            Poll::Ready(None) => this.count(0),
            _ => {}
        }
        next
    }
}

impl AsyncIterable for WithProgress {
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        Box::pin(async move {
            if let Some(e) = self.pending_error.take() {
                return Err(e);
            }
            let mut out: Vec<Row> = Vec::new();
            while out.len() < n {
                // Read up to the next event by rows, so that events fall on the
                // interval exactly.
                let want = (n - out.len()).min(self.ticker.rows_until_due(self.rows) as usize);
                match self.inner.aread_bulk(want).await {
                    Ok(rows) => {
                        let got = rows.len();
                        self.count(got);
                        if out.is_empty() {
                            out = rows;
                        } else {
                            out.extend(rows);
                        }
                        if got < want {
                            break;
                        }
                    }
                    Err(e) if out.is_empty() => return Err(e),
                    Err(e) => {
                        self.pending_error = Some(e);
                        break;
                    }
                }
            }
            Ok(out)
        })
    }

    fn awrite<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.inner.awrite(row).await?;
            self.count_one();
            Ok(())
        })
    }

    fn awrite_bulk<'a>(&'a mut self, rows: &'a [Row]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.inner.awrite_bulk(rows).await?;
            if !rows.is_empty() {
                self.count(rows.len());
            }
            Ok(())
        })
    }

    fn columns(&self) -> Option<std::sync::Arc<iterable_core::Header>> {
        self.inner.columns()
    }
    fn awrite_columns<'a>(
        &'a mut self,
        columns: &'a iterable_core::Header,
    ) -> BoxFuture<'a, Result<()>> {
        self.inner.awrite_columns(columns)
    }
    fn info(&self) -> &IterableInfo {
        self.inner.info()
    }

    fn progress(&self) -> Progress {
        self.inner.progress()
    }

    fn areset(&mut self) -> BoxFuture<'_, Result<()>> {
        self.rows = 0;
        self.finished = false;
        self.pending_error = None;
        self.ticker.restart();
        self.inner.areset()
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.inner.aclose().await?;
            // A writer's totals are known once it is closed (a reader's at its end).
            if self.inner.info().mode == Mode::Write {
                self.count(0);
            }
            Ok(())
        })
    }
}
