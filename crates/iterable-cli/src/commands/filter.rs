//! `filter`: the rows that pass an expression (`amount > 100 and city = 'Berlin'`).

use anyhow::Result;
use iterable::RowFilter;

use super::cat::{Columns, Output, each_row};
use crate::args::ReadArgs;

/// Writes the rows of `locations` that pass `expression`, at most `out.limit` of them.
pub async fn run(
    expression: &str,
    locations: &[String],
    read: &ReadArgs,
    out: Output,
) -> Result<()> {
    let filter = RowFilter::parse(expression)?;
    each_row(locations, read, out, Columns::Declared, |row| {
        Ok(filter.matches(&row).then_some(row))
    })
    .await
}
