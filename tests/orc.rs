//! ORC written: typed columns kept (integers, floats, booleans, text, bytes, dates,
//! timestamps, nulls), the types orc-rust cannot encode written as their text, many
//! batches in one file, through a codec; stripes compressed with zstd by default or the
//! codec asked for, and one ORC has not refused; a row that does not fit is an error
//! naming it and leaves no file. CSV and JSON Lines go to ORC by the columnar road with
//! the row road's columns and values, and record batches are written as they are.

use iterable::{ColumnarCompression, Decimal, IterableOptions, Row, Timestamp, Value};
use iterable_tests::{collect, write_all};

async fn read(path: &std::path::Path) -> Vec<Row> {
    let location = path.to_str().unwrap();
    collect(IterableOptions::read().open(location).await.unwrap())
        .await
        .unwrap_or_else(|e| panic!("{location}: {e}"))
}

fn typed_row(i: i64) -> Row {
    let mut tags = Row::new();
    tags.insert("k", Value::from("v"));
    let mut row = Row::new();
    row.insert("id", Value::Int(i));
    row.insert("score", Value::Float(i as f64 + 0.25));
    row.insert("ok", Value::Bool(i % 2 == 0));
    row.insert("name", Value::from(format!("name {i} Zürich")));
    row.insert("blob", Value::Bytes(vec![i as u8, 0xff]));
    row.insert(
        "maybe",
        if i % 3 == 0 {
            Value::Null
        } else {
            Value::Int(i * 10)
        },
    );
    row.insert("day", Value::Date("2024-12-03".parse().unwrap()));
    row.insert(
        "at",
        Value::Timestamp(Timestamp {
            datetime: "2024-12-03T10:00:00.5".parse().unwrap(),
            tz: Some("UTC".into()),
        }),
    );
    row.insert(
        "price",
        Value::Decimal(Decimal {
            unscaled: 12345 + i as i128,
            scale: 2,
        }),
    );
    row.insert("list", Value::List(vec![Value::Int(i), Value::Int(i + 1)]));
    row.insert("map", Value::Map(tags));
    row
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_rows_are_written_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typed.orc");
    let rows: Vec<Row> = (0..5000).map(typed_row).collect();
    // Small batches: the file holds many, in one stripe or several.
    let options = IterableOptions::write().batch_size(700);
    write_all(path.to_str().unwrap(), &options, &rows)
        .await
        .unwrap();
    assert_eq!(&std::fs::read(&path).unwrap()[..3], b"ORC");

    let back = read(&path).await;
    assert_eq!(back.len(), 5000);
    let keys: Vec<&str> = back[0].keys().collect();
    assert_eq!(
        keys,
        [
            "id", "score", "ok", "name", "blob", "maybe", "day", "at", "price", "list", "map"
        ]
    );
    for (i, (row, original)) in back.iter().zip(&rows).enumerate() {
        for kept in ["id", "score", "ok", "name", "blob", "maybe", "day", "at"] {
            assert_eq!(row[kept], original[kept], "row {i}, {kept}");
        }
    }
    let last = &back[4999];
    assert_eq!(last["price"], Value::from("173.44"));
    assert_eq!(last["list"], Value::from("[4999,5000]"));
    assert_eq!(last["map"], Value::from("{\"k\":\"v\"}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orc_round_trips_through_a_codec_and_converts_from_csv() {
    let dir = tempfile::tempdir().unwrap();
    let zst = dir.path().join("rows.orc.zst");
    let rows: Vec<Row> = (0..10)
        .map(|i| {
            let mut row = Row::new();
            row.insert("id", Value::Int(i));
            row.insert("name", Value::from(format!("n{i}")));
            row
        })
        .collect();
    write_all(zst.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    assert_eq!(
        &std::fs::read(&zst).unwrap()[..4],
        [0x28, 0xb5, 0x2f, 0xfd],
        "zstd"
    );
    assert_eq!(read(&zst).await, rows);

    // A CSV's text becomes typed columns for ORC.
    let csv = dir.path().join("people.csv");
    std::fs::write(&csv, "id,name,score\n1,Anna,0.5\n2,Ben,\n").unwrap();
    let orc = dir.path().join("people.orc");
    let report = iterable::aconvert(
        csv.to_str().unwrap(),
        orc.to_str().unwrap(),
        &iterable::ConvertOptions::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.rows_written, 2);
    let back = read(&orc).await;
    assert_eq!(back[0]["id"], Value::Int(1));
    assert_eq!(back[0]["score"], Value::Float(0.5));
    assert_eq!(back[1]["score"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_that_does_not_fit_is_an_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.orc");
    let mut rows: Vec<Row> = (0..3).map(typed_row).collect();
    rows[2].insert("id", Value::from("three"));
    let err = write_all(
        path.to_str().unwrap(),
        &IterableOptions::write().schema_scan_rows(2).batch_size(2),
        &rows,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("bad.orc") && err.contains("row 3") && err.contains("id"),
        "{err}"
    );
    assert!(!path.exists(), "a failed write publishes no file");
    assert_eq!(iterable_tests::names_in(dir.path()), Vec::<String>::new());
}

/// The codec an ORC file's footer names, as orc-rust spells it (`None`: uncompressed).
fn orc_codec(path: &std::path::Path) -> Option<String> {
    let file = std::fs::File::open(path).unwrap();
    let reader = orc_rust::ArrowReaderBuilder::try_new(file).unwrap();
    reader
        .file_metadata()
        .compression()
        .map(|c| c.compression_type().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripes_are_compressed_with_zstd_or_the_codec_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<Row> = (0..3000).map(typed_row).collect();
    let mut sizes = Vec::new();
    for (asked, codec) in [
        (None, Some("Zstd")),
        (Some(ColumnarCompression::Snappy), Some("Snappy")),
        (Some(ColumnarCompression::Lz4), Some("Lz4")),
        (Some(ColumnarCompression::Gzip), Some("Zlib")),
        (Some(ColumnarCompression::Zstd), Some("Zstd")),
        (Some(ColumnarCompression::None), None),
    ] {
        let path = dir.path().join(format!("rows_{asked:?}.orc"));
        let mut options = IterableOptions::write();
        if let Some(asked) = asked {
            options = options.columnar_compression(asked);
        }
        write_all(path.to_str().unwrap(), &options, &rows)
            .await
            .unwrap();
        assert_eq!(orc_codec(&path).as_deref(), codec, "{asked:?}");
        let back = read(&path).await;
        assert_eq!(back.len(), rows.len(), "{asked:?}");
        for (i, (row, original)) in back.iter().zip(&rows).enumerate() {
            assert_eq!(row["name"], original["name"], "{asked:?}: row {i}");
            assert_eq!(row["at"], original["at"], "{asked:?}: row {i}");
        }
        sizes.push(std::fs::metadata(&path).unwrap().len());
    }
    let uncompressed = *sizes.last().unwrap();
    for size in &sizes[..sizes.len() - 1] {
        assert!(*size < uncompressed / 2, "{sizes:?}");
    }
}

#[tokio::test]
async fn a_codec_orc_has_not_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("z.orc");
    let err = IterableOptions::write()
        .columnar_compression(ColumnarCompression::Brotli)
        .open(path.to_str().unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ORC has no brotli codec") && err.contains("zstd, snappy, lz4, gzip"),
        "{err}"
    );
    assert!(!path.exists());
}

/// Converts `input` into ORC by batches and by rows; both outputs' rows.
async fn by_both_roads(input: &std::path::Path) -> (Vec<Row>, Vec<Row>) {
    let dir = input.parent().unwrap();
    let mut outputs = Vec::new();
    for by_rows in [false, true] {
        let out = dir.join(format!("out_{by_rows}.orc"));
        let report = iterable::aconvert(
            input.to_str().unwrap(),
            out.to_str().unwrap(),
            &iterable::ConvertOptions::new().by_rows(by_rows),
        )
        .await
        .unwrap();
        assert_eq!(report.rows_written, 3000, "by_rows {by_rows}");
        assert!(report.bytes_written > 0);
        outputs.push(read(&out).await);
    }
    let by_rows = outputs.pop().unwrap();
    (outputs.pop().unwrap(), by_rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_and_json_lines_go_to_orc_by_batches_as_by_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("typed.csv");
    let jsonl = dir.path().join("typed.jsonl");
    let mut csv_text = String::from("id,name,score,at,ok\n");
    let mut json_text = String::new();
    for i in 0..3000 {
        let score = if i % 7 == 0 {
            String::new()
        } else {
            format!("{}.5", i)
        };
        let at = format!("2024-01-02T03:04:{:02}Z", i % 60);
        csv_text.push_str(&format!("{i},\"n, {i}\",{score},{at},{}\n", i % 2 == 0));
        json_text.push_str(&format!(
            "{{\"id\":{i},\"name\":\"n, {i}\",\"score\":{},\"at\":\"{at}\",\"ok\":{}}}\n",
            if score.is_empty() { "null" } else { &score },
            i % 2 == 0
        ));
    }
    std::fs::write(&csv, csv_text).unwrap();
    std::fs::write(&jsonl, json_text).unwrap();
    for input in [&csv, &jsonl] {
        let (batches, rows) = by_both_roads(input).await;
        assert_eq!(batches, rows, "{}", input.display());
        assert_eq!(batches[1]["id"], Value::Int(1));
        assert_eq!(batches[1]["name"], Value::from("n, 1"));
        assert_eq!(batches[1]["score"], Value::Float(1.5));
        assert_eq!(batches[7]["score"], Value::Null);
        assert_eq!(batches[2]["ok"], Value::Bool(true));
        assert_eq!(
            batches[1]["at"],
            Value::Timestamp(Timestamp {
                datetime: "2024-01-02T03:04:01".parse().unwrap(),
                tz: Some("UTC".into()),
            })
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_batches_are_written_to_orc_as_they_are() {
    use iterable::arrow::{DataType, Field, RecordBatch, Schema};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batches.orc");
    let schema = Arc::new(Schema::new(vec![
        Field::new("small", DataType::UInt8, true),
        Field::new("day", DataType::Date32, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("big", DataType::UInt32, true),
        Field::new("half", DataType::Float16, true),
        Field::new(
            "at",
            DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, Some("+02:00".into())),
            true,
        ),
    ]));
    let mut writer =
        iterable::arrow::aopen_batch_writer(path.to_str().unwrap(), &IterableOptions::write())
            .await
            .unwrap();
    for part in 0..3u8 {
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(arrow_array::UInt8Array::from(vec![Some(part), None])),
                Arc::new(arrow_array::Date32Array::from(vec![Some(19_000), None])),
                Arc::new(arrow_array::StringArray::from(vec![Some("a"), Some("b")])),
                Arc::new(arrow_array::UInt32Array::from(vec![Some(u32::MAX), None])),
                Arc::new(arrow_array::Float16Array::from(vec![
                    Some(half::f16::from_f32(1.5)),
                    None,
                ])),
                Arc::new(
                    // 2024-01-02T03:04:05.678Z, written in a zone two hours east.
                    arrow_array::TimestampMillisecondArray::from(vec![
                        Some(1_704_164_645_678),
                        None,
                    ])
                    .with_timezone("+02:00"),
                ),
            ],
        )
        .unwrap();
        writer.write(&batch).await.unwrap();
    }
    assert!(!path.exists(), "nothing is published before close");
    writer.close().await.unwrap();
    let rows = read(&path).await;
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[4]["small"], Value::Int(2));
    assert_eq!(rows[4]["day"], Value::Date("2022-01-08".parse().unwrap()));
    assert_eq!(rows[4]["big"], Value::Int(i64::from(u32::MAX)));
    assert_eq!(rows[4]["half"], Value::Float(1.5));
    // ORC's instants carry no zone: the same instant, in UTC.
    assert_eq!(
        rows[4]["at"],
        Value::Timestamp(Timestamp {
            datetime: "2024-01-02T03:04:05.678".parse().unwrap(),
            tz: Some("UTC".into()),
        })
    );
    for column in ["small", "day", "big", "half", "at"] {
        assert_eq!(rows[5][column], Value::Null, "{column}");
    }
    assert_eq!(rows[5]["name"], Value::from("b"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_field_past_the_sample_that_does_not_fit_leaves_no_orc_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("late.csv");
    let mut text = String::from("id,name\n");
    for i in 0..10_050 {
        text.push_str(&format!("{i},n{i}\n"));
    }
    text.push_str("n/a,last\n");
    std::fs::write(&csv, text).unwrap();
    let out = dir.path().join("late.orc");
    let err = iterable::aconvert(
        csv.to_str().unwrap(),
        out.to_str().unwrap(),
        &iterable::ConvertOptions::new(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("row 10051") && err.contains("\"id\"") && err.contains("n/a"),
        "{err}"
    );
    assert_eq!(iterable_tests::names_in(dir.path()), ["late.csv"]);
}
