//! Typed results against a real server: `Extractor::<T>::extract` for one text, and
//! `enrich_typed::<T>` over a source yielding each row untouched with its `T` or the
//! reason it has none.

use crate::common;

use std::time::Duration;

use common::{Call, Reply, Rows, Server, options, person, provider};
use futures::StreamExt;
use iterable_enrich::{EnrichError, Extractor, Order, enrich_typed};
use serde_json::json;

const T: Duration = Duration::from_secs(10);

#[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
struct Person {
    name: String,
    /// Age in years.
    age: Option<u32>,
}

#[tokio::test]
async fn one_text_gives_one_value_of_the_type() {
    let server = Server::start(|c: &Call| {
        assert!(c.prompt.starts_with("Ann is 31"), "{}", c.prompt);
        assert_eq!(c.body["response_format"]["json_schema"]["name"], "Person");
        Reply::answer(json!({"name": "Ann", "age": 31}))
    })
    .await;
    let people = Extractor::<Person>::new(provider(&server, T)).unwrap();
    let ann = people
        .extract("Ann is 31 and lives in Lyon.")
        .await
        .unwrap();
    assert_eq!(
        ann,
        Person {
            name: "Ann".into(),
            age: Some(31)
        }
    );
    let p = people.stats().snapshot();
    assert_eq!((p.rows_done, p.requests, p.usage.total()), (1, 1, 15));
}

#[tokio::test]
async fn an_answer_that_does_not_fit_is_reasked_then_typed() {
    let server = Server::start(|c: &Call| {
        if c.attempt == 1 {
            Reply::answer(json!({"name": "Bob", "age": "forty"}))
        } else {
            Reply::answer(json!({"name": "Bob", "age": null}))
        }
    })
    .await;
    let people = Extractor::<Person>::new(provider(&server, T)).unwrap();
    let bob = people.extract("Bob, age unknown").await.unwrap();
    assert_eq!(
        bob,
        Person {
            name: "Bob".into(),
            age: None
        }
    );
    assert_eq!(server.counters.requests(), 2);
    assert_eq!(people.stats().snapshot().reasks, 1);
}

#[tokio::test]
async fn a_failure_is_the_error_not_a_default_value() {
    let server = Server::start(|_: &Call| Reply::refusal("I cannot help with that")).await;
    let people = Extractor::<Person>::new(provider(&server, T)).unwrap();
    let e = people.extract("x").await.unwrap_err();
    assert_eq!(e, EnrichError::Refused("I cannot help with that".into()));
}

#[tokio::test]
async fn extractions_share_the_concurrency_limit() {
    let server = Server::start(|c: &Call| {
        Reply::answer(json!({"name": c.prompt.clone(), "age": 1})).after(Duration::from_millis(50))
    })
    .await;
    let people = Extractor::<Person>::new(provider(&server, T))
        .unwrap()
        .concurrency(3);
    let texts: Vec<String> = (0..9).map(|i| format!("p{i}")).collect();
    let found = futures::future::join_all(texts.iter().map(|t| people.extract(t))).await;
    let names: Vec<String> = found.into_iter().map(|p| p.unwrap().name).collect();
    assert_eq!(names, texts);
    assert_eq!(server.counters.peak(), 3);
}

#[tokio::test]
async fn a_typed_stage_yields_each_row_untouched_with_its_value_or_error() {
    let server = Server::start(|c: &Call| match c.id() {
        2 => Reply::error(400, "invalid_request_error", "messages: too long"),
        id => Reply::answer(person(id)).after(Duration::from_millis(5 * (6 - id))),
    })
    .await;
    let opts = options().concurrency(4).order(Order::Input);
    let mut stage = enrich_typed::<Person, _>(Rows::new(5), provider(&server, T), opts).unwrap();
    let mut seen = Vec::new();
    while let Some(item) = stage.next().await {
        let (row, person) = item.unwrap();
        assert_eq!(row.keys().collect::<Vec<_>>(), ["id", "text"], "untouched");
        seen.push((row["id"].as_i64().unwrap(), person));
    }
    assert_eq!(seen.len(), 5);
    for (id, person) in &seen {
        if *id == 2 {
            assert_eq!(
                person.as_ref().unwrap_err().to_string(),
                "HTTP 400 (invalid_request_error): messages: too long"
            );
        } else {
            assert_eq!(
                person.as_ref().unwrap(),
                &Person {
                    name: format!("person{id}"),
                    age: Some(*id as u32)
                }
            );
        }
    }
    assert_eq!(
        seen.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4],
        "input order"
    );
    let p = stage.stats().snapshot();
    assert_eq!((p.rows_done, p.rows_failed), (4, 1));
    stage.aclose().await.unwrap();
}
