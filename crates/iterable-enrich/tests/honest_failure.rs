//! Servers that are not OpenAI, and failures a stage must not pay for row after row:
//! a refused `response_format` recognised by what the body says whatever the status,
//! a schema the server calls invalid, errors no row can survive (credentials, quota,
//! an unknown model), the first rows failing the same way, a failure limit, and the
//! summary of distinct failures.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Call, Reply, Rows, Server, drain, options, person, provider, schema};
use iterable_enrich::{
    EnrichOptions, EnrichProgress, FailureCount, FailureLimit, ResponseMode, StageEvent, enrich,
};
use serde_json::json;

const T: Duration = Duration::from_secs(10);

/// Runs `n` rows through a stage on `server`: the rows (errors as text), the stats,
/// the failure summary and the events.
async fn run(
    server: &Server,
    n: u64,
    opts: EnrichOptions,
) -> (
    Vec<Result<iterable::Row, String>>,
    EnrichProgress,
    Vec<FailureCount>,
    Vec<StageEvent>,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let opts = opts.on_event(Arc::new(move |e: &StageEvent| {
        seen.lock().unwrap().push(e.clone())
    }));
    let stage = enrich(Rows::new(n), provider(server, T), schema(), opts).unwrap();
    let stats = stage.stats();
    let rows = drain(stage).await;
    let events = events.lock().unwrap().clone();
    (rows, stats.snapshot(), stats.failures(), events)
}

fn error_column(row: &Result<iterable::Row, String>) -> String {
    row.as_ref().unwrap()["_enrich_error"].to_string()
}

/// The body a llama.cpp-based server (llama-cpp-python, a pydantic model) answers a
/// `response_format: json_schema` with, under HTTP 500.
const PYDANTIC_500: &str = "1 validation error for ChatCompletionRequest\nresponse_format.type\n  Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema', input_type=str]";

#[tokio::test]
async fn a_json_schema_refused_with_500_moves_to_json_object_once_and_is_not_retried() {
    let server = Server::start(|c: &Call| match c.mode() {
        "json_schema" => Reply::error(500, "server_error", PYDANTIC_500),
        "json_object" => {
            // this server constrains the output by `response_format.schema`
            assert!(c.body["response_format"]["schema"]["properties"]["age"].is_object());
            Reply::answer(person(c.id()))
        }
        other => panic!("unexpected mode {other}"),
    })
    .await;
    let (rows, stats, failures, events) = run(&server, 7, options().concurrency(1)).await;
    assert!(rows.iter().all(|r| error_column(r).is_empty()), "{rows:?}");
    assert_eq!(rows[6].as_ref().unwrap()["name"].as_str(), Some("person6"));
    assert_eq!(
        server.counters.requests(),
        8,
        "one refusal, then one request a row"
    );
    assert_eq!(stats.retries, 0);
    assert_eq!(stats.mode_switches, 1);
    assert_eq!(stats.response_mode, ResponseMode::JsonObject);
    assert!(failures.is_empty());
    assert_eq!(
        events,
        [StageEvent::ModeSwitched {
            from: ResponseMode::JsonSchema,
            to: ResponseMode::JsonObject,
            reason: format!("HTTP 500 (server_error): {PYDANTIC_500}"),
        }]
    );
    assert_eq!(
        events[0].to_string(),
        "the server refused response mode json-schema (HTTP 500 (server_error): 1 validation error for ChatCompletionRequest response_format.type Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema', input_type=str]); using json-object from now on"
    );
}

#[tokio::test]
async fn fastapi_422_bodies_move_on_to_tool_calls() {
    let refuse = |allowed: &str| {
        Reply::json(json!({"detail": [{
            "type": "literal_error", "loc": ["body", "response_format", "type"],
            "msg": format!("Input should be '{allowed}'"), "input": "x"}]}))
    };
    let server = Server::start(move |c: &Call| match c.mode() {
        "tools" => Reply::tool_call(person(c.id())),
        _ => Reply {
            status: 422,
            ..refuse("text")
        },
    })
    .await;
    let (rows, stats, _, events) = run(&server, 3, options().concurrency(1)).await;
    assert!(rows.iter().all(|r| error_column(r).is_empty()), "{rows:?}");
    assert_eq!(
        server.counters.requests(),
        5,
        "two refusals, then a request a row"
    );
    assert_eq!(stats.response_mode, ResponseMode::Tools);
    assert_eq!(stats.mode_switches, 2);
    assert_eq!(events.len(), 2);
    assert!(
        events[0]
            .to_string()
            .contains("body.response_format.type: Input should be 'text' (literal_error)"),
        "{}",
        events[0]
    );
}

#[tokio::test]
async fn a_schema_the_server_calls_invalid_stops_without_a_weaker_mode() {
    let message = "Invalid schema for response_format 'extraction': In context=(), 'additionalProperties' is required to be supplied and to be false";
    let server =
        Server::start(move |_: &Call| Reply::error(400, "invalid_request_error", message)).await;
    let (rows, stats, _, events) = run(&server, 5, options().concurrency(1)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let error = rows[0].as_ref().unwrap_err();
    assert_eq!(
        error,
        &format!(
            "enrichment: stopped: HTTP 400 (invalid_request_error): {message} (the server refuses the schema; fix the schema)"
        )
    );
    assert_eq!(server.counters.requests(), 1);
    assert_eq!(stats.response_mode, ResponseMode::JsonSchema);
    assert_eq!(stats.mode_switches, 0);
    assert!(matches!(events.last(), Some(StageEvent::Stopped { .. })));
}

#[tokio::test]
async fn a_refused_mode_without_fallback_stops_the_stage() {
    let server = Server::start(|_: &Call| Reply::error(500, "server_error", PYDANTIC_500)).await;
    let opts = options()
        .concurrency(1)
        .response_mode(ResponseMode::JsonSchema, false);
    let (rows, _, _, _) = run(&server, 4, opts).await;
    assert_eq!(
        rows.last().unwrap().as_ref().unwrap_err(),
        &format!(
            "enrichment: stopped: the server does not accept response mode json-schema: HTTP 500 (server_error): {PYDANTIC_500} (the server refuses every way of sending the schema)"
        )
    );
    assert_eq!(server.counters.requests(), 1);
}

#[tokio::test]
async fn errors_no_row_survives_stop_at_the_first() {
    for (status, code, message, why) in [
        (
            401,
            "invalid_api_key",
            "Incorrect API key provided",
            "the server refuses the credentials",
        ),
        (
            429,
            "insufficient_quota",
            "You exceeded your current quota",
            "the account's quota is spent",
        ),
        (
            404,
            "model_not_found",
            "The model `gpt-9` does not exist",
            "the model or the endpoint does not exist",
        ),
    ] {
        let server = Server::start(move |_: &Call| Reply::error(status, code, message)).await;
        let (rows, stats, _, _) = run(&server, 6, options().concurrency(1)).await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(
            rows[0].as_ref().unwrap_err(),
            &format!("enrichment: stopped: HTTP {status} ({code}): {message} ({why})")
        );
        assert_eq!(
            server.counters.requests(),
            1,
            "{code}: no retry, no other row"
        );
        assert_eq!(stats.retries, 0);
    }
}

#[tokio::test]
async fn the_first_rows_failing_the_same_way_stop_the_stage() {
    let server = Server::start(|_: &Call| Reply::content("I think the name is Ann", "stop")).await;
    let opts = options().concurrency(1).max_reasks(0).fail_fast(3);
    let (rows, stats, failures, _) = run(&server, 10, opts).await;
    let (ok, err): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.is_ok());
    assert_eq!(err.len(), 1, "one error ends the stage: {rows:?}");
    assert!(
        rows.last()
            .unwrap()
            .as_ref()
            .unwrap_err()
            .starts_with("enrichment: stopped: the first 3 rows all failed the same way: invalid answer after 1 attempt(s): the answer is not valid JSON"),
        "{rows:?}"
    );
    assert!(ok.len() <= 3, "{ok:?}");
    assert!(
        server.counters.requests() <= 4,
        "{}",
        server.counters.requests()
    );
    assert_eq!(stats.rows_failed, 3);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].rows, 3);
}

#[tokio::test]
async fn a_different_failure_or_a_success_first_keeps_the_stage_going() {
    let server = Server::start(|c: &Call| match c.id() {
        0 => Reply::answer(person(0)),
        id => Reply::error(400, "invalid_request_error", "bad row")
            .after(Duration::from_millis(20 * id)),
    })
    .await;
    let (rows, stats, failures, _) = run(&server, 8, options().fail_fast(3)).await;
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(Result::is_ok));
    assert_eq!(stats.rows_failed, 7);
    assert_eq!(
        failures,
        [FailureCount {
            error: "HTTP 400 (invalid_request_error): bad row".into(),
            rows: 7
        }]
    );
}

#[tokio::test]
async fn more_failures_than_the_limit_stop_the_stage() {
    let server = Server::start(|c: &Call| {
        if c.id().is_multiple_of(2) {
            Reply::error(400, "invalid_request_error", &format!("bad row {}", c.id()))
        } else {
            Reply::answer(person(c.id()))
        }
    })
    .await;
    let opts = options().concurrency(1).max_failures(FailureLimit::Rows(2));
    let (rows, stats, failures, _) = run(&server, 20, opts).await;
    assert_eq!(
        rows.last().unwrap().as_ref().unwrap_err(),
        "enrichment: stopped: 3 of 5 finished rows failed, more than the limit of 2 row(s)"
    );
    assert_eq!(stats.rows_failed, 3);
    assert_eq!(failures.len(), 3, "three distinct messages");
    let asked: Vec<u64> = server.counters.calls().iter().map(Call::id).collect();
    assert!(
        asked.iter().all(|id| *id <= 5),
        "no row after the stop is sent: {asked:?}"
    );
}

#[tokio::test]
async fn a_share_of_failures_is_judged_at_the_end_of_a_short_input() {
    let server = Server::start(|c: &Call| match c.id() {
        0 => Reply::error(400, "invalid_request_error", "bad row"),
        id => Reply::answer(person(id)),
    })
    .await;
    let (rows, _, _, _) = run(
        &server,
        4,
        options().max_failures(FailureLimit::Percent(10.0)),
    )
    .await;
    assert_eq!(rows.len(), 5, "four rows, then the error: {rows:?}");
    assert_eq!(
        rows[4].as_ref().unwrap_err(),
        "enrichment: stopped: 1 of 4 finished rows failed, more than the limit of 10% of the rows"
    );
}

#[tokio::test]
async fn the_failure_summary_counts_each_kind_most_first() {
    let server = Server::start(|c: &Call| match c.id() {
        1 | 3 => Reply::error(400, "invalid_request_error", "messages: too long"),
        5 => Reply::refusal("no"),
        id => Reply::answer(person(id)),
    })
    .await;
    let (rows, _, failures, _) = run(&server, 7, options()).await;
    assert_eq!(rows.len(), 7);
    assert_eq!(
        failures,
        [
            FailureCount {
                error: "HTTP 400 (invalid_request_error): messages: too long".into(),
                rows: 2
            },
            FailureCount {
                error: "the model refused: no".into(),
                rows: 1
            },
        ]
    );
}
