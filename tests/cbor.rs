//! CBOR: a sequence of map items read as rows (an array of maps too), the standard
//! date and time tags as typed values, a truncated or non-map item an error naming the
//! item and its byte, and rows written back through a codec.

use iterable::{IterableOptions, Row, Value};
use iterable_tests::{collect, write_all};

async fn read(path: &std::path::Path) -> iterable::Result<Vec<Row>> {
    collect(IterableOptions::read().open(path.to_str().unwrap()).await?).await
}

/// A text string's head and bytes (up to 255 bytes).
fn text(s: &str) -> Vec<u8> {
    let mut out = match s.len() {
        n @ 0..=23 => vec![0x60 | n as u8],
        n => vec![0x78, u8::try_from(n).unwrap()],
    };
    out.extend_from_slice(s.as_bytes());
    out
}

/// `{"id": n, "name": name}` as a CBOR map (n < 24).
fn record(n: u8, name: &str) -> Vec<u8> {
    let mut out = vec![0xa2];
    out.extend(text("id"));
    out.push(n);
    out.extend(text("name"));
    out.extend(text(name));
    out
}

#[tokio::test]
async fn a_sequence_of_maps_reads_as_rows_with_typed_tags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.cbor");
    // The self-described tag, then one map with a date (tag 1004), an RFC 3339 time
    // (tag 0), an epoch time (tag 1), bytes, a list and an unknown tag.
    let mut bytes = vec![0xd9, 0xd9, 0xf7, 0xa6];
    bytes.extend(text("day"));
    bytes.extend([0xd9, 0x03, 0xec]);
    bytes.extend(text("2024-12-03"));
    bytes.extend(text("at"));
    bytes.push(0xc0);
    bytes.extend(text("2024-12-03T12:00:00+02:00"));
    bytes.extend(text("epoch"));
    bytes.extend([0xc1, 0x1a]);
    bytes.extend(1_733_220_000u32.to_be_bytes());
    bytes.extend(text("raw"));
    bytes.extend([0x42, 0xde, 0xad]);
    bytes.extend(text("tags"));
    bytes.extend([0x82, 0x01, 0x20]);
    bytes.extend(text("uri"));
    bytes.extend([0xd8, 0x20]);
    bytes.extend(text("http://a.b/"));
    bytes.extend(record(2, "second"));
    std::fs::write(&path, &bytes).unwrap();

    let rows = read(&path).await.unwrap();
    assert_eq!(rows.len(), 2);
    let first = &rows[0];
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        ["day", "at", "epoch", "raw", "tags", "uri"]
    );
    assert_eq!(first["day"], Value::Date("2024-12-03".parse().unwrap()));
    let Value::Timestamp(at) = &first["at"] else {
        panic!("{:?}", first["at"])
    };
    assert_eq!(at.datetime.to_string(), "2024-12-03 10:00:00");
    assert_eq!(at.tz.as_deref(), Some("UTC"));
    assert_eq!(first["epoch"], first["at"]);
    assert_eq!(first["raw"], Value::Bytes(vec![0xde, 0xad]));
    assert_eq!(
        first["tags"],
        Value::List(vec![Value::Int(1), Value::Int(-1)])
    );
    let Value::Map(uri) = &first["uri"] else {
        panic!("{:?}", first["uri"])
    };
    assert_eq!(uri["tag"], Value::Int(32));
    assert_eq!(uri["value"], Value::from("http://a.b/"));
    assert_eq!(rows[1]["id"], Value::Int(2));
    assert_eq!(rows[1]["name"], Value::from("second"));
}

#[tokio::test]
async fn one_array_of_maps_reads_as_a_row_each() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.cbor");
    let mut bytes = vec![0x83];
    for (n, name) in [(1, "a"), (2, "b"), (3, "c")] {
        bytes.extend(record(n, name));
    }
    std::fs::write(&path, &bytes).unwrap();
    let rows = read(&path).await.unwrap();
    let names: Vec<&Value> = rows.iter().map(|r| &r["name"]).collect();
    assert_eq!(
        names,
        [&Value::from("a"), &Value::from("b"), &Value::from("c")]
    );
}

#[tokio::test]
async fn a_truncated_item_names_the_item_and_its_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.cbor");
    let first = record(1, "whole");
    let mut bytes = first.clone();
    let second = record(2, "cut short");
    bytes.extend(&second[..second.len() - 4]);
    std::fs::write(&path, &bytes).unwrap();
    let err = read(&path).await.unwrap_err().to_string();
    assert!(
        err.contains("cut.cbor")
            && err.contains("record 2")
            && err.contains(&format!("byte {}", first.len()))
            && err.contains("truncated CBOR item"),
        "{err}"
    );
}

#[tokio::test]
async fn an_item_that_is_not_a_map_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("number.cbor");
    let mut bytes = record(1, "fine");
    bytes.push(0x07);
    std::fs::write(&path, &bytes).unwrap();
    let err = read(&path).await.unwrap_err().to_string();
    assert!(
        err.contains("record 2") && err.contains("expected a map (one row), found an integer"),
        "{err}"
    );
}

#[tokio::test]
async fn rows_round_trip_through_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("copy.cbor.gz");
    let mut nested = Row::new();
    nested.insert("k", Value::from("v"));
    let rows: Vec<Row> = (0..3)
        .map(|i| {
            let mut row = Row::new();
            row.insert("id", Value::Int(i));
            row.insert("score", Value::Float(i as f64 / 2.0));
            row.insert("ok", Value::Bool(i % 2 == 0));
            row.insert("day", Value::Date("2024-12-03".parse().unwrap()));
            row.insert("blob", Value::Bytes(vec![i as u8; 3]));
            row.insert("none", Value::Null);
            row.insert("list", Value::List(vec![Value::Int(i), Value::from("x")]));
            row.insert("map", Value::Map(nested.clone()));
            row
        })
        .collect();
    write_all(out.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..2], [0x1f, 0x8b], "the output is gzip");
    assert_eq!(read(&out).await.unwrap(), rows);
}

#[tokio::test]
async fn integers_past_64_bits_stay_exact_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.cbor");
    // {"big": 2^64 - 1, "low": -2^64}: CBOR's widest integers.
    let mut bytes = vec![0xa2];
    bytes.extend(text("big"));
    bytes.extend([0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    bytes.extend(text("low"));
    bytes.extend([0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    std::fs::write(&path, &bytes).unwrap();
    let rows = read(&path).await.unwrap();
    let exact = |n: i128| {
        Value::Decimal(iterable::Decimal {
            unscaled: n,
            scale: 0,
        })
    };
    assert_eq!(rows[0]["big"], exact(u64::MAX as i128));
    assert_eq!(rows[0]["low"], exact(-(1i128 << 64)));
    // Written back as the same integers, byte for byte.
    let out = dir.path().join("copy.cbor");
    write_all(out.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
}
