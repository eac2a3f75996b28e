//! JSON Lines (`.jsonl`, `.ndjson`): one JSON object per line.
//!
//! # Reading
//!
//! The reader is driven from `poll_next` over `poll_fill_buf`: no future is allocated
//! per row. Line ends are found with `memchr` in the reader's own buffer; a line that
//! lies wholly in that buffer is parsed in place, and only a line that spans two reads
//! is copied. Each line is checked as UTF-8 once and parsed straight into a [`Row`] by a
//! one-pass record parser, reusing the previous row's header when the keys are the same
//! (no key is allocated then, and the rows share one `Arc<Header>`); a line that parser
//! does not take on (bad syntax, a lone surrogate escape, an integer beyond 64 bits) is
//! parsed by serde_json with [`RowSeed`](iterable_core::RowSeed), the same rows, and
//! serde_json's error messages. Floats are correctly rounded either way.
//!
//! - Blank and whitespace-only lines are skipped (they are not records); a `\r` before
//!   the `\n` is tolerated; a UTF-8 byte order mark at the start is stripped; the last
//!   line needs no newline.
//! - Numbers: integers up to `i64::MAX` become [`Value::Int`](iterable_core::Value),
//!   larger ones up to `u64::MAX` an exact [`Decimal`](iterable_core::Decimal); other
//!   numbers are floats. Nested arrays and objects are kept as lists and maps.
//! - A line longer than [`Limits::max_record_bytes`](iterable_core::Limits)
//!   bytes (64 MiB by default, not counting the `\n`) is a parse error; the reader
//!   never buffers more than that: the rest of the line is discarded up to its newline,
//!   so the skip policy can go on with the next line.
//! - A line that is not a JSON object (an array, a scalar) is a parse error "line is
//!   not a JSON object"; invalid JSON or trailing characters after the object are a
//!   parse error with serde_json's message and the column in the line.
//! - Parse errors carry a [`Position`]: `line` is the 1-based physical line, `record`
//!   the 1-based count of non-blank lines, `byte` the offset of the line's start in
//!   the decoded stream (a stripped BOM counts: the first line then starts at byte 3);
//!   the line itself is kept as the snippet. They go through the error policy
//!   (`ReadContext::errors`): fail yields the error and ends the stream; skip and
//!   dead-letter count the line (`progress().skipped`) and go on. A dead-letter sink
//!   receives the raw line (without its line end; for an over-long line, the part
//!   its first `max_record_bytes` bytes).
//! - An I/O error is yielded as [`Error::Io`] and ends the stream.
//! - **Threads**: once a byte order mark is ruled out, lines are parsed in blocks on
//!   other threads (see [`Parallelism`]); rows, errors and
//!   positions are exactly those of one thread.
//! - `progress().bytes` is the byte layer's counter (`ReadContext::bytes_read`) or,
//!   when that stays 0, the decoded bytes consumed.
//!
//! # Writing
//!
//! Each row is written as one line: `serde_json` of the row (keys in column order)
//! plus `\n`, buffered in about 64 KiB before it goes to the sink. Non-finite floats
//! (NaN, infinities) are written as `null`, as `serde_json` does. `aclose` flushes
//! and shuts the sink down (which is what makes an atomic file sink publish the
//! file); closing twice is fine.

use std::pin::Pin;
#[cfg(feature = "arrow")]
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use iterable_core::{BoxIterable, Error, Parallelism, ParseError, Position, Result, Row};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::blocks::{self, BlockItem, BlockStart, Blocks, Next};
#[cfg(feature = "arrow")]
use crate::columnar::JsonColumns;
use crate::json_rows::{RecordParser, RecordReader, RecordSource, poll_buffer};
use crate::json_writer::{Framing, JsonEncoder};
use crate::record_writer::RecordWriter;
use crate::{ReadContext, WriteContext};

mod blocks_parse;
use blocks_parse::BlockParse;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// JSON Lines (`.jsonl`, `.ndjson`, `.jsonlines`): one object a line.
pub static JSONL: FormatSpec = FormatSpec {
    aliases: &["ndjson", "jsonlines"],
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: |head| {
            crate::registry::text_start(head).is_some_and(|t| t[0] == b'{' && starts_jsonl(t))
        },
    }),
    capabilities: Capabilities {
        record_boundaries: true,
        ..Capabilities::TYPED
    },
    read_options: &[
        &opt::MAX_RECORD_BYTES,
        &opt::DUPLICATE_KEYS,
        &opt::INFER_TYPES,
    ],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_reader(r, ctx))),
        writer: Some(|w, ctx| Box::pin(open_writer(w, ctx))),
        ..Builders::NONE
    }),
    ..FormatSpec::new(
        iterable_core::Format::JSONL,
        "JSON Lines: one JSON object a line",
        &["jsonl", "ndjson", "jsonlines"],
    )
};

/// `{...}\n{...}`: JSON Lines when the first line is one whole object and the next
/// non-blank line starts another (or there is none); one object over many lines is
/// JSON. `text` starts with `{`.
pub(crate) fn starts_jsonl(text: &[u8]) -> bool {
    let Some(end) = text.iter().position(|&b| b == b'\n') else {
        return true;
    };
    let first = text[..end].trim_ascii_end();
    let rest = text[end..].trim_ascii_start();
    first.ends_with(b"}") && (rest.is_empty() || rest.starts_with(b"{"))
}

/// Opens a JSON Lines reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    Ok(Box::new(record_reader(reader, ctx)))
}

/// The JSON Lines reader itself, for formats built on it (GeoJSON lines). It parses
/// on the task that polls it when `ctx` asks for one thread.
pub(crate) fn record_reader<R>(reader: R, ctx: ReadContext) -> RecordReader<impl RecordSource>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let source = JsonlReader::new(reader, &ctx);
    RecordReader::new(source, ctx)
}

/// Opens a JSON Lines writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    Ok(Box::new(RecordWriter::new(
        writer,
        JsonEncoder::new(Framing::Lines),
        ctx,
    )))
}

/// Whether `bytes` holds only JSON whitespace.
fn is_blank(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// What one line gave.
enum Step {
    Row(Row),
    /// The line sink took it: no row is made.
    Taken,
    Skip,
    Fail(Error),
}

/// Where the lines of a reader that does not make rows go (the columnar road): each
/// line is offered first, and only a line the sink does not take is parsed into a row.
pub(crate) trait LineSink {
    /// Takes one line (without its line end; valid UTF-8, not blank); `false` leaves it
    /// to the row parser, and nothing of it may have been kept.
    fn take(&mut self, line: &str) -> bool;

    /// Whether the reader should stop and hand back what the sink holds.
    fn full(&self) -> bool;
}

/// What the reader hands out: a row, or word that the line sink is full.
pub(crate) enum Item {
    Row(Row),
    Full,
    /// Lines a block's own sink took, in their place among the rows (when parsing
    /// in blocks with a sink: see [`LineReader::parse_in_blocks`]).
    #[cfg(feature = "arrow")]
    Batch(arrow_array::RecordBatch),
}

impl From<Result<Option<Row>>> for Step {
    fn from(r: Result<Option<Row>>) -> Self {
        match r {
            Ok(Some(row)) => Step::Row(row),
            Ok(None) => Step::Skip,
            Err(e) => Step::Fail(e),
        }
    }
}

/// `line` as text: checked here unless `utf8` says it is UTF-8 already.
#[allow(unsafe_code)]
fn line_text(line: &[u8], utf8: bool) -> Option<&str> {
    if utf8 {
        // SAFETY: `utf8` is given only for a line cut at line feeds (or at a `\r`
        // before one) out of a run of bytes checked as UTF-8, and an ASCII byte is
        // always a character boundary.
        return Some(unsafe { std::str::from_utf8_unchecked(line) });
    }
    simdutf8::basic::from_utf8(line).ok()
}

/// Line bookkeeping: the partial line, counters and offsets.
struct Lines {
    /// A line that spans reads (never longer than `max_line`).
    partial: Vec<u8>,
    /// Discarding the rest of an over-long line, up to its newline.
    discarding: bool,
    /// How many BOM bytes matched so far; `None` once settled.
    bom: Option<usize>,
    /// Physical lines seen.
    line_no: u64,
    /// Non-blank lines seen.
    records: u64,
    /// Offset of the current line's start in the decoded stream.
    line_start: u64,
    /// Decoded bytes consumed.
    consumed: u64,
    max_line: usize,
    /// The run of whole lines last checked as UTF-8 in one go (see [`Lines::check_run`]).
    checked: CheckedRun,
}

/// Bytes `start..end` of the decoded stream, whole lines, checked as UTF-8 together:
/// one check of a read's lines costs far less than one a line (the sink needs each
/// line as text).
#[derive(Default)]
struct CheckedRun {
    start: u64,
    end: u64,
    valid: bool,
}

impl Lines {
    /// Checks the whole lines at the start of `buf` (which starts at `self.consumed`,
    /// at a line's start) as UTF-8 together, unless the last run checked reaches past
    /// here. A run that is not UTF-8 leaves its lines to be checked one by one (the bad
    /// ones then go to the row parser, which names them).
    fn check_run(&mut self, buf: &[u8]) {
        if self.consumed < self.checked.end {
            return;
        }
        if let Some(last) = memchr::memrchr(b'\n', buf) {
            self.checked = CheckedRun {
                start: self.consumed,
                end: self.consumed + last as u64,
                valid: simdutf8::basic::from_utf8(&buf[..last]).is_ok(),
            };
        }
    }

    /// Whether the `len` bytes from `start` (a line) lie in a run checked as UTF-8.
    fn checked_utf8(&self, start: u64, len: usize) -> bool {
        self.checked.valid && self.checked.start <= start && start + len as u64 <= self.checked.end
    }

    /// One complete line (without its `\n`) starting at `self.line_start`, offered to
    /// `sink` first if there is one; `utf8` when it is known to be UTF-8.
    fn line(
        &mut self,
        parser: &mut RecordParser,
        raw: &[u8],
        sink: Option<&mut (dyn LineSink + '_)>,
        utf8: bool,
    ) -> Step {
        self.line_no += 1;
        let content = raw.strip_suffix(b"\r").unwrap_or(raw);
        if is_blank(content) {
            return Step::Skip;
        }
        self.records += 1;
        if let Some(sink) = sink
            && let Some(text) = line_text(content, utf8)
            && sink.take(text)
        {
            parser.count_row();
            return Step::Taken;
        }
        let pos = Position {
            line: self.line_no,
            record: self.records,
            byte: self.line_start,
        };
        parser.parse(content, pos, "line", true).into()
    }

    /// A line longer than the limit: `self.partial` plus `more` hold more than its first
    /// `max_line` bytes; those first bytes are kept for the error.
    fn too_long(&mut self, parser: &mut RecordParser, more: &[u8]) -> Step {
        self.line_no += 1;
        self.records += 1;
        let pos = Position {
            line: self.line_no,
            record: self.records,
            byte: self.line_start,
        };
        let missing = self
            .max_line
            .saturating_sub(self.partial.len())
            .min(more.len());
        let raw = if self.partial.is_empty() {
            &more[..missing]
        } else {
            self.partial.extend_from_slice(&more[..missing]);
            &self.partial[..]
        };
        let message = iterable_core::limits::record_too_large("line", self.max_line);
        let err = ParseError::new(&parser.info.location, pos, message, raw);
        match parser.errors.handle(err, raw) {
            Ok(()) => Step::Skip,
            Err(e) => Step::Fail(e),
        }
    }
}

/// The JSON Lines reader.
struct JsonlReader<R> {
    reader: R,
    lines: Lines,
    done: bool,
    /// Bytes read but not parsed yet (after going back from blocks to one thread),
    /// parsed from `pending_at` on before the reader is read again.
    pending: Vec<u8>,
    pending_at: usize,
    /// Parsing in blocks on other threads: wanted (before it starts), or under way.
    parallel: Option<Parallelism>,
    blocks: Option<Box<Blocks<BlockParse>>>,
    /// The sink each block's lines are offered to (a fresh one like it a block).
    #[cfg(feature = "arrow")]
    block_sink: Option<Arc<JsonColumns>>,
}

impl<R: AsyncBufRead + Unpin> JsonlReader<R> {
    fn new(reader: R, ctx: &ReadContext) -> Self {
        let max_line = ctx.options.limits.max_record_bytes;
        JsonlReader {
            reader,
            lines: Lines {
                partial: Vec::new(),
                discarding: false,
                bom: Some(0),
                line_no: 0,
                records: 0,
                line_start: 0,
                consumed: 0,
                max_line,
                checked: CheckedRun::default(),
            },
            done: false,
            pending: Vec::new(),
            pending_at: 0,
            parallel: blocks::wanted(&ctx.options.parallel).then_some(ctx.options.parallel),
            blocks: None,
            #[cfg(feature = "arrow")]
            block_sink: None,
        }
    }

    fn consume(&mut self, n: usize) {
        if self.pending_at < self.pending.len() {
            self.pending_at += n;
            if self.pending_at == self.pending.len() {
                self.pending = Vec::new();
                self.pending_at = 0;
            }
        } else {
            Pin::new(&mut self.reader).consume(n);
        }
        self.lines.consumed += n as u64;
    }

    /// The end of the stream: flush the dead-letter sink.
    fn finish(&mut self, parser: &mut RecordParser) -> Poll<Option<Result<Item>>> {
        self.done = true;
        match parser.errors.flush() {
            Ok(()) => Poll::Ready(None),
            Err(e) => Poll::Ready(Some(Err(e))),
        }
    }

    /// Starts parsing in blocks once the BOM is settled, if wanted.
    fn start_blocks(&mut self, parser: &RecordParser) {
        let lines = &self.lines;
        if lines.bom.is_some() || lines.discarding || !lines.partial.is_empty() {
            return;
        }
        let Some(parallel) = self.parallel.take() else {
            return;
        };
        let pending = self.pending.split_off(self.pending_at);
        self.pending = Vec::new();
        self.pending_at = 0;
        let start = BlockStart {
            byte: lines.consumed,
            lines: lines.line_no,
        };
        #[cfg_attr(not(feature = "arrow"), allow(unused_mut))]
        let mut parse = BlockParse::new(&parser.info, lines.max_line, parser.duplicates);
        #[cfg(feature = "arrow")]
        if let Some(sink) = &self.block_sink {
            parse = parse.with_sink(sink.clone());
        }
        let blocks = Blocks::new(
            parse,
            &parser.info.location,
            &parallel,
            pending,
            start,
            lines.records,
        );
        self.blocks = Some(Box::new(blocks));
    }

    /// The next row from the blocks, or `None` when they are done (the stream over, or
    /// back to one thread).
    fn poll_blocks(
        &mut self,
        parser: &mut RecordParser,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Option<Result<Item>>>> {
        let Some(blocks) = self.blocks.as_mut() else {
            return Poll::Ready(None);
        };
        loop {
            match ready!(blocks.poll_next(&mut self.reader, cx)) {
                Next::Item(BlockItem::Row(row)) => {
                    parser.count_row();
                    return Poll::Ready(Some(Some(Ok(Item::Row(row)))));
                }
                Next::Item(BlockItem::Columns(_)) => {
                    unreachable!("JSON Lines blocks hold rows")
                }
                #[cfg(feature = "arrow")]
                Next::Item(BlockItem::Batch(batch)) => {
                    parser.count_rows(batch.num_rows() as u64);
                    return Poll::Ready(Some(Some(Ok(Item::Batch(batch)))));
                }
                Next::Item(BlockItem::Bad(bad)) => {
                    let (error, raw) = *bad;
                    if let Err(e) = parser.errors.handle(error, &raw) {
                        self.blocks = None;
                        self.done = true;
                        return Poll::Ready(Some(Some(Err(e))));
                    }
                }
                Next::End => {
                    self.lines.consumed = blocks.consumed();
                    self.blocks = None;
                    return self.finish(parser).map(Some);
                }
                Next::Failed(e) => {
                    self.blocks = None;
                    self.done = true;
                    return Poll::Ready(Some(Some(Err(e))));
                }
                Next::Resume(resume) => {
                    self.blocks = None;
                    let lines = &mut self.lines;
                    lines.line_no = resume.start.lines;
                    lines.records = resume.records;
                    lines.line_start = resume.start.byte;
                    lines.consumed = resume.start.byte;
                    self.pending = resume.bytes;
                    self.pending_at = 0;
                    return Poll::Ready(None);
                }
            }
        }
    }

    /// The next row (or word that `sink` is full); lines the sink takes make no row.
    fn poll_inner(
        &mut self,
        parser: &mut RecordParser,
        cx: &mut Context<'_>,
        mut sink: Option<&mut (dyn LineSink + '_)>,
    ) -> Poll<Option<Result<Item>>> {
        loop {
            if let Some(item) = ready!(self.poll_blocks(parser, cx)) {
                return Poll::Ready(item);
            }
            if self.parallel.is_some() && !self.done {
                self.start_blocks(parser);
                if self.blocks.is_some() {
                    continue;
                }
            }
            if self.done {
                return Poll::Ready(None);
            }
            let buf = if self.pending_at < self.pending.len() {
                &self.pending[self.pending_at..]
            } else {
                match poll_buffer(&mut self.reader, &mut self.done, &parser.info.location, cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(last)) => return Poll::Ready(last.map(|r| r.map(Item::Row))),
                    Poll::Ready(Ok(buf)) => buf,
                }
            };
            let lines = &mut self.lines;

            if buf.is_empty() {
                // End of input: the last line may lack its newline.
                if let Some(matched) = lines.bom.take() {
                    lines.partial.extend_from_slice(&BOM[..matched]);
                }
                if !lines.discarding && !lines.partial.is_empty() {
                    let raw = std::mem::take(&mut lines.partial);
                    match lines.line(parser, &raw, sink.as_deref_mut(), false) {
                        Step::Row(row) => {
                            self.done = true;
                            return Poll::Ready(Some(Ok(Item::Row(row))));
                        }
                        Step::Fail(e) => {
                            self.done = true;
                            return Poll::Ready(Some(Err(e)));
                        }
                        Step::Skip | Step::Taken => {}
                    }
                }
                return self.finish(parser);
            }

            if let Some(matched) = lines.bom {
                if buf[0] == BOM[matched] {
                    lines.bom = if matched + 1 == BOM.len() {
                        None
                    } else {
                        Some(matched + 1)
                    };
                    if lines.bom.is_none() {
                        lines.line_start = BOM.len() as u64;
                    }
                    self.consume(1);
                    continue;
                }
                lines.partial.extend_from_slice(&BOM[..matched]);
                lines.bom = None;
            }

            if lines.discarding {
                let n = match memchr::memchr(b'\n', buf) {
                    Some(i) => {
                        lines.discarding = false;
                        lines.line_start = lines.consumed + i as u64 + 1;
                        i + 1
                    }
                    None => buf.len(),
                };
                self.consume(n);
                continue;
            }

            if lines.partial.is_empty() {
                if sink.is_some() {
                    lines.check_run(buf);
                }
                // The whole lines at the start of `buf`, one after another, without
                // going back to the reader between them.
                let mut used = 0;
                let mut stop = None;
                while let Some(i) = memchr::memchr(b'\n', &buf[used..]) {
                    if i > lines.max_line {
                        break;
                    }
                    let start = lines.consumed + used as u64;
                    lines.line_start = start;
                    let utf8 = lines.checked_utf8(start, i);
                    let step = lines.line(parser, &buf[used..used + i], sink.as_deref_mut(), utf8);
                    used += i + 1;
                    lines.line_start = lines.consumed + used as u64;
                    match step {
                        Step::Skip => {}
                        Step::Taken if !sink.as_ref().is_some_and(|s| s.full()) => {}
                        step => {
                            stop = Some(step);
                            break;
                        }
                    }
                }
                if used > 0 {
                    self.consume(used);
                    match stop {
                        Some(Step::Row(row)) => return Poll::Ready(Some(Ok(Item::Row(row)))),
                        Some(Step::Fail(e)) => {
                            self.done = true;
                            return Poll::Ready(Some(Err(e)));
                        }
                        Some(Step::Taken) => return Poll::Ready(Some(Ok(Item::Full))),
                        Some(Step::Skip) | None => continue,
                    }
                }
            }
            // What the loop above leaves: the end of a line begun in an earlier read,
            // a line over the limit, or a read with no line end.
            let (n, step) = match memchr::memchr(b'\n', buf) {
                Some(i) => {
                    let step = if lines.partial.len() + i > lines.max_line {
                        lines.too_long(parser, &buf[..i])
                    } else {
                        lines.partial.extend_from_slice(&buf[..i]);
                        let raw = std::mem::take(&mut lines.partial);
                        let step = lines.line(parser, &raw, sink.as_deref_mut(), false);
                        lines.partial = raw;
                        step
                    };
                    lines.partial.clear();
                    lines.line_start = lines.consumed + i as u64 + 1;
                    (i + 1, step)
                }
                None if lines.partial.len() + buf.len() > lines.max_line => {
                    let step = lines.too_long(parser, buf);
                    lines.partial.clear();
                    lines.discarding = true;
                    (buf.len(), step)
                }
                None => {
                    lines.partial.extend_from_slice(buf);
                    (buf.len(), Step::Skip)
                }
            };
            self.consume(n);
            match step {
                Step::Row(row) => return Poll::Ready(Some(Ok(Item::Row(row)))),
                Step::Fail(e) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Step::Taken if sink.as_ref().is_some_and(|s| s.full()) => {
                    return Poll::Ready(Some(Ok(Item::Full)));
                }
                Step::Skip | Step::Taken => {}
            }
        }
    }
}

impl<R: AsyncBufRead + Unpin> RecordSource for JsonlReader<R> {
    fn poll_row(
        &mut self,
        parser: &mut RecordParser,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Row>>> {
        self.poll_inner(parser, cx, None).map(|item| {
            item.map(|r| {
                r.map(|item| match item {
                    Item::Row(row) => row,
                    Item::Full => unreachable!("no line sink, so never full"),
                    #[cfg(feature = "arrow")]
                    Item::Batch(_) => unreachable!("no line sink, so no batch"),
                })
            })
        })
    }

    fn consumed(&self) -> u64 {
        self.lines.consumed
    }
}

#[cfg(feature = "arrow")]
/// A JSON Lines reader whose lines go to a [`LineSink`] first (the columnar road): one
/// thread, the row reader's rules for every line the sink leaves.
pub(crate) struct LineReader<R> {
    source: JsonlReader<R>,
    parser: RecordParser,
    /// The parsing threads the options ask for.
    parallel: Parallelism,
}

#[cfg(feature = "arrow")]
impl<R: AsyncBufRead + Unpin> LineReader<R> {
    /// A reader of `reader` with the location, error policy and limits of `ctx`.
    pub(crate) fn new(reader: R, ctx: ReadContext) -> Self {
        let mut source = JsonlReader::new(reader, &ctx);
        source.parallel = None;
        LineReader {
            source,
            parallel: ctx.options.parallel,
            parser: RecordParser::new(ctx),
        }
    }

    /// From the next line on, parses in blocks on other threads when the options ask
    /// for more than one thread: each block offers its lines to a fresh sink like
    /// `sink` and hands what it took back as [`Item::Batch`], in place among the rows
    /// of the lines it left. Without threads, lines go on to the sink given to
    /// [`poll_item`](Self::poll_item).
    pub(crate) fn parse_in_blocks(&mut self, sink: &JsonColumns) {
        if blocks::wanted(&self.parallel) {
            self.source.parallel = Some(self.parallel);
            self.source.block_sink = Some(Arc::new(sink.empty_like()));
        }
    }

    /// The next row that `sink` did not take, or [`Item::Full`] once it is full;
    /// `None` at the end of the input. Bad lines go through the error policy.
    pub(crate) fn poll_item(
        &mut self,
        cx: &mut Context<'_>,
        sink: Option<&mut (dyn LineSink + '_)>,
    ) -> Poll<Option<Result<Item>>> {
        self.source.poll_inner(&mut self.parser, cx, sink)
    }

    /// Rows (taken lines included), bytes and skipped lines so far.
    pub(crate) fn progress(&self) -> iterable_core::Progress {
        self.parser.progress(self.source.lines.consumed)
    }
}
