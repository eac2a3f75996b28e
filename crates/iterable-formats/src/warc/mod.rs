//! WARC (ISO 28500, `.warc`; `.warc.gz` is read through the gzip codec, every member
//! of a file that has one a record): web archives, one row a record. Read and write.
//!
//! # Rows
//!
//! - `warc_version`: the record's version line (`WARC/1.0`, `WARC/1.1`);
//! - each WARC header as a column named as the file writes it (`WARC-Type`,
//!   `WARC-Target-URI`, `WARC-Date`, `Content-Length`, ...), its value as text;
//!   columns differ from record to record as their headers do;
//! - for a record whose `Content-Type` is `application/http` (requests and
//!   responses): `http_start_line` (`HTTP/1.1 200 OK`, `GET / HTTP/1.1`),
//!   `http_status` (the status code of a response, an integer) and `http_headers` (a
//!   map in the message's order; a repeated header, as `Set-Cookie`, is a list);
//! - `payload`: the bytes after the HTTP headers, or the record's whole block.
//!
//! A block that says it is HTTP but does not parse as an HTTP message is kept whole
//! in `payload`, without the `http_` columns.
//!
//! # Reading
//!
//! Streamed on the blocking bridge, one record held at a time. A record longer than
//! `max_record_bytes` (64 MiB by default), a missing or bad `Content-Length`, a line
//! that is not a header, and input that ends inside a record are errors naming the
//! record and its byte offset; they end the stream (the next record's start is not
//! known then).
//!
//! # Writing
//!
//! Each row a record: `warc_version` (default `WARC/1.0`), then every column but
//! the ones below as a header, in the row's order (null ones left out), then the
//! block: `http_start_line`, the `http_headers` and a blank line when the row has a
//! start line, then `payload` (bytes, or text as UTF-8). `Content-Length` is always
//! the block's length, written where the row has the column (last otherwise);
//! `http_status` is not written (the start line holds it). A row without
//! `WARC-Type` is a `resource` record; without `WARC-Record-ID` or `WARC-Date` it
//! gets a new `<urn:uuid:...>` and the current time. A value holding a line break
//! cannot be a header: an error naming the row. `.warc.gz` is written one gzip
//! member a record (as the standard's annex recommends, so that an index of offsets
//! can seek to a record), at `compression_level` (default 6).

#[cfg(feature = "warc")]
mod read;
#[cfg(feature = "warc")]
mod write;

use iterable_core::{Format, Row, Value};

#[cfg(feature = "warc")]
pub use read::open_reader;
#[cfg(feature = "warc")]
pub use write::open_writer;

use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// WARC's format name.
pub const WARC_FORMAT: Format = Format::new("warc");

/// The column of the version line.
pub const VERSION: &str = "warc_version";
/// The column of an HTTP message's start line.
pub const HTTP_START_LINE: &str = "http_start_line";
/// The column of an HTTP response's status code.
pub const HTTP_STATUS: &str = "http_status";
/// The column of an HTTP message's headers.
pub const HTTP_HEADERS: &str = "http_headers";
/// The column of the payload.
pub const PAYLOAD: &str = "payload";

/// The registry's description of WARC.
pub static WARC: FormatSpec = FormatSpec {
    aliases: &["web-archive"],
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        matches: |head| head.starts_with(b"WARC/1.") || head.starts_with(b"WARC/0."),
    }),
    capabilities: Capabilities {
        nested: true,
        nulls: false,
        ..Capabilities::TYPED
    },
    read_options: &[&crate::registry::options::MAX_RECORD_BYTES],
    write_options: &[],
    feature: "warc",
    builders: BUILDERS,
    sample_rows: Some(sample_rows),
    compresses_records: &[iterable_core::Codec::Gzip],
    ..FormatSpec::new(
        WARC_FORMAT,
        "WARC web archives: one row a record, HTTP headers parsed",
        &["warc"],
    )
};

#[cfg(feature = "warc")]
const BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(read::open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(write::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "warc"))]
const BUILDERS: Option<Builders> = None;

/// Three records as the reader gives them: a warcinfo, a request and a response.
fn sample_rows() -> Vec<Row> {
    let record = |n: u8, kind: &str| {
        let mut r = Row::new();
        r.insert(VERSION, "WARC/1.1");
        r.insert("WARC-Type", kind);
        r.insert(
            "WARC-Record-ID",
            format!("<urn:uuid:00000000-0000-4000-8000-00000000000{n}>"),
        );
        r.insert("WARC-Date", "2026-12-03T10:00:00Z");
        r
    };
    let mut info = record(1, "warcinfo");
    info.insert("Content-Type", "application/warc-fields");
    info.insert("Content-Length", "28");
    info.insert(
        PAYLOAD,
        Value::Bytes(b"software: iterable Z\xc3\xbcrich\r\n".to_vec()),
    );
    let mut request = record(2, "request");
    request.insert("WARC-Target-URI", "http://example.org/a?b=c");
    request.insert("Content-Type", "application/http; msgtype=request");
    request.insert("Content-Length", "42");
    request.insert(HTTP_START_LINE, "GET /a?b=c HTTP/1.1");
    let mut headers = Row::new();
    headers.insert("Host", "example.org");
    request.insert(HTTP_HEADERS, Value::Map(headers));
    request.insert(PAYLOAD, Value::Bytes(Vec::new()));
    let mut response = record(3, "response");
    response.insert("WARC-Target-URI", "http://example.org/a?b=c");
    response.insert("Content-Type", "application/http; msgtype=response");
    response.insert("Content-Length", "94");
    response.insert(HTTP_START_LINE, "HTTP/1.1 200 OK");
    response.insert(HTTP_STATUS, 200);
    let mut headers = Row::new();
    headers.insert("Content-Type", "text/html");
    headers.insert("Set-Cookie", vec![Value::from("a=1"), Value::from("b=2")]);
    response.insert(HTTP_HEADERS, Value::Map(headers));
    response.insert(PAYLOAD, Value::Bytes(b"<p>\x00\xff binary</p>".to_vec()));
    vec![info, request, response]
}
