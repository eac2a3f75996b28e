//! What the JSON and JSON Lines readers share: [`RecordParser`] (one record's bytes in,
//! a [`Row`] out, reusing the previous row's header; bad records through the error
//! policy) and [`RecordReader`] (the `Stream` and `AsyncIterable` glue around a reader
//! that finds the records).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::policy::ErrorHandler;
use iterable_core::{
    AsyncIterable, DuplicateKeys, Error, Header, IterableInfo, ParseError, Position, Progress,
    Result, Row, RowSeed,
};
use serde::de::DeserializeSeed;
use tokio::io::AsyncBufRead;

use crate::ReadContext;
use crate::source_bytes::SourceBytes;

/// The record-finding half of a reader of the JSON family: it reads its source and hands
/// each record's bytes to the [`RecordParser`] it is given.
/// The source's next buffer (empty at the end of input). When the stream is already
/// over, or the source fails, the `Err` holds the stream's last item (`None`, or the
/// I/O error naming `location`) and `done` is set.
pub(crate) fn poll_buffer<'a, R: AsyncBufRead + Unpin>(
    reader: &'a mut R,
    done: &mut bool,
    location: &str,
    cx: &mut Context<'_>,
) -> Poll<std::result::Result<&'a [u8], Option<Result<Row>>>> {
    if *done {
        return Poll::Ready(Err(None));
    }
    match Pin::new(reader).poll_fill_buf(cx) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Err(e)) => {
            *done = true;
            Poll::Ready(Err(Some(Err(Error::io(location, e)))))
        }
        Poll::Ready(Ok(buf)) => Poll::Ready(Ok(buf)),
    }
}

pub(crate) trait RecordSource {
    /// The next row, driven from `poll_fill_buf` (no future per row).
    fn poll_row(
        &mut self,
        parser: &mut RecordParser,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Row>>>;

    /// The decoded bytes consumed so far.
    fn consumed(&self) -> u64;
}

/// A reader of the JSON family: a [`RecordSource`] and its [`RecordParser`], as a
/// `Stream` of rows and an [`AsyncIterable`].
pub(crate) struct RecordReader<S> {
    source: S,
    parser: RecordParser,
}

impl<S> RecordReader<S> {
    /// A reader of `source`'s records with the location, error policy and byte counters
    /// of `ctx`.
    pub(crate) fn new(source: S, ctx: ReadContext) -> Self {
        RecordReader {
            source,
            parser: RecordParser::new(ctx),
        }
    }

    /// The same reader with each parsed record passed through `reshape` (a format
    /// built on JSON: a GeoJSON Feature into its row); its message makes the record a
    /// bad one, under the error policy, with the record's position.
    pub(crate) fn reshaping(mut self, reshape: Reshape) -> Self {
        self.parser.reshape = Some(reshape);
        self
    }

    /// The same reader taking records that start with the ASCII record separator
    /// (0x1E), as JSON text sequences (RFC 7464) have them.
    pub(crate) fn record_separators(mut self) -> Self {
        self.parser.record_separators = true;
        self
    }
}

/// A step after a record is parsed: the row, or why the record is bad.
pub(crate) type Reshape = Box<dyn FnMut(Row) -> std::result::Result<Row, String> + Send>;

impl<S: RecordSource + Unpin> Stream for RecordReader<S> {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.source.poll_row(&mut this.parser, cx)
    }
}

impl<S: RecordSource + Send + Unpin> AsyncIterable for RecordReader<S> {
    /// Flushes the dead-letter sink, if any; the source is released on drop.
    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        let flushed = self.parser.errors.flush();
        Box::pin(async move { flushed })
    }

    fn info(&self) -> &IterableInfo {
        &self.parser.info
    }

    fn progress(&self) -> Progress {
        self.parser.progress(self.source.consumed())
    }
}

/// The part of a JSON record reader that JSON Lines and JSON share: bytes of one record
/// in, a [`Row`] out (reusing the previous header), bad records through the policy.
pub(crate) struct RecordParser {
    pub(crate) info: IterableInfo,
    pub(crate) errors: ErrorHandler,
    bytes: SourceBytes,
    /// The header of the last row, offered to the next one.
    header: Option<Arc<Header>>,
    /// Rows parsed so far.
    rows: u64,
    /// The rule for a key repeated in a record.
    pub(crate) duplicates: DuplicateKeys,
    /// The step after a record is parsed, if any.
    reshape: Option<Reshape>,
    /// Records may start with the record separator (0x1E).
    record_separators: bool,
}

impl RecordParser {
    /// Rows, bytes and skipped records, with `consumed` decoded bytes read.
    pub(crate) fn progress(&self, consumed: u64) -> Progress {
        self.bytes
            .progress(self.rows, consumed, self.errors.skipped())
    }

    /// A parser with the location, error policy and byte counters of `ctx`.
    pub(crate) fn new(ctx: ReadContext) -> Self {
        RecordParser {
            info: ctx.info,
            errors: ctx.errors,
            bytes: SourceBytes::new(ctx.bytes_read, ctx.bytes_total),
            header: None,
            rows: 0,
            duplicates: ctx.options.duplicate_keys,
            reshape: None,
            record_separators: false,
        }
    }

    /// A parser for a block parsed on another thread: no byte counters, and bad records
    /// kept for the reader to hand to its policy in order.
    pub(crate) fn deferring(info: IterableInfo, duplicates: DuplicateKeys) -> Self {
        RecordParser {
            info,
            errors: ErrorHandler::deferring(),
            bytes: SourceBytes::new(Arc::default(), None),
            header: None,
            rows: 0,
            duplicates,
            reshape: None,
            record_separators: false,
        }
    }

    /// Counts a row parsed elsewhere (in a block) and handed out by this reader.
    pub(crate) fn count_row(&mut self) {
        self.rows += 1;
    }

    /// Counts `n` rows made elsewhere (a line sink's, in blocks).
    #[cfg(feature = "arrow")]
    pub(crate) fn count_rows(&mut self, n: u64) {
        self.rows += n;
    }

    /// Parses one record. `Ok(Some(row))`: a row; `Ok(None)`: a bad record skipped by
    /// the policy; `Err`: the stream must yield this error and end. `what` names the
    /// record in messages ("line", "array element"); `line_based` says whether serde's
    /// column is a column of the physical line `pos.line`.
    pub(crate) fn parse(
        &mut self,
        raw: &[u8],
        pos: Position,
        what: &str,
        line_based: bool,
    ) -> Result<Option<Row>> {
        let whole = raw;
        let raw = if self.record_separators {
            let start = raw
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x1E))
                .unwrap_or(raw.len());
            &raw[start..]
        } else {
            raw
        };
        let first = raw
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        let err = if first != Some(&b'{') {
            ParseError::new(
                &self.info.location,
                pos,
                format!("{what} is not a JSON object"),
                raw,
            )
        } else {
            match self.deserialize(raw) {
                Ok(row) => {
                    if self
                        .header
                        .as_ref()
                        .is_none_or(|h| !Arc::ptr_eq(h, row.header()))
                    {
                        self.header = Some(row.header().clone());
                    }
                    let row = match &mut self.reshape {
                        Some(reshape) => reshape(row),
                        None => Ok(row),
                    };
                    match row {
                        Ok(row) => {
                            self.rows += 1;
                            return Ok(Some(row));
                        }
                        Err(message) => ParseError::new(
                            &self.info.location,
                            pos,
                            format!("{what}: {message}"),
                            whole,
                        ),
                    }
                }
                Err(e) => {
                    let message = serde_message(&e, pos, line_based);
                    ParseError::new(&self.info.location, pos, message, raw).with_source(e)
                }
            }
        };
        self.errors.handle(err, whole).map(|()| None)
    }
}

impl RecordParser {
    /// One record. A record that is valid UTF-8 as a whole (checked once, with SIMD)
    /// goes to the fast parser (`json_fast`), and to serde_json as `&str` when that one
    /// does not take it on (serde_json gives the row or the error); any other goes
    /// through serde_json's byte reader, whose error names the column.
    fn deserialize(&self, raw: &[u8]) -> serde_json::Result<Row> {
        let seed = RowSeed::reusing(self.header.clone()).duplicates(self.duplicates);
        match simdutf8::basic::from_utf8(raw) {
            Ok(text) => {
                if let Some(row) =
                    crate::json_fast::parse_record(text, self.header.as_ref(), self.duplicates)
                {
                    return Ok(row);
                }
                let mut de = serde_json::Deserializer::from_str(text);
                seed.deserialize(&mut de)
                    .and_then(|row| de.end().map(|()| row))
            }
            Err(_) => {
                let mut de = serde_json::Deserializer::from_slice(raw);
                seed.deserialize(&mut de)
                    .and_then(|row| de.end().map(|()| row))
            }
        }
    }
}

/// serde_json's message with its position translated from "in this record" to "in
/// the stream": a column of the physical line, or a line and column, or a byte offset.
fn serde_message(e: &serde_json::Error, pos: Position, line_based: bool) -> String {
    let full = e.to_string();
    if e.line() == 0 {
        return full;
    }
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let Some(code) = full.strip_suffix(&suffix) else {
        return full;
    };
    if line_based && e.line() == 1 {
        format!("{code} at column {}", e.column())
    } else if e.line() == 1 {
        format!(
            "{code} at byte {}",
            pos.byte + e.column().saturating_sub(1) as u64
        )
    } else {
        format!(
            "{code} at line {} column {}",
            pos.line + e.line() as u64 - 1,
            e.column()
        )
    }
}
