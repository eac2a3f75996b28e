//! One stage of a pipeline: a function applied to each row of an iterable, read row by
//! row or in bulk, with what it made but has not handed out yet.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{AsyncIterable, BoxIterable, Error, IterableInfo, Progress, Result, Row};

/// What a stage does with one row.
pub(crate) enum Step {
    /// Passes this row on.
    One(Row),
    /// Passes these rows on, in order.
    Many(Vec<Row>),
    /// Drops the row.
    Skip,
    /// Passes this row on, and then ends the stream.
    Last(Row),
    /// Ends the stream without this row.
    End,
    /// Fails: the error is the stream's next item, and the stream ends.
    Fail(Error),
}

pub(crate) type StageFn = Box<dyn FnMut(Row) -> Step + Send>;
pub(crate) type FinishFn = Box<dyn FnOnce(&Progress) + Send>;
pub(crate) type FlushFn = Box<dyn FnOnce() -> Step + Send>;

/// Where a stage's rows go: the batch being read, or the queue.
trait Put {
    fn put(&mut self, row: Row);
}

impl Put for Vec<Row> {
    fn put(&mut self, row: Row) {
        self.push(row);
    }
}

impl Put for VecDeque<Row> {
    fn put(&mut self, row: Row) {
        self.push_back(row);
    }
}

/// One stage: `f` applied to each row of `inner`.
pub(crate) struct Stage {
    inner: BoxIterable,
    f: StageFn,
    /// Rows made by a `Many` step, not yet handed out.
    queue: VecDeque<Row>,
    /// An error to hand out once the queue is empty, then the end.
    failed: Option<Error>,
    /// No more rows from `inner` (a `End` step or its end).
    ended: bool,
    /// `try_map` errors are skipped and counted.
    skip_errors: bool,
    skipped: u64,
    rows_out: u64,
    /// Called when the source ends (not when the stage ends it or fails): rows the
    /// stage still holds.
    pub(crate) flush: Option<FlushFn>,
    /// Called once the last row is handed out, with the counts.
    pub(crate) on_end: Option<FinishFn>,
}

impl Stage {
    pub(crate) fn new(inner: BoxIterable, f: StageFn) -> Stage {
        Stage {
            inner,
            f,
            queue: VecDeque::new(),
            failed: None,
            ended: false,
            skip_errors: false,
            skipped: 0,
            rows_out: 0,
            flush: None,
            on_end: None,
        }
    }

    pub(crate) fn skipping(mut self, skip: bool) -> Stage {
        self.skip_errors = skip;
        self
    }

    /// Applies the stage to `row`: rows to hand out go to `out`.
    fn apply(&mut self, row: Row, out: &mut impl Put) {
        let step = (self.f)(row);
        self.absorb(step, out);
    }

    /// The source has ended: what the stage still holds is handed out.
    fn source_ended(&mut self) {
        self.ended = true;
        if let Some(flush) = self.flush.take() {
            let mut queue = std::mem::take(&mut self.queue);
            self.absorb(flush(), &mut queue);
            self.queue = queue;
        }
    }

    fn absorb(&mut self, step: Step, out: &mut impl Put) {
        match step {
            Step::One(row) => out.put(row),
            Step::Many(rows) => rows.into_iter().for_each(|row| out.put(row)),
            Step::Last(row) => {
                out.put(row);
                self.ended = true;
            }
            Step::Skip => {}
            Step::End => self.ended = true,
            Step::Fail(_) if self.skip_errors => self.skipped += 1,
            Step::Fail(e) => {
                self.failed = Some(e);
                self.ended = true;
            }
        }
    }

    fn finish(&mut self) {
        if let Some(f) = self.on_end.take() {
            f(&self.progress());
        }
    }
}

impl Stream for Stage {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        let this = &mut *self;
        loop {
            if let Some(row) = this.queue.pop_front() {
                this.rows_out += 1;
                return Poll::Ready(Some(Ok(row)));
            }
            if let Some(e) = this.failed.take() {
                return Poll::Ready(Some(Err(e)));
            }
            if this.ended {
                this.finish();
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => this.source_ended(),
                Poll::Ready(Some(Err(e))) => {
                    this.failed = Some(e);
                    this.ended = true;
                }
                Poll::Ready(Some(Ok(row))) => {
                    let mut queue = std::mem::take(&mut this.queue);
                    this.apply(row, &mut queue);
                    this.queue = queue;
                }
            }
        }
    }
}

impl AsyncIterable for Stage {
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        Box::pin(async move {
            let mut out: Vec<Row> = Vec::with_capacity(n.min(65536));
            while out.len() < n {
                if let Some(row) = self.queue.pop_front() {
                    out.push(row);
                    continue;
                }
                if self.failed.is_some() || self.ended {
                    break;
                }
                let rows = match self.inner.aread_bulk(n - out.len()).await {
                    Ok(rows) => rows,
                    Err(e) => {
                        self.failed = Some(e);
                        self.ended = true;
                        break;
                    }
                };
                if rows.is_empty() {
                    self.source_ended();
                    continue;
                }
                // Straight into the batch; what a `Many` step makes past `n` waits.
                for row in rows {
                    self.apply(row, &mut out);
                    if self.ended {
                        break;
                    }
                }
                if out.len() > n {
                    self.queue.extend(out.drain(n..));
                }
            }
            // Rows first; an error comes with the next read, as every reader does.
            if out.is_empty() {
                if let Some(e) = self.failed.take() {
                    return Err(e);
                }
                if self.ended && self.queue.is_empty() {
                    self.finish();
                }
            }
            self.rows_out += out.len() as u64;
            Ok(out)
        })
    }

    fn info(&self) -> &IterableInfo {
        self.inner.info()
    }

    fn progress(&self) -> Progress {
        let inner = self.inner.progress();
        Progress {
            rows: self.rows_out,
            skipped: inner.skipped + self.skipped,
            ..inner
        }
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        self.inner.aclose()
    }
}
