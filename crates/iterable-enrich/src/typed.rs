//! Typed results: the answer as a Rust value rather than columns.
//!
//! - [`Extractor`]: one text in, one `T` out (instructor's `response_model=T`).
//! - [`enrich_typed`]: a stage over any source yielding each input row, untouched,
//!   with `Result<T, EnrichError>`: the answer, or why this row has none.
//!
//! The schema comes from `T` ([`schemars::JsonSchema`]); each answer is validated
//! against it (and re-asked when it does not fit) before it is deserialised.

use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use iterable_core::{AsyncIterable, Result, Row};
use serde::de::DeserializeOwned;

use crate::accounting::Stats;
use crate::extract::Caller;
use crate::gate::Gate;
use crate::options::DEFAULT_SYSTEM;
use crate::provider::response_mode::SharedMode;
use crate::provider::{Message, Provider, ResponseMode};
use crate::stage::{Enriched, build};
use crate::{EnrichError, EnrichOptions, Multiplicity, RetryPolicy, Schema};

/// Extracts a `T` from one text at a time; share it (`&self`) across tasks to run
/// extractions concurrently, at most [`Extractor::concurrency`] requests at once.
///
/// ```no_run
/// # async fn run() -> Result<(), iterable_enrich::EnrichError> {
/// use std::sync::Arc;
/// use iterable_enrich::{Extractor, OpenAiConfig, OpenAiProvider};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Person {
///     name: String,
///     /// Age in years, if the text says.
///     age: Option<u32>,
/// }
///
/// let provider = OpenAiProvider::new(OpenAiConfig::new("http://127.0.0.1:8000/v1", "qwen2.5"))?;
/// let people = Extractor::<Person>::new(Arc::new(provider))?;
/// let ann: Person = people.extract("Ann, 31, moved to Lyon last spring.").await?;
/// assert_eq!(ann.name, "Ann");
/// # Ok(()) }
/// ```
pub struct Extractor<T> {
    caller: Caller,
    schema: Schema,
    system: String,
    _type: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + schemars::JsonSchema> Extractor<T> {
    /// An extractor of `T` asking `provider`, with the stage's defaults (json_schema
    /// with fallbacks, 5 retries, 2 re-asks, 8 requests at once).
    pub fn new(provider: Arc<dyn Provider>) -> std::result::Result<Self, EnrichError> {
        let schema = Schema::from_type::<T>()?;
        let caller = Caller::standalone(
            provider,
            RetryPolicy::default(),
            ResponseMode::JsonSchema,
            true,
            8,
        );
        Ok(Extractor {
            caller,
            system: system_message(None, &schema),
            schema,
            _type: PhantomData,
        })
    }

    /// The system message (the schema's description is added).
    pub fn system(mut self, text: impl Into<String>) -> Self {
        self.system = system_message(Some(text.into()), &self.schema);
        self
    }

    /// Requests in flight at once, at most, across concurrent `extract` calls.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.caller.gate = Gate::new(n, true);
        self
    }

    /// The retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.caller.retry = policy;
        self
    }

    /// Re-asks after an answer that does not fit.
    pub fn max_reasks(mut self, n: u32) -> Self {
        self.caller.max_reasks = n;
        self
    }

    /// How the schema is sent, and whether to fall back when the server refuses it.
    pub fn response_mode(mut self, mode: ResponseMode, fallback: bool) -> Self {
        self.caller.mode = SharedMode::new(mode, fallback);
        self.caller.stats.set_mode(mode, false);
        self
    }

    /// The schema sent (made from `T`).
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Requests, retries and tokens so far.
    pub fn stats(&self) -> Arc<Stats> {
        self.caller.stats.clone()
    }

    /// The `T` that `text` describes.
    pub async fn extract(&self, text: &str) -> std::result::Result<T, EnrichError> {
        let stats = &self.caller.stats;
        stats.row_started();
        let messages = vec![Message::system(self.system.clone()), Message::user(text)];
        let answer = self.caller.ask(messages, &self.schema).await;
        let value = answer
            .value
            .and_then(|v| deserialize::<T>(v, answer.requests));
        stats.row_finished(value.is_ok());
        value
    }
}

/// The system message of a stage or an extractor: the given one or the default, and
/// what to extract when the schema says.
pub(crate) fn system_message(given: Option<String>, schema: &Schema) -> String {
    let mut system = given.unwrap_or_else(|| DEFAULT_SYSTEM.to_owned());
    if let Some(description) = schema.description() {
        system.push_str("\nWhat to extract: ");
        system.push_str(description);
    }
    system
}

fn deserialize<T: DeserializeOwned>(
    value: serde_json::Value,
    attempts: u32,
) -> std::result::Result<T, EnrichError> {
    serde_json::from_value(value).map_err(|e| EnrichError::Invalid {
        attempts,
        message: format!(
            "the answer does not fit the type {}: {e}",
            std::any::type_name::<T>()
        ),
    })
}

/// Enriches every row of `source` with a `T`: yields each input row, untouched, with
/// the answer or the reason there is none. Concurrency, order, rate limits, retries,
/// re-asks, the cache and the stop rules are the stage's ([`EnrichOptions`]); the
/// options that shape output rows (placement, multiplicity, error, usage and
/// dead-letter outputs) do not apply.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use futures_util::StreamExt;
/// use iterable_enrich::{enrich_typed, EnrichOptions, OpenAiConfig, OpenAiProvider};
///
/// #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
/// struct Person {
///     name: String,
///     age: Option<u32>,
/// }
///
/// # fn open_source() -> iterable_core::BoxIterable { unimplemented!() }
/// let source = open_source(); // e.g. iterable::aopen_iterable("people.csv").await?
/// let provider = OpenAiProvider::new(OpenAiConfig::new("http://127.0.0.1:8000/v1", "qwen2.5"))?;
/// let options = EnrichOptions::new().concurrency(8).prompt("{bio}");
/// let mut people = enrich_typed::<Person, _>(source, Arc::new(provider), options)?;
/// while let Some(item) = people.next().await {
///     let (row, person) = item?;
///     match person {
///         Ok(person) => println!("{} -> {person:?}", row["id"]),
///         Err(why) => eprintln!("{}: {why}", row["id"]),
///     }
/// }
/// # Ok(()) }
/// ```
pub fn enrich_typed<T, S>(
    source: S,
    provider: Arc<dyn Provider>,
    mut options: EnrichOptions,
) -> std::result::Result<TypedEnriched<S, T>, EnrichError>
where
    T: DeserializeOwned + schemars::JsonSchema,
    S: AsyncIterable,
{
    let schema = Schema::from_type::<T>()?;
    options.multiplicity = Multiplicity::One;
    Ok(TypedEnriched {
        inner: build(source, provider, schema, options, true)?,
        _type: PhantomData,
    })
}

/// The rows of a source, each with its typed answer; see [`enrich_typed`].
pub struct TypedEnriched<S, T> {
    inner: Enriched<S>,
    _type: PhantomData<fn() -> T>,
}

impl<S: AsyncIterable, T> TypedEnriched<S, T> {
    /// The live counters.
    pub fn stats(&self) -> Arc<Stats> {
        self.inner.stats()
    }

    /// Stops the rows in flight and closes the source.
    pub async fn aclose(&mut self) -> Result<()> {
        self.inner.aclose().await
    }
}

impl<S: AsyncIterable, T: DeserializeOwned> Stream for TypedEnriched<S, T> {
    type Item = Result<(Row, std::result::Result<T, EnrichError>)>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.inner.poll_outcome(cx).map(|item| {
            item.map(|outcome| {
                outcome.map(|o| {
                    let answer = match o.answer {
                        Some(answer) => answer.and_then(|v| deserialize::<T>(v, 1)),
                        None => Err(EnrichError::BadResponse("no answer for this row".into())),
                    };
                    (o.row, answer)
                })
            })
        })
    }
}
