//! Every writable format through every codec: what is written reads back equal, and
//! a writer dropped before `aclose` leaves nothing behind.

use iterable::{Codec, Format, IterableOptions, Row, Value, aopen_iterable, row};
use iterable_tests::{collect, write_all};

const FORMATS: [Format; 5] = [
    Format::CSV,
    Format::TSV,
    Format::PSV,
    Format::JSONL,
    Format::JSON,
];
/// Every codec that writes (all but zip, which is read only).
fn codecs() -> impl Iterator<Item = Codec> {
    Codec::all().filter(|c| c.spec().writes)
}

/// Text rows that stress quoting: delimiters of every kind, quotes, newlines, CRLF,
/// leading spaces, non-ASCII.
fn text_rows() -> Vec<Row> {
    let tricky = [
        "plain",
        "comma, semicolon; tab\t pipe|",
        "quote \" inside",
        "\"quoted\"",
        "line\nbreak",
        "crlf\r\nbreak",
        "  padded  ",
        "Zürich Москва 東京 🎉",
        "",
    ];
    tricky
        .iter()
        .enumerate()
        .map(|(i, t)| row! { "id" => i.to_string(), "text" => *t, "other" => format!("x{i}") })
        .collect()
}

/// Typed rows for the JSON formats.
fn typed_rows() -> Vec<Row> {
    vec![
        row! { "id" => 1, "big" => 9_007_199_254_740_993_i64, "f" => 0.1, "ok" => true, "none" => Value::Null,
        "list" => vec![Value::from(1), Value::from("a")], "map" => row! { "k" => "v", "n" => -2 } },
        row! { "id" => 2, "big" => i64::MIN, "f" => -1e300, "ok" => false, "none" => Value::Null,
        "list" => Vec::<Value>::new(), "map" => row! {} },
    ]
}

fn file_name(format: Format, codec: Codec) -> String {
    match codec {
        Codec::None => format!("out.{format}"),
        _ => format!("out.{format}.{}", codec.extension()),
    }
}

#[tokio::test]
async fn every_format_through_every_codec_reads_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    for format in FORMATS {
        for codec in codecs() {
            let path = dir.path().join(file_name(format, codec));
            let path = path.to_str().unwrap();
            let text = iterable::registry::spec(format)
                .unwrap()
                .capabilities
                .values
                == iterable::registry::Values::Text;
            let rows = if text { text_rows() } else { typed_rows() };
            write_all(path, &IterableOptions::write(), &rows)
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            let src = aopen_iterable(path)
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(
                (src.info().format, src.info().codec),
                (format, codec),
                "{path}"
            );
            let back = collect(src).await.unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(back, rows, "{path}");
        }
    }
}

/// Every format the registry can write, through every codec: a writer dropped before
/// `aclose` leaves nothing behind (no output, no temporary file).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_writer_leaves_no_file_in_any_format_or_codec() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for spec in iterable::registry::all() {
        if !(spec.capabilities.write && spec.is_available()) {
            continue;
        }
        let rows = iterable::testing::conformance::rows_for(spec);
        for codec in codecs() {
            let path = dir.path().join(file_name(spec.format, codec));
            let mut dst = IterableOptions::write()
                .open(path.to_str().unwrap())
                .await
                .unwrap();
            dst.awrite_bulk(&rows).await.unwrap();
            drop(dst);
            // Writers on a blocking thread end there after the drop: give them time.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let left: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert!(left.is_empty(), "{}: left {left:?}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} writable formats");
}

#[tokio::test]
async fn magic_bytes_win_over_a_name_without_codec() {
    let dir = tempfile::tempdir().unwrap();
    for codec in [
        Codec::Gzip,
        Codec::Zstd,
        Codec::Bzip2,
        Codec::Xz,
        Codec::Lz4,
        Codec::Zlib,
    ] {
        let written = dir.path().join(file_name(Format::JSONL, codec));
        write_all(
            written.to_str().unwrap(),
            &IterableOptions::write(),
            &typed_rows(),
        )
        .await
        .unwrap();
        let renamed = dir.path().join(format!("plain-{}.jsonl", codec.name()));
        std::fs::rename(&written, &renamed).unwrap();
        let src = aopen_iterable(renamed.to_str().unwrap()).await.unwrap();
        assert_eq!(src.info().codec, codec);
        assert_eq!(collect(src).await.unwrap(), typed_rows(), "{codec}");
    }
}

#[tokio::test]
async fn format_is_sniffed_when_the_name_says_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (format, rows) in [
        (Format::JSONL, typed_rows()),
        (Format::JSON, typed_rows()),
        (Format::CSV, text_rows()),
    ] {
        let written = dir.path().join(file_name(format, Codec::Gzip));
        write_all(written.to_str().unwrap(), &IterableOptions::write(), &rows)
            .await
            .unwrap();
        let renamed = dir.path().join(format!("noext-{format}"));
        std::fs::rename(&written, &renamed).unwrap();
        let src = aopen_iterable(renamed.to_str().unwrap()).await.unwrap();
        assert_eq!((src.info().format, src.info().codec), (format, Codec::Gzip));
        assert_eq!(collect(src).await.unwrap(), rows, "{format}");
    }
}

#[tokio::test]
async fn csv_delimiter_is_sniffed_for_csv_names() {
    let dir = tempfile::tempdir().unwrap();
    for delimiter in [b';', b'\t', b'|'] {
        let written = dir.path().join("semi.csv");
        let options = IterableOptions::write().delimiter(delimiter);
        write_all(written.to_str().unwrap(), &options, &text_rows())
            .await
            .unwrap();
        let back = collect(aopen_iterable(written.to_str().unwrap()).await.unwrap())
            .await
            .unwrap();
        assert_eq!(back, text_rows(), "delimiter {:?}", delimiter as char);
    }
}

/// Large writes are compressed in independent members on several tasks; the result
/// must be one valid stream for the standard tools too, not only for this library.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_members_decode_with_the_standard_tools() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<Row> = (0..60_000)
        .map(
            |i| row! { "i" => i, "text" => format!("row {i} with some repeated text to compress") },
        )
        .collect();
    let plain = dir.path().join("all.jsonl");
    write_all(plain.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let expected = std::fs::read(&plain).unwrap();
    assert!(expected.len() > 3 << 20, "more than three members' worth");
    for (ext, tool) in [
        ("gz", "gzip"),
        ("zst", "zstd"),
        ("xz", "xz"),
        ("bz2", "bzip2"),
        ("lz4", "lz4"),
    ] {
        let path = dir.path().join(format!("all.jsonl.{ext}"));
        write_all(path.to_str().unwrap(), &IterableOptions::write(), &rows)
            .await
            .unwrap();
        assert_eq!(
            collect(aopen_iterable(path.to_str().unwrap()).await.unwrap())
                .await
                .unwrap(),
            rows,
            "{ext}"
        );
        match std::process::Command::new(tool)
            .arg("-dc")
            .arg(&path)
            .output()
        {
            Ok(out) => {
                assert!(
                    out.status.success(),
                    "{tool}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert!(out.stdout == expected, "{tool} decodes something else");
            }
            Err(_) => println!("SKIPPED: {tool} is not installed; checked with this library only"),
        }
    }
}

/// Every registered format that reads and writes, through every codec that writes:
/// the standard rows read back equal, detected from the name. A format added to the
/// registry is in this matrix without anyone adding it here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registered_format_round_trips_through_every_codec() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = Vec::new();
    for spec in iterable::registry::all() {
        let caps = spec.capabilities;
        if !(caps.read && caps.write && spec.is_available()) {
            println!(
                "not round-tripped: {} (read {}, write {}, built {})",
                spec.format,
                caps.read,
                caps.write,
                spec.is_available()
            );
            continue;
        }
        let rows = iterable::testing::conformance::rows_for(spec);
        for codec in codecs() {
            let path = dir.path().join(file_name(spec.format, codec));
            let path = path.to_str().unwrap();
            write_all(path, &IterableOptions::write(), &rows)
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            let src = aopen_iterable(path)
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(
                (src.info().format, src.info().codec),
                (spec.format, codec),
                "{path}"
            );
            let back = collect(src).await.unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(back, rows, "{path}");
            // areset after a partial read starts over with the same rows.
            let mut src = aopen_iterable(path).await.unwrap();
            let first = src.aread_bulk(2).await.unwrap();
            assert_eq!(first, rows[..2], "{path}");
            src.areset()
                .await
                .unwrap_or_else(|e| panic!("{path}: areset: {e}"));
            let again = collect(src)
                .await
                .unwrap_or_else(|e| panic!("{path}: after areset: {e}"));
            assert_eq!(again, rows, "{path}: after areset");
            std::fs::remove_file(path).unwrap();
        }
        checked.push(spec.format.name());
    }
    for must in ["csv", "jsonl", "parquet", "ltsv", "toml"] {
        assert!(
            checked.contains(&must),
            "{must} was not round-tripped: {checked:?}"
        );
    }
}

/// Text that starts like a codec's magic is read as text when the magic is not
/// confirmed: a CSV header `BZh9,...` is not a bzip2 stream.
#[tokio::test]
async fn a_csv_header_that_starts_like_bzip2_is_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("codes.csv");
    std::fs::write(&path, "BZh9,name\n1,Anna\n").unwrap();
    let src = aopen_iterable(path.to_str().unwrap()).await.unwrap();
    assert_eq!(src.info().codec, Codec::None);
    let rows = collect(src).await.unwrap();
    assert_eq!(rows, [row! { "BZh9" => "1", "name" => "Anna" }]);
}
