//! Rate limits against a real server: a 429 pauses the whole stage (not one row), the
//! requests in flight are halved and raised back (AIMD), and the server's
//! `x-ratelimit-*` headers seed and cap the buckets.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Call, Reply, Rows, Server, drain, options, person, provider, schema};
use iterable_enrich::{StageEvent, enrich};

const T: Duration = Duration::from_secs(10);

fn recorder() -> (Arc<Mutex<Vec<StageEvent>>>, iterable_enrich::EventHandler) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    (
        events,
        Arc::new(move |e: &StageEvent| seen.lock().unwrap().push(e.clone())),
    )
}

#[tokio::test]
async fn a_429_pauses_every_row_not_only_its_own() {
    let server = Server::start(|c: &Call| {
        if c.id() == 0 && c.attempt == 1 {
            Reply::error(
                429,
                "rate_limit_exceeded",
                "Rate limit reached for requests",
            )
            .header("retry-after", "1")
        } else {
            Reply::answer(person(c.id())).after(Duration::from_millis(50))
        }
    })
    .await;
    let (events, handler) = recorder();
    let opts = options().concurrency(2).on_event(handler);
    let stage = enrich(Rows::new(6), provider(&server, T), schema(), opts).unwrap();
    let stats = stage.stats();
    let rows = drain(stage).await;
    assert!(rows.iter().all(Result::is_ok));
    assert!(
        rows.iter()
            .all(|r| r.as_ref().unwrap()["_enrich_error"].is_null()),
        "{rows:?}"
    );
    let calls = server.counters.calls();
    let limited_at = calls[0].at;
    let early: Vec<Duration> = calls
        .iter()
        .map(|c| c.at.saturating_duration_since(limited_at))
        .filter(|d| *d > Duration::from_millis(20) && *d < Duration::from_millis(950))
        .collect();
    assert!(
        early.is_empty(),
        "no request is sent during the pause: {early:?}"
    );
    let p = stats.snapshot();
    assert_eq!(p.pauses, 1);
    assert_eq!(p.retries, 1);
    let events = events.lock().unwrap().clone();
    assert!(
        events.iter().any(
            |e| matches!(e, StageEvent::Paused { wait, .. } if *wait == Duration::from_secs(1))
        ),
        "{events:?}"
    );
}

#[tokio::test]
async fn rate_limits_halve_the_requests_in_flight_and_answers_raise_them_back() {
    // The server takes 3 requests at a time; more are refused with a 429.
    let server = Server::start(move |c: &Call| {
        if c.in_flight > 3 {
            Reply::error(429, "rate_limit_exceeded", "too many requests at once")
                .header("retry-after-ms", "30")
        } else {
            Reply::answer(person(c.id())).after(Duration::from_millis(20))
        }
    })
    .await;
    let (events, handler) = recorder();
    let retry = iterable_enrich::RetryPolicy {
        max_retries: 20,
        ..Default::default()
    };
    let opts = options().concurrency(16).retry(retry).on_event(handler);
    let stage = enrich(Rows::new(80), provider(&server, T), schema(), opts).unwrap();
    let stats = stage.stats();
    let start = Instant::now();
    let rows = drain(stage).await;
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_eq!(rows.len(), 80);
    assert!(
        rows.iter()
            .all(|r| r.as_ref().unwrap()["_enrich_error"].is_null()),
        "every row made it: {rows:?}"
    );
    let events = events.lock().unwrap().clone();
    let changes: Vec<(usize, usize)> = events
        .iter()
        .filter_map(|e| match e {
            StageEvent::ConcurrencyChanged { from, to } => Some((*from, *to)),
            _ => None,
        })
        .collect();
    assert_eq!(changes.first(), Some(&(16, 8)), "{changes:?}");
    assert!(
        changes.iter().any(|(from, to)| to > from),
        "raised back after clean answers: {changes:?}"
    );
    let p = stats.snapshot();
    assert!(p.concurrency < 16, "{p:?}");
}

#[tokio::test]
async fn a_spent_allowance_in_the_headers_pauses_until_its_reset() {
    let server = Server::start(|c: &Call| {
        let reply = Reply::answer(person(c.id()))
            .header("x-ratelimit-limit-requests", "600")
            .header("x-ratelimit-reset-requests", "800ms");
        if c.n == 1 {
            reply.header("x-ratelimit-remaining-requests", "0")
        } else {
            reply.header("x-ratelimit-remaining-requests", "500")
        }
    })
    .await;
    let opts = options().concurrency(1);
    let stage = enrich(Rows::new(3), provider(&server, T), schema(), opts).unwrap();
    let stats = stage.stats();
    let rows = drain(stage).await;
    assert_eq!(rows.len(), 3);
    let calls = server.counters.calls();
    let gap = calls[1].at - calls[0].at;
    assert!(gap >= Duration::from_millis(750), "{gap:?}");
    assert!(calls[2].at - calls[1].at < Duration::from_millis(500));
    assert_eq!(stats.snapshot().pauses, 1);
}

#[tokio::test]
async fn a_row_waiting_on_its_own_retry_after_holds_no_permit_and_no_other_row() {
    let server = Server::start(|c: &Call| {
        if c.id() == 0 && c.attempt == 1 {
            Reply::raw(503, "busy").header("retry-after", "1")
        } else {
            Reply::answer(person(c.id())).after(Duration::from_millis(10))
        }
    })
    .await;
    let opts = options()
        .concurrency(2)
        .order(iterable_enrich::Order::Completion);
    let stage = enrich(Rows::new(10), provider(&server, T), schema(), opts).unwrap();
    let start = Instant::now();
    let mut stage = stage;
    let mut seen = Vec::new();
    use futures::StreamExt;
    while let Some(row) = stage.next().await {
        seen.push((row.unwrap()["id"].as_i64().unwrap(), start.elapsed()));
    }
    let (last_id, last_at) = *seen.last().unwrap();
    assert_eq!(last_id, 0, "the waiting row comes last: {seen:?}");
    assert!(last_at >= Duration::from_secs(1), "{seen:?}");
    let others = seen[seen.len() - 2].1;
    assert!(
        others < Duration::from_millis(600),
        "the nine others did not wait for it: {seen:?}"
    );
}
