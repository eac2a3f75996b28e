//! What the HTTP providers share: the client with its default headers (secrets marked
//! sensitive), the API key from the config or the environment, and one JSON POST whose
//! failure says whether and when to retry.

use std::time::{Duration, SystemTime};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::headers::server_hints;
use super::openai_wire::parse_error_body;
use super::{ChatResponse, ProviderError, RetryHint};
use crate::EnrichError;

/// A client for one provider: its default headers and per-request timeout.
#[derive(Debug, Clone)]
pub(crate) struct JsonClient {
    client: reqwest::Client,
    timeout: Duration,
}

/// The API key given, else the environment variable's (unset or empty: none).
pub(crate) fn api_key(given: &Option<String>, env: &str) -> Option<String> {
    given
        .clone()
        .or_else(|| std::env::var(env).ok().filter(|k| !k.is_empty()))
}

/// A header value that is never printed (`Debug` of a request, logs).
pub(crate) fn secret(value: &str) -> Result<HeaderValue, EnrichError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        EnrichError::Schema("a secret header value is not valid in a header".into())
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Refuses an `https` URL when the crate was built without TLS, saying what to do.
pub(crate) fn check_tls(base_url: &str) -> Result<(), EnrichError> {
    if !cfg!(feature = "tls") && base_url.starts_with("https:") {
        return Err(EnrichError::Connection(format!(
            "{base_url}: https needs the cargo feature `tls` of iterable-enrich (on by default in the CLI)"
        )));
    }
    Ok(())
}

impl JsonClient {
    /// A client sending `headers` (the protocol's own) plus the user's `extra` ones
    /// (marked sensitive: they often carry keys) with every request.
    pub(crate) fn new(
        mut headers: HeaderMap,
        extra: &[(String, String)],
        timeout: Duration,
    ) -> Result<Self, EnrichError> {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (name, value) in extra {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| EnrichError::Schema(format!("bad header name {name:?}")))?;
            let value = secret(value)
                .map_err(|_| EnrichError::Schema(format!("bad value for header {name}")))?;
            headers.insert(name, value);
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .build()
            .map_err(|e| EnrichError::Connection(error_chain(&e)))?;
        Ok(JsonClient { client, timeout })
    }

    /// POSTs `body` to `url` and reads a 2xx answer with `parse` (the server's rate
    /// limits attached); otherwise an error (an HTTP status with the body's code and
    /// message, a timeout, a broken connection) with the hints that came with it.
    pub(crate) async fn post(
        &self,
        url: &str,
        body: &Value,
        parse: impl FnOnce(&[u8]) -> Result<ChatResponse, EnrichError>,
    ) -> Result<ChatResponse, ProviderError> {
        let (bytes, hint) = self.send_raw(self.client.post(url).json(body)).await?;
        let mut answer = parse(&bytes).map_err(ProviderError::new)?;
        answer.rate = hint.rate;
        Ok(answer)
    }

    /// Sends `request` (built on this client) and returns a 2xx body, or the error
    /// as [`JsonClient::post`] reads it: for the calls that are not chat completions
    /// (the Batch API's files and batches).
    pub(crate) async fn send_raw(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(bytes::Bytes, RetryHint), ProviderError> {
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let hint = server_hints(response.headers(), SystemTime::now());
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
        Ok((bytes, hint))
    }

    /// The underlying client, to build a request for [`JsonClient::send_raw`].
    pub(crate) fn inner(&self) -> &reqwest::Client {
        &self.client
    }

    fn transport_error(&self, e: reqwest::Error) -> ProviderError {
        let error = if e.is_timeout() {
            EnrichError::Timeout(self.timeout)
        } else {
            EnrichError::Connection(error_chain(&e))
        };
        ProviderError::new(error)
    }
}

/// An error and its causes on one line: reqwest's own text says only "error sending request".
fn error_chain(e: &dyn std::error::Error) -> String {
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
