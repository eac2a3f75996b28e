//! JSON (`.json`): a document whose rows are the elements of an array, streamed: the
//! document is never held in memory whole, only one element at a time.
//!
//! # Reading
//!
//! A byte-level scanner (a small state machine: depth, in-string, escape) finds the
//! boundaries of each element of the row array across buffer boundaries. An element
//! that lies wholly in the reader's buffer is parsed in place; one that spans reads is
//! copied. Each element is parsed into a [`Row`](iterable_core::Row) with
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
//!   [`Position`](iterable_core::Position): the line where the element starts, `record` = the element's 1-based
//!   number in the array, `byte` = the offset of its first byte in the decoded stream.
//! - A malformed document (a missing `,`, a trailing comma, data after the end) or a
//!   truncated one (end of input inside the array or the object) is a parse error with
//!   the line and byte offset where it was found; it always ends the stream, whatever
//!   the policy: a short read is never silent. An empty document is an error too.
//! - An element longer than [`Limits::max_record_bytes`](iterable_core::Limits)
//!   bytes (64 MiB by default) is an error that ends the stream, so one bad file
//!   cannot take all memory.
//! - An I/O error is yielded as [`Error::Io`](iterable_core::Error::Io) and ends the stream.
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

mod reader;
mod scanner;

use iterable_core::{BoxIterable, Result};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::json_rows::{RecordReader, RecordSource};
use crate::json_writer::{Framing, JsonEncoder};
use crate::record_writer::RecordWriter;
use crate::{ReadContext, WriteContext};
#[cfg(feature = "arrow")]
pub(crate) use reader::ElementReader;
use reader::JsonReader;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer, Values};

/// JSON (`.json`): the rows of an array, top-level or under `tagname`.
pub static JSON: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: looks_like_json,
    }),
    capabilities: Capabilities {
        values: Values::Typed,
        record_boundaries: true,
        marks_end: true,
        ..Capabilities::TYPED
    },
    read_options: &[
        &opt::JSON_TAGNAME,
        &opt::MAX_RECORD_BYTES,
        &opt::DUPLICATE_KEYS,
    ],
    write_options: &[&opt::PRETTY],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_reader(r, ctx))),
        writer: Some(|w, ctx| Box::pin(open_writer(w, ctx))),
        ..Builders::NONE
    }),
    ..FormatSpec::new(
        iterable_core::Format::JSON,
        "a JSON array of objects (or the array under --tagname)",
        &["json"],
    )
};

/// `[` then an object, the end of the array, or the end of the sample; or one object
/// over several lines (see [`jsonl::starts_jsonl`](crate::jsonl::starts_jsonl)).
fn looks_like_json(head: &[u8]) -> bool {
    let Some(text) = crate::registry::text_start(head) else {
        return false;
    };
    match text[0] {
        b'[' => crate::registry::text_start(&text[1..])
            .is_none_or(|rest| matches!(rest[0], b'{' | b']')),
        b'{' => !crate::jsonl::starts_jsonl(text),
        _ => false,
    }
}

/// Opens a JSON reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    Ok(Box::new(record_reader(reader, ctx)))
}

/// The JSON reader itself, for formats built on it (GeoJSON).
pub(crate) fn record_reader<R>(reader: R, ctx: ReadContext) -> RecordReader<impl RecordSource>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let source = JsonReader::new(reader, &ctx);
    RecordReader::new(source, ctx)
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
    Ok(Box::new(RecordWriter::new(
        writer,
        JsonEncoder::new(framing),
        ctx,
    )))
}
