//! `apipeline` stages over real files: what comes out, row by row and in bulk, errors
//! by the stage's policy, triggers, and a sink that publishes only a whole output.

use crate::servers;

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use iterable::{
    Error, ErrorPolicy, IterableOptions, Row, Value, aopen_iterable, apipeline, from_rows, row,
};
use iterable_tests::{collect, write_all};

fn people(n: i64) -> Vec<Row> {
    (0..n)
        .map(|i| row! { "id" => i, "name" => format!("p{i}"), "city" => if i % 3 == 0 { "Oslo" } else { "Rome" } })
        .collect()
}

fn id(row: &Row) -> i64 {
    row.get("id").and_then(Value::as_i64).unwrap()
}

/// A compressed file through filter, map, rename and select into Parquet: exactly the
/// rows asked for, and the sink's count.
#[tokio::test]
async fn stages_over_a_file_into_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.jsonl.gz");
    let input = input.to_str().unwrap();
    write_all(input, &IterableOptions::write(), &people(10_000))
        .await
        .unwrap();
    let output = dir.path().join("oslo.parquet");
    let output = output.to_str().unwrap();

    let written = apipeline(aopen_iterable(input).await.unwrap())
        .filter(|r| r.get("city") == Some(&Value::from("Oslo")))
        .map(|mut r| {
            let doubled = id(&r) * 2;
            r.insert("double", doubled);
            r
        })
        .rename("name", "who")
        .select(["who", "double"])
        .sink(IterableOptions::write().open(output).await.unwrap())
        .await
        .unwrap();
    assert_eq!(written, 3334);
    let back = collect(aopen_iterable(output).await.unwrap())
        .await
        .unwrap();
    assert_eq!(back.len(), 3334);
    assert_eq!(back[0], row! { "who" => "p0", "double" => 0 });
    assert_eq!(back[3333], row! { "who" => "p9999", "double" => 19998 });
}

/// Read row by row (as a stream) or in bulk, a pipeline gives the same rows.
#[tokio::test]
async fn a_pipeline_reads_the_same_as_a_stream_and_in_bulk() {
    let build = || {
        apipeline(from_rows("mem", people(1000)))
            .flat_map(|r| {
                let n = id(&r) % 3;
                (0..n).map(move |k| {
                    let mut r = r.clone();
                    r.insert("k", k);
                    r
                })
            })
            .skip(5)
            .take(400)
    };
    let bulk = build().collect().await.unwrap();
    let mut stream = build().into_iterable();
    let mut one_by_one = Vec::new();
    while let Some(row) = stream.next().await {
        one_by_one.push(row.unwrap());
    }
    assert_eq!(bulk.len(), 400);
    assert_eq!(bulk, one_by_one);
    // (id, k): (1, 0) (2, 0) (2, 1) (4, 0) (5, 0) (5, 1) ... (id % 3 copies each); the
    // first five skipped.
    assert_eq!(
        bulk[0],
        row! { "id" => 5, "name" => "p5", "city" => "Rome", "k" => 1 }
    );
    assert_eq!(build().count().await.unwrap(), 400);
}

/// `take` stops reading its source: the rows after it are not read.
#[tokio::test]
async fn take_stops_reading_the_source() {
    let seen = Arc::new(Mutex::new(0u64));
    let counter = seen.clone();
    let first = apipeline(from_rows("mem", people(100_000)))
        .inspect(move |_| *counter.lock().unwrap() += 1)
        .take(3)
        .collect()
        .await
        .unwrap();
    assert_eq!(first.iter().map(id).collect::<Vec<_>>(), [0, 1, 2]);
    let read = *seen.lock().unwrap();
    assert!(read < 10_000, "read {read} rows for 3");
}

/// A failing `try_map` ends the pipeline with an error naming the row, or, skipping,
/// drops the row and counts it.
#[tokio::test]
async fn try_map_errors_fail_or_are_skipped_and_counted() {
    let check = |r: Row| -> iterable::Result<Row> {
        if id(&r) % 4 == 3 {
            Err(Error::InvalidOption(format!("id {} is odd", id(&r))))
        } else {
            Ok(r)
        }
    };
    let mut failing = apipeline(from_rows("mem", people(10)))
        .try_map(ErrorPolicy::Fail, check)
        .into_iterable();
    let mut got = Vec::new();
    let mut errors = Vec::new();
    while let Some(item) = failing.next().await {
        match item {
            Ok(r) => got.push(id(&r)),
            Err(e) => errors.push(e.to_string()),
        }
    }
    assert_eq!(got, [0, 1, 2]);
    assert_eq!(errors, ["mem: row 4: try_map: invalid option: id 3 is odd"]);

    let mut skipping = apipeline(from_rows("mem", people(10)))
        .try_map(ErrorPolicy::Skip, check)
        .into_iterable();
    let rows = skipping.aread_bulk(100).await.unwrap();
    assert_eq!(
        rows.iter().map(id).collect::<Vec<_>>(),
        [0, 1, 2, 4, 5, 6, 8, 9]
    );
    assert_eq!(skipping.progress().skipped, 2);
    assert_eq!(skipping.progress().rows, 8);
}

/// `every` fires each N rows and once for the rest; `on_finish` gets the counts.
#[tokio::test]
async fn triggers_fire_every_n_rows_and_at_the_end() {
    let fired = Arc::new(Mutex::new(Vec::new()));
    let log = fired.clone();
    let finished = Arc::new(Mutex::new(None));
    let done = finished.clone();
    let n = apipeline(from_rows("mem", people(7)))
        .every(3, move |passed| log.lock().unwrap().push(passed))
        .on_finish(move |p| *done.lock().unwrap() = Some(p.rows))
        .count()
        .await
        .unwrap();
    assert_eq!(n, 7);
    assert_eq!(*fired.lock().unwrap(), [3, 6, 7]);
    assert_eq!(*finished.lock().unwrap(), Some(7));
}

/// An input that fails mid-way fails the sink, and the output is not published.
#[tokio::test]
async fn a_failing_source_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.jsonl.gz");
    write_all(
        whole.to_str().unwrap(),
        &IterableOptions::write(),
        &people(50_000),
    )
    .await
    .unwrap();
    let bytes = std::fs::read(&whole).unwrap();
    std::fs::remove_file(&whole).unwrap();
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let output = dir.path().join("out.csv");
    let err = apipeline(aopen_iterable(cut.to_str().unwrap()).await.unwrap())
        .map(|r| r)
        .sink(
            IterableOptions::write()
                .open(output.to_str().unwrap())
                .await
                .unwrap(),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("cut.jsonl.gz"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["cut.jsonl.gz"]);
}

/// `map_concurrent` runs at most `limit` calls at once; ordered, the rows keep their
/// order however the calls finish; unordered, a slow call does not hold the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_concurrent_is_bounded_and_ordered_or_not() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    // Earlier rows take longer (`step` ms more for each row before): they finish last.
    let call = |step: u64| {
        let (running, most) = (running.clone(), most.clone());
        move |mut r: Row| {
            let (running, most) = (running.clone(), most.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let wait = (10 - (id(&r) % 10) as u64) * step;
                tokio::time::sleep(Duration::from_millis(wait)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                let id = id(&r);
                r.insert("square", id * id);
                Ok(r)
            }
        }
    };
    let ordered = apipeline(from_rows("mem", people(40)))
        .map_concurrent(4, ErrorPolicy::Fail, call(3))
        .collect()
        .await
        .unwrap();
    assert_eq!(
        ordered.iter().map(id).collect::<Vec<_>>(),
        (0..40).collect::<Vec<_>>()
    );
    assert_eq!(ordered[7].get("square"), Some(&Value::Int(49)));
    assert_eq!(most.load(Ordering::SeqCst), 4);

    most.store(0, Ordering::SeqCst);
    let unordered = apipeline(from_rows("mem", people(10)))
        .map_concurrent_unordered(10, ErrorPolicy::Fail, call(40))
        .collect()
        .await
        .unwrap();
    let ids: Vec<i64> = unordered.iter().map(id).collect();
    assert_eq!(ids, (0..10).rev().collect::<Vec<_>>(), "the fastest first");
    assert_eq!(most.load(Ordering::SeqCst), 10);
}

/// A failed call ends the pipeline with an error naming its row (after the rows before
/// it), or is skipped and counted.
#[tokio::test]
async fn map_concurrent_errors_fail_or_are_skipped() {
    let call = |r: Row| async move {
        if id(&r) == 5 {
            Err(Error::InvalidOption("no fives".into()))
        } else {
            Ok(r)
        }
    };
    let mut failing = apipeline(from_rows("mem", people(10)))
        .map_concurrent(3, ErrorPolicy::Fail, call)
        .into_iterable();
    let first = failing.aread_bulk(100).await.unwrap();
    assert_eq!(first.iter().map(id).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    let err = failing.aread_bulk(100).await.unwrap_err().to_string();
    assert_eq!(err, "mem: row 6: map_concurrent: invalid option: no fives");
    assert!(failing.aread_bulk(100).await.unwrap().is_empty());

    let mut skipping = apipeline(from_rows("mem", people(10)))
        .map_concurrent(3, ErrorPolicy::Skip, call)
        .into_iterable();
    assert_eq!(skipping.aread_bulk(100).await.unwrap().len(), 9);
    assert_eq!(skipping.progress().skipped, 1);
}

/// `batch` hands `f` full batches and the short last one; `fold` sees every row.
#[tokio::test]
async fn batches_of_n_and_a_fold() {
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let log = sizes.clone();
    let total = apipeline(from_rows("mem", people(10)))
        .batch(4, move |rows| {
            log.lock().unwrap().push(rows.len());
            // Keep the first of each batch only.
            Ok(rows.into_iter().take(1).collect())
        })
        .fold(Vec::new(), |mut ids, r| {
            ids.push(id(&r));
            ids
        })
        .await
        .unwrap();
    assert_eq!(*sizes.lock().unwrap(), [4, 4, 2]);
    assert_eq!(total, [0, 4, 8]);

    let err = apipeline(from_rows("mem", people(10)))
        .batch(4, |rows| {
            if id(&rows[0]) == 4 {
                Err(Error::InvalidOption("bad batch".into()))
            } else {
                Ok(rows)
            }
        })
        .count()
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(err, "mem: row 8: batch 2: invalid option: bad batch");
}

/// Under the dead-letter policy a failed row is skipped and written, as JSON with its
/// number and the error, to the dead-letter file; `try_map` and `map_concurrent` alike.
#[tokio::test]
async fn failed_rows_go_to_the_dead_letter_file() {
    let dir = tempfile::tempdir().unwrap();
    let letters = dir.path().join("bad.jsonl");
    let policy = ErrorPolicy::DeadLetter(letters.to_str().unwrap().to_owned());
    let mut out = apipeline(from_rows("mem", people(6)))
        .try_map(policy.clone(), |r| {
            if id(&r) == 2 {
                Err(Error::InvalidOption("two is bad".into()))
            } else {
                Ok(r)
            }
        })
        .map_concurrent(2, policy, |r| async move {
            if id(&r) == 4 {
                Err(Error::InvalidOption("four is worse".into()))
            } else {
                Ok(r)
            }
        })
        .into_iterable();
    let rows = out.aread_bulk(100).await.unwrap();
    assert_eq!(rows.iter().map(id).collect::<Vec<_>>(), [0, 1, 3, 5]);
    assert!(out.aread_bulk(100).await.unwrap().is_empty());
    assert_eq!(out.progress().skipped, 2);
    drop(out);
    let text = std::fs::read_to_string(&letters).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["record"], 3);
    assert_eq!(lines[0]["error"], "try_map: invalid option: two is bad");
    assert!(
        lines[0]["raw"].as_str().unwrap().contains("\"id\":2"),
        "{text}"
    );
    assert_eq!(lines[1]["record"], 4);
    assert_eq!(
        lines[1]["error"],
        "map_concurrent: invalid option: four is worse"
    );
}

/// Dropping a pipeline that sinks into a file, mid-way, leaves no output and no
/// temporary file.
#[tokio::test]
async fn a_dropped_sink_leaves_no_file() {
    let server = servers::http::HttpServer::start().await;
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!("{{\"id\":{i}}}\n"));
    }
    let half = body.len() / 2;
    server.put("rows.jsonl", body);
    let gate = server.hold_after("rows.jsonl", half);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.csv.gz");
    let src = aopen_iterable(&server.url("rows.jsonl")).await.unwrap();
    let dst = IterableOptions::write()
        .open(output.to_str().unwrap())
        .await
        .unwrap();
    let mut sinking = Box::pin(apipeline(src).map(|r| r).sink(dst));
    tokio::select! {
        done = &mut sinking => panic!("the held input finished: {done:?}"),
        _ = tokio::time::sleep(std::time::Duration::from_millis(300)) => {}
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "a temporary file"
    );
    drop(sinking);
    gate.open();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
