//! A stage that runs an async function on up to N rows at once, handing the results
//! out in the order of the rows or as they finish.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use futures_util::stream::{FuturesOrdered, FuturesUnordered, StreamExt};
use iterable_core::{AsyncIterable, BoxIterable, Error, IterableInfo, Progress, Result, Row};

use super::errors::StagePolicy;

/// A finished call: the row's number, its copy (for a dead-letter file), the result.
type Done = (u64, Option<Row>, Result<Row>);

/// The calls in flight, kept in row order or not.
enum InFlight {
    Ordered(FuturesOrdered<BoxFuture<'static, Done>>),
    Unordered(FuturesUnordered<BoxFuture<'static, Done>>),
}

impl InFlight {
    fn len(&self) -> usize {
        match self {
            InFlight::Ordered(f) => f.len(),
            InFlight::Unordered(f) => f.len(),
        }
    }

    fn push(&mut self, call: BoxFuture<'static, Done>) {
        match self {
            InFlight::Ordered(f) => f.push_back(call),
            InFlight::Unordered(f) => f.push(call),
        }
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Done>> {
        match self {
            InFlight::Ordered(f) => f.poll_next_unpin(cx),
            InFlight::Unordered(f) => f.poll_next_unpin(cx),
        }
    }
}

type CallFn = Box<dyn Fn(Row) -> BoxFuture<'static, Result<Row>> + Send + Sync>;

/// `call` on each row of `inner`, `limit` at a time.
pub(crate) struct Concurrent {
    inner: BoxIterable,
    call: CallFn,
    limit: usize,
    in_flight: InFlight,
    policy: StagePolicy,
    /// The source has ended (or failed: then `failed` holds its error).
    source_done: bool,
    failed: Option<Error>,
    /// Rows taken from the source, to number them in errors.
    taken: u64,
    rows_out: u64,
    /// An error met after some rows of a bulk read, for the next read.
    pending: Option<Error>,
}

impl Concurrent {
    pub(crate) fn new<F, Fut>(
        inner: BoxIterable,
        limit: usize,
        ordered: bool,
        policy: StagePolicy,
        f: F,
    ) -> Concurrent
    where
        F: Fn(Row) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Row>> + Send + 'static,
    {
        Concurrent {
            inner,
            call: Box::new(move |row| Box::pin(f(row))),
            limit: limit.max(1),
            in_flight: if ordered {
                InFlight::Ordered(FuturesOrdered::new())
            } else {
                InFlight::Unordered(FuturesUnordered::new())
            },
            policy,
            source_done: false,
            failed: None,
            taken: 0,
            rows_out: 0,
            pending: None,
        }
    }

    /// Starts calls on the source's rows while there is room.
    fn fill(&mut self, cx: &mut Context<'_>) {
        while !self.source_done && self.in_flight.len() < self.limit {
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Pending => return,
                Poll::Ready(None) => self.source_done = true,
                Poll::Ready(Some(Err(e))) => {
                    self.failed = Some(e);
                    self.source_done = true;
                }
                Poll::Ready(Some(Ok(row))) => {
                    self.taken += 1;
                    let n = self.taken;
                    let copy = self.policy.keeps_rows().then(|| row.clone());
                    let call = (self.call)(row);
                    self.in_flight
                        .push(Box::pin(async move { (n, copy, call.await) }));
                }
            }
        }
    }
}

impl Stream for Concurrent {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        let this = &mut *self;
        if let Some(e) = this.pending.take() {
            return Poll::Ready(Some(Err(e)));
        }
        loop {
            this.fill(cx);
            match this.in_flight.poll_next(cx) {
                Poll::Ready(Some((_, _, Ok(row)))) => {
                    this.rows_out += 1;
                    return Poll::Ready(Some(Ok(row)));
                }
                Poll::Ready(Some((n, copy, Err(e)))) => {
                    match this.policy.handle(n, copy.as_ref(), e) {
                        Ok(()) => continue,
                        Err(e) => {
                            // The calls still in flight are dropped with the stage.
                            this.source_done = true;
                            this.in_flight = InFlight::Unordered(FuturesUnordered::new());
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                }
                Poll::Ready(None) if this.source_done => {
                    // The source's own error comes after the rows before it.
                    if let Some(e) = this.failed.take() {
                        return Poll::Ready(Some(Err(e)));
                    }
                    if let Err(e) = this.policy.flush() {
                        return Poll::Ready(Some(Err(e)));
                    }
                    return Poll::Ready(None);
                }
                // Nothing in flight yet: the source is pending.
                Poll::Ready(None) | Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl AsyncIterable for Concurrent {
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        Box::pin(async move {
            if let Some(e) = self.pending.take() {
                return Err(e);
            }
            let mut out = Vec::with_capacity(n.min(65536));
            while out.len() < n {
                match std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await {
                    Some(Ok(row)) => out.push(row),
                    Some(Err(e)) if out.is_empty() => return Err(e),
                    Some(Err(e)) => {
                        self.pending = Some(e);
                        break;
                    }
                    None => break,
                }
            }
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
            skipped: inner.skipped + self.policy.skipped(),
            ..inner
        }
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        self.inner.aclose()
    }
}
