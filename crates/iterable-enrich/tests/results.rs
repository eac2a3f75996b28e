//! What comes out against a real server: result shapes, token accounting per row and in
//! total, progress while running, the answer cache (more in resume.rs), response-format fallbacks, and
//! schemas from Rust types and from a planning call.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{Call, Reply, Rows, Server, drain, ids, options, person, provider, schema};
use futures::StreamExt;
use iterable::{Row, Value, row};
use iterable_enrich::{Multiplicity, Schema, enrich, plan_schema};
use serde_json::json;

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn usage_per_row_and_in_total_count_reasks() {
    let server = Server::start(|c: &Call| {
        if c.id() == 1 && c.attempt == 1 {
            Reply::content("not json", "stop")
        } else {
            Reply::answer(person(c.id()))
        }
    })
    .await;
    let opts = options().usage_column("_usage");
    let stage = enrich(Rows::new(3), provider(&server, T), schema(), opts).unwrap();
    let stats = stage.stats();
    let rows = drain(stage).await;
    let usage = |i: usize| rows[i].as_ref().unwrap()["_usage"].clone();
    assert_eq!(
        usage(0),
        Value::Map(
            row! {"prompt_tokens" => 10u64, "completion_tokens" => 5u64, "requests" => 1u64}
        )
    );
    assert_eq!(
        usage(1),
        Value::Map(
            row! {"prompt_tokens" => 20u64, "completion_tokens" => 10u64, "requests" => 2u64}
        )
    );
    let total = stats.snapshot();
    assert_eq!(total.usage.prompt_tokens, 40);
    assert_eq!(total.usage.completion_tokens, 20);
    assert_eq!(total.requests, 4);
    assert_eq!(
        (total.rows_done, total.rows_failed, total.reasks),
        (3, 0, 1)
    );
}

#[tokio::test]
async fn progress_is_readable_while_the_stage_runs() {
    let server = Server::start(|c: &Call| match c.id() {
        2 => Reply::error(400, "bad", "no"),
        id => Reply::answer(person(id)),
    })
    .await;
    let opts = options().concurrency(1).window(1);
    let mut stage = enrich(Rows::new(5), provider(&server, T), schema(), opts).unwrap();
    let stats = stage.stats();
    stage.next().await.unwrap().unwrap();
    let early = stats.snapshot();
    assert_eq!(early.rows_done, 1, "{early:?}");
    assert_eq!(early.usage.total(), 15);
    assert!(early.rows_in_flight <= 1);
    while stage.next().await.is_some() {}
    let end = stage.enrich_progress();
    assert_eq!(
        (end.rows_done, end.rows_failed, end.rows_in_flight),
        (4, 1, 0)
    );
    assert_eq!(end.usage.total(), 60);
    assert_eq!(end.requests_in_flight, 0);
}

#[tokio::test]
async fn a_rerun_with_the_cache_pays_only_for_what_changed() {
    let server = Server::start(|c: &Call| Reply::answer(person(c.id()))).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let source = |changed: bool| {
        Rows::from_rows(
            (0..4u64)
                .map(|i| {
                    let text = if changed && i == 2 {
                        "edited".to_owned()
                    } else {
                        format!("row {i}")
                    };
                    row! {"id" => i, "text" => text}
                })
                .collect(),
        )
    };
    let run = |changed: bool| {
        let stage = enrich(
            source(changed),
            provider(&server, T),
            schema(),
            options().cache_dir(&cache),
        )
        .unwrap();
        let stats = stage.stats();
        async move { (drain(stage).await, stats.snapshot()) }
    };
    let (first, s1) = run(false).await;
    assert_eq!((s1.requests, s1.cache_hits), (4, 0));
    let (second, s2) = run(false).await;
    assert_eq!(second, first, "the cached answers give the same rows");
    assert_eq!((s2.requests, s2.cache_hits, s2.usage.total()), (0, 4, 0));
    assert_eq!(server.counters.requests(), 4);
    let (third, s3) = run(true).await;
    assert_eq!((s3.requests, s3.cache_hits), (1, 3));
    assert_eq!(server.counters.requests(), 5);
    assert_eq!(ids(&third), [0, 1, 2, 3]);
}

fn people(c: &Call) -> Reply {
    let n = c.id();
    let items: Vec<_> = (0..n)
        .map(|k| json!({"name": format!("p{n}.{k}"), "age": k}))
        .collect();
    Reply::answer(json!({ "items": items }))
}

#[tokio::test]
async fn many_objects_one_row_each() {
    let server = Server::start(people).await;
    let opts = options().multiplicity(Multiplicity::Explode).prefix("who_");
    let stage = enrich(Rows::new(3), provider(&server, T), schema(), opts).unwrap();
    let rows: Vec<Row> = drain(stage).await.into_iter().map(Result::unwrap).collect();
    let names: Vec<(i64, Value)> = rows
        .iter()
        .map(|r| (r["id"].as_i64().unwrap(), r["who_name"].clone()))
        .collect();
    // row 0 has none and still comes out once; row 2 gives two rows
    assert_eq!(
        names,
        [
            (0, Value::Null),
            (1, Value::from("p1.0")),
            (2, Value::from("p2.0")),
            (2, Value::from("p2.1"))
        ]
    );
    let sent = &server.counters.calls()[0].body["response_format"]["json_schema"]["schema"];
    assert_eq!(sent["properties"]["items"]["type"], "array");
    assert_eq!(
        sent["properties"]["items"]["items"]["additionalProperties"],
        false
    );
}

#[tokio::test]
async fn many_objects_as_a_nested_list_column() {
    let server = Server::start(people).await;
    let opts = options().multiplicity(Multiplicity::List).nested("people");
    let stage = enrich(Rows::new(3), provider(&server, T), schema(), opts).unwrap();
    let rows: Vec<Row> = drain(stage).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["people"], Value::List(vec![]));
    assert_eq!(
        rows[2]["people"],
        Value::List(vec![
            Value::Map(row! {"name" => "p2.0", "age" => 0}),
            Value::Map(row! {"name" => "p2.1", "age" => 1}),
        ])
    );
}

#[tokio::test]
async fn rejected_response_formats_fall_back_for_every_later_row() {
    let server = Server::start(|c: &Call| match c.mode() {
        "json_schema" => Reply::error(
            400,
            "invalid_request_error",
            "response_format json_schema is not supported by this server",
        ),
        "json_object" => Reply::error(
            400,
            "invalid_request_error",
            "Invalid value for response_format: json_object",
        ),
        _ => Reply::tool_call(person(c.id())),
    })
    .await;
    let stage = enrich(
        Rows::new(3),
        provider(&server, T),
        schema(),
        options().concurrency(1),
    )
    .unwrap();
    let rows = drain(stage).await;
    assert_eq!(rows[2].as_ref().unwrap()["name"].as_str(), Some("person2"));
    let modes: Vec<String> = server
        .counters
        .calls()
        .iter()
        .map(|c| c.mode().to_owned())
        .collect();
    assert_eq!(
        modes,
        ["json_schema", "json_object", "tools", "tools", "tools"]
    );
    let tools = &server.counters.calls()[2].body;
    assert_eq!(tools["tool_choice"]["function"]["name"], "extraction");
    assert_eq!(tools["tools"][0]["function"]["strict"], true);
}

#[tokio::test]
async fn json_object_mode_carries_the_schema_in_words_and_in_the_response_format() {
    let server = Server::start(|c: &Call| {
        Reply::content(&format!("```json\n{}\n```", person(c.id())), "stop")
    })
    .await;
    let opts = options().response_mode(iterable_enrich::ResponseMode::JsonObject, false);
    let stage = enrich(Rows::new(1), provider(&server, T), schema(), opts).unwrap();
    let rows = drain(stage).await;
    assert_eq!(rows[0].as_ref().unwrap()["age"].as_i64(), Some(0));
    let body = &server.counters.calls()[0].body;
    assert_eq!(
        body["response_format"],
        json!({"type": "json_object", "schema": schema().json()})
    );
    let words = body["messages"][1]["content"].as_str().unwrap();
    assert!(words.starts_with("Answer with one JSON object"), "{words}");
    assert!(words.contains("\"additionalProperties\":false"), "{words}");
}

#[tokio::test]
async fn the_request_carries_model_options_key_and_headers() {
    let server = Server::start(|c: &Call| Reply::answer(person(c.id()))).await;
    let mut config = iterable_enrich::OpenAiConfig::new(server.base_url(), "llama-3");
    config.temperature = Some(0.0);
    config.max_tokens = Some(64);
    config.headers = vec![("x-team".into(), "etl".into())];
    let provider = Arc::new(iterable_enrich::OpenAiProvider::new(config).unwrap());
    let stage = enrich(Rows::new(1), provider, schema(), options()).unwrap();
    drain(stage).await;
    let body = &server.counters.calls()[0].body;
    assert_eq!(body["model"], "llama-3");
    assert_eq!(body["temperature"], 0.0);
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["messages"][1]["content"], "id=0 text=row 0");
    let format = &body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["strict"], true);
    assert_eq!(
        format["json_schema"]["schema"]["required"],
        json!(["age", "name"])
    );
}

#[derive(schemars::JsonSchema, serde::Deserialize, Debug, PartialEq)]
#[allow(dead_code)]
/// A person.
struct Person {
    /// Their full name.
    name: String,
    /// Their age in years, if said.
    age: Option<u32>,
}

#[tokio::test]
async fn a_schema_from_a_rust_type() {
    let schema = Schema::from_type::<Person>().unwrap();
    assert_eq!(schema.name(), "Person");
    assert_eq!(schema.json()["additionalProperties"], false);
    assert_eq!(schema.json()["required"], json!(["age", "name"]));
    assert_eq!(
        schema.json()["properties"]["age"]["type"],
        json!(["integer", "null"])
    );
    let server = Server::start(|c: &Call| match c.id() {
        0 => Reply::answer(json!({"name": "Ann", "age": null})),
        _ => Reply::answer(json!({"name": "Bob", "age": 41})),
    })
    .await;
    let opts = options().nested("person");
    let stage = enrich(Rows::new(2), provider(&server, T), schema, opts).unwrap();
    let rows: Vec<Row> = drain(stage).await.into_iter().map(Result::unwrap).collect();
    let Value::Map(bob) = &rows[1]["person"] else {
        panic!("{rows:?}")
    };
    assert_eq!(
        bob.deserialize::<Person>().unwrap(),
        Person {
            name: "Bob".into(),
            age: Some(41)
        }
    );
    assert_eq!(
        rows[0]["person"],
        Value::Map(row! {"name" => "Ann", "age" => Value::Null})
    );
}

#[tokio::test]
async fn a_schema_planned_from_a_question_and_samples() {
    let server = Server::start(|c: &Call| {
        if c.body["response_format"]["json_schema"]["name"] == "schema_plan" {
            Reply::answer(json!({"name": "incident", "fields": [
                {"name": "city", "type": "string", "description": "where it happened"},
                {"name": "injured", "type": "integer", "description": "people hurt"},
                {"name": "tags", "type": "string[]", "description": "kinds of damage"}
            ]}))
        } else {
            Reply::answer(json!({"city": "Lyon", "injured": 2, "tags": ["roof"]}))
        }
    })
    .await;
    let samples = vec![row! {"id" => 1, "text" => "Storm in Lyon, two hurt, roofs gone"}];
    let (schema, usage) = plan_schema(
        provider(&server, T),
        "What happened where, and how many were hurt?",
        &samples,
        Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(usage.total(), 15);
    assert_eq!(schema.name(), "incident");
    assert_eq!(schema.properties(), ["city", "injured", "tags"]);
    assert_eq!(
        schema.description(),
        Some("What happened where, and how many were hurt?")
    );
    let plan_call = &server.counters.calls()[0].body;
    let asked = plan_call["messages"][1]["content"].as_str().unwrap();
    assert!(asked.contains("Storm in Lyon"), "{asked}");
    // the plan is saved and reused as it is
    let saved = serde_json::to_string(&schema).unwrap();
    let reused = Schema::from_saved(&saved).unwrap();
    assert_eq!(reused, schema);
    let stage = enrich(
        Rows::from_rows(samples),
        provider(&server, T),
        reused,
        options(),
    )
    .unwrap();
    let rows: Vec<Row> = drain(stage).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(rows[0]["city"].as_str(), Some("Lyon"));
    assert_eq!(rows[0]["tags"], Value::List(vec![Value::from("roof")]));
    let system = server.counters.calls()[1].body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(system.ends_with("What to extract: What happened where, and how many were hurt?"));
}

/// The stage composes with pipelines: a pipeline's result feeds it, and its rows feed
/// the next pipeline.
#[tokio::test]
async fn a_pipeline_feeds_the_stage_and_takes_its_rows_on() {
    let server = Server::start(|c: &Call| Reply::answer(person(c.id()))).await;
    let rows: Vec<Row> = (0..10)
        .map(|i| row! {"id" => i, "text" => format!("row {i}")})
        .collect();
    let even = iterable::apipeline(iterable::from_rows("mem", rows))
        .filter(|r| r["id"].as_i64().is_some_and(|i| i % 2 == 0))
        .into_iterable();
    let stage = enrich(even, provider(&server, T), schema(), options()).unwrap();
    let out = iterable::apipeline(Box::new(stage))
        .select(["id", "name"])
        .collect()
        .await
        .unwrap();
    let got: Vec<(i64, String)> = out
        .iter()
        .map(|r| (r["id"].as_i64().unwrap(), r["name"].to_string()))
        .collect();
    assert_eq!(
        got,
        (0..10)
            .step_by(2)
            .map(|i| (i, format!("person{i}")))
            .collect::<Vec<_>>()
    );
    assert_eq!(server.counters.requests(), 5);
}

#[tokio::test]
async fn several_questions_are_planned_into_one_request_a_row() {
    let server = Server::start(|c: &Call| {
        let format = &c.body["response_format"]["json_schema"];
        if format["name"] == "schema_plan" {
            let asked = c.body["messages"][1]["content"].as_str().unwrap();
            return if asked.contains("Question: Where?") {
                Reply::answer(json!({"name": "place", "fields": [
                    {"name": "city", "type": "string", "description": "the city"}]}))
            } else {
                Reply::answer(json!({"name": "harm", "fields": [
                    {"name": "injured", "type": "integer", "description": "people hurt"}]}))
            };
        }
        let properties = &format["schema"]["properties"];
        assert!(
            properties["place"]["properties"]["city"].is_object(),
            "{format}"
        );
        assert!(
            properties["harm"]["properties"]["injured"].is_object(),
            "{format}"
        );
        Reply::answer(json!({"place": {"city": "Lyon"}, "harm": {"injured": 2}}))
    })
    .await;
    let samples = vec![row! {"id" => 1, "text" => "Storm in Lyon, two hurt"}];
    let queries = ["Where?".to_owned(), "How many were hurt?".to_owned()];
    let dir = tempfile::tempdir().unwrap();
    // Each run opens the cache, as the command line does.
    let plan = || async {
        let cache = iterable_enrich::Journal::open(dir.path()).unwrap();
        iterable_enrich::plan_queries(
            provider(&server, T),
            &queries,
            &samples,
            Default::default(),
            Some(&cache),
        )
        .await
    };
    let (schema, usage) = plan().await.unwrap();
    assert_eq!(usage.total(), 30, "one planning call a question");
    let (again, usage) = plan().await.unwrap();
    assert_eq!(again, schema, "a re-run gets the same plan");
    assert_eq!(usage.total(), 0, "from the cache");
    assert_eq!(server.counters.requests(), 2);
    assert_eq!(schema.properties(), ["place", "harm"]);
    assert_eq!(
        schema.description(),
        Some("answer each question in its own object. place: Where?; harm: How many were hurt?")
    );
    let stage = enrich(
        Rows::from_rows(samples),
        provider(&server, T),
        schema,
        options(),
    )
    .unwrap();
    let rows: Vec<Row> = drain(stage).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(rows[0]["place"], Value::Map(row! {"city" => "Lyon"}));
    assert_eq!(rows[0]["harm"], Value::Map(row! {"injured" => 2i64}));
    assert_eq!(
        server.counters.requests(),
        3,
        "two plans, then one request for the row"
    );
}
