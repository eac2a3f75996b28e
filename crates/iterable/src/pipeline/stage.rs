//! The stages of a pipeline since its last source, run as one: each row goes through
//! every stage's function in turn, straight into what consumes it (a batch being read,
//! a fold, a writer's batch), so that a stage costs a function call, not a buffer.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Passes these rows on, then ends the pipeline: with this error, if any.
    Stop(Vec<Row>, Option<Error>),
}

impl Step {
    /// Ends the pipeline without passing anything on.
    pub(crate) fn end() -> Step {
        Step::Stop(Vec::new(), None)
    }

    /// Ends the pipeline with `error`.
    pub(crate) fn fail(error: Error) -> Step {
        Step::Stop(Vec::new(), Some(error))
    }
}

pub(crate) type FinishFn = Box<dyn FnOnce(&Progress) + Send>;

/// One stage: what it does with a row, and what it hands on when the source ends
/// (the rows a batching stage still holds). Its state is its own: no lock on the row
/// path.
pub(crate) trait Part: Send {
    fn row(&mut self, row: Row) -> Step;

    fn flush(&mut self) -> Step {
        Step::Skip
    }
}

/// A stage that is a function of each row alone.
struct RowFn<F>(F);

impl<F: FnMut(Row) -> Step + Send> Part for RowFn<F> {
    fn row(&mut self, row: Row) -> Step {
        (self.0)(row)
    }
}

/// Where the rows that come out go.
pub(crate) trait Put {
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

/// Rows handed to a function as they come out (a fold, a count).
pub(crate) struct Each<F>(pub(crate) F);

impl<F: FnMut(Row)> Put for Each<F> {
    fn put(&mut self, row: Row) {
        (self.0)(row);
    }
}

/// Counts the rows put.
struct Counted<'a, P> {
    out: &'a mut P,
    n: u64,
}

impl<P: Put> Put for Counted<'_, P> {
    fn put(&mut self, row: Row) {
        self.n += 1;
        self.out.put(row);
    }
}

/// Whether the pipeline goes on after a row.
enum Flow {
    Go,
    Stop(Option<Error>),
}

/// The stages since the last source, in order.
#[derive(Default)]
pub(crate) struct Stages {
    parts: Vec<Box<dyn Part>>,
    flushed: bool,
    on_end: Vec<FinishFn>,
    /// Rows the stages dropped as skipped (a `try_map` skipping its errors).
    pub(crate) skipped: Arc<AtomicU64>,
}

impl Stages {
    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty() && self.on_end.is_empty()
    }

    pub(crate) fn push_fn(&mut self, f: impl FnMut(Row) -> Step + Send + 'static) {
        self.parts.push(Box::new(RowFn(f)));
    }

    pub(crate) fn push(&mut self, part: Box<dyn Part>) {
        self.parts.push(part);
    }

    pub(crate) fn on_end(&mut self, f: FinishFn) {
        self.on_end.push(f);
    }

    /// `row` through every stage, into `out`.
    fn run(&mut self, row: Row, out: &mut impl Put) -> Flow {
        through(&mut self.parts, row, out)
    }

    /// The source ended: each stage hands on what it holds, through the stages after it.
    fn flush(&mut self, out: &mut impl Put) -> Flow {
        if std::mem::replace(&mut self.flushed, true) {
            return Flow::Go;
        }
        for i in 0..self.parts.len() {
            let step = self.parts[i].flush();
            if let Flow::Stop(e) = route(step, &mut self.parts[i + 1..], out) {
                return Flow::Stop(e);
            }
        }
        Flow::Go
    }

    fn finish(&mut self, progress: &Progress) {
        for f in self.on_end.drain(..) {
            f(progress);
        }
    }
}

fn through(parts: &mut [Box<dyn Part>], row: Row, out: &mut impl Put) -> Flow {
    match parts.split_first_mut() {
        None => {
            out.put(row);
            Flow::Go
        }
        Some((first, rest)) => {
            let step = first.row(row);
            route(step, rest, out)
        }
    }
}

fn route(step: Step, rest: &mut [Box<dyn Part>], out: &mut impl Put) -> Flow {
    match step {
        Step::One(row) => through(rest, row, out),
        Step::Skip => Flow::Go,
        Step::Many(rows) => {
            for row in rows {
                if let Flow::Stop(e) = through(rest, row, out) {
                    return Flow::Stop(e);
                }
            }
            Flow::Go
        }
        Step::Stop(rows, error) => {
            for row in rows {
                if let Flow::Stop(e) = through(rest, row, out) {
                    return Flow::Stop(e);
                }
            }
            Flow::Stop(error)
        }
    }
}

/// A source and its stages, read as one iterable.
pub(crate) struct Stage {
    source: BoxIterable,
    stages: Stages,
    /// Rows made past what a bulk read asked for, handed out next.
    queue: VecDeque<Row>,
    /// An error to hand out once the queue is empty, then the end.
    failed: Option<Error>,
    /// Nothing more comes from the source (its end, an error, a stage that stopped).
    ended: bool,
    finished: bool,
    rows_out: u64,
}

/// Rows asked of the source at a time by the pipeline's own loops.
pub(crate) const SOURCE_BATCH: usize = 4096;

impl Stage {
    pub(crate) fn new(source: BoxIterable, stages: Stages) -> Stage {
        Stage {
            source,
            stages,
            queue: VecDeque::new(),
            failed: None,
            ended: false,
            finished: false,
            rows_out: 0,
        }
    }

    /// Reads up to `n` rows of the source and puts what the stages make of them into
    /// `out`. `Ok(false)` once nothing more will come; an error of the source or of a
    /// stage comes after the rows before it were put.
    pub(crate) async fn step(&mut self, n: usize, out: &mut impl Put) -> Result<bool> {
        if self.ended {
            return self.close_out();
        }
        let rows = match self.source.aread_bulk(n).await {
            Ok(rows) => rows,
            Err(e) => {
                self.ended = true;
                return Err(e);
            }
        };
        let mut out = Counted { out, n: 0 };
        let flow = if rows.is_empty() {
            self.ended = true;
            self.stages.flush(&mut out)
        } else {
            let mut flow = Flow::Go;
            for row in rows {
                flow = self.stages.run(row, &mut out);
                if matches!(flow, Flow::Stop(_)) {
                    break;
                }
            }
            flow
        };
        self.rows_out += out.n;
        match flow {
            Flow::Go if !self.ended => Ok(true),
            Flow::Go => self.close_out(),
            Flow::Stop(error) => {
                self.ended = true;
                match error {
                    Some(e) => Err(e),
                    None => self.close_out(),
                }
            }
        }
    }

    /// The end: the finish hooks run once, with the counts.
    fn close_out(&mut self) -> Result<bool> {
        if !self.finished {
            self.finished = true;
            let progress = self.progress();
            self.stages.finish(&progress);
        }
        Ok(false)
    }

    /// Runs `f` with the queue as where the rows go, counting them.
    fn put_into_queue(
        &mut self,
        f: impl FnOnce(&mut Stages, &mut Counted<'_, VecDeque<Row>>) -> Flow,
    ) -> Flow {
        let mut queue = std::mem::take(&mut self.queue);
        let mut counted = Counted {
            out: &mut queue,
            n: 0,
        };
        let flow = f(&mut self.stages, &mut counted);
        self.rows_out += counted.n;
        self.queue = queue;
        flow
    }

    /// Closes the source.
    pub(crate) async fn close(&mut self) -> Result<()> {
        self.source.aclose().await
    }
}

impl Stream for Stage {
    type Item = Result<Row>;

    /// Row by row the source is read in bulk too (what the stages make waits in the
    /// queue): a stage never drives its source one row at a time.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        let this = &mut *self;
        loop {
            if let Some(row) = this.queue.pop_front() {
                return Poll::Ready(Some(Ok(row)));
            }
            if let Some(e) = this.failed.take() {
                return Poll::Ready(Some(Err(e)));
            }
            if this.ended && this.finished {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.source).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    this.ended = true;
                    let flow = this.put_into_queue(|stages, queue| stages.flush(queue));
                    if let Flow::Stop(Some(e)) = flow {
                        this.failed = Some(e);
                    }
                    let _ = this.close_out();
                }
                Poll::Ready(Some(Err(e))) => {
                    this.failed = Some(e);
                    this.ended = true;
                    let _ = this.close_out();
                }
                Poll::Ready(Some(Ok(row))) => {
                    let flow = this.put_into_queue(|stages, queue| stages.run(row, queue));
                    if let Flow::Stop(error) = flow {
                        this.ended = true;
                        this.failed = error;
                        let _ = this.close_out();
                    }
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
                if self.failed.is_some() || (self.ended && self.finished) {
                    break;
                }
                match self.step(n - out.len(), &mut out).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        self.failed = Some(e);
                        break;
                    }
                }
            }
            // What a `Many` step made past `n` waits for the next read.
            if out.len() > n {
                let extra: Vec<Row> = out.drain(n..).collect();
                for row in extra.into_iter().rev() {
                    self.queue.push_front(row);
                }
            }
            // Rows first; an error comes with the next read, as every reader does.
            if out.is_empty()
                && let Some(e) = self.failed.take()
            {
                return Err(e);
            }
            Ok(out)
        })
    }

    fn info(&self) -> &IterableInfo {
        self.source.info()
    }

    fn progress(&self) -> Progress {
        let inner = self.source.progress();
        Progress {
            rows: self.rows_out,
            skipped: inner.skipped + self.stages.skipped.load(Ordering::Relaxed),
            ..inner
        }
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        self.source.aclose()
    }
}
