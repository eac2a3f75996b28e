//! The OpenAI-compatible chat-completions provider over `reqwest`.

use std::time::Duration;

use futures_core::future::BoxFuture;
use reqwest::header::{AUTHORIZATION, HeaderMap};

use super::http::{JsonClient, api_key, check_tls, secret};
use super::openai_batch::BatchClient;
use super::openai_wire::{parse_response, request_body};
use super::{ChatRequest, ChatResponse, Provider, ProviderError};
use crate::EnrichError;

/// Settings of an [`OpenAiProvider`]. `Debug` shows no API key.
#[derive(Clone, PartialEq)]
pub struct OpenAiConfig {
    /// Everything before `/chat/completions` (default `https://api.openai.com/v1`;
    /// e.g. `http://127.0.0.1:8000/v1` for vLLM, `http://localhost:11434/v1` for Ollama).
    /// A query string stays at the end: Azure's
    /// `https://R.openai.azure.com/openai/deployments/D?api-version=2024-10-21` works.
    pub base_url: String,
    /// The environment variable that holds the API key (default `OPENAI_API_KEY`). When
    /// it is unset or empty no `Authorization` header is sent (local servers need none).
    pub api_key_env: String,
    /// An API key given directly; wins over the environment variable.
    pub api_key: Option<String>,
    /// The model name.
    pub model: String,
    /// Sampling temperature; the server's default when `None`.
    pub temperature: Option<f32>,
    /// `max_tokens` of the answer; the server's default when `None`.
    pub max_tokens: Option<u32>,
    /// `max_completion_tokens` (what OpenAI's reasoning models take instead of
    /// `max_tokens`: the answer and the reasoning together).
    pub max_completion_tokens: Option<u32>,
    /// `seed`, for repeatable sampling where the server supports it.
    pub seed: Option<u64>,
    /// `reasoning_effort` (`minimal`, `low`, `medium`, `high`) for reasoning models.
    pub reasoning_effort: Option<String>,
    /// `service_tier` (`auto`, `default`, `flex`, `priority`).
    pub service_tier: Option<String>,
    /// More top-level body fields, set last (so they win): `top_k`, `min_p`,
    /// `chat_template_kwargs`, or anything else a server takes.
    pub extra_body: serde_json::Map<String, serde_json::Value>,
    /// More headers for every request (`api-key` for Azure, an organisation, ...).
    pub headers: Vec<(String, String)>,
    /// How long one request may take, connection to last byte (default 60 s).
    pub timeout: Duration,
}

impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("api_key_env", &self.api_key_env)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("temperature", &self.temperature)
            .field("max_tokens", &self.max_tokens)
            .field("max_completion_tokens", &self.max_completion_tokens)
            .field("seed", &self.seed)
            .field("reasoning_effort", &self.reasoning_effort)
            .field("service_tier", &self.service_tier)
            .field("extra_body", &self.extra_body)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        OpenAiConfig {
            base_url: "https://api.openai.com/v1".into(),
            api_key_env: "OPENAI_API_KEY".into(),
            api_key: None,
            model: "gpt-4o-mini".into(),
            temperature: None,
            max_tokens: None,
            max_completion_tokens: None,
            seed: None,
            reasoning_effort: None,
            service_tier: None,
            extra_body: serde_json::Map::new(),
            headers: Vec::new(),
            timeout: Duration::from_secs(60),
        }
    }
}

impl OpenAiConfig {
    /// The defaults with this base URL and model.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        OpenAiConfig {
            base_url: base_url.into(),
            model: model.into(),
            ..Default::default()
        }
    }
}

/// Speaks `POST {base_url}/chat/completions`.
#[derive(Debug, Clone)]
pub struct OpenAiProvider {
    config: OpenAiConfig,
    url: String,
    client: JsonClient,
}

impl OpenAiProvider {
    /// A provider with these settings; reads the API key from the environment now.
    pub fn new(config: OpenAiConfig) -> Result<Self, EnrichError> {
        check_tls(&config.base_url)?;
        let mut headers = HeaderMap::new();
        if let Some(key) = api_key(&config.api_key, &config.api_key_env) {
            headers.insert(AUTHORIZATION, secret(&format!("Bearer {key}"))?);
        }
        let client = JsonClient::new(headers, &config.headers, config.timeout)?;
        let url = endpoint(&config.base_url);
        Ok(OpenAiProvider {
            config,
            url,
            client,
        })
    }

    /// The settings.
    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    /// The chat-completions body of `request`, as a batch line carries it.
    pub(crate) fn body(&self, request: &ChatRequest) -> serde_json::Value {
        request_body(&self.config, request)
    }

    /// A client of the same server's Batch API (same key, headers and timeout).
    pub(crate) fn batch_client(&self, retry: crate::RetryPolicy) -> BatchClient {
        BatchClient::new(self.client.clone(), &self.config.base_url, retry)
    }

    async fn send(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let body = request_body(&self.config, request);
        self.client
            .post(&self.url, &body, |bytes| {
                parse_response(bytes, request.mode)
            })
            .await
    }
}

impl Provider for OpenAiProvider {
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(self.send(request))
    }

    fn name(&self) -> &str {
        "openai"
    }

    fn cache_key(&self, request: &ChatRequest) -> Vec<u8> {
        let mut key = self.url.clone().into_bytes();
        key.push(b'\n');
        key.extend_from_slice(request_body(&self.config, request).to_string().as_bytes());
        key
    }
}

/// `{base}/chat/completions`, keeping a query string (Azure's `api-version`) at the end.
fn endpoint(base_url: &str) -> String {
    let (path, query) = match base_url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (base_url, None),
    };
    let mut url = format!("{}/chat/completions", path.trim_end_matches('/'));
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_keeps_a_query_string() {
        assert_eq!(endpoint("http://h:1/v1/"), "http://h:1/v1/chat/completions");
        assert_eq!(
            endpoint("https://r.openai.azure.com/openai/deployments/d?api-version=2024-10-21"),
            "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21"
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let config = OpenAiConfig {
            api_key: Some("sk-secret".into()),
            headers: vec![("api-key".into(), "azure-secret".into())],
            ..Default::default()
        };
        let text = format!("{config:?}");
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
    }

    #[test]
    fn https_needs_the_tls_feature() {
        let result = OpenAiProvider::new(OpenAiConfig::default());
        if cfg!(feature = "tls") {
            assert!(result.is_ok());
        } else {
            assert_eq!(
                result.unwrap_err().to_string(),
                "connection failed: https://api.openai.com/v1: https needs the cargo feature `tls` of iterable-enrich (on by default in the CLI)"
            );
        }
    }
}
