//! `abulk_convert` over real files and an HTTP server on 127.0.0.1: outputs named by
//! patterns, failures kept to their file, bounded concurrency, and nothing left behind
//! by a dropped call.

use crate::servers;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use iterable::{
    Codec, ConvertOptions, Format, IterableOptions, ProgressEvery, Row, abulk_convert,
    aopen_iterable, row,
};
use iterable_tests::{collect, write_all};
use servers::http::HttpServer;

async fn read(location: &str) -> Vec<Row> {
    collect(aopen_iterable(location).await.unwrap())
        .await
        .unwrap_or_else(|e| panic!("{location}: {e}"))
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn month_rows(month: &str, n: usize) -> Vec<Row> {
    (0..n)
        .map(|i| row! { "month" => month, "i" => i.to_string() })
        .collect()
}

/// A glob and a plain path into Parquet by `{stem}`, and into a folder by the write
/// options' format and codec: each output holds its own input's rows, and the report
/// adds them up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_convert_to_outputs_named_by_the_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("in")).unwrap();
    for (month, n) in [("jan", 100), ("feb", 200), ("mar", 300)] {
        let path = root.join(format!("in/{month}.csv.gz"));
        write_all(
            path.to_str().unwrap(),
            &IterableOptions::write(),
            &month_rows(month, n),
        )
        .await
        .unwrap();
    }
    let apr = root.join("apr.jsonl");
    write_all(
        apr.to_str().unwrap(),
        &IterableOptions::write(),
        &month_rows("apr", 7),
    )
    .await
    .unwrap();

    let inputs = [
        root.join("in/*.csv.gz").to_string_lossy().into_owned(),
        apr.to_string_lossy().into_owned(),
    ];
    let pattern = root.join("out/{stem}.{ext}.parquet");
    let report = abulk_convert(&inputs, pattern.to_str().unwrap(), &ConvertOptions::new())
        .await
        .unwrap();
    assert!(report.all_ok(), "{report:?}");
    let outputs: Vec<&str> = report.files.iter().map(|f| f.output.as_str()).collect();
    let expected: Vec<String> = ["feb.csv.gz", "jan.csv.gz", "mar.csv.gz", "apr.jsonl"]
        .iter()
        .map(|n| {
            root.join(format!("out/{n}.parquet"))
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(outputs, expected);
    assert_eq!(report.rows_written(), 607);
    assert_eq!(report.rows_read(), 607);
    let feb = read(&expected[0]).await;
    assert_eq!(feb.len(), 200);
    // Text typed by column on its way into Parquet.
    assert_eq!(feb[5], row! { "month" => "feb", "i" => 5 });

    // Into a folder: the write options name the format and codec.
    let folder = root.join("csv");
    std::fs::create_dir(&folder).unwrap();
    let options = ConvertOptions::new()
        .write(
            IterableOptions::write()
                .format(Format::CSV)
                .codec(Codec::Zstd),
        )
        .concurrency(2);
    let report = abulk_convert(&inputs[..1], folder.to_str().unwrap(), &options)
        .await
        .unwrap();
    assert!(report.all_ok(), "{report:?}");
    assert_eq!(tree(&folder), ["feb.csv.zst", "jan.csv.zst", "mar.csv.zst"]);
    assert_eq!(
        read(folder.join("mar.csv.zst").to_str().unwrap()).await,
        month_rows("mar", 300)
    );
}

/// `{dir}` keeps the inputs' folders apart, made under the output as needed.
#[tokio::test]
async fn dir_in_the_pattern_keeps_same_named_files_apart() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for part in ["a", "b"] {
        std::fs::create_dir(root.join(part)).unwrap();
        let path = root.join(format!("{part}/x.jsonl"));
        write_all(
            path.to_str().unwrap(),
            &IterableOptions::write(),
            &month_rows(part, 3),
        )
        .await
        .unwrap();
    }
    let inputs = [
        root.join("a/x.jsonl").to_string_lossy().into_owned(),
        root.join("b/x.jsonl").to_string_lossy().into_owned(),
    ];
    // One name for both: refused before anything is written.
    let flat = root.join("out/{stem}.csv");
    let err = abulk_convert(&inputs, flat.to_str().unwrap(), &ConvertOptions::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("both map to") && err.contains("{dir}"),
        "{err}"
    );
    assert_eq!(tree(root), ["a/x.jsonl", "b/x.jsonl"]);

    let nested = "{dir}/converted/{stem}.csv";
    let report = abulk_convert(&inputs, nested, &ConvertOptions::new())
        .await
        .unwrap();
    assert!(report.all_ok(), "{report:?}");
    assert_eq!(
        tree(root),
        [
            "a/converted/x.csv",
            "a/x.jsonl",
            "b/converted/x.csv",
            "b/x.jsonl"
        ]
    );
}

/// A bad file fails alone: the others convert, its error names it, and its output is
/// not published.
#[tokio::test]
async fn a_failed_file_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (name, rows) in [("a", 5), ("c", 6)] {
        let path = root.join(format!("{name}.jsonl"));
        write_all(
            path.to_str().unwrap(),
            &IterableOptions::write(),
            &month_rows(name, rows),
        )
        .await
        .unwrap();
    }
    std::fs::write(root.join("b.jsonl"), "{\"month\":\"b\"}\n{oops\n").unwrap();
    let inputs = [root.join("*.jsonl").to_string_lossy().into_owned()];
    let pattern = root.join("out/{stem}.parquet");
    let report = abulk_convert(&inputs, pattern.to_str().unwrap(), &ConvertOptions::new())
        .await
        .unwrap();
    assert!(!report.all_ok());
    let failed: Vec<(String, String)> = report
        .failed()
        .map(|(f, e)| (f.input.clone(), e.to_string()))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].0.ends_with("b.jsonl"), "{failed:?}");
    assert!(
        failed[0].1.contains("b.jsonl") && failed[0].1.contains("line 2"),
        "{failed:?}"
    );
    assert_eq!(report.rows_written(), 11);
    assert_eq!(tree(&root.join("out")), ["a.parquet", "c.parquet"]);
}

/// At most `concurrency` files are open at a time: with two held by the server, the
/// third is not asked for until one of them finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_bounds_the_files_in_flight() {
    let server = HttpServer::start().await;
    let mut body = String::new();
    for i in 0..2000 {
        body.push_str(&format!("{{\"i\":{i}}}\n"));
    }
    for name in ["f1", "f2", "f3"] {
        server.put(&format!("{name}.jsonl"), body.clone());
    }
    let gate1 = server.hold_after("f1.jsonl", body.len() / 2);
    let gate2 = server.hold_after("f2.jsonl", body.len() / 2);
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = ["f1", "f2", "f3"]
        .iter()
        .map(|n| server.url(&format!("{n}.jsonl")))
        .collect();
    let pattern = dir.path().join("{stem}.csv").to_string_lossy().into_owned();
    let options = ConvertOptions::new().concurrency(2);
    let bulk = tokio::spawn(async move { abulk_convert(&inputs, &pattern, &options).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.requests("f1.jsonl"), 1);
    assert_eq!(server.requests("f2.jsonl"), 1);
    assert_eq!(server.requests("f3.jsonl"), 0, "a third file was opened");
    gate1.open();
    gate2.open();
    let report = bulk.await.unwrap().unwrap();
    assert!(report.all_ok(), "{report:?}");
    assert_eq!(report.rows_written(), 6000);
    assert_eq!(tree(dir.path()), ["f1.csv", "f2.csv", "f3.csv"]);
}

/// Dropping the call mid-way stops every file: no output, no temporary file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_bulk_conversion_leaves_no_files() {
    let server = HttpServer::start().await;
    let mut body = String::new();
    for i in 0..2000 {
        body.push_str(&format!("{{\"i\":{i}}}\n"));
    }
    let mut gates = Vec::new();
    for name in ["g1", "g2"] {
        server.put(&format!("{name}.jsonl"), body.clone());
        gates.push(server.hold_after(&format!("{name}.jsonl"), body.len() / 2));
    }
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = ["g1", "g2"]
        .iter()
        .map(|n| server.url(&format!("{n}.jsonl")))
        .collect();
    let pattern = dir
        .path()
        .join("{stem}.parquet")
        .to_string_lossy()
        .into_owned();
    // The schema from the first 100 rows, so that each output is open (its first
    // batch written) before its input is held.
    let options = ConvertOptions::new().write(IterableOptions::write().schema_scan_rows(100));
    let mut bulk = Box::pin(abulk_convert(&inputs, &pattern, &options));
    tokio::select! {
        done = &mut bulk => panic!("held inputs finished: {done:?}"),
        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
    }
    let during = tree(dir.path());
    assert_eq!(
        during.len(),
        2,
        "two temporary files while converting: {during:?}"
    );
    drop(bulk);
    for gate in &gates {
        gate.open();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(tree(dir.path()).is_empty(), "{:?}", tree(dir.path()));
}

/// Each file reports its own progress; the events name it.
#[tokio::test]
async fn progress_events_name_their_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, n) in [("p", 250), ("q", 120)] {
        let path = dir.path().join(format!("{name}.jsonl"));
        write_all(
            path.to_str().unwrap(),
            &IterableOptions::write(),
            &month_rows(name, n),
        )
        .await
        .unwrap();
    }
    let seen: Arc<Mutex<Vec<(String, u64, bool)>>> = Arc::default();
    let log = seen.clone();
    let options =
        ConvertOptions::new()
            .concurrency(1)
            .on_progress(ProgressEvery::Rows(100), move |p| {
                let file = p.location.rsplit('/').next().unwrap().to_owned();
                log.lock().unwrap().push((file, p.rows_read, p.done));
            });
    let inputs = [dir.path().join("*.jsonl").to_string_lossy().into_owned()];
    let pattern = dir.path().join("{stem}.csv").to_string_lossy().into_owned();
    abulk_convert(&inputs, &pattern, &options).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    let expected: Vec<(String, u64, bool)> = [
        ("p.jsonl", 100, false),
        ("p.jsonl", 200, false),
        ("p.jsonl", 250, true),
        ("q.jsonl", 100, false),
        ("q.jsonl", 120, true),
    ]
    .iter()
    .map(|(f, n, d)| (f.to_string(), *n, *d))
    .collect();
    assert_eq!(seen, expected);
}

/// A pattern with an unknown placeholder, or a plain file name, is refused up front.
#[tokio::test]
async fn unusable_outputs_are_refused_before_converting() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.jsonl");
    write_all(
        input.to_str().unwrap(),
        &IterableOptions::write(),
        &month_rows("a", 1),
    )
    .await
    .unwrap();
    let inputs = [input.to_string_lossy().into_owned()];
    for (output, expected) in [
        (
            "{base}.csv".to_owned(),
            "{base} in \"{base}.csv\" is not one of",
        ),
        (
            dir.path().join("one.csv").to_string_lossy().into_owned(),
            "is neither a pattern",
        ),
        (
            dir.path().to_string_lossy().into_owned(),
            "the write options must name a format",
        ),
    ] {
        let err = abulk_convert(&inputs, &output, &ConvertOptions::new())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{output}: {err}");
    }
    assert_eq!(tree(dir.path()), ["a.jsonl"]);
}
