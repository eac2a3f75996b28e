//! Enrichment through the OpenAI Batch API: half the price, for users who can wait.
//!
//! [`enrich_batch`] reads the input once to write the requests (a JSONL line a row,
//! its `custom_id` the hash of the row's request), sharded to the API's limits and
//! uploaded as batches ([`submit`]); waits for the batches and keeps every answer that
//! fits the schema in the cache's journal ([`collect`]); then rewinds the input and
//! hands back an ordinary stage over it, which finds each answered row in the journal
//! and asks the rest (failed, expired, invalid answers) one by one, with the stage's
//! re-asks, retries and fallbacks. The rows come out in input order.
//!
//! The batch ids are kept in a state file beside the journal ([`STATE_FILE`]), so a
//! run that crashed continues with [`BatchOptions::resume`]: nothing submitted is
//! submitted again, nothing answered is asked again.

mod collect;
mod state;
mod submit;

use std::sync::Arc;
use std::time::Duration;

use iterable_core::{AsyncIterable, Result};

pub use state::STATE_FILE;

use crate::job::Job;
use crate::journal::Journal;
use crate::provider::{ChatRequest, Message, OpenAiProvider, Provider};
use crate::stage::{Enriched, build};
use crate::{EnrichError, EnrichOptions, Schema};
use state::{BatchRun, StateFile};

/// How a batch run is sharded, polled and resumed.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOptions {
    /// Requests in one batch file at most (default 50,000, the API's limit).
    pub max_requests: usize,
    /// Bytes in one batch file at most (default 100 MiB; the API takes 200 MB). A
    /// shard is built in memory up to this size.
    pub max_bytes: usize,
    /// How often a batch is polled (default 30 s).
    pub poll_interval: Duration,
    /// The batches' completion window (default `24h`, the only one OpenAI offers).
    pub completion_window: String,
    /// Continue the run whose state the cache directory holds (default off: a run
    /// under way there is an error, so nothing is paid for twice by mistake).
    pub resume: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            max_requests: 50_000,
            max_bytes: 100 << 20,
            poll_interval: Duration::from_secs(30),
            completion_window: "24h".into(),
            resume: false,
        }
    }
}

/// Enriches `source` through the Batch API, then hands back the stage that yields
/// the rows (see the module docs). `options.cache_dir` is required: the journal of
/// answers and the state file live there. The source is read twice, so it must
/// rewind (a file, not a pipe); it is rewound before anything is submitted, so one
/// that cannot is refused before any cost.
///
/// ```no_run
/// # async fn run() -> iterable_core::Result<()> {
/// use std::sync::Arc;
/// use futures_util::StreamExt;
/// use iterable_enrich::{enrich_batch, BatchOptions, EnrichOptions, OpenAiConfig, OpenAiProvider, Schema};
///
/// # fn open_source() -> iterable_core::BoxIterable { unimplemented!() }
/// let provider = Arc::new(OpenAiProvider::new(OpenAiConfig::default()).unwrap());
/// let schema = Schema::from_fields("name:string,age:integer?").unwrap();
/// let options = EnrichOptions::new().prompt("{bio}").cache_dir(".enrich-cache");
/// let mut rows = enrich_batch(open_source(), provider, schema, options, BatchOptions::default()).await?;
/// while let Some(row) = rows.next().await {
///     println!("{:?}", row?);
/// }
/// # Ok(()) }
/// ```
pub async fn enrich_batch<S: AsyncIterable>(
    source: S,
    provider: Arc<OpenAiProvider>,
    schema: Schema,
    options: EnrichOptions,
    batch: BatchOptions,
) -> Result<Enriched<S>> {
    let Some(dir) = options.cache_dir.clone() else {
        return Err(EnrichError::Batch(
            "a batch run keeps its state and answers in the cache directory: set cache_dir (--cache)".into(),
        )
        .into());
    };
    let retry_failed = options.retry_failed;
    let events = options.events.clone();
    let dynamic: Arc<dyn Provider> = provider.clone();
    let mut stage = build(source, dynamic, schema, options, false)?;
    stage.source.areset().await.map_err(|e| {
        EnrichError::Batch(format!(
            "a batch run reads its input twice, and this one cannot be rewound (save it to a file first): {e}"
        ))
    })?;
    let job = stage.job.clone();
    let journal = job
        .caller
        .journal
        .clone()
        .expect("a stage with a cache directory has a journal");
    let state_file = StateFile::new(&dir);
    let mode = job.caller.mode.get();
    let fingerprint = fingerprint(&provider, &job, mode);
    let mut run = match state_file.load()? {
        Some(run) if !run.finished() => {
            if !batch.resume {
                return Err(EnrichError::Batch(format!(
                    "{}: a batch run is under way here (batches {}); resume it to continue without paying twice (--resume), or delete the file to start over",
                    state_file.path().display(),
                    run.batch_ids()
                ))
                .into());
            }
            if run.fingerprint != fingerprint {
                return Err(EnrichError::Batch(format!(
                    "{}: the batch run under way here was made with other arguments (endpoint, model, prompt, schema or mode); resume it with the same ones",
                    state_file.path().display()
                ))
                .into());
            }
            run
        }
        _ => BatchRun {
            fingerprint,
            mode: mode.name().into(),
            ..Default::default()
        },
    };
    let client = provider.batch_client(job.caller.retry);
    if !run.submitted {
        let mut shards = submit::Submitter {
            client: &client,
            provider: &provider,
            job: &job,
            journal: &journal,
            state_file: &state_file,
            options: &batch,
            events: &events,
            retry_failed,
            mode,
        };
        shards.submit(&mut stage.source, &mut run).await?;
        stage.source.areset().await?;
    }
    collect::Collector {
        client: &client,
        journal: &journal,
        state_file: &state_file,
        events: &events,
        stats: &stage.stats,
        schema: &job.ask_schema,
        mode,
        poll_interval: batch.poll_interval,
    }
    .collect(&mut run)
    .await?;
    drop(job);
    // The stage reads the answers just kept: open the journal again to see them.
    Arc::get_mut(&mut stage.job)
        .expect("the stage has not started")
        .caller
        .journal = Some(Journal::open(&dir)?);
    Ok(stage)
}

/// What every request of the run depends on besides the row: a run resumed with
/// other arguments is refused.
fn fingerprint(provider: &OpenAiProvider, job: &Job, mode: crate::ResponseMode) -> String {
    let key = provider.cache_key(&ChatRequest {
        messages: vec![
            Message::system(job.system.clone()),
            Message::user(format!("{:?}", job.template)),
        ],
        schema: job.ask_schema.clone(),
        mode,
    });
    format!("{:032x}", crate::journal::key_hash(&key))
}
