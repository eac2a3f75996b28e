//! [`BatchRowsReader`]: a reader of rows over any stream of record batches (Arrow IPC
//! uses it; so can any other Arrow-based format).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use futures_core::Stream;
use iterable_core::{AsyncIterable, Error, Header, IterableInfo, Progress, Result, Row};

use super::BatchStream;
use super::to_value::{header_of, record_batch_to_rows};
use crate::ReadContext;

/// Rows converted from a batch at a time: a few thousand rows, so that rows are made and
/// used while still in the cache and a large decoded batch is never all rows at once.
const ROWS_PER_SLICE: usize = 1024;

/// Rows of a stream of record batches, converted `ROWS_PER_SLICE` rows at a time with
/// [`record_batch_to_rows`]. After an error the stream ends.
pub struct BatchRowsReader {
    batches: BatchStream,
    header: Arc<Header>,
    /// The batch being turned into rows, and how many of its rows are done.
    batch: Option<(RecordBatch, usize)>,
    pending: std::vec::IntoIter<Row>,
    done: bool,
    rows: u64,
    bytes: Arc<AtomicU64>,
    bytes_total: Option<u64>,
    info: IterableInfo,
}

impl std::fmt::Debug for BatchRowsReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchRowsReader")
            .field("info", &self.info)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl BatchRowsReader {
    /// A reader of the rows of `batches` (all of `schema`), opened with `ctx`: its
    /// location and byte counters (columnar formats have no bad record to skip, so the
    /// error policy is not used).
    pub(crate) fn for_context(batches: BatchStream, schema: &Schema, ctx: ReadContext) -> Self {
        Self::new(batches, schema, ctx.info, ctx.bytes_read, ctx.bytes_total)
    }

    /// A reader of the rows of `batches` (all of `schema`); `bytes` and `bytes_total`
    /// feed `progress()`.
    pub fn new(
        batches: BatchStream,
        schema: &Schema,
        info: IterableInfo,
        bytes: Arc<AtomicU64>,
        bytes_total: Option<u64>,
    ) -> Self {
        BatchRowsReader {
            batches,
            header: header_of(schema),
            batch: None,
            pending: Vec::new().into_iter(),
            done: false,
            rows: 0,
            bytes,
            bytes_total,
            info,
        }
    }
}

impl Stream for BatchRowsReader {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        let this = &mut *self;
        loop {
            if let Some(row) = this.pending.next() {
                this.rows += 1;
                return Poll::Ready(Some(Ok(row)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let Some((batch, done)) = &mut this.batch else {
                match ready!(this.batches.as_mut().poll_next(cx)) {
                    None => this.done = true,
                    Some(Ok(batch)) => this.batch = Some((batch, 0)),
                    Some(Err(e)) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                continue;
            };
            let len = ROWS_PER_SLICE.min(batch.num_rows() - *done);
            // A panic converting (a value no check foresaw) is an error, not a crash.
            let slice = batch.slice(*done, len);
            let converted = catch_unwind(AssertUnwindSafe(|| {
                record_batch_to_rows(&slice, &this.header)
            }))
            .map_err(|payload| {
                Error::panicked(
                    &this.info.location,
                    "the conversion of Arrow values to rows",
                    payload.as_ref(),
                )
            })
            .and_then(|rows| {
                rows.map_err(|e| Error::unsupported(&this.info.location, e.to_string()))
            });
            *done += len;
            if *done == batch.num_rows() {
                this.batch = None;
            }
            match converted {
                Ok(rows) => this.pending = rows.into_iter(),
                Err(e) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

impl AsyncIterable for BatchRowsReader {
    fn info(&self) -> &IterableInfo {
        &self.info
    }

    fn progress(&self) -> Progress {
        Progress {
            rows: self.rows,
            bytes: self.bytes.load(Ordering::Relaxed),
            bytes_total: self.bytes_total,
            skipped: 0,
        }
    }
}
