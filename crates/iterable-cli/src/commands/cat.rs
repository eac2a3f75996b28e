//! `cat` and `head`: rows to stdout in the asked format.

use std::io::IsTerminal;

use anyhow::{Result, bail};
use futures::StreamExt;
use std::time::Instant;

use iterable::{BoxIterable, Format, IterableOptions, ProgressEvery, Row};

use super::status::{self, Status};

use crate::args::ReadArgs;

/// Copies the rows of `locations` (one after the other, at most `limit` in all) to
/// stdout as `to`.
pub async fn run(
    locations: &[String],
    read: &ReadArgs,
    to: Format,
    limit: Option<usize>,
    status: Status,
) -> Result<()> {
    let out = Output { to, status, limit };
    each_row(locations, read, out, Columns::Declared, |row| Ok(Some(row))).await
}

/// Where and how a command's rows go: the format on stdout, what stderr says, and at
/// most how many rows.
pub(super) struct Output {
    pub(super) to: Format,
    pub(super) status: Status,
    pub(super) limit: Option<usize>,
}

/// What a command that writes no row says of the columns.
pub(super) enum Columns {
    /// The input's declared columns (a CSV header): its rows keep the input's columns.
    Declared,
    /// Nothing: its rows have other columns.
    Unknown,
}

/// The driver of the commands that go row by row (`cat`, `head`, `select`,
/// `filter`): each row of `locations` through `step` (a row to write, `None` to drop
/// it, or an error), at most `out.limit` written. When a bad record or `step` ends the
/// read, the rows before it are still written out (as `cat` would), then the error is
/// returned. With no row written, a CSV output still gets the input's header (see
/// [`Columns`]).
pub(super) async fn each_row(
    locations: &[String],
    read: &ReadArgs,
    out: Output,
    columns: Columns,
    mut step: impl FnMut(Row) -> Result<Option<Row>>,
) -> Result<()> {
    let mut dst = open_stdout(read, out.to).await?;
    let mut input = open_input(locations, read, out.status).await?;
    let mut written = 0usize;
    while out.limit.is_none_or(|n| written < n) {
        let Some(row) = input.src.next().await else {
            break;
        };
        let kept = match row.map_err(anyhow::Error::from).and_then(&mut step) {
            Ok(kept) => kept,
            Err(e) => {
                dst.aclose().await?;
                return Err(e);
            }
        };
        if let Some(row) = kept {
            dst.awrite(&row).await?;
            written += 1;
        }
    }
    if written == 0
        && matches!(columns, Columns::Declared)
        && let Some(declared) = input.src.columns()
    {
        dst.awrite_columns(&declared).await?;
    }
    dst.aclose().await?;
    input.finish().await
}

/// The driver of the commands that read every row before they write (`tail`,
/// `sample`, `frequency`, `stats`): each row goes to `add` on `state`, and the rows
/// `rows` makes of the state at the end are written.
pub(super) async fn fold_rows<S>(
    locations: &[String],
    read: &ReadArgs,
    out: Output,
    mut state: S,
    mut add: impl FnMut(&mut S, Row),
    rows: impl FnOnce(S) -> Vec<Row>,
) -> Result<()> {
    let mut dst = open_stdout(read, out.to).await?;
    let mut input = open_input(locations, read, out.status).await?;
    while let Some(row) = input.src.next().await {
        add(&mut state, row?);
    }
    dst.awrite_bulk(&rows(state)).await?;
    dst.aclose().await?;
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
pub(super) fn refuse_binary_on_a_terminal(to: Format) -> Result<()> {
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
