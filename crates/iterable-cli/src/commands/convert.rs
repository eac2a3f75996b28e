//! `convert`: rows from one location to another, format and codec from each name.

use anyhow::Result;
use iterable::{Codec, Format, IterableOptions};

use crate::args::ReadArgs;

/// Rows per bulk read and write.
const BATCH: usize = 4096;

/// Copies every row of `input` into `output`; the output appears only when all is written.
pub async fn run(
    input: &str,
    output: &str,
    read: &ReadArgs,
    to: Option<Format>,
    to_codec: Option<Codec>,
) -> Result<()> {
    let mut src = read.options()?.open(input).await?;
    let mut options = IterableOptions::write();
    if let Some(format) = to {
        options = options.format(format);
    }
    if let Some(codec) = to_codec {
        options = options.codec(codec);
    }
    let mut dst = options.open(output).await?;
    loop {
        let rows = src.aread_bulk(BATCH).await?;
        if rows.is_empty() {
            break;
        }
        dst.awrite_bulk(&rows).await?;
    }
    dst.aclose().await?;
    super::report_skipped(input, src.progress());
    src.aclose().await?;
    Ok(())
}
