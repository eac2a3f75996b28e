//! [`Enriched`]: an [`AsyncIterable`] that enriches the rows of another.
//!
//! Rows are pulled from the source while fewer than `window` rows are started and not
//! yet handed out; each runs on its own tokio task (so requests progress while the
//! consumer is busy), and the shared concurrency permit bounds the requests actually
//! in flight. Results pass through the reorder buffer in input or completion order.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use iterable_core::{AsyncIterable, Error, IterableInfo, Mode, Progress, Result, Row};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::accounting::{EnrichProgress, Stats};
use crate::breaker::Breaker;
use crate::events::StageEvent;
use crate::extract::Caller;
use crate::gate::Gate;
use crate::job::{Job, Outcome};
use crate::journal::Journal;
use crate::limits::Limiter;
use crate::options::{EnrichOptions, OnFailure};
use crate::order::Reorder;
use crate::output::{Multiplicity, Shaper};
use crate::prompt::PromptTemplate;
use crate::provider::Provider;
use crate::provider::response_mode::SharedMode;
use crate::typed::system_message;
use crate::{EnrichError, Schema};

/// Wraps `source` in an enrichment stage that asks `provider` for `schema` per row.
///
/// Needs a tokio runtime when polled (rows run on tokio tasks).
pub fn enrich<S: AsyncIterable>(
    source: S,
    provider: Arc<dyn Provider>,
    schema: Schema,
    options: EnrichOptions,
) -> std::result::Result<Enriched<S>, EnrichError> {
    build(source, provider, schema, options, false)
}

/// The stage; a `typed` one hands out the input rows untouched, each with its answer.
pub(crate) fn build<S: AsyncIterable>(
    source: S,
    provider: Arc<dyn Provider>,
    schema: Schema,
    options: EnrichOptions,
    typed: bool,
) -> std::result::Result<Enriched<S>, EnrichError> {
    let template = match &options.prompt {
        Some(t) => PromptTemplate::parse(t)?,
        None => PromptTemplate::default(),
    };
    let journal = options.cache_dir.as_ref().map(Journal::open).transpose()?;
    let stats = Arc::new(Stats::default());
    stats.set_mode(options.response_mode, false);
    stats.set_concurrency(options.concurrency.max(1));
    let caller = Caller {
        provider,
        retry: options.retry,
        limiter: Limiter::new(options.limits, options.learn_rate_limits),
        journal,
        retry_failed: options.retry_failed,
        remember_failures: true,
        stats: stats.clone(),
        mode: SharedMode::new(options.response_mode, options.mode_fallback),
        gate: Gate::new(options.concurrency, options.adaptive_concurrency),
        breaker: Arc::new(Breaker::new(options.fail_fast, options.max_failures)),
        events: options.events.clone(),
        max_reasks: options.max_reasks,
        budget: options.budget_tokens,
        budget_told: Default::default(),
        completion_estimate: options.completion_estimate,
    };
    let system = system_message(options.system.clone(), &schema);
    let ask_schema = match options.multiplicity {
        Multiplicity::One => schema.clone(),
        Multiplicity::List | Multiplicity::Explode => schema.list_of(),
    };
    let window = options.effective_window();
    let (dead_letter, error_column) = match options.on_failure {
        OnFailure::ErrorColumn => (None, Some(options.error_column.clone())),
        OnFailure::DeadLetter(sink) => (Some(Mutex::new(sink)), None),
    };
    let shaper = Shaper {
        schema,
        placement: options.placement,
        multiplicity: options.multiplicity,
        error_column,
        usage_column: options.usage_column,
    };
    let source_info = source.info();
    let info = IterableInfo {
        encoding: None,
        location: format!("enrich({})", source_info.location),
        format: source_info.format,
        codec: source_info.codec,
        mode: Mode::Read,
    };
    Ok(Enriched {
        source,
        source_done: false,
        job: Arc::new(Job {
            caller,
            template,
            system,
            ask_schema,
            shaper,
            dead_letter,
            error_column: options.error_column,
            typed,
            chunking: options.chunking,
        }),
        stats,
        tasks: FuturesUnordered::new(),
        reorder: Reorder::new(options.order),
        ready: VecDeque::new(),
        next_seq: 0,
        window,
        info,
        rows_out: 0,
        closing: None,
        ended: false,
    })
}

/// The enriched rows of a source; see [`enrich`].
pub struct Enriched<S> {
    pub(crate) source: S,
    source_done: bool,
    pub(crate) job: Arc<Job>,
    pub(crate) stats: Arc<Stats>,
    tasks: FuturesUnordered<RowTask>,
    reorder: Reorder<Vec<Result<Outcome>>>,
    ready: VecDeque<Result<Outcome>>,
    next_seq: u64,
    window: usize,
    info: IterableInfo,
    rows_out: u64,
    closing: Option<BoxFuture<'static, Result<()>>>,
    ended: bool,
}

impl<S: AsyncIterable> Enriched<S> {
    /// The live counters (rows, requests, retries, tokens); keep the `Arc` to read them
    /// from another task while the stage runs.
    pub fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    /// A snapshot of the counters.
    pub fn enrich_progress(&self) -> EnrichProgress {
        self.stats.snapshot()
    }

    /// The source.
    pub fn source(&self) -> &S {
        &self.source
    }

    fn start(&mut self, row: Row) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.stats.row_started();
        let handle = tokio::spawn(self.job.clone().run(row));
        self.tasks.push(RowTask { seq, handle });
    }

    fn close_future(&self) -> Option<BoxFuture<'static, Result<()>>> {
        let job = self.job.clone();
        job.dead_letter.as_ref()?;
        Some(Box::pin(async move {
            match &job.dead_letter {
                Some(sink) => sink.lock().await.aclose().await,
                None => Ok(()),
            }
        }))
    }

    fn poll_inner(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        self.poll_outcome(cx)
            .map(|item| item.map(|outcome| outcome.map(|o| o.row)))
    }

    /// The next output (the row, and the answer for a typed stage).
    pub(crate) fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Outcome>>> {
        loop {
            if !self.ended
                && let Some(reason) = self.job.caller.breaker.stopped()
            {
                // Stop: no more requests, no more rows; the error says why.
                let error = EnrichError::Stopped(reason.to_owned());
                self.tasks = FuturesUnordered::new();
                self.reorder = Reorder::new(self.reorder_order());
                self.ready.clear();
                self.closing = None;
                self.ended = true;
                return Poll::Ready(Some(Err(error.into())));
            }
            if let Some(item) = self.ready.pop_front() {
                if item.is_ok() {
                    self.rows_out += 1;
                }
                return Poll::Ready(Some(item));
            }
            if let Some(rows) = self.reorder.pop() {
                self.ready.extend(rows);
                continue;
            }
            if self.ended {
                return Poll::Ready(None);
            }
            if let Some(closing) = self.closing.as_mut() {
                let result = std::task::ready!(closing.as_mut().poll(cx));
                self.closing = None;
                self.ended = true;
                return Poll::Ready(result.err().map(Err));
            }
            let mut source_error = false;
            while !self.source_done && self.tasks.len() + self.reorder.len() < self.window {
                match Pin::new(&mut self.source).poll_next(cx) {
                    Poll::Ready(Some(Ok(row))) => self.start(row),
                    Poll::Ready(Some(Err(e))) => {
                        let seq = self.next_seq;
                        self.next_seq += 1;
                        self.reorder.push(seq, vec![Err(e)]);
                        source_error = true;
                        break;
                    }
                    Poll::Ready(None) => self.source_done = true,
                    Poll::Pending => break,
                }
            }
            if source_error {
                continue;
            }
            match self.tasks.poll_next_unpin(cx) {
                Poll::Ready(Some((seq, rows))) => self.reorder.push(seq, rows),
                Poll::Ready(None) if self.source_done => {
                    if let Some(reason) = self.job.caller.breaker.at_end() {
                        self.job.caller.events.emit(StageEvent::Stopped { reason });
                        continue;
                    }
                    match self.close_future() {
                        Some(f) => self.closing = Some(f),
                        None => self.ended = true,
                    }
                }
                Poll::Ready(None) | Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<S: AsyncIterable> Stream for Enriched<S> {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_inner(cx)
    }
}

impl<S: AsyncIterable> AsyncIterable for Enriched<S> {
    /// Keeps the trait's promise: rows before an error come back, the error with the
    /// next read.
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        Box::pin(async move {
            let mut rows = Vec::with_capacity(n.min(4096));
            while rows.len() < n {
                match std::future::poll_fn(|cx| self.poll_inner(cx)).await {
                    Some(Ok(row)) => rows.push(row),
                    Some(Err(e)) if rows.is_empty() => return Err(e),
                    Some(Err(e)) => {
                        self.ready.push_front(Err(e));
                        break;
                    }
                    None => break,
                }
            }
            Ok(rows)
        })
    }

    /// Starts over: drops the rows in flight and rewinds the source.
    fn areset(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.tasks = FuturesUnordered::new();
            self.reorder = Reorder::new(self.reorder_order());
            self.ready.clear();
            self.next_seq = 0;
            self.source_done = false;
            self.rows_out = 0;
            self.ended = false;
            self.source.areset().await
        })
    }

    /// Stops the rows in flight, closes the dead-letter sink and the source.
    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.tasks = FuturesUnordered::new();
            let sink = if self.ended {
                None
            } else {
                self.close_future()
            };
            self.ended = true;
            self.closing = None;
            if let Some(close) = sink {
                close.await?;
            }
            self.source.aclose().await
        })
    }

    fn info(&self) -> &IterableInfo {
        &self.info
    }

    fn progress(&self) -> Progress {
        let source = self.source.progress();
        let dead_lettered = if self.job.dead_letter.is_some() {
            self.stats.snapshot().rows_failed
        } else {
            0
        };
        Progress {
            rows: self.rows_out,
            bytes: source.bytes,
            bytes_total: source.bytes_total,
            skipped: source.skipped + dead_lettered,
        }
    }
}

impl<S: AsyncIterable> Enriched<S> {
    fn reorder_order(&self) -> crate::options::Order {
        self.reorder.order()
    }
}

/// A spawned row, aborted when dropped (a dropped stage stops its requests).
struct RowTask {
    seq: u64,
    handle: JoinHandle<Vec<Result<Outcome>>>,
}

impl Future for RowTask {
    type Output = (u64, Vec<Result<Outcome>>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let seq = self.seq;
        Pin::new(&mut self.handle)
            .poll(cx)
            .map(|joined| match joined {
                Ok(rows) => (seq, rows),
                Err(e) => (
                    seq,
                    vec![Err(Error::Enrich(
                        format!("row {} task failed: {e}", seq + 1).into(),
                    ))],
                ),
            })
    }
}

impl Drop for RowTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}
