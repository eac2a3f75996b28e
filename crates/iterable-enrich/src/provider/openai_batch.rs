//! The OpenAI Batch protocol: upload a JSONL file of requests (`POST /files`,
//! `purpose=batch`), create a batch over it (`POST /batches`), poll it
//! (`GET /batches/{id}`), and download its output and error files
//! (`GET /files/{id}/content`). Every call is retried on transient failures like a
//! chat request.

use serde::Deserialize;
use serde_json::{Value, json};

use super::http::JsonClient;
use crate::EnrichError;
use crate::retry::RetryPolicy;

/// A batch as `GET /batches/{id}` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BatchState {
    /// `batch_...`.
    pub id: String,
    /// `validating`, `in_progress`, `finalizing`, `completed`, `failed`, `expired`,
    /// `cancelling` or `cancelled`.
    pub status: String,
    /// The answers, once there are any.
    #[serde(default)]
    pub output_file_id: Option<String>,
    /// The requests that failed (and, for an expired batch, those not run).
    #[serde(default)]
    pub error_file_id: Option<String>,
    /// Requests in the batch, done, failed.
    #[serde(default)]
    pub request_counts: RequestCounts,
    /// Why a failed batch failed (the input file's problems).
    #[serde(default)]
    pub errors: Option<Value>,
}

/// How far a batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct RequestCounts {
    /// Requests in the batch.
    #[serde(default)]
    pub total: u64,
    /// Requests answered.
    #[serde(default)]
    pub completed: u64,
    /// Requests that failed.
    #[serde(default)]
    pub failed: u64,
}

impl BatchState {
    /// Whether the batch will not change any more.
    pub fn is_final(&self) -> bool {
        matches!(
            self.status.as_str(),
            "completed" | "failed" | "expired" | "cancelled"
        )
    }

    /// The failed batch's errors on one line.
    pub(crate) fn error_text(&self) -> String {
        let Some(errors) = &self.errors else {
            return "no reason given".into();
        };
        let list = errors
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if list.is_empty() {
            return errors.to_string();
        }
        list.iter()
            .map(|e| {
                let line = e["line"]
                    .as_u64()
                    .map(|l| format!("line {l}: "))
                    .unwrap_or_default();
                format!(
                    "{line}{} ({})",
                    e["message"].as_str().unwrap_or(""),
                    e["code"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The client of one server's Batch API.
#[derive(Debug, Clone)]
pub(crate) struct BatchClient {
    client: JsonClient,
    /// Everything before `/files` and `/batches` (the chat base URL, query string kept).
    base: String,
    query: Option<String>,
    retry: RetryPolicy,
}

impl BatchClient {
    pub(crate) fn new(client: JsonClient, base_url: &str, retry: RetryPolicy) -> BatchClient {
        let (base, query) = match base_url.split_once('?') {
            Some((b, q)) => (b, Some(q.to_owned())),
            None => (base_url, None),
        };
        BatchClient {
            client,
            base: base.trim_end_matches('/').to_owned(),
            query,
            retry,
        }
    }

    fn url(&self, path: &str) -> String {
        match &self.query {
            Some(q) => format!("{}{path}?{q}", self.base),
            None => format!("{}{path}", self.base),
        }
    }

    /// The path of the chat endpoint as a batch line names it (`/v1/chat/completions`).
    pub(crate) fn chat_path(&self) -> String {
        let path = reqwest::Url::parse(&self.base)
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        format!("{path}/chat/completions")
    }

    /// Uploads a JSONL file of requests; its id.
    pub(crate) async fn upload(&self, name: &str, jsonl: &[u8]) -> Result<String, EnrichError> {
        let boundary = format!("iterable{:016x}", fastrand::u64(..));
        let mut body = Vec::with_capacity(jsonl.len() + 512);
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/jsonl\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(jsonl);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let body = bytes::Bytes::from(body);
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let file: Value = self
            .call(|| {
                self.client
                    .inner()
                    .post(self.url("/files"))
                    .header(reqwest::header::CONTENT_TYPE, content_type.clone())
                    .body(body.clone())
            })
            .await?;
        id_of(&file, "file")
    }

    /// Creates a batch over an uploaded file.
    pub(crate) async fn create(
        &self,
        input_file_id: &str,
        completion_window: &str,
    ) -> Result<BatchState, EnrichError> {
        let body = json!({
            "input_file_id": input_file_id,
            "endpoint": self.chat_path(),
            "completion_window": completion_window,
        });
        let state: Value = self
            .call(|| self.client.inner().post(self.url("/batches")).json(&body))
            .await?;
        parse_state(state)
    }

    /// Where a batch is.
    pub(crate) async fn get(&self, id: &str) -> Result<BatchState, EnrichError> {
        let state: Value = self
            .call(|| self.client.inner().get(self.url(&format!("/batches/{id}"))))
            .await?;
        parse_state(state)
    }

    /// A file's content.
    pub(crate) async fn content(&self, file_id: &str) -> Result<bytes::Bytes, EnrichError> {
        self.call_raw(|| {
            self.client
                .inner()
                .get(self.url(&format!("/files/{file_id}/content")))
        })
        .await
    }

    async fn call(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Value, EnrichError> {
        let bytes = self.call_raw(build).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            EnrichError::BadResponse(format!(
                "not JSON ({e}): {}",
                super::openai_wire::cut(&bytes)
            ))
        })
    }

    /// One call, retried as a chat request is (transient failures, the server's
    /// retry-after).
    async fn call_raw(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<bytes::Bytes, EnrichError> {
        let mut retry = 0;
        loop {
            match self.client.send_raw(build()).await {
                Ok((bytes, _)) => return Ok(bytes),
                Err(e) => match self.retry.delay(retry, &e) {
                    Some(wait) => {
                        retry += 1;
                        tokio::time::sleep(wait).await;
                    }
                    None => return Err(e.error),
                },
            }
        }
    }
}

fn id_of(value: &Value, what: &str) -> Result<String, EnrichError> {
    value["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| EnrichError::BadResponse(format!("the {what} has no id: {value}")))
}

fn parse_state(value: Value) -> Result<BatchState, EnrichError> {
    serde_json::from_value(value.clone())
        .map_err(|e| EnrichError::BadResponse(format!("not a batch ({e}): {value}")))
}
