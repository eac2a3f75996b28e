//! One extraction: a conversation with the model until its answer fits the schema.
//!
//! With a cache, the journal is asked first, by the key of the conversation's first
//! request: a row answered (or failed for good) in an earlier run costs nothing.
//! Each request waits for the rate limiters and a concurrency permit, and is retried
//! on transient failures. A rejected
//! response format falls back (json_schema, then json_object, then tools) for every
//! later request too; with none left, the row fails with an error that stops the
//! stage. A rate limit answer pauses every request and lowers the concurrency; the
//! server's rate headers seed and cap the buckets. An answer that is not JSON, or does
//! not fit the schema, is re-asked with the problem in the conversation, up to
//! `max_reasks` times. Once the stage has stopped, no request is sent.

use std::sync::Arc;

use serde_json::Value;
use tracing::Instrument;

use crate::accounting::Stats;
use crate::breaker::Breaker;
use crate::events::{Events, StageEvent};
use crate::failure::{fatal_reason, is_final_for_row, signature};
use crate::gate::Gate;
use crate::journal::{Journal, JournalEntry};
use crate::limits::Limiter;
use crate::provider::response_mode::SharedMode;
use crate::provider::{
    ChatRequest, ChatResponse, Message, Provider, ProviderError, RateInfo, Usage,
};
use crate::retry::RetryPolicy;
use crate::validate::validate;
use crate::{EnrichError, Schema};

/// What one extraction cost and gave.
#[derive(Debug)]
pub(crate) struct Answer {
    pub value: Result<Value, EnrichError>,
    pub usage: Usage,
    pub requests: u32,
}

impl Answer {
    /// An answer that cost nothing: from the journal, or an error before any request.
    pub(crate) fn unasked(value: Result<Value, EnrichError>) -> Answer {
        Answer {
            value,
            usage: Usage::default(),
            requests: 0,
        }
    }
}

/// Everything the requests of one stage share.
pub(crate) struct Caller {
    pub provider: Arc<dyn Provider>,
    pub retry: RetryPolicy,
    pub limiter: Limiter,
    pub journal: Option<Journal>,
    /// Ask again the rows whose failure the journal kept.
    pub retry_failed: bool,
    /// Keep final row failures in the journal (rows of a stage, not plans).
    pub remember_failures: bool,
    pub stats: Arc<Stats>,
    pub mode: SharedMode,
    pub gate: Gate,
    pub breaker: Arc<Breaker>,
    pub events: Events,
    pub max_reasks: u32,
    /// Tokens the stage may spend, if limited.
    pub budget: Option<u64>,
    /// Whether the budget was reported spent (once).
    pub budget_told: std::sync::atomic::AtomicBool,
    /// Tokens an answer is assumed to take before the server says (for the TPM bucket).
    pub completion_estimate: u64,
}

impl Caller {
    /// A caller of its own (no cache, limits or stop rules): for one-off extractions
    /// and planning.
    pub(crate) fn standalone(
        provider: Arc<dyn Provider>,
        retry: RetryPolicy,
        mode: crate::ResponseMode,
        fallback: bool,
        concurrency: usize,
    ) -> Caller {
        Caller {
            provider,
            retry,
            limiter: Limiter::new(crate::RateLimits::default(), true),
            journal: None,
            retry_failed: false,
            remember_failures: false,
            stats: Arc::new(Stats::default()),
            mode: SharedMode::new(mode, fallback),
            gate: Gate::new(concurrency, true),
            breaker: Arc::new(Breaker::new(0, None)),
            events: Events::default(),
            max_reasks: 2,
            budget: None,
            budget_told: Default::default(),
            completion_estimate: 256,
        }
    }

    /// Asks until the answer fits `schema`, or fails; with a journal, what an earlier
    /// run finished is replayed and what this one finishes is kept.
    pub(crate) async fn ask(&self, messages: Vec<Message>, schema: &Schema) -> Answer {
        let Some(journal) = &self.journal else {
            return self.converse(messages, schema).await;
        };
        let key = self.provider.cache_key(&ChatRequest {
            // The same row has the same key whatever mode the stage ends up in.
            messages: messages.clone(),
            schema: schema.clone(),
            mode: crate::ResponseMode::JsonSchema,
        });
        match journal.get(&key).await {
            Err(e) => return Answer::unasked(Err(e)),
            Ok(Some(JournalEntry::Answer(value))) => {
                self.stats.cache_hit();
                return Answer::unasked(Ok(value));
            }
            Ok(Some(JournalEntry::Failed { error, kind }))
                if self.remember_failures && !self.retry_failed =>
            {
                self.stats.failure_replayed();
                return Answer::unasked(Err(EnrichError::FailedBefore { error, kind }));
            }
            Ok(_) => {}
        }
        let mut answer = self.converse(messages, schema).await;
        let kept = match &answer.value {
            Ok(value) => journal.put_answer(&key, value).await,
            Err(e) if self.remember_failures && is_final_for_row(e) => {
                journal
                    .put_failure(&key, &e.to_string(), &signature(e))
                    .await
            }
            Err(_) => Ok(()),
        };
        if let Err(e) = kept {
            answer.value = Err(e);
        }
        answer
    }

    /// The conversation: asks until the answer fits `schema`, or fails.
    async fn converse(&self, mut messages: Vec<Message>, schema: &Schema) -> Answer {
        let mut usage = Usage::default();
        let mut requests = 0;
        let mut attempts = 0;
        let value = loop {
            attempts += 1;
            let response = match self
                .complete(&messages, schema, &mut usage, &mut requests)
                .await
            {
                Ok(r) => r,
                Err(e) => break Err(e),
            };
            if let Some(refusal) = response.refusal {
                break Err(EnrichError::Refused(refusal));
            }
            match response.finish_reason.as_deref() {
                Some("length") => break Err(EnrichError::Truncated),
                Some("content_filter") => {
                    break Err(EnrichError::Refused(
                        "the answer was withheld by the content filter".into(),
                    ));
                }
                _ => {}
            }
            let text = response.content.clone().unwrap_or_default();
            let problem = match serde_json::from_str::<Value>(strip_fences(&text)) {
                Err(e) => format!("the answer is not valid JSON ({e})"),
                Ok(v) => match validate(schema.json(), &v) {
                    Ok(()) => break Ok(v),
                    Err(m) => format!("the answer does not fit the schema: {m}"),
                },
            };
            if attempts > self.max_reasks {
                break Err(EnrichError::Invalid {
                    attempts,
                    message: problem,
                });
            }
            self.stats.reasked();
            messages.push(Message::assistant(text));
            messages.push(Message::user(format!(
                "Your answer was rejected: {problem}. Answer again with only the corrected JSON."
            )));
        };
        Answer {
            value,
            usage,
            requests,
        }
    }

    /// One answer from the server, with retries and format fallbacks.
    async fn complete(
        &self,
        messages: &[Message],
        schema: &Schema,
        usage: &mut Usage,
        requests: &mut u32,
    ) -> Result<ChatResponse, EnrichError> {
        let mut retry = 0;
        loop {
            self.check_stopped()?;
            let mode = self.mode.get();
            let request = ChatRequest {
                messages: messages.to_vec(),
                schema: schema.clone(),
                mode,
            };
            let estimate = request.estimated_prompt_tokens() + self.completion_estimate;
            self.limiter.acquire(estimate).await;
            let (result, generation) = {
                let permit = self.gate.acquire().await;
                // A pause that began while this row waited for its place holds it too.
                self.limiter.wait_pause().await;
                if self.mode.get() != mode {
                    // Another row found the server rejects this mode while we waited.
                    self.limiter.settle(estimate, 0);
                    continue;
                }
                self.check_stopped()?;
                self.stats.request_started();
                let span = request_span(self.provider.name(), mode, retry);
                let sent = std::time::Instant::now();
                let result = self
                    .provider
                    .complete(&request)
                    .instrument(span.clone())
                    .await;
                record_outcome(&span, &result, sent.elapsed());
                let used = result.as_ref().map(|r| r.usage).unwrap_or_default();
                self.stats.request_finished(used);
                (result, permit.generation)
            };
            *requests += 1;
            match result {
                Ok(response) => {
                    usage.add(response.usage);
                    self.limiter.settle(estimate, response.usage.total());
                    if let Some(rate) = &response.rate {
                        self.observe_rate(rate);
                    }
                    if let Some((from, to)) = self.gate.answered() {
                        self.concurrency_changed(from, to);
                    }
                    return Ok(response);
                }
                Err(e) => {
                    self.limiter.settle(estimate, 0);
                    if let Some(rate) = &e.hint.rate {
                        self.observe_rate(rate);
                    }
                    if self.provider.rejects_mode(&e.error, mode) {
                        self.fall_back(mode, &e.error)?;
                        continue;
                    }
                    let delay = self.retry.delay(retry, &e);
                    self.rate_limited(&e, generation, delay);
                    match delay {
                        Some(wait) => {
                            retry += 1;
                            self.stats.retried();
                            tokio::time::sleep(wait).await;
                        }
                        None => return Err(e.error),
                    }
                }
            }
        }
    }

    fn check_stopped(&self) -> Result<(), EnrichError> {
        if let Some(reason) = self.breaker.stopped() {
            return Err(EnrichError::Stopped(reason.to_owned()));
        }
        if let Some(budget) = self.budget {
            let used = self.stats.tokens_used();
            if used >= budget {
                if !self
                    .budget_told
                    .swap(true, std::sync::atomic::Ordering::Relaxed)
                {
                    self.events.emit(StageEvent::BudgetSpent { budget, used });
                }
                return Err(EnrichError::BudgetSpent(budget));
            }
        }
        Ok(())
    }

    /// Moves every later request on from the refused `mode`, or fails when none is left.
    fn fall_back(&self, mode: crate::ResponseMode, error: &EnrichError) -> Result<(), EnrichError> {
        match self.mode.fall_back(mode) {
            Some((to, moved)) => {
                if moved {
                    self.stats.set_mode(to, true);
                    self.events.emit(StageEvent::ModeSwitched {
                        from: mode,
                        to,
                        reason: error.to_string(),
                    });
                }
                Ok(())
            }
            None => Err(EnrichError::ModeRejected {
                mode: mode.name(),
                message: error.to_string(),
            }),
        }
    }

    /// A rate limit answer pauses every request (for the server's wait, else the
    /// backoff) and lowers the concurrency.
    fn rate_limited(&self, e: &ProviderError, generation: u64, delay: Option<std::time::Duration>) {
        let is_rate_limit = matches!(e.error, EnrichError::Http { status: 429, .. })
            && fatal_reason(&e.error).is_none();
        if !is_rate_limit {
            return;
        }
        if let Some((from, to)) = self.gate.rate_limited(generation) {
            self.concurrency_changed(from, to);
        }
        let wait = e
            .hint
            .after
            .map(|a| a.min(self.retry.max_retry_after))
            .or(delay);
        if let Some(wait) = wait
            && self.limiter.pause(wait)
        {
            self.stats.paused();
            self.events.emit(StageEvent::Paused {
                wait,
                reason: e.error.to_string(),
            });
        }
    }

    fn observe_rate(&self, rate: &RateInfo) {
        if let Some(wait) = self.limiter.observe(rate) {
            self.stats.paused();
            self.events.emit(StageEvent::Paused {
                wait,
                reason: "the server says the allowance is spent".into(),
            });
        }
    }

    fn concurrency_changed(&self, from: usize, to: usize) {
        self.stats.set_concurrency(to);
        self.events
            .emit(StageEvent::ConcurrencyChanged { from, to });
    }
}

/// A span for one request, its outcome recorded when the answer comes: provider,
/// response mode, retry number, then status, tokens and latency. Nothing is recorded
/// unless a `tracing` subscriber listens.
fn request_span(provider: &str, mode: crate::ResponseMode, retry: u32) -> tracing::Span {
    use tracing::field::Empty;
    tracing::debug_span!(
        "enrich_request",
        provider,
        mode = mode.name(),
        retry,
        status = Empty,
        prompt_tokens = Empty,
        completion_tokens = Empty,
        latency_ms = Empty,
    )
}

fn record_outcome(
    span: &tracing::Span,
    result: &Result<ChatResponse, ProviderError>,
    latency: std::time::Duration,
) {
    if span.is_disabled() {
        return;
    }
    let latency_ms = latency.as_secs_f64() * 1000.0;
    span.record("latency_ms", latency_ms);
    let _inside = span.enter();
    match result {
        Ok(r) => {
            span.record("status", "ok");
            span.record("prompt_tokens", r.usage.prompt_tokens);
            span.record("completion_tokens", r.usage.completion_tokens);
            tracing::debug!(
                prompt_tokens = r.usage.prompt_tokens,
                completion_tokens = r.usage.completion_tokens,
                latency_ms,
                "answered"
            );
        }
        Err(e) => {
            let status = match &e.error {
                EnrichError::Http { status, .. } => status.to_string(),
                EnrichError::Timeout(_) => "timeout".into(),
                _ => "error".into(),
            };
            span.record("status", status.as_str());
            tracing::debug!(status = status.as_str(), latency_ms, error = %e.error, "failed");
        }
    }
}

/// The JSON inside a Markdown code fence, or the text itself.
/// The answer's JSON when it is final and fits `schema`: not refused, not cut, valid
/// JSON that validates (what a batch answer must be to be kept without a re-ask).
pub(crate) fn valid_answer(response: &ChatResponse, schema: &Schema) -> Option<Value> {
    if response.refusal.is_some()
        || matches!(
            response.finish_reason.as_deref(),
            Some("length" | "content_filter")
        )
    {
        return None;
    }
    let text = response.content.as_deref()?;
    let value = serde_json::from_str::<Value>(strip_fences(text)).ok()?;
    validate(schema.json(), &value).ok().map(|()| value)
}

fn strip_fences(text: &str) -> &str {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_are_stripped() {
        assert_eq!(strip_fences("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_fences(" {\"a\":1} "), "{\"a\":1}");
    }
}
