//! The Arrow <-> Value conversion on its own: nested misfits name their path, exact
//! rescaling, timestamp units, and values read back as the table says.
#![cfg(feature = "arrow")]

use std::sync::Arc;

use chrono::NaiveDate;
use iterable_core::{Decimal, Row, Timestamp, Value, row};
use iterable_formats::columnar::{
    DataType, Field, Schema, header_of, infer_schema, parse_schema, record_batch_to_rows,
    rows_to_record_batch,
};

fn schema(columns: &[(&str, &str)]) -> Arc<Schema> {
    let pairs: Vec<(String, String)> = columns
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    parse_schema(&pairs).unwrap()
}

fn round_trip(rows: &[Row], schema: &Arc<Schema>) -> Vec<Row> {
    let batch = rows_to_record_batch(rows, schema).unwrap();
    record_batch_to_rows(&batch, &header_of(&batch.schema())).unwrap()
}

#[test]
fn nested_misfits_name_their_path_row_and_value() {
    let s = schema(&[("tags", "List(Int32)"), ("geo", "Struct(\"lat\": Float64)")]);
    let rows = [
        row! { "tags" => vec![1, 2], "geo" => row! { "lat" => 1.5 } },
        row! { "tags" => Value::List(vec![Value::Int(3), Value::from("x")]) },
    ];
    let err = rows_to_record_batch(&rows, &s).unwrap_err();
    assert_eq!(err.row, 1);
    assert_eq!(
        err.to_string(),
        "column `tags[]`: value \"x\" (string) does not fit Int32"
    );

    let rows = [row! { "geo" => row! { "lat" => 1.5, "lon" => 2.0 } }];
    let err = rows_to_record_batch(&rows, &s).unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `geo.lon`: the struct \"geo\" has no such field"
    );

    let rows = [row! { "geo" => "north" }];
    let err = rows_to_record_batch(&rows, &s).unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `geo`: value \"north\" (string) does not fit Struct(\"lat\": Float64)"
    );
}

#[test]
fn decimals_rescale_exactly_or_not_at_all() {
    let s = schema(&[("price", "Decimal128(10, 2)")]);
    let rows = [
        row! { "price" => 3 },
        row! { "price" => Decimal { unscaled: 15, scale: 1 } },
        row! { "price" => Decimal { unscaled: 1234, scale: 2 } },
    ];
    let back = round_trip(&rows, &s);
    let got: Vec<Value> = back.iter().map(|r| r["price"].clone()).collect();
    assert_eq!(
        got,
        [300, 150, 1234].map(|u| Value::Decimal(Decimal {
            unscaled: u,
            scale: 2
        }))
    );
    let err = rows_to_record_batch(&[row! { "price" => Decimal { unscaled: 1, scale: 3 } }], &s)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("value 0.001 (decimal) does not fit Decimal128(10, 2)"),
        "{err}"
    );
    let err = rows_to_record_batch(&[row! { "price" => 100_000_000_000i64 }], &s).unwrap_err();
    assert!(
        err.to_string().contains("does not fit Decimal128(10, 2)"),
        "{err}"
    );
}

#[test]
fn timestamps_keep_their_unit_zone_and_refuse_lost_digits() {
    let at = NaiveDate::from_ymd_opt(2024, 5, 6)
        .unwrap()
        .and_hms_nano_opt(7, 8, 9, 123_456_789)
        .unwrap();
    let utc = Value::Timestamp(Timestamp {
        datetime: at,
        tz: Some("UTC".into()),
    });
    let wall = Value::Timestamp(Timestamp {
        datetime: at,
        tz: None,
    });

    let inferred = infer_schema(&[row! { "at" => utc.clone(), "local" => wall.clone() }]).unwrap();
    assert_eq!(
        inferred.field(0).data_type().to_string(),
        "Timestamp(ns, \"UTC\")"
    );
    assert_eq!(inferred.field(1).data_type().to_string(), "Timestamp(ns)");
    let back = round_trip(
        &[row! { "at" => utc.clone(), "local" => wall.clone() }],
        &Arc::new(inferred),
    );
    assert_eq!(back[0]["at"], utc);
    assert_eq!(back[0]["local"], wall);

    let micros = schema(&[("at", "Timestamp(µs, \"UTC\")")]);
    let err = rows_to_record_batch(&[row! { "at" => utc.clone() }], &micros).unwrap_err();
    assert!(
        err.to_string()
            .contains("does not fit Timestamp(µs, \"UTC\")"),
        "{err}"
    );
    let err = rows_to_record_batch(&[row! { "at" => wall }], &micros).unwrap_err();
    assert!(
        err.to_string().contains("(timestamp) does not fit"),
        "{err}"
    );
}

#[test]
fn inference_merges_and_reports_conflicts() {
    let rows = [
        row! { "n" => Value::Null, "x" => 1, "l" => Value::List(vec![]) },
        row! { "n" => Value::Null, "x" => 2.5, "l" => vec![Value::Null, Value::from(3)] },
    ];
    let s = infer_schema(&rows).unwrap();
    let types: Vec<&DataType> = s.fields().iter().map(|f| f.data_type()).collect();
    assert_eq!(
        types,
        [
            &DataType::Utf8,
            &DataType::Float64,
            &DataType::List(Arc::new(Field::new("item", DataType::Int64, true)))
        ]
    );
    let err = infer_schema(&[row! { "l" => vec![1] }, row! { "l" => vec!["a"] }]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `l[]`: the sampled rows disagree on its type (int, then string); give a schema"
    );
    let map = |v: Value| Value::Map(row! { "k" => v });
    let err = infer_schema(&[
        row! { "m" => map(Value::Int(1)) },
        row! { "m" => map(Value::from("x")) },
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `m.k`: the sampled rows disagree on its type (int, then string); give a schema"
    );
    let err = infer_schema(&[
        row! { "l" => Value::List(vec![map(Value::Int(1)), map(Value::Bool(true))]) },
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `l[].k`: the sampled rows disagree on its type (int, then bool); give a schema"
    );
}

/// The file form's header is padded (arrow-rs pads to 64 bytes); a source whose reads
/// end inside the padding, at any byte, still gives every row.
#[test]
fn ipc_file_header_padding_split_across_reads() {
    use futures::StreamExt;
    use iterable_core::{Codec, Format, IterableInfo, Mode, Options, row};
    use iterable_formats::testing::ChunkedReader;
    use iterable_formats::{ReadContext, WriteContext, open_reader, open_writer};

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let rows = vec![
            row! { "id" => 1, "name" => "Anna" },
            row! { "id" => 2, "name" => "Ben" },
        ];
        let info = |mode| IterableInfo {
            encoding: None,
            location: "x.arrow".into(),
            format: Format::ARROW,
            codec: Codec::None,
            mode,
        };
        let file = tempfile::NamedTempFile::new().unwrap();
        {
            let ctx = WriteContext {
                info: info(Mode::Write),
                options: Options::default(),
            };
            let out = tokio::fs::File::create(file.path()).await.unwrap();
            let mut w = open_writer(out, ctx).await.unwrap();
            w.awrite_bulk(&rows).await.unwrap();
            w.aclose().await.unwrap();
        }
        let bytes = std::fs::read(file.path()).unwrap();
        assert!(bytes.starts_with(b"ARROW1"));
        for chunk in [1, 3, 7, 9, 10, 13, 64] {
            let reader = ChunkedReader::new(bytes.clone(), chunk, chunk % 2 == 1);
            let mut src = open_reader(
                reader,
                ReadContext::new(info(Mode::Read), Options::default()),
            )
            .await
            .unwrap_or_else(|e| panic!("chunk {chunk} of {}: {e}", bytes.len()));
            let mut back = Vec::new();
            while let Some(row) = src.next().await {
                back.push(row.unwrap_or_else(|e| panic!("chunk {chunk}: {e}")));
            }
            assert_eq!(back, rows, "chunk {chunk}");
        }
    });
}
