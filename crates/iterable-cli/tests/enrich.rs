//! `iterable enrich` as a user runs it, against a chat-completions server on 127.0.0.1.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// Serves: a plan for planning requests; `{"name", "age"}` from the prompt's
/// `name=<n> age=<a>`; a 400 for a prompt that says `fail`.
async fn chat(axum::Json(body): axum::Json<Value>) -> Response {
    let format = &body["response_format"]["json_schema"];
    let schema = match body["response_format"].get("schema") {
        Some(schema) => schema,
        None => &format["schema"],
    };
    let answer = if format["name"] == "schema_plan" {
        json!({"name": "person", "fields": [
            {"name": "name", "type": "string", "description": "the name"}]})
    } else {
        let prompt = body["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["role"] == "user"))
            .and_then(|m| m["content"].as_str())
            .unwrap_or("");
        if prompt.contains("fail") {
            let error = json!({"error": {"message": "cannot do", "type": "invalid_request_error"}});
            return (StatusCode::BAD_REQUEST, axum::Json(error)).into_response();
        }
        let word = |key: &str| {
            prompt
                .split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .unwrap_or("")
                .to_owned()
        };
        let planned = schema["properties"].get("age").is_none();
        if schema["properties"].get("items").is_some() {
            // A list: everyone the prompt names.
            let people: Vec<Value> = prompt
                .split_whitespace()
                .filter_map(|w| w.strip_prefix("name="))
                .map(|name| json!({"name": name, "age": word(&format!("age-{name}=")).parse::<i64>().unwrap_or(0)}))
                .collect();
            json!({ "items": people })
        } else if planned {
            json!({"name": word("name=")})
        } else {
            json!({"name": word("name="), "age": word("age=").parse::<i64>().unwrap_or(0)})
        }
    };
    axum::Json(json!({
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": answer.to_string()}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5}
    }))
    .into_response()
}

fn server() -> (tokio::runtime::Runtime, SocketAddr) {
    serve(Router::new().route("/v1/chat/completions", post(chat)))
}

fn serve(app: Router) -> (tokio::runtime::Runtime, SocketAddr) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (rt, addr)
}

/// Like a llama.cpp-based server: `response_format: json_schema` is refused with
/// HTTP 500 and a pydantic validation error; `json_object` is answered.
async fn llama_like(body: axum::Json<Value>) -> Response {
    if body["response_format"]["type"] == "json_schema" {
        let message = "1 validation error for ChatCompletionRequest\nresponse_format.type\n  Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema', input_type=str]";
        let error =
            json!({"error": {"code": 500, "message": message, "type": "InternalServerError"}});
        return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(error)).into_response();
    }
    chat(body).await
}

fn iterable(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iterable"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn write_input(dir: &Path) -> String {
    let input = dir.join("people.csv");
    std::fs::write(
        &input,
        "id,bio\n1,name=Ann age=31\n2,name=Bob age=42 fail\n3,name=Cy age=7\n",
    )
    .unwrap();
    input.to_string_lossy().into_owned()
}

#[test]
fn enrich_with_fields_writes_rows_and_failures() {
    let (_rt, addr) = server();
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path());
    let output = dir.path().join("out.jsonl");
    let failures = dir.path().join("failed.jsonl");
    let base_url = format!("http://{addr}/v1");
    let mut args = enrich_args(&input, output.to_str().unwrap(), &base_url);
    args.extend(["--failures", failures.to_str().unwrap()]);
    let out = iterable(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "some rows failed: {stderr}");
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "{\"id\":\"1\",\"bio\":\"name=Ann age=31\",\"name\":\"Ann\",\"age\":31}\n\
         {\"id\":\"3\",\"bio\":\"name=Cy age=7\",\"name\":\"Cy\",\"age\":7}\n"
    );
    assert_eq!(
        std::fs::read_to_string(&failures).unwrap(),
        "{\"id\":\"2\",\"bio\":\"name=Bob age=42 fail\",\"_enrich_error\":\"HTTP 400 (invalid_request_error): cannot do\"}\n"
    );
    assert!(
        stderr.contains("iterable: enrich: 2 done, 0 in flight, 1 failed; 3 requests (0 retried, 0 re-asked, 0 cached); 30 tokens (20 prompt + 10 completion)"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(&format!(
            "iterable: enrich: 1 of 3 row(s) failed; see {}:\n  1 × HTTP 400 (invalid_request_error): cannot do\n",
            failures.display()
        )),
        "{stderr}"
    );
}

#[test]
fn enrich_with_a_query_plans_saves_and_reuses_the_schema() {
    let (_rt, addr) = server();
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path());
    let output = dir.path().join("out.csv");
    let saved = dir.path().join("schema.json");
    let base_url = format!("http://{addr}/v1");
    let out = iterable(&[
        "enrich",
        &input,
        output.to_str().unwrap(),
        "--query",
        "who is it?",
        "--save-schema",
        saved.to_str().unwrap(),
        "--prompt",
        "{bio}",
        "--model",
        "m",
        "--base-url",
        &base_url,
        "--nested",
        "who",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "row 2 failed: {stderr}");
    assert!(
        stderr.contains("planned fields name (15 tokens)"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "id,bio,_enrich_error,who\n\
         1,name=Ann age=31,,\"{\"\"name\"\":\"\"Ann\"\"}\"\n\
         2,name=Bob age=42 fail,HTTP 400 (invalid_request_error): cannot do,\n\
         3,name=Cy age=7,,\"{\"\"name\"\":\"\"Cy\"\"}\"\n"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(schema["name"], "person");
    assert_eq!(schema["description"], "who is it?");
    assert_eq!(schema["properties"], json!(["name"]));

    // the saved schema is used as it is: no planning call this time
    let again = dir.path().join("again.jsonl");
    let out = iterable(&[
        "enrich",
        &input,
        again.to_str().unwrap(),
        "--schema",
        saved.to_str().unwrap(),
        "--prompt",
        "{bio}",
        "--model",
        "m",
        "--base-url",
        &base_url,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "row 2 failed: {stderr}");
    assert!(!stderr.contains("planned"), "{stderr}");
    let first = std::fs::read_to_string(&again).unwrap();
    assert!(
        first.starts_with(
            "{\"id\":\"1\",\"bio\":\"name=Ann age=31\",\"_enrich_error\":null,\"name\":\"Ann\"}\n"
        ),
        "{first}"
    );
}

#[test]
fn enrich_says_what_is_missing() {
    let out = iterable(&["enrich", "a.csv", "b.jsonl", "--model", "m"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("say what to extract: --fields, --query or --schema"),
        "{stderr}"
    );
    let out = iterable(&[
        "enrich",
        "a.csv",
        "b.jsonl",
        "--model",
        "m",
        "--fields",
        "age:colour",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown type \"colour\""), "{stderr}");
}

fn enrich_args<'a>(input: &'a str, output: &'a str, base_url: &'a str) -> Vec<&'a str> {
    vec![
        "enrich",
        input,
        output,
        "--fields",
        "name:string,age:integer",
        "--prompt",
        "{bio}",
        "--model",
        "m",
        "--base-url",
        base_url,
        "--concurrency",
        "1",
    ]
}

#[test]
fn a_server_that_refuses_json_schema_with_500_is_used_through_json_object() {
    let (_rt, addr) = serve(Router::new().route("/v1/chat/completions", post(llama_like)));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.csv");
    std::fs::write(&input, "id,bio\n1,name=Ann age=31\n2,name=Bob age=42\n").unwrap();
    let output = dir.path().join("out.jsonl");
    let base_url = format!("http://{addr}/v1");
    let out = iterable(&enrich_args(
        input.to_str().unwrap(),
        output.to_str().unwrap(),
        &base_url,
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("iterable: enrich: the server refused response mode json-schema (HTTP 500 (InternalServerError): 1 validation error for ChatCompletionRequest response_format.type Input should be 'text' or 'json_object'"),
        "{stderr}"
    );
    assert!(stderr.contains("using json-object from now on"), "{stderr}");
    assert!(
        stderr.contains("2 done, 0 in flight, 0 failed; 3 requests (0 retried"),
        "one refusal, then a request a row: {stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "{\"id\":\"1\",\"bio\":\"name=Ann age=31\",\"_enrich_error\":null,\"name\":\"Ann\",\"age\":31}\n\
         {\"id\":\"2\",\"bio\":\"name=Bob age=42\",\"_enrich_error\":null,\"name\":\"Bob\",\"age\":42}\n"
    );
}

#[test]
fn a_refused_key_stops_at_the_first_request_and_publishes_nothing() {
    async fn unauthorized() -> Response {
        let error = json!({"error": {"message": "Incorrect API key provided: sk-...xyz", "type": "invalid_request_error", "code": "invalid_api_key"}});
        (StatusCode::UNAUTHORIZED, axum::Json(error)).into_response()
    }
    let (_rt, addr) = serve(Router::new().route("/v1/chat/completions", post(unauthorized)));
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path());
    let output = dir.path().join("out.jsonl");
    let base_url = format!("http://{addr}/v1");
    let out = iterable(&enrich_args(&input, output.to_str().unwrap(), &base_url));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("iterable: enrichment: stopped: HTTP 401 (invalid_api_key): Incorrect API key provided: sk-...xyz (the server refuses the credentials)"),
        "{stderr}"
    );
    assert!(!output.exists(), "no output is published");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "only the input: {left:?}");
}

#[test]
fn max_failures_stops_the_run() {
    let (_rt, addr) = server();
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path());
    let output = dir.path().join("out.jsonl");
    let base_url = format!("http://{addr}/v1");
    let mut args = enrich_args(&input, output.to_str().unwrap(), &base_url);
    args.extend(["--max-failures", "0"]);
    let out = iterable(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("iterable: enrichment: stopped: 1 of ")
            && stderr.contains(" finished rows failed, more than the limit of 0 row(s)"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("stopped").count(), 1, "said once: {stderr}");
    assert!(!output.exists());
    let mut args = enrich_args(&input, output.to_str().unwrap(), &base_url);
    args.extend(["--max-failures", "lots"]);
    let out = iterable(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("\"lots\" is not a failure limit: a row count (10) or a percentage (5%)"),
    );
}

#[test]
fn the_anthropic_protocol_is_one_flag_away() {
    async fn messages(headers: axum::http::HeaderMap, body: axum::Json<Value>) -> Response {
        assert_eq!(headers["x-api-key"], "sk-ant-cli");
        let prompt = body["messages"][0]["content"].as_str().unwrap_or("");
        let name = prompt
            .split_whitespace()
            .find_map(|w| w.strip_prefix("name="))
            .unwrap_or("");
        axum::Json(json!({
            "content": [{"type": "tool_use", "id": "t", "name": "extraction",
                         "input": {"name": name, "age": 1}}],
            "stop_reason": "tool_use", "usage": {"input_tokens": 4, "output_tokens": 2}
        }))
        .into_response()
    }
    let (_rt, addr) = serve(Router::new().route("/v1/messages", post(messages)));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.csv");
    std::fs::write(&input, "id,bio\n1,name=Ann\n").unwrap();
    let output = dir.path().join("out.jsonl");
    let base_url = format!("http://{addr}");
    let mut args = enrich_args(input.to_str().unwrap(), output.to_str().unwrap(), &base_url);
    args.extend([
        "--provider",
        "anthropic",
        "--api-key-env",
        "TEST_ANTHROPIC_KEY",
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_iterable"))
        .args(&args)
        .env("TEST_ANTHROPIC_KEY", "sk-ant-cli")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "{\"id\":\"1\",\"bio\":\"name=Ann\",\"_enrich_error\":null,\"name\":\"Ann\",\"age\":1}\n"
    );
}

#[test]
fn a_dry_run_shows_prompts_and_the_cost_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path());
    let output = dir.path().join("out.jsonl");
    // nothing listens on port 9: a request would fail the run
    let mut args = enrich_args(&input, output.to_str().unwrap(), "http://127.0.0.1:9/v1");
    args.extend(["--dry-run", "2", "--max-tokens", "50"]);
    let out = iterable(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("system:\nYou extract structured data"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nprompt 1:\nname=Ann age=31\n\nprompt 2:\nname=Bob age=42 fail\n\n3 rows: 3 requests at least, about "),
        "{stdout}"
    );
    assert!(stdout.contains(" + 150 completion tokens = "), "{stdout}");
    assert!(!stdout.contains("prompt 3:"), "{stdout}");
    assert!(!output.exists(), "a dry run writes no output");
}

#[test]
fn verbose_prints_a_line_for_each_request() {
    let (_rt, addr) = server();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.csv");
    std::fs::write(&input, "id,bio\n1,name=Ann age=31\n").unwrap();
    let output = dir.path().join("out.jsonl");
    let base_url = format!("http://{addr}/v1");
    let mut args = enrich_args(input.to_str().unwrap(), output.to_str().unwrap(), &base_url);
    args.push("-v");
    let out = iterable(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains("enrich_request{"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        line.contains("enrich_request{provider=\"openai\" mode=\"json-schema\" retry=0"),
        "{line}"
    );
    assert!(
        line.contains("answered prompt_tokens=10 completion_tokens=5 latency_ms="),
        "{line}"
    );
    assert_eq!(stderr.matches("enrich_request{").count(), 1, "{stderr}");
}

#[test]
fn a_rerun_with_the_cache_pays_only_for_unfinished_rows_and_retry_failed_asks_the_failed() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
    static FIXED: AtomicBool = AtomicBool::new(false);
    static REQUESTS: AtomicU64 = AtomicU64::new(0);
    // The usual server, which stops refusing the `fail` row once fixed.
    async fn fixable(axum::Json(mut body): axum::Json<Value>) -> Response {
        REQUESTS.fetch_add(1, SeqCst);
        if FIXED.load(SeqCst) {
            for m in body["messages"].as_array_mut().unwrap() {
                let text = m["content"].as_str().unwrap_or("").replace("fail", "");
                m["content"] = Value::String(text);
            }
        }
        chat(axum::Json(body)).await
    }
    let (_rt, addr) = serve(Router::new().route("/v1/chat/completions", post(fixable)));
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path());
    let output = dir.path().join("out.jsonl");
    let cache = dir.path().join("cache");
    let base_url = format!("http://{addr}/v1");
    let mut args = enrich_args(&input, output.to_str().unwrap(), &base_url);
    args.extend(["--cache", cache.to_str().unwrap()]);

    let first = iterable(&args);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("those whose answer failed (invalid, refused, cut) are kept in the cache and asked again with --retry-failed"),
        "{stderr}"
    );
    assert_eq!(REQUESTS.load(SeqCst), 3);

    FIXED.store(true, SeqCst);
    let second = iterable(&args);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(
            "2 done, 0 in flight, 1 failed; 0 requests (0 retried, 0 re-asked, 2 cached)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "1 of them failed in an earlier run and were not asked again: add --retry-failed to ask them"
        ),
        "{stderr}"
    );
    assert_eq!(REQUESTS.load(SeqCst), 3, "the re-run paid nothing");

    args.push("--retry-failed");
    let third = iterable(&args);
    let stderr = String::from_utf8_lossy(&third.stderr);
    assert_eq!(third.status.code(), Some(0), "{stderr}");
    assert_eq!(REQUESTS.load(SeqCst), 4, "only the failed row was asked");
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(
        text.contains(
            "{\"id\":\"2\",\"bio\":\"name=Bob age=42 fail\",\"_enrich_error\":null,\"name\":\"Bob\",\"age\":42}"
        ),
        "{text}"
    );
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn retry_failed_needs_a_cache() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path());
    let output = dir.path().join("out.jsonl");
    let mut args = enrich_args(&input, output.to_str().unwrap(), "http://127.0.0.1:9/v1");
    args.push("--retry-failed");
    let out = iterable(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--cache"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[path = "../../iterable-enrich/tests/batch_server/mod.rs"]
mod batch_server;

#[test]
fn batch_sends_the_rows_through_the_batch_api_and_asks_the_expired_ones_after() {
    use batch_server::{BatchEnd, BatchServer, LineReply};
    use std::sync::atomic::Ordering::SeqCst;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(BatchServer::start(BatchEnd::Expired, |id| {
        if id == 3 {
            LineReply::NotRun
        } else {
            LineReply::Answer(json!({"name": format!("p{id}"), "age": id}))
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "id,text\n1,a\n2,b\n3,c\n").unwrap();
    let output = dir.path().join("out.jsonl");
    let cache = dir.path().join("cache");
    let base_url = server.base_url();
    let args = [
        "enrich",
        input.to_str().unwrap(),
        output.to_str().unwrap(),
        "--fields",
        "name:string,age:integer",
        "--prompt",
        "id={id} text={text}",
        "--model",
        "m",
        "--base-url",
        &base_url,
        "--cache",
        cache.to_str().unwrap(),
        "--batch",
        "--batch-poll",
        "0.01",
        "--batch-max-requests",
        "2",
    ];
    let out = iterable(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("iterable: enrich: batch batch_1 submitted: 2 requests"),
        "{stderr}"
    );
    assert!(
        stderr.contains("iterable: enrich: batch batch_2 expired: 0 answers kept, 1 rows to ask again one by one (errors: 1 batch_expired)"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "{\"id\":\"1\",\"text\":\"a\",\"_enrich_error\":null,\"name\":\"p1\",\"age\":1}\n\
         {\"id\":\"2\",\"text\":\"b\",\"_enrich_error\":null,\"name\":\"p2\",\"age\":2}\n\
         {\"id\":\"3\",\"text\":\"c\",\"_enrich_error\":null,\"name\":\"person3\",\"age\":3}\n"
    );
    assert_eq!(
        server.state.chats.load(SeqCst),
        1,
        "the expired row, one by one"
    );

    // --resume needs --batch, --batch needs --cache, and the OpenAI protocol.
    let mut bad = args.to_vec();
    bad.retain(|a| *a != "--batch");
    bad.truncate(bad.len() - 4);
    bad.push("--resume");
    assert_eq!(iterable(&bad).status.code(), Some(2));
    let mut anthropic = args.to_vec();
    anthropic.extend(["--provider", "anthropic"]);
    let out = iterable(&anthropic);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--batch speaks the OpenAI Batch API"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn documents_are_enriched_a_row_a_document_from_a_glob() {
    let (_rt, addr) = server();
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    std::fs::write(reports.join("b.md"), "# Bob\n\nname=Bob age=42\n").unwrap();
    std::fs::write(
        reports.join("a.html"),
        "<title>Ann</title><p>name=Ann</p><p>age=31</p>",
    )
    .unwrap();
    let pattern = format!("{}/*", reports.display());
    let output = dir.path().join("out.jsonl");
    let base_url = format!("http://{addr}/v1");
    let mut args = enrich_args(&pattern, output.to_str().unwrap(), &base_url);
    let prompt = args.iter().position(|a| *a == "{bio}").unwrap();
    args[prompt] = "{text}";
    let out = iterable(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows: Vec<Value> = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r["title"].clone(), r["name"].clone(), r["age"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            (json!("Ann"), json!("Ann"), json!(31)),
            (json!("Bob"), json!("Bob"), json!(42)),
        ]
    );
    assert!(rows[1]["location"].as_str().unwrap().ends_with("b.md"));
}

#[test]
fn a_long_document_is_enriched_in_pieces_and_the_lists_joined() {
    let (_rt, addr) = server();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("minutes.txt");
    std::fs::write(
        &input,
        "Present: name=Ann age-Ann=31 from Lyon.\n\nLater: name=Bob age-Bob=42 joined.\n\nAgain name=Ann age-Ann=31 spoke.\n",
    )
    .unwrap();
    let output = dir.path().join("out.jsonl");
    let base_url = format!("http://{addr}/v1");
    let mut args = enrich_args(input.to_str().unwrap(), output.to_str().unwrap(), &base_url);
    let prompt = args.iter().position(|a| *a == "{bio}").unwrap();
    args[prompt] = "{text}";
    args.extend([
        "--whole",
        "--many",
        "list",
        "--nested",
        "people",
        "--chunk-tokens",
        "12",
    ]);
    let out = iterable(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows: Vec<Value> = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0]["people"],
        json!([{"name": "Ann", "age": 31}, {"name": "Bob", "age": 42}]),
        "three pieces, Ann once"
    );
    assert!(stderr.contains("3 requests"), "{stderr}");

    // --chunk-column needs --chunk-tokens.
    let mut bad = enrich_args(input.to_str().unwrap(), output.to_str().unwrap(), &base_url);
    bad.extend(["--chunk-column", "body"]);
    assert_eq!(iterable(&bad).status.code(), Some(2));
}
