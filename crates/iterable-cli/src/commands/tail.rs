//! `tail`: the last rows to stdout, in constant memory (a ring of N rows).

use std::collections::VecDeque;

use anyhow::Result;
use futures::StreamExt;
use iterable::Format;

use super::Status;
use super::cat::{open_input, open_stdout};
use crate::args::ReadArgs;

/// Writes the last `n` rows of `locations` (read one after the other) to stdout as
/// `to`. A bad record that ends the read is the error; nothing is written then.
pub async fn run(
    locations: &[String],
    read: &ReadArgs,
    to: Format,
    n: usize,
    status: Status,
) -> Result<()> {
    let mut out = open_stdout(read, to).await?;
    let mut input = open_input(locations, read, status).await?;
    let mut last = VecDeque::with_capacity(n.min(1 << 16));
    while let Some(row) = input.src.next().await {
        let row = row?;
        if n == 0 {
            continue;
        }
        if last.len() == n {
            last.pop_front();
        }
        last.push_back(row);
    }
    for row in &last {
        out.awrite(row).await?;
    }
    out.aclose().await?;
    input.finish().await
}
