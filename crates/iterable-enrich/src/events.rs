//! What a stage decides while it runs (a mode it moves to, a pause, a new concurrency,
//! a stop), handed to an optional callback so a program can show or log it. The
//! library itself prints nothing.

use std::sync::Arc;
use std::time::Duration;

use crate::provider::ResponseMode;

/// One decision of a running stage.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StageEvent {
    /// The server refused how the schema was sent; every later request uses `to`.
    ModeSwitched {
        /// The refused mode.
        from: ResponseMode,
        /// The mode used from now on.
        to: ResponseMode,
        /// What the server said.
        reason: String,
    },
    /// A rate limit answer (429) paused every request of the stage.
    Paused {
        /// How long no request is sent.
        wait: Duration,
        /// What the server said.
        reason: String,
    },
    /// The stage changed how many requests it keeps in flight (halved on a rate
    /// limit answer, raised by one after a run of answers without one).
    ConcurrencyChanged {
        /// The limit before.
        from: usize,
        /// The limit now.
        to: usize,
    },
    /// The token budget is spent: the rows not yet asked pass on unasked, with
    /// [`crate::EnrichError::BudgetSpent`].
    BudgetSpent {
        /// The budget.
        budget: u64,
        /// Tokens used when it was noticed (requests in flight may add some).
        used: u64,
    },
    /// The stage stopped before the end of its input (see [`crate::EnrichError::Stopped`]).
    Stopped {
        /// Why.
        reason: String,
    },
    /// A shard of requests went to the Batch API ([`crate::enrich_batch`]).
    BatchSubmitted {
        /// The batch's id.
        batch: String,
        /// Requests in it.
        requests: u64,
    },
    /// A batch's status, each time it is polled.
    BatchPolled {
        /// The batch's id.
        batch: String,
        /// Its status (`validating`, `in_progress`, `finalizing`, ...).
        status: String,
        /// Requests answered so far.
        completed: u64,
        /// Requests failed so far.
        failed: u64,
        /// Requests in the batch.
        total: u64,
    },
    /// A finished batch's answers were read: the valid ones are kept, the others
    /// (failed, expired, invalid) are asked again one by one.
    BatchCollected {
        /// The batch's id.
        batch: String,
        /// How it ended (`completed`, `expired`, `cancelled`).
        status: String,
        /// Answers that fit the schema.
        answered: u64,
        /// Rows to ask again.
        to_ask_again: u64,
        /// The error file's requests by error code (`batch_expired`, `HTTP 500`, ...).
        errors: Vec<(String, u64)>,
    },
}

/// The event on one line: a server's multi-line message (a pydantic error) joined.
impl std::fmt::Display for StageEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let one_line = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        match self {
            StageEvent::ModeSwitched { from, to, reason } => write!(
                f,
                "the server refused response mode {} ({}); using {} from now on",
                from.name(),
                one_line(reason),
                to.name()
            ),
            StageEvent::Paused { wait, reason } => write!(
                f,
                "rate limited ({}); pausing every request for {:.1} s",
                one_line(reason),
                wait.as_secs_f64()
            ),
            StageEvent::ConcurrencyChanged { from, to } => {
                write!(f, "requests in flight at most {to} (was {from})")
            }
            StageEvent::BudgetSpent { budget, used } => write!(
                f,
                "the token budget of {budget} is spent ({used} used); the remaining rows pass on unasked"
            ),
            StageEvent::Stopped { reason } => write!(f, "stopped: {}", one_line(reason)),
            StageEvent::BatchSubmitted { batch, requests } => {
                write!(f, "batch {batch} submitted: {requests} requests")
            }
            StageEvent::BatchPolled {
                batch,
                status,
                completed,
                failed,
                total,
            } => write!(
                f,
                "batch {batch} {status}: {completed} of {total} answered, {failed} failed"
            ),
            StageEvent::BatchCollected {
                batch,
                status,
                answered,
                to_ask_again,
                errors,
            } => {
                write!(
                    f,
                    "batch {batch} {status}: {answered} answers kept, {to_ask_again} rows to ask again one by one"
                )?;
                if !errors.is_empty() {
                    let list: Vec<String> = errors
                        .iter()
                        .map(|(code, n)| format!("{n} {code}"))
                        .collect();
                    write!(f, " (errors: {})", list.join(", "))?;
                }
                Ok(())
            }
        }
    }
}

/// A callback for [`StageEvent`]s; called on the task that made the decision, so it
/// should be quick (print, log, or send on a channel).
pub type EventHandler = Arc<dyn Fn(&StageEvent) + Send + Sync>;

/// The optional handler, with a `Debug` that says only whether there is one.
#[derive(Clone, Default)]
pub(crate) struct Events(pub Option<EventHandler>);

impl Events {
    pub(crate) fn emit(&self, event: StageEvent) {
        if let Some(handler) = &self.0 {
            handler(&event);
        }
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Some(handler)"
        } else {
            "None"
        })
    }
}
