//! `count`: rows per file, read concurrently, total last. A glob, prefix or folder
//! counts each file it names.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::status::{self, Status};
use crate::args::ReadArgs;

/// Counts the rows of each file, `--file-concurrency` at a time, and prints the total
/// last; a status line (rows, files done) and a summary on stderr as `status` says.
pub async fn run(patterns: &[String], read: &ReadArgs, status: Status) -> Result<()> {
    let started = Instant::now();
    for pattern in patterns {
        read.check_read_flags(pattern)?;
    }
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
    let counted = Arc::new(AtomicU64::new(0));
    let files_done = Arc::new(AtomicUsize::new(0));
    let ticker = status.live.then(|| {
        let (counted, files_done, files) = (counted.clone(), files_done.clone(), locations.len());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(status::REDRAW);
            loop {
                every.tick().await;
                let rows = counted.load(Ordering::Relaxed);
                status::draw_text(&status::count_line(
                    rows,
                    files_done.load(Ordering::Relaxed),
                    files,
                ));
            }
        })
    });
    let permits = Arc::new(Semaphore::new(read.file_concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (i, location) in locations.iter().enumerate() {
        let (options, location) = (options.clone(), location.clone());
        let permits = permits.clone();
        let (counted, files_done) = (counted.clone(), files_done.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("never closed");
            let mut src = options.open(&location).await?;
            super::report_encoding(&location, src.info().encoding, &options);
            let mut rows = 0u64;
            while let Some(row) = src.next().await {
                row?;
                rows += 1;
                if rows.is_multiple_of(4096) {
                    counted.fetch_add(4096, Ordering::Relaxed);
                }
            }
            counted.fetch_add(rows % 4096, Ordering::Relaxed);
            files_done.fetch_add(1, Ordering::Relaxed);
            super::report_skipped(&location, src.progress().skipped);
            Ok::<_, iterable::Error>((i, rows))
        });
    }
    let mut counts = vec![0u64; locations.len()];
    let finished = async {
        while let Some(done) = tasks.join_next().await {
            let (i, rows) = done.context("a counting task failed")??;
            counts[i] = rows;
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    if let Some(ticker) = ticker {
        ticker.abort();
        status::clear();
    }
    finished?;
    if status.summary {
        let total = counts.iter().sum();
        eprintln!(
            "{}",
            status::count_summary(total, locations.len(), started.elapsed())
        );
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
