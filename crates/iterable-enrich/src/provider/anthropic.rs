//! The Anthropic Messages provider over `reqwest`: `POST {base_url}/v1/messages`,
//! structure by a forced tool call.

use std::time::Duration;

use futures_core::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderValue};

use super::anthropic_wire::{parse_response, request_body};
use super::http::{JsonClient, api_key, check_tls, secret};
use super::{ChatRequest, ChatResponse, Provider, ProviderError};
use crate::EnrichError;

/// Settings of an [`AnthropicProvider`]. `Debug` shows no API key.
#[derive(Clone, PartialEq)]
pub struct AnthropicConfig {
    /// Everything before `/v1/messages` (default `https://api.anthropic.com`).
    pub base_url: String,
    /// The environment variable that holds the API key (default `ANTHROPIC_API_KEY`),
    /// sent as `x-api-key`; none is sent when it is unset or empty.
    pub api_key_env: String,
    /// An API key given directly; wins over the environment variable.
    pub api_key: Option<String>,
    /// The model name.
    pub model: String,
    /// `max_tokens` of the answer: the protocol requires one (default 1024).
    pub max_tokens: u32,
    /// Sampling temperature; the server's default when `None`.
    pub temperature: Option<f32>,
    /// The `anthropic-version` header (default `2023-06-01`).
    pub version: String,
    /// More headers for every request (`anthropic-beta`, ...).
    pub headers: Vec<(String, String)>,
    /// How long one request may take, connection to last byte (default 60 s).
    pub timeout: Duration,
}

impl std::fmt::Debug for AnthropicConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicConfig")
            .field("base_url", &self.base_url)
            .field("api_key_env", &self.api_key_env)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("max_tokens", &self.max_tokens)
            .field("temperature", &self.temperature)
            .field("version", &self.version)
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

impl AnthropicConfig {
    /// The defaults with this model.
    pub fn new(model: impl Into<String>) -> Self {
        AnthropicConfig {
            base_url: "https://api.anthropic.com".into(),
            api_key_env: "ANTHROPIC_API_KEY".into(),
            api_key: None,
            model: model.into(),
            max_tokens: 1024,
            temperature: None,
            version: "2023-06-01".into(),
            headers: Vec::new(),
            timeout: Duration::from_secs(60),
        }
    }
}

/// Speaks Anthropic's Messages API. Every response mode but json-object is sent as
/// one forced tool call whose input schema is the schema.
#[derive(Debug, Clone)]
pub struct AnthropicProvider {
    config: AnthropicConfig,
    url: String,
    client: JsonClient,
}

impl AnthropicProvider {
    /// A provider with these settings; reads the API key from the environment now.
    pub fn new(config: AnthropicConfig) -> Result<Self, EnrichError> {
        check_tls(&config.base_url)?;
        let mut headers = HeaderMap::new();
        let version = HeaderValue::from_str(&config.version).map_err(|_| {
            EnrichError::Schema(format!("bad anthropic-version {:?}", config.version))
        })?;
        headers.insert("anthropic-version", version);
        if let Some(key) = api_key(&config.api_key, &config.api_key_env) {
            headers.insert("x-api-key", secret(&key)?);
        }
        let client = JsonClient::new(headers, &config.headers, config.timeout)?;
        let url = format!("{}/v1/messages", config.base_url.trim_end_matches('/'));
        Ok(AnthropicProvider {
            config,
            url,
            client,
        })
    }

    /// The settings.
    pub fn config(&self) -> &AnthropicConfig {
        &self.config
    }

    async fn send(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let body = request_body(&self.config, request);
        self.client.post(&self.url, &body, parse_response).await
    }
}

impl Provider for AnthropicProvider {
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(self.send(request))
    }

    fn name(&self) -> &str {
        "anthropic"
    }

    fn cache_key(&self, request: &ChatRequest) -> Vec<u8> {
        let mut key = self.url.clone().into_bytes();
        key.push(b'\n');
        key.extend_from_slice(request_body(&self.config, request).to_string().as_bytes());
        key
    }
}
