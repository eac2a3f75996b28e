//! Many files as one iterable: local globs and folders, lists of locations, the
//! location column, file order against rows as they arrive.

use crate::servers;

use futures::StreamExt;
use iterable::{Error, FileOrder, IterableOptions, Row, Value};
use iterable_tests::{collect, testdata};
use servers::http::HttpServer;

async fn local_rows(name: &str) -> Vec<Row> {
    collect(iterable::aopen_iterable(&testdata(name)).await.unwrap())
        .await
        .unwrap()
}

fn copy(dir: &std::path::Path, name: &str, as_name: &str) {
    std::fs::copy(testdata(name), dir.join(as_name)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_glob_reads_the_matching_files_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    copy(dir.path(), "people.csv.gz", "2024-02.csv.gz");
    copy(dir.path(), "people.csv.zst", "2024-01.csv.gz"); // zstd inside: detected by magic
    copy(dir.path(), "people.csv.gz", "2023-12.csv.gz");
    copy(dir.path(), "people.jsonl", "2024-03.jsonl");
    let d = dir.path().to_str().unwrap();
    let csv = local_rows("people.csv").await;

    let pattern = format!("{d}/2024-*.csv.gz");
    let src = IterableOptions::read()
        .location_column("file")
        .concurrency(1)
        .open(&pattern)
        .await
        .unwrap();
    assert_eq!(src.info().location, pattern);
    let rows = collect(src).await.unwrap();
    assert_eq!(rows.len(), 2 * csv.len());
    let files: Vec<String> = rows.iter().map(|r| r["file"].to_string()).collect();
    let mut want = vec![format!("{d}/2024-01.csv.gz"); csv.len()];
    want.extend(vec![format!("{d}/2024-02.csv.gz"); csv.len()]);
    assert_eq!(files, want);
    assert_eq!(
        rows[0].keys().collect::<Vec<_>>(),
        ["id", "name", "city", "note", "file"]
    );

    // A folder: every file in it, each format detected on its own.
    let rows = collect(iterable::aopen_iterable(d).await.unwrap())
        .await
        .unwrap();
    let jsonl = local_rows("people.jsonl").await;
    assert_eq!(
        rows,
        [csv.clone(), csv.clone(), csv.clone(), jsonl].concat()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_of_locations_reads_in_the_order_given() {
    let csv = local_rows("people.csv").await;
    let jsonl = local_rows("people.jsonl").await;
    let list = [testdata("people.jsonl.bz2"), testdata("people.csv.lz4")];
    let mut src = IterableOptions::read().open_many(&list).await.unwrap();
    let rows: Vec<Row> = (&mut src).map(Result::unwrap).collect().await;
    assert_eq!(rows, [jsonl.clone(), csv.clone()].concat());
    assert_eq!(src.progress().rows, rows.len() as u64);

    // areset starts over.
    src.areset().await.unwrap();
    let again: Vec<Row> = (&mut src).map(Result::unwrap).collect().await;
    assert_eq!(again, rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_among_many_is_an_error_naming_it_and_ends_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    copy(dir.path(), "people.jsonl", "a.jsonl");
    std::fs::write(dir.path().join("b.jsonl"), "{\"id\": 1}\n{not json\n").unwrap();
    copy(dir.path(), "people.jsonl", "c.jsonl");
    let d = dir.path().to_str().unwrap();
    let mut src = iterable::aopen_iterable(&format!("{d}/*.jsonl"))
        .await
        .unwrap();
    let mut ok = 0;
    let err = loop {
        match src.next().await {
            Some(Ok(_)) => ok += 1,
            Some(Err(e)) => break e,
            None => panic!("no error"),
        }
    };
    assert_eq!(ok, local_rows("people.jsonl").await.len() + 1);
    assert!(err.to_string().contains(&format!("{d}/b.jsonl")), "{err}");
    assert!(src.next().await.is_none());

    let missing = [testdata("people.csv"), testdata("no-such-file.csv")];
    let src = IterableOptions::read().open_many(&missing).await.unwrap();
    let err = collect(src).await.unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { location } if location.ends_with("no-such-file.csv")),
        "{err}"
    );
}

/// Two files over HTTP; the server holds the first one's body (after its first
/// bytes) until the test lets it go. In file order its rows still come first; as
/// rows arrive, the second file's rows come first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_order_or_rows_as_they_arrive() {
    let http = HttpServer::start().await;
    http.put("a.jsonl", std::fs::read(testdata("people.jsonl")).unwrap());
    http.put("b.csv", std::fs::read(testdata("people.csv")).unwrap());
    let list = [http.url("a.jsonl"), http.url("b.csv")];
    let (a, b) = (
        local_rows("people.jsonl").await,
        local_rows("people.csv").await,
    );

    // In file order: let a go only once b has been asked for (both are read at
    // once); a's rows still lead.
    let gate = http.hold("a.jsonl");
    let src = IterableOptions::read()
        .concurrency(2)
        .open_many(&list)
        .await
        .unwrap();
    assert_eq!(src.info().format, iterable::Format::JSONL);
    while http.requests("b.csv") == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    gate.open();
    assert_eq!(collect(src).await.unwrap(), [a.clone(), b.clone()].concat());

    // As rows arrive: with a held, every row of b comes out; then a's.
    let gate = http.hold("a.jsonl");
    let mut src = IterableOptions::read()
        .concurrency(2)
        .order(FileOrder::AsArrive)
        .location_column("from")
        .open_many(&list)
        .await
        .unwrap();
    let mut first = Vec::new();
    for _ in 0..b.len() {
        first.push(src.next().await.unwrap().unwrap());
    }
    assert!(
        first
            .iter()
            .all(|r| r["from"] == Value::from(list[1].as_str()))
    );
    gate.open();
    let rest = collect(src).await.unwrap();
    assert!(
        rest.iter()
            .all(|r| r["from"] == Value::from(list[0].as_str()))
    );
    let strip = |rows: Vec<Row>| -> Vec<Row> {
        rows.into_iter()
            .map(|mut r| {
                r.remove("from");
                r
            })
            .collect()
    };
    assert_eq!(strip(first), b);
    assert_eq!(strip(rest), a);
}

/// `aread_bulk` over a glob keeps the rows read before a corrupt file, under the fail
/// and the skip policies alike (a truncated file is not a bad record to skip), and
/// hands out the error on the next read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_reads_keep_the_rows_before_a_corrupt_file() {
    let dir = tempfile::tempdir().unwrap();
    copy(dir.path(), "people.csv.gz", "a.csv.gz");
    let whole = std::fs::read(testdata("people.csv.gz")).unwrap();
    std::fs::write(dir.path().join("b.csv.gz"), &whole[..whole.len() - 8]).unwrap();
    let first = local_rows("people.csv.gz").await;
    let pattern = format!("{}/*.csv.gz", dir.path().to_str().unwrap());
    for policy in [iterable::ErrorPolicy::Fail, iterable::ErrorPolicy::Skip] {
        let mut src = IterableOptions::read()
            .errors(policy.clone())
            .concurrency(1)
            .open(&pattern)
            .await
            .unwrap();
        let rows = src.aread_bulk(10_000).await.unwrap();
        assert_eq!(rows, first, "{policy:?}: the first file's rows");
        let err = src.aread_bulk(10_000).await.unwrap_err();
        assert!(err.to_string().contains("b.csv.gz"), "{policy:?}: {err}");
        assert!(
            src.aread_bulk(10).await.unwrap().is_empty(),
            "{policy:?}: ended"
        );
    }
}

/// A folder with links back into itself (`self -> .`, `up -> ..`) and out of itself:
/// by default no directory link is followed (the walk stays in the folder and ends);
/// with `follow_links` each real directory is walked once, so the loops still end.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_links_are_not_followed_by_default_and_loops_end_when_they_are() {
    use std::os::unix::fs::symlink;
    let outer = tempfile::tempdir().unwrap();
    let d = outer.path().join("d");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    copy(&d, "people.csv", "a.csv");
    copy(&d.join("sub"), "people.csv", "b.csv");
    let elsewhere = outer.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    copy(&elsewhere, "people.csv", "outside.csv");
    copy(outer.path(), "people.csv", "beside.csv");
    symlink(".", d.join("self")).unwrap();
    symlink("..", d.join("sub").join("back")).unwrap(); // to d: a loop
    symlink("../..", d.join("sub").join("up")).unwrap(); // to d's parent: out, and a loop
    symlink(&elsewhere, d.join("out")).unwrap();
    symlink(d.join("a.csv"), d.join("link.csv")).unwrap(); // a link to a file is read

    let people = local_rows("people.csv").await.len();
    let expand = |follow: bool| {
        let d = d.clone();
        async move {
            let mut files = iterable::FilesOptions::default();
            files.follow_links = follow;
            let found =
                iterable::bytes::expand_with(d.to_str().unwrap(), &Default::default(), &files)
                    .await
                    .unwrap();
            let base = format!("{}/", d.to_str().unwrap());
            found
                .iter()
                .map(|f| f.strip_prefix(&base).unwrap_or(f).to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(expand(false).await, ["a.csv", "link.csv", "sub/b.csv"]);
    let src = IterableOptions::read()
        .open(d.to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(collect(src).await.unwrap().len(), 3 * people);

    // Followed: `out` leads to elsewhere/, `sub/up` to d's parent (beside.csv; d and
    // elsewhere/ there were walked already); `self` and `sub/back` loop and are skipped.
    let followed = expand(true).await;
    assert_eq!(
        followed,
        [
            "a.csv",
            "link.csv",
            "out/outside.csv",
            "sub/b.csv",
            "sub/up/beside.csv"
        ]
    );
    let src = IterableOptions::read()
        .follow_links(true)
        .open(&format!("{}/**/*.csv", d.to_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(collect(src).await.unwrap().len(), 5 * people);
}
