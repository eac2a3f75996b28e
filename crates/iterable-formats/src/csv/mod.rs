//! Delimited text: CSV, TSV and PSV, read and written natively over async bytes.
//!
//! # Reading
//!
//! The reader is [`csv_core`] (a parser without I/O) driven straight from
//! `poll_fill_buf`, with a fast path for the common record (whole in the buffer, no CR
//! outside quotes but before its LF, quoted fields quoted whole with no escape inside;
//! doubled quotes and line ends inside quotes are fine): one SIMD pass over the record,
//! 64 bytes at a time, finds its delimiters, quotes and end and whether it is all ASCII
//! (else it is checked as UTF-8 once), and each field is made straight from the line
//! (a copy only for a field with doubled quotes), exactly as csv-core would give it. Records are parsed out of the source's own buffer and
//! copied only when one spans two reads. Each field becomes one `Value::String` (text up
//! to 24 bytes inline, see [`Text`](iterable_core::Text)); every row shares one
//! `Arc<Header>`.
//!
//! - **Delimiter**: the `delimiter` option, else the format's (`,` CSV, tab TSV,
//!   `|` PSV). The facade sniffs a `.csv` file's delimiter and sets the option.
//!   `quote`, `escape` (instead of doubled quotes) and `comment` come from
//!   [`CsvOptions`](iterable_core::CsvOptions).
//! - **Header**: the first record names the columns (`has_header`, the default);
//!   without one the columns are `column_1`, `column_2`, ... A repeated name gets a
//!   suffix (`a`, `a_2`, `a_3`), an empty name becomes `column_N` (its position).
//! - **BOM**: a UTF-8 byte order mark at the start is dropped, even when it arrives
//!   one byte at a time. It still counts in byte offsets.
//! - **Text**: input must be UTF-8 (the facade transcodes other encodings first). A
//!   field that is not UTF-8 is a parse error that says to set the `encoding` option.
//! - **Fields** are kept exactly: delimiters, doubled quotes, LF and CRLF inside quotes
//!   survive byte for byte. Records end with LF, CRLF or CR. Blank lines (and a lone
//!   empty field in a file of several columns) are skipped; so are comment lines.
//! - **Short rows** (fewer fields than the header) are padded with `Value::Null`.
//! - **Long rows** (more fields than the header) are parse errors, `record has N
//!   fields, header has M`, handed to the error policy: `Fail` yields the error and
//!   ends the stream; `Skip` and `DeadLetter` count the record (and write it to the
//!   dead-letter sink) and go on.
//! - **Unterminated quote** at the end of the input: a parse error.
//! - **Types**: every field is a `Value::String` (an empty field is `""`), unless
//!   `infer_types` is set: then `""` is null, and integers, floats and `true`/`false`
//!   become typed values (see [`infer_value`]).
//! - **Positions** in errors: `line` is the physical line (1-based, counting LFs,
//!   including those inside quoted fields) where the record starts, `record` the
//!   1-based number of the data record (the header is not counted; an error in the
//!   header says record 0), `byte` the offset of the record's first byte in the
//!   decoded stream. The snippet is the record's raw text.
//! - An I/O error from the source is yielded once, then the stream ends.
//! - **Threads**: after the header, the input is parsed in blocks on other threads
//!   (see [`Parallelism`](iterable_core::Parallelism) and the crate's `blocks`
//!   module); rows, errors and positions are exactly those of one thread.
//!
//! # Writing
//!
//! The header is the union of the keys of the first `header_scan_rows` rows (default
//! 1), in first-seen order; those rows are held back until it is known. A later row
//! with a key the header lacks is an [`Error::Write`](iterable_core::Error::Write)
//! under `ExtraKeys::Error` (the default), after which the writer takes no more rows
//! and `aclose` publishes nothing (no complete-looking file with a row missing); under
//! `ExtraKeys::Ignore` the value is dropped on purpose. A missing key writes an empty
//! field. Values are written with
//! [`Value::write_text`](iterable_core::Value::write_text); a field is quoted when it
//! holds the delimiter, the quote, CR or LF, or starts or ends with a space (and an
//! empty field of a one-column file, which would otherwise read back as a blank
//! line). Output is buffered (64 KiB); `aclose` flushes and shuts the sink down,
//! which is what publishes an atomically written file. A writer that got no row
//! writes nothing.

mod blocks;
mod column_type;
mod infer;
mod parser;
#[cfg(feature = "arrow")]
mod plain_fields;
#[allow(unsafe_code)] // SIMD byte classes, and lines known to be ASCII taken as text
mod plain_record;
mod reader;
mod temporal;
mod text_types;
mod writer;

use iterable_core::detect::sniff_delimiter;
use iterable_core::{BoxIterable, Format, Options, Result};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::registry::options as opt;
use crate::registry::{
    Builders, Capabilities, FormatSpec, OptionSpec, ReadPrepare, SniffStrength, Sniffer,
};
use crate::{ReadContext, WriteContext};

#[cfg(feature = "arrow")]
pub(crate) use column_type::MAX_DECIMAL_DIGITS;
pub use column_type::{ColumnType, DecidedBy, Typed, misfit};
pub use infer::infer_value;
#[cfg(feature = "arrow")]
pub(crate) use plain_fields::{exact_decimal, plain_datetime_micros, plain_float, plain_int};
pub use reader::CsvReader;
pub use temporal::{Temporal, infer_temporal, instant_of, parse_temporal};
pub use text_types::{StringTyping, TextTypes};
pub use writer::{CsvEncoder, CsvWriter, csv_writer};

/// Opens a CSV/TSV/PSV reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    Ok(Box::new(CsvReader::new(reader, ctx)))
}

/// Opens a CSV/TSV/PSV writer over `writer`; `aclose` flushes and shuts it down.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    Ok(Box::new(csv_writer(writer, ctx)))
}

/// The delimiter in use: the option, else the format's own, else a comma.
fn delimiter_of(options: &Options, format: Format) -> u8 {
    options
        .csv
        .delimiter
        .or(default_delimiter(format))
        .unwrap_or(b',')
}

/// The delimiter a format's name implies.
fn default_delimiter(format: Format) -> Option<u8> {
    match format {
        Format::TSV => Some(b'\t'),
        Format::PSV => Some(b'|'),
        SSV_FORMAT => Some(b';'),
        Format::CSV => Some(b','),
        _ => None,
    }
}

/// How many decoded bytes the delimiter sniff looks at.
const DELIMITER_SNIFF_BYTES: usize = 64 * 1024;

const READ_OPTIONS: &[&OptionSpec] = &[
    &opt::DELIMITER,
    &opt::QUOTE,
    &opt::ESCAPE,
    &opt::COMMENT,
    &opt::ENCODING,
    &opt::CSV_NO_HEADER,
    &opt::INFER_TYPES,
    &opt::MAX_RECORD_BYTES,
];
const WRITE_OPTIONS: &[&OptionSpec] = &[
    &opt::DELIMITER,
    &opt::QUOTE,
    &opt::HEADER_SCAN_ROWS,
    &opt::EXTRA_KEYS,
    &opt::CRLF,
];

const BUILDERS: Builders = Builders {
    reader: Some(|r, ctx| Box::pin(open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(open_writer(w, ctx))),
    ..Builders::NONE
};

/// Comma-separated values (`.csv`): the delimiter is sniffed from the first 64 KiB
/// when not given, and any plain text that no other format claims is read as CSV.
pub static CSV: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Fallback,
        matches: |head| {
            crate::registry::text_start(head).is_some_and(crate::registry::looks_like_text)
        },
    }),
    capabilities: Capabilities::TEXT,
    read_options: READ_OPTIONS,
    write_options: WRITE_OPTIONS,
    read_prepare: Some(ReadPrepare {
        peek_bytes: DELIMITER_SNIFF_BYTES,
        apply: |options, head, at_eof| {
            if options.csv.delimiter.is_none() {
                options.csv.delimiter =
                    sniff_delimiter(head, options.csv.quote, at_eof).or(Some(b','));
            }
        },
    }),
    builders: Some(BUILDERS),
    ..FormatSpec::new(
        Format::CSV,
        "comma-separated values (delimiter sniffed)",
        &["csv"],
    )
};

/// Tab-separated values (`.tsv`, `.tab`).
pub static TSV: FormatSpec = FormatSpec {
    capabilities: Capabilities::TEXT,
    read_options: READ_OPTIONS,
    write_options: WRITE_OPTIONS,
    builders: Some(BUILDERS),
    ..FormatSpec::new(Format::TSV, "tab-separated values", &["tsv", "tab"])
};

/// Semicolon-separated values' format name (`.ssv`).
pub const SSV_FORMAT: Format = Format::new("ssv");

/// Semicolon-separated values (`.ssv`): CSV with `;`, as spreadsheets write it where
/// the comma is the decimal separator.
pub static SSV: FormatSpec = FormatSpec {
    capabilities: Capabilities::TEXT,
    read_options: READ_OPTIONS,
    write_options: WRITE_OPTIONS,
    builders: Some(BUILDERS),
    ..FormatSpec::new(SSV_FORMAT, "semicolon-separated values", &["ssv"])
};

/// Pipe-separated values (`.psv`).
pub static PSV: FormatSpec = FormatSpec {
    capabilities: Capabilities::TEXT,
    read_options: READ_OPTIONS,
    write_options: WRITE_OPTIONS,
    builders: Some(BUILDERS),
    ..FormatSpec::new(Format::PSV, "pipe-separated values", &["psv"])
};
