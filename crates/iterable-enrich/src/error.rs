//! What can go wrong while enriching one row, in words a user can act on.

use std::time::Duration;

/// Why a row could not be enriched (or a schema could not be planned).
///
/// Converted into [`iterable_core::Error::Enrich`] where it leaves the crate, and
/// written into the error column or the dead-letter row as its `Display` text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EnrichError {
    /// The server answered with an HTTP error that is not retried (or still failed
    /// after the last retry).
    #[error("HTTP {status}{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Http {
        /// The HTTP status.
        status: u16,
        /// The provider's error code or type (`insufficient_quota`, `rate_limit_exceeded`, ...).
        code: Option<String>,
        /// The provider's message, or the start of the body.
        message: String,
    },
    /// No answer within the per-request timeout.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The connection failed or was dropped before a whole answer arrived.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The server's answer is not a chat completion.
    #[error("malformed response from the server: {0}")]
    BadResponse(String),
    /// The model stopped at the token limit (`finish_reason: length`): the answer is cut.
    #[error("the answer was cut at the token limit (finish_reason: length); raise max_tokens")]
    Truncated,
    /// The model refused to answer.
    #[error("the model refused: {0}")]
    Refused(String),
    /// The answer was not valid JSON or did not fit the schema, after every re-ask.
    #[error("invalid answer after {attempts} attempt(s): {message}")]
    Invalid {
        /// How many answers were tried.
        attempts: u32,
        /// The last validation error.
        message: String,
    },
    /// The prompt template names something the row does not have, or similar.
    #[error("prompt: {0}")]
    Prompt(String),
    /// The schema or an option is wrong.
    #[error("schema: {0}")]
    Schema(String),
    /// The server refused the way the schema was sent and no other way is left (the
    /// fallbacks are off or used up): every row would be refused the same way.
    #[error("the server does not accept response mode {mode}: {message}")]
    ModeRejected {
        /// The mode's name (`json-schema`, `json-object`, `tools`).
        mode: &'static str,
        /// What the server said.
        message: String,
    },
    /// The stage stopped before the end of its input: every row would fail the same
    /// way, or more rows failed than the stage allows. Rows finished before the stop
    /// came out; the rest did not run.
    #[error("stopped: {0}")]
    Stopped(String),
    /// The row was not asked: the stage's token budget was spent before its turn.
    #[error("not asked: the token budget of {0} tokens is spent")]
    BudgetSpent(u64),
    /// The row failed for good in an earlier run and the cache kept that: it is not
    /// asked again unless failed rows are retried ([`EnrichOptions::retry_failed`](crate::EnrichOptions::retry_failed)).
    #[error(
        "{error} (an earlier run's failure, kept in the cache; retry failed rows to ask again)"
    )]
    FailedBefore {
        /// The error the row failed with.
        error: String,
        /// What stays the same when other rows fail the same way.
        kind: String,
    },
    /// A batch of the Batch API failed as a whole (its input file was refused), or a
    /// batch run cannot start or continue as asked.
    #[error("batch: {0}")]
    Batch(String),
    /// The on-disk cache could not be read or written.
    #[error("cache {path}: {message}")]
    Cache {
        /// The cache file.
        path: String,
        /// What failed.
        message: String,
    },
}

impl From<EnrichError> for iterable_core::Error {
    fn from(e: EnrichError) -> Self {
        iterable_core::Error::Enrich(Box::new(e))
    }
}
