//! One row's journey: render the prompt, ask, shape the result, and send a failure
//! to the dead-letter sink or on with its error. Runs on its own task.

use std::sync::Arc;

use iterable_core::{BoxIterable, Error, Result, Row};
use tokio::sync::Mutex;

use crate::events::StageEvent;
use crate::extract::{Answer, Caller};
use crate::failure::signature;
use crate::output::Shaper;
use crate::prompt::PromptTemplate;
use crate::provider::Message;
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
}

impl Job {
    /// The output rows of one input row: one or more (or none, when dead-lettered).
    pub(crate) async fn run(self: Arc<Self>, row: Row) -> Vec<Result<Outcome>> {
        let answer = match self.template.render(&row) {
            Ok(prompt) => {
                let messages = vec![Message::system(self.system.clone()), Message::user(prompt)];
                self.caller.ask(messages, &self.ask_schema).await
            }
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
