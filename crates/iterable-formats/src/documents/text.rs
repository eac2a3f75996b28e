//! Plain text (`.txt`, `.text`), read only. By default a row a non-blank line,
//! streamed: columns `location` and `text` (the line without its line end). With the
//! `whole` option the file is one row: `location`, `title` (null) and `text` (all of
//! it), for extraction from whole documents.

use std::sync::Arc;

use iterable_core::{BoxIterable, Format, Header, Result, Row, Value};
use tokio::io::AsyncBufRead;

use super::{DOCUMENT, document_row};
use crate::ReadContext;
use crate::line_records::{LineParser, LineRecords};
use crate::registry::options::{self as opt, OptionSpec, OptionTarget};
use crate::registry::{Builders, FormatSpec};
use crate::whole_text::read_whole_text;

/// Plain text's format name.
pub const TEXT_FORMAT: Format = Format::new("txt");

/// `whole`: the file is one row.
pub static WHOLE: OptionSpec = OptionSpec {
    key: "whole",
    value_name: None,
    help: "the whole file as one row (location, title, text) instead of a row a line (txt) or a page (pdf)",
    target: OptionTarget::FormatOptions,
};

/// The registry's description of plain text.
pub static TEXT: FormatSpec = FormatSpec {
    capabilities: DOCUMENT,
    read_options: &[&WHOLE, &opt::MAX_RECORD_BYTES, &opt::ENCODING],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_reader(r, ctx))),
        ..Builders::NONE
    }),
    ..FormatSpec::new(
        TEXT_FORMAT,
        "plain text: a row a line, or the whole file with whole (read only)",
        &["txt", "text"],
    )
};

/// Opens a plain text reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    if super::whole_requested(&ctx) {
        let text = read_whole_text(reader, &ctx).await?;
        let row = document_row(&ctx.info.location, None, text);
        return Ok(crate::in_memory::rows_iterable(ctx, [Ok(row)]));
    }
    let parser = Lines {
        header: Arc::new(Header::new(vec!["location".into(), "text".into()])),
        location: Value::from(ctx.info.location.as_str()),
    };
    Ok(Box::new(LineRecords::new(reader, parser, ctx)))
}

struct Lines {
    header: Arc<Header>,
    location: Value,
}

impl LineParser for Lines {
    fn parse(&mut self, line: &str) -> std::result::Result<Row, String> {
        Ok(Row::from_parts(
            self.header.clone(),
            vec![self.location.clone(), Value::from(line)],
        ))
    }
}
