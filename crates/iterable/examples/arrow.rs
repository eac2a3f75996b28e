//! Any location as Arrow record batches (for DataFusion, Polars or arrow-rs code), and
//! batches written back to any format.
//!
//! ```text
//! cargo run -p iterabledata --example arrow
//! ```

use futures::StreamExt;
use iterable::{IterableOptions, arrow};

#[tokio::main]
async fn main() -> iterable::Result<()> {
    let input = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/people.csv");

    // Its columns and types, as the first rows give them (CSV typed when asked).
    let options = IterableOptions::read().infer_types(true);
    let schema = arrow::aschema(input, &options).await?;
    for (name, kind) in arrow::schema_to_text(&schema) {
        println!("{name}: {kind}");
    }

    // The batches, straight from the parser.
    let dir = tempfile::tempdir().map_err(|e| iterable::Error::io("temp", e))?;
    let out = dir.path().join("people.arrow");
    let mut writer =
        arrow::aopen_batch_writer(out.to_str().expect("UTF-8"), &IterableOptions::write()).await?;
    let mut batches = arrow::aopen_batches(input, &options).await?;
    while let Some(batch) = batches.next().await {
        let batch = batch?;
        println!(
            "a batch of {} rows and {} columns",
            batch.num_rows(),
            batch.num_columns()
        );
        writer.write(&batch).await?;
    }
    writer.close().await?;
    Ok(())
}
