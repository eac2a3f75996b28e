//! Arrow IPC through the facade (file and stream forms, checked against arrow-ipc's own
//! reader and writer) and the Arrow interop: batches out of any location, batches into
//! any format, and `aschema`.

use crate::ipc_messages;
use crate::matrix;

use std::io::Cursor;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_ipc::reader::{FileReader, StreamReader};
use arrow_ipc::writer::{FileWriter, StreamWriter};
use futures::StreamExt;
use iterable::arrow::schema_to_text;
use iterable::{ColumnarCompression, Error, IterableOptions, Value, aopen_iterable, arrow, row};
use iterable_tests::{collect, write_all};

fn ipc_file_batches(bytes: &[u8]) -> Vec<RecordBatch> {
    FileReader::try_new(Cursor::new(bytes.to_vec()), None)
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

#[tokio::test]
async fn type_matrix_survives_ipc_rows_ipc_in_both_forms() {
    let dir = tempfile::tempdir().unwrap();
    let batch = matrix::type_matrix();
    for (name, stream_form, compression) in [
        ("m.arrow", false, None),
        ("m.feather", false, Some(ColumnarCompression::Lz4)),
        ("m.arrows", true, Some(ColumnarCompression::Zstd)),
        ("m.ipc", false, Some(ColumnarCompression::Zstd)),
    ] {
        // Written by arrow-ipc itself, with dictionaries.
        let first = dir.path().join(format!("src_{name}"));
        let mut bytes = Vec::new();
        if stream_form {
            let mut w = StreamWriter::try_new(&mut bytes, &batch.schema()).unwrap();
            w.write(&batch).unwrap();
            w.write(&batch.slice(1, 2)).unwrap();
            w.finish().unwrap();
        } else {
            let mut w = FileWriter::try_new(&mut bytes, &batch.schema()).unwrap();
            w.write(&batch).unwrap();
            w.write(&batch.slice(1, 2)).unwrap();
            w.finish().unwrap();
        }
        std::fs::write(&first, &bytes).unwrap();
        let first_location = first.to_str().unwrap().to_owned();
        let rows = collect(
            IterableOptions::read()
                .format(iterable::Format::ARROW)
                .open(&first_location)
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), 6, "{name}");
        assert_eq!(rows[4]["dict"], Value::Null, "{name}");
        assert_eq!(rows[5]["utf8"], Value::from("é2"), "{name}");

        // Rows -> IPC by this library, with the schema read.
        let second = dir.path().join(name);
        let schema = arrow::aschema(&first_location, &IterableOptions::read())
            .await
            .unwrap();
        assert_eq!(schema, batch.schema(), "{name}");
        let mut options = IterableOptions::write().schema(schema_to_text(&schema));
        if let Some(c) = compression {
            options = options.columnar_compression(c);
        }
        write_all(second.to_str().unwrap(), &options, &rows)
            .await
            .unwrap();
        let written = std::fs::read(&second).unwrap();
        let batches: Vec<RecordBatch> = if stream_form {
            assert!(!written.starts_with(b"ARROW1"), "{name} is a stream");
            StreamReader::try_new(Cursor::new(written), None)
                .unwrap()
                .map(|b| b.unwrap())
                .collect()
        } else {
            assert!(written.starts_with(b"ARROW1"), "{name} is a file");
            ipc_file_batches(&written)
        };
        let all = arrow_select::concat::concat_batches(&batch.schema(), &batches).unwrap();
        let expected = arrow_select::concat::concat_batches(
            &batch.schema(),
            &[batch.clone(), batch.slice(1, 2)],
        )
        .unwrap();
        assert_eq!(all, expected, "{name}");
    }
}

#[tokio::test]
async fn peer_arrow_file_reads_by_name_and_by_magic() {
    let Some(dir) = iterable_tests::shared_conformance() else {
        println!("SKIPPED: ../shared/conformance is absent");
        return;
    };
    let bytes = std::fs::read(dir.join("2cols6rows.arrow")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let unnamed = tmp.path().join("people.bin");
    std::fs::write(&unnamed, &bytes).unwrap();
    let src = aopen_iterable(unnamed.to_str().unwrap()).await.unwrap();
    assert_eq!(src.info().format, iterable::Format::ARROW);
    let rows = collect(src).await.unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[3], row! { "id" => 4, "name" => "Anna" });
}

#[tokio::test]
async fn truncated_and_non_ipc_files_are_clear_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.arrow");
    let rows: Vec<_> = (0..100)
        .map(|i| row! { "i" => i, "s" => format!("row {i}") })
        .collect();
    write_all(good.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let bytes = std::fs::read(&good).unwrap();

    // Cut inside the record batch: the stream gives an error, not a short read.
    let cut = dir.path().join("cut.arrow");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let mut src = aopen_iterable(cut.to_str().unwrap()).await.unwrap();
    let mut err = None;
    while let Some(row) = src.next().await {
        if let Err(e) = row {
            err = Some(e);
        }
    }
    let err = err.expect("a truncated IPC file is an error");
    assert!(
        err.to_string().starts_with(cut.to_str().unwrap()) && err.to_string().contains("truncated"),
        "{err}"
    );

    // Cut anywhere in the footer, after every row: still an error, not 100 rows.
    for keep in [bytes.len() - 1, bytes.len() - 6, bytes.len() - 11] {
        let cut = dir.path().join(format!("footer{keep}.arrow"));
        std::fs::write(&cut, &bytes[..keep]).unwrap();
        let src = aopen_iterable(cut.to_str().unwrap()).await.unwrap();
        let err = collect(src)
            .await
            .expect_err("a file cut in its footer is an error");
        assert!(
            err.to_string().starts_with(cut.to_str().unwrap())
                && err.to_string().contains("truncated"),
            "{keep}: {err}"
        );
    }

    // The stream form ends at its end-of-stream marker: bytes after it are an error.
    let stream = dir.path().join("good.arrows");
    write_all(stream.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let mut tail = std::fs::read(&stream).unwrap();
    tail.extend_from_slice(b"GARBAGE");
    let garbage = dir.path().join("garbage.arrows");
    std::fs::write(&garbage, &tail).unwrap();
    let src = aopen_iterable(garbage.to_str().unwrap()).await.unwrap();
    let err = collect(src)
        .await
        .expect_err("bytes after the end are an error");
    assert!(
        err.to_string()
            .contains("7 bytes after the end-of-stream marker"),
        "{err}"
    );

    // A message cut short is named, with the byte where it starts: the stream's first
    // message is its schema (`FFFFFFFF`, the header's length, the header, no body).
    let bytes = std::fs::read(&stream).unwrap();
    let schema_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let second = 8 + schema_len;
    let cut = dir.path().join("cut.arrows");
    std::fs::write(&cut, &bytes[..second + 12]).unwrap();
    let err = collect(aopen_iterable(cut.to_str().unwrap()).await.unwrap())
        .await
        .expect_err("a cut message is an error");
    assert!(
        err.to_string().contains(&format!(
            "not valid Arrow IPC data in message 2 (at byte {second}): "
        )),
        "{err}"
    );

    // Not Arrow IPC at all.
    let text = dir.path().join("text.arrow");
    std::fs::write(&text, "id,name\n1,Anna\n").unwrap();
    let err = aopen_iterable(text.to_str().unwrap()).await.unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(text.to_str().unwrap())
            && err.to_string().contains("not valid Arrow IPC data"),
        "{err}"
    );
}

#[tokio::test]
async fn batches_come_from_any_location() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv.gz");
    let rows: Vec<_> = (0..10)
        .map(|i| row! { "id" => i, "score" => i as f64 / 4.0 })
        .collect();
    write_all(csv.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let parquet = dir.path().join("in.parquet");
    write_all(parquet.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();

    // CSV (types inferred when asked), 4 rows a batch.
    let options = IterableOptions::read().infer_types(true).batch_size(4);
    let batches: Vec<RecordBatch> = arrow::aopen_batches(csv.to_str().unwrap(), &options)
        .await
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
        .await;
    assert_eq!(
        batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
        [4, 4, 2]
    );
    assert_eq!(
        schema_to_text(&batches[0].schema()),
        [
            ("id".to_owned(), "Int64".to_owned()),
            ("score".to_owned(), "Float64".to_owned())
        ]
    );

    // Parquet: the decoder's own batches, projected.
    let options = IterableOptions::read().batch_size(3).columns(["score"]);
    let batches: Vec<RecordBatch> = arrow::aopen_batches(parquet.to_str().unwrap(), &options)
        .await
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
        .await;
    assert_eq!(
        batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
        [3, 3, 3, 1]
    );
    assert_eq!(batches[0].num_columns(), 1);

    // Rows of an open iterable.
    let src = aopen_iterable(parquet.to_str().unwrap()).await.unwrap();
    let batches: Vec<_> = arrow::batches(src, &IterableOptions::read())
        .unwrap()
        .collect()
        .await;
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].as_ref().unwrap().num_rows(), 10);
}

#[tokio::test]
async fn batches_go_to_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        (
            "name",
            Arc::new(StringArray::from(vec![Some("Anna"), None])) as ArrayRef,
        ),
    ])
    .unwrap();
    for name in ["out.parquet", "out.arrow", "out.jsonl.zst", "out.csv"] {
        let path = dir.path().join(name);
        let location = path.to_str().unwrap();
        let mut dst = arrow::aopen_batch_writer(location, &IterableOptions::write())
            .await
            .unwrap();
        dst.write(&batch).await.unwrap();
        dst.write(&batch).await.unwrap();
        assert!(!path.exists(), "{name} appears only on close");
        dst.close().await.unwrap();
        let rows = collect(aopen_iterable(location).await.unwrap())
            .await
            .unwrap();
        assert_eq!(rows.len(), 4, "{name}");
        assert_eq!(rows[0]["name"], Value::from("Anna"), "{name}");
        assert_eq!(rows[3]["id"].to_string(), "2", "{name}");
    }

    // Arrow IPC reading selects and orders columns too.
    let arrow_file = dir.path().join("out.arrow");
    let rows = collect(
        IterableOptions::read()
            .columns(["name", "id"])
            .open(arrow_file.to_str().unwrap())
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(rows[0], row! { "name" => "Anna", "id" => 1 });
    assert_eq!(rows.len(), 4);

    // A batch of another schema does not go into a columnar file.
    let path = dir.path().join("mixed.parquet");
    let mut dst = arrow::aopen_batch_writer(path.to_str().unwrap(), &IterableOptions::write())
        .await
        .unwrap();
    dst.write(&batch).await.unwrap();
    let other =
        RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1])) as ArrayRef)])
            .unwrap();
    let err = dst.write(&other).await.unwrap_err();
    assert!(err.to_string().contains("is not the file's"), "{err}");
    assert!(dst.close().await.is_err());
    assert!(!path.exists());
}

#[tokio::test]
async fn schema_of_row_formats_is_inferred_from_the_first_rows() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("in.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":1,\"tags\":[\"a\"],\"geo\":{\"lat\":1.5}}\n{\"id\":2,\"tags\":[],\"geo\":null}\n",
    )
    .unwrap();
    let schema = arrow::aschema(jsonl.to_str().unwrap(), &IterableOptions::read())
        .await
        .unwrap();
    assert_eq!(
        schema_to_text(&schema),
        [
            ("id".to_owned(), "Int64".to_owned()),
            ("tags".to_owned(), "List(Utf8)".to_owned()),
            ("geo".to_owned(), "Struct(\"lat\": Float64)".to_owned()),
        ]
    );
}

#[tokio::test]
async fn an_ipc_writer_dropped_or_failed_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let dropped = dir.path().join("dropped.arrow");
    let mut dst = IterableOptions::write()
        .batch_size(2)
        .schema_scan_rows(2)
        .open(dropped.to_str().unwrap())
        .await
        .unwrap();
    for i in 0..5 {
        dst.awrite(&row! { "i" => i }).await.unwrap();
    }
    assert!(dst.progress().bytes > 0, "batches were encoded");
    drop(dst);
    tokio::task::yield_now().await;

    let failed = dir.path().join("failed.arrows");
    let location = failed.to_str().unwrap();
    let err = write_all(
        location,
        &IterableOptions::write().schema([("i", "UInt8")]),
        &[row! { "i" => 1 }, row! { "i" => -1 }],
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{location}: row 2: column `i`: value -1 (int) does not fit UInt8")
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// One batch of many rows (more than the rows made at once from a batch) and a Parquet
/// file read as rows in batches larger than the reader decodes at once: every row, in
/// order, and the batch API still gives the asked batch size.
#[tokio::test]
async fn large_batches_give_every_row_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let n = 5000i64;
    let batch = RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(Int64Array::from_iter_values(0..n)) as ArrayRef,
        ),
        (
            "name",
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("row {i}")),
            )) as ArrayRef,
        ),
    ])
    .unwrap();
    let ipc = dir.path().join("big.arrow");
    let mut bytes = Vec::new();
    let mut w = FileWriter::try_new(&mut bytes, &batch.schema()).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    drop(w);
    std::fs::write(&ipc, &bytes).unwrap();
    let pq = dir.path().join("big.parquet");
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&pq).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();

    for path in [&ipc, &pq] {
        let location = path.to_str().unwrap();
        let src = IterableOptions::read()
            .batch_size(4096)
            .open(location)
            .await
            .unwrap();
        let rows = collect(src).await.unwrap();
        assert_eq!(rows.len(), n as usize, "{location}");
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row["id"], Value::Int(i as i64), "{location}");
            assert_eq!(row["name"], Value::from(format!("row {i}")), "{location}");
        }
    }
    let options = IterableOptions::read().batch_size(4096);
    let mut batches = arrow::aopen_batches(pq.to_str().unwrap(), &options)
        .await
        .unwrap();
    let mut sizes = Vec::new();
    while let Some(b) = batches.next().await {
        sizes.push(b.unwrap().num_rows());
    }
    assert_eq!(sizes, [4096, 904]);
}

/// Reads `bytes` as an Arrow IPC stream and gives its rows or its error's text.
async fn read_stream(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
    options: &IterableOptions,
) -> std::result::Result<Vec<iterable::Row>, String> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let location = path.to_str().unwrap();
    let read = async { collect(options.open(location).await?).await };
    read.await.map_err(|e| {
        let text = e.to_string();
        assert!(
            text.starts_with(location),
            "the error names the file: {text}"
        );
        text
    })
}

#[tokio::test]
async fn ipc_headers_are_checked_before_decoding() {
    use arrow_ipc::{CompressionType, Endianness};
    use ipc_messages::{Column, batch, batch_with_variadic, schema, stream};
    let dir = tempfile::tempdir().unwrap();
    let read = IterableOptions::read();
    let little = Endianness::Little;

    // A stream put together here reads like one arrow-ipc wrote: the crafting is sound.
    let values: Vec<u8> = [7i64, 8].iter().flat_map(|v| v.to_le_bytes()).collect();
    let good = stream(&[
        schema(Column::Int(64), little),
        batch(2, &[(2, 0)], &[(0, 0), (0, 16)], None, &values),
    ]);
    let rows = read_stream(dir.path(), "good.arrows", &good, &read)
        .await
        .unwrap();
    assert_eq!(rows, [row! { "x" => 7 }, row! { "x" => 8 }]);

    // Each header below made arrow-ipc's decoder panic or abort; each is now an error
    // saying what is wrong, in which message, from which byte.
    let schema_len = schema(Column::Int(64), little).len();
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        (
            "wide_int",
            stream(&[schema(Column::Int(65088), little)]),
            "message 1 (at byte 0): column \"x\": an integer of 65088 bits (8, 16, 32 or 64)"
                .into(),
        ),
        (
            "no_type",
            stream(&[schema(Column::NoType, little)]),
            "column \"x\": the type NONE is not supported".into(),
        ),
        (
            "big_endian",
            stream(&[schema(Column::Int(64), Endianness::Big)]),
            "big-endian Arrow data is not supported".into(),
        ),
        (
            "outside",
            stream(&[
                schema(Column::Int(64), little),
                batch(1, &[(1, 0)], &[(0, 0), (8, 8)], None, &[0; 8]),
            ]),
            format!(
                "message 2 (at byte {schema_len}): buffer 1 (offset 8, 8 bytes) lies outside the message body (8 bytes)"
            ),
        ),
        (
            "lz4_bomb",
            stream(&[
                schema(Column::Int(64), little),
                batch(
                    1,
                    &[(1, 0)],
                    &[(0, 0), (0, 16)],
                    Some(CompressionType::LZ4_FRAME),
                    &[70_000_000_000_000_000i64.to_le_bytes(), [0; 8]].concat(),
                ),
            ]),
            "the compressed buffers unpack to more than max_unpacked_bytes (1073741824 bytes)"
                .into(),
        ),
        (
            "many_nulls",
            stream(&[
                schema(Column::Null, little),
                batch(
                    1_000_000_000_000_000_000,
                    &[(1_000_000_000_000_000_000, 1_000_000_000_000_000_000)],
                    &[],
                    None,
                    &[],
                ),
            ]),
            "a batch of 1000000000000000000 rows in 0 bytes (at most 16777216)".into(),
        ),
        (
            "negative_nulls",
            stream(&[
                schema(Column::Int(64), little),
                batch(1, &[(1, -3)], &[(0, 0), (0, 8)], None, &[0; 8]),
            ]),
            "column \"x\": a field node of 1 values with -3 nulls".into(),
        ),
        (
            "short_type_ids",
            stream(&[
                schema(Column::DenseUnion, little),
                batch(
                    4,
                    &[(4, 0), (4, 0)],
                    &[(0, 2), (8, 16), (24, 0), (24, 16)],
                    None,
                    &[0; 40],
                ),
            ]),
            "column \"x\": its type id buffer holds 2 bytes, 4 are needed".into(),
        ),
        (
            "extra_variadic_counts",
            stream(&[
                schema(Column::Int(64), little),
                batch_with_variadic(1, &[(1, 0)], &[(0, 0), (0, 8)], None, &[0, 3], &[0; 8]),
            ]),
            "2 variadic buffer counts more than the schema's view columns take".into(),
        ),
    ];
    for (name, bytes, expected) in cases {
        let err = read_stream(dir.path(), &format!("{name}.arrows"), &bytes, &read)
            .await
            .expect_err(name);
        assert!(
            err.contains("not valid Arrow IPC data") && err.contains(&expected),
            "{name}: {err}"
        );
    }
}

#[tokio::test]
async fn compressed_ipc_buffers_are_held_to_max_unpacked_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("z.arrows");
    let rows: Vec<_> = (0..1000)
        .map(|i| row! { "i" => i, "s" => "same text" })
        .collect();
    let options = IterableOptions::write().columnar_compression(ColumnarCompression::Zstd);
    write_all(path.to_str().unwrap(), &options, &rows)
        .await
        .unwrap();
    let location = path.to_str().unwrap();
    let all = collect(aopen_iterable(location).await.unwrap())
        .await
        .unwrap();
    assert_eq!(all, rows);
    let tight = IterableOptions::read().max_unpacked_bytes(1000);
    let err = collect(tight.open(location).await.unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "unpack to more than max_unpacked_bytes (1000 bytes); raise --max-unpacked-bytes"
        ),
        "{err}"
    );
}
