//! Resumable runs against a real server: with a cache, a re-run with the same
//! arguments pays only for the rows that had not finished; a row whose answer failed
//! for good is passed on failed (unpaid) until failed rows are retried; a row that
//! failed on the way (a server error, a timeout) is asked again; an invalid answer is
//! never replayed as if it were an answer.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use common::{
    Call, Reply, Rows, Server, error_of, ids, options, person, provider, run_rows, schema,
};
use futures::StreamExt;
use iterable_enrich::{JOURNAL_FILE, enrich};

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn an_interrupted_run_resumed_pays_only_for_the_rows_not_finished() {
    let server = Server::start(|c: &Call| Reply::answer(person(c.id()))).await;
    let dir = tempfile::tempdir().unwrap();
    let opts = || options().cache_dir(dir.path()).concurrency(2);
    // The first run is stopped after three rows (the process killed, in effect).
    {
        let stage = enrich(Rows::new(10), provider(&server, T), schema(), opts()).unwrap();
        let first: Vec<_> = stage.take(3).collect().await;
        assert_eq!(first.len(), 3);
    }
    let paid_before = server.counters.requests();
    let (rows, stats) = run_rows(&server, 10, opts()).await;
    assert_eq!(ids(&rows), (0..10).collect::<Vec<_>>());
    assert_eq!(rows[9].as_ref().unwrap()["name"].as_str(), Some("person9"));
    assert_eq!(stats.requests + stats.cache_hits, 10, "{stats:?}");
    assert!(
        stats.cache_hits >= 3,
        "every row handed out is replayed: {stats:?}"
    );
    // Only a request still in flight when the run stopped can be paid twice.
    assert!(
        paid_before - stats.cache_hits <= 2,
        "{paid_before} {stats:?}"
    );
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "one journal file for all the rows");
}

#[tokio::test]
async fn a_row_whose_answer_failed_is_kept_failed_until_failed_rows_are_retried() {
    // Rows 1 and 3 get a cut answer until the server is "fixed".
    let fixed = Arc::new(AtomicBool::new(false));
    let now_fixed = fixed.clone();
    let server = Server::start(move |c: &Call| {
        if !now_fixed.load(SeqCst) && c.id() % 2 == 1 {
            Reply::content("{\"name\":", "length")
        } else {
            Reply::answer(person(c.id()))
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let opts = || options().cache_dir(dir.path());

    let (first, s1) = run_rows(&server, 4, opts()).await;
    assert_eq!((s1.rows_done, s1.rows_failed, s1.requests), (2, 2, 4));
    assert!(error_of(&first[1]).starts_with("the answer was cut"));

    fixed.store(true, SeqCst);
    // A plain re-run pays nothing: the answered rows and the failed ones are kept.
    let (second, s2) = run_rows(&server, 4, opts()).await;
    assert_eq!(server.counters.requests(), 4);
    assert_eq!(
        (
            s2.requests,
            s2.cache_hits,
            s2.failures_replayed,
            s2.rows_failed
        ),
        (0, 2, 2, 2)
    );
    assert_eq!(
        error_of(&second[3]),
        "the answer was cut at the token limit (finish_reason: length); raise max_tokens \
         (an earlier run's failure, kept in the cache; retry failed rows to ask again)"
    );
    assert_eq!(second[0], first[0], "an answered row comes back the same");

    // Retrying the failed rows asks those two only.
    let (third, s3) = run_rows(&server, 4, opts().retry_failed(true)).await;
    assert_eq!((s3.requests, s3.cache_hits, s3.rows_failed), (2, 2, 0));
    assert_eq!(server.counters.requests(), 6);
    assert_eq!(third[3].as_ref().unwrap()["name"].as_str(), Some("person3"));
    // And their answers are kept in turn.
    let (fourth, s4) = run_rows(&server, 4, opts()).await;
    assert_eq!((s4.requests, s4.cache_hits), (0, 4));
    assert_eq!(fourth, third);
}

#[tokio::test]
async fn an_invalid_answer_is_never_replayed_as_an_answer() {
    let good = Arc::new(AtomicBool::new(false));
    let now_good = good.clone();
    let server = Server::start(move |c: &Call| {
        if now_good.load(SeqCst) {
            Reply::answer(person(c.id()))
        } else {
            Reply::content("not json", "stop")
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let opts = || options().cache_dir(dir.path()).max_reasks(1);
    let (first, _) = run_rows(&server, 1, opts()).await;
    assert!(
        error_of(&first[0]).starts_with("invalid answer after 2 attempt(s)"),
        "{first:?}"
    );
    assert_eq!(server.counters.requests(), 2);
    good.store(true, SeqCst);
    let (second, _) = run_rows(&server, 1, opts()).await;
    assert!(
        error_of(&second[0]).starts_with("invalid answer after 2 attempt(s)")
            && error_of(&second[0]).contains("an earlier run's failure"),
        "{second:?}"
    );
    assert_eq!(
        server.counters.requests(),
        2,
        "a kept failure costs nothing"
    );
    let (third, _) = run_rows(&server, 1, opts().retry_failed(true)).await;
    assert_eq!(third[0].as_ref().unwrap()["name"].as_str(), Some("person0"));
    assert_eq!(server.counters.requests(), 3, "asked again, once");
}

#[tokio::test]
async fn a_row_that_failed_on_the_way_is_asked_again_by_a_plain_rerun() {
    let up = Arc::new(AtomicBool::new(false));
    let now_up = up.clone();
    let server = Server::start(move |c: &Call| {
        if now_up.load(SeqCst) {
            Reply::answer(person(c.id()))
        } else {
            Reply::error(503, "overloaded", "try later")
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let opts = || {
        options()
            .cache_dir(dir.path())
            .retry(iterable_enrich::RetryPolicy {
                max_retries: 0,
                ..Default::default()
            })
    };
    let (first, s1) = run_rows(&server, 2, opts()).await;
    assert_eq!(s1.rows_failed, 2);
    assert!(error_of(&first[0]).starts_with("HTTP 503"), "{first:?}");
    up.store(true, SeqCst);
    let (second, s2) = run_rows(&server, 2, opts()).await;
    assert_eq!((s2.rows_done, s2.requests, s2.failures_replayed), (2, 2, 0));
    assert_eq!(ids(&second), [0, 1]);
}

#[tokio::test]
async fn failures_kept_from_an_earlier_run_do_not_stop_the_stage() {
    let server = Server::start(|_: &Call| Reply::refusal("I cannot help with that.")).await;
    let dir = tempfile::tempdir().unwrap();
    // Six refusals: the first run lets them through, the second replays them with the
    // default rule (stop when the first five rows fail the same way) in force.
    let (_, s1) = run_rows(&server, 6, options().cache_dir(dir.path()).fail_fast(0)).await;
    assert_eq!(s1.rows_failed, 6);
    let (rows, s2) = run_rows(&server, 6, options().cache_dir(dir.path())).await;
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert!(rows.iter().all(|r| r.is_ok()), "no stop: {rows:?}");
    assert_eq!((s2.requests, s2.failures_replayed), (0, 6));
    assert_eq!(server.counters.requests(), 6);
}

#[tokio::test]
async fn the_journal_is_one_line_a_finished_row() {
    let server = Server::start(|c: &Call| match c.id() {
        1 => Reply::refusal("no"),
        id => Reply::answer(person(id)),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    run_rows(&server, 3, options().cache_dir(dir.path())).await;
    let text = std::fs::read_to_string(dir.path().join(JOURNAL_FILE)).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let answers: Vec<_> = lines.iter().filter_map(|l| l.get("answer")).collect();
    assert_eq!(answers.len(), 2);
    assert!(answers.contains(&&person(2)));
    let failed: Vec<_> = lines.iter().filter_map(|l| l.get("failed")).collect();
    assert_eq!(failed, [&serde_json::json!("the model refused: no")]);
}
