//! The OpenAI-compatible chat-completions provider over `reqwest`.

use std::time::Duration;

use futures_core::future::BoxFuture;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use super::headers::server_hints;
use super::openai_wire::{parse_error_body, parse_response, request_body};
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
    client: reqwest::Client,
}

impl OpenAiProvider {
    /// A provider with these settings; reads the API key from the environment now.
    pub fn new(config: OpenAiConfig) -> Result<Self, EnrichError> {
        if !cfg!(feature = "tls") && config.base_url.starts_with("https:") {
            return Err(EnrichError::Connection(format!(
                "{}: https needs the cargo feature `tls` of iterable-enrich (on by default in the CLI)",
                config.base_url
            )));
        }
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let key = config.api_key.clone().or_else(|| {
            std::env::var(&config.api_key_env)
                .ok()
                .filter(|k| !k.is_empty())
        });
        if let Some(key) = key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                EnrichError::Schema("the API key is not a valid header value".into())
            })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        for (name, value) in &config.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| EnrichError::Schema(format!("bad header name {name:?}")))?;
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| EnrichError::Schema(format!("bad value for header {name}")))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.timeout)
            .build()
            .map_err(|e| EnrichError::Connection(error_chain(&e)))?;
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

    async fn send(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let body = request_body(&self.config, request);
        let response = self
            .client
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let hint = server_hints(response.headers(), std::time::SystemTime::now());
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        if !status.is_success() {
            let (code, message) = parse_error_body(&bytes);
            return Err(ProviderError {
                error: EnrichError::Http {
                    status: status.as_u16(),
                    code,
                    message,
                },
                hint,
            });
        }
        let mut answer = parse_response(&bytes, request.mode).map_err(ProviderError::new)?;
        answer.rate = hint.rate;
        Ok(answer)
    }

    fn transport_error(&self, e: reqwest::Error) -> ProviderError {
        let error = if e.is_timeout() {
            EnrichError::Timeout(self.config.timeout)
        } else {
            EnrichError::Connection(error_chain(&e))
        };
        ProviderError::new(error)
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

/// An error and its causes on one line: reqwest's own text says only "error sending request".
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
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
