//! `count`: rows per file, read concurrently, total last. A glob, prefix or folder
//! counts each file it names.

use std::sync::Arc;

use anyhow::{Context, Result};
use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::args::ReadArgs;

/// Counts the rows of each file, `--file-concurrency` at a time, and prints the total last.
pub async fn run(patterns: &[String], read: &ReadArgs) -> Result<()> {
    let options = read.options()?;
    let mut locations = Vec::new();
    for pattern in patterns {
        if iterable::bytes::names_many(pattern).await {
            locations.extend(
                iterable::bytes::expand_with(
                    pattern,
                    &options.options().store,
                    &options.options().files,
                )
                .await?,
            );
        } else {
            locations.push(pattern.clone());
        }
    }
    let locations = &locations;
    let permits = Arc::new(Semaphore::new(read.file_concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (i, location) in locations.iter().enumerate() {
        let (options, location) = (options.clone(), location.clone());
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("never closed");
            let mut src = options.open(&location).await?;
            super::report_encoding(&location, src.info().encoding, &options);
            let mut rows = 0u64;
            while let Some(row) = src.next().await {
                row?;
                rows += 1;
            }
            super::report_skipped(&location, src.progress().skipped);
            Ok::<_, iterable::Error>((i, rows))
        });
    }
    let mut counts = vec![0u64; locations.len()];
    while let Some(done) = tasks.join_next().await {
        let (i, rows) = done.context("a counting task failed")??;
        counts[i] = rows;
    }
    // Written, not printed: a closed stdout is an error to return (the command then
    // ends quietly), not a panic.
    let mut out = String::new();
    if locations.len() > 1 {
        for (location, rows) in locations.iter().zip(&counts) {
            out.push_str(&format!("{rows}\t{location}\n"));
        }
    }
    out.push_str(&format!("{}\n", counts.iter().sum::<u64>()));
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(&mut stdout, out.as_bytes())?;
    std::io::Write::flush(&mut stdout)?;
    Ok(())
}
