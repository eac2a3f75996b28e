//! Reading Parquet through the facade: files written by the parquet crate's own
//! (synchronous) writer, read back through `aopen_iterable`: exact rows across row
//! groups with nulls in every column, projection, row-group selection, compressed and
//! sniffed files, and the errors for truncated and non-Parquet files.

use std::fs::File;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array,
    RecordBatch, StringArray, TimestampMicrosecondArray,
};
use chrono::NaiveDate;
use futures::StreamExt;
use iterable::{Error, IterableOptions, Row, Timestamp, Value, aopen_iterable};
use iterable_tests::collect;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

/// Ten rows, every column null somewhere, written in row groups of four.
fn write_sample(path: &std::path::Path) {
    let n = 10;
    let some = |i: usize| i % 3 != 1; // rows 1, 4, 7 are null in the first half of columns
    let other = |i: usize| i % 4 != 2; // rows 2, 6 are null in the rest
    let mut tags = ListBuilder::new(StringBuilder::new());
    for i in 0..n {
        if other(i) {
            tags.values().append_value(format!("t{i}"));
            tags.values().append_null();
            tags.append(true);
        } else {
            tags.append(false);
        }
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "id",
            Arc::new(Int64Array::from_iter(
                (0..n).map(|i| some(i).then_some(i as i64)),
            )),
        ),
        (
            "small",
            Arc::new(Int32Array::from_iter(
                (0..n).map(|i| other(i).then_some(-(i as i32))),
            )),
        ),
        (
            "name",
            Arc::new(StringArray::from_iter(
                (0..n).map(|i| some(i).then(|| format!("n{i}"))),
            )),
        ),
        (
            "score",
            Arc::new(Float64Array::from_iter(
                (0..n).map(|i| other(i).then_some(i as f64 / 2.0)),
            )),
        ),
        (
            "ok",
            Arc::new(BooleanArray::from_iter(
                (0..n).map(|i| some(i).then_some(i.is_multiple_of(2))),
            )),
        ),
        (
            "day",
            Arc::new(Date32Array::from_iter(
                (0..n).map(|i| other(i).then_some(19_000 + i as i32)),
            )),
        ),
        (
            "at",
            Arc::new(
                TimestampMicrosecondArray::from_iter(
                    (0..n).map(|i| some(i).then_some(1_700_000_000_000_000 + i as i64)),
                )
                .with_timezone("UTC"),
            ),
        ),
        (
            "blob",
            Arc::new(BinaryArray::from_iter(
                (0..n).map(|i| other(i).then(|| vec![i as u8; i])),
            )),
        ),
        ("tags", Arc::new(tags.finish())),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(4))
        .build();
    let mut writer =
        ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), Some(props)).unwrap();
    writer.write(&batch).unwrap();
    let meta = writer.close().unwrap();
    assert_eq!(meta.num_row_groups(), 3);
}

fn expected_row(i: usize) -> Vec<(&'static str, Value)> {
    let some = i % 3 != 1;
    let other = i % 4 != 2;
    let when = |c: bool, v: Value| if c { v } else { Value::Null };
    let at = chrono::DateTime::from_timestamp_micros(1_700_000_000_000_000 + i as i64)
        .unwrap()
        .naive_utc();
    vec![
        ("id", when(some, Value::Int(i as i64))),
        ("small", when(other, Value::Int(-(i as i64)))),
        ("name", when(some, Value::from(format!("n{i}")))),
        ("score", when(other, Value::Float(i as f64 / 2.0))),
        ("ok", when(some, Value::Bool(i.is_multiple_of(2)))),
        (
            "day",
            when(
                other,
                Value::Date(
                    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                        + chrono::Days::new(19_000 + i as u64),
                ),
            ),
        ),
        (
            "at",
            when(
                some,
                Value::Timestamp(Timestamp {
                    datetime: at,
                    tz: Some("UTC".into()),
                }),
            ),
        ),
        ("blob", when(other, Value::Bytes(vec![i as u8; i]))),
        (
            "tags",
            when(
                other,
                Value::List(vec![Value::from(format!("t{i}")), Value::Null]),
            ),
        ),
    ]
}

fn as_pairs(row: &Row) -> Vec<(String, Value)> {
    row.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect()
}

fn owned(pairs: Vec<(&'static str, Value)>) -> Vec<(String, Value)> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

#[tokio::test]
async fn row_groups_with_nulls_in_every_column_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.parquet");
    write_sample(&path);
    let rows = collect(aopen_iterable(path.to_str().unwrap()).await.unwrap())
        .await
        .unwrap();
    assert_eq!(rows.len(), 10);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(as_pairs(row), owned(expected_row(i)), "row {i}");
    }
}

#[tokio::test]
async fn small_batches_and_rewind_give_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.parquet");
    write_sample(&path);
    let mut src = IterableOptions::read()
        .batch_size(3)
        .open(path.to_str().unwrap())
        .await
        .unwrap();
    let first = src.aread_bulk(100).await.unwrap();
    assert_eq!(first.len(), 10);
    src.areset().await.unwrap();
    let again = src.aread_bulk(100).await.unwrap();
    assert_eq!(
        first.iter().map(as_pairs).collect::<Vec<_>>(),
        again.iter().map(as_pairs).collect::<Vec<_>>()
    );
    assert_eq!(src.progress().rows, 10);
}

#[tokio::test]
async fn projection_reads_only_the_asked_columns_in_the_asked_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.parquet");
    // A small column and a large, incompressible one.
    let n = 200usize;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let big: Vec<String> = (0..n)
        .map(|_| {
            (0..500)
                .map(|_| char::from(b'a' + (next() % 26) as u8))
                .collect()
        })
        .collect();
    let batch = RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(Int64Array::from_iter_values(0..n as i64)) as ArrayRef,
        ),
        ("big", Arc::new(StringArray::from(big)) as ArrayRef),
        (
            "flag",
            Arc::new(BooleanArray::from(vec![true; n])) as ArrayRef,
        ),
    ])
    .unwrap();
    let mut writer =
        ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let location = path.to_str().unwrap();

    let mut src = IterableOptions::read()
        .columns(["flag", "id"])
        .open(location)
        .await
        .unwrap();
    let mut count = 0;
    while let Some(row) = src.next().await {
        let row = row.unwrap();
        assert_eq!(row.keys().collect::<Vec<_>>(), ["flag", "id"]);
        assert_eq!(row["id"], Value::Int(count));
        count += 1;
    }
    assert_eq!(count, n as i64);
    let projected_bytes = src.progress().bytes;

    let mut all = aopen_iterable(location).await.unwrap();
    while let Some(row) = all.next().await {
        row.unwrap();
    }
    let all_bytes = all.progress().bytes;
    let file_size = std::fs::metadata(&path).unwrap().len();
    assert!(all_bytes > 50_000, "a full read fetched {all_bytes} bytes");
    assert!(
        projected_bytes < file_size / 5,
        "the projected read fetched {projected_bytes} of {file_size} bytes"
    );

    let err = IterableOptions::read()
        .columns(["nope"])
        .open(location)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::InvalidOption(_)), "{err:?}");
    assert!(
        text.contains("\"nope\"") && text.contains("id, big, flag"),
        "{text}"
    );
}

#[tokio::test]
async fn row_group_selection_reads_only_those_groups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.parquet");
    write_sample(&path);
    let location = path.to_str().unwrap();
    let rows = collect(
        IterableOptions::read()
            .row_groups([2, 0])
            .open(location)
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    // Row groups are read in the order asked: rows 8-9, then 0-3.
    let ids: Vec<Value> = rows.iter().map(|r| r["small"].clone()).collect();
    let expected: Vec<Value> = [8usize, 9, 0, 1, 2, 3]
        .iter()
        .map(|&i| expected_row(i)[1].1.clone())
        .collect();
    assert_eq!(ids, expected);
    let err = IterableOptions::read()
        .row_groups([3])
        .open(location)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("row group 3") && err.to_string().contains("has 3"),
        "{err}"
    );
}

#[tokio::test]
async fn compressed_and_unnamed_parquet_files_are_spooled_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("sample.parquet");
    write_sample(&plain);
    let bytes = std::fs::read(&plain).unwrap();

    // A gzip-compressed Parquet file: decompressed to a temporary file, then read.
    let gz = dir.path().join("sample.parquet.gz");
    let mut sink = iterable::bytes::open_sink(gz.to_str().unwrap(), iterable::Codec::Gzip, None)
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut sink, &bytes)
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::shutdown(&mut sink).await.unwrap();
    // A Parquet file whose name says nothing: sniffed by its PAR1 magic.
    let unnamed = dir.path().join("sample.bin");
    std::fs::write(&unnamed, &bytes).unwrap();

    for path in [&gz, &unnamed] {
        let src = aopen_iterable(path.to_str().unwrap()).await.unwrap();
        assert_eq!(src.info().format, iterable::Format::PARQUET);
        let rows = collect(src).await.unwrap();
        assert_eq!(rows.len(), 10, "{}", path.display());
        assert_eq!(as_pairs(&rows[9]), owned(expected_row(9)));
    }
}

#[tokio::test]
async fn truncated_and_non_parquet_files_are_clear_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("sample.parquet");
    write_sample(&good);
    let bytes = std::fs::read(&good).unwrap();

    let truncated = dir.path().join("truncated.parquet");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let not_parquet = dir.path().join("text.parquet");
    std::fs::write(&not_parquet, "id,name\n1,Anna\n").unwrap();
    let empty = dir.path().join("empty.parquet");
    std::fs::write(&empty, "").unwrap();

    for path in [&truncated, &not_parquet, &empty] {
        let location = path.to_str().unwrap();
        let err = aopen_iterable(location).await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert!(
            text.starts_with(location) && text.contains("not a readable Parquet file"),
            "{text}"
        );
    }

    // A file cut inside the data (the footer kept, a column chunk damaged) fails while
    // reading, and the stream then ends.
    let mut damaged = bytes.clone();
    for b in &mut damaged[4..bytes.len() / 3] {
        *b = 0xff;
    }
    let damaged_path = dir.path().join("damaged.parquet");
    std::fs::write(&damaged_path, &damaged).unwrap();
    let mut src = aopen_iterable(damaged_path.to_str().unwrap())
        .await
        .unwrap();
    let mut error = None;
    while let Some(row) = src.next().await {
        if let Err(e) = row {
            error = Some(e);
            break;
        }
    }
    let error = error.expect("a damaged column chunk is an error, not a short read");
    assert!(
        error.to_string().contains("damaged.parquet") && error.to_string().contains("Parquet"),
        "{error}"
    );
    assert!(src.next().await.is_none());
}

#[tokio::test]
async fn a_damaged_row_group_is_named_with_its_rows_and_first_byte() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("groups.parquet");
    let location = path.to_str().unwrap();
    let rows: Vec<_> = (0..300)
        .map(|i| iterable::row! { "id" => i, "name" => format!("name {i}") })
        .collect();
    let options = IterableOptions::write().row_group_size(100);
    iterable_tests::write_all(location, &options, &rows)
        .await
        .unwrap();
    // The second row group's first column chunk, overwritten where its page header is.
    let footer = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
    let group = footer.metadata().row_group(1);
    assert_eq!(group.num_rows(), 100);
    let start = group.column(0).byte_range().0 as usize;
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[start..start + 16].fill(0xff);
    std::fs::write(&path, &bytes).unwrap();

    let mut src = aopen_iterable(location).await.unwrap();
    let mut read = 0;
    let error = loop {
        match src.next().await {
            Some(Ok(_)) => read += 1,
            Some(Err(e)) => break e.to_string(),
            None => panic!("a damaged row group is an error, not a short read"),
        }
    };
    assert_eq!(
        read, 100,
        "the first row group's rows come before the error"
    );
    let expected = format!(
        "{location}: corrupt or truncated Parquet data in row group 1 (rows 100..200, from byte {start}): "
    );
    assert!(error.starts_with(&expected), "{error}");
}
