//! Writing Parquet through the facade, checked with the parquet crate's own reader: a
//! type matrix that survives Parquet -> rows -> Parquet, inferred schemas, rows that do
//! not fit, compression and row-group options, CSV type inference, and the
//! no-file-unless-closed promise.

use crate::matrix;
use arrow_array::RecordBatch;
use arrow_schema::{DataType, TimeUnit};
use std::fs::File;

use iterable::arrow::schema_to_text;
use iterable::{ColumnarCompression, Error, IterableOptions, Row, Value, row};
use iterable_tests::{collect, write_all};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::reader::{FileReader, SerializedFileReader};

/// Every batch of a Parquet file, read with the parquet crate's own reader.
fn read_batches(path: &std::path::Path) -> (arrow_schema::SchemaRef, Vec<RecordBatch>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let schema = builder.schema().clone();
    let batches = builder.build().unwrap().map(|b| b.unwrap()).collect();
    (schema, batches)
}

fn one_batch(path: &std::path::Path) -> RecordBatch {
    let (schema, batches) = read_batches(path);
    arrow_select_concat(&schema, &batches)
}

fn arrow_select_concat(schema: &arrow_schema::SchemaRef, batches: &[RecordBatch]) -> RecordBatch {
    // Batches are compared one table at a time: concatenate by rebuilding through rows
    // would hide bugs, so the files here are written as one batch and read as one.
    assert_eq!(
        batches.len(),
        1,
        "expected one batch, got {}",
        batches.len()
    );
    assert_eq!(&batches[0].schema(), schema);
    batches[0].clone()
}

#[tokio::test]
async fn type_matrix_survives_parquet_rows_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("matrix.parquet");
    let batch = matrix::type_matrix();
    let mut writer =
        ArrowWriter::try_new(File::create(&first).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let original = one_batch(&first);

    // Parquet -> rows, with the file's schema as text, -> Parquet.
    let rows = collect(
        IterableOptions::read()
            .open(first.to_str().unwrap())
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["u64"], Value::from(u64::MAX));
    assert_eq!(rows[2]["dict"], Value::from("even"));
    assert_eq!(
        rows[1]["struct"],
        Value::Map(row! { "a" => Value::Null, "b" => "q" })
    );
    assert_eq!(rows[0]["map"], Value::Map(row! { "k0" => 0 }));
    assert_eq!(rows[0]["time32"], Value::from("01:00:00"));

    let second = dir.path().join("again.parquet");
    let schema = schema_to_text(&original.schema());
    write_all(
        second.to_str().unwrap(),
        &IterableOptions::write().schema(schema),
        &rows,
    )
    .await
    .unwrap();
    let again = one_batch(&second);
    assert_eq!(again.schema(), original.schema());
    for (i, field) in original.schema().fields().iter().enumerate() {
        assert_eq!(
            again.column(i).as_ref(),
            original.column(i).as_ref(),
            "column {}",
            field.name()
        );
    }
}

#[tokio::test]
async fn inferred_schema_keeps_value_types() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.parquet");
    let day = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let at = iterable::Timestamp {
        datetime: day.and_hms_micro_opt(12, 30, 0, 250).unwrap(),
        tz: Some("UTC".into()),
    };
    let rows = vec![
        row! {
            "id" => 1, "score" => 1, "name" => "Anna", "ok" => true, "day" => day,
            "at" => at.clone(), "price" => iterable::Decimal { unscaled: 1999, scale: 2 },
            "tags" => vec!["a", "b"], "addr" => row! { "city" => "Oslo" },
            "blob" => Value::Bytes(vec![0, 1]), "none" => Value::Null,
        },
        row! {
            "id" => 2, "score" => 2.5, "name" => Value::Null, "ok" => Value::Null, "day" => Value::Null,
            "at" => Value::Null, "price" => iterable::Decimal { unscaled: 5, scale: 0 },
            "tags" => Value::List(vec![]), "addr" => row! { "zip" => "0150" },
            "blob" => Value::Null, "none" => Value::Null,
        },
    ];
    write_all(path.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let (schema, _) = read_batches(&path);
    let types: Vec<(String, String)> = schema_to_text(&schema);
    let expected = [
        ("id", "Int64"),
        ("score", "Float64"),
        ("name", "Utf8"),
        ("ok", "Boolean"),
        ("day", "Date32"),
        ("at", "Timestamp(µs, \"UTC\")"),
        ("price", "Decimal128(38, 2)"),
        ("tags", "List(Utf8)"),
        ("addr", "Struct(\"city\": Utf8, \"zip\": Utf8)"),
        ("blob", "Binary"),
        ("none", "Utf8"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(types, expected);

    let back = collect(
        iterable::aopen_iterable(path.to_str().unwrap())
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(back[0]["at"], Value::Timestamp(at));
    assert_eq!(back[0]["score"], Value::Float(1.0));
    assert_eq!(
        back[1]["price"],
        Value::Decimal(iterable::Decimal {
            unscaled: 500,
            scale: 2
        })
    );
    assert_eq!(
        back[1]["addr"],
        Value::Map(row! { "city" => Value::Null, "zip" => "0150" })
    );
    assert_eq!(back[0]["tags"], Value::from(vec!["a", "b"]));
}

#[tokio::test]
async fn a_row_that_does_not_fit_is_an_error_naming_row_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<Row>, IterableOptions, &str)> = vec![
        (
            vec![row! { "n" => 1 }, row! { "n" => 2 }, row! { "n" => "abc" }],
            IterableOptions::write().schema_scan_rows(2),
            "row 3: column `n`: value \"abc\" (string) does not fit Int64",
        ),
        (
            vec![row! { "n" => 1 }, row! { "n" => 300 }],
            IterableOptions::write().schema([("n", "Int8")]),
            "row 2: column `n`: value 300 (int) does not fit Int8",
        ),
        (
            vec![row! { "n" => 1 }, row! { "n" => 2, "extra" => true }],
            IterableOptions::write().schema_scan_rows(1),
            "row 2: column `extra`: the schema has no such column (it has: n)",
        ),
        (
            vec![row! { "n" => 1 }, row! { "n" => Value::Null }],
            IterableOptions::write().schema([("n", "non-null Int64")]),
            "row 2: column `n`: null in a non-null column",
        ),
        (
            vec![row! { "n" => 1 }, row! { "n" => "x" }],
            IterableOptions::write(),
            "row 1: cannot infer a schema from the first rows: column `n`: the sampled rows disagree on its type (int, then string); give a schema",
        ),
    ];
    for (i, (rows, options, message)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.parquet"));
        let location = path.to_str().unwrap();
        let err = write_all(location, &options, &rows).await.unwrap_err();
        assert!(matches!(err, Error::Write { .. }), "{err:?}");
        assert_eq!(err.to_string(), format!("{location}: {message}"));
        assert!(!path.exists(), "a failed write left {location}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temporary files left"
        );
    }
}

#[tokio::test]
async fn a_writer_dropped_before_aclose_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dropped.parquet");
    let mut dst = IterableOptions::write()
        .batch_size(2)
        .schema_scan_rows(2)
        .open(path.to_str().unwrap())
        .await
        .unwrap();
    for i in 0..10 {
        dst.awrite(&row! { "i" => i }).await.unwrap();
    }
    // Batches are encoded on a thread of their own: wait until it has some.
    let waited = std::time::Instant::now();
    while dst.progress().bytes == 0 && waited.elapsed() < std::time::Duration::from_secs(10) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(dst.progress().bytes > 0, "batches were encoded");
    drop(dst);
    tokio::task::yield_now().await;
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn compression_and_row_group_size_options_reach_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<Row> = (0..10)
        .map(|i| row! { "i" => i, "s" => format!("v{i}") })
        .collect();
    let cases = [
        // zstd by default, as polars writes.
        (None, Compression::ZSTD(Default::default())),
        (Some(ColumnarCompression::Snappy), Compression::SNAPPY),
        (
            Some(ColumnarCompression::Gzip),
            Compression::GZIP(Default::default()),
        ),
        (Some(ColumnarCompression::Lz4), Compression::LZ4_RAW),
        (
            Some(ColumnarCompression::Brotli),
            Compression::BROTLI(Default::default()),
        ),
        (Some(ColumnarCompression::None), Compression::UNCOMPRESSED),
    ];
    for (i, (asked, expected)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("c{i}.parquet"));
        let mut options = IterableOptions::write().row_group_size(4);
        if let Some(c) = asked {
            options = options.columnar_compression(c);
        }
        write_all(path.to_str().unwrap(), &options, &rows)
            .await
            .unwrap();
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let meta = reader.metadata();
        assert_eq!(meta.num_row_groups(), 3, "{asked:?}");
        let codec = meta.row_group(0).column(0).compression();
        assert_eq!(
            std::mem::discriminant(&codec),
            std::mem::discriminant(&expected),
            "{asked:?}"
        );
        let back = collect(
            iterable::aopen_iterable(path.to_str().unwrap())
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(back.len(), 10);
        assert_eq!(back[9]["s"], Value::from("v9"));
    }
}

#[tokio::test]
async fn csv_to_parquet_writes_what_type_inference_decides() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "id,price,ok,name\n1,2.5,true,Anna\n2,,false,Ben\n").unwrap();
    for (infer, types) in [
        (false, ["Utf8", "Utf8", "Utf8", "Utf8"]),
        (true, ["Int64", "Float64", "Boolean", "Utf8"]),
    ] {
        let rows = collect(
            IterableOptions::read()
                .infer_types(infer)
                .open(csv.to_str().unwrap())
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        let out = dir.path().join(format!("out_{infer}.parquet"));
        write_all(out.to_str().unwrap(), &IterableOptions::write(), &rows)
            .await
            .unwrap();
        let (schema, batches) = read_batches(&out);
        let got: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| f.data_type().to_string())
            .collect();
        assert_eq!(got, types, "infer_types({infer})");
        assert_eq!(batches[0].num_rows(), 2);
        if infer {
            assert!(batches[0].column(1).is_null(1), "an empty field is null");
        }
    }
}

#[tokio::test]
async fn no_rows_with_a_schema_is_an_empty_file_with_that_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.parquet");
    write_all(
        path.to_str().unwrap(),
        &IterableOptions::write().schema([("id", "Int64"), ("at", "Timestamp(ms)")]),
        &[],
    )
    .await
    .unwrap();
    let (schema, batches) = read_batches(&path);
    assert_eq!(
        schema.field(1).data_type(),
        &DataType::Timestamp(TimeUnit::Millisecond, None)
    );
    assert!(batches.iter().all(|b| b.num_rows() == 0));
    let rows = collect(
        iterable::aopen_iterable(path.to_str().unwrap())
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(rows.is_empty());
}

/// Rows written in bulk become batches straight from the slice; a row that does not
/// fit is still named by its number in the whole write, and every row before it is
/// kept in order when none fails.
#[tokio::test]
async fn bulk_writes_name_the_row_that_does_not_fit_and_keep_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<Row> = (0..3000i64).map(|i| row! { "n" => i }).collect();
    for (name, options) in [
        ("inferred", IterableOptions::write().schema_scan_rows(100)),
        ("given", IterableOptions::write().schema([("n", "Int64")])),
    ] {
        let path = dir.path().join(format!("{name}.parquet"));
        let location = path.to_str().unwrap();
        let mut bad = rows.clone();
        bad[2499] = row! { "n" => "x" };
        let mut dst = options.open(location).await.unwrap();
        let err = dst.awrite_bulk(&bad).await.unwrap_err().to_string();
        assert!(err.contains("row 2500: column `n`"), "{name}: {err}");
        drop(dst);
        assert!(!path.exists(), "{name}");

        let mut dst = options.open(location).await.unwrap();
        for part in rows.chunks(700) {
            dst.awrite_bulk(part).await.unwrap();
        }
        dst.aclose().await.unwrap();
        assert_eq!(
            collect(iterable::aopen_iterable(location).await.unwrap())
                .await
                .unwrap(),
            rows,
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nearly_distinct_columns_are_written_without_a_dictionary_and_steady_integers_as_deltas() {
    use parquet::basic::Encoding;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("keys.csv");
    let mut text = String::from("id,email,colour,scattered,logged\n");
    for i in 0..5000 {
        // `scattered` jumps about its whole range; `logged` climbs a few seconds a row.
        let scattered = (i * 7919) % 100_003;
        let (minute, second) = (i * 3 / 60, i * 3 % 60);
        text.push_str(&format!(
            "{i},u{i}@x.test,{},{scattered},2024-05-01T{:02}:{:02}:{second:02}Z\n",
            ["red", "blue", "green"][i % 3],
            minute / 60,
            minute % 60,
        ));
    }
    std::fs::write(&csv, text).unwrap();
    for by_rows in [false, true] {
        let out = dir.path().join(format!("keys_{by_rows}.parquet"));
        iterable::aconvert(
            csv.to_str().unwrap(),
            out.to_str().unwrap(),
            &iterable::ConvertOptions::new().by_rows(by_rows),
        )
        .await
        .unwrap();
        let reader = SerializedFileReader::new(File::open(&out).unwrap()).unwrap();
        let group = reader.metadata().row_group(0);
        let uses =
            |c: usize, encoding: Encoding| group.column(c).encodings().any(|e| e == encoding);
        let dictionary = |c: usize| uses(c, Encoding::RLE_DICTIONARY);
        let deltas = |c: usize| uses(c, Encoding::DELTA_BINARY_PACKED);
        let lengths_apart = |c: usize| uses(c, Encoding::DELTA_LENGTH_BYTE_ARRAY);
        assert!(!dictionary(0), "id, by_rows {by_rows}");
        assert!(!dictionary(1), "email, by_rows {by_rows}");
        assert!(dictionary(2), "colour, by_rows {by_rows}");
        assert!(!dictionary(3), "scattered, by_rows {by_rows}");
        assert!(!dictionary(4), "logged, by_rows {by_rows}");
        assert!(deltas(0), "id, by_rows {by_rows}");
        assert!(deltas(4), "logged, by_rows {by_rows}");
        for plain in [1, 2, 3] {
            assert!(!deltas(plain), "column {plain}, by_rows {by_rows}");
        }
        assert!(lengths_apart(1), "email, by_rows {by_rows}");
        assert!(!lengths_apart(2), "colour, by_rows {by_rows}");
        let back = collect(
            iterable::aopen_iterable(out.to_str().unwrap())
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(back.len(), 5000);
        for (i, row) in back.iter().enumerate() {
            assert_eq!(row["id"], Value::from(i as i64));
            assert_eq!(row["scattered"], Value::from((i as i64 * 7919) % 100_003));
        }
        for (i, row) in back.iter().enumerate() {
            assert_eq!(row["email"], Value::from(format!("u{i}@x.test")));
        }
        assert_eq!(
            back[4999]["logged"].to_string(),
            "2024-05-01T04:09:57Z",
            "by_rows {by_rows}"
        );
        assert_eq!(back[4999]["colour"], Value::from("blue"));
    }
}

/// Nearly distinct strings and bytes of every Arrow layout, nulls among them, are written
/// with their lengths apart from their bytes (`DELTA_LENGTH_BYTE_ARRAY`) and read back
/// as they were, across pages and row groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distinct_strings_and_bytes_of_every_layout_go_with_their_lengths_apart() {
    use arrow_array::{
        ArrayRef, BinaryArray, BinaryViewArray, LargeBinaryArray, LargeStringArray, StringArray,
        StringViewArray,
    };
    use parquet::basic::Encoding;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bytes.parquet");
    let rows = 30_000;
    // Lengths 0 to 300 (empty strings among them), every 7th a null.
    let text = |i: usize| (i % 7 != 3).then(|| format!("{i}:{}", "lorem ipsum ".repeat(i % 25)));
    let texts: Vec<Option<String>> = (0..rows).map(text).collect();
    let strs = || texts.iter().map(|t| t.as_deref());
    let bytes = || texts.iter().map(|t| t.as_deref().map(str::as_bytes));
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("utf8", Arc::new(StringArray::from_iter(strs()))),
        ("large_utf8", Arc::new(LargeStringArray::from_iter(strs()))),
        ("utf8_view", Arc::new(StringViewArray::from_iter(strs()))),
        ("binary", Arc::new(BinaryArray::from_iter(bytes()))),
        (
            "large_binary",
            Arc::new(LargeBinaryArray::from_iter(bytes())),
        ),
        ("binary_view", Arc::new(BinaryViewArray::from_iter(bytes()))),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let options = IterableOptions::write().row_group_size(10_000);
    let mut writer = iterable::arrow::aopen_batch_writer(path.to_str().unwrap(), &options)
        .await
        .unwrap();
    for start in (0..rows).step_by(4096) {
        let len = 4096.min(rows - start);
        writer.write(&batch.slice(start, len)).await.unwrap();
    }
    writer.close().await.unwrap();

    let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
    assert_eq!(reader.metadata().num_row_groups(), 3);
    for group in reader.metadata().row_groups() {
        for column in group.columns() {
            let encodings: Vec<Encoding> = column.encodings().collect();
            assert!(
                encodings.contains(&Encoding::DELTA_LENGTH_BYTE_ARRAY)
                    && !encodings.contains(&Encoding::RLE_DICTIONARY),
                "{}: {encodings:?}",
                column.column_path()
            );
        }
    }
    let (_, batches) = read_batches(&path);
    let back = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap();
    assert_eq!(back.num_rows(), rows);
    for (name, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let read = back.column_by_name(name.name()).unwrap();
        assert_eq!(read, column, "{}", name.name());
    }
}
