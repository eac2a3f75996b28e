//! A reader for formats whose records are lines (LTSV, and the line formats to come):
//! the line splitting, byte order mark, CRLF, blank lines, the record size limit,
//! positions and the error policy are done here once; a format only turns one line of
//! text into a row ([`LineParser`]).
//!
//! Driven from `poll_next` over `poll_fill_buf` (no future per row). A line wholly in
//! the source's buffer is parsed in place; one that spans reads is copied. A line
//! longer than `max_record_bytes` (64 MiB by default) is a bad record: its first
//! `max_record_bytes` bytes go to the error policy and the rest is skipped up to the
//! next line end, so one bad file cannot take all memory and the skip policy can go on.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use iterable_core::{
    AsyncIterable, BoxFuture, Error, IterableInfo, ParseError, Position, Progress, Result, Row,
};
use tokio::io::AsyncBufRead;

use crate::ReadContext;
use crate::source_bytes::SourceBytes;

/// Turns one line into a row.
pub trait LineParser: Send + Unpin + 'static {
    /// The row of `line` (UTF-8, without its line end, never blank); an error message
    /// for a line that is not a record of the format.
    fn parse(&mut self, line: &str) -> std::result::Result<Row, String>;

    /// What the reader calls for each line: by default [`parse`](Self::parse). A
    /// format with lines that are not records (a header line) overrides it and
    /// returns `Ok(None)` for them; they are not counted as records.
    fn parse_line(&mut self, line: &str) -> std::result::Result<Option<Row>, String> {
        self.parse(line).map(Some)
    }
}

/// Rows from the lines of `reader`.
pub struct LineRecords<R, P> {
    reader: R,
    parser: P,
    ctx: ReadContext,
    bytes: SourceBytes,
    /// A line that spans reads (at most `max_line` bytes).
    partial: Vec<u8>,
    /// Skipping the rest of an over-long line, up to its line end.
    discarding: bool,
    line_no: u64,
    records: u64,
    rows: u64,
    /// Offset of the current line's start in the decoded stream.
    line_start: u64,
    consumed: u64,
    max_line: usize,
    done: bool,
    /// An error held back by `aread_bulk` for the next read.
    pending_error: Option<Error>,
}

/// What one line gave.
enum Step {
    Row(Row),
    Skip,
    Fail(Error),
}

impl<R: AsyncBufRead + Send + Unpin + 'static, P: LineParser> LineRecords<R, P> {
    /// A reader of `parser`'s rows from the lines of `reader`; `ctx` gives the
    /// location for errors, the options (error policy, record size limit) and the
    /// progress counters.
    pub fn new(reader: R, parser: P, ctx: ReadContext) -> Self {
        LineRecords {
            reader,
            parser,
            bytes: SourceBytes::new(ctx.bytes_read.clone(), ctx.bytes_total),
            max_line: ctx.options.limits.max_record_bytes.max(1),
            ctx,
            partial: Vec::new(),
            discarding: false,
            line_no: 0,
            records: 0,
            rows: 0,
            line_start: 0,
            consumed: 0,
            done: false,
            pending_error: None,
        }
    }
}

/// One complete line (without its `\n`).
fn line_step<P: LineParser>(
    parser: &mut P,
    ctx: &mut ReadContext,
    raw: &[u8],
    line_no: &mut u64,
    records: &mut u64,
    line_start: u64,
) -> Step {
    *line_no += 1;
    let mut content = raw.strip_suffix(b"\r").unwrap_or(raw);
    if *line_no == 1 {
        content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    }
    if content.iter().all(|b| matches!(b, b' ' | b'\t')) {
        return Step::Skip;
    }
    *records += 1;
    let pos = Position {
        line: *line_no,
        record: *records,
        byte: line_start,
    };
    let result = match std::str::from_utf8(content) {
        Ok(text) => parser.parse_line(text),
        Err(e) => Err(format!(
            "line is not UTF-8 (invalid byte at column {}); set the encoding option",
            e.valid_up_to() + 1
        )),
    };
    match result {
        Ok(Some(row)) => Step::Row(row),
        Ok(None) => {
            *records -= 1;
            Step::Skip
        }
        Err(message) => bad_record(ctx, pos, message, content),
    }
}

fn bad_record(ctx: &mut ReadContext, pos: Position, message: String, raw: &[u8]) -> Step {
    let error = ParseError::new(&ctx.info.location, pos, message, raw);
    match ctx.errors.handle(error, raw) {
        Ok(()) => Step::Skip,
        Err(e) => Step::Fail(e),
    }
}

impl<R: AsyncBufRead + Send + Unpin + 'static, P: LineParser> LineRecords<R, P> {
    fn poll_step(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        if let Some(err) = self.pending_error.take() {
            self.done = true;
            return Poll::Ready(Some(Err(err)));
        }
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            let buf = match ready!(Pin::new(&mut self.reader).poll_fill_buf(cx)) {
                Ok(buf) => buf,
                Err(e) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(Error::io(&self.ctx.info.location, e))));
                }
            };
            if buf.is_empty() {
                self.done = true;
                if self.partial.is_empty() || self.discarding {
                    return Poll::Ready(None);
                }
                let raw = std::mem::take(&mut self.partial);
                let step = line_step(
                    &mut self.parser,
                    &mut self.ctx,
                    &raw,
                    &mut self.line_no,
                    &mut self.records,
                    self.line_start,
                );
                return Poll::Ready(self.finish(step));
            }
            let (step, used) = match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    let step = if self.discarding {
                        self.discarding = false;
                        Step::Skip
                    } else if self.partial.is_empty() {
                        if i > self.max_line {
                            let raw = buf[..self.max_line].to_vec();
                            self.too_long(&raw)
                        } else {
                            line_step(
                                &mut self.parser,
                                &mut self.ctx,
                                &buf[..i],
                                &mut self.line_no,
                                &mut self.records,
                                self.line_start,
                            )
                        }
                    } else if self.partial.len() + i > self.max_line {
                        let mut raw = std::mem::take(&mut self.partial);
                        raw.extend_from_slice(
                            &buf[..self.max_line.saturating_sub(raw.len()).min(i)],
                        );
                        self.too_long(&raw)
                    } else {
                        let mut raw = std::mem::take(&mut self.partial);
                        raw.extend_from_slice(&buf[..i]);
                        line_step(
                            &mut self.parser,
                            &mut self.ctx,
                            &raw,
                            &mut self.line_no,
                            &mut self.records,
                            self.line_start,
                        )
                    };
                    (Some(step), i + 1)
                }
                None => {
                    let n = buf.len();
                    if !self.discarding {
                        if self.partial.len() + n > self.max_line {
                            let mut raw = std::mem::take(&mut self.partial);
                            raw.extend_from_slice(
                                &buf[..self.max_line - raw.len().min(self.max_line)],
                            );
                            let step = self.too_long(&raw);
                            self.discarding = true;
                            // The line's number and start stay counted; its end is skipped.
                            self.consumed += n as u64;
                            Pin::new(&mut self.reader).consume(n);
                            if let Some(out) = self.finish_partial(step) {
                                return Poll::Ready(out);
                            }
                            continue;
                        }
                        self.partial.extend_from_slice(buf);
                    }
                    (None, n)
                }
            };
            Pin::new(&mut self.reader).consume(used);
            self.consumed += used as u64;
            if let Some(step) = step {
                self.line_start = self.consumed;
                if let Some(out) = self.finish_partial(step) {
                    return Poll::Ready(out);
                }
            }
        }
    }

    /// The bad record of an over-long line whose first bytes are `raw`.
    fn too_long(&mut self, raw: &[u8]) -> Step {
        self.line_no += 1;
        self.records += 1;
        let pos = Position {
            line: self.line_no,
            record: self.records,
            byte: self.line_start,
        };
        let message = iterable_core::limits::record_too_large("line", self.max_line);
        bad_record(&mut self.ctx, pos, message, raw)
    }

    /// `Some` when the step ends this poll.
    fn finish_partial(&mut self, step: Step) -> Option<Option<Result<Row>>> {
        match step {
            Step::Skip => None,
            other => Some(self.finish(other)),
        }
    }

    fn finish(&mut self, step: Step) -> Option<Result<Row>> {
        match step {
            Step::Row(row) => {
                self.rows += 1;
                Some(Ok(row))
            }
            Step::Skip => None,
            Step::Fail(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<R: AsyncBufRead + Send + Unpin + 'static, P: LineParser> Stream for LineRecords<R, P> {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_step(cx)
    }
}

impl<R: AsyncBufRead + Send + Unpin + 'static, P: LineParser> AsyncIterable for LineRecords<R, P> {
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        Box::pin(async move {
            let mut rows = Vec::with_capacity(n.min(4096));
            while rows.len() < n {
                match std::future::poll_fn(|cx| self.poll_step(cx)).await {
                    Some(Ok(row)) => rows.push(row),
                    Some(Err(e)) if rows.is_empty() => return Err(e),
                    Some(Err(e)) => {
                        self.pending_error = Some(e);
                        self.done = false;
                        break;
                    }
                    None => break,
                }
            }
            Ok(rows)
        })
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        let result = self.ctx.errors.flush();
        self.done = true;
        Box::pin(async move { result })
    }

    fn info(&self) -> &IterableInfo {
        &self.ctx.info
    }

    fn progress(&self) -> Progress {
        self.bytes
            .progress(self.rows, self.consumed, self.ctx.errors.skipped())
    }
}
