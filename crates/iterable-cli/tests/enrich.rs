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
    let answer = if format["name"] == "schema_plan" {
        json!({"name": "person", "fields": [
            {"name": "name", "type": "string", "description": "the name"}]})
    } else {
        let prompt = body["messages"][1]["content"].as_str().unwrap_or("");
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
        let planned = format["schema"]["properties"].get("age").is_none();
        if planned {
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
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/v1/chat/completions", post(chat));
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (rt, addr)
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
    let out = iterable(&[
        "enrich",
        &input,
        output.to_str().unwrap(),
        "--fields",
        "name:string,age:integer",
        "--prompt",
        "{bio}",
        "--model",
        "m",
        "--base-url",
        &base_url,
        "--concurrency",
        "2",
        "--failures",
        failures.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
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
    assert!(stderr.contains("1 row(s) failed; see "), "{stderr}");
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
    assert!(out.status.success(), "{stderr}");
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
    assert!(out.status.success(), "{stderr}");
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
