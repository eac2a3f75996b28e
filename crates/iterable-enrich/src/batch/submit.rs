//! The first pass of a batch run: each row's request becomes a line of a JSONL file
//! (`custom_id`: the hash of the row's request, as the journal files it), cut into
//! shards at the API's limits, each uploaded and started as a batch and recorded in
//! the state file at once. Rows answered (or failed for good) in an earlier run and
//! rows repeating an earlier row of the shard send nothing; a row whose prompt
//! cannot be made is left to the second pass, which reports it.

use std::collections::HashSet;

use futures_util::StreamExt;
use iterable_core::{AsyncIterable, Result};
use serde_json::json;

use super::BatchOptions;
use super::state::{BatchRun, Shard, StateFile};
use crate::EnrichError;
use crate::events::{Events, StageEvent};
use crate::job::Job;
use crate::journal::{Journal, JournalEntry, key_hash};
use crate::provider::openai_batch::BatchClient;
use crate::provider::{ChatRequest, Message, OpenAiProvider, Provider, ResponseMode};

pub(super) struct Submitter<'a> {
    pub client: &'a BatchClient,
    pub provider: &'a OpenAiProvider,
    pub job: &'a Job,
    pub journal: &'a Journal,
    pub state_file: &'a StateFile,
    pub options: &'a BatchOptions,
    pub events: &'a Events,
    pub retry_failed: bool,
    pub mode: ResponseMode,
}

/// The shard being filled.
#[derive(Default)]
struct Pending {
    first_row: u64,
    lines: Vec<u8>,
    requests: u64,
    ids: HashSet<u128>,
}

impl Submitter<'_> {
    /// Reads `source` from the row after the last one in a shard, submitting shards
    /// as they fill; `run` is saved after each.
    pub async fn submit(
        &mut self,
        source: &mut impl AsyncIterable,
        run: &mut BatchRun,
    ) -> Result<()> {
        let mut pending = Pending {
            first_row: run.next_row,
            ..Default::default()
        };
        let mut row_number = 0u64;
        while let Some(row) = source.next().await {
            let row = row?;
            let this_row = row_number;
            row_number += 1;
            if this_row < run.next_row {
                continue; // in a shard submitted before a crash
            }
            let Ok(conversations) = self.job.conversations(&row) else {
                continue;
            };
            for messages in conversations {
                self.add(messages, this_row, &mut pending, run).await?;
            }
        }
        self.flush(&mut pending, row_number, run).await?;
        run.next_row = row_number;
        run.submitted = true;
        self.state_file.save(run)?;
        Ok(())
    }

    /// Adds the request of one conversation of row `this_row` to the pending shard
    /// (flushed first when it is full), unless it is there already or settled.
    async fn add(
        &self,
        messages: Vec<Message>,
        this_row: u64,
        pending: &mut Pending,
        run: &mut BatchRun,
    ) -> Result<()> {
        let chat_path = self.client.chat_path();
        let hash = key_hash(&self.provider.cache_key(&ChatRequest {
            messages: messages.clone(),
            schema: self.job.ask_schema.clone(),
            mode: ResponseMode::JsonSchema,
        }));
        if pending.ids.contains(&hash) || self.known(hash)? {
            return Ok(());
        }
        let body = self.provider.body(&ChatRequest {
            messages,
            schema: self.job.ask_schema.clone(),
            mode: self.mode,
        });
        let mut line = json!({
            "custom_id": format!("{hash:032x}"),
            "method": "POST",
            "url": chat_path,
            "body": body,
        })
        .to_string()
        .into_bytes();
        line.push(b'\n');
        if line.len() > self.options.max_bytes {
            return Err(EnrichError::Batch(format!(
                "row {}: its request is {} bytes, more than a batch file may hold ({})",
                this_row + 1,
                line.len(),
                self.options.max_bytes
            ))
            .into());
        }
        let full = pending.requests as usize >= self.options.max_requests
            || pending.lines.len() + line.len() > self.options.max_bytes;
        if full {
            self.flush(pending, this_row, run).await?;
        }
        pending.lines.extend_from_slice(&line);
        pending.requests += 1;
        pending.ids.insert(hash);
        Ok(())
    }

    /// Whether the journal already settles the row: an answer, or a failure kept
    /// (unless failed rows are retried).
    fn known(&self, hash: u128) -> Result<bool> {
        Ok(match self.journal.get_hashed(hash)? {
            Some(JournalEntry::Answer(_)) => true,
            Some(JournalEntry::Failed { .. }) => !self.retry_failed,
            None => false,
        })
    }

    /// Uploads and starts the pending shard, which covers the rows before `end`.
    async fn flush(&self, pending: &mut Pending, end: u64, run: &mut BatchRun) -> Result<()> {
        let first_row = pending.first_row;
        let shard = std::mem::replace(
            pending,
            Pending {
                first_row: end,
                ..Default::default()
            },
        );
        if shard.requests == 0 {
            return Ok(());
        }
        let name = format!("rows-{}-{}.jsonl", first_row + 1, end);
        let input_file = self.client.upload(&name, &shard.lines).await?;
        let batch = self
            .client
            .create(&input_file, &self.options.completion_window)
            .await?;
        run.shards.push(Shard {
            first_row,
            rows: end - first_row,
            requests: shard.requests,
            input_file,
            batch: batch.id.clone(),
            collected: false,
        });
        run.next_row = end;
        self.state_file.save(run)?;
        self.events.emit(StageEvent::BatchSubmitted {
            batch: batch.id,
            requests: shard.requests,
        });
        Ok(())
    }
}
