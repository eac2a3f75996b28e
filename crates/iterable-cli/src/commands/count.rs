//! `count`: rows per location, read concurrently, total last.

use anyhow::{Context, Result};
use futures::StreamExt;
use tokio::task::JoinSet;

use crate::args::ReadArgs;

/// Counts the rows of each location, all at once, and prints the total last.
pub async fn run(locations: &[String], read: &ReadArgs) -> Result<()> {
    let options = read.options()?;
    let mut tasks = JoinSet::new();
    for (i, location) in locations.iter().enumerate() {
        let (options, location) = (options.clone(), location.clone());
        tasks.spawn(async move {
            let mut src = options.open(&location).await?;
            let mut rows = 0u64;
            while let Some(row) = src.next().await {
                row?;
                rows += 1;
            }
            super::report_skipped(&location, src.progress());
            Ok::<_, iterable::Error>((i, rows))
        });
    }
    let mut counts = vec![0u64; locations.len()];
    while let Some(done) = tasks.join_next().await {
        let (i, rows) = done.context("a counting task failed")??;
        counts[i] = rows;
    }
    if locations.len() > 1 {
        for (location, rows) in locations.iter().zip(&counts) {
            println!("{rows}\t{location}");
        }
    }
    println!("{}", counts.iter().sum::<u64>());
    Ok(())
}
