//! Many files at once: read a glob as one stream (each file in its own format), and
//! convert each file of a glob into its own output, four at a time.
//!
//! ```text
//! cargo run -p iterabledata --example many_files
//! ```

use futures::StreamExt;
use iterable::{ConvertOptions, IterableOptions, abulk_convert};

#[tokio::main]
async fn main() -> iterable::Result<()> {
    let testdata = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");
    let pattern = format!("{testdata}/people.jsonl.*");

    // One stream over every file the glob names, with each row's file in a column.
    let options = IterableOptions::read().location_column("file");
    let mut rows = options.open(&pattern).await?;
    let mut count = 0;
    while let Some(row) = rows.next().await {
        let row = row?;
        count += 1;
        if count <= 3 {
            println!("{} from {}", row["name"], row["file"]);
        }
    }
    println!("{count} rows in all");

    // Each file into its own Parquet file, named by the input's stem.
    let dir = tempfile::tempdir().map_err(|e| iterable::Error::io("temp", e))?;
    let outputs = format!("{}/{{name}}.parquet", dir.path().display());
    let report = abulk_convert(&[pattern.as_str()], &outputs, &ConvertOptions::new()).await?;
    println!(
        "{} files converted, {} rows written, all ok: {}",
        report.files.len(),
        report.rows_written(),
        report.all_ok()
    );
    Ok(())
}
