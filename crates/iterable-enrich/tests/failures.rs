//! Failures against a real server: every retry header, retried and final statuses,
//! timeouts, dropped connections, invalid and incomplete answers, `length`, refusals,
//! and where a row that still fails ends up (never dropped).

use crate::common;

use std::time::{Duration, Instant, SystemTime};

use common::{
    Call, Reply, Rows, Server, drain, error_of, ids, options, person, provider, run_rows, schema,
};
use iterable::{AsyncIterable, IterableOptions, Value, aopen_iterable};
use iterable_enrich::{RetryPolicy, enrich};

const T: Duration = Duration::from_secs(10);

/// One 429 with `headers`, then the answer: returns how long the stage took.
async fn rate_limited_once(headers: Vec<(&'static str, String)>) -> Duration {
    let server = Server::start(move |c: &Call| {
        if c.attempt == 1 {
            let mut r = Reply::error(429, "rate_limit_exceeded", "slow down");
            r.headers = headers.clone();
            r
        } else {
            Reply::answer(person(c.id()))
        }
    })
    .await;
    let start = Instant::now();
    let (rows, stats) = run_rows(&server, 1, options()).await;
    let took = start.elapsed();
    assert_eq!(error_of(&rows[0]), "");
    assert_eq!(rows[0].as_ref().unwrap()["name"].as_str(), Some("person0"));
    assert_eq!(server.counters.requests(), 2);
    assert_eq!(stats.retries, 1);
    took
}

#[tokio::test]
async fn a_429_waits_as_retry_after_seconds_says() {
    let took = rate_limited_once(vec![("retry-after", "1".into())]).await;
    assert!(took >= Duration::from_millis(900), "{took:?}");
}

#[tokio::test]
async fn a_429_waits_as_a_fractional_retry_after_says() {
    let took = rate_limited_once(vec![("retry-after", "0.4".into())]).await;
    assert!(took >= Duration::from_millis(350), "{took:?}");
}

#[tokio::test]
async fn a_429_waits_until_the_retry_after_date() {
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let took = rate_limited_once(vec![("retry-after", at)]).await;
    // the date has whole seconds: the wait is between one and two seconds
    assert!(took >= Duration::from_millis(800), "{took:?}");
}

#[tokio::test]
async fn retry_after_ms_wins_over_retry_after() {
    let took = rate_limited_once(vec![
        ("retry-after-ms", "300".into()),
        ("retry-after", "60".into()),
    ])
    .await;
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(
        took < Duration::from_secs(30),
        "waited the seconds header: {took:?}"
    );
}

#[tokio::test]
async fn x_should_retry_overrides_the_status() {
    // false on a 503: not retried; true on a 400: retried.
    let server = Server::start(|c: &Call| match (c.id(), c.attempt) {
        (0, _) => Reply::error(503, "overloaded", "busy").header("x-should-retry", "false"),
        (1, 1) => Reply::error(400, "bad", "try again").header("x-should-retry", "true"),
        _ => Reply::answer(person(c.id())),
    })
    .await;
    let (rows, stats) = run_rows(&server, 2, options().concurrency(1)).await;
    assert_eq!(error_of(&rows[0]), "HTTP 503 (overloaded): busy");
    assert_eq!(error_of(&rows[1]), "");
    assert_eq!(server.counters.requests(), 3);
    assert_eq!(stats.retries, 1);
}

#[tokio::test]
async fn server_errors_timeouts_and_conflicts_are_retried() {
    let statuses = [500u16, 502, 503, 504, 408, 409, 429];
    let server = Server::start(move |c: &Call| {
        if c.attempt == 1 {
            Reply::error(statuses[c.id() as usize], "server_error", "oops")
        } else {
            Reply::answer(person(c.id()))
        }
    })
    .await;
    let (rows, stats) = run_rows(&server, statuses.len() as u64, options()).await;
    assert!(rows.iter().all(|r| error_of(r).is_empty()), "{rows:?}");
    assert_eq!(server.counters.requests(), 2 * statuses.len() as u64);
    assert_eq!(stats.retries, statuses.len() as u64);
    assert_eq!(stats.rows_done, statuses.len() as u64);
}

#[tokio::test]
async fn client_errors_are_not_retried_and_fail_only_their_row() {
    let server = Server::start(|c: &Call| match c.id() {
        1 => Reply::error(400, "invalid_request_error", "messages: too long"),
        2 => Reply::error(422, "unprocessable", "bad row"),
        id => Reply::answer(person(id)),
    })
    .await;
    let (rows, stats) = run_rows(&server, 4, options()).await;
    assert_eq!(ids(&rows), [0, 1, 2, 3]);
    assert_eq!(error_of(&rows[0]), "");
    assert_eq!(
        error_of(&rows[1]),
        "HTTP 400 (invalid_request_error): messages: too long"
    );
    assert_eq!(error_of(&rows[2]), "HTTP 422 (unprocessable): bad row");
    assert_eq!(rows[1].as_ref().unwrap()["name"], Value::Null);
    assert_eq!(server.counters.requests(), 4);
    assert_eq!((stats.retries, stats.rows_failed), (0, 2));
}

#[tokio::test]
async fn retries_stop_at_the_limit() {
    let server = Server::start(|_: &Call| Reply::raw(503, "upstream unavailable")).await;
    let (rows, stats) = run_rows(&server, 1, options()).await;
    assert_eq!(error_of(&rows[0]), "HTTP 503: upstream unavailable");
    assert_eq!(server.counters.requests(), 4, "first try and 3 retries");
    assert_eq!(stats.retries, 3);
}

#[tokio::test]
async fn a_timed_out_request_is_retried() {
    let server = Server::start(|c: &Call| {
        let delay = if c.attempt == 1 { 5000 } else { 0 };
        Reply::answer(person(c.id())).after(Duration::from_millis(delay))
    })
    .await;
    let stage = enrich(
        Rows::new(1),
        provider(&server, Duration::from_millis(300)),
        schema(),
        options(),
    )
    .unwrap();
    let rows = drain(stage).await;
    assert_eq!(error_of(&rows[0]), "");
    assert_eq!(server.counters.requests(), 2);
}

#[tokio::test]
async fn a_request_that_always_times_out_fails_clearly() {
    let server =
        Server::start(|c: &Call| Reply::answer(person(c.id())).after(Duration::from_secs(5))).await;
    let opts = options().retry(RetryPolicy {
        max_retries: 1,
        base_delay: Duration::from_millis(10),
        ..Default::default()
    });
    let stage = enrich(
        Rows::new(1),
        provider(&server, Duration::from_millis(200)),
        schema(),
        opts,
    )
    .unwrap();
    let rows = drain(stage).await;
    assert_eq!(error_of(&rows[0]), "request timed out after 200ms");
    assert_eq!(server.counters.requests(), 2);
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let server = Server::start(|c: &Call| {
        if c.attempt == 1 {
            Reply::dropped()
        } else {
            Reply::answer(person(c.id()))
        }
    })
    .await;
    let (rows, stats) = run_rows(&server, 2, options()).await;
    assert!(rows.iter().all(|r| error_of(r).is_empty()), "{rows:?}");
    assert_eq!(server.counters.requests(), 4);
    assert_eq!(stats.retries, 2);
}

#[tokio::test]
async fn a_connection_dropped_every_time_fails_as_a_connection_error() {
    let server = Server::start(|_: &Call| Reply::dropped()).await;
    let (rows, _) = run_rows(&server, 1, options()).await;
    let error = error_of(&rows[0]);
    assert!(error.starts_with("connection failed: "), "{error}");
    assert_eq!(server.counters.requests(), 4);
}

#[tokio::test]
async fn an_unreachable_server_fails_after_the_retries() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = iterable_enrich::OpenAiConfig::new(format!("http://127.0.0.1:{port}/v1"), "m");
    let provider = std::sync::Arc::new(iterable_enrich::OpenAiProvider::new(config).unwrap());
    let stage = enrich(Rows::new(1), provider, schema(), options()).unwrap();
    let stats = stage.stats();
    let rows = drain(stage).await;
    assert!(
        error_of(&rows[0]).starts_with("connection failed: "),
        "{rows:?}"
    );
    assert_eq!(stats.snapshot().retries, 3);
}

#[tokio::test]
async fn invalid_json_is_reasked_with_the_error_in_the_conversation() {
    let server = Server::start(|c: &Call| {
        if c.attempt == 1 {
            Reply::content("{\"name\": \"person0\", age: }", "stop")
        } else {
            Reply::answer(person(c.id()))
        }
    })
    .await;
    let (rows, stats) = run_rows(&server, 1, options()).await;
    assert_eq!(error_of(&rows[0]), "");
    assert_eq!(rows[0].as_ref().unwrap()["age"].as_i64(), Some(0));
    let calls = server.counters.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[1].messages(),
        4,
        "system, user, the bad answer, the re-ask"
    );
    let messages = calls[1].body["messages"].as_array().unwrap().clone();
    assert_eq!(messages[2]["role"], "assistant");
    assert_eq!(messages[2]["content"], "{\"name\": \"person0\", age: }");
    let reask = messages[3]["content"].as_str().unwrap();
    assert!(
        reask.contains("the answer is not valid JSON (key must be a string"),
        "{reask}"
    );
    assert_eq!(stats.reasks, 1);
    assert_eq!(stats.usage.total(), 30, "both answers are paid for");
}

#[tokio::test]
async fn a_missing_field_is_reasked_then_fails_after_the_limit() {
    let server = Server::start(|_: &Call| Reply::answer(serde_json::json!({"name": "x"}))).await;
    let (rows, stats) = run_rows(&server, 1, options().max_reasks(2)).await;
    assert_eq!(
        error_of(&rows[0]),
        "invalid answer after 3 attempt(s): the answer does not fit the schema: $: missing required field \"age\""
    );
    let calls = server.counters.calls();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[2].messages(), 6);
    let last = calls[2].body["messages"][5]["content"].as_str().unwrap();
    assert!(last.contains("missing required field \"age\""), "{last}");
    assert_eq!(stats.reasks, 2);
}

#[tokio::test]
async fn a_wrong_type_is_named_in_the_reask() {
    let server = Server::start(|c: &Call| {
        if c.attempt == 1 {
            Reply::answer(serde_json::json!({"name": "Ann", "age": "thirty"}))
        } else {
            Reply::answer(person(c.id()))
        }
    })
    .await;
    let (rows, _) = run_rows(&server, 1, options()).await;
    assert_eq!(error_of(&rows[0]), "");
    let reask = server.counters.calls()[1].body["messages"][3]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reask.contains("$.age: expected integer, got string \"thirty\""),
        "{reask}"
    );
}

#[tokio::test]
async fn finish_reason_length_fails_without_a_reask() {
    let server = Server::start(|_: &Call| Reply::content("{\"name\": \"per", "length")).await;
    let (rows, stats) = run_rows(&server, 1, options()).await;
    assert_eq!(
        error_of(&rows[0]),
        "the answer was cut at the token limit (finish_reason: length); raise max_tokens"
    );
    assert_eq!(server.counters.requests(), 1);
    assert_eq!(stats.rows_failed, 1);
}

#[tokio::test]
async fn a_refusal_fails_with_the_models_words() {
    let server = Server::start(|_: &Call| Reply::refusal("I can't help with that.")).await;
    let (rows, _) = run_rows(&server, 1, options()).await;
    assert_eq!(
        error_of(&rows[0]),
        "the model refused: I can't help with that."
    );
    assert_eq!(server.counters.requests(), 1);
}

#[tokio::test]
async fn a_body_that_is_not_a_completion_fails_clearly() {
    let server = Server::start(|_: &Call| Reply::raw(200, "<html>proxy login</html>")).await;
    let (rows, _) = run_rows(&server, 1, options()).await;
    let error = error_of(&rows[0]);
    assert!(
        error.starts_with("malformed response from the server: not JSON (")
            && error.ends_with("): <html>proxy login</html>"),
        "{error}"
    );
}

#[tokio::test]
async fn a_template_field_the_row_lacks_fails_that_row_only() {
    let server = Server::start(|c: &Call| Reply::answer(person(c.id()))).await;
    let rows = vec![
        iterable::row! {"id" => 0, "text" => "a"},
        iterable::row! {"id" => 1},
    ];
    let stage = enrich(
        Rows::from_rows(rows),
        provider(&server, T),
        schema(),
        options(),
    )
    .unwrap();
    let out = drain(stage).await;
    assert_eq!(error_of(&out[0]), "");
    assert_eq!(
        error_of(&out[1]),
        "prompt: the template names field \"text\", which this row does not have (it has: id)"
    );
    assert_eq!(server.counters.requests(), 1);
}

#[tokio::test]
async fn failed_rows_go_to_the_dead_letter_file_and_nowhere_else() {
    let server = Server::start(|c: &Call| match c.id() {
        1 => Reply::error(400, "invalid_request_error", "bad row"),
        3 => Reply::content("nope", "length"),
        id => Reply::answer(person(id)),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let sink = IterableOptions::write()
        .open(dead.to_str().unwrap())
        .await
        .unwrap();
    let stage = enrich(
        Rows::new(5),
        provider(&server, T),
        schema(),
        options().dead_letter(sink),
    )
    .unwrap();
    let stats = stage.stats();
    let mut stage = stage;
    let mut out = Vec::new();
    {
        use futures::StreamExt;
        while let Some(row) = stage.next().await {
            out.push(row);
        }
    }
    let out: Vec<_> = out
        .into_iter()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect();
    assert_eq!(ids(&out), [0, 2, 4]);
    assert!(out[0].as_ref().unwrap().get("_enrich_error").is_none());
    assert_eq!(stage.progress().skipped, 2);
    assert_eq!(stats.snapshot().rows_failed, 2);
    // the sink was closed when the stage ended: the file is there, complete
    let mut letters = drain(aopen_iterable(dead.to_str().unwrap()).await.unwrap()).await;
    letters.sort_by_key(|r| r.as_ref().unwrap()["id"].as_i64());
    assert_eq!(letters.len(), 2);
    let first = letters[0].as_ref().unwrap();
    assert_eq!(first["id"].as_i64(), Some(1));
    assert_eq!(first["text"].as_str(), Some("row 1"));
    assert_eq!(
        first["_enrich_error"].as_str(),
        Some("HTTP 400 (invalid_request_error): bad row")
    );
    let second = letters[1].as_ref().unwrap();
    assert_eq!(second["id"].as_i64(), Some(3));
    assert_eq!(
        second["_enrich_error"].as_str(),
        Some("the answer was cut at the token limit (finish_reason: length); raise max_tokens")
    );
}

#[tokio::test]
async fn a_dead_letter_writer_that_fails_hands_the_row_on_inside_the_error() {
    let server = Server::start(|_: &Call| Reply::error(400, "bad", "no")).await;
    // a reader refuses writes: the row must come back inside the stage's error
    let refusing: iterable::BoxIterable = Box::new(Rows::new(0));
    let opts = options().dead_letter(refusing);
    let stage = enrich(Rows::new(1), provider(&server, T), schema(), opts).unwrap();
    let rows = drain(stage).await;
    assert_eq!(rows.len(), 1);
    let error = rows[0].as_ref().unwrap_err();
    assert!(
        error.starts_with("enrichment: dead-letter memory: memory: opened for reading"),
        "{error}"
    );
    assert!(
        error.ends_with(
            r#"the row was {"id":0,"text":"row 0","_enrich_error":"HTTP 400 (bad): no"}"#
        ),
        "{error}"
    );
}

/// A bare HTTP/1.1 server: the first connection is closed as soon as the request is
/// read, before any response; later ones get `body`.
async fn closing_server(body: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let read = socket.read(&mut buf).await.unwrap_or(0);
                    if read == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..read]);
                    if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse().unwrap());
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                if n == 0 {
                    return; // dropped: the client sees the connection close
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(response.as_bytes()).await.unwrap();
                socket.shutdown().await.unwrap();
            });
        }
    });
    (format!("http://{addr}/v1"), count)
}

#[tokio::test]
async fn a_connection_closed_before_the_response_is_retried() {
    let answer = serde_json::json!({
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": person(0).to_string()}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4}
    });
    let (url, connections) = closing_server(answer.to_string()).await;
    let provider = std::sync::Arc::new(
        iterable_enrich::OpenAiProvider::new(iterable_enrich::OpenAiConfig::new(url, "m")).unwrap(),
    );
    let stage = enrich(Rows::new(1), provider, schema(), options()).unwrap();
    let stats = stage.stats();
    let rows = drain(stage).await;
    assert_eq!(error_of(&rows[0]), "");
    assert_eq!(rows[0].as_ref().unwrap()["name"].as_str(), Some("person0"));
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(stats.snapshot().retries, 1);
    assert_eq!(stats.snapshot().usage.total(), 7);
}

#[tokio::test]
async fn requests_per_minute_hold_back_requests_beyond_the_bucket() {
    // 60 a minute: the first 60 go at once, the 61st and 62nd wait about 1 s each.
    let server = Server::start(|c: &Call| Reply::answer(person(c.id()))).await;
    let limits = iterable_enrich::RateLimits {
        requests_per_minute: Some(60),
        tokens_per_minute: None,
    };
    let start = Instant::now();
    let (rows, stats) = run_rows(&server, 62, options().limits(limits)).await;
    let took = start.elapsed();
    assert_eq!(ids(&rows), (0..62).collect::<Vec<_>>());
    assert_eq!(stats.requests, 62);
    assert!(took >= Duration::from_millis(1800), "{took:?}");
}
