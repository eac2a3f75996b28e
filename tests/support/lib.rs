//! Helpers shared by the end-to-end tests: where the golden files are, and reading a
//! whole location into JSON values for exact comparison.

use std::path::PathBuf;

use futures::StreamExt;
use iterable::{BoxIterable, IterableOptions, Result, Row, Value};

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

/// Every row of an open iterable, failing on the first error.
pub async fn collect(mut src: BoxIterable) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    while let Some(row) = src.next().await {
        rows.push(row?);
    }
    Ok(rows)
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
