//! `aconvert` and progress callbacks over real files in every format and codec, real
//! compressed inputs, globs and an HTTP server on 127.0.0.1: the rows that arrive, the
//! report, the events, and that a failed or dropped conversion leaves no output.

use crate::servers;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use iterable::{
    Codec, ConvertOptions, ErrorPolicy, Format, IterableOptions, ProgressEvent, ProgressEvery, Row,
    aconvert, aopen_iterable, row, with_progress,
};
use iterable_tests::{collect, names_in, numbered, people_files, testdata, write_all};
use servers::http::HttpServer;

async fn read(location: &str) -> Vec<Row> {
    collect(aopen_iterable(location).await.unwrap())
        .await
        .unwrap_or_else(|e| panic!("{location}: {e}"))
}

/// Events as a test can compare them: rows read, rows written, done.
type Seen = Arc<Mutex<Vec<ProgressEvent>>>;

fn recorder() -> (Seen, impl Fn(&ProgressEvent) + Send + Sync + 'static) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    (seen, move |p: &ProgressEvent| {
        log.lock().unwrap().push(p.clone())
    })
}

/// Every registered format that reads and writes, into itself through a codec (each
/// codec in turn): the rows arrive equal and the report counts them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_converts_through_every_codec() {
    let dir = tempfile::tempdir().unwrap();
    let codecs: Vec<Codec> = Codec::all().filter(|c| c.spec().writes).collect();
    let mut checked = 0;
    for spec in iterable::registry::all() {
        let caps = spec.capabilities;
        if !(caps.read && caps.write && spec.is_available()) {
            continue;
        }
        let rows = iterable::testing::conformance::rows_for(spec);
        let ext = spec.extensions[0];
        let input = dir.path().join(format!("in.{ext}"));
        let input = input.to_str().unwrap();
        write_all(input, &IterableOptions::write(), &rows)
            .await
            .unwrap();
        for codec in &codecs {
            let output = match codec {
                Codec::None => dir.path().join(format!("out.{ext}")),
                c => dir.path().join(format!("out.{ext}.{}", c.extension())),
            };
            let output = output.to_str().unwrap();
            let report = aconvert(input, output, &ConvertOptions::new())
                .await
                .unwrap_or_else(|e| panic!("{output}: {e}"));
            assert_eq!(read(output).await, rows, "{output}");
            assert_eq!(
                (report.rows_read, report.rows_written, report.rows_skipped),
                (rows.len() as u64, rows.len() as u64, 0),
                "{output}"
            );
            // A file read in place (Parquet, Arrow) consumes its pages and footer,
            // not every byte; a stream reads it all.
            let size = std::fs::metadata(input).unwrap().len();
            if spec.reads_files_in_place() {
                assert!(
                    report.bytes_read > 0 && report.bytes_read <= size,
                    "{output}"
                );
            } else {
                assert_eq!(report.bytes_read, size, "{output}");
            }
            assert!(report.bytes_written > 0, "{output}");
            std::fs::remove_file(output).unwrap();
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} formats converted");
}

/// Compressed CSV to Parquet to compressed JSON Lines: types are inferred for Parquet
/// from the text, and come back as numbers.
#[tokio::test]
async fn csv_gz_to_parquet_to_jsonl_zst() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv.gz");
    let csv = csv.to_str().unwrap();
    let text: Vec<Row> = (0..3000)
        .map(|i| row! { "id" => i.to_string(), "score" => format!("{}.5", i % 7) })
        .collect();
    write_all(csv, &IterableOptions::write(), &text)
        .await
        .unwrap();

    let parquet = dir.path().join("mid.parquet");
    let parquet = parquet.to_str().unwrap();
    let report = aconvert(csv, parquet, &ConvertOptions::new())
        .await
        .unwrap();
    assert_eq!((report.rows_read, report.rows_written), (3000, 3000));
    assert_eq!(
        (report.input.as_str(), report.output.as_str()),
        (csv, parquet)
    );
    let schema = iterable::arrow::aschema(parquet, &IterableOptions::read())
        .await
        .unwrap();
    assert_eq!(
        iterable::arrow::schema_to_text(&schema),
        [
            ("id".into(), "Int64".into()),
            ("score".into(), "Float64".into())
        ]
    );

    let jsonl = dir.path().join("out.jsonl.zst");
    let jsonl = jsonl.to_str().unwrap();
    aconvert(parquet, jsonl, &ConvertOptions::new())
        .await
        .unwrap();
    let back = read(jsonl).await;
    assert_eq!(back.len(), 3000);
    assert_eq!(back[1234], row! { "id" => 1234, "score" => 2.5 });
}

/// Parquet to Arrow keeps the input's exact types (widths, units, zones), which rows
/// alone would not tell; a schema in the write options wins.
#[tokio::test]
async fn columnar_to_columnar_keeps_the_input_types() {
    use arrow_array::{Int16Array, RecordBatch, TimestampMillisecondArray};
    use arrow_schema::{DataType, Field, Schema, TimeUnit};

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("typed.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("small", DataType::Int16, false),
        Field::new(
            "at",
            DataType::Timestamp(TimeUnit::Millisecond, Some("Europe/Berlin".into())),
            true,
        ),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int16Array::from(vec![1, -2, 3])),
            Arc::new(
                TimestampMillisecondArray::from(vec![Some(0), None, Some(1_700_000_000_000)])
                    .with_timezone("Europe/Berlin"),
            ),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(&input).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let input = input.to_str().unwrap();

    let output = dir.path().join("typed.arrow");
    let output = output.to_str().unwrap();
    aconvert(input, output, &ConvertOptions::new())
        .await
        .unwrap();
    let kept = iterable::arrow::aschema(output, &IterableOptions::read())
        .await
        .unwrap();
    assert_eq!(kept.field(0).data_type(), &DataType::Int16);
    assert_eq!(
        kept.field(1).data_type(),
        &DataType::Timestamp(TimeUnit::Millisecond, Some("Europe/Berlin".into()))
    );
    assert_eq!(read(output).await, read(input).await);

    // A schema of the caller's own is the one written.
    let own = dir.path().join("own.arrow");
    let own = own.to_str().unwrap();
    let options = ConvertOptions::new().write(
        IterableOptions::write().schema([("small", "Int64"), ("at", "Timestamp(µs, \"UTC\")")]),
    );
    aconvert(input, own, &options).await.unwrap();
    let written = iterable::arrow::aschema(own, &IterableOptions::read())
        .await
        .unwrap();
    assert_eq!(written.field(0).data_type(), &DataType::Int64);
}

/// A glob reads as one input, its files in order, into one output.
#[tokio::test]
async fn a_glob_converts_into_one_output() {
    let dir = tempfile::tempdir().unwrap();
    let all = numbered(300);
    for (i, part) in all.chunks(100).enumerate() {
        let path = dir.path().join(format!("part-{i}.csv"));
        write_all(path.to_str().unwrap(), &IterableOptions::write(), part)
            .await
            .unwrap();
    }
    let glob = dir.path().join("part-*.csv");
    let output = dir.path().join("all.jsonl");
    let report = aconvert(
        glob.to_str().unwrap(),
        output.to_str().unwrap(),
        &ConvertOptions::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.rows_written, 300);
    let back = read(output.to_str().unwrap()).await;
    let expected: Vec<Row> = all
        .iter()
        .map(|r| row! { "i" => r.get("i").unwrap().to_string(), "name" => r.get("name").unwrap().clone() })
        .collect();
    assert_eq!(back, expected);
}

/// Bad records follow the read options' policy; skipped ones are in the report.
#[tokio::test]
async fn skipped_records_are_counted_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"a\":1}\n{broken\n{\"a\":2}\nnot json\n{\"a\":3}\n",
    )
    .unwrap();
    let input = input.to_str().unwrap();
    let output = dir.path().join("out.csv");
    let output = output.to_str().unwrap();

    let err = aconvert(input, output, &ConvertOptions::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("in.jsonl") && err.contains("line 2"), "{err}");
    assert_eq!(
        names_in(dir.path()),
        ["in.jsonl"],
        "a failed convert published"
    );

    let skip = ConvertOptions::new().read(IterableOptions::read().errors(ErrorPolicy::Skip));
    let report = aconvert(input, output, &skip).await.unwrap();
    assert_eq!(
        (report.rows_read, report.rows_written, report.rows_skipped),
        (3, 3, 2)
    );
    assert_eq!(
        read(output).await,
        [row! {"a" => "1"}, row! {"a" => "2"}, row! {"a" => "3"}]
    );
}

/// A truncated gzip input fails the conversion after rows were written: the error names
/// the file and no output, complete or temporary, is left.
#[tokio::test]
async fn a_failure_mid_way_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.jsonl.gz");
    write_all(
        whole.to_str().unwrap(),
        &IterableOptions::write(),
        &numbered(50_000),
    )
    .await
    .unwrap();
    let bytes = std::fs::read(&whole).unwrap();
    std::fs::remove_file(&whole).unwrap();
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();

    let (seen, callback) = recorder();
    let options = ConvertOptions::new()
        .batch_rows(1000)
        .on_progress(ProgressEvery::Rows(5000), callback);
    for output in ["out.parquet", "out.csv.zst", "out.json"] {
        let target = dir.path().join(output);
        let err = aconvert(cut.to_str().unwrap(), target.to_str().unwrap(), &options)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("cut.jsonl.gz"), "{output}: {err}");
        assert_eq!(names_in(dir.path()), ["cut.jsonl.gz"], "{output}");
    }
    // Rows were on their way when it failed; the last event is not a `done` one.
    let seen = seen.lock().unwrap();
    assert!(seen.iter().any(|p| p.rows_written >= 5000), "{seen:?}");
    assert!(seen.iter().all(|p| !p.done), "{seen:?}");
}

/// Dropping the conversion future mid-way (a timeout, a cancelled task) leaves no
/// output and no temporary file.
#[tokio::test]
async fn a_dropped_conversion_leaves_no_file() {
    let server = HttpServer::start().await;
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!("{{\"i\":{i}}}\n"));
    }
    let half = body.len() / 2;
    server.put("rows.jsonl", body);
    let gate = server.hold_after("rows.jsonl", half);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.parquet");
    let url = server.url("rows.jsonl");
    let options = ConvertOptions::new();
    let mut convert = Box::pin(aconvert(&url, output.to_str().unwrap(), &options));
    tokio::select! {
        done = &mut convert => panic!("the held input finished: {done:?}"),
        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
    }
    // The writer is open (its temporary file is there, the output is not) ...
    let during = names_in(dir.path());
    assert_eq!(during.len(), 1, "{during:?}");
    assert!(!during.contains(&"out.parquet".to_owned()), "{during:?}");
    // ... and dropping the conversion takes the temporary file with it.
    drop(convert);
    gate.open();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        names_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );
}

/// Events come every interval exactly, then once more at the end with the totals; the
/// input's size is known, so percent and ETA are too.
#[tokio::test]
async fn convert_progress_events_fall_on_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let input = input.to_str().unwrap();
    write_all(input, &IterableOptions::write(), &numbered(2500))
        .await
        .unwrap();
    let size = std::fs::metadata(input).unwrap().len();
    let output = dir.path().join("out.csv.gz");
    let (seen, callback) = recorder();
    let options = ConvertOptions::new()
        .batch_rows(300)
        .on_progress(ProgressEvery::Rows(1000), callback);
    let report = aconvert(input, output.to_str().unwrap(), &options)
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    let marks: Vec<(u64, u64, bool)> = seen
        .iter()
        .map(|p| (p.rows_read, p.rows_written, p.done))
        .collect();
    assert_eq!(
        marks,
        [(1000, 1000, false), (2000, 2000, false), (2500, 2500, true)]
    );
    let last = seen.last().unwrap();
    assert_eq!(last.bytes_total, Some(size));
    assert_eq!(last.bytes_read, size);
    assert_eq!(last.percent(), Some(100.0));
    assert_eq!(last.eta(), Some(Duration::ZERO));
    assert_eq!(&*last.location, input);
    assert!(seen[0].bytes_read > 0, "{:?}", seen[0]);
    assert_eq!(report.bytes_read, size);

    // By time: with a zero interval every batch is an event, and the last is `done`.
    let (seen, callback) = recorder();
    let options = ConvertOptions::new()
        .batch_rows(1000)
        .on_progress(ProgressEvery::Time(Duration::ZERO), callback);
    aconvert(input, output.to_str().unwrap(), &options)
        .await
        .unwrap();
    let rows: Vec<(u64, bool)> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|p| (p.rows_read, p.done))
        .collect();
    assert_eq!(
        rows,
        [(1000, false), (2000, false), (2500, false), (2500, true)]
    );
}

/// A URL's size comes from the server (`Content-Length`): percent is known.
#[tokio::test]
async fn progress_over_http_knows_the_size() {
    let server = HttpServer::start().await;
    let mut body = String::new();
    for i in 0..5000 {
        body.push_str(&format!("{{\"i\":{i}}}\n"));
    }
    let size = body.len() as u64;
    server.put("rows.jsonl", body);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.jsonl");
    let (seen, callback) = recorder();
    let options = ConvertOptions::new().on_progress(ProgressEvery::Rows(2000), callback);
    aconvert(
        &server.url("rows.jsonl"),
        output.to_str().unwrap(),
        &options,
    )
    .await
    .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.iter().all(|p| p.bytes_total == Some(size)), "{seen:?}");
    let first = seen[0].percent().unwrap();
    assert!(first > 0.0 && first < 100.0, "{first}");
    assert!(seen[0].eta().is_some());
    assert_eq!(seen[2].percent(), Some(100.0));
}

/// `with_progress` wraps any iterable: read row by row or in bulk, the events are the
/// same; a rewind starts the count again; skipped records are counted.
#[tokio::test]
async fn with_progress_reports_streams_and_bulk_reads_alike() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let mut text = String::new();
    for i in 0..1200 {
        if i % 100 == 50 {
            text.push_str("{bad\n");
        }
        text.push_str(&format!("{{\"i\":{i}}}\n"));
    }
    std::fs::write(&input, text).unwrap();
    let input = input.to_str().unwrap();
    let skip = IterableOptions::read().errors(ErrorPolicy::Skip);

    let (seen, callback) = recorder();
    let mut src = with_progress(
        skip.open(input).await.unwrap(),
        ProgressEvery::Rows(500),
        callback,
    );
    let mut n = 0;
    while let Some(row) = src.next().await {
        row.unwrap();
        n += 1;
    }
    assert_eq!(n, 1200);
    let by_stream: Vec<(u64, bool)> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|p| (p.rows_read, p.done))
        .collect();
    assert_eq!(by_stream, [(500, false), (1000, false), (1200, true)]);
    assert_eq!(seen.lock().unwrap().last().unwrap().skipped, 12);

    // Rewound and read in bulk (batches that do not fall on the interval).
    seen.lock().unwrap().clear();
    src.areset().await.unwrap();
    loop {
        let rows = src.aread_bulk(333).await.unwrap();
        if rows.is_empty() {
            break;
        }
    }
    let by_bulk: Vec<(u64, bool)> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|p| (p.rows_read, p.done))
        .collect();
    assert_eq!(by_bulk, by_stream);
}

/// Progress set on the options reports what they open: a reader as it is read, a
/// writer as it is written (its last event when it is closed).
#[tokio::test]
async fn options_on_progress_report_readers_and_writers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.csv");
    let path = path.to_str().unwrap();
    let (written, callback) = recorder();
    let mut dst = IterableOptions::write()
        .on_progress(ProgressEvery::Rows(400), callback)
        .open(path)
        .await
        .unwrap();
    for chunk in numbered(1000).chunks(250) {
        dst.awrite_bulk(chunk).await.unwrap();
    }
    dst.aclose().await.unwrap();
    let marks: Vec<(u64, u64, bool)> = written
        .lock()
        .unwrap()
        .iter()
        .map(|p| (p.rows_read, p.rows_written, p.done))
        .collect();
    assert_eq!(marks, [(0, 500, false), (0, 1000, false), (0, 1000, true)]);

    let (read_events, callback) = recorder();
    let src = IterableOptions::read()
        .on_progress(ProgressEvery::Rows(400), callback)
        .open(path)
        .await
        .unwrap();
    assert_eq!(collect(src).await.unwrap().len(), 1000);
    let marks: Vec<(u64, bool)> = read_events
        .lock()
        .unwrap()
        .iter()
        .map(|p| (p.rows_read, p.done))
        .collect();
    assert_eq!(marks, [(400, false), (800, false), (1000, true)]);
    let size = std::fs::metadata(path).unwrap().len();
    assert_eq!(read_events.lock().unwrap()[2].bytes_total, Some(size));
}

/// The people files of testdata, in every codec, convert to one format and read back
/// as the plain file does.
#[tokio::test]
async fn every_codec_of_the_people_files_converts() {
    let dir = tempfile::tempdir().unwrap();
    for name in people_files() {
        let plain = match name.split('.').nth(1).unwrap() {
            "csv" => "people.csv",
            "json" => "people.json",
            _ => "people.jsonl",
        };
        let output = dir.path().join(format!("{name}.jsonl"));
        let output = output.to_str().unwrap();
        let report = aconvert(&testdata(&name), output, &ConvertOptions::new())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = read(&testdata(plain)).await;
        assert_eq!(report.rows_written, expected.len() as u64, "{name}");
        assert_eq!(read(output).await, expected, "{name}");
    }
}

/// The format and codec of the output can be given instead of taken from its name.
#[tokio::test]
async fn the_output_format_can_be_named_in_the_options() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write_all(
        input.to_str().unwrap(),
        &IterableOptions::write(),
        &numbered(10),
    )
    .await
    .unwrap();
    let output = dir.path().join("out.data");
    let options = ConvertOptions::new().write(
        IterableOptions::write()
            .format(Format::CSV)
            .codec(Codec::Gzip),
    );
    aconvert(input.to_str().unwrap(), output.to_str().unwrap(), &options)
        .await
        .unwrap();
    let bytes = std::fs::read(&output).unwrap();
    assert_eq!(&bytes[..2], [0x1f, 0x8b]);
    let back = collect(
        IterableOptions::read()
            .format(Format::CSV)
            .codec(Codec::Gzip)
            .open(output.to_str().unwrap())
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(back.len(), 10);
    assert_eq!(back[3], row! { "i" => "3", "name" => "n3" });
}

/// Text into typed columns: by the first rows, by a schema, or not at all; a field
/// that does not fit the column's type is an error naming the row, and nothing is
/// published. Into a format without typed columns text stays text.
#[tokio::test]
async fn text_is_typed_by_column_for_typed_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    let mut text = String::from("id,zip,ok,price\n");
    for i in 0..10_500 {
        text.push_str(&format!("{i},0{i},{},{}\n", i % 2 == 0, i as f64 / 4.0));
    }
    text.push_str("n/a,01,true,1\n");
    std::fs::write(&csv, &text).unwrap();
    let csv = csv.to_str().unwrap();

    // The first 10,000 rows typed `id` as integers: the last row does not fit.
    let parquet = dir.path().join("out.parquet");
    let parquet = parquet.to_str().unwrap();
    let err = aconvert(csv, parquet, &ConvertOptions::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "row 10501: column \"id\": \"n/a\" is not an integer as the first 10000 rows typed it"
        ),
        "{err}"
    );
    assert_eq!(names_in(dir.path()), ["in.csv"]);

    // A schema decides instead: `id` is text there, `price` a float.
    let options = ConvertOptions::new().write(IterableOptions::write().schema([
        ("id", "Utf8"),
        ("zip", "Utf8"),
        ("ok", "Boolean"),
        ("price", "Float64"),
    ]));
    aconvert(csv, parquet, &options).await.unwrap();
    let rows = read(parquet).await;
    assert_eq!(
        rows[3],
        row! { "id" => "3", "zip" => "03", "ok" => false, "price" => 0.75 }
    );
    assert_eq!(rows.len(), 10_501);

    // Fewer rows, typed by inference; `zip` keeps its leading zeros as text.
    let head: String = text.lines().take(11).map(|l| format!("{l}\n")).collect();
    let small = dir.path().join("small.csv");
    std::fs::write(&small, head).unwrap();
    let small = small.to_str().unwrap();
    let arrow = dir.path().join("small.arrow");
    let arrow = arrow.to_str().unwrap();
    aconvert(small, arrow, &ConvertOptions::new())
        .await
        .unwrap();
    assert_eq!(
        read(arrow).await[2],
        row! { "id" => 2, "zip" => "02", "ok" => true, "price" => 0.5 }
    );

    // Asked not to, text stays text; into JSON Lines it does by default.
    let kept = dir.path().join("kept.arrow");
    let kept = kept.to_str().unwrap();
    aconvert(small, kept, &ConvertOptions::new().type_text(false))
        .await
        .unwrap();
    let jsonl = dir.path().join("small.jsonl");
    let jsonl = jsonl.to_str().unwrap();
    aconvert(small, jsonl, &ConvertOptions::new())
        .await
        .unwrap();
    let as_text = row! { "id" => "2", "zip" => "02", "ok" => "true", "price" => "0.5" };
    assert_eq!(read(kept).await[2], as_text);
    assert_eq!(read(jsonl).await[2], as_text);
    // And asked to, it is typed for JSON Lines too.
    aconvert(small, jsonl, &ConvertOptions::new().type_text(true))
        .await
        .unwrap();
    assert_eq!(
        read(jsonl).await[2].get("id"),
        Some(&iterable::Value::Int(2))
    );
}

/// Dates and date-times in text become Parquet dates and timestamps (a zone makes the
/// instant UTC), as `iterable schema` shows them.
#[tokio::test]
async fn dates_and_times_in_text_become_typed_parquet_columns() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("events.csv");
    std::fs::write(
        &csv,
        "id,day,local,created,note\n\
         1,2021-03-04,2021-03-04 05:06:07,2021-03-04T05:06:07Z,a\n\
         2,,2021-03-05,2021-03-04T07:06:07.5+02:00,2021-03-04\n",
    )
    .unwrap();
    let out = dir.path().join("events.parquet");
    let (csv, out) = (csv.to_str().unwrap(), out.to_str().unwrap());
    aconvert(csv, out, &ConvertOptions::new()).await.unwrap();
    let schema = iterable::arrow::aschema(out, &IterableOptions::read())
        .await
        .unwrap();
    let types: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("{}: {}", f.name(), f.data_type()))
        .collect();
    assert_eq!(
        types,
        [
            "id: Int64",
            "day: Date32",
            "local: Timestamp(µs)",
            "created: Timestamp(µs, \"UTC\")",
            "note: Utf8"
        ]
    );
    let rows = read(out).await;
    let text: Vec<String> = rows[1].values().iter().map(|v| v.to_string()).collect();
    assert_eq!(
        text,
        [
            "2",
            "",
            "2021-03-05T00:00:00",
            "2021-03-04T05:06:07.500Z",
            "2021-03-04"
        ]
    );
}

/// A row group is closed once the writer holds 16 MiB of it, whatever the row count,
/// so a writer's memory does not grow with the file.
#[tokio::test]
async fn row_groups_close_at_a_size_so_memory_stays_flat() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.parquet");
    let big = "x".repeat(1 << 20);
    let rows: Vec<Row> = (0..80)
        .map(|i| row! { "i" => i, "s" => big.as_str() })
        .collect();
    let options = IterableOptions::write()
        .columnar_compression(iterable::ColumnarCompression::None)
        .batch_size(4)
        .schema_scan_rows(4);
    write_all(out.to_str().unwrap(), &options, &rows)
        .await
        .unwrap();
    let file = std::fs::File::open(&out).unwrap();
    let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
    let groups = parquet::file::reader::FileReader::metadata(&reader).num_row_groups();
    assert!(groups >= 2, "{groups} row group(s) for 80 MiB of values");
    assert_eq!(read(out.to_str().unwrap()).await.len(), 80);
}
