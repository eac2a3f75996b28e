//! The conversation sent to a model and what comes back.

use serde::{Deserialize, Serialize};

use super::ResponseMode;
use crate::Schema;

/// Who says a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions.
    System,
    /// The request (the rendered prompt, or a re-ask).
    User,
    /// The model's earlier answer.
    Assistant,
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who says it.
    pub role: Role,
    /// What is said.
    pub content: String,
}

impl Message {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Message {
            role: Role::System,
            content: content.into(),
        }
    }
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Message {
            role: Role::User,
            content: content.into(),
        }
    }
    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Message {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// One request: the conversation, the schema the answer must fit, and how to ask for it.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// The schema of the answer (strict-mode normalised).
    pub schema: Schema,
    /// How the schema is sent.
    pub mode: ResponseMode,
}

impl ChatRequest {
    /// A rough token count of the messages (4 characters a token), for the
    /// tokens-per-minute limiter before the server reports the real count.
    pub fn estimated_prompt_tokens(&self) -> u64 {
        let chars: usize = self.messages.iter().map(|m| m.content.len() + 4).sum();
        let schema = if self.mode == ResponseMode::JsonObject || self.mode == ResponseMode::Tools {
            self.schema.json().to_string().len()
        } else {
            self.schema.json().to_string().len() / 2
        };
        ((chars + schema) / 4) as u64 + 1
    }
}

/// Tokens a request used, as the server reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens in the answer.
    pub completion_tokens: u64,
    /// Of the prompt tokens, those served from the server's prompt cache (billed
    /// lower), when it says (`prompt_tokens_details.cached_tokens`, Anthropic's
    /// `cache_read_input_tokens`).
    #[serde(default)]
    pub cached_tokens: u64,
    /// Of the completion tokens, those a reasoning model spent thinking, when it says
    /// (`completion_tokens_details.reasoning_tokens`).
    #[serde(default)]
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Prompt plus completion tokens.
    pub fn total(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }

    /// Adds another request's usage.
    pub fn add(&mut self, other: Usage) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.cached_tokens += other.cached_tokens;
        self.reasoning_tokens += other.reasoning_tokens;
    }
}

/// A model's answer, protocol details removed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The text of the answer (for the tools mode: the function call's arguments).
    pub content: Option<String>,
    /// The model's refusal, when it refused.
    pub refusal: Option<String>,
    /// Why the model stopped (`stop`, `length`, `tool_calls`, `content_filter`).
    pub finish_reason: Option<String>,
    /// Tokens used.
    pub usage: Usage,
    /// The rate limits the server reported with this answer (not cached).
    #[serde(skip)]
    pub rate: Option<super::RateInfo>,
}
