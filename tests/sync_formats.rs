//! The formats on the blocking bridge, end to end through the facade: round trips
//! through every codec, what a dropped writer leaves (nothing), corrupt input (a clear
//! error naming the file, the record and the byte offset), and `areset`.

use std::time::{Duration, Instant};

use futures::StreamExt;
use iterable::{
    Codec, Decimal, Error, Format, IterableOptions, Row, Timestamp, Value, aopen_iterable, row,
};
use iterable_tests::{avro_container, avro_long, collect, deep_avro, write_all};

/// Every codec that writes (all but zip, which is read only).
fn codecs() -> impl Iterator<Item = Codec> {
    Codec::all().filter(|c| c.spec().writes)
}

fn file_name(format: Format, codec: Codec) -> String {
    match codec {
        Codec::None => format!("out.{format}"),
        _ => format!("out.{format}.{}", codec.extension()),
    }
}

fn utc(s: &str) -> Value {
    Value::Timestamp(Timestamp {
        datetime: s.parse().unwrap(),
        tz: Some("UTC".into()),
    })
}

/// Rows of text, attributes, nested elements and repeated children: what XML keeps.
fn xml_rows() -> Vec<Row> {
    (1..=300)
        .map(|i| {
            row! {
                "@id" => i.to_string(), "name" => format!("Zürich & <Москва> \"東京\" {i}"),
                "empty" => Value::Null,
                "title" => row! { "@lang" => "en", "#text" => "a 'quoted' title" },
                "tag" => vec!["x", "y", "z"],
                "nested" => row! { "deep" => row! { "k" => "v" } }
            }
        })
        .collect()
}

/// Rows of the cell types a workbook keeps: numbers, booleans, text, dates,
/// date-times, empty cells; a later row adds a column.
fn xlsx_rows() -> Vec<Row> {
    let mut rows: Vec<Row> = (1..=300)
        .map(|i| {
            row! {
                "id" => i, "name" => format!("Zürich Москва 東京 {i}"), "f" => 0.5 + i as f64,
                "ok" => i % 2 == 0, "none" => Value::Null,
                "day" => chrono_date(2024, 2, 1 + (i % 28) as u32),
                "at" => Value::Timestamp(Timestamp { datetime: format!("2024-02-29T12:30:{:02}", i % 60).parse().unwrap(), tz: None })
            }
        })
        .collect();
    let mut last = rows.pop().unwrap();
    last.insert("extra", "only in the last row");
    rows.push(last);
    rows
}

fn chrono_date(y: i32, m: u32, d: u32) -> Value {
    Value::Date(format!("{y:04}-{m:02}-{d:02}").parse().unwrap())
}

/// What reading `rows` back gives: the rows themselves, except in a workbook, where
/// every row has every column of the sheet (the one added late is null before it).
fn read_back(format: Format, rows: &[Row]) -> Vec<Row> {
    let mut expected = rows.to_vec();
    if format == Format::XLSX {
        for row in &mut expected[..rows.len() - 1] {
            row.insert("extra", Value::Null);
        }
    }
    expected
}

/// Rows with every type an inferred Avro schema keeps; every row has every column.
fn avro_rows() -> Vec<Row> {
    (1..=300)
        .map(|i| {
            row! {
                "id" => i, "name" => format!("Zürich Москва 東京 {i}"), "f" => 0.1 * i as f64,
                "ok" => i % 2 == 0, "maybe" => if i % 3 == 0 { Value::Null } else { Value::from(i) },
                "bytes" => Value::Bytes(vec![0, 1, (i % 256) as u8]),
                "day" => chrono_date(2024, 2, 1 + (i % 28) as u32),
                "utc" => utc(&format!("2024-02-29T12:30:01.{:06}", i)),
                "local" => Value::Timestamp(Timestamp { datetime: format!("1969-07-20T20:17:{:02}", i % 60).parse().unwrap(), tz: None }),
                "price" => Decimal { unscaled: -12345 * i as i128, scale: 2 },
                "list" => vec![Value::from(i), Value::Null],
                "map" => row! { "k" => "v", "n" => -i, "inner" => row! { "x" => true } }
            }
        })
        .collect()
}

/// Rows whose every value the format keeps exactly.
fn rows_for(format: Format) -> Vec<Row> {
    if format == Format::AVRO {
        return avro_rows();
    }
    if format == Format::XML {
        return xml_rows();
    }
    if format == Format::XLSX {
        return xlsx_rows();
    }
    let common = |i: i64| {
        row! {
            "id" => i, "name" => format!("Zürich Москва 東京 {i}"), "f" => 0.1 * i as f64,
            "ok" => i % 2 == 0, "none" => Value::Null,
            "list" => vec![Value::from(i), Value::from("a")],
            "map" => row! { "k" => "v", "n" => -i }
        }
    };
    let mut rows: Vec<Row> = (1..=300).map(common).collect();
    match format {
        Format::BSON => {
            rows[0].insert("bytes", Value::Bytes(vec![0, 1, 255]));
            rows[0].insert("when", utc("2024-02-29T12:30:01.123"));
            rows[0].insert(
                "price",
                Decimal {
                    unscaled: 12345,
                    scale: 2,
                },
            );
        }
        Format::MSGPACK => {
            rows[0].insert("bytes", Value::Bytes(vec![0, 1, 255]));
            rows[0].insert("when", utc("2024-02-29T12:30:01.123456789"));
            rows[0].insert("huge", u64::MAX);
        }
        Format::YAML => {
            rows[0].insert("looks_typed", "true");
            rows[0].insert("digits", "007");
            rows[0].insert("lines", "two\nlines: with colon");
        }
        _ => {}
    }
    rows
}

/// The formats of this file that this build writes.
const WRITABLE: [Format; 6] = [
    Format::AVRO,
    Format::BSON,
    Format::MSGPACK,
    Format::YAML,
    Format::XML,
    Format::XLSX,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bridged_format_through_every_codec_reads_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    for format in WRITABLE {
        let rows = rows_for(format);
        for codec in codecs() {
            let path = dir.path().join(file_name(format, codec));
            let path = path.to_str().unwrap();
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
            assert_eq!(back.len(), rows.len(), "{path}");
            assert_eq!(back, read_back(format, &rows), "{path}");
        }
    }
}

fn left_in(dir: &std::path::Path) -> Vec<std::ffi::OsString> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_bridged_writer_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    for format in WRITABLE {
        for codec in [Codec::None, Codec::Zstd] {
            let path = dir.path().join(file_name(format, codec));
            let mut dst = IterableOptions::write()
                .open(path.to_str().unwrap())
                .await
                .unwrap();
            dst.awrite_bulk(&rows_for(format)).await.unwrap();
            drop(dst);
            assert!(!path.exists(), "{}", path.display());
            // The temporary file goes when the writer's thread ends, just after.
            let deadline = Instant::now() + Duration::from_secs(10);
            while !left_in(dir.path()).is_empty() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(left_in(dir.path()), Vec::<std::ffi::OsString>::new());
        }
    }
}

/// Writes `rows` as `name`, then cuts its last `cut` bytes.
async fn truncated(dir: &std::path::Path, name: &str, rows: &[Row], cut: usize) -> String {
    let path = dir.join(name);
    let path = path.to_str().unwrap().to_owned();
    write_all(&path, &IterableOptions::write(), rows)
        .await
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - cut]).unwrap();
    path
}

/// Reads `path` to its end: the rows before the error, and the error.
async fn read_until_error(path: &str) -> (usize, Error) {
    let mut src = aopen_iterable(path).await.unwrap();
    let mut good = 0;
    loop {
        match src.next().await {
            Some(Ok(_)) => good += 1,
            Some(Err(e)) => {
                assert!(src.next().await.is_none(), "an error ends the stream");
                return (good, e);
            }
            None => panic!("{path}: read to the end without an error"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_bson_file_names_the_record_and_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [row! { "a" => 1 }, row! { "a" => 2 }];
    // Each document: 4 length + 1 type + "a\0" + 8 bytes + 1 end = 16 bytes.
    let path = truncated(dir.path(), "cut.bson", &rows, 3).await;
    let (good, err) = read_until_error(&path).await;
    assert_eq!(good, 1);
    assert_eq!(
        err.to_string(),
        format!(
            "{path}: record 2, byte 16: truncated document: 13 of its 16 bytes (near \"\\u{{10}}\\0\\0\\0\\u{{12}}a\\0\\u{{2}}\\0\\0\\0\\0\\0\")"
        )
    );
    // Not a document at all.
    let junk = dir.path().join("junk.bson");
    std::fs::write(&junk, b"\x02\0\0\0xyz").unwrap();
    let (good, err) = read_until_error(junk.to_str().unwrap()).await;
    assert_eq!(good, 0);
    assert!(
        err.to_string()
            .contains("record 1, byte 0: not a BSON document: length 2"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_msgpack_file_names_the_record_and_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [row! { "a" => 1 }, row! { "a" => "long text" }];
    // First map: fixmap marker, "a" (2 bytes), 1 (1 byte) = 4 bytes.
    let path = truncated(dir.path(), "cut.msgpack", &rows, 2).await;
    let (good, err) = read_until_error(&path).await;
    assert_eq!(good, 1);
    assert_eq!(
        err.to_string(),
        format!("{path}: record 2, byte 4: truncated MessagePack value: the input ends inside it")
    );
    // A value that is not a map.
    let path = dir.path().join("list.msgpack");
    std::fs::write(&path, [0x92, 0x01, 0x02]).unwrap();
    let (_, err) = read_until_error(path.to_str().unwrap()).await;
    assert!(
        err.to_string()
            .ends_with("record 1, byte 0: expected a map (one row), found an array"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_yaml_names_the_document_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "a: 1\n---\na: [1, 2\nb: 3\n").unwrap();
    let (good, err) = read_until_error(path.to_str().unwrap()).await;
    assert_eq!(good, 1);
    let text = err.to_string();
    let parse = err.as_parse().expect("a parse error");
    assert_eq!(parse.position.record, 2, "{text}");
    assert!(parse.position.line >= 3, "{text}");
    assert!(text.starts_with(&format!("{}: ", path.display())), "{text}");
    assert!(text.contains("invalid YAML in document 2"), "{text}");

    let scalar = dir.path().join("scalar.yaml");
    std::fs::write(&scalar, "a: 1\n---\njust text\n").unwrap();
    let (good, err) = read_until_error(scalar.to_str().unwrap()).await;
    assert_eq!(good, 1);
    assert!(
        err.to_string()
            .contains("document 2 is a string, not a mapping (a row) or a sequence of mappings"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yaml_sequence_of_mappings_is_a_run_of_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.yml.gz");
    let text = "- id: 1\n  tags: [a, b]\n- id: 2\n  when: ~\n";
    let mut sink = iterable::bytes::open_sink(path.to_str().unwrap(), Codec::Gzip, None)
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut sink, text.as_bytes())
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::shutdown(&mut sink).await.unwrap();
    let rows = collect(aopen_iterable(path.to_str().unwrap()).await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        rows,
        [
            row! { "id" => 1, "tags" => vec!["a", "b"] },
            row! { "id" => 2, "when" => Value::Null }
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn areset_restarts_a_bridged_reader() {
    let dir = tempfile::tempdir().unwrap();
    for format in WRITABLE {
        let path = dir.path().join(format!("reset.{format}.gz"));
        let path = path.to_str().unwrap();
        let written = rows_for(format);
        write_all(path, &IterableOptions::write(), &written)
            .await
            .unwrap();
        let rows = read_back(format, &written);
        let mut src = aopen_iterable(path).await.unwrap();
        let first = src.aread_bulk(5).await.unwrap();
        assert_eq!(first, rows[..5], "{path}");
        src.areset().await.unwrap();
        let all = src.aread_bulk(usize::MAX).await.unwrap();
        assert_eq!(all, rows, "{path}");
        assert_eq!(src.progress().rows, rows.len() as u64, "{path}");
        src.aclose().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_rows_are_the_tagname_elements_at_any_depth() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    std::fs::write(
        &path,
        r#"<?xml version="1.0"?>
<feed xmlns:dc="http://purl.org/dc/elements/1.1/">
  <meta><entry>not inside a group, still a row</entry></meta>
  <group>
    <entry dc:id="1"><dc:title>A &amp; B &#x41;</dc:title><link href="x"/><link href="y"/>
      tail text <![CDATA[<raw>]]></entry>
    <entry dc:id="2"/>
  </group>
</feed>"#,
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let read = |strip: bool| {
        let options = IterableOptions::read()
            .tagname("entry")
            .strip_namespaces(strip);
        async move { collect(options.open(path).await.unwrap()).await.unwrap() }
    };
    let links = Value::List(vec![
        row! { "@href" => "x" }.into(),
        row! { "@href" => "y" }.into(),
    ]);
    assert_eq!(
        read(true).await,
        [
            row! { "#text" => "not inside a group, still a row" },
            row! { "@id" => "1", "title" => "A & B A", "link" => links.clone(), "#text" => "tail text <raw>" },
            row! { "@id" => "2" },
        ]
    );
    let kept = read(false).await;
    assert_eq!(
        kept[1],
        row! { "@dc:id" => "1", "dc:title" => "A & B A", "link" => links, "#text" => "tail text <raw>" }
    );

    // Without a tagname, the rows are the children of the root.
    let rows = collect(aopen_iterable(path).await.unwrap()).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].keys().collect::<Vec<_>>(), ["entry"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_or_truncated_xml_names_the_record_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let text = "<root>\n<item><a>1</a></item>\n<item><a>2</b></item>\n</root>\n";
    let path = dir.path().join("bad.xml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap();
    let (good, err) = read_until_error(path).await;
    assert_eq!(good, 1);
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{path}: line 3, record 2, byte ")),
        "{message}"
    );
    assert!(message.contains("malformed XML"), "{message}");

    let cut = dir.path().join("cut.xml.gz");
    let cut = cut.to_str().unwrap();
    let rows: Vec<Row> = (1..=3).map(|i| row! { "a" => i.to_string() }).collect();
    let options = IterableOptions::write().tagname("item");
    write_all(cut, &options, &rows).await.unwrap();
    // Re-write the file without its last 20 decoded bytes, still gzip-compressed.
    let full = collect_text(cut).await;
    let mut sink = iterable::bytes::open_sink(cut, Codec::Gzip, None)
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut sink, &full.as_bytes()[..full.len() - 20])
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::shutdown(&mut sink).await.unwrap();
    let (good, err) = read_until_error(cut).await;
    assert_eq!(good, 2);
    let start = full.find("<item><a>3").unwrap();
    let line = full[..start].matches('\n').count() + 1;
    assert_eq!(
        err.to_string(),
        format!(
            "{cut}: line {line}, record 3, byte {start}: the input ends inside <item>: the XML is truncated"
        )
    );
}

async fn collect_text(path: &str) -> String {
    let source = iterable::bytes::open_source(path, None, None)
        .await
        .unwrap();
    let mut text = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut source.into_reader(), &mut text)
        .await
        .unwrap();
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workbook_sheets_are_listed_and_chosen_by_name_or_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    let path = path.to_str().unwrap();
    let rows = [row! { "a" => 1, "b" => "x" }, row! { "a" => 2, "b" => "y" }];
    write_all(path, &IterableOptions::write().sheet("Data"), &rows)
        .await
        .unwrap();
    assert_eq!(iterable::sheet_names(path).await.unwrap(), ["Data"]);
    for options in [
        IterableOptions::read(),
        IterableOptions::read().sheet("Data"),
        IterableOptions::read().sheet_index(0),
    ] {
        let back = collect(options.open(path).await.unwrap()).await.unwrap();
        assert_eq!(back, rows);
    }
    let headerless = IterableOptions::read().sheet_has_header(false);
    let back = collect(headerless.open(path).await.unwrap()).await.unwrap();
    assert_eq!(back[0], row! { "column_1" => "a", "column_2" => "b" });
    assert_eq!(back.len(), 3);
    // The sheet is looked up on the reader's thread: the first read reports it.
    let src = IterableOptions::read()
        .sheet("Nope")
        .open(path)
        .await
        .unwrap();
    let err = collect(src).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "invalid option: {path}: the workbook has no sheet named \"Nope\"; its sheets: [\"Data\"]"
        )
    );
}

/// Integers beyond a double's exact range (i64::MIN among them) are written as text,
/// not rounded, and never panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_integers_go_to_a_workbook_as_exact_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xlsx");
    let path = path.to_str().unwrap();
    let rows = [
        row! { "n" => i64::MIN },
        row! { "n" => i64::MAX },
        row! { "n" => -(1_i64 << 53) },
    ];
    write_all(path, &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let back = collect(aopen_iterable(path).await.unwrap()).await.unwrap();
    assert_eq!(back[0]["n"], Value::from("-9223372036854775808"));
    assert_eq!(back[1]["n"], Value::from("9223372036854775807"));
    assert_eq!(back[2]["n"], Value::Int(-(1_i64 << 53)));
}

/// A value XML 1.0 cannot hold (a control character) is a write error naming the row,
/// and no file is published: the output would not be well-formed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_control_character_is_a_write_error_in_xml() {
    let dir = tempfile::tempdir().unwrap();
    for row in [
        row! { "text" => "bell \u{7} here" },
        row! { "@attr" => "nul \u{0}" },
        row! { "#text" => "esc \u{1b}" },
    ] {
        let path = dir.path().join("out.xml");
        let path = path.to_str().unwrap();
        let rows = [row! { "text" => "fine\ttab\nline" }, row];
        let err = write_all(path, &IterableOptions::write(), &rows)
            .await
            .expect_err("a control character cannot be written to XML");
        let text = err.to_string();
        assert!(
            text.starts_with(path)
                && text.contains("row 2")
                && text.contains("XML 1.0 cannot hold"),
            "{text}"
        );
        assert!(left_in(dir.path()).is_empty(), "{:?}", left_in(dir.path()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_workbook_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.xlsx");
    let path = path.to_str().unwrap();
    write_all(path, &IterableOptions::write(), &xlsx_rows())
        .await
        .unwrap();
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
    let src = aopen_iterable(path).await.unwrap();
    let err = collect(src).await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{path}: not a readable XLSX workbook: ")),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_blocks_compress_with_each_codec() {
    use iterable::AvroCodec;
    let dir = tempfile::tempdir().unwrap();
    let rows = avro_rows();
    for (codec, name) in [
        (AvroCodec::Null, "null"),
        (AvroCodec::Deflate, "deflate"),
        (AvroCodec::Snappy, "snappy"),
        (AvroCodec::Zstd, "zstandard"),
    ] {
        let path = dir.path().join(format!("{name}.avro"));
        let path = path.to_str().unwrap();
        write_all(path, &IterableOptions::write().avro_codec(codec), &rows)
            .await
            .unwrap();
        let head = std::fs::read(path).unwrap();
        let header = String::from_utf8_lossy(&head[..head.len().min(4096)]).into_owned();
        assert!(header.starts_with("Obj\u{1}"), "{path}");
        assert!(header.contains(name), "{path}: the header names the codec");
        let back = collect(aopen_iterable(path).await.unwrap()).await.unwrap();
        assert_eq!(back, rows, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_rows_must_fit_the_inferred_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("strict.avro");
    let path = path.to_str().unwrap();
    let mut rows: Vec<Row> = (1..=1000).map(|i| row! { "id" => i }).collect();
    rows.push(row! { "id" => 1001, "new" => "x" });
    let err = write_all(path, &IterableOptions::write(), &rows)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{path}: row 1001: column \"new\" is not in the Avro schema (inferred from the first rows)"
        )
    );
    assert!(!std::path::Path::new(path).exists());
    let rows = [row! { "id" => 1 }, row! { "id" => "two" }];
    let err = write_all(path, &IterableOptions::write(), &rows)
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "{path}: row 2: column \"id\": a string value where the schema has"
        )),
        "{err}"
    );
}

/// Each way an Avro container can be damaged or hostile is an error naming the file,
/// the record and the byte, never a panic, a short read or a runaway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_avro_containers_are_errors_that_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let ints = r#"{"type": "record", "name": "r", "fields": [{"name": "n", "type": "long"}]}"#;
    let nulls = r#"{"type": "record", "name": "r", "fields": [{"name": "a", "type": {"type": "array", "items": "null"}}]}"#;
    // A whole file of three records, 1, 2, 3, then damaged copies of it.
    let good = avro_container(ints, "null", &[(3, &[2, 4, 6])]);
    let mut bad_marker = good.clone();
    let last = bad_marker.len() - 1;
    bad_marker[last] ^= 1;
    // An array that declares 2^40 nulls in six bytes.
    let mut bomb = Vec::new();
    avro_long(&mut bomb, 1 << 40);
    bomb.push(0);
    // Where the first block starts.
    let h = avro_container(ints, "null", &[]).len();
    let hd = avro_container(ints, "deflate", &[]).len();
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        (
            "marker.avro",
            bad_marker,
            format!(
                "record 1, byte {}: the sync marker after block 1 (at byte {h}) is not the header's: the file is corrupt",
                h + 5
            ),
        ),
        (
            "trailing.avro",
            avro_container(ints, "null", &[(2, &[2, 4, 6])]),
            format!("record 2, byte {h}: block 1 has 1 bytes after its 2 records: the file is corrupt"),
        ),
        (
            "count.avro",
            avro_container(ints, "null", &[(1 << 50, &[2])]),
            format!(
                "record 1, byte {h}: block 1 declares 1125899906842624 records in 1 bytes: the file is corrupt"
            ),
        ),
        (
            "short_record.avro",
            avro_container(ints, "null", &[(2, &[2, 0x80])]),
            format!(
                "record 2, byte {}: cannot read Avro record 2 (block 1): the record ends early: the block is truncated or corrupt",
                h + 3
            ),
        ),
        (
            "cut.avro",
            good[..good.len() - 17].to_vec(),
            format!(
                "record 1, byte {}: the file is truncated: it ends in block 1 (at byte {h}), 2 of its 3 bytes",
                h + 4
            ),
        ),
        (
            "codec.avro",
            avro_container(ints, "bzip3", &[(3, &[2, 4, 6])]),
            "Avro codec \"bzip3\" is not supported (null, deflate, snappy and zstandard are)".into(),
        ),
        (
            "deflate.avro",
            avro_container(ints, "deflate", &[(3, b"not deflate")]),
            format!("record 1, byte {hd}: block 1 does not decompress (deflate): "),
        ),
        (
            "nulls.avro",
            avro_container(nulls, "null", &[(1, &bomb)]),
            "values that take no bytes (nulls, empty records) in one record; raise --max-record-bytes to read it".into(),
        ),
        ("deep.avro", deep_avro(100_000), "values nested deeper than 128 levels".into()),
    ];
    let path = dir.path().join("good.avro");
    std::fs::write(&path, &good).unwrap();
    let rows = collect(aopen_iterable(path.to_str().unwrap()).await.unwrap())
        .await
        .unwrap();
    assert_eq!(rows, [row! {"n" => 1}, row! {"n" => 2}, row! {"n" => 3}]);
    for (name, bytes, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let path = path.to_str().unwrap();
        let err = collect(aopen_iterable(path).await.unwrap())
            .await
            .expect_err(name)
            .to_string();
        assert!(
            err.starts_with(&format!("{path}: ")) && err.contains(&want),
            "{name}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_avro_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.avro");
    let path = path.to_str().unwrap();
    write_all(path, &IterableOptions::write(), &avro_rows())
        .await
        .unwrap();
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..bytes.len() - 40]).unwrap();
    let src = aopen_iterable(path).await.unwrap();
    let err = collect(src).await.unwrap_err();
    assert!(
        err.to_string().starts_with(&format!("{path}: record ")),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("the file is truncated: it ends in block 2 (at byte "),
        "{err}"
    );

    let junk = dir.path().join("junk.avro");
    std::fs::write(&junk, b"not avro at all").unwrap();
    let err = collect(aopen_iterable(junk.to_str().unwrap()).await.unwrap())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with(": not an Avro object container file (it does not start with Obj\\x01)"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orc_reads_through_a_codec_and_a_corrupt_file_is_an_error() {
    let Some(shared) = iterable_tests::shared_conformance() else {
        println!("SKIPPED: ../shared/conformance/iterabledata is absent");
        return;
    };
    let original = shared.join("2cols6rows.orc");
    let expected = collect(aopen_iterable(original.to_str().unwrap()).await.unwrap())
        .await
        .unwrap();
    assert_eq!(expected.len(), 6);
    assert_eq!(expected[5], row! { "id" => "6", "name" => "Lucy" });

    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(&original).unwrap();
    let zst = dir.path().join("copy.orc.zst");
    let zst = zst.to_str().unwrap();
    let mut sink = iterable::bytes::open_sink(zst, Codec::Zstd, None)
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut sink, &bytes)
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::shutdown(&mut sink).await.unwrap();
    let mut src = aopen_iterable(zst).await.unwrap();
    assert_eq!(src.info().codec, Codec::Zstd);
    assert_eq!(src.aread_bulk(2).await.unwrap(), expected[..2]);
    src.areset().await.unwrap();
    assert_eq!(src.aread_bulk(100).await.unwrap(), expected);

    let cut = dir.path().join("cut.orc");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let cut = cut.to_str().unwrap();
    let err = collect(aopen_iterable(cut).await.unwrap())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("{cut}: not a readable ORC file")),
        "{err}"
    );
}
