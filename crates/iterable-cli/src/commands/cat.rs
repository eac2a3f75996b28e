//! `cat` and `head`: rows to stdout in the asked format.

use std::io::IsTerminal;

use anyhow::{Result, bail};
use futures::StreamExt;
use std::time::Instant;

use iterable::{BoxIterable, Format, IterableOptions, ProgressEvery};

use super::status::{self, Status};

use crate::args::ReadArgs;

/// Copies the rows of `locations` (one after the other, at most `limit` in all) to
/// stdout as `to`. When a bad record ends the read, the rows before it are still
/// written out (as `cat` would), then the error is returned.
pub async fn run(
    locations: &[String],
    read: &ReadArgs,
    to: Format,
    limit: Option<usize>,
    status: Status,
) -> Result<()> {
    let mut out = open_stdout(read, to).await?;
    let mut input = open_input(locations, read, status).await?;
    let mut written = 0usize;
    while limit.is_none_or(|n| written < n) {
        let Some(row) = input.src.next().await else {
            break;
        };
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                out.aclose().await?;
                return Err(e.into());
            }
        };
        out.awrite(&row).await?;
        written += 1;
    }
    if written == 0 {
        declare_columns(&input, &mut out).await?;
    }
    out.aclose().await?;
    input.finish().await
}

/// A read under way: the rows, how to name them, and what to say on stderr.
pub(super) struct Reading {
    pub(super) src: BoxIterable,
    pub(super) location: String,
    status: Status,
    started: Instant,
}

impl Reading {
    /// Ends the read: the status line cleared, skipped records and the summary told
    /// (as asked), the source closed.
    pub(super) async fn finish(mut self) -> Result<()> {
        if self.status.live {
            status::clear();
        }
        let progress = self.src.progress();
        super::report_skipped(&self.location, progress.skipped);
        if self.status.summary {
            let location = iterable::mask_password(&self.location);
            eprintln!(
                "{}",
                status::read_summary(&location, &progress, self.started.elapsed())
            );
        }
        self.src.aclose().await?;
        Ok(())
    }
}

/// The rows of `locations`, one after the other (a status line on stderr as `status`
/// says).
pub(super) async fn open_input(
    locations: &[String],
    read: &ReadArgs,
    status: Status,
) -> Result<Reading> {
    let started = Instant::now();
    for location in locations {
        read.check_read_flags(location)?;
    }
    let options = read.options()?;
    let (mut src, location) = match locations {
        [one] => (options.open(one).await?, one.clone()),
        many => (options.open_many(many).await?, many.join(", ")),
    };
    super::report_encoding(&location, src.info().encoding, &options);
    if status.live {
        src = iterable::with_progress(src, ProgressEvery::Time(status::REDRAW), |event| {
            if event.done {
                status::clear();
            } else {
                status::draw(event);
            }
        });
    }
    Ok(Reading {
        src,
        location,
        status,
        started,
    })
}

/// With no row written: the columns the input declares (a CSV header) to the output,
/// so a CSV of no rows keeps its header line.
pub(super) async fn declare_columns(input: &Reading, out: &mut BoxIterable) -> Result<()> {
    if let Some(columns) = input.src.columns() {
        out.awrite_columns(&columns).await?;
    }
    Ok(())
}

/// A writer of rows to stdout as `to` (refused for a binary format on a terminal).
pub(super) async fn open_stdout(read: &ReadArgs, to: Format) -> Result<BoxIterable> {
    refuse_binary_on_a_terminal(to)?;
    read.check_write_flags("-", Some(to))?;
    Ok(read
        .write_options(IterableOptions::write().format(to))?
        .open("-")
        .await?)
}

/// A binary format (Parquet, Avro, a workbook, ...) is not written to a terminal,
/// where it would only garble the screen.
fn refuse_binary_on_a_terminal(to: Format) -> Result<()> {
    let binary = iterable::registry::spec(to).is_some_and(|spec| spec.capabilities.binary);
    if binary && std::io::stdout().is_terminal() {
        bail!(
            "{} is binary: it is not written to a terminal; redirect the output \
             (> out.{}) or choose a text format with --to (jsonl, csv, ...)",
            to.name(),
            iterable::registry::spec(to)
                .and_then(|spec| spec.extensions.first().copied())
                .unwrap_or("out")
        );
    }
    Ok(())
}
