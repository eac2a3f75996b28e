//! JSON (`.json`): a document whose rows are the elements of an array, streamed: the
//! document is never held in memory whole, only one element at a time.
//!
//! # Reading
//!
//! A byte-level scanner (a small state machine: depth, in-string, escape) finds the
//! boundaries of each element of the row array across buffer boundaries. An element
//! that lies wholly in the reader's buffer is parsed in place; one that spans reads is
//! copied. Each element is parsed into a [`Row`] with
//! [`RowSeed`](iterable_core::RowSeed), reusing the previous header, as in
//! [JSON Lines](crate::jsonl).
//!
//! What the document may look like:
//!
//! - `[ {...}, {...} ]`: one row per element; `[]` gives no rows.
//! - With [`JsonOptions::tagname`](iterable_core::JsonOptions) `= Some(k)`: the top
//!   level must be an object; the values of other keys are scanned over (not kept)
//!   until key `k`, whose value must be an array: its elements are the rows. Keys
//!   after it are scanned to the end of the document and ignored (the first `k`
//!   wins). A top-level array, a missing key `k`, or a non-array value of `k` is an
//!   error that names the key.
//! - Without a tagname, a top-level object is read as one row. That object is parsed
//!   like an element, so it is held in memory whole.
//!
//! Whitespace is allowed anywhere JSON allows it; a UTF-8 byte order mark at the start
//! is stripped.
//!
//! Errors:
//!
//! - An element that is not an object (a number, a string, an array), or an element
//!   that is not valid JSON, is a parse error that goes through the error policy: fail
//!   yields it and ends the stream; skip and dead-letter count it and go on with the
//!   next element (the dead-letter sink receives the element's bytes). Its
//!   [`Position`]: the line where the element starts, `record` = the element's 1-based
//!   number in the array, `byte` = the offset of its first byte in the decoded stream.
//! - A malformed document (a missing `,`, a trailing comma, data after the end) or a
//!   truncated one (end of input inside the array or the object) is a parse error with
//!   the line and byte offset where it was found; it always ends the stream, whatever
//!   the policy: a short read is never silent. An empty document is an error too.
//! - An element longer than [`JsonOptions::max_line_length`](iterable_core::JsonOptions)
//!   bytes (64 MiB by default) is an error that ends the stream, so one bad file
//!   cannot take all memory.
//! - An I/O error is yielded as [`Error::Io`] and ends the stream.
//!
//! Values of keys other than the tagname are scanned for their brackets and strings
//! only: they are not validated.
//!
//! # Writing
//!
//! `[`, then the rows each on a line, separated by `,\n`, then `]\n`; with a tagname
//! `k` the array is wrapped: `{"k":[ ... ]}`. The `pretty` option indents the output
//! (two spaces, `serde_json`'s `PrettyFormatter`). Zero rows give `[]` (valid JSON).
//! Non-finite floats (NaN, infinities) are written as `null`, as `serde_json` does.
//! Output is buffered in about 64 KiB before it goes to the sink. `aclose` writes the
//! closing bracket, flushes, and shuts the sink down (which makes an atomic file sink
//! publish the file); closing twice is fine. A writer dropped without `aclose` leaves
//! an unterminated document.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{
    AsyncIterable, BoxIterable, Error, IterableInfo, ParseError, Position, Progress, Result, Row,
    unsupported_read,
};
use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncWrite, AsyncWriteExt};

use crate::jsonl::RecordParser;
use crate::{ReadContext, WriteContext};

/// Opens a JSON reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    Ok(Box::new(JsonReader::new(reader, ctx)))
}

/// Opens a JSON writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let framing = Framing::Array {
        tag: ctx.options.json.tagname.clone(),
        pretty: ctx.options.json.pretty,
    };
    Ok(Box::new(JsonWriter::new(writer, ctx, framing)))
}

// ---------------------------------------------------------------------------------
// The scanner
// ---------------------------------------------------------------------------------

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// Where the scanner is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Matching a byte order mark (this many bytes so far).
    Bom(usize),
    /// Expecting the top-level `[` or `{`.
    Start,
    /// After the top-level `{`: a key or `}`.
    ObjOpen,
    /// After a `,` in the top-level object: a key.
    ObjAfterComma,
    /// Inside a key of the top-level object.
    ObjKey,
    /// After a key: `:`.
    ObjColon,
    /// After `:`: the value.
    ObjValue,
    /// Scanning over a value of another key.
    ObjSkip,
    /// After a value: `,` or `}`.
    ObjNext,
    /// After the row array's `[`: an element or `]`.
    ArrOpen,
    /// After a `,` in the row array: an element.
    ArrAfterComma,
    /// Inside an element.
    ArrElem,
    /// After an element: `,` or `]`.
    ArrNext,
    /// Inside the top-level object read as one row.
    Single,
    /// After the document: whitespace only.
    Trailing,
}

/// What one call of [`Scanner::feed`] found.
enum Event<'a> {
    /// The buffer is used up; read more.
    NeedMore,
    /// The bytes of one element (or of the single top-level object).
    Element(&'a [u8], Position),
    /// The document is malformed or truncated: yield and end.
    Fatal(ParseError),
    /// The document ended well.
    End,
}

/// Finds the row elements of a JSON document in a byte stream, one buffer at a time.
struct Scanner {
    state: State,
    location: String,
    tag: Option<String>,
    /// The array being streamed is the tag's value.
    in_tag_array: bool,
    /// The tag's value was found.
    found: bool,
    /// The current key may still be the tag (not too long to be it).
    key_buf: Vec<u8>,
    key_overflow: bool,
    key_escape: bool,
    // The value being scanned.
    depth: u32,
    in_str: bool,
    escape: bool,
    scalar: bool,
    elem: Vec<u8>,
    elem_pos: Position,
    max_elem: usize,
    /// Offset of the current buffer's first byte in the decoded stream.
    base: u64,
    /// The current line (1-based) at the scan point.
    line: u64,
    /// Elements started so far.
    records: u64,
}

impl Scanner {
    fn new(location: String, tag: Option<String>, max_elem: usize) -> Self {
        Scanner {
            state: State::Bom(0),
            location,
            tag,
            in_tag_array: false,
            found: false,
            key_buf: Vec::new(),
            key_overflow: false,
            key_escape: false,
            depth: 0,
            in_str: false,
            escape: false,
            scalar: false,
            elem: Vec::new(),
            elem_pos: Position::default(),
            max_elem,
            base: 0,
            line: 1,
            records: 0,
        }
    }

    /// The caller consumed `n` bytes of the buffer it passed to `feed`.
    fn consumed(&mut self, n: usize) {
        self.base += n as u64;
    }

    fn fatal(&self, buf: &[u8], at: usize, message: impl Into<String>) -> ParseError {
        let pos = Position {
            line: self.line,
            record: self.records,
            byte: self.base + at as u64,
        };
        // One byte: what follows depends on how the input was split into reads.
        let raw = &buf[at.min(buf.len())..buf.len().min(at + 1)];
        ParseError::new(&self.location, pos, message, raw)
    }

    fn tag_name(&self) -> &str {
        self.tag.as_deref().unwrap_or_default()
    }

    /// Whether the key just read is the tag.
    fn key_is_tag(&self) -> bool {
        let Some(tag) = self.tag.as_deref() else {
            return false;
        };
        if self.key_overflow {
            return false;
        }
        if !self.key_buf.contains(&b'\\') {
            return self.key_buf == tag.as_bytes();
        }
        let mut quoted = Vec::with_capacity(self.key_buf.len() + 2);
        quoted.push(b'"');
        quoted.extend_from_slice(&self.key_buf);
        quoted.push(b'"');
        serde_json::from_slice::<String>(&quoted).is_ok_and(|k| k == tag)
    }

    /// Starts scanning a value whose first byte is `b`, going to `state`.
    fn begin_value(
        &mut self,
        buf: &[u8],
        i: usize,
        state: State,
    ) -> std::result::Result<(), ParseError> {
        let b = buf[i];
        if matches!(b, b',' | b':' | b']' | b'}') {
            return Err(self.fatal(buf, i, format!("expected a value, found {:?}", b as char)));
        }
        self.depth = 0;
        self.in_str = false;
        self.escape = false;
        self.scalar = !matches!(b, b'{' | b'[' | b'"');
        self.elem.clear();
        if state == State::ArrElem {
            self.records += 1;
        }
        self.elem_pos = Position {
            line: self.line,
            record: self.records,
            byte: self.base + i as u64,
        };
        self.state = state;
        Ok(())
    }

    /// Scans the value in progress from `i`; the index just past its end when it ends
    /// in `buf`.
    fn scan_value(&mut self, buf: &[u8], mut i: usize) -> Option<usize> {
        if self.scalar {
            while i < buf.len() {
                match buf[i] {
                    b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' | b'}' | b':' => return Some(i),
                    _ => i += 1,
                }
            }
            return None;
        }
        while i < buf.len() {
            if self.escape {
                self.escape = false;
                if buf[i] == b'\n' {
                    self.line += 1;
                }
                i += 1;
            } else if self.in_str {
                match memchr::memchr3(b'"', b'\\', b'\n', &buf[i..]) {
                    None => return None,
                    Some(k) => {
                        i += k;
                        match buf[i] {
                            b'"' => {
                                self.in_str = false;
                                i += 1;
                                if self.depth == 0 {
                                    return Some(i);
                                }
                            }
                            b'\\' => {
                                self.escape = true;
                                i += 1;
                            }
                            _ => {
                                self.line += 1;
                                i += 1;
                            }
                        }
                    }
                }
            } else {
                let b = buf[i];
                i += 1;
                match b {
                    b'"' => self.in_str = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            return Some(i);
                        }
                    }
                    b'\n' => self.line += 1,
                    _ => {}
                }
            }
        }
        None
    }

    /// Scans the key in progress from `i`; the index just past its closing quote when
    /// it ends in `buf`.
    fn scan_key(&mut self, buf: &[u8], mut i: usize) -> Option<usize> {
        let limit = self.tag.as_ref().map_or(0, |t| t.len() * 6 + 8);
        let start = i;
        let mut end = None;
        while i < buf.len() {
            let b = buf[i];
            if self.key_escape {
                self.key_escape = false;
            } else if b == b'\\' {
                self.key_escape = true;
            } else if b == b'"' {
                end = Some(i);
                break;
            }
            if b == b'\n' {
                self.line += 1;
            }
            i += 1;
        }
        let stop = end.unwrap_or(buf.len());
        if !self.key_overflow {
            if self.key_buf.len() + (stop - start) > limit {
                self.key_overflow = true;
                self.key_buf.clear();
            } else {
                self.key_buf.extend_from_slice(&buf[start..stop]);
            }
        }
        end.map(|e| e + 1)
    }

    /// After the row array's closing `]`.
    fn after_array(&mut self) {
        if self.in_tag_array {
            self.in_tag_array = false;
            self.found = true;
            self.state = State::ObjNext;
        } else {
            self.state = State::Trailing;
        }
    }

    /// Steps over `buf` until an element, an error or the end of the document; returns
    /// how many bytes of `buf` to consume and what was found. `eof`: `buf` is empty
    /// because the input ended. Returns `NeedMore` only when all of `buf` is consumed.
    fn feed<'a>(&'a mut self, buf: &'a [u8], eof: bool) -> (usize, Event<'a>) {
        let mut i = 0;
        loop {
            match self.state {
                State::ArrElem | State::Single | State::ObjSkip => {
                    let keep = self.state != State::ObjSkip;
                    let start = i;
                    let end = self.scan_value(buf, i);
                    let stop = end.unwrap_or(buf.len());
                    if keep && self.elem.len() + (stop - start) > self.max_elem {
                        let message = format!(
                            "element longer than max_line_length ({} bytes)",
                            self.max_elem
                        );
                        let pos = self.elem_pos;
                        let take = self.max_elem.saturating_sub(self.elem.len());
                        let raw = if self.elem.is_empty() {
                            &buf[start..start + take]
                        } else {
                            self.elem.extend_from_slice(&buf[start..start + take]);
                            &self.elem[..]
                        };
                        return (
                            stop,
                            Event::Fatal(ParseError::new(&self.location, pos, message, raw)),
                        );
                    }
                    let Some(end) = end else {
                        if keep {
                            self.elem.extend_from_slice(&buf[start..]);
                        }
                        if eof {
                            return (buf.len(), Event::Fatal(self.truncated(buf)));
                        }
                        return (buf.len(), Event::NeedMore);
                    };
                    i = end;
                    self.state = match self.state {
                        State::ArrElem => State::ArrNext,
                        State::Single => State::Trailing,
                        _ => State::ObjNext,
                    };
                    if keep {
                        let pos = self.elem_pos;
                        let bytes = if self.elem.is_empty() {
                            &buf[start..end]
                        } else {
                            self.elem.extend_from_slice(&buf[start..end]);
                            &self.elem[..]
                        };
                        return (i, Event::Element(bytes, pos));
                    }
                }
                State::ObjKey => match self.scan_key(buf, i) {
                    Some(end) => {
                        i = end;
                        self.state = State::ObjColon;
                    }
                    None if eof => return (buf.len(), Event::Fatal(self.truncated(buf))),
                    None => return (buf.len(), Event::NeedMore),
                },
                State::Bom(matched) => {
                    if i == buf.len() {
                        if eof {
                            return (
                                i,
                                Event::Fatal(self.fatal(
                                    buf,
                                    i,
                                    "empty document: expected a JSON array or object",
                                )),
                            );
                        }
                        return (i, Event::NeedMore);
                    }
                    if buf[i] == BOM[matched] {
                        i += 1;
                        self.state = if matched + 1 == BOM.len() {
                            State::Start
                        } else {
                            State::Bom(matched + 1)
                        };
                    } else if matched == 0 {
                        self.state = State::Start;
                    } else {
                        return (
                            i,
                            Event::Fatal(self.fatal(buf, i, "invalid byte order mark")),
                        );
                    }
                }
                state => {
                    // Structural: skip whitespace, then look at one byte.
                    while i < buf.len() {
                        match buf[i] {
                            b' ' | b'\t' | b'\r' => i += 1,
                            b'\n' => {
                                self.line += 1;
                                i += 1;
                            }
                            _ => break,
                        }
                    }
                    if i == buf.len() {
                        if !eof {
                            return (i, Event::NeedMore);
                        }
                        return match state {
                            State::Trailing => (i, Event::End),
                            State::Start => (
                                i,
                                Event::Fatal(self.fatal(
                                    buf,
                                    i,
                                    "empty document: expected a JSON array or object",
                                )),
                            ),
                            _ => (i, Event::Fatal(self.truncated(buf))),
                        };
                    }
                    if let Err(e) = self.structural(buf, &mut i, state) {
                        return (i, Event::Fatal(e));
                    }
                }
            }
        }
    }

    /// Handles the structural byte `buf[*i]` in `state`.
    fn structural(
        &mut self,
        buf: &[u8],
        i: &mut usize,
        state: State,
    ) -> std::result::Result<(), ParseError> {
        let b = buf[*i];
        match (state, b) {
            (State::Start, b'[') if self.tag.is_some() => Err(self.fatal(
                buf,
                *i,
                format!(
                    "expected a top-level object holding the key {:?}, found an array",
                    self.tag_name()
                ),
            )),
            (State::Start, b'[') => {
                *i += 1;
                self.state = State::ArrOpen;
                Ok(())
            }
            (State::Start, b'{') if self.tag.is_some() => {
                *i += 1;
                self.state = State::ObjOpen;
                Ok(())
            }
            (State::Start, b'{') => {
                self.records = 1;
                self.begin_value(buf, *i, State::Single)
            }
            (State::Start, _) => {
                Err(self.fatal(buf, *i, "expected a JSON array or object at the top level"))
            }
            (State::ArrOpen, b']') | (State::ArrNext, b']') => {
                *i += 1;
                self.after_array();
                Ok(())
            }
            (State::ArrAfterComma, b']') => Err(self.fatal(buf, *i, "trailing comma in the array")),
            (State::ArrOpen | State::ArrAfterComma, _) => self.begin_value(buf, *i, State::ArrElem),
            (State::ArrNext, b',') => {
                *i += 1;
                self.state = State::ArrAfterComma;
                Ok(())
            }
            (State::ArrNext, _) => {
                Err(self.fatal(buf, *i, "expected ',' or ']' after an array element"))
            }
            (State::ObjOpen | State::ObjAfterComma, b'"') => {
                *i += 1;
                self.key_buf.clear();
                self.key_overflow = false;
                self.key_escape = false;
                self.state = State::ObjKey;
                Ok(())
            }
            (State::ObjOpen, b'}') | (State::ObjNext, b'}') => {
                if !self.found {
                    let message = format!(
                        "key {:?} not found in the top-level object",
                        self.tag_name()
                    );
                    return Err(self.fatal(buf, *i, message));
                }
                *i += 1;
                self.state = State::Trailing;
                Ok(())
            }
            (State::ObjOpen | State::ObjAfterComma, _) => {
                Err(self.fatal(buf, *i, "expected a key in the top-level object"))
            }
            (State::ObjColon, b':') => {
                *i += 1;
                self.state = State::ObjValue;
                Ok(())
            }
            (State::ObjColon, _) => Err(self.fatal(buf, *i, "expected ':' after a key")),
            (State::ObjValue, _) if !self.found && self.key_is_tag() => {
                if b != b'[' {
                    let message =
                        format!("the value of the key {:?} is not an array", self.tag_name());
                    return Err(self.fatal(buf, *i, message));
                }
                *i += 1;
                self.in_tag_array = true;
                self.state = State::ArrOpen;
                Ok(())
            }
            (State::ObjValue, _) => self.begin_value(buf, *i, State::ObjSkip),
            (State::ObjNext, b',') => {
                *i += 1;
                self.state = State::ObjAfterComma;
                Ok(())
            }
            (State::ObjNext, _) => {
                Err(self.fatal(buf, *i, "expected ',' or '}' in the top-level object"))
            }
            (State::Trailing, _) => {
                Err(self.fatal(buf, *i, "unexpected data after the end of the document"))
            }
            (
                State::Bom(_) | State::ObjKey | State::ObjSkip | State::ArrElem | State::Single,
                _,
            ) => {
                unreachable!("not a structural state")
            }
        }
    }

    fn truncated(&self, buf: &[u8]) -> ParseError {
        let what = match self.state {
            State::ObjOpen
            | State::ObjAfterComma
            | State::ObjKey
            | State::ObjColon
            | State::ObjValue
            | State::ObjSkip
            | State::ObjNext => "the top-level object",
            State::Single => "the object",
            _ => "the array",
        };
        self.fatal(
            buf,
            buf.len(),
            format!("unexpected end of input inside {what} (truncated document?)"),
        )
    }
}

// ---------------------------------------------------------------------------------
// The reader
// ---------------------------------------------------------------------------------

/// The JSON reader.
struct JsonReader<R> {
    reader: R,
    scanner: Scanner,
    parser: RecordParser,
    bytes_read: Arc<AtomicU64>,
    bytes_total: Option<u64>,
    done: bool,
}

impl<R: AsyncBufRead + Unpin> JsonReader<R> {
    fn new(reader: R, ctx: ReadContext) -> Self {
        let json = &ctx.options.json;
        JsonReader {
            reader,
            scanner: Scanner::new(
                ctx.info.location.clone(),
                json.tagname.clone(),
                json.max_line_length,
            ),
            parser: RecordParser::new(ctx.info, ctx.errors),
            bytes_read: ctx.bytes_read,
            bytes_total: ctx.bytes_total,
            done: false,
        }
    }

    fn poll_inner(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            let buf = match Pin::new(&mut self.reader).poll_fill_buf(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(Error::io(&self.parser.info.location, e))));
                }
                Poll::Ready(Ok(buf)) => buf,
            };
            let eof = buf.is_empty();
            let (n, event) = self.scanner.feed(buf, eof);
            let out = match event {
                Event::NeedMore => None,
                Event::Element(bytes, pos) => {
                    match self.parser.parse(bytes, pos, "array element", false) {
                        Ok(Some(row)) => Some(Ok(row)),
                        Ok(None) => None,
                        Err(e) => {
                            self.done = true;
                            Some(Err(e))
                        }
                    }
                }
                Event::Fatal(e) => {
                    self.done = true;
                    Some(Err(e.into()))
                }
                Event::End => {
                    self.done = true;
                    self.parser.errors.flush().err().map(Err)
                }
            };
            Pin::new(&mut self.reader).consume(n);
            self.scanner.consumed(n);
            if let Some(out) = out {
                return Poll::Ready(Some(out));
            }
        }
    }
}

impl<R: AsyncBufRead + Unpin> Stream for JsonReader<R> {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_inner(cx)
    }
}

impl<R: AsyncBufRead + Send + Unpin> AsyncIterable for JsonReader<R> {
    /// Flushes the dead-letter sink, if any; the source is released on drop.
    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        let flushed = self.parser.errors.flush();
        Box::pin(async move { flushed })
    }

    fn info(&self) -> &IterableInfo {
        &self.parser.info
    }

    fn progress(&self) -> Progress {
        let counted = self.bytes_read.load(Ordering::Relaxed);
        Progress {
            rows: self.parser.rows,
            bytes: if counted == 0 {
                self.scanner.base
            } else {
                counted
            },
            bytes_total: self.bytes_total,
            skipped: self.parser.errors.skipped(),
        }
    }
}

// ---------------------------------------------------------------------------------
// The writers (JSON and JSON Lines)
// ---------------------------------------------------------------------------------

/// How much output is buffered before it goes to the sink.
const WRITE_BUFFER: usize = 64 * 1024;

/// How rows are laid out.
pub(crate) enum Framing {
    /// JSON Lines: one row per line.
    Lines,
    /// A JSON array, optionally under a key, optionally indented.
    Array {
        /// The key of the wrapping object.
        tag: Option<String>,
        /// Indent the output.
        pretty: bool,
    },
}

/// Writes rows as JSON Lines or as a JSON array.
pub(crate) struct JsonWriter<W> {
    writer: W,
    info: IterableInfo,
    framing: Framing,
    buf: Vec<u8>,
    /// How much of `buf` the sink already took.
    flushed: usize,
    scratch: Vec<u8>,
    rows: u64,
    bytes: u64,
    trailer_written: bool,
    closed: bool,
    read_refused: bool,
}

impl<W: AsyncWrite + Send + Unpin> JsonWriter<W> {
    pub(crate) fn new(writer: W, ctx: WriteContext, framing: Framing) -> Self {
        let mut buf = Vec::with_capacity(WRITE_BUFFER + WRITE_BUFFER / 4);
        if let Framing::Array { tag, pretty } = &framing {
            if let Some(tag) = tag {
                buf.extend_from_slice(if *pretty { b"{\n  " } else { b"{" });
                serde_json::to_writer(&mut buf, tag).expect("a string serializes");
                buf.extend_from_slice(if *pretty { b": [" } else { b":[" });
            } else {
                buf.push(b'[');
            }
        }
        JsonWriter {
            writer,
            info: ctx.info,
            framing,
            buf,
            flushed: 0,
            scratch: Vec::new(),
            rows: 0,
            bytes: 0,
            trailer_written: false,
            closed: false,
            read_refused: false,
        }
    }

    /// Serializes one row into the buffer.
    fn push(&mut self, row: &Row) -> Result<()> {
        if self.trailer_written {
            return Err(Error::unsupported(
                &self.info.location,
                "the writer is closed",
            ));
        }
        let mark = self.buf.len();
        let result = match &self.framing {
            Framing::Lines => {
                serde_json::to_writer(&mut self.buf, row).map(|()| self.buf.push(b'\n'))
            }
            Framing::Array { tag, pretty } => {
                self.buf
                    .extend_from_slice(if self.rows == 0 { b"\n" } else { b",\n" });
                if *pretty {
                    let indent: &[u8] = if tag.is_some() { b"    " } else { b"  " };
                    self.scratch.clear();
                    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
                    let mut ser =
                        serde_json::Serializer::with_formatter(&mut self.scratch, formatter);
                    row.serialize(&mut ser).map(|()| {
                        // Strings hold no raw newline, so every newline is the formatter's.
                        self.buf.extend_from_slice(indent);
                        for line in self.scratch.split_inclusive(|&b| b == b'\n') {
                            self.buf.extend_from_slice(line);
                            if line.ends_with(b"\n") {
                                self.buf.extend_from_slice(indent);
                            }
                        }
                    })
                } else {
                    serde_json::to_writer(&mut self.buf, row)
                }
            }
        };
        match result {
            Ok(()) => {
                self.rows += 1;
                Ok(())
            }
            Err(e) => {
                self.buf.truncate(mark);
                Err(Error::Write {
                    location: self.info.location.clone(),
                    row: self.rows + 1,
                    message: e.to_string(),
                })
            }
        }
    }

    /// Appends the closing brackets.
    fn push_trailer(&mut self) {
        if let Framing::Array { tag, pretty } = &self.framing {
            let trailer: &[u8] = match (tag.is_some(), *pretty, self.rows > 0) {
                (false, _, false) => b"]\n",
                (false, _, true) => b"\n]\n",
                (true, false, false) => b"]}\n",
                (true, false, true) => b"\n]}\n",
                (true, true, false) => b"]\n}\n",
                (true, true, true) => b"\n  ]\n}\n",
            };
            self.buf.extend_from_slice(trailer);
        }
        self.trailer_written = true;
    }

    /// Hands the whole buffer to the sink. Safe to cancel and call again.
    async fn flush_buf(&mut self) -> Result<()> {
        while self.flushed < self.buf.len() {
            let n = self
                .writer
                .write(&self.buf[self.flushed..])
                .await
                .map_err(|e| Error::io(&self.info.location, e))?;
            if n == 0 {
                let e = std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    "the sink accepts no more bytes",
                );
                return Err(Error::io(&self.info.location, e));
            }
            self.flushed += n;
            self.bytes += n as u64;
        }
        self.buf.clear();
        self.flushed = 0;
        Ok(())
    }
}

impl<W: AsyncWrite + Send + Unpin> Stream for JsonWriter<W> {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.read_refused {
            return Poll::Ready(None);
        }
        this.read_refused = true;
        Poll::Ready(Some(Err(unsupported_read(&this.info))))
    }
}

impl<W: AsyncWrite + Send + Unpin> AsyncIterable for JsonWriter<W> {
    fn awrite<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.push(row)?;
            if self.buf.len() >= WRITE_BUFFER {
                self.flush_buf().await?;
            }
            Ok(())
        })
    }

    fn awrite_bulk<'a>(&'a mut self, rows: &'a [Row]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            for row in rows {
                self.push(row)?;
                if self.buf.len() >= WRITE_BUFFER {
                    self.flush_buf().await?;
                }
            }
            Ok(())
        })
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            if self.closed {
                return Ok(());
            }
            if !self.trailer_written {
                self.push_trailer();
            }
            self.flush_buf().await?;
            self.writer
                .shutdown()
                .await
                .map_err(|e| Error::io(&self.info.location, e))?;
            self.closed = true;
            Ok(())
        })
    }

    fn info(&self) -> &IterableInfo {
        &self.info
    }

    fn progress(&self) -> Progress {
        Progress {
            rows: self.rows,
            bytes: self.bytes,
            bytes_total: None,
            skipped: 0,
        }
    }
}
