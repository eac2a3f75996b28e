//! The CSV parser, sans I/O (as csv-core sits under csv): it is fed bytes and answers
//! how many it consumed and the row (or error) they completed. It keeps the record
//! state across feeds (a record split over two reads), the byte order mark, the
//! header, positions and the error policy. The fast path splits a plain record (no
//! quotes, no escapes: [`plain_record`]) in one pass; any other record goes through
//! csv-core. [`CsvReader`](super::reader::CsvReader) drives it from `poll_fill_buf`, and
//! the block parser (`blocks.rs`) drives copies of it on other threads.
//!
//! On the columnar road (`columns` set) a data record becomes no row: its fields go
//! into the [`TextColumns`] chunk, and `feed` pauses when the chunk is full or a bad
//! record went to the error policy, so that whoever drives it hands the rows before
//! the bad record on first.

use std::borrow::Cow;
use std::sync::Arc;

use csv_core::{ReadRecordResult, ReaderBuilder, Terminator};
use iterable_core::limits::record_too_large;
use iterable_core::policy::ErrorHandler;
use iterable_core::{Error, Header, IterableInfo, ParseError, Position, Result, Row, Value};

use super::infer::infer_value;
use super::plain_record::{self, Specials};
use crate::ReadContext;
use crate::blocks::{BlockStart, Resume};
use crate::source_bytes::SourceBytes;
use crate::text_columns::{FieldText, QuotedField, TextColumns};

pub(super) const BOM: &[u8] = b"\xef\xbb\xbf";

/// Where the reader stands with the UTF-8 byte order mark.
pub(super) enum Bom {
    /// Not decided yet: these first bytes (a proper prefix of the BOM) were consumed.
    Undecided(Vec<u8>),
    /// Dealt with.
    Done,
}

/// The dialect: how records and fields are told apart, and what fields become.
#[derive(Debug, Clone)]
pub(super) struct Dialect {
    pub(super) has_header: bool,
    pub(super) infer: bool,
    pub(super) delimiter: u8,
    pub(super) quote: u8,
    pub(super) escape: Option<u8>,
    pub(super) double_quote: bool,
    pub(super) comment: Option<u8>,
    /// The largest record accepted, in bytes ([`Limits`](iterable_core::Limits)).
    pub(super) max_record: usize,
}

impl Dialect {
    pub(super) fn of(ctx: &ReadContext) -> Self {
        let csv = &ctx.options.csv;
        Dialect {
            has_header: csv.has_header,
            infer: csv.infer_types,
            delimiter: super::delimiter_of(&ctx.options, ctx.info.format),
            quote: csv.quote,
            escape: csv.escape,
            double_quote: csv.escape.is_none(),
            comment: csv.comment,
            max_record: ctx.options.limits.max_record_bytes.max(1),
        }
    }

    pub(super) fn core(&self) -> csv_core::Reader {
        ReaderBuilder::new()
            .delimiter(self.delimiter)
            .quote(self.quote)
            .escape(self.escape)
            .double_quote(self.double_quote)
            .terminator(Terminator::CRLF)
            .build()
    }
}

/// Everything but the byte source, so that the source's buffer can be borrowed while
/// the parser changes.
pub(super) struct Parser {
    pub(super) info: IterableInfo,
    pub(super) core: csv_core::Reader,
    pub(super) errors: ErrorHandler,
    pub(super) bytes: SourceBytes,
    pub(super) dialect: Dialect,
    pub(super) header: Option<Arc<Header>>,
    /// Field bytes of the record being parsed, and where each field ends in them.
    pub(super) out: Vec<u8>,
    pub(super) ends: Vec<usize>,
    pub(super) out_len: usize,
    pub(super) ends_len: usize,
    /// Where each field of a plain record lies in it (see `split_plain_record`).
    pub(super) spans: Vec<(usize, usize)>,
    /// The raw bytes of a record that spans reads (empty otherwise).
    pub(super) raw: Vec<u8>,
    pub(super) spanning: bool,
    /// The record being parsed passed the size limit: its fields are discarded and
    /// `raw` keeps its first `max_record` bytes, for the error policy at its end.
    pub(super) oversized: bool,
    pub(super) in_record: bool,
    pub(super) in_comment: bool,
    pub(super) bom: Bom,
    /// Bytes consumed from the source but not parsed yet, parsed from `pending_at` on
    /// before the source is read again.
    pub(super) pending: Vec<u8>,
    pub(super) pending_at: usize,
    /// The stream offset of the next byte to be fed to the parser.
    pub(super) offset: u64,
    /// LFs skipped between records (csv-core counts the others).
    pub(super) newlines: u64,
    pub(super) record_line: u64,
    pub(super) record_byte: u64,
    /// Data records seen (good or bad), rows yielded.
    pub(super) records: u64,
    pub(super) rows: u64,
    pub(super) done: bool,
    /// Return from `feed` as soon as the header is known (to switch to blocks).
    pub(super) stop_after_header: bool,
    /// The columnar road: data records go here instead of becoming rows (the chunk is
    /// made, empty, once the header is known).
    pub(super) columns: Option<TextColumns>,
    /// Whether the columnar road is on (`columns` waits for the header).
    pub(super) columnar: bool,
    /// On the columnar road, the rows a chunk holds before `feed` pauses.
    pub(super) chunk_rows: usize,
    /// Return from `feed` after the record just finished (set on the columnar road).
    pub(super) pause: bool,
}

impl Parser {
    pub(super) fn new(
        dialect: Dialect,
        info: IterableInfo,
        errors: ErrorHandler,
        bytes: SourceBytes,
    ) -> Self {
        Parser {
            core: dialect.core(),
            dialect,
            bytes,
            header: None,
            out: vec![0; 4096],
            ends: vec![0; 64],
            out_len: 0,
            ends_len: 0,
            spans: Vec::with_capacity(64),
            raw: Vec::new(),
            spanning: false,
            oversized: false,
            in_record: false,
            in_comment: false,
            bom: Bom::Undecided(Vec::new()),
            pending: Vec::new(),
            pending_at: 0,
            offset: 0,
            newlines: 0,
            record_line: 0,
            record_byte: 0,
            records: 0,
            rows: 0,
            done: false,
            stop_after_header: false,
            columns: None,
            columnar: false,
            chunk_rows: usize::MAX,
            pause: false,
            errors,
            info,
        }
    }

    /// A parser for one block of data records that starts at `start`, with `header`
    /// known and bad records kept for the caller.
    pub(super) fn for_block(
        dialect: &Dialect,
        info: IterableInfo,
        header: Arc<Header>,
        start: BlockStart,
    ) -> Self {
        let mut p = Parser::new(
            dialect.clone(),
            info,
            ErrorHandler::deferring(),
            SourceBytes::new(Default::default(), None),
        );
        p.header = Some(header);
        p.bom = Bom::Done;
        p.set_start(start);
        p
    }

    /// Puts the parser on the columnar road: data records are gathered by column, and
    /// `feed` pauses once `chunk_rows` rows are held (see [`take_columns`](Self::take_columns)).
    pub(super) fn gather_columns(&mut self, chunk_rows: usize) {
        self.columnar = true;
        self.chunk_rows = chunk_rows.max(1);
        if let Some(header) = &self.header {
            self.columns = Some(TextColumns::new(header.clone()));
        }
    }

    /// Makes the next byte fed the one at `start`.
    pub(super) fn set_start(&mut self, start: BlockStart) {
        self.offset = start.byte;
        self.core.set_line(start.lines + 1);
        self.newlines = 0;
    }

    /// Where the next block starts: the next byte to be parsed (pending ones first).
    pub(super) fn next_block_start(&self) -> BlockStart {
        BlockStart {
            byte: self.offset,
            lines: self.core.line() - 1 + self.newlines,
        }
    }

    /// The bytes read but not parsed yet.
    pub(super) fn take_pending(&mut self) -> Vec<u8> {
        let at = std::mem::take(&mut self.pending_at);
        let mut pending = std::mem::take(&mut self.pending);
        pending.drain(..at);
        pending
    }

    /// Goes on parsing on this task after a bad block cut (see [`crate::blocks`]).
    pub(super) fn resume(&mut self, resume: Resume) {
        self.set_start(resume.start);
        self.records = resume.records;
        self.pending = resume.bytes;
        self.pending_at = 0;
    }

    pub(super) fn dialect(&self) -> &Dialect {
        &self.dialect
    }

    pub(super) fn io_error(&mut self, e: std::io::Error) -> Error {
        self.done = true;
        Error::io(&self.info.location, e)
    }

    /// Parses records out of `input` until one gives something to yield (a row or an
    /// error) or the input runs out. Returns how many bytes were used. With `eof`,
    /// `input` is empty and the last record is finished.
    pub(super) fn feed(&mut self, input: &[u8], eof: bool) -> (usize, Option<Result<Row>>) {
        let mut pos = 0;
        let item = loop {
            if !self.in_record {
                pos = self.skip_between_records(input, pos);
                if pos == input.len() {
                    if eof {
                        self.done = true;
                        break self.errors.flush().err().map(Err);
                    }
                    break None;
                }
                self.in_record = true;
                self.record_line = self.core.line() + self.newlines;
                self.record_byte = self.offset + pos as u64;
                if let Some((body, len, escaped)) = self.split_plain_record(&input[pos..]) {
                    let spans = std::mem::take(&mut self.spans);
                    let raw = &input[pos..pos + len];
                    let item = if len > self.dialect.max_record {
                        self.too_large(raw)
                    } else {
                        self.finish_record(
                            Fields::Spans {
                                line: body,
                                spans: &spans,
                                escaped,
                                quote: self.dialect.quote,
                            },
                            raw,
                        )
                    };
                    self.spans = spans;
                    pos += len;
                    self.in_record = false;
                    self.reset_record();
                    if item.is_some() || self.should_pause() {
                        break item;
                    }
                    continue;
                }
            } else if eof && !self.oversized && self.quote_open() {
                self.in_record = false;
                self.reset_record();
                let raw = std::mem::take(&mut self.raw);
                let item =
                    self.bad_record("unterminated quoted field at the end of the input", &raw);
                self.raw = raw;
                self.raw.clear();
                if item.is_some() {
                    self.done = true;
                    break item;
                }
                if self.should_pause() {
                    break None;
                }
                continue;
            }
            let start = pos;
            let res = loop {
                let (res, nin, nout, nend) = self.core.read_record(
                    &input[pos..],
                    &mut self.out[self.out_len..],
                    &mut self.ends[self.ends_len..],
                );
                pos += nin;
                self.out_len += nout;
                self.ends_len += nend;
                match res {
                    // Past the limit the fields are not kept: the buffers stop growing.
                    ReadRecordResult::OutputFull if self.oversized => self.out_len = 0,
                    ReadRecordResult::OutputEndsFull if self.oversized => self.ends_len = 0,
                    ReadRecordResult::OutputFull => {
                        let len = self.out.len();
                        self.out.resize(len * 2, 0);
                    }
                    ReadRecordResult::OutputEndsFull => {
                        let len = self.ends.len();
                        self.ends.resize(len * 2, 0);
                    }
                    other => break other,
                }
            };
            match res {
                ReadRecordResult::InputEmpty => {
                    self.spanning = true;
                    if self.oversized {
                        break None;
                    }
                    self.raw.extend_from_slice(&input[start..pos]);
                    if self.raw.len() > self.dialect.max_record
                        && let Some(item) = self.pass_the_limit()
                    {
                        self.offset += pos as u64;
                        return (pos, Some(item));
                    }
                    break None;
                }
                ReadRecordResult::End => {
                    self.in_record = false;
                    self.reset_record();
                }
                _ if self.oversized => {
                    self.in_record = false;
                    self.oversized = false;
                    self.reset_record();
                    let raw = std::mem::take(&mut self.raw);
                    let message = record_too_large("record", self.dialect.max_record);
                    let item = self.bad_record(&message, &raw);
                    self.raw = raw;
                    self.raw.clear();
                    if item.is_some() || self.should_pause() {
                        break item;
                    }
                }
                _ if self.raw.len() + (pos - start) > self.dialect.max_record => {
                    self.in_record = false;
                    let mut raw = std::mem::take(&mut self.raw);
                    raw.extend_from_slice(&input[start..pos]);
                    let item = self.too_large(&raw);
                    raw.clear();
                    self.raw = raw;
                    self.reset_record();
                    if item.is_some() || self.should_pause() {
                        break item;
                    }
                }
                _ => {
                    self.in_record = false;
                    let item = if self.spanning {
                        let mut raw = std::mem::take(&mut self.raw);
                        raw.extend_from_slice(&input[start..pos]);
                        let item = self.finish_packed(&raw);
                        raw.clear();
                        self.raw = raw;
                        item
                    } else {
                        self.finish_packed(&input[start..pos])
                    };
                    self.reset_record();
                    if item.is_some() || self.should_pause() {
                        break item;
                    }
                }
            }
        };
        self.offset += pos as u64;
        (pos, item)
    }

    /// Whether `feed` returns now, after a record: to switch to blocks once the header
    /// is known, or on the columnar road (a full chunk, a bad record handled).
    fn should_pause(&mut self) -> bool {
        std::mem::take(&mut self.pause) || (self.stop_after_header && self.header.is_some())
    }

    /// Takes the rows gathered on the columnar road (`None` off it, or before the
    /// header), leaving an empty chunk.
    pub(super) fn take_columns(&mut self) -> Option<TextColumns> {
        self.columns
            .as_mut()
            .filter(|c| !c.is_empty())
            .map(TextColumns::take)
    }

    /// The fast path for the common record: a plain record (see [`plain_record`]) at the
    /// start of `input`, valid UTF-8. Puts where each field lies in it into `spans`,
    /// exactly the fields csv-core would give; returns the record without its
    /// terminator, the record's length with it, and which fields hold doubled quotes.
    /// `None` (anything else) leaves the record to csv-core.
    pub(super) fn split_plain_record<'a>(
        &mut self,
        input: &'a [u8],
    ) -> Option<(&'a str, usize, u64)> {
        let dialect = &self.dialect;
        if !(dialect.delimiter.is_ascii() && dialect.quote.is_ascii()) {
            return None; // fields could not be cut out of the text at them
        }
        let specials = Specials {
            delimiter: dialect.delimiter,
            quote: dialect.quote,
            escape: dialect.escape,
            double_quote: dialect.double_quote,
        };
        let record = plain_record::split(input, specials, &mut self.spans)?;
        let text = record.text(input)?;
        self.core.set_line(self.core.line() + 1 + record.newlines);
        Some((text, record.len, record.escaped))
    }

    /// The record being parsed has just passed the size limit. A bad header, or any bad
    /// record under the `Fail` policy, ends the stream now (`Some`: the error); else the
    /// rest of the record is read and discarded, and the error policy gets it at its end.
    fn pass_the_limit(&mut self) -> Option<Result<Row>> {
        let max = self.dialect.max_record;
        self.raw.truncate(max);
        // Give back what the fields took; the rest of the record is not kept.
        self.out = vec![0; 4096];
        self.ends = vec![0; 64];
        self.out_len = 0;
        self.ends_len = 0;
        if self.header.is_some() && !self.errors.fails() {
            self.oversized = true;
            return None;
        }
        self.done = true;
        let raw = std::mem::take(&mut self.raw);
        let item = self.bad_record(&record_too_large("record", max), &raw);
        self.raw = raw;
        item
    }

    /// A whole record over the size limit, for the error policy (its first
    /// `max_record` bytes as the raw record).
    fn too_large(&mut self, raw: &[u8]) -> Option<Result<Row>> {
        let max = self.dialect.max_record;
        self.bad_record(&record_too_large("record", max), &raw[..raw.len().min(max)])
    }

    pub(super) fn reset_record(&mut self) {
        self.out_len = 0;
        self.ends_len = 0;
        self.spanning = false;
    }

    /// Skips line ends and comment lines before a record; returns where it starts.
    pub(super) fn skip_between_records(&mut self, input: &[u8], mut pos: usize) -> usize {
        while pos < input.len() {
            if self.in_comment {
                match memchr::memchr(b'\n', &input[pos..]) {
                    Some(i) => {
                        pos += i + 1;
                        self.newlines += 1;
                        self.in_comment = false;
                    }
                    None => return input.len(),
                }
                continue;
            }
            match input[pos] {
                b'\n' => self.newlines += 1,
                b'\r' => {}
                b if Some(b) == self.dialect.comment => self.in_comment = true,
                _ => return pos,
            }
            pos += 1;
        }
        pos
    }

    /// True when the record in `raw` (spanning, so all of it is there) ends inside a
    /// quoted field: csv-core would quietly close it at the end of the input.
    pub(super) fn quote_open(&self) -> bool {
        #[derive(Clone, Copy, PartialEq)]
        enum S {
            Start,
            Field,
            Quoted,
            Escaped,
            AfterQuote,
        }
        let (q, d) = (self.dialect.quote, self.dialect.delimiter);
        let mut s = S::Start;
        for &b in &self.raw {
            s = match s {
                S::Start if b == q => S::Quoted,
                S::Start | S::Field if b == d => S::Start,
                S::Start | S::Field => S::Field,
                S::Quoted if b == q => S::AfterQuote,
                S::Quoted if Some(b) == self.dialect.escape => S::Escaped,
                S::Quoted | S::Escaped => S::Quoted,
                S::AfterQuote if b == q && self.dialect.double_quote => S::Quoted,
                S::AfterQuote if b == d => S::Start,
                S::AfterQuote => S::Field,
            };
        }
        matches!(s, S::Quoted | S::Escaped)
    }

    pub(super) fn position(&self) -> Position {
        Position {
            line: self.record_line,
            record: self.records,
            byte: self.record_byte,
        }
    }

    /// Hands a bad data record to the error policy: `Some(Err)` to yield (and end),
    /// `None` to skip it.
    pub(super) fn bad_record(&mut self, message: &str, raw: &[u8]) -> Option<Result<Row>> {
        if self.header.is_none() {
            // The header itself: nothing sensible follows a bad one.
            self.done = true;
            let err = ParseError::new(
                &self.info.location,
                self.position(),
                message,
                trim_terminator(raw),
            );
            return Some(Err(err.into()));
        }
        self.records += 1;
        let raw = trim_terminator(raw);
        let err = ParseError::new(&self.info.location, self.position(), message, raw);
        // On the columnar road the rows before a bad record go on before it.
        self.pause = self.columnar;
        match self.errors.handle(err, raw) {
            Ok(()) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    /// Turns the record csv-core parsed into `out`/`ends` into a row (or the header, or
    /// an error).
    pub(super) fn finish_packed(&mut self, raw: &[u8]) -> Option<Result<Row>> {
        let out = std::mem::take(&mut self.out);
        let ends = std::mem::take(&mut self.ends);
        let item = self.finish_out(&out, &ends[..self.ends_len], raw);
        self.out = out;
        self.ends = ends;
        item
    }

    pub(super) fn finish_out(
        &mut self,
        out: &[u8],
        ends: &[usize],
        raw: &[u8],
    ) -> Option<Result<Row>> {
        let len = ends.last().copied().unwrap_or(0);
        match simdutf8::compat::from_utf8(&out[..len]) {
            Ok(text) => self.finish_record(Fields::Packed { text, ends }, raw),
            Err(e) => {
                let field = ends
                    .iter()
                    .position(|&end| end > e.valid_up_to())
                    .unwrap_or(0);
                self.bad_record(&utf8_message(field), raw)
            }
        }
    }

    /// Turns the fields of a record into a row (or the header, or an error).
    fn finish_record(&mut self, fields: Fields<'_>, raw: &[u8]) -> Option<Result<Row>> {
        let nfields = fields.len();
        let header = match &self.header {
            Some(header) => header,
            None => {
                let names = if self.dialect.has_header {
                    match fields.all() {
                        Ok(fields) => header_names(fields),
                        Err(field) => return self.bad_record(&utf8_message(field), raw),
                    }
                } else {
                    header_names(std::iter::repeat_n("", nfields))
                };
                let header = Arc::new(Header::new(names));
                if self.columnar {
                    self.columns = Some(TextColumns::new(header.clone()));
                }
                self.header = Some(header);
                if self.dialect.has_header {
                    return None;
                }
                self.header.as_ref()?
            }
        };
        let ncols = header.len();
        if ncols > 1 && fields.is_one_empty() {
            return None; // a blank line in disguise (`""`)
        }
        if nfields > ncols {
            let message = format!("record has {nfields} fields, header has {ncols}");
            return self.bad_record(&message, raw);
        }
        if let Some(columns) = self.columns.as_mut() {
            if let Some(i) = fields.split_char() {
                return self.bad_record(&utf8_message(i), raw);
            }
            fields.push_into(columns);
            self.records += 1;
            self.rows += 1;
            self.pause = columns.is_full(self.chunk_rows);
            return None;
        }
        let mut values = match fields.values(self.dialect.infer) {
            Ok(values) => values,
            Err(i) => return self.bad_record(&utf8_message(i), raw),
        };
        values.resize(ncols, Value::Null);
        let row = Row::from_parts(header.clone(), values);
        self.records += 1;
        self.rows += 1;
        Some(Ok(row))
    }
}

/// The fields of one record, as text.
#[derive(Clone, Copy)]
enum Fields<'a> {
    /// csv-core's output: the fields one after another in `text`, field `i` ending at
    /// `ends[i]`. A field boundary may split a character (then that field is not text).
    Packed { text: &'a str, ends: &'a [usize] },
    /// A plain record: field `i` is `line[spans[i].0..spans[i].1]`, cut at ASCII
    /// delimiters and quotes, so always text; where bit `i` of `escaped` is set, its
    /// doubled `quote`s stand for one each.
    Spans {
        line: &'a str,
        spans: &'a [(usize, usize)],
        escaped: u64,
        quote: u8,
    },
}

impl<'a> Fields<'a> {
    fn len(self) -> usize {
        match self {
            Fields::Packed { ends, .. } => ends.len(),
            Fields::Spans { spans, .. } => spans.len(),
        }
    }

    /// True for one empty field (what a line holding only `""` gives).
    fn is_one_empty(self) -> bool {
        match self {
            Fields::Packed { ends, .. } => ends == [0],
            Fields::Spans { spans, .. } => spans.len() == 1 && spans[0].0 == spans[0].1,
        }
    }

    /// The index of the first field that is not text by itself (a packed field boundary
    /// that splits a character), if any.
    fn split_char(self) -> Option<usize> {
        match self {
            Fields::Packed { text, ends } => {
                ends.iter().position(|&end| !text.is_char_boundary(end))
            }
            Fields::Spans { .. } => None,
        }
    }

    /// Each field made a value (a string, or the inferred type), or `Err(i)` when field
    /// `i` is not text by itself.
    fn values(self, infer: bool) -> std::result::Result<Vec<Value>, usize> {
        if let Some(i) = self.split_char() {
            return Err(i);
        }
        // Collected from slice iterators (whose length is known), the values are written
        // straight into the row's vector, not built on the stack and copied.
        let make = |field: &str| {
            if infer {
                infer_value(field)
            } else {
                Value::from(field)
            }
        };
        Ok(match self {
            Fields::Packed { text, ends } => {
                let starts = std::iter::once(0).chain(ends.iter().copied());
                starts
                    .zip(ends.iter().copied())
                    .map(|(start, end)| make(&text[start..end]))
                    .collect()
            }
            // Cut at ASCII bytes of a `str`, so always at character boundaries.
            Fields::Spans {
                line,
                spans,
                escaped: 0,
                ..
            } => spans
                .iter()
                .map(|&(start, end)| make(&line[start..end]))
                .collect(),
            Fields::Spans { .. } => self.all()?.iter().map(|field| make(field)).collect(),
        })
    }

    /// Adds the fields to `columns` as one record; the caller has checked that each is
    /// text by itself ([`split_char`](Self::split_char)).
    fn push_into(self, columns: &mut TextColumns) {
        match self {
            Fields::Packed { text, ends } => {
                let starts = std::iter::once(0).chain(ends.iter().copied());
                columns.push_record(starts.zip(ends.iter().copied()).map(|(s, e)| &text[s..e]));
            }
            Fields::Spans {
                line,
                spans,
                escaped: 0,
                ..
            } => columns.push_record(spans.iter().map(|&(s, e)| &line[s..e])),
            Fields::Spans {
                line,
                spans,
                escaped,
                quote,
            } => columns.push_record(spans.iter().enumerate().map(|(i, &(s, e))| QuotedField {
                text: &line[s..e],
                doubled: escaped.checked_shr(i as u32).unwrap_or(0) & 1 == 1,
                quote,
            })),
        }
    }

    /// Every field, or the index of one that is not text by itself.
    fn all(self) -> std::result::Result<Vec<Cow<'a, str>>, usize> {
        if let Some(i) = self.split_char() {
            return Err(i);
        }
        Ok(match self {
            Fields::Packed { text, ends } => {
                let starts = std::iter::once(0).chain(ends.iter().copied());
                starts
                    .zip(ends.iter().copied())
                    .map(|(s, e)| Cow::Borrowed(&text[s..e]))
                    .collect()
            }
            Fields::Spans {
                line,
                spans,
                escaped,
                quote,
            } => spans
                .iter()
                .enumerate()
                .map(
                    |(i, &(s, e))| match escaped.checked_shr(i as u32).unwrap_or(0) & 1 {
                        0 => Cow::Borrowed(&line[s..e]),
                        _ => Cow::Owned(undouble(&line[s..e], quote)),
                    },
                )
                .collect(),
        })
    }
}

/// `field` with each doubled `quote` (an ASCII byte) made one: every quote in a quoted
/// field of a plain record is doubled.
fn undouble(field: &str, quote: u8) -> String {
    let mut text = String::with_capacity(field.len());
    let field = QuotedField {
        text: field,
        doubled: true,
        quote,
    };
    field.push_onto(&mut text);
    text
}

/// Column names from header fields: the one rule of every format.
fn header_names(fields: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<String> {
    iterable_core::unique_column_names(fields)
}

fn utf8_message(field: usize) -> String {
    format!(
        "field {} is not valid UTF-8: the input is in another encoding; set the `encoding` option (e.g. `windows-1252`, `latin1`)",
        field + 1
    )
}

/// The record without its line terminator.
fn trim_terminator(raw: &[u8]) -> &[u8] {
    let mut end = raw.len();
    while end > 0 && matches!(raw[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &raw[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_unique_and_never_empty() {
        let names = header_names(["a", "a", "", "a_2", "a", "b"]);
        assert_eq!(names, ["a", "a_2", "column_3", "a_2_2", "a_3", "b"]);
    }

    #[test]
    fn terminators_are_trimmed_from_snippets() {
        assert_eq!(trim_terminator(b"a,b\r\n"), b"a,b");
        assert_eq!(trim_terminator(b"a,b"), b"a,b");
    }
}
