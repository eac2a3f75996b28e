//! `tail`: the last rows to stdout, in constant memory (a ring of N rows).

use std::collections::VecDeque;

use anyhow::Result;
use iterable::Row;

use super::cat::{Output, fold_rows};
use crate::args::ReadArgs;

/// Writes the last `n` rows of `locations` (read one after the other). A bad record
/// that ends the read is the error; nothing is written then.
pub async fn run(locations: &[String], read: &ReadArgs, out: Output, n: usize) -> Result<()> {
    let last = VecDeque::with_capacity(n.min(1 << 16));
    let keep = |last: &mut VecDeque<Row>, row| {
        if n == 0 {
            return;
        }
        if last.len() == n {
            last.pop_front();
        }
        last.push_back(row);
    };
    fold_rows(locations, read, out, last, keep, Vec::from).await
}
