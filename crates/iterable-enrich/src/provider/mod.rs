//! Who answers: the [`Provider`] trait and the request and response types it speaks.
//!
//! [`OpenAiProvider`] speaks the OpenAI-compatible chat-completions protocol (OpenAI,
//! Azure, vLLM, llama.cpp, Ollama, LM Studio). Other protocols implement the trait.

mod message;
mod openai;
mod openai_wire;
pub(crate) mod response_mode;

pub use message::{ChatRequest, ChatResponse, Message, Role, Usage};
pub use openai::{OpenAiConfig, OpenAiProvider};
pub use response_mode::ResponseMode;

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
}
