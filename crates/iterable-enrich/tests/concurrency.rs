//! Concurrency and order against a real server: the bound on requests in flight, input
//! versus completion order, and a window that keeps memory flat on an endless source.

use crate::common;

use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use common::{Reply, Rows, Server, drain, ids, options, person, provider, schema};
use futures::StreamExt;
use iterable::{AsyncIterable, IterableOptions, aopen_iterable};
use iterable_enrich::{Order, enrich};

const T: Duration = Duration::from_secs(10);

/// Row `id` answers after (5 - id) × 150 ms: the last row finishes first.
fn slow_first(call: &common::Call) -> Reply {
    let id = call.id();
    Reply::answer(person(id)).after(Duration::from_millis((5 - id) * 150))
}

#[tokio::test]
async fn input_order_is_kept_when_rows_finish_out_of_order() {
    let server = Server::start(slow_first).await;
    let stage = enrich(
        Rows::new(6),
        provider(&server, T),
        schema(),
        options().concurrency(6),
    )
    .unwrap();
    let rows = drain(stage).await;
    assert_eq!(ids(&rows), [0, 1, 2, 3, 4, 5]);
    let first = rows[0].as_ref().unwrap();
    assert_eq!(first["name"].as_str(), Some("person0"));
    assert_eq!(first["age"].as_i64(), Some(0));
    assert_eq!(first["_enrich_error"], iterable::Value::Null);
}

#[tokio::test]
async fn completion_order_follows_the_answers() {
    // Row `id` answers 30 ms after every row above it was answered: 5, 4, ..., 0.
    let server = Server::start(|c: &common::Call| {
        Reply::answer(person(c.id()))
            .after_rows(c.id() + 1..6)
            .after(Duration::from_millis(30))
    })
    .await;
    let opts = options().concurrency(6).order(Order::Completion);
    let stage = enrich(Rows::new(6), provider(&server, T), schema(), opts).unwrap();
    let rows = drain(stage).await;
    assert_eq!(ids(&rows), [5, 4, 3, 2, 1, 0]);
    assert_eq!(rows[0].as_ref().unwrap()["name"].as_str(), Some("person5"));
}

#[tokio::test]
async fn requests_in_flight_never_exceed_the_bound() {
    for bound in [3u64, 6] {
        // Each answer waits until `bound` requests are in flight, then 50 ms more: the
        // peak reaches the bound whatever the machine's load, and a request beyond it
        // would be seen.
        let server = Server::start(move |c| {
            Reply::answer(person(c.id()))
                .when_in_flight(bound)
                .after(Duration::from_millis(50))
        })
        .await;
        let opts = options().concurrency(bound as usize).window(64);
        let stage = enrich(Rows::new(18), provider(&server, T), schema(), opts).unwrap();
        let stats = stage.stats();
        let rows = drain(stage).await;
        assert_eq!(ids(&rows), (0..18).collect::<Vec<_>>());
        assert_eq!(server.counters.requests(), 18);
        // the window lets 18 rows start at once; the bound is on the requests
        assert_eq!(server.counters.peak(), bound, "server-side peak");
        assert_eq!(
            stats.snapshot().peak_requests_in_flight,
            bound,
            "client-side peak"
        );
    }
}

#[tokio::test]
async fn an_endless_source_is_read_only_a_window_ahead() {
    // Row 3 is slow: in input order the rows after it wait in the reorder buffer,
    // and no more than the window is pulled from the source meanwhile.
    let server = Server::start(|c| {
        let delay = if c.id() == 3 { 300 } else { 0 };
        Reply::answer(person(c.id())).after(Duration::from_millis(delay))
    })
    .await;
    let source = Rows::endless();
    let pulled = source.pulled.clone();
    let opts = options().concurrency(4).window(8);
    let mut stage = enrich(source, provider(&server, T), schema(), opts).unwrap();
    for expected in 0..40i64 {
        let row = stage.next().await.unwrap().unwrap();
        assert_eq!(row["id"].as_i64(), Some(expected));
        let pulled = pulled.load(SeqCst) as i64;
        assert!(
            pulled <= expected + 1 + 8,
            "row {expected}: {pulled} pulled"
        );
    }
    stage.aclose().await.unwrap();
}

#[tokio::test]
async fn a_file_in_becomes_a_file_out() {
    let server = Server::start(|c| Reply::answer(person(c.id()))).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":1,\"text\":\"a\"}\n{\"id\":2,\"text\":\"b\"}\n",
    )
    .unwrap();
    let output = dir.path().join("out.csv");
    let source = aopen_iterable(input.to_str().unwrap()).await.unwrap();
    let mut stage = enrich(source, provider(&server, T), schema(), options()).unwrap();
    let mut sink = IterableOptions::write()
        .open(output.to_str().unwrap())
        .await
        .unwrap();
    while let Some(row) = stage.next().await {
        sink.awrite(&row.unwrap()).await.unwrap();
    }
    sink.aclose().await.unwrap();
    assert_eq!(stage.progress().rows, 2);
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "id,text,_enrich_error,name,age\n1,a,,person1,1\n2,b,,person2,2\n"
    );
}

#[tokio::test]
async fn areset_starts_over_from_the_first_row() {
    let server = Server::start(|c| Reply::answer(person(c.id()))).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let lines: String = (0..5)
        .map(|i| format!("{{\"id\":{i},\"text\":\"t\"}}\n"))
        .collect();
    std::fs::write(&input, lines).unwrap();
    let source = aopen_iterable(input.to_str().unwrap()).await.unwrap();
    let mut stage = enrich(
        source,
        provider(&server, T),
        schema(),
        options().concurrency(2),
    )
    .unwrap();
    let first = stage.next().await.unwrap().unwrap();
    assert_eq!(first["id"].as_i64(), Some(0));
    stage.areset().await.unwrap();
    let rows = drain(stage).await;
    assert_eq!(ids(&rows), [0, 1, 2, 3, 4]);
}

#[tokio::test]
async fn a_bulk_read_returns_the_rows_before_a_source_error_and_the_error_next() {
    let server = Server::start(|c| Reply::answer(person(c.id()))).await;
    let mut stage = enrich(
        Rows::failing_at(4, 2),
        provider(&server, T),
        schema(),
        options(),
    )
    .unwrap();
    let first = stage.aread_bulk(10).await.unwrap();
    assert_eq!(
        first
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1]
    );
    let error = stage.aread_bulk(10).await.unwrap_err();
    assert_eq!(error.to_string(), "invalid option: bad source row 2");
    let rest = stage.aread_bulk(10).await.unwrap();
    assert_eq!(
        rest.iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [3]
    );
    assert!(stage.aread_bulk(10).await.unwrap().is_empty());
}
