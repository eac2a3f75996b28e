//! Documents as rows, read only, for extraction and enrichment: plain text (`.txt`, a
//! row a line or the whole file), Markdown (`.md`), HTML (`.html`) and DOCX (`.docx`),
//! a row a document with its `location`, `title` and `text`; PDF (`.pdf`), a row a
//! page (or a document with `whole`); e-mail (`.eml`, a row; `.mbox`, a row a
//! message) with its headers, text and attachment names. With many files
//! (`iterable enrich 'reports/*.pdf' ...`), the `location` column says which file a
//! row came from.
//!
//! A document is read whole (at most `max_record_bytes`, 64 MiB by default; text as
//! UTF-8 or the `encoding` option, `whole_text.rs`); a text file a row a line and a
//! mailbox are streamed. DOCX, PDF and e-mail are never transcoded or sniffed for a
//! codec: their bytes say their own encodings.

pub mod docx;
#[cfg(feature = "docx")]
mod docx_text;
pub mod html;
mod html_text;
pub mod mail;
pub mod markdown;
pub mod pdf;
pub mod text;

use std::sync::Arc;

use iterable_core::{BoxIterable, Header, Result, Row, Value};
use tokio::io::AsyncBufRead;

use crate::ReadContext;
use crate::registry::options::{self as opt, OptionSpec};
use crate::registry::{Builders, Capabilities, FormatSpec, OpenReader};
use crate::whole_text::read_whole_text;

/// Read only, text values, one document (or streamed lines) without an end mark.
pub(crate) const DOCUMENT: Capabilities = Capabilities {
    write: false,
    record_boundaries: false,
    marks_end: false,
    nulls: true,
    ..Capabilities::TEXT
};

/// A document that is bytes, not text (DOCX, PDF), or text whose parts say their own
/// charsets (e-mail): never transcoded, never sniffed for a codec (a DOCX starts like
/// a zip archive and is not one to unpack).
pub(crate) const CONTAINER_DOCUMENT: Capabilities = Capabilities {
    container: true,
    ..DOCUMENT
};

/// What a document read whole takes.
const DOCUMENT_OPTIONS: &[&OptionSpec] = &[&opt::MAX_RECORD_BYTES, &opt::ENCODING];

/// The registry's description of a document format read whole by `builders` (none
/// when the feature that reads it is off).
pub(crate) const fn document_spec(
    format: iterable_core::Format,
    help: &'static str,
    extensions: &'static [&'static str],
    builders: Option<Builders>,
) -> FormatSpec {
    FormatSpec {
        capabilities: DOCUMENT,
        read_options: DOCUMENT_OPTIONS,
        builders,
        ..FormatSpec::new(format, help, extensions)
    }
}

/// The builders of a read-only format.
#[allow(dead_code)] // only some feature sets use it
pub(crate) const fn document_builders(reader: OpenReader) -> Option<Builders> {
    Some(Builders {
        reader: Some(reader),
        ..Builders::NONE
    })
}

/// Whether the `whole` option asks for a row a file.
pub(crate) fn whole_requested(ctx: &ReadContext) -> bool {
    ctx.options
        .format_options
        .get(text::WHOLE.key)
        .is_some_and(|v| v != "false")
}

/// The row of one document: `location`, `title` (null when it has none), `text`.
pub(crate) fn document_row(location: &str, title: Option<String>, text: String) -> Row {
    let header = Arc::new(Header::new(vec![
        "location".into(),
        "title".into(),
        "text".into(),
    ]));
    Row::from_parts(
        header,
        vec![
            Value::from(location),
            title.map_or(Value::Null, Value::from),
            Value::from(text),
        ],
    )
}

/// Reads a document whole and makes its row from the `title` and `text` that `parse`
/// finds; an empty (or all white space) document is no row.
pub(crate) async fn read_document<R>(
    reader: R,
    ctx: ReadContext,
    parse: fn(&str) -> (Option<String>, String),
) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let document = read_whole_text(reader, &ctx).await?;
    if document.trim().is_empty() {
        return Ok(crate::in_memory::rows_iterable(ctx, []));
    }
    let (title, text) = parse(&document);
    let row = document_row(&ctx.info.location, title, text);
    Ok(crate::in_memory::rows_iterable(ctx, [Ok(row)]))
}
