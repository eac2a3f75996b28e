//! Read a compressed CSV, keep some rows, write them as zstd JSON Lines, then convert
//! that to Parquet in one call.
//!
//! ```text
//! cargo run -p iterabledata --example read_write
//! ```

use futures::StreamExt;
use iterable::{ConvertOptions, IterableOptions, RowFilter, aconvert, aopen_iterable};

#[tokio::main]
async fn main() -> iterable::Result<()> {
    let input = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/people.csv.gz");
    let dir = tempfile::tempdir().map_err(|e| iterable::Error::io("temp", e))?;
    let jsonl = dir.path().join("people.jsonl.zst");
    let jsonl = jsonl.to_str().expect("a UTF-8 temp path");

    // Read: format and codec from the name; rows as they are parsed.
    let mut src = aopen_iterable(input).await?;
    let mut dst = IterableOptions::write().open(jsonl).await?;
    let keep = RowFilter::parse("id >= 2 and city is not null and city != ''")?;
    while let Some(row) = src.next().await {
        let row = row?;
        if keep.matches(&row) {
            println!("{} lives in {}", row["name"], row["city"]);
            dst.awrite(&row).await?;
        }
    }
    // The file appears only now, whole.
    dst.aclose().await?;

    // Convert: one call, text typed by column for the typed output.
    let parquet = dir.path().join("people.parquet");
    let report = aconvert(
        jsonl,
        parquet.to_str().expect("UTF-8"),
        &ConvertOptions::new(),
    )
    .await?;
    println!(
        "{} rows into Parquet ({} bytes) in {:?}",
        report.rows_written, report.bytes_written, report.elapsed
    );
    Ok(())
}
