//! One row's journey: render the prompt, ask, shape the result, and send a failure
//! to the dead-letter sink or on with its error. Runs on its own task.

use std::sync::Arc;

use iterable_core::{BoxIterable, Error, Result, Row};
use tokio::sync::Mutex;

use crate::chunk::{self, Chunking};
use crate::events::StageEvent;
use crate::extract::{Answer, Caller};
use crate::failure::signature;
use crate::output::Shaper;
use crate::prompt::PromptTemplate;
use crate::provider::{Message, Usage};
use crate::{EnrichError, Schema};

/// One output row, and for a typed stage the answer it came with.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub row: Row,
    /// The answer (typed stages only): the input row goes on untouched beside it.
    pub answer: Option<std::result::Result<serde_json::Value, EnrichError>>,
}

impl From<Row> for Outcome {
    fn from(row: Row) -> Self {
        Outcome { row, answer: None }
    }
}

/// What every row of a stage shares.
pub(crate) struct Job {
    pub caller: Caller,
    pub template: PromptTemplate,
    pub system: String,
    /// The schema asked for (wrapped in `{"items": [...]}` when a row gives many).
    pub ask_schema: Schema,
    pub shaper: Shaper,
    /// Where failed rows go, with `error_column`, instead of the output.
    pub dead_letter: Option<Mutex<BoxIterable>>,
    pub error_column: String,
    /// A typed stage: the input row and the answer, not shaped.
    pub typed: bool,
    /// How long texts are cut, if they are.
    pub chunking: Option<Chunking>,
}

impl Job {
    /// The first messages of each request `row` makes: one, or one a piece of its
    /// long text.
    pub(crate) fn conversations(&self, row: &Row) -> Result<Vec<Vec<Message>>, EnrichError> {
        Ok(chunk::prompts(&self.template, self.chunking.as_ref(), row)?
            .into_iter()
            .map(|prompt| vec![Message::system(self.system.clone()), Message::user(prompt)])
            .collect())
    }

    /// Asks about every piece of a long text at once (the stage's concurrency bounds
    /// the requests) and merges their answers; the first failed piece, in order,
    /// fails the row (the pieces answered stay in the cache, when there is one).
    async fn ask_pieces(&self, asks: Vec<Vec<Message>>) -> Answer {
        let count = asks.len();
        let answers = futures_util::future::join_all(
            asks.into_iter()
                .map(|messages| self.caller.ask(messages, &self.ask_schema)),
        )
        .await;
        let mut usage = Usage::default();
        let mut requests = 0;
        let mut values = Vec::with_capacity(count);
        let mut failed = None;
        for (i, answer) in answers.into_iter().enumerate() {
            usage.add(answer.usage);
            requests += answer.requests;
            match answer.value {
                Ok(value) => values.push(value),
                Err(e) if failed.is_none() => failed = Some(in_piece(e, i + 1, count)),
                Err(_) => {}
            }
        }
        let value = match failed {
            Some(e) => Err(e),
            None => Ok(chunk::merge(values, self.shaper.multiplicity)),
        };
        Answer {
            value,
            usage,
            requests,
        }
    }

    /// The output rows of one input row: one or more (or none, when dead-lettered).
    pub(crate) async fn run(self: Arc<Self>, row: Row) -> Vec<Result<Outcome>> {
        let answer = match self.conversations(&row) {
            Ok(mut asks) if asks.len() == 1 => {
                let messages = asks.pop().unwrap_or_default();
                self.caller.ask(messages, &self.ask_schema).await
            }
            Ok(asks) => self.ask_pieces(asks).await,
            Err(e) => Answer::unasked(Err(e)),
        };
        let stats = &self.caller.stats;
        let error = match answer.value {
            Ok(value) => {
                stats.row_finished(true);
                self.caller.breaker.record_success();
                if self.typed {
                    return vec![Ok(Outcome {
                        row,
                        answer: Some(Ok(value)),
                    })];
                }
                return self
                    .shaper
                    .success(row, value, answer.usage, answer.requests)
                    .into_iter()
                    .map(|r| Ok(r.into()))
                    .collect();
            }
            // The stage stopped while this row waited: it did not fail, it did not run.
            Err(e @ EnrichError::Stopped(_)) => return vec![Err(e.into())],
            Err(e) => {
                stats.failed_with(signature(&e), &e.to_string());
                // A failure kept from an earlier run costs nothing: it does not stop
                // the stage (it counts as a failed row all the same).
                let replayed = matches!(e, EnrichError::FailedBefore { .. });
                if let Some(reason) = (!replayed)
                    .then(|| self.caller.breaker.record_failure(&e))
                    .flatten()
                {
                    self.caller.events.emit(StageEvent::Stopped { reason });
                }
                if self.typed {
                    stats.row_finished(false);
                    return vec![Ok(Outcome {
                        row,
                        answer: Some(Err(e)),
                    })];
                }
                e.to_string()
            }
        };
        stats.row_finished(false);
        let Some(sink) = &self.dead_letter else {
            return vec![Ok(self
                .shaper
                .failure(row, &error, answer.usage, answer.requests)
                .into())];
        };
        let mut letter = row;
        letter.insert(self.error_column.clone(), error);
        let mut sink = sink.lock().await;
        match sink.awrite(&letter).await {
            Ok(()) => Vec::new(),
            // The row cannot be kept there: hand it on inside the error, not lose it.
            Err(e) => vec![Err(Error::Enrich(
                format!(
                    "dead-letter {}: {e}; the row was {}",
                    sink.info().location,
                    serde_json::to_string(&letter).unwrap_or_default()
                )
                .into(),
            ))],
        }
    }
}

/// `error`, saying which piece of a long text it came from where its text is free
/// (the kind of failure, which decides stops and the cache, stays the same).
fn in_piece(error: EnrichError, piece: usize, of: usize) -> EnrichError {
    let place = format!("piece {piece} of {of}");
    match error {
        EnrichError::Invalid { attempts, message } => EnrichError::Invalid {
            attempts,
            message: format!("{place}: {message}"),
        },
        EnrichError::Refused(message) => EnrichError::Refused(format!("{place}: {message}")),
        EnrichError::BadResponse(message) => {
            EnrichError::BadResponse(format!("{place}: {message}"))
        }
        other => other,
    }
}
