//! Batch runs against a loopback server speaking the OpenAI Batch protocol: sharding,
//! rows in input order, a partly failed batch, an expired batch, a failed batch, a
//! crash resumed without paying twice, and rows the cache already answered.

use crate::batch_server;
use crate::common;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use batch_server::{BatchEnd, BatchServer, LineReply};
use common::{Rows, drain, ids, options, person, schema};
use iterable_enrich::{
    BatchOptions, EnrichOptions, OpenAiConfig, OpenAiProvider, STATE_FILE, StageEvent, enrich_batch,
};
use serde_json::json;

fn provider(server: &BatchServer) -> Arc<OpenAiProvider> {
    let mut config = OpenAiConfig::new(server.base_url(), "test-model");
    config.api_key = Some("sk-test".into());
    Arc::new(OpenAiProvider::new(config).unwrap())
}

fn batch_options(max_requests: usize) -> BatchOptions {
    BatchOptions {
        max_requests,
        poll_interval: Duration::from_millis(5),
        ..Default::default()
    }
}

/// A JSON Lines file of rows `id=0..n` (a source that rewinds).
async fn input(dir: &std::path::Path, n: u64) -> iterable::BoxIterable {
    let path = dir.join("rows.jsonl");
    let text: String = (0..n)
        .map(|i| format!("{}\n", json!({"id": i, "text": format!("row {i}")})))
        .collect();
    std::fs::write(&path, text).unwrap();
    iterable::aopen_iterable(path.to_str().unwrap())
        .await
        .unwrap()
}

/// A batch run of rows `id=0..n` (from a file in `dir`) to its end: the rows and the
/// final counters.
async fn run_batch(
    server: &BatchServer,
    dir: &std::path::Path,
    n: u64,
    opts: EnrichOptions,
    batch: BatchOptions,
) -> (
    Vec<Result<iterable::Row, String>>,
    iterable_enrich::EnrichProgress,
) {
    let stage = enrich_batch(input(dir, n).await, provider(server), schema(), opts, batch)
        .await
        .unwrap();
    let stats = stage.stats();
    let rows = drain(stage).await;
    (rows, stats.snapshot())
}

/// Options with the cache in `dir` and the events collected in `seen`.
fn with_events(dir: &std::path::Path, seen: &Arc<Mutex<Vec<String>>>) -> EnrichOptions {
    let seen = seen.clone();
    options()
        .cache_dir(dir.join("cache"))
        .on_event(Arc::new(move |e: &StageEvent| {
            seen.lock().unwrap().push(e.to_string())
        }))
}

fn name(row: &Result<iterable::Row, String>) -> String {
    row.as_ref().unwrap()["name"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn a_batch_run_answers_every_row_in_input_order_in_shards() {
    let server = BatchServer::start(BatchEnd::Completed, |id| LineReply::Answer(person(id))).await;
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (rows, p) = run_batch(
        &server,
        dir.path(),
        7,
        with_events(dir.path(), &seen),
        batch_options(3),
    )
    .await;
    assert_eq!(ids(&rows), (0..7).collect::<Vec<_>>());
    assert_eq!(name(&rows[6]), "person6");
    assert_eq!(rows[3].as_ref().unwrap()["age"].as_i64(), Some(3));
    let st = &server.state;
    assert_eq!((st.uploads.load(SeqCst), st.creates.load(SeqCst)), (3, 3));
    assert_eq!(st.chats.load(SeqCst), 0, "nothing asked one by one");
    assert_eq!((p.batch_answers, p.requests, p.rows_done), (7, 0, 7));
    assert_eq!(p.usage.total(), 7 * 15, "the batch's tokens are counted");
    let lines = st.lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(lines[0]["url"], "/v1/chat/completions");
    assert_eq!(lines[0]["body"]["model"], "test-model");
    assert_eq!(lines[0]["body"]["response_format"]["type"], "json_schema");
    assert_eq!(lines[0]["custom_id"].as_str().unwrap().len(), 32);
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.contains(&"batch batch_1 submitted: 3 requests".to_owned()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"batch batch_3 submitted: 1 requests".to_owned()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"batch batch_2 in_progress: 0 of 3 answered, 0 failed".to_owned()),
        "{seen:?}"
    );
    assert!(
        seen.contains(
            &"batch batch_2 completed: 3 answers kept, 0 rows to ask again one by one".to_owned()
        ),
        "{seen:?}"
    );
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("cache").join(STATE_FILE)).unwrap())
            .unwrap();
    assert_eq!(state["submitted"], true);
    assert!(
        state["shards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["collected"] == true)
    );
}

#[tokio::test]
async fn a_partly_failed_batch_asks_the_failed_and_invalid_rows_one_by_one() {
    let server = BatchServer::start(BatchEnd::Completed, |id| match id {
        2 | 5 => LineReply::Error(500),
        4 => LineReply::Content("{\"name\": \"person4\"}"),
        id => LineReply::Answer(person(id)),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (rows, p) = run_batch(
        &server,
        dir.path(),
        6,
        with_events(dir.path(), &seen),
        batch_options(100),
    )
    .await;
    assert_eq!(ids(&rows), (0..6).collect::<Vec<_>>());
    assert!(
        rows.iter()
            .enumerate()
            .all(|(i, r)| name(r) == format!("person{i}")),
        "{rows:?}"
    );
    let mut asked = server.state.asked.lock().unwrap().clone();
    asked.sort();
    assert_eq!(
        asked,
        [2, 4, 5],
        "the failed and the invalid rows, once each"
    );
    assert_eq!(
        (p.batch_answers, p.requests, p.rows_done, p.rows_failed),
        (3, 3, 6, 0)
    );
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.contains(
            &"batch batch_1 completed: 3 answers kept, 3 rows to ask again one by one (errors: 2 HTTP 500)"
                .to_owned()
        ),
        "{seen:?}"
    );
}

#[tokio::test]
async fn an_expired_batch_keeps_what_it_answered_and_asks_the_rest() {
    let server = BatchServer::start(BatchEnd::Expired, |id| {
        if id < 3 {
            LineReply::Answer(person(id))
        } else {
            LineReply::NotRun
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (rows, _) = run_batch(
        &server,
        dir.path(),
        5,
        with_events(dir.path(), &seen),
        batch_options(100),
    )
    .await;
    assert_eq!(ids(&rows), [0, 1, 2, 3, 4]);
    assert_eq!(name(&rows[4]), "person4");
    assert_eq!(*server.state.asked.lock().unwrap(), [3, 4]);
    assert!(
        seen.lock().unwrap().contains(
            &"batch batch_1 expired: 3 answers kept, 2 rows to ask again one by one (errors: 2 batch_expired)"
                .to_owned()
        ),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_failed_batch_stops_the_run_with_the_servers_reasons() {
    let errors = json!({"object": "list", "data": [
        {"code": "invalid_json_line", "line": 2, "message": "This line is not parseable as valid JSON.", "param": null}
    ]});
    let server =
        BatchServer::start(BatchEnd::Failed(errors), |id| LineReply::Answer(person(id))).await;
    let dir = tempfile::tempdir().unwrap();
    let result = enrich_batch(
        input(dir.path(), 3).await,
        provider(&server),
        schema(),
        options().cache_dir(dir.path().join("cache")),
        batch_options(100),
    )
    .await;
    let error = result
        .err()
        .expect("a failed batch is an error")
        .to_string();
    assert_eq!(
        error,
        "enrichment: batch: batch batch_1 failed: line 2: This line is not parseable as valid JSON. (invalid_json_line)"
    );
    assert_eq!(
        server.state.chats.load(SeqCst),
        0,
        "nothing asked one by one"
    );
}

#[tokio::test]
async fn a_crashed_run_resumes_without_submitting_or_paying_again() {
    let server = BatchServer::start(BatchEnd::Never, |id| LineReply::Answer(person(id))).await;
    let dir = tempfile::tempdir().unwrap();
    let opts = || options().cache_dir(dir.path().join("cache"));
    // The first run submits its two shards, then waits; it is killed while it waits.
    let first = tokio::time::timeout(
        Duration::from_millis(300),
        enrich_batch(
            input(dir.path(), 4).await,
            provider(&server),
            schema(),
            opts(),
            batch_options(2),
        ),
    )
    .await;
    assert!(first.is_err(), "still waiting for the batches");
    assert_eq!(server.state.creates.load(SeqCst), 2);

    // Started again without resuming: refused, so nothing is paid for twice.
    let again = enrich_batch(
        input(dir.path(), 4).await,
        provider(&server),
        schema(),
        opts(),
        batch_options(2),
    )
    .await
    .err()
    .expect("a run under way is not started over")
    .to_string();
    assert!(
        again.contains("a batch run is under way here (batches batch_1, batch_2); resume it"),
        "{again}"
    );
    // Resumed with other arguments: refused too.
    let other = enrich_batch(
        input(dir.path(), 4).await,
        provider(&server),
        schema(),
        opts().prompt("other {id} {text}"),
        BatchOptions {
            resume: true,
            ..batch_options(2)
        },
    )
    .await
    .err()
    .expect("other arguments are refused")
    .to_string();
    assert!(other.contains("made with other arguments"), "{other}");

    // Resumed: the same batches are polled to their end, nothing is submitted again.
    *server.state.end.lock().unwrap() = BatchEnd::Completed;
    let stage = enrich_batch(
        input(dir.path(), 4).await,
        provider(&server),
        schema(),
        opts(),
        BatchOptions {
            resume: true,
            ..batch_options(2)
        },
    )
    .await
    .unwrap();
    let rows = drain(stage).await;
    assert_eq!(ids(&rows), [0, 1, 2, 3]);
    assert_eq!(name(&rows[3]), "person3");
    let st = &server.state;
    assert_eq!(
        (
            st.uploads.load(SeqCst),
            st.creates.load(SeqCst),
            st.chats.load(SeqCst)
        ),
        (2, 2, 0)
    );

    // A finished run leaves nothing under way: the next run starts, and pays nothing.
    let stage = enrich_batch(
        input(dir.path(), 4).await,
        provider(&server),
        schema(),
        opts(),
        batch_options(2),
    )
    .await
    .unwrap();
    let p = stage.stats();
    assert_eq!(drain(stage).await.len(), 4);
    assert_eq!(p.snapshot().cache_hits, 4);
    assert_eq!(st.creates.load(SeqCst), 2);
}

#[tokio::test]
async fn rows_the_cache_answered_and_repeated_rows_are_not_sent() {
    let server = BatchServer::start(BatchEnd::Completed, |id| LineReply::Answer(person(id))).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // Rows 0 and 1 were answered by an earlier run one by one.
    let earlier = iterable_enrich::enrich(
        Rows::new(2),
        provider(&server),
        schema(),
        options().cache_dir(&cache),
    )
    .unwrap();
    assert_eq!(drain(earlier).await.len(), 2);
    // The input: rows 0..4, then row 3 again.
    let path = dir.path().join("rows.jsonl");
    let text: String = [0u64, 1, 2, 3, 3]
        .iter()
        .map(|i| format!("{}\n", json!({"id": i, "text": format!("row {i}")})))
        .collect();
    std::fs::write(&path, text).unwrap();
    let src = iterable::aopen_iterable(path.to_str().unwrap())
        .await
        .unwrap();
    let stage = enrich_batch(
        src,
        provider(&server),
        schema(),
        options().cache_dir(&cache),
        batch_options(100),
    )
    .await
    .unwrap();
    let rows = drain(stage).await;
    assert_eq!(ids(&rows), [0, 1, 2, 3, 3]);
    assert_eq!(name(&rows[4]), "person3");
    let sent: Vec<u64> = server
        .state
        .lines
        .lock()
        .unwrap()
        .iter()
        .map(|l| {
            let prompt = l["body"]["messages"][1]["content"]
                .as_str()
                .unwrap()
                .to_owned();
            prompt[3..4].parse().unwrap()
        })
        .collect();
    assert_eq!(sent, [2, 3], "only the rows no run answered, once each");
}

#[tokio::test]
async fn an_input_that_cannot_rewind_is_refused_before_anything_is_sent() {
    let server = BatchServer::start(BatchEnd::Completed, |id| LineReply::Answer(person(id))).await;
    let dir = tempfile::tempdir().unwrap();
    let error = enrich_batch(
        Rows::new(3),
        provider(&server),
        schema(),
        options().cache_dir(dir.path()),
        batch_options(100),
    )
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(
        error.contains("a batch run reads its input twice, and this one cannot be rewound"),
        "{error}"
    );
    assert_eq!(server.state.uploads.load(SeqCst), 0);
    let no_cache = enrich_batch(
        Rows::new(3),
        provider(&server),
        schema(),
        options(),
        batch_options(100),
    )
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(no_cache.contains("set cache_dir (--cache)"), "{no_cache}");
}

#[tokio::test]
async fn shards_are_cut_at_the_byte_limit_and_a_request_over_it_is_an_error() {
    let server = BatchServer::start(BatchEnd::Completed, |id| LineReply::Answer(person(id))).await;
    let dir = tempfile::tempdir().unwrap();
    let line_bytes = {
        // One request line's size: a run of one row, then its line as uploaded.
        let stage = enrich_batch(
            input(dir.path(), 1).await,
            provider(&server),
            schema(),
            options().cache_dir(dir.path().join("probe")),
            batch_options(100),
        )
        .await
        .unwrap();
        drain(stage).await;
        server.state.lines.lock().unwrap()[0].to_string().len() + 1
    };
    let uploads_before = server.state.uploads.load(SeqCst);
    // Room for two lines a file (the lines differ by a digit at most here).
    let two = BatchOptions {
        max_bytes: 2 * line_bytes + 2,
        ..batch_options(100)
    };
    let stage = enrich_batch(
        input(dir.path(), 5).await,
        provider(&server),
        schema(),
        options().cache_dir(dir.path().join("cache")),
        two,
    )
    .await
    .unwrap();
    assert_eq!(ids(&drain(stage).await), [0, 1, 2, 3, 4]);
    assert_eq!(
        server.state.uploads.load(SeqCst) - uploads_before,
        3,
        "2 + 2 + 1"
    );
    let too_small = BatchOptions {
        max_bytes: 100,
        ..batch_options(100)
    };
    let error = enrich_batch(
        input(dir.path(), 5).await,
        provider(&server),
        schema(),
        options().cache_dir(dir.path().join("other")),
        too_small,
    )
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(
        error.contains("row 1: its request is ")
            && error.contains("more than a batch file may hold (100)"),
        "{error}"
    );
}

#[tokio::test]
async fn a_long_text_goes_to_the_batch_a_request_a_piece() {
    let server = BatchServer::start(BatchEnd::Completed, |id| LineReply::Answer(person(id))).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docs.jsonl");
    let long = (1..=3)
        .map(|i| format!("Paragraph {i} of the report, some sixty bytes long."))
        .collect::<Vec<_>>()
        .join("\n\n");
    std::fs::write(
        &path,
        format!(
            "{}\n{}\n",
            json!({"id": 0, "text": long}),
            json!({"id": 1, "text": "short"})
        ),
    )
    .unwrap();
    let src = iterable::aopen_iterable(path.to_str().unwrap())
        .await
        .unwrap();
    let opts = options()
        .cache_dir(dir.path().join("cache"))
        .chunking(iterable_enrich::Chunking::new(20));
    let stage = enrich_batch(src, provider(&server), schema(), opts, batch_options(100))
        .await
        .unwrap();
    let rows = drain(stage).await;
    assert_eq!(ids(&rows), [0, 1]);
    assert_eq!(name(&rows[0]), "person0");
    let st = &server.state;
    // A request for each of the three pieces, and one for row 1.
    let lines = st.lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 4);
    assert!(
        lines[1]["body"]["messages"][1]["content"]
            .as_str()
            .unwrap()
            .ends_with("Paragraph 2 of the report, some sixty bytes long."),
        "{lines:#?}"
    );
    assert_eq!(st.chats.load(SeqCst), 0, "nothing asked one by one");
}
