//! The options of an enrichment stage, with their defaults.

use std::path::PathBuf;

use iterable_core::BoxIterable;

use crate::breaker::FailureLimit;
use crate::chunk::Chunking;
use crate::events::{EventHandler, Events};
use crate::limits::RateLimits;
use crate::output::{Multiplicity, Placement};
use crate::provider::ResponseMode;
use crate::retry::RetryPolicy;

/// The system message used when none is given.
pub const DEFAULT_SYSTEM: &str = "You extract structured data from records. Use only what the record says; \
use null where the schema allows it and the record does not say. Answer with JSON that fits the schema.";

/// The order output rows come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// The input's order (like `asyncio.gather`): a slow row holds back the rows
    /// after it, up to the reorder window.
    #[default]
    Input,
    /// As answers arrive (like `asyncio.as_completed`).
    Completion,
}

/// What happens to a row whose extraction still fails after retries and re-asks.
/// It is never dropped.
#[derive(Default)]
pub enum OnFailure {
    /// It passes on with its extracted fields null and the error text in the error column.
    #[default]
    ErrorColumn,
    /// It is written, with the error column, to this writer (any location opened for
    /// writing, e.g. with `IterableOptions::write().open("failed.jsonl")`), and left
    /// out of the output. The writer is closed when the stage ends or on `aclose`; a
    /// stage dropped before either drops it unclosed (no complete-looking file is left).
    DeadLetter(BoxIterable),
}

impl std::fmt::Debug for OnFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OnFailure::ErrorColumn => f.write_str("ErrorColumn"),
            OnFailure::DeadLetter(sink) => write!(f, "DeadLetter({})", sink.info().location),
        }
    }
}

/// How a stage runs. Build with the methods; every field has a default.
#[derive(Debug)]
pub struct EnrichOptions {
    /// Requests in flight at once, at most (default 8).
    pub concurrency: usize,
    /// Rows started and not yet handed out, at most: rows in flight plus rows waiting
    /// in the reorder buffer (default 4 × concurrency). Bounds memory on endless sources.
    pub window: Option<usize>,
    /// Output order (default input order).
    pub order: Order,
    /// The prompt template over row fields (default: the whole row as JSON).
    pub prompt: Option<String>,
    /// The system message (default [`DEFAULT_SYSTEM`]; the schema's description is added).
    pub system: Option<String>,
    /// Where the extracted fields go.
    pub placement: Placement,
    /// How many objects a row gives.
    pub multiplicity: Multiplicity,
    /// What happens to a row that fails.
    pub on_failure: OnFailure,
    /// The error column's name (default `_enrich_error`).
    pub error_column: String,
    /// A column with each row's token usage (`prompt_tokens`, `completion_tokens`,
    /// `requests`, re-asks included), when named.
    pub usage_column: Option<String>,
    /// Retries of failed requests.
    pub retry: RetryPolicy,
    /// Requests- and tokens-per-minute limits.
    pub limits: RateLimits,
    /// Re-asks after an invalid answer (default 2).
    pub max_reasks: u32,
    /// How the schema is sent (default json_schema).
    pub response_mode: ResponseMode,
    /// Fall back to json_object, then tools, when the server rejects the mode (default on).
    pub mode_fallback: bool,
    /// A directory for the answer cache (a journal of each row's final answer or
    /// failure, [`crate::Journal`]), if any: a re-run pays only for unfinished rows.
    pub cache_dir: Option<PathBuf>,
    /// Ask again the rows whose failure the cache kept (default off: a re-run passes
    /// them on failed, with [`crate::EnrichError::FailedBefore`], without paying again).
    pub retry_failed: bool,
    /// Tokens an answer is assumed to take, for the tokens-per-minute bucket until the
    /// server reports the real count (default 256; set it to `max_tokens` when you cap answers).
    pub completion_estimate: u64,
    /// Stop when the first this many rows all failed the same way (default 5; 0 never).
    pub fail_fast: u32,
    /// Stop when more rows than this failed (default none).
    pub max_failures: Option<FailureLimit>,
    /// Tokens (prompt plus completion) the stage may spend; once spent, rows not yet
    /// asked pass on unasked with [`crate::EnrichError::BudgetSpent`] (default none).
    pub budget_tokens: Option<u64>,
    /// Halve the requests in flight on a rate limit answer and raise them back one
    /// by one (default on).
    pub adaptive_concurrency: bool,
    /// Seed the requests- and tokens-per-minute buckets not set here from the
    /// server's rate limit headers (default on).
    pub learn_rate_limits: bool,
    /// Cut long texts into pieces asked one by one, their answers merged (default
    /// none: a row is one request whatever its length).
    pub chunking: Option<Chunking>,
    pub(crate) events: Events,
}

impl Default for EnrichOptions {
    fn default() -> Self {
        EnrichOptions {
            concurrency: 8,
            window: None,
            order: Order::Input,
            prompt: None,
            system: None,
            placement: Placement::default(),
            multiplicity: Multiplicity::One,
            on_failure: OnFailure::ErrorColumn,
            error_column: "_enrich_error".into(),
            usage_column: None,
            retry: RetryPolicy::default(),
            limits: RateLimits::default(),
            max_reasks: 2,
            response_mode: ResponseMode::JsonSchema,
            mode_fallback: true,
            cache_dir: None,
            retry_failed: false,
            completion_estimate: 256,
            fail_fast: 5,
            max_failures: None,
            budget_tokens: None,
            adaptive_concurrency: true,
            learn_rate_limits: true,
            chunking: None,
            events: Events::default(),
        }
    }
}

impl EnrichOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Requests in flight at once, at most (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }
    /// Rows started and not yet handed out, at most (at least the concurrency).
    pub fn window(mut self, rows: usize) -> Self {
        self.window = Some(rows);
        self
    }
    /// The output order.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }
    /// The prompt template (`{field}`, `{*}` for the whole row).
    pub fn prompt(mut self, template: impl Into<String>) -> Self {
        self.prompt = Some(template.into());
        self
    }
    /// The system message.
    pub fn system(mut self, text: impl Into<String>) -> Self {
        self.system = Some(text.into());
        self
    }
    /// Extracted fields as columns named `prefix + property`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.placement = Placement::Prefix(prefix.into());
        self
    }
    /// Extracted fields as one nested column.
    pub fn nested(mut self, column: impl Into<String>) -> Self {
        self.placement = Placement::Nested(column.into());
        self
    }
    /// How many objects a row gives.
    pub fn multiplicity(mut self, m: Multiplicity) -> Self {
        self.multiplicity = m;
        self
    }
    /// Failed rows go to this writer instead of the output.
    pub fn dead_letter(mut self, sink: BoxIterable) -> Self {
        self.on_failure = OnFailure::DeadLetter(sink);
        self
    }
    /// The error column's name.
    pub fn error_column(mut self, name: impl Into<String>) -> Self {
        self.error_column = name.into();
        self
    }
    /// Adds a column with each row's token usage.
    pub fn usage_column(mut self, name: impl Into<String>) -> Self {
        self.usage_column = Some(name.into());
        self
    }
    /// The retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// Rate limits.
    pub fn limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }
    /// Re-asks after an invalid answer.
    pub fn max_reasks(mut self, n: u32) -> Self {
        self.max_reasks = n;
        self
    }
    /// How the schema is sent, and whether to fall back when the server rejects it.
    pub fn response_mode(mut self, mode: ResponseMode, fallback: bool) -> Self {
        self.response_mode = mode;
        self.mode_fallback = fallback;
        self
    }
    /// Keeps each row's final answer (or failure) in a journal in this directory: a
    /// re-run with the same arguments pays only for the rows that had not finished.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }
    /// Asks again the rows that failed for good in an earlier run (the cache keeps
    /// their failures; without this, a re-run passes them on failed, unpaid).
    pub fn retry_failed(mut self, yes: bool) -> Self {
        self.retry_failed = yes;
        self
    }
    /// Tokens an answer is assumed to take before the server says.
    pub fn completion_estimate(mut self, tokens: u64) -> Self {
        self.completion_estimate = tokens;
        self
    }

    /// Stop when the first `rows` rows all failed the same way (0: never). An error
    /// no row can survive (credentials, quota, an unknown model, a refused schema)
    /// stops the stage at once, whatever this says.
    pub fn fail_fast(mut self, rows: u32) -> Self {
        self.fail_fast = rows;
        self
    }
    /// Stop when more rows than `limit` failed.
    pub fn max_failures(mut self, limit: FailureLimit) -> Self {
        self.max_failures = Some(limit);
        self
    }
    /// Spends at most about `tokens` (requests already in flight when the budget runs
    /// out still finish); the rows after pass on unasked, as failed rows.
    pub fn budget_tokens(mut self, tokens: u64) -> Self {
        self.budget_tokens = Some(tokens);
        self
    }
    /// Whether rate limit answers lower the requests in flight (AIMD).
    pub fn adaptive_concurrency(mut self, on: bool) -> Self {
        self.adaptive_concurrency = on;
        self
    }
    /// Whether the server's rate limit headers seed the buckets not set.
    pub fn learn_rate_limits(mut self, on: bool) -> Self {
        self.learn_rate_limits = on;
        self
    }
    /// Cuts a row's long text into pieces of at most `chunking.max_tokens` tokens,
    /// asks about each piece, and merges the answers (see [`Chunking`]).
    pub fn chunking(mut self, chunking: Chunking) -> Self {
        self.chunking = Some(chunking);
        self
    }
    /// Calls `handler` with each decision of the stage (a mode switch, a pause, a
    /// new concurrency, a stop).
    pub fn on_event(mut self, handler: EventHandler) -> Self {
        self.events = Events(Some(handler));
        self
    }

    pub(crate) fn effective_window(&self) -> usize {
        self.window
            .unwrap_or(self.concurrency.saturating_mul(4))
            .max(self.concurrency)
    }
}
