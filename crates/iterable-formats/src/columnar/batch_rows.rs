//! [`BatchRowsReader`]: a reader of rows over any stream of record batches (Arrow IPC
//! uses it; so can any other Arrow-based format).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use arrow_schema::Schema;
use futures_core::Stream;
use iterable_core::{AsyncIterable, Error, Header, IterableInfo, Progress, Result, Row};

use super::BatchStream;
use super::to_value::{header_of, record_batch_to_rows};

/// Rows of a stream of record batches, converted a batch at a time with
/// [`record_batch_to_rows`]. After an error the stream ends.
pub struct BatchRowsReader {
    batches: BatchStream,
    header: Arc<Header>,
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
            let converted = match ready!(this.batches.as_mut().poll_next(cx)) {
                None => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Some(batch) => batch.and_then(|b| {
                    record_batch_to_rows(&b, &this.header)
                        .map_err(|e| Error::unsupported(&this.info.location, e.to_string()))
                }),
            };
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
