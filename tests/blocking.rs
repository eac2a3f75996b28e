//! The blocking API over real files: reading as an iterator and in bulk, writing,
//! rewinding, converting, errors in their place, and calls from inside a Tokio
//! runtime.

use iterable::{ConvertOptions, IterableOptions, Row, Value, blocking, row};
use iterable_tests::{names_in, numbered};

#[test]
fn rows_written_and_read_back_in_several_formats_and_codecs() {
    let dir = tempfile::tempdir().unwrap();
    let rows = numbered(3000);
    for name in ["a.jsonl.gz", "a.parquet", "a.csv.zst", "a.json", "a.arrow"] {
        let path = dir.path().join(name);
        let path = path.to_str().unwrap();
        let mut out = blocking::open(path, &IterableOptions::write()).unwrap();
        for row in &rows[..10] {
            out.write(row).unwrap();
        }
        out.write_bulk(&rows[10..]).unwrap();
        out.close().unwrap();

        let typed = !name.starts_with("a.csv");
        let expected: Vec<Row> = if typed {
            rows.clone()
        } else {
            rows.iter()
                .map(|r| row! { "i" => r["i"].to_string(), "name" => r["name"].clone() })
                .collect()
        };
        let back: Vec<Row> = blocking::open_iterable(path)
            .unwrap()
            .collect::<iterable::Result<_>>()
            .unwrap();
        assert_eq!(back, expected, "{name}");

        // In bulk, rewound, and read again.
        let mut src = blocking::open_iterable(path).unwrap();
        assert_eq!(src.read_bulk(7).unwrap(), expected[..7], "{name}");
        assert_eq!(src.read().unwrap().as_ref(), Some(&expected[7]), "{name}");
        src.reset().unwrap();
        assert_eq!(src.read_bulk(5000).unwrap(), expected, "{name}");
        assert!(src.read_bulk(10).unwrap().is_empty());
        assert_eq!(src.read().unwrap(), None);
        assert_eq!(src.info().location, path);
        src.close().unwrap();
    }
}

/// A truncated gzip: the rows before the cut, then the error naming the file, then the end.
#[test]
fn an_error_comes_after_the_rows_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("w.jsonl.gz");
    let mut out = blocking::open(whole.to_str().unwrap(), &IterableOptions::write()).unwrap();
    out.write_bulk(&numbered(50_000)).unwrap();
    out.close().unwrap();
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();

    let mut ok = 0;
    let mut errors = Vec::new();
    for item in blocking::open_iterable(cut.to_str().unwrap()).unwrap() {
        match item {
            Ok(_) if errors.is_empty() => ok += 1,
            Ok(_) => panic!("a row after the error"),
            Err(e) => errors.push(e.to_string()),
        }
    }
    assert!(ok > 1000 && ok < 50_000, "{ok}");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("cut.jsonl.gz"), "{}", errors[0]);
}

/// A row the writer refuses is reported by `close` (writes are handed on in chunks),
/// naming the row; nothing is published. A writer dropped unclosed leaves no file.
#[test]
fn a_refused_row_fails_close_and_a_dropped_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.toml");
    let mut out = blocking::open(path.to_str().unwrap(), &IterableOptions::write()).unwrap();
    out.write(&row! { "a" => 1 }).unwrap();
    out.write(&row! { "a" => Value::List(vec![Value::Null]) })
        .unwrap();
    let err = out.close().unwrap_err().to_string();
    assert!(err.contains("row 2"), "{err}");
    drop(out);
    assert!(
        names_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );

    let mut dropped = blocking::open(
        dir.path().join("d.parquet").to_str().unwrap(),
        &IterableOptions::write(),
    )
    .unwrap();
    dropped.write_bulk(&numbered(10)).unwrap();
    drop(dropped);
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(
        names_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );
}

#[test]
fn convert_and_bulk_convert_block_until_done() {
    let dir = tempfile::tempdir().unwrap();
    for part in ["p1", "p2"] {
        let path = dir.path().join(format!("{part}.jsonl"));
        let mut out = blocking::open(path.to_str().unwrap(), &IterableOptions::write()).unwrap();
        out.write_bulk(&numbered(100)).unwrap();
        out.close().unwrap();
    }
    let one = dir.path().join("one.parquet");
    let report = blocking::convert(
        dir.path().join("p1.jsonl").to_str().unwrap(),
        one.to_str().unwrap(),
        &ConvertOptions::new(),
    )
    .unwrap();
    assert_eq!(report.rows_written, 100);
    let inputs = [dir.path().join("p*.jsonl").to_string_lossy().into_owned()];
    let pattern = dir.path().join("out/{stem}.csv.gz");
    let bulk =
        blocking::bulk_convert(&inputs, pattern.to_str().unwrap(), &ConvertOptions::new()).unwrap();
    assert!(bulk.all_ok());
    assert_eq!(bulk.rows_written(), 200);
    assert_eq!(
        names_in(&dir.path().join("out")),
        ["p1.csv.gz", "p2.csv.gz"]
    );
}

/// Called from async code (inside a Tokio runtime), the blocking API works instead of
/// panicking with "Cannot start a runtime from within a runtime".
#[tokio::test]
async fn blocking_calls_inside_a_tokio_runtime_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    let path = path.to_str().unwrap();
    let mut out = blocking::open(path, &IterableOptions::write()).unwrap();
    out.write_bulk(&numbered(5)).unwrap();
    out.close().unwrap();
    let back: Vec<Row> = blocking::open_iterable(path)
        .unwrap()
        .collect::<iterable::Result<_>>()
        .unwrap();
    assert_eq!(back, numbered(5));
}
