//! `filter`: the rows that pass an expression (`amount > 100 and city = 'Berlin'`).

use anyhow::Result;
use futures::StreamExt;
use iterable::{Format, RowFilter};

use super::Status;
use super::cat::{open_input, open_stdout};
use crate::args::ReadArgs;

/// Writes the rows of `locations` that pass `expression` to stdout as `to`, at most
/// `limit` of them (0: all).
pub async fn run(
    expression: &str,
    locations: &[String],
    read: &ReadArgs,
    to: Format,
    limit: usize,
    status: Status,
) -> Result<()> {
    let filter = RowFilter::parse(expression)?;
    let mut out = open_stdout(read, to).await?;
    let mut input = open_input(locations, read, status).await?;
    let limit = if limit == 0 { usize::MAX } else { limit };
    let mut kept = 0usize;
    while kept < limit {
        let Some(row) = input.src.next().await else {
            break;
        };
        let row = row?;
        if filter.matches(&row) {
            out.awrite(&row).await?;
            kept += 1;
        }
    }
    if kept == 0 {
        super::cat::declare_columns(&input, &mut out).await?;
    }
    out.aclose().await?;
    input.finish().await
}
