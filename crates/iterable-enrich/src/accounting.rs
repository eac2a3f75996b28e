//! Counters a stage updates as it goes, readable from any task while it runs (for a
//! progress bar or a budget check): rows, requests, retries, re-asks, cache hits, tokens.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};

use crate::provider::{ResponseMode, Usage};

/// Distinct failures kept by [`Stats::failures`]; later new ones count as "other errors".
const DISTINCT_FAILURES: usize = 20;
const OTHER: &str = "\u{0}other";

/// Live counters of one stage (or one planning call). Share it with `Arc`.
#[derive(Debug, Default)]
pub struct Stats {
    rows_started: AtomicU64,
    rows_done: AtomicU64,
    rows_failed: AtomicU64,
    requests: AtomicU64,
    requests_in_flight: AtomicU64,
    peak_requests_in_flight: AtomicU64,
    retries: AtomicU64,
    reasks: AtomicU64,
    cache_hits: AtomicU64,
    failures_replayed: AtomicU64,
    batch_answers: AtomicU64,
    prompt_tokens: AtomicU64,
    completion_tokens: AtomicU64,
    cached_tokens: AtomicU64,
    reasoning_tokens: AtomicU64,
    mode_switches: AtomicU64,
    response_mode: AtomicU8,
    pauses: AtomicU64,
    concurrency: AtomicU64,
    failures: Mutex<Vec<(String, FailureCount)>>,
}

/// How many rows failed one way, with the first such error's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureCount {
    /// The error of the first row that failed this way.
    pub error: String,
    /// Rows that failed this way.
    pub rows: u64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EnrichProgress {
    /// Rows enriched successfully.
    pub rows_done: u64,
    /// Rows that failed (sent to the dead-letter sink or passed on with an error).
    pub rows_failed: u64,
    /// Rows started and not yet finished.
    pub rows_in_flight: u64,
    /// HTTP requests sent (retries and re-asks included; cache hits not).
    pub requests: u64,
    /// Requests waiting for their answer now.
    pub requests_in_flight: u64,
    /// The most requests that were ever in flight at once.
    pub peak_requests_in_flight: u64,
    /// Requests retried after a transport or HTTP failure.
    pub retries: u64,
    /// Re-asks after an invalid answer.
    pub reasks: u64,
    /// Answers served from the on-disk cache.
    pub cache_hits: u64,
    /// Rows passed on failed, not asked again, because the cache kept their failure
    /// from an earlier run (counted in `rows_failed` too).
    pub failures_replayed: u64,
    /// Answers kept from the Batch API ([`crate::enrich_batch`]); their tokens
    /// are in `usage` (billed at the batch price), and their rows count as cache hits
    /// when the stage hands them out.
    pub batch_answers: u64,
    /// Tokens paid for, all requests together.
    pub usage: Usage,
    /// How the schema is sent now.
    pub response_mode: ResponseMode,
    /// Times the server refused the response mode and the stage moved on.
    pub mode_switches: u64,
    /// Times a rate limit paused every request.
    pub pauses: u64,
    /// Requests allowed in flight now (lowered while the server rate limits).
    pub concurrency: u64,
}

impl Stats {
    /// A snapshot of the counters.
    pub fn snapshot(&self) -> EnrichProgress {
        let started = self.rows_started.load(Relaxed);
        let done = self.rows_done.load(Relaxed);
        let failed = self.rows_failed.load(Relaxed);
        EnrichProgress {
            rows_done: done,
            rows_failed: failed,
            rows_in_flight: started.saturating_sub(done + failed),
            requests: self.requests.load(Relaxed),
            requests_in_flight: self.requests_in_flight.load(Relaxed),
            peak_requests_in_flight: self.peak_requests_in_flight.load(Relaxed),
            retries: self.retries.load(Relaxed),
            reasks: self.reasks.load(Relaxed),
            cache_hits: self.cache_hits.load(Relaxed),
            failures_replayed: self.failures_replayed.load(Relaxed),
            batch_answers: self.batch_answers.load(Relaxed),
            usage: Usage {
                prompt_tokens: self.prompt_tokens.load(Relaxed),
                completion_tokens: self.completion_tokens.load(Relaxed),
                cached_tokens: self.cached_tokens.load(Relaxed),
                reasoning_tokens: self.reasoning_tokens.load(Relaxed),
            },
            response_mode: ResponseMode::from_code(self.response_mode.load(Relaxed)),
            mode_switches: self.mode_switches.load(Relaxed),
            pauses: self.pauses.load(Relaxed),
            concurrency: self.concurrency.load(Relaxed),
        }
    }

    /// The distinct ways rows failed, most rows first (20 kinds at most; rows that
    /// failed in further new ways count together as "other errors").
    pub fn failures(&self) -> Vec<FailureCount> {
        let mut out: Vec<FailureCount> = self
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(_, f)| f.clone())
            .collect();
        out.sort_by_key(|f| std::cmp::Reverse(f.rows));
        out
    }

    /// Prompt plus completion tokens so far.
    pub fn tokens_used(&self) -> u64 {
        self.prompt_tokens.load(Relaxed) + self.completion_tokens.load(Relaxed)
    }

    pub(crate) fn set_mode(&self, mode: ResponseMode, switched: bool) {
        self.response_mode.store(mode.code(), Relaxed);
        if switched {
            self.mode_switches.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn paused(&self) {
        self.pauses.fetch_add(1, Relaxed);
    }

    pub(crate) fn set_concurrency(&self, n: usize) {
        self.concurrency.store(n as u64, Relaxed);
    }

    pub(crate) fn failed_with(&self, signature: String, error: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let full = failures.len() >= DISTINCT_FAILURES;
        let key = if full && !failures.iter().any(|(s, _)| *s == signature) {
            OTHER
        } else {
            signature.as_str()
        };
        if let Some((_, f)) = failures.iter_mut().find(|(s, _)| s == key) {
            f.rows += 1;
        } else if failures.len() < DISTINCT_FAILURES {
            failures.push((
                signature,
                FailureCount {
                    error: error.to_owned(),
                    rows: 1,
                },
            ));
        } else {
            failures.push((
                OTHER.into(),
                FailureCount {
                    error: "other errors".into(),
                    rows: 1,
                },
            ));
        }
    }

    pub(crate) fn row_started(&self) {
        self.rows_started.fetch_add(1, Relaxed);
    }

    pub(crate) fn row_finished(&self, ok: bool) {
        if ok {
            self.rows_done.fetch_add(1, Relaxed);
        } else {
            self.rows_failed.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn request_started(&self) {
        self.requests.fetch_add(1, Relaxed);
        let now = self.requests_in_flight.fetch_add(1, Relaxed) + 1;
        self.peak_requests_in_flight.fetch_max(now, Relaxed);
    }

    pub(crate) fn request_finished(&self, usage: Usage) {
        self.requests_in_flight.fetch_sub(1, Relaxed);
        self.add_usage(usage);
    }

    /// An answer read from a finished batch (paid for, kept or not).
    pub(crate) fn batch_answer(&self, usage: Usage, kept: bool) {
        if kept {
            self.batch_answers.fetch_add(1, Relaxed);
        }
        self.add_usage(usage);
    }

    fn add_usage(&self, usage: Usage) {
        self.prompt_tokens.fetch_add(usage.prompt_tokens, Relaxed);
        self.completion_tokens
            .fetch_add(usage.completion_tokens, Relaxed);
        self.cached_tokens.fetch_add(usage.cached_tokens, Relaxed);
        self.reasoning_tokens
            .fetch_add(usage.reasoning_tokens, Relaxed);
    }

    pub(crate) fn retried(&self) {
        self.retries.fetch_add(1, Relaxed);
    }

    pub(crate) fn reasked(&self) {
        self.reasks.fetch_add(1, Relaxed);
    }

    pub(crate) fn failure_replayed(&self) {
        self.failures_replayed.fetch_add(1, Relaxed);
    }

    pub(crate) fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Relaxed);
    }
}
