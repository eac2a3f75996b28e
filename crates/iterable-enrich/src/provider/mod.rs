//! Who answers: the [`Provider`] trait and the request and response types it speaks.
//!
//! [`OpenAiProvider`] speaks the OpenAI-compatible chat-completions protocol (OpenAI,
//! Azure, vLLM, llama.cpp, Ollama, LM Studio); [`AnthropicProvider`] speaks
//! Anthropic's Messages API. Other protocols implement the trait.

mod anthropic;
mod anthropic_wire;
mod headers;
mod http;
mod message;
mod openai;
pub(crate) mod openai_batch;
pub(crate) mod openai_wire;
pub(crate) mod response_mode;

pub use anthropic::{AnthropicConfig, AnthropicProvider};
pub use message::{ChatRequest, ChatResponse, Message, Role, Usage};
pub use openai::{OpenAiConfig, OpenAiProvider};
pub use openai_batch::{BatchState, RequestCounts};
pub use response_mode::{ResponseMode, rejects_mode};

use std::time::Duration;

use futures_core::future::BoxFuture;

use crate::EnrichError;

/// A chat model behind some protocol.
pub trait Provider: Send + Sync {
    /// Sends one request and returns the parsed answer, or an error that says whether
    /// and when it may be retried.
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>>;

    /// The bytes that identify this request completely (endpoint, model, sampling
    /// options, messages, response format): the on-disk cache hashes them.
    fn cache_key(&self, request: &ChatRequest) -> Vec<u8>;

    /// Whether `error` says the server does not accept `mode` (so the stage moves on to
    /// the next mode). The default reads the error text as [`rejects_mode`] does, which
    /// fits servers that name the refused parameter; a protocol with its own error
    /// codes answers from them.
    fn rejects_mode(&self, error: &EnrichError, mode: ResponseMode) -> bool {
        rejects_mode(error, mode)
    }

    /// A short name for logs and traces (`openai`, `anthropic`).
    fn name(&self) -> &str {
        "custom"
    }
}

/// A failed request: what went wrong plus what the server said about retrying.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderError {
    /// What went wrong.
    pub error: EnrichError,
    /// The server's retry advice, if any.
    pub hint: RetryHint,
}

impl ProviderError {
    /// An error without retry advice.
    pub fn new(error: EnrichError) -> Self {
        ProviderError {
            error,
            hint: RetryHint::default(),
        }
    }
}

/// What the server said about retrying (`retry-after`, `retry-after-ms`, `x-should-retry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetryHint {
    /// How long to wait before the next attempt.
    pub after: Option<Duration>,
    /// `x-should-retry: true|false`: overrides the status-based decision.
    pub should_retry: Option<bool>,
    /// The account's rate limits as the server reported them with the error.
    pub rate: Option<RateInfo>,
}

/// The account's rate limits as a server reports them with each answer (OpenAI's
/// `x-ratelimit-*`, Anthropic's `anthropic-ratelimit-*` headers): the stage seeds its
/// requests- and tokens-per-minute buckets from them when none were set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateInfo {
    /// Requests allowed a window (a minute for OpenAI and Anthropic).
    pub limit_requests: Option<u64>,
    /// Requests left in this window.
    pub remaining_requests: Option<u64>,
    /// When the requests allowance is whole again.
    pub reset_requests: Option<Duration>,
    /// Tokens allowed a window.
    pub limit_tokens: Option<u64>,
    /// Tokens left in this window.
    pub remaining_tokens: Option<u64>,
    /// When the tokens allowance is whole again.
    pub reset_tokens: Option<Duration>,
}

impl RateInfo {
    /// Whether the server said anything at all.
    pub fn is_empty(&self) -> bool {
        *self == RateInfo::default()
    }
}
