//! The Anthropic Messages provider against a loopback server speaking that protocol:
//! headers, the forced tool, answers, `max_tokens`, refusals, and its errors (429 with
//! `retry-after`, 529 overloaded, 401) as Anthropic sends them.

use crate::common;

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::{Rows, drain, options, schema};
use iterable_enrich::{AnthropicConfig, AnthropicProvider, Provider, enrich};
use serde_json::{Value, json};

/// What the script sees of a request: the body, the headers, and the attempt of this
/// prompt (1 for the first).
type Script = dyn Fn(&Value, &HeaderMap, u64) -> Response + Send + Sync;

struct Messages {
    base_url: String,
    requests: Arc<AtomicU64>,
    _task: tokio::task::JoinHandle<()>,
}

async fn messages_server(
    script: impl Fn(&Value, &HeaderMap, u64) -> Response + Send + Sync + 'static,
) -> Messages {
    let script: Arc<Script> = Arc::new(script);
    let requests = Arc::new(AtomicU64::new(0));
    let attempts = Arc::new(Mutex::new(std::collections::HashMap::<String, u64>::new()));
    let counted = requests.clone();
    let app = Router::new().route(
        "/v1/messages",
        post(
            move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                let script = script.clone();
                let attempts = attempts.clone();
                counted.fetch_add(1, SeqCst);
                async move {
                    let prompt = body["messages"][0]["content"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned();
                    let attempt = {
                        let mut a = attempts.lock().unwrap();
                        let n = a.entry(prompt).or_insert(0);
                        *n += 1;
                        *n
                    };
                    script(&body, &headers, attempt)
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Messages {
        base_url: format!("http://{addr}"),
        requests,
        _task: task,
    }
}

fn provider(server: &Messages) -> Arc<dyn Provider> {
    let mut config = AnthropicConfig::new("claude-test");
    config.base_url = server.base_url.clone();
    config.api_key = Some("sk-ant-test".into());
    config.timeout = Duration::from_secs(10);
    Arc::new(AnthropicProvider::new(config).unwrap())
}

/// The `id=N` in the prompt.
fn id_of(body: &Value) -> u64 {
    let prompt = body["messages"][0]["content"].as_str().unwrap_or("");
    prompt
        .split("id=")
        .nth(1)
        .unwrap_or("")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0)
}

fn tool_answer(input: Value) -> Response {
    axum::Json(json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "extraction", "input": input}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 30, "output_tokens": 9}
    }))
    .into_response()
}

fn error(status: u16, kind: &str, message: &str) -> Response {
    let body = json!({"type": "error", "error": {"type": kind, "message": message}});
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

#[tokio::test]
async fn rows_are_enriched_through_a_forced_tool() {
    let server = messages_server(|body, headers, _| {
        assert_eq!(headers["x-api-key"], "sk-ant-test");
        assert_eq!(headers["anthropic-version"], "2023-06-01");
        assert_eq!(body["model"], "claude-test");
        assert_eq!(body["max_tokens"], 1024);
        assert!(body["system"].as_str().unwrap().starts_with("You extract"));
        assert_eq!(
            body["tool_choice"],
            json!({"type": "tool", "name": "extraction"})
        );
        assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
        let id = id_of(body);
        tool_answer(json!({"name": format!("person{id}"), "age": id}))
    })
    .await;
    let stage = enrich(Rows::new(5), provider(&server), schema(), options()).unwrap();
    let stats = stage.stats();
    let rows = drain(stage).await;
    for (i, row) in rows.iter().enumerate() {
        let row = row.as_ref().unwrap();
        assert_eq!(row["name"].as_str(), Some(format!("person{i}").as_str()));
        assert_eq!(row["age"].as_i64(), Some(i as i64));
        assert!(row["_enrich_error"].is_null());
    }
    let p = stats.snapshot();
    assert_eq!((p.rows_done, p.requests), (5, 5));
    assert_eq!(
        (p.usage.prompt_tokens, p.usage.completion_tokens),
        (150, 45)
    );
}

#[tokio::test]
async fn rate_limits_and_overload_are_retried_as_anthropic_sends_them() {
    let server = messages_server(|body, _, attempt| match (id_of(body), attempt) {
        (0, 1) => {
            let mut r = error(
                429,
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit",
            );
            r.headers_mut().insert("retry-after", "0".parse().unwrap());
            r
        }
        (1, 1) => error(529, "overloaded_error", "Overloaded"),
        (id, _) => tool_answer(json!({"name": "x", "age": id})),
    })
    .await;
    let mut opts = options();
    opts.retry.base_delay = Duration::from_millis(5);
    let stage = enrich(Rows::new(3), provider(&server), schema(), opts).unwrap();
    let stats = stage.stats();
    let rows = drain(stage).await;
    assert!(
        rows.iter()
            .all(|r| r.as_ref().unwrap()["_enrich_error"].is_null()),
        "{rows:?}"
    );
    assert_eq!(server.requests.load(SeqCst), 5);
    assert_eq!(stats.snapshot().retries, 2);
}

#[tokio::test]
async fn a_refused_key_stops_the_stage() {
    let server =
        messages_server(|_, _, _| error(401, "authentication_error", "invalid x-api-key")).await;
    let stage = enrich(
        Rows::new(4),
        provider(&server),
        schema(),
        options().concurrency(1),
    )
    .unwrap();
    let rows = drain(stage).await;
    assert_eq!(
        rows.last().unwrap().as_ref().unwrap_err(),
        "enrichment: stopped: HTTP 401 (authentication_error): invalid x-api-key (the server refuses the credentials)"
    );
    assert_eq!(server.requests.load(SeqCst), 1);
}

#[tokio::test]
async fn max_tokens_and_refusals_fail_the_row_clearly() {
    let server = messages_server(|body, _, _| match id_of(body) {
        0 => axum::Json(
            json!({"content": [{"type": "text", "text": "{\"name\": \"An"}],
            "stop_reason": "max_tokens", "usage": {"input_tokens": 3, "output_tokens": 1024}}),
        )
        .into_response(),
        _ => axum::Json(json!({"content": [], "stop_reason": "refusal",
            "usage": {"input_tokens": 3, "output_tokens": 0}}))
        .into_response(),
    })
    .await;
    let stage = enrich(Rows::new(2), provider(&server), schema(), options()).unwrap();
    let rows = drain(stage).await;
    let error = |i: usize| rows[i].as_ref().unwrap()["_enrich_error"].to_string();
    assert_eq!(
        error(0),
        "the answer was cut at the token limit (finish_reason: length); raise max_tokens"
    );
    assert_eq!(error(1), "the model refused: the model declined to answer");
}
