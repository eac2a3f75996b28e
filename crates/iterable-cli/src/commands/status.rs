//! What a long command says on stderr while it runs and when it ends: a status line
//! redrawn in place (rows, bytes, percent and time left when the input's size is
//! known) while stderr is a terminal, and a one-line summary at the end. Nothing when
//! stderr is not a terminal, unless `--progress` asks; nothing at all with `--quiet`.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use iterable::{ConvertReport, ProgressEvent};

/// How often the status line is redrawn.
pub const REDRAW: Duration = Duration::from_millis(200);

/// What to show, from `--progress` and `--quiet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Redraw a status line while running.
    pub live: bool,
    /// Print a summary at the end.
    pub summary: bool,
}

impl Status {
    /// The status of a command given `--progress` (`forced`) and `--quiet`.
    pub fn new(forced: bool, quiet: bool) -> Status {
        let terminal = std::io::stderr().is_terminal();
        Status {
            live: !quiet && terminal,
            summary: !quiet && (terminal || forced),
        }
    }
}

impl Status {
    /// The status of a command that writes rows to stdout: shown when stderr is a
    /// terminal and stdout is not (where it would mix with the rows), or when asked.
    pub fn for_rows_out(forced: bool, quiet: bool) -> Status {
        let terminal = std::io::stderr().is_terminal() && !std::io::stdout().is_terminal();
        Status {
            live: !quiet && terminal,
            summary: !quiet && (terminal || forced),
        }
    }
}

/// The summary of a read: rows, time, rate, bytes, skipped records.
pub fn read_summary(location: &str, progress: &iterable::Progress, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        progress.rows as f64 / seconds
    } else {
        0.0
    };
    let mut text = format!(
        "iterable: {} rows from {location} in {seconds:.2} s ({} rows/s; {} read",
        thousands(progress.rows),
        short(rate),
        bytes(progress.bytes),
    );
    if progress.skipped > 0 {
        text.push_str(&format!("; {} skipped", thousands(progress.skipped)));
    }
    text.push(')');
    text
}

/// Redraws the status line for `event` (the line is cleared first).
pub fn draw(event: &ProgressEvent) {
    let mut line = format!(
        "{} rows, {} read",
        thousands(event.rows_read),
        bytes(event.bytes_read)
    );
    if let Some(percent) = event.percent() {
        line.push_str(&format!(" ({percent:.0}%"));
        if let Some(eta) = event.eta() {
            line.push_str(&format!(", {:.0} s left", eta.as_secs_f64().ceil()));
        }
        line.push(')');
    }
    draw_text(&line);
}

/// Redraws the status line as `line`.
pub fn draw_text(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K{line}");
    let _ = err.flush();
}

/// The status line of a count: rows so far, files done of all.
pub fn count_line(rows: u64, files_done: usize, files: usize) -> String {
    if files > 1 {
        format!("{} rows, {files_done} of {files} files", thousands(rows))
    } else {
        format!("{} rows", thousands(rows))
    }
}

/// The summary of a count: rows, files, time, rate.
pub fn count_summary(rows: u64, files: usize, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        rows as f64 / seconds
    } else {
        0.0
    };
    format!(
        "iterable: {} rows in {files} file(s) in {seconds:.2} s ({} rows/s)",
        thousands(rows),
        short(rate)
    )
}

/// Clears the status line.
pub fn clear() {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K");
    let _ = err.flush();
}

/// The summary of a conversion: rows, time, rate, bytes, skipped records.
pub fn summary(report: &ConvertReport) -> String {
    let seconds = report.elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        report.rows_written as f64 / seconds
    } else {
        0.0
    };
    let mut text = format!(
        "iterable: {} rows from {} to {} in {seconds:.2} s ({} rows/s; {} read, {} written",
        thousands(report.rows_written),
        report.input,
        report.output,
        short(rate),
        bytes(report.bytes_read),
        bytes(report.bytes_written),
    );
    if report.rows_skipped > 0 {
        text.push_str(&format!("; {} skipped", thousands(report.rows_skipped)));
    }
    text.push(')');
    text
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate as `950`, `12.3k` or `2.04M`.
fn short(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// A byte count in decimal units: `512 B`, `1.5 kB`, `136.3 MB`, `2.10 GB`.
fn bytes(n: u64) -> String {
    let x = n as f64;
    if x >= 1e9 {
        format!("{:.2} GB", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.1} MB", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1} kB", x / 1e3)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(short(2_040_000.0), "2.04M");
        assert_eq!(short(12_345.0), "12.3k");
        assert_eq!(bytes(136_326_538), "136.3 MB");
        assert_eq!(bytes(512), "512 B");
    }
}
