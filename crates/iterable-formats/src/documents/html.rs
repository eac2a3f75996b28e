//! HTML (`.html`, `.htm`), read only: a row a page, `location`, `title` (the
//! `<title>`, null without one) and `text`, the visible text as a reader sees it
//! (`html_text.rs`).

use iterable_core::{BoxIterable, Format, Result};
use tokio::io::AsyncBufRead;

use super::html_text::html_text;
use super::{document_builders, document_spec, read_document};
use crate::ReadContext;
use crate::registry::FormatSpec;

/// HTML's format name.
pub const HTML_FORMAT: Format = Format::new("html");

/// The registry's description of HTML.
pub static HTML: FormatSpec = document_spec(
    HTML_FORMAT,
    "HTML pages: a row a page with its title and visible text (read only)",
    &["html", "htm"],
    document_builders(|r, ctx| Box::pin(open_reader(r, ctx))),
);

/// Opens an HTML reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    read_document(reader, ctx, html_text).await
}
