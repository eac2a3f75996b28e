//! Helpers shared by the end-to-end tests: where the golden files are, and reading a
//! whole location into JSON values for exact comparison.

use std::path::PathBuf;

use futures::StreamExt;
use iterable::{BoxIterable, IterableOptions, Result, Row, Value, row};

/// The project's `testdata/` folder.
pub fn testdata(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("testdata")
        .join(name);
    root.to_string_lossy().into_owned()
}

/// The peer fixtures in `../shared/conformance/iterabledata`, when that folder exists.
pub fn shared_conformance() -> Option<PathBuf> {
    shared_conformance_set("iterabledata")
}

/// A set of peer cases under `../shared/conformance/` (its folder name), when present.
pub fn shared_conformance_set(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance")
        .join(name);
    dir.join("expected.jsonl").is_file().then_some(dir)
}

/// The files of testdata/ and of the shared conformance sets (when present) whose
/// names `keep` says yes to.
pub fn test_files(keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut folders = vec![PathBuf::from(testdata(""))];
    for set in ["iterabledata", "iterabledata-formats"] {
        folders.extend(shared_conformance_set(set));
    }
    let mut files = Vec::new();
    for folder in folders {
        for entry in std::fs::read_dir(&folder).expect("a test folder reads") {
            let path = entry.expect("a folder entry").path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if path.is_file() && keep(&name) {
                files.push(path);
            }
        }
    }
    files
}

/// Every row of an open iterable, failing on the first error.
pub async fn collect(mut src: BoxIterable) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    while let Some(row) = src.next().await {
        rows.push(row?);
    }
    Ok(rows)
}

/// Every row of `location`, opened with the defaults; a failure panics naming it.
pub async fn read_all(location: &str) -> Vec<Row> {
    let src = iterable::aopen_iterable(location)
        .await
        .unwrap_or_else(|e| panic!("{location}: {e}"));
    collect(src)
        .await
        .unwrap_or_else(|e| panic!("{location}: {e}"))
}

/// Rows compared one by one, the first differing value shown alone (rows of many
/// columns print too long to read in a plain `assert_eq!`).
#[track_caller]
pub fn assert_rows(left: &[Row], right: &[Row]) {
    for (i, (l, r)) in left.iter().zip(right).enumerate() {
        for (name, value) in r.iter() {
            assert_eq!(l.get(name), Some(value), "row {i}, column {name}");
        }
        assert_eq!(
            l.keys().collect::<Vec<_>>(),
            r.keys().collect::<Vec<_>>(),
            "row {i}"
        );
    }
    assert_eq!(left.len(), right.len(), "row count");
}

/// Every row of `location` read with `options`, as JSON values.
pub async fn read_json(
    location: &str,
    options: &IterableOptions,
) -> Result<Vec<serde_json::Value>> {
    let rows = collect(options.open(location).await?).await?;
    Ok(rows
        .iter()
        .map(|r| serde_json::to_value(r).expect("rows serialize"))
        .collect())
}

/// A row as JSON the way the peer's `expected.jsonl` writes it: binary values become
/// `{"$bytes_len": N}`, everything else as `Row` serializes.
pub fn case_json(row: &Row) -> serde_json::Value {
    fn value(v: &Value) -> serde_json::Value {
        match v {
            Value::Bytes(b) => serde_json::json!({ "$bytes_len": b.len() }),
            Value::List(items) => serde_json::Value::Array(items.iter().map(value).collect()),
            Value::Map(row) => case_json(row),
            other => serde_json::to_value(other).expect("values serialize"),
        }
    }
    serde_json::Value::Object(row.iter().map(|(k, v)| (k.to_owned(), value(v))).collect())
}

/// Every row of `location` read with `options`, as [`case_json`] values.
pub async fn read_case_json(
    location: &str,
    options: &IterableOptions,
) -> Result<Vec<serde_json::Value>> {
    let rows = collect(options.open(location).await?).await?;
    Ok(rows.iter().map(case_json).collect())
}

/// Writes `rows` to `location` with `options` (mode write) and closes it.
pub async fn write_all(location: &str, options: &IterableOptions, rows: &[Row]) -> Result<()> {
    let mut dst = options.open(location).await?;
    dst.awrite_bulk(rows).await?;
    dst.aclose().await
}

/// An Avro object container laid out by hand, for damaged and hostile files: the
/// header with `schema` and `codec` (`null`: none), the sync marker, then each block
/// as `(record count, data)`.
pub fn avro_container(schema: &str, codec: &str, blocks: &[(i64, &[u8])]) -> Vec<u8> {
    const MARKER: [u8; 16] = *b"0123456789abcdef";
    let mut out = b"Obj\x01".to_vec();
    avro_long(&mut out, 2);
    for (key, value) in [("avro.schema", schema), ("avro.codec", codec)] {
        avro_long(&mut out, key.len() as i64);
        out.extend_from_slice(key.as_bytes());
        avro_long(&mut out, value.len() as i64);
        out.extend_from_slice(value.as_bytes());
    }
    avro_long(&mut out, 0);
    out.extend_from_slice(&MARKER);
    for (count, data) in blocks {
        avro_long(&mut out, *count);
        avro_long(&mut out, data.len() as i64);
        out.extend_from_slice(data);
        out.extend_from_slice(&MARKER);
    }
    out
}

/// Appends `n` as an Avro zigzag varint.
pub fn avro_long(out: &mut Vec<u8>, n: i64) {
    let mut zigzag = ((n << 1) ^ (n >> 63)) as u64;
    while zigzag >= 0x80 {
        out.push((zigzag as u8) | 0x80);
        zigzag >>= 7;
    }
    out.push(zigzag as u8);
}

/// A recursive Avro record (`node`, whose one field `next` is null or a node) nested
/// `depth` levels below the top, in a container of one record.
pub fn deep_avro(depth: usize) -> Vec<u8> {
    let schema = r#"{"type": "record", "name": "node", "fields": [{"name": "next", "type": ["null", "node"]}]}"#;
    // Each level is the union's second branch (2 as a zigzag varint); the last, null.
    let mut datum = vec![2u8; depth];
    datum.push(0);
    avro_container(schema, "null", &[(1, &datum)])
}

/// The names of the entries of `dir`, sorted (to check what a job left behind).
pub fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `n` rows `{"i": i, "name": "n<i>"}`.
pub fn numbered(n: i64) -> Vec<Row> {
    (0..n)
        .map(|i| row! { "i" => i, "name" => format!("n{i}") })
        .collect()
}

/// Every testdata file `people.*` (each format in each codec) but the zip archive.
pub fn people_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(testdata(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("people.") && !n.ends_with(".zip"))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "{names:?}");
    names
}
