//! LLM structured extraction over any [`AsyncIterable`](iterable_core::AsyncIterable): each row goes to a chat model
//! with a prompt made from its fields, the answer is checked against a JSON schema, and
//! the row comes out with the extracted fields added. The enriched source is itself an
//! `AsyncIterable`, so reading it and writing it anywhere is the usual loop.
//!
//! - **Typed results**: [`Extractor::<T>::extract`](Extractor::extract) for one text,
//!   [`enrich_typed`] over a source (each row with its `Result<T, EnrichError>`); the
//!   schema is made from `T`.
//! - **Provider**: [`OpenAiProvider`] speaks the OpenAI-compatible chat-completions
//!   protocol (OpenAI, Azure, vLLM, llama.cpp, Ollama, LM Studio); [`Provider`] is the
//!   trait for others. HTTPS needs the `tls` feature (rustls with ring).
//! - **Schema**: from a Rust type ([`Schema::from_type`]), a field list
//!   ([`Schema::from_fields`]) or planned from a question ([`plan_schema`]); normalised
//!   for strict structured outputs; sent as `json_schema`, falling back to
//!   `json_object` and tool calls when the server rejects it.
//! - **Answers** are validated; an invalid one is re-asked with the problem in the
//!   conversation. `finish_reason: length` and refusals are failures with clear errors.
//! - **Concurrency**: at most N requests in flight; output in input or completion
//!   order through a bounded reorder window, so memory stays flat on endless sources.
//! - **Limits and retries**: requests- and tokens-per-minute buckets (seeded from the
//!   server's rate limit headers when not set); 429, 408, 409, 5xx, timeouts and
//!   dropped connections retried with backoff and jitter, honouring `retry-after`
//!   (seconds or date), `retry-after-ms` and `x-should-retry`; a request-validation
//!   error is never retried. A 429 pauses the whole stage and halves the requests in
//!   flight, raised back as answers come (AIMD).
//! - **Honest failure**: an error no row can survive (credentials, quota, an unknown
//!   model, a refused schema) stops the stage at once, as do the first rows failing
//!   the same way ([`EnrichOptions::fail_fast`]) and too many failures
//!   ([`EnrichOptions::max_failures`]); [`Stats::failures`] counts each kind.
//! - **Nothing lost**: a row that still fails passes on with an error column, or goes
//!   to a dead-letter writer ([`EnrichOptions::dead_letter`]).
//! - **Accounting**: tokens per row ([`EnrichOptions::usage_column`]) and in total,
//!   live ([`Enriched::stats`]).
//! - **Resumable**: with [`EnrichOptions::cache_dir`], each row's final answer (or
//!   failure) goes to an append-only [`Journal`]; a re-run with the same arguments
//!   pays only for the rows that had not finished, and
//!   [`EnrichOptions::retry_failed`] asks the failed ones again.
//! - **Long documents**: with [`EnrichOptions::chunking`], a text over a token budget
//!   is asked about piece by piece and the pieces' answers merged ([`Chunking`]).
//! - **Batch API**: [`enrich_batch`] sends the rows as OpenAI batches (half the price),
//!   keeps the valid answers in the journal, asks the rest one by one, and continues
//!   after a crash ([`BatchOptions::resume`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use futures_util::StreamExt;
//! use iterable_core::AsyncIterable;
//! use iterable_enrich::{enrich, EnrichOptions, OpenAiConfig, OpenAiProvider, Order, Schema};
//!
//! # fn open_source() -> iterable_core::BoxIterable { unimplemented!() }
//! // Any AsyncIterable: e.g. `iterable::aopen_iterable("people.csv").await?`.
//! let source = open_source();
//! let provider = OpenAiProvider::new(OpenAiConfig::new("http://127.0.0.1:8000/v1", "qwen2.5"))?;
//! let schema = Schema::from_fields("name:string,age:integer?:age in years")?;
//! let options = EnrichOptions::new()
//!     .concurrency(8)
//!     .order(Order::Input)
//!     .prompt("Who is described here? {bio}");
//! let mut people = enrich(source, Arc::new(provider), schema, options)?;
//! while let Some(row) = people.next().await {
//!     let row = row?;
//!     println!("{} is {}", row["name"], row["age"]);
//! }
//! let spent = people.enrich_progress();
//! println!("{} rows, {} tokens", spent.rows_done, spent.usage.total());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod accounting;
mod batch;
mod breaker;
mod chunk;
mod error;
mod estimate;
mod events;
mod extract;
mod failure;
mod gate;
mod job;
mod journal;
mod limits;
mod options;
mod order;
mod output;
pub mod prompt;
pub mod provider;
pub mod retry;
pub mod schema;
mod stage;
mod typed;
pub mod validate;

pub use accounting::{EnrichProgress, FailureCount, Stats};
pub use batch::{BatchOptions, STATE_FILE, enrich_batch};
pub use breaker::FailureLimit;
pub use chunk::Chunking;
pub use error::EnrichError;
pub use estimate::{Estimate, estimate};
pub use events::{EventHandler, StageEvent};
pub use journal::{JOURNAL_FILE, Journal, JournalEntry};
pub use limits::{RateLimits, TokenBucket};
pub use options::{DEFAULT_SYSTEM, EnrichOptions, OnFailure, Order};
pub use output::{Multiplicity, Placement};
pub use prompt::PromptTemplate;
pub use provider::{
    AnthropicConfig, AnthropicProvider, ChatRequest, ChatResponse, Message, OpenAiConfig,
    OpenAiProvider, Provider, ProviderError, RateInfo, ResponseMode, RetryHint, Role, Usage,
};
pub use retry::RetryPolicy;
pub use schema::{Field, FieldType, Schema, plan_queries, plan_schema};
pub use stage::{Enriched, enrich};
pub use typed::{Extractor, TypedEnriched, enrich_typed};
