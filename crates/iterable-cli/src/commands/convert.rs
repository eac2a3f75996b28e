//! `convert`: rows from one location to another, format and codec from each name.

use anyhow::Result;
use iterable::arrow::{aschema, schema_to_text};
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
    let read_options = read.options()?;
    let mut src = read_options.open(input).await?;
    let mut options = read.write_options(IterableOptions::write())?;
    let out_format = to.or(iterable::registry::from_name(output).format);
    if is_columnar(out_format) && is_columnar(Some(src.info().format)) {
        // Columnar to columnar: keep the source's exact types (widths, units, zones).
        options = options.schema(source_schema(input, &read_options).await?);
    }
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

fn is_columnar(format: Option<Format>) -> bool {
    matches!(format, Some(Format::PARQUET | Format::ARROW))
}

/// The columns of a Parquet or Arrow input as read (after `--columns`), as text pairs.
async fn source_schema(input: &str, read: &IterableOptions) -> Result<Vec<(String, String)>> {
    let schema = aschema(input, read).await?;
    let all = schema_to_text(&schema);
    Ok(match &read.options().columnar.columns {
        None => all,
        Some(names) => names
            .iter()
            .filter_map(|n| all.iter().find(|(c, _)| c == n).cloned())
            .collect(),
    })
}
