//! The second step of a batch run: poll each batch until it ends, download its output
//! and error files, and keep every answer that fits the schema in the journal. What
//! is not kept (a failed request, one the batch did not run before it expired, an
//! invalid, refused or cut answer) is asked again one by one by the stage. A batch
//! that failed as a whole (its file refused) stops the run with the server's reasons.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::state::{BatchRun, StateFile};
use crate::accounting::Stats;
use crate::events::{Events, StageEvent};
use crate::extract::valid_answer;
use crate::journal::Journal;
use crate::provider::ResponseMode;
use crate::provider::openai_batch::{BatchClient, BatchState};
use crate::provider::openai_wire::parse_response;
use crate::{EnrichError, Schema};

pub(super) struct Collector<'a> {
    pub client: &'a BatchClient,
    pub journal: &'a Journal,
    pub state_file: &'a StateFile,
    pub events: &'a Events,
    pub stats: &'a Arc<Stats>,
    pub schema: &'a Schema,
    pub mode: ResponseMode,
    pub poll_interval: Duration,
}

impl Collector<'_> {
    /// Waits for every batch not yet collected, in the order they were submitted.
    pub async fn collect(&self, run: &mut BatchRun) -> Result<(), EnrichError> {
        for i in 0..run.shards.len() {
            if run.shards[i].collected {
                continue;
            }
            let state = self.wait(&run.shards[i].batch).await?;
            if state.status == "failed" {
                return Err(EnrichError::Batch(format!(
                    "batch {} failed: {}",
                    state.id,
                    state.error_text()
                )));
            }
            let answered = match &state.output_file_id {
                Some(file) => self.keep_answers(&self.client.content(file).await?)?,
                None => 0,
            };
            let errors = match &state.error_file_id {
                Some(file) => error_counts(&self.client.content(file).await?),
                None => BTreeMap::new(),
            };
            let shard = &mut run.shards[i];
            shard.collected = true;
            self.state_file.save(run)?;
            let requests = run.shards[i].requests;
            self.events.emit(StageEvent::BatchCollected {
                batch: state.id.clone(),
                status: state.status.clone(),
                answered,
                to_ask_again: requests.saturating_sub(answered),
                errors: errors.into_iter().collect(),
            });
        }
        Ok(())
    }

    async fn wait(&self, batch: &str) -> Result<BatchState, EnrichError> {
        loop {
            let state = self.client.get(batch).await?;
            let counts = state.request_counts;
            self.events.emit(StageEvent::BatchPolled {
                batch: state.id.clone(),
                status: state.status.clone(),
                completed: counts.completed,
                failed: counts.failed,
                total: counts.total,
            });
            if state.is_final() {
                return Ok(state);
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    /// Keeps the answers of an output file that fit the schema; how many.
    fn keep_answers(&self, output: &[u8]) -> Result<u64, EnrichError> {
        let mut kept = 0;
        for line in output.split(|&b| b == b'\n') {
            let Ok(line) = serde_json::from_slice::<Value>(line) else {
                continue;
            };
            let Some(hash) = line["custom_id"]
                .as_str()
                .and_then(|id| u128::from_str_radix(id, 16).ok())
            else {
                continue;
            };
            let response = &line["response"];
            if response["status_code"].as_u64() != Some(200) {
                continue;
            }
            let body = serde_json::to_vec(&response["body"]).unwrap_or_default();
            let Ok(answer) = parse_response(&body, self.mode) else {
                continue;
            };
            let valid = valid_answer(&answer, self.schema);
            self.stats.batch_answer(answer.usage, valid.is_some());
            if let Some(value) = valid {
                self.journal.put_answer_hashed(hash, &value)?;
                kept += 1;
            }
        }
        Ok(kept)
    }
}

/// The error file's lines by error code (`batch_expired`, `HTTP 400`, ...).
fn error_counts(errors: &[u8]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for line in errors.split(|&b| b == b'\n') {
        let Ok(line) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        let code = line["error"]["code"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| {
                line["response"]["status_code"]
                    .as_u64()
                    .map(|s| format!("HTTP {s}"))
            })
            .unwrap_or_else(|| "unknown".into());
        *counts.entry(code).or_insert(0) += 1;
    }
    counts
}
