//! Long documents in pieces against a real server: a text over the token budget is
//! asked about piece by piece, the answers merged in order, the usage summed; a
//! failed piece fails its row naming the piece, and with a cache a re-run asks only
//! the pieces not answered.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{Call, Reply, Rows, Server, drain, options, provider};
use iterable::{Row, Value, row};
use iterable_enrich::{Chunking, Multiplicity, Schema, enrich, estimate};
use serde_json::json;

const T: Duration = Duration::from_secs(10);
const CITIES: [&str; 4] = ["Lyon", "Paris", "Nice", "Lille"];

/// The cities a prompt names, in order of first mention.
fn cities_in(prompt: &str) -> Vec<&'static str> {
    let mut found: Vec<(usize, &str)> = CITIES
        .iter()
        .filter_map(|c| prompt.find(c).map(|at| (at, *c)))
        .collect();
    found.sort();
    found.into_iter().map(|(_, c)| c).collect()
}

/// A report of four paragraphs (about 60 bytes each) and a short note.
fn documents() -> Vec<Row> {
    let report = [
        "Sales rose in Lyon and in Paris during the third quarter.",
        "Costs fell in Paris while the Nice office kept its staff.",
        "Nothing changed at all in the smaller offices of the north.",
        "Lille opened a second shop near the station in September.",
    ]
    .join("\n\n");
    vec![
        row! {"id" => 0, "text" => report},
        row! {"id" => 1, "text" => "A note from Nice."},
    ]
}

fn city_list() -> Schema {
    Schema::from_fields("name:string").unwrap()
}

#[tokio::test]
async fn a_long_text_is_asked_a_piece_at_a_time_and_the_lists_joined() {
    let server = Server::start(|c: &Call| {
        let items: Vec<_> = cities_in(&c.prompt)
            .iter()
            .map(|c| json!({"name": c}))
            .collect();
        Reply::answer(json!({ "items": items }))
    })
    .await;
    // 20 tokens: 80 bytes, one paragraph a piece.
    let opts = options()
        .multiplicity(Multiplicity::List)
        .nested("cities")
        .usage_column("_usage")
        .chunking(Chunking::new(20));
    let rows = drain(
        enrich(
            Rows::from_rows(documents()),
            provider(&server, T),
            city_list(),
            opts,
        )
        .unwrap(),
    )
    .await;
    let cities = |i: usize| match &rows[i].as_ref().unwrap()["cities"] {
        Value::List(items) => items
            .iter()
            .map(|m| match m {
                Value::Map(m) => m["name"].as_str().unwrap().to_owned(),
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    // Paris is in two pieces: once in the list.
    assert_eq!(cities(0), ["Lyon", "Paris", "Nice", "Lille"]);
    assert_eq!(cities(1), ["Nice"]);
    let report = rows[0].as_ref().unwrap();
    assert!(
        report["text"].as_str().unwrap().contains("Lille opened"),
        "the row keeps its whole text"
    );
    let prompts: Vec<String> = server
        .counters
        .calls()
        .into_iter()
        .map(|c| c.prompt)
        .collect();
    assert_eq!(prompts.len(), 5, "four pieces and the note: {prompts:#?}");
    assert!(
        prompts.contains(
            &"id=0 text=Nothing changed at all in the smaller offices of the north.".to_owned()
        ),
        "{prompts:#?}"
    );
    assert!(
        prompts.iter().all(|p| p.len() <= "id=0 text=".len() + 80),
        "{prompts:#?}"
    );
    match &report["_usage"] {
        Value::Map(usage) => assert_eq!(usage["requests"], Value::from(4u64)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn one_object_takes_each_fields_first_value_across_pieces() {
    let server = Server::start(|c: &Call| {
        let cities = cities_in(&c.prompt);
        Reply::answer(json!({
            "first_city": if c.prompt.contains("Nothing changed") { Value::Null.into() } else { json!(cities.first()) },
            "cities": cities,
        }))
    })
    .await;
    let schema = Schema::from_fields("first_city:string?,cities:string[]").unwrap();
    let opts = options().chunking(Chunking::new(20));
    let rows = drain(
        enrich(
            Rows::from_rows(documents()),
            provider(&server, T),
            schema,
            opts,
        )
        .unwrap(),
    )
    .await;
    let report = rows[0].as_ref().unwrap();
    assert_eq!(report["first_city"], Value::from("Lyon"));
    assert_eq!(
        report["cities"],
        Value::List(["Lyon", "Paris", "Nice", "Lille"].map(Value::from).to_vec())
    );
}

#[tokio::test]
async fn a_failed_piece_fails_its_row_and_a_rerun_asks_only_that_piece() {
    let dir = tempfile::tempdir().unwrap();
    let opts = || {
        options()
            .multiplicity(Multiplicity::List)
            .nested("cities")
            .cache_dir(dir.path())
            .chunking(Chunking::new(20))
    };
    let answer = |c: &Call| {
        let items: Vec<_> = cities_in(&c.prompt)
            .iter()
            .map(|c| json!({"name": c}))
            .collect();
        Reply::answer(json!({ "items": items }))
    };
    // At first the third piece's answer never fits the schema.
    let healthy = Arc::new(AtomicBool::new(false));
    let fixed = healthy.clone();
    let server = Server::start(move |c: &Call| {
        if c.prompt.contains("Nothing changed") && !fixed.load(Ordering::SeqCst) {
            Reply::content("{\"items\": \"none\"}", "stop")
        } else {
            answer(c)
        }
    })
    .await;
    let run = |opts| async {
        drain(
            enrich(
                Rows::from_rows(documents()),
                provider(&server, T),
                city_list(),
                opts,
            )
            .unwrap(),
        )
        .await
    };
    let rows = run(opts()).await;
    let error = rows[0].as_ref().unwrap()["_enrich_error"].to_string();
    assert!(
        error.contains("piece 3 of 4") && error.contains("invalid answer"),
        "{error}"
    );
    assert!(rows[1].as_ref().unwrap()["_enrich_error"].is_null());
    let before = server.counters.calls().len();

    healthy.store(true, Ordering::SeqCst);
    let rows = run(opts().retry_failed(true)).await;
    assert!(
        rows[0].as_ref().unwrap()["_enrich_error"].is_null(),
        "{:?}",
        rows[0]
    );
    let asked: Vec<String> = server.counters.calls()[before..]
        .iter()
        .map(|c| c.prompt.clone())
        .collect();
    assert_eq!(
        asked,
        ["id=0 text=Nothing changed at all in the smaller offices of the north."],
        "the pieces answered before come from the cache"
    );
}

#[tokio::test]
async fn the_estimate_counts_a_request_a_piece() {
    let opts = options().chunking(Chunking::new(20));
    let e = estimate(Rows::from_rows(documents()), &city_list(), &opts, 10)
        .await
        .unwrap();
    assert_eq!((e.rows, e.requests), (2, 5));
    assert_eq!(e.prompts.len(), 5);
}
