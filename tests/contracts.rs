//! The contracts of the `AsyncIterable` trait, end to end through `aopen_iterable`:
//! rewinding, bulk reads, mode errors, error policies, errors that name their place,
//! and readers that move into tasks.

use futures::StreamExt;
use iterable::{
    AsyncIterable, BoxIterable, Error, ErrorPolicy, Format, IterableOptions, aopen_iterable, row,
};
use iterable_tests::{collect, testdata, write_all};

#[tokio::test]
async fn areset_gives_the_same_rows_again() {
    let mut src = aopen_iterable(&testdata("people.csv.gz")).await.unwrap();
    let first = src.aread().await.unwrap().unwrap();
    let _second = src.next().await.unwrap().unwrap();
    src.areset().await.unwrap();
    let again = collect_from(&mut src).await;
    assert_eq!(again.len(), 5);
    assert_eq!(again[0], first);
    assert_eq!(
        again,
        collect(aopen_iterable(&testdata("people.csv.gz")).await.unwrap())
            .await
            .unwrap()
    );
}

async fn collect_from(src: &mut BoxIterable) -> Vec<iterable::Row> {
    let mut rows = Vec::new();
    while let Some(row) = src.next().await {
        rows.push(row.unwrap());
    }
    rows
}

#[tokio::test]
async fn bulk_reads_equal_the_stream() {
    for name in ["people.csv.zst", "people.jsonl.bz2"] {
        let streamed = collect(aopen_iterable(&testdata(name)).await.unwrap())
            .await
            .unwrap();
        let mut src = aopen_iterable(&testdata(name)).await.unwrap();
        let mut bulk = Vec::new();
        loop {
            let batch = src.aread_bulk(2).await.unwrap();
            if batch.is_empty() {
                break;
            }
            assert!(batch.len() <= 2);
            bulk.extend(batch);
        }
        assert_eq!(bulk, streamed, "{name}");
        assert_eq!(src.aread().await.unwrap(), None);
        assert_eq!(src.progress().rows, streamed.len() as u64);
    }
}

#[tokio::test]
async fn writing_a_reader_and_reading_a_writer_are_unsupported() {
    let mut src = aopen_iterable(&testdata("people.csv")).await.unwrap();
    let err = src.awrite(&row! { "a" => 1 }).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("people.csv"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.jsonl");
    let mut dst = IterableOptions::write()
        .open(path.to_str().unwrap())
        .await
        .unwrap();
    let err = dst.next().await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(dst.next().await.is_none());
    dst.aclose().await.unwrap();
}

#[tokio::test]
async fn a_boxed_reader_moves_into_a_task() {
    let handles: Vec<_> = ["people.csv.gz", "people.jsonl.xz", "people.csv.lz4"]
        .into_iter()
        .map(|name| {
            tokio::spawn(async move {
                let src: BoxIterable = aopen_iterable(&testdata(name)).await.unwrap();
                collect(src).await.unwrap().len()
            })
        })
        .collect();
    let mut counts = Vec::new();
    for h in handles {
        counts.push(h.await.unwrap());
    }
    assert_eq!(counts, [5, 3, 5]);
}

#[tokio::test]
async fn missing_files_and_unknown_formats_say_what_is_wrong() {
    let err = aopen_iterable("no/such/file.csv").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert_eq!(err.to_string(), "no/such/file.csv: not found");

    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("blob.bin");
    std::fs::write(&odd, [0u8, 1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
    let err = aopen_iterable(odd.to_str().unwrap()).await.unwrap_err();
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("blob.bin")
            && text.contains("known: csv, tsv, psv, ")
            && text.contains(" jsonl, ")
            && text.contains(" geojson, ")
            && text.contains(" xls, "),
        "{text}"
    );

    let err = IterableOptions::write()
        .open(dir.path().join("out.nope").to_str().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err}");
}

#[tokio::test]
async fn a_format_not_built_names_its_feature() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.avro");
    std::fs::write(&path, b"Obj\x01....").unwrap();
    match aopen_iterable(path.to_str().unwrap()).await {
        Err(Error::FeatureDisabled { feature, .. }) => assert_eq!(feature, "avro"),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => println!("avro is built in; nothing to check"),
    }
}

#[tokio::test]
async fn a_truncated_compressed_file_is_an_error_not_a_short_read() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<_> = (0..5000)
        .map(|i| row! { "i" => i, "text" => format!("row number {i}") })
        .collect();
    for ext in ["gz", "zst", "bz2", "xz", "lz4"] {
        let path = dir.path().join(format!("big.jsonl.{ext}"));
        let path = path.to_str().unwrap();
        write_all(path, &IterableOptions::write(), &rows)
            .await
            .unwrap();
        let bytes = std::fs::read(path).unwrap();
        std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
        let mut src = aopen_iterable(path).await.unwrap();
        let mut read = 0;
        let err = loop {
            match src.next().await {
                Some(Ok(_)) => read += 1,
                Some(Err(e)) => break e,
                None => panic!("{ext}: truncated file read as {read} rows with no error"),
            }
        };
        assert!(read < rows.len(), "{ext}");
        assert!(matches!(err, Error::Io { .. }), "{ext}: {err}");
        assert!(err.to_string().contains("big.jsonl"), "{ext}: {err}");
        assert!(
            src.next().await.is_none(),
            "{ext}: the stream ends after an I/O error"
        );
    }
}

#[tokio::test]
async fn an_invalid_json_line_names_its_line_and_the_stream_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    std::fs::write(&path, "{\"a\":1}\n{\"a\":2}\n{\"a\":\n{\"a\":4}\n").unwrap();
    let path = path.to_str().unwrap();
    let mut src = aopen_iterable(path).await.unwrap();
    assert!(src.next().await.unwrap().is_ok());
    assert!(src.next().await.unwrap().is_ok());
    let err = src.next().await.unwrap().unwrap_err();
    let parse = err.as_parse().expect("a parse error");
    assert_eq!((parse.position.line, parse.position.byte), (3, 16));
    assert!(
        err.to_string()
            .starts_with(&format!("{path}: line 3, record 3, byte 16: ")),
        "{err}"
    );
    assert!(src.next().await.is_none());
}

#[tokio::test]
async fn parsing_in_blocks_on_threads_gives_the_same_rows() {
    for name in ["people.csv.gz", "people.jsonl.zst", "people.csv"] {
        let path = testdata(name);
        let one = collect(aopen_iterable(&path).await.unwrap()).await.unwrap();
        for block in [1, 16, 1 << 20] {
            let options = IterableOptions::read()
                .parse_threads(2)
                .parse_block_bytes(block);
            let blocks = collect(options.open(&path).await.unwrap()).await.unwrap();
            assert_eq!(blocks, one, "{name}, blocks of {block}");
        }
    }
}

#[tokio::test]
async fn a_bulk_read_that_meets_an_error_returns_its_rows_then_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "a,b\n1,2\n3,4\n5,6,7\n8,9\n").unwrap();
    let path = path.to_str().unwrap();
    let mut src = aopen_iterable(path).await.unwrap();
    let first = src.aread_bulk(10).await.unwrap();
    assert_eq!(
        first,
        [row! {"a" => "1", "b" => "2"}, row! {"a" => "3", "b" => "4"}]
    );
    let err = src.aread_bulk(10).await.unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "{path}: line 4, record 3, byte 12: record has 3 fields"
        )),
        "{err}"
    );
    assert!(
        src.aread_bulk(10).await.unwrap().is_empty(),
        "the stream ended"
    );
    // The same through the stream after a bulk read: the held error comes first.
    src.areset().await.unwrap();
    assert_eq!(src.aread_bulk(3).await.unwrap().len(), 2);
    assert!(src.next().await.unwrap().is_err());
    assert!(src.next().await.is_none());
}

#[tokio::test]
async fn skip_and_dead_letter_policies_keep_going_and_account_for_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ragged.csv");
    std::fs::write(&path, "a,b\n1,2\n3,4,5\n6\n7,8\n").unwrap();
    let path = path.to_str().unwrap();

    let err = collect(aopen_iterable(path).await.unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("line 3, record 2"), "{err}");

    let mut src = IterableOptions::read()
        .errors(ErrorPolicy::Skip)
        .open(path)
        .await
        .unwrap();
    let rows = collect_from(&mut src).await;
    assert_eq!(
        rows.len(),
        3,
        "the long row is skipped; the short row is padded"
    );
    assert!(rows[1]["b"].is_null());
    assert_eq!(src.progress().skipped, 1);

    let dead = dir.path().join("dead.jsonl");
    let options =
        IterableOptions::read().errors(ErrorPolicy::DeadLetter(dead.to_str().unwrap().to_owned()));
    let mut src = options.open(path).await.unwrap();
    assert_eq!(collect_from(&mut src).await.len(), 3);
    src.aclose().await.unwrap();
    drop(src);
    let letters = std::fs::read_to_string(&dead).unwrap();
    let letters: Vec<serde_json::Value> = letters
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["line"], 3);
    assert_eq!(letters[0]["byte"], 8);
    assert!(
        letters[0]["raw"].as_str().unwrap().starts_with("3,4,5"),
        "{:?}",
        letters[0]
    );
}

#[tokio::test]
async fn progress_counts_rows_and_bytes() {
    let path = testdata("people.csv.gz");
    let mut src = aopen_iterable(&path).await.unwrap();
    let total = std::fs::metadata(&path).unwrap().len();
    assert_eq!(src.progress().bytes_total, Some(total));
    while src.next().await.is_some() {}
    let p = src.progress();
    assert_eq!((p.rows, p.bytes, p.skipped), (5, total, 0));
}

#[tokio::test]
async fn encodings_other_than_utf8_are_transcoded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cp1251.csv");
    // "город;имя\nМосква;Аня\n" in windows-1251
    let mut bytes = vec![0xe3, 0xee, 0xf0, 0xee, 0xe4, b';', 0xe8, 0xec, 0xff, b'\n'];
    bytes.extend([
        0xcc, 0xee, 0xf1, 0xea, 0xe2, 0xe0, b';', 0xc0, 0xed, 0xff, b'\n',
    ]);
    std::fs::write(&path, bytes).unwrap();
    let src = IterableOptions::read()
        .encoding("windows-1251")
        .open(path.to_str().unwrap())
        .await
        .unwrap();
    let rows = collect(src).await.unwrap();
    assert_eq!(rows, vec![row! { "город" => "Москва", "имя" => "Аня" }]);
}

#[tokio::test]
async fn explicit_format_and_delimiter_override_detection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.txt");
    std::fs::write(&path, "a|b\n1|2\n").unwrap();
    let src = IterableOptions::read()
        .format(Format::CSV)
        .delimiter(b'|')
        .open(path.to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        collect(src).await.unwrap(),
        vec![row! { "a" => "1", "b" => "2" }]
    );
}

#[tokio::test]
async fn a_writer_refuses_every_read() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["w.csv", "w.jsonl", "w.json"] {
        let path = dir.path().join(name);
        let mut dst = IterableOptions::write()
            .open(path.to_str().unwrap())
            .await
            .unwrap();
        for _ in 0..2 {
            assert!(
                matches!(dst.aread().await, Err(Error::Unsupported { .. })),
                "{name}"
            );
            assert!(
                matches!(dst.aread_bulk(3).await, Err(Error::Unsupported { .. })),
                "{name}"
            );
        }
        dst.aclose().await.unwrap();
    }
}
