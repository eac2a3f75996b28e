//! A loopback server speaking the OpenAI Batch protocol as OpenAI documents it:
//! `POST /v1/files` (multipart, `purpose=batch`), `POST /v1/batches`,
//! `GET /v1/batches/{id}` (validating, then in progress, then how the test says it
//! ends: completed, expired with part of the requests run, or failed with the
//! file's errors), `GET /v1/files/{id}/content` (output and error files in the
//! documented line shapes), and `POST /v1/chat/completions` for the rows asked again
//! one by one.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// What the batch does with one row's request.
#[derive(Debug, Clone)]
pub enum LineReply {
    /// A chat completion whose content is this JSON.
    Answer(Value),
    /// A chat completion with this content (not valid JSON, say).
    Content(&'static str),
    /// The request failed with this HTTP status.
    Error(u16),
    /// Not run before the batch expired.
    NotRun,
}

/// How the batches end once polled twice.
#[derive(Debug, Clone)]
pub enum BatchEnd {
    Completed,
    Expired,
    Failed(Value),
    /// They stay in progress.
    Never,
}

type Script = Box<dyn Fn(u64) -> LineReply + Send + Sync>;

struct Batch {
    input_file: String,
    polls: u32,
    object: Value,
}

pub struct St {
    script: Script,
    pub end: Mutex<BatchEnd>,
    files: Mutex<HashMap<String, Vec<u8>>>,
    batches: Mutex<HashMap<String, Batch>>,
    pub uploads: AtomicU64,
    pub creates: AtomicU64,
    pub chats: AtomicU64,
    /// Every request line of every uploaded file.
    pub lines: Mutex<Vec<Value>>,
    /// The user prompts asked one by one.
    pub asked: Mutex<Vec<u64>>,
}

pub struct BatchServer {
    pub addr: SocketAddr,
    pub state: Arc<St>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for BatchServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl BatchServer {
    pub async fn start(
        end: BatchEnd,
        script: impl Fn(u64) -> LineReply + Send + Sync + 'static,
    ) -> Self {
        let state = Arc::new(St {
            script: Box::new(script),
            end: Mutex::new(end),
            files: Mutex::default(),
            batches: Mutex::default(),
            uploads: AtomicU64::new(0),
            creates: AtomicU64::new(0),
            chats: AtomicU64::new(0),
            lines: Mutex::default(),
            asked: Mutex::default(),
        });
        let app = Router::new()
            .route("/v1/files", post(upload))
            .route("/v1/files/{id}/content", get(content))
            .route("/v1/batches", post(create))
            .route("/v1/batches/{id}", get(poll))
            .route("/v1/chat/completions", post(chat))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        BatchServer { addr, state, task }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

fn error(status: u16, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "invalid_request_error"}});
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

/// The row id in a chat body's user prompt (`id=N ...`).
fn row_id(body: &Value) -> u64 {
    let prompt = body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    prompt
        .split("id=")
        .nth(1)
        .unwrap_or("")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(u64::MAX)
}

fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    })
}

async fn upload(
    State(st): State<Arc<St>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return error(400, "expected multipart/form-data");
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    let delimiter = format!("--{boundary}");
    let mut purpose = None;
    let mut file = None;
    for part in text.split(&delimiter) {
        let Some((head, data)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let data = data.strip_suffix("\r\n").unwrap_or(data);
        if head.contains("name=\"purpose\"") {
            purpose = Some(data.to_owned());
        } else if head.contains("name=\"file\"") && head.contains("filename=") {
            file = Some(data.to_owned());
        }
    }
    if purpose.as_deref() != Some("batch") {
        return error(400, "purpose must be batch");
    }
    let Some(file) = file else {
        return error(400, "no file part");
    };
    let n = st.uploads.fetch_add(1, SeqCst) + 1;
    let id = format!("file-in{n}");
    for line in file.lines() {
        st.lines
            .lock()
            .unwrap()
            .push(serde_json::from_str(line).unwrap());
    }
    let bytes = file.len();
    st.files
        .lock()
        .unwrap()
        .insert(id.clone(), file.into_bytes());
    axum::Json(json!({"id": id, "object": "file", "purpose": "batch", "bytes": bytes}))
        .into_response()
}

async fn content(State(st): State<Arc<St>>, Path(id): Path<String>) -> Response {
    match st.files.lock().unwrap().get(&id) {
        Some(bytes) => bytes.clone().into_response(),
        None => error(404, "no such file"),
    }
}

async fn create(State(st): State<Arc<St>>, axum::Json(body): axum::Json<Value>) -> Response {
    if body["endpoint"] != "/v1/chat/completions" || body["completion_window"] != "24h" {
        return error(400, "endpoint or completion_window not supported");
    }
    let input = body["input_file_id"].as_str().unwrap_or("").to_owned();
    let Some(file) = st.files.lock().unwrap().get(&input).cloned() else {
        return error(404, "no such file");
    };
    let mut ids = std::collections::HashSet::new();
    for line in String::from_utf8_lossy(&file).lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        if line["method"] != "POST" || line["url"] != "/v1/chat/completions" {
            return error(400, "a line is not a POST to /v1/chat/completions");
        }
        if !ids.insert(line["custom_id"].as_str().unwrap().to_owned()) {
            return error(400, "duplicate custom_id");
        }
    }
    let n = st.creates.fetch_add(1, SeqCst) + 1;
    let id = format!("batch_{n}");
    let object = json!({
        "id": id, "object": "batch", "endpoint": "/v1/chat/completions",
        "input_file_id": input, "completion_window": "24h", "status": "validating",
        "output_file_id": null, "error_file_id": null, "errors": null,
        "request_counts": {"total": 0, "completed": 0, "failed": 0}
    });
    st.batches.lock().unwrap().insert(
        id.clone(),
        Batch {
            input_file: input,
            polls: 0,
            object: object.clone(),
        },
    );
    axum::Json(object).into_response()
}

async fn poll(State(st): State<Arc<St>>, Path(id): Path<String>) -> Response {
    let end = st.end.lock().unwrap().clone();
    let mut batches = st.batches.lock().unwrap();
    let Some(batch) = batches.get_mut(&id) else {
        return error(404, "no such batch");
    };
    batch.polls += 1;
    let finished =
        ["completed", "expired", "failed"].contains(&batch.object["status"].as_str().unwrap());
    if finished {
        return axum::Json(batch.object.clone()).into_response();
    }
    let input = st.files.lock().unwrap()[&batch.input_file].clone();
    let lines: Vec<Value> = String::from_utf8_lossy(&input)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let total = lines.len() as u64;
    batch.object["request_counts"]["total"] = json!(total);
    if batch.polls < 2 || matches!(end, BatchEnd::Never) {
        batch.object["status"] = json!("in_progress");
        return axum::Json(batch.object.clone()).into_response();
    }
    if let BatchEnd::Failed(errors) = end {
        batch.object["status"] = json!("failed");
        batch.object["errors"] = errors;
        return axum::Json(batch.object.clone()).into_response();
    }
    let (mut output, mut errors) = (String::new(), String::new());
    let (mut completed, mut failed) = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        let custom_id = &line["custom_id"];
        let reply = (st.script)(row_id(&line["body"]));
        let ok = |content: &str| {
            json!({"id": format!("batch_req_{i}"), "custom_id": custom_id,
                   "response": {"status_code": 200, "request_id": format!("req_{i}"),
                                "body": completion(content)},
                   "error": null})
        };
        let out = match reply {
            LineReply::Answer(v) => Ok(ok(&v.to_string())),
            LineReply::Content(text) => Ok(ok(text)),
            LineReply::Error(status) => Err(json!({
                "id": format!("batch_req_{i}"), "custom_id": custom_id,
                "response": {"status_code": status, "request_id": format!("req_{i}"),
                             "body": {"error": {"message": "The server had an error", "type": "server_error"}}},
                "error": null})),
            LineReply::NotRun => Err(json!({
                "id": format!("batch_req_{i}"), "custom_id": custom_id, "response": null,
                "error": {"code": "batch_expired",
                          "message": "This request could not be executed before the completion window expired."}})),
        };
        match out {
            Ok(line) => {
                completed += 1;
                output.push_str(&format!("{line}\n"));
            }
            Err(line) => {
                failed += 1;
                errors.push_str(&format!("{line}\n"));
            }
        }
    }
    let mut files = st.files.lock().unwrap();
    if !output.is_empty() {
        let out_id = format!("file-out-{id}");
        files.insert(out_id.clone(), output.into_bytes());
        batch.object["output_file_id"] = json!(out_id);
    }
    if !errors.is_empty() {
        let err_id = format!("file-err-{id}");
        files.insert(err_id.clone(), errors.into_bytes());
        batch.object["error_file_id"] = json!(err_id);
    }
    batch.object["status"] = json!(match end {
        BatchEnd::Expired => "expired",
        _ => "completed",
    });
    batch.object["request_counts"] =
        json!({"total": total, "completed": completed, "failed": failed});
    axum::Json(batch.object.clone()).into_response()
}

async fn chat(State(st): State<Arc<St>>, axum::Json(body): axum::Json<Value>) -> Response {
    st.chats.fetch_add(1, SeqCst);
    let id = row_id(&body);
    st.asked.lock().unwrap().push(id);
    let answer = json!({"name": format!("person{id}"), "age": id});
    axum::Json(completion(&answer.to_string())).into_response()
}
