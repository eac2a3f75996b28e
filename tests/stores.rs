//! Object store locations against real servers on 127.0.0.1: an S3-compatible server
//! (s3s over a folder, signed requests) and an HTTP file server with Range support.

use crate::servers;

use std::time::Duration;

use futures::StreamExt;
use iterable::{Error, IterableOptions, Row, row};
use iterable_tests::{collect, people_files, testdata};
use servers::http::HttpServer;
use servers::s3::S3Server;

async fn local_rows(name: &str) -> Vec<Row> {
    collect(iterable::aopen_iterable(&testdata(name)).await.unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_reads_every_format_in_every_codec() {
    let s3 = S3Server::start().await;
    for name in people_files() {
        s3.put_file(
            &format!("in/{name}"),
            &std::fs::read(testdata(&name)).unwrap(),
        );
        let src = s3
            .options(IterableOptions::read())
            .open(&s3.url(&format!("in/{name}")))
            .await;
        let src = src.unwrap_or_else(|e| panic!("{name}: {e}"));
        let rows = collect(src).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rows, local_rows(&name).await, "{name}");
        assert!(!rows.is_empty(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_reads_every_format_in_every_codec() {
    let http = HttpServer::start().await;
    for name in people_files() {
        http.put(&name, std::fs::read(testdata(&name)).unwrap());
        let src = iterable::aopen_iterable(&http.url(&name)).await;
        let src = src.unwrap_or_else(|e| panic!("{name}: {e}"));
        let total = src.progress().bytes_total;
        let rows = collect(src).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rows, local_rows(&name).await, "{name}");
        let size = std::fs::metadata(testdata(&name)).unwrap().len();
        assert_eq!(total, Some(size), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_archive_over_a_url_is_refused_with_a_reason() {
    let http = HttpServer::start().await;
    http.put(
        "people.csv.zip",
        std::fs::read(testdata("people.csv.zip")).unwrap(),
    );
    let err = iterable::aopen_iterable(&http.url("people.csv.zip"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("seekable"), "{err}");
}

/// S3 wants every part but the last to be at least 5 MiB (the test server checks).
const PART: usize = 5 << 20;

fn many_rows(n: usize) -> Vec<Row> {
    (0..n)
        .map(|i| row! { "id" => i as i64, "text" => format!("row {i} {}", "x".repeat(i % 50)) })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_write_then_read_back_in_several_parts() {
    let s3 = S3Server::start().await;
    let rows = many_rows(160_000);
    for key in ["out/rows.jsonl", "out/rows.csv.zst", "out/rows.json.gz"] {
        let url = s3.url(key);
        let mut dst = s3
            .options(IterableOptions::write())
            .part_size(PART)
            .open(&url)
            .await
            .unwrap();
        dst.awrite_bulk(&rows).await.unwrap();
        assert!(s3.object(key).is_none(), "{key} appeared before aclose");
        dst.aclose().await.unwrap();
        assert!(s3.object(key).is_some(), "{key}");
        let back = collect(
            s3.options(IterableOptions::read())
                .open(&url)
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        let back: Vec<serde_json::Value> = back
            .iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .collect();
        let want: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r).unwrap();
                if key.contains(".csv") {
                    // CSV holds text: the id comes back as a string.
                    v["id"] = serde_json::Value::String(v["id"].to_string());
                }
                v
            })
            .collect();
        assert_eq!(back, want, "{key}");
    }
    // 160k JSON lines are ~10 MB: more than one part went up.
    assert!(s3.object("out/rows.jsonl").unwrap().len() > PART + (1 << 20));
    assert!(s3.pending_parts().is_empty());
}

/// Waits (at most 10 s) for aborted uploads' parts to be cleaned up.
async fn no_pending_parts(s3: &S3Server) -> Vec<String> {
    for _ in 0..200 {
        if s3.pending_parts().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s3.pending_parts()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_s3_writer_leaves_no_object_and_aborts_its_upload() {
    let s3 = S3Server::start().await;
    let url = s3.url("out/dropped.jsonl");
    let mut dst = s3
        .options(IterableOptions::write())
        .part_size(PART)
        .open(&url)
        .await
        .unwrap();
    dst.awrite_bulk(&many_rows(160_000)).await.unwrap();
    // A first part reaches the server while rows are still being written.
    for _ in 0..200 {
        if !s3.pending_parts().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!s3.pending_parts().is_empty());
    drop(dst);
    assert_eq!(no_pending_parts(&s3).await, Vec::<String>::new());
    assert!(s3.object("out/dropped.jsonl").is_none());
    let err = s3
        .options(IterableOptions::read())
        .open(&url)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_part_fails_the_write_and_aborts_the_upload() {
    let s3 = S3Server::start().await;
    s3.fail_second_part();
    let url = s3.url("out/failed.jsonl");
    let mut dst = s3
        .options(IterableOptions::write())
        .part_size(PART)
        .open(&url)
        .await
        .unwrap();
    let written = dst.awrite_bulk(&many_rows(160_000)).await;
    let closed = dst.aclose().await;
    let err = written.and(closed).unwrap_err();
    assert!(err.to_string().contains("out/failed.jsonl"), "{err}");
    assert!(err.to_string().contains("upload"), "{err}");
    drop(dst);
    assert_eq!(no_pending_parts(&s3).await, Vec::<String>::new());
    assert!(s3.object("out/failed.jsonl").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_key_is_not_found_naming_the_url() {
    let s3 = S3Server::start().await;
    let url = s3.url("nope/missing.csv");
    let err = s3
        .options(IterableOptions::read())
        .open(&url)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { location } if *location == url),
        "{err}"
    );
    assert_eq!(err.to_string(), "s3://bucket/nope/missing.csv: not found");

    let http = HttpServer::start().await;
    let url = http.url("missing.jsonl");
    let err = iterable::aopen_iterable(&url).await.unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { location } if *location == url),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_503_twice_then_success_is_retried() {
    let http = HttpServer::start().await;
    http.put(
        "people.csv.gz",
        std::fs::read(testdata("people.csv.gz")).unwrap(),
    );
    http.fail_next("people.csv.gz", 2);
    let src = IterableOptions::read()
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .open(&http.url("people.csv.gz"))
        .await
        .unwrap();
    let rows = collect(src).await.unwrap();
    assert_eq!(rows, local_rows("people.csv.gz").await);
    assert_eq!(http.requests("people.csv.gz"), 3);

    // With retries off the same script fails, naming the URL.
    http.fail_next("people.csv.gz", 2);
    let err = IterableOptions::read()
        .max_retries(0)
        .open(&http.url("people.csv.gz"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err}");
    assert!(err.to_string().contains("people.csv.gz"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn areset_on_a_url_fetches_again() {
    let http = HttpServer::start().await;
    http.put(
        "people.jsonl.zst",
        std::fs::read(testdata("people.jsonl.zst")).unwrap(),
    );
    let mut src = iterable::aopen_iterable(&http.url("people.jsonl.zst"))
        .await
        .unwrap();
    let first: Vec<Row> = (&mut src).map(Result::unwrap).collect().await;
    assert_eq!(http.requests("people.jsonl.zst"), 1);
    src.areset().await.unwrap();
    let again: Vec<Row> = (&mut src).map(Result::unwrap).collect().await;
    assert_eq!(http.requests("people.jsonl.zst"), 2);
    assert_eq!(first, again);
    assert_eq!(first, local_rows("people.jsonl.zst").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_glob_and_prefix_read_every_file_with_its_location() {
    let s3 = S3Server::start().await;
    let files = [
        ("logs/2024/01/a.jsonl.zst", "people.jsonl.zst"),
        ("logs/2024/02/b.jsonl.gz", "people.jsonl.gz"),
        ("logs/2025/c.csv.xz", "people.csv.xz"),
        ("logs/readme.txt", "people.csv"),
        ("other/d.jsonl.zst", "people.jsonl.zst"),
    ];
    for (key, name) in files {
        s3.put_file(key, &std::fs::read(testdata(name)).unwrap());
    }
    let options = s3
        .options(IterableOptions::read())
        .location_column("source");
    let rows = collect(options.open(&s3.url("logs/**/*.jsonl.*")).await.unwrap())
        .await
        .unwrap();
    let jsonl = local_rows("people.jsonl").await;
    let sources: Vec<String> = rows.iter().map(|r| r["source"].to_string()).collect();
    let mut want = Vec::new();
    for key in ["logs/2024/01/a.jsonl.zst", "logs/2024/02/b.jsonl.gz"] {
        want.extend(std::iter::repeat_n(s3.url(key), jsonl.len()));
    }
    assert_eq!(sources, want);
    let without: Vec<Row> = rows
        .into_iter()
        .map(|mut r| {
            r.remove("source");
            r
        })
        .collect();
    assert_eq!(without, [jsonl.clone(), jsonl.clone()].concat());

    // A prefix: every object under it, in key order, each detected on its own.
    let rows = collect(
        s3.options(IterableOptions::read())
            .open(&s3.url("logs/2024/"))
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(rows, [jsonl.clone(), jsonl.clone()].concat());

    let err = s3
        .options(IterableOptions::read())
        .open(&s3.url("logs/**/*.parquet"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(
        err.to_string().contains("s3://bucket/logs/**/*.parquet"),
        "{err}"
    );
}

/// A Parquet object is read by ranged requests: the footer, then only the column
/// chunks asked for. The server counts the body bytes it sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parquet_over_http_fetches_only_the_ranges_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("rows.parquet");
    let local = local.to_str().unwrap();
    let rows = many_rows(20_000);
    let mut dst = IterableOptions::write().open(local).await.unwrap();
    dst.awrite_bulk(&rows).await.unwrap();
    dst.aclose().await.unwrap();
    let bytes = std::fs::read(local).unwrap();

    let http = HttpServer::start().await;
    http.put("rows.parquet", bytes.clone());
    let options = IterableOptions::read().columns(["id"]);
    let src = options.open(&http.url("rows.parquet")).await.unwrap();
    assert_eq!(src.info().format, iterable::Format::PARQUET);
    let got = collect(src).await.unwrap();
    let want = collect(options.open(local).await.unwrap()).await.unwrap();
    assert_eq!(got, want);
    assert_eq!(got.len(), rows.len());
    assert_eq!(got[7]["id"], iterable::Value::from(7i64));
    let served = http.bytes_served();
    assert!(
        served < bytes.len() as u64 / 2,
        "served {served} of {} bytes",
        bytes.len()
    );

    // Every column: the whole object's worth, read the same way.
    let all = collect(
        iterable::aopen_iterable(&http.url("rows.parquet"))
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        all,
        collect(iterable::aopen_iterable(local).await.unwrap())
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_urls_write_read_and_glob_within_the_process() {
    let rows = many_rows(50);
    for key in ["m/2024-01.jsonl.gz", "m/2024-02.csv", "m/other.jsonl"] {
        let url = format!("memory://mem-test/{key}");
        let mut dst = IterableOptions::write().open(&url).await.unwrap();
        dst.awrite_bulk(&rows).await.unwrap();
        dst.aclose().await.unwrap();
    }
    let back = collect(
        iterable::aopen_iterable("memory://mem-test/m/2024-01.jsonl.gz")
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(back, rows);
    let src = IterableOptions::read()
        .location_column("from")
        .open("memory://mem-test/m/2024-*")
        .await
        .unwrap();
    let got = collect(src).await.unwrap();
    let from: Vec<String> = got.iter().map(|r| r["from"].to_string()).collect();
    let mut want = vec!["memory://mem-test/m/2024-01.jsonl.gz".to_owned(); 50];
    want.extend(vec!["memory://mem-test/m/2024-02.csv".to_owned(); 50]);
    assert_eq!(from, want);
    let err = iterable::aopen_iterable("memory://mem-test/m/none.csv")
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "memory://mem-test/m/none.csv: not found");
}

/// Over a URL the async Parquet reader fetches a row group at a time: the rows of the
/// groups before a damaged one arrive, and the error names the group and its byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_parquet_row_group_over_http_is_named() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("groups.parquet");
    let options = IterableOptions::write().row_group_size(1000);
    let mut dst = options.open(local.to_str().unwrap()).await.unwrap();
    dst.awrite_bulk(&many_rows(3000)).await.unwrap();
    dst.aclose().await.unwrap();
    let footer = SerializedFileReader::new(std::fs::File::open(&local).unwrap()).unwrap();
    let start = footer.metadata().row_group(2).column(0).byte_range().0 as usize;
    let mut bytes = std::fs::read(&local).unwrap();
    bytes[start..start + 16].fill(0xff);

    let http = HttpServer::start().await;
    http.put("groups.parquet", bytes);
    let url = http.url("groups.parquet");
    let mut src = iterable::aopen_iterable(&url).await.unwrap();
    let mut read = 0;
    let error = loop {
        match src.next().await {
            Some(Ok(_)) => read += 1,
            Some(Err(e)) => break e.to_string(),
            None => panic!("a damaged row group is an error, not a short read"),
        }
    };
    assert_eq!(read, 2000);
    let expected = format!(
        "{url}: corrupt or truncated Parquet data in row group 2 (rows 2000..3000, from byte {start}): "
    );
    assert!(error.starts_with(&expected), "{error}");
}
