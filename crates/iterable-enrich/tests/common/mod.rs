//! A real chat-completions server on 127.0.0.1 (axum, port 0), scripted per test, and
//! small sources for the stage.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::post;
use futures::Stream;
use iterable::{
    AsyncIterable, Codec, Format, IterableInfo, Mode, Progress, Result as IterResult, Row, row,
};
use serde_json::{Value, json};

/// What the server sees of one request.
#[derive(Debug, Clone)]
pub struct Call {
    /// The JSON body.
    pub body: Value,
    /// The first user message (the rendered prompt: identifies the row).
    pub prompt: String,
    /// How many requests for this prompt came before, plus one.
    pub attempt: u32,
    /// How many requests came before, plus one.
    pub n: u64,
    /// When it arrived.
    pub at: std::time::Instant,
    /// Requests in flight when it arrived, itself included.
    pub in_flight: u64,
}

impl Call {
    /// The `id=N` in the prompt.
    pub fn id(&self) -> u64 {
        let rest = self.prompt.split("id=").nth(1).unwrap_or("");
        rest.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0)
    }

    /// The number of messages (2 on a first ask; 4, 6, ... on re-asks).
    pub fn messages(&self) -> usize {
        self.body["messages"].as_array().map_or(0, Vec::len)
    }

    /// The `response_format.type`, or `tools` when tools are sent.
    pub fn mode(&self) -> &str {
        if self.body.get("tools").is_some() {
            return "tools";
        }
        self.body["response_format"]["type"]
            .as_str()
            .unwrap_or("none")
    }
}

/// The body of a reply.
pub enum ReplyBody {
    Json(Value),
    Raw(&'static str),
    /// Starts a body and breaks the connection in the middle of it.
    Drop,
}

/// One scripted reply.
pub struct Reply {
    /// Before the delay: wait until this many requests are in flight (at most 3 s).
    pub hold_until_in_flight: Option<u64>,
    /// Before the delay: wait until the rows with these ids were answered (at most 3 s).
    pub after_rows: Vec<u64>,
    pub delay: Duration,
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: ReplyBody,
}

impl Reply {
    /// A completion whose content is `answer` as JSON text.
    pub fn answer(answer: Value) -> Reply {
        Reply::content(&answer.to_string(), "stop")
    }

    /// A completion with this content and finish reason; usage 10 + 5 tokens.
    pub fn content(content: &str, finish: &str) -> Reply {
        Reply::json(json!({
            "id": "chatcmpl-test", "object": "chat.completion", "model": "test",
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        }))
    }

    /// A refusal.
    pub fn refusal(text: &str) -> Reply {
        Reply::json(json!({
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": null, "refusal": text}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2}
        }))
    }

    /// A tool call whose arguments are `answer`.
    pub fn tool_call(answer: Value) -> Reply {
        Reply::json(json!({
            "choices": [{"index": 0, "finish_reason": "tool_calls",
                         "message": {"role": "assistant", "content": null, "tool_calls": [
                            {"id": "c1", "type": "function",
                             "function": {"name": "extraction", "arguments": answer.to_string()}}]}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5}
        }))
    }

    /// An error in OpenAI's shape.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply {
            status,
            ..Reply::json(json!({"error": {"message": message, "type": code, "code": code}}))
        }
    }

    pub fn json(body: Value) -> Reply {
        Reply {
            hold_until_in_flight: None,
            after_rows: Vec::new(),
            delay: Duration::ZERO,
            status: 200,
            headers: Vec::new(),
            body: ReplyBody::Json(body),
        }
    }

    pub fn raw(status: u16, body: &'static str) -> Reply {
        Reply {
            status,
            body: ReplyBody::Raw(body),
            ..Reply::json(Value::Null)
        }
    }

    pub fn dropped() -> Reply {
        Reply {
            body: ReplyBody::Drop,
            ..Reply::json(Value::Null)
        }
    }

    /// Holds the answer until `n` requests are in flight together (or 3 s pass).
    pub fn when_in_flight(mut self, n: u64) -> Reply {
        self.hold_until_in_flight = Some(n);
        self
    }

    /// Holds the answer until the rows `ids` were answered (or 3 s pass).
    pub fn after_rows(mut self, ids: impl IntoIterator<Item = u64>) -> Reply {
        self.after_rows = ids.into_iter().collect();
        self
    }

    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// The good answer for row `id`: name `person<id>`, age `id`.
pub fn person(id: u64) -> Value {
    json!({"name": format!("person{id}"), "age": id})
}

type Script = dyn Fn(&Call) -> Reply + Send + Sync;

/// What the server counted.
#[derive(Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub in_flight: AtomicU64,
    pub peak: AtomicU64,
    pub calls: Mutex<Vec<Call>>,
    attempts: Mutex<HashMap<String, u32>>,
    answered: Mutex<std::collections::HashSet<u64>>,
}

impl Counters {
    pub fn requests(&self) -> u64 {
        self.requests.load(SeqCst)
    }
    pub fn peak(&self) -> u64 {
        self.peak.load(SeqCst)
    }
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

struct AppState {
    script: Box<Script>,
    counters: Arc<Counters>,
}

/// A running server; stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Starts a server that answers every request with `script`.
    pub async fn start(script: impl Fn(&Call) -> Reply + Send + Sync + 'static) -> Server {
        let counters = Arc::new(Counters::default());
        let state = Arc::new(AppState {
            script: Box::new(script),
            counters: counters.clone(),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(handle))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Server {
            addr,
            counters,
            task,
        }
    }

    /// The base URL to give the provider.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counts a request out of flight even when the client gives up and the handler is dropped.
struct InFlight(Arc<Counters>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, SeqCst);
    }
}

async fn handle(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let counters = &state.counters;
    let n = counters.requests.fetch_add(1, SeqCst) + 1;
    let now = counters.in_flight.fetch_add(1, SeqCst) + 1;
    counters.peak.fetch_max(now, SeqCst);
    let _guard = InFlight(counters.clone());
    let body: Value = serde_json::from_slice(&body).expect("the client sends JSON");
    let prompt = body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_owned();
    let attempt = {
        let mut attempts = counters.attempts.lock().unwrap();
        let a = attempts.entry(prompt.clone()).or_insert(0);
        *a += 1;
        *a
    };
    let call = Call {
        body,
        prompt,
        attempt,
        n,
        at: std::time::Instant::now(),
        in_flight: now,
    };
    counters.calls.lock().unwrap().push(call.clone());
    let reply = (state.script)(&call);
    if let Some(n) = reply.hold_until_in_flight {
        let start = std::time::Instant::now();
        while counters.in_flight.load(SeqCst) < n && start.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let start = std::time::Instant::now();
    while !reply
        .after_rows
        .iter()
        .all(|id| counters.answered.lock().unwrap().contains(id))
        && start.elapsed() < Duration::from_secs(3)
    {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    counters.answered.lock().unwrap().insert(call.id());
    let mut response = match reply.body {
        ReplyBody::Json(v) => Response::new(Body::from(v.to_string())),
        ReplyBody::Raw(text) => Response::new(Body::from(text)),
        ReplyBody::Drop => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"{\"choices\": [")),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "cut",
                )),
            ];
            Response::new(Body::from_stream(futures::stream::iter(chunks)))
        }
    };
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    for (name, value) in reply.headers {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
}

/// Rows `id=0..n` with a `text` column, in memory.
pub struct Rows {
    rows: std::vec::IntoIter<Row>,
    info: IterableInfo,
    pub pulled: Arc<AtomicU64>,
    endless: bool,
    next_id: u64,
    fail_at: Option<u64>,
    served: u64,
}

impl Rows {
    pub fn new(n: u64) -> Rows {
        Rows::from_rows(
            (0..n)
                .map(|i| row! {"id" => i, "text" => format!("row {i}")})
                .collect(),
        )
    }

    pub fn from_rows(rows: Vec<Row>) -> Rows {
        Rows {
            rows: rows.into_iter(),
            info: IterableInfo {
                encoding: None,
                location: "memory".into(),
                format: Format::JSONL,
                codec: Codec::None,
                mode: Mode::Read,
            },
            pulled: Arc::new(AtomicU64::new(0)),
            endless: false,
            next_id: 0,
            fail_at: None,
            served: 0,
        }
    }

    /// Rows `id=0..n`, with an error in place of row `bad`.
    pub fn failing_at(n: u64, bad: u64) -> Rows {
        Rows {
            fail_at: Some(bad),
            ..Rows::new(n)
        }
    }

    /// Rows without end.
    pub fn endless() -> Rows {
        Rows {
            endless: true,
            ..Rows::new(0)
        }
    }
}

impl Stream for Rows {
    type Item = IterResult<Row>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = if self.endless {
            let i = self.next_id;
            self.next_id += 1;
            Some(row! {"id" => i, "text" => format!("row {i}")})
        } else {
            self.rows.next()
        };
        if next.is_some() {
            self.pulled.fetch_add(1, SeqCst);
        }
        let position = self.served;
        self.served += 1;
        if next.is_some() && self.fail_at == Some(position) {
            return Poll::Ready(Some(Err(iterable::Error::InvalidOption(format!(
                "bad source row {position}"
            )))));
        }
        Poll::Ready(next.map(Ok))
    }
}

impl AsyncIterable for Rows {
    fn info(&self) -> &IterableInfo {
        &self.info
    }
    fn progress(&self) -> Progress {
        Progress::default()
    }
}

/// A provider for `server` that gives up after `timeout`.
pub fn provider(server: &Server, timeout: Duration) -> Arc<dyn iterable_enrich::Provider> {
    let mut config = iterable_enrich::OpenAiConfig::new(server.base_url(), "test-model");
    config.api_key = Some("sk-test".into());
    config.timeout = timeout;
    Arc::new(iterable_enrich::OpenAiProvider::new(config).unwrap())
}

/// Options the tests share: the prompt names the row, retries wait 10 ms.
pub fn options() -> iterable_enrich::EnrichOptions {
    iterable_enrich::EnrichOptions::new()
        .prompt("id={id} text={text}")
        .retry(iterable_enrich::RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            ..Default::default()
        })
}

pub fn schema() -> iterable_enrich::Schema {
    iterable_enrich::Schema::from_fields("name:string,age:integer").unwrap()
}

/// Every row of a stage, errors as text.
pub async fn drain<S: AsyncIterable>(mut s: S) -> Vec<Result<Row, String>> {
    use futures::StreamExt;
    let mut out = Vec::new();
    while let Some(r) = s.next().await {
        out.push(r.map_err(|e| e.to_string()));
    }
    out
}

/// The `id` column of each row.
pub fn ids(rows: &[Result<Row, String>]) -> Vec<i64> {
    rows.iter()
        .map(|r| r.as_ref().unwrap()["id"].as_i64().unwrap())
        .collect()
}

/// Runs rows `id=0..rows` through a stage on `server` with `opts`: the rows (errors
/// as text) and the final counters.
pub async fn run_rows(
    server: &Server,
    rows: u64,
    opts: iterable_enrich::EnrichOptions,
) -> (Vec<Result<Row, String>>, iterable_enrich::EnrichProgress) {
    let stage = iterable_enrich::enrich(
        Rows::new(rows),
        provider(server, Duration::from_secs(10)),
        schema(),
        opts,
    )
    .unwrap();
    let stats = stage.stats();
    let out = drain(stage).await;
    (out, stats.snapshot())
}

/// A row's error column, as text.
pub fn error_of(row: &Result<Row, String>) -> String {
    row.as_ref().unwrap()["_enrich_error"].to_string()
}
