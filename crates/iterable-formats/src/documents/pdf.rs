//! PDF (`.pdf`), read only: the text layer, a row a page (`location`, `page`,
//! `title`, `text`) or, with the `whole` option, a row a document (`location`,
//! `title`, `text`, the pages' text separated by blank lines). The title is the
//! document's own (its information dictionary's `/Title`), else null. A page
//! without text (a blank page, or a scan without a text layer) is no row.
//!
//! The file is read whole, at most `max_record_bytes` (64 MiB by default). A file
//! that is not a PDF, a page whose text cannot be extracted and an encrypted file
//! that needs a password are errors naming the file (and the page). Text is
//! extracted with pdf-extract; a panic inside it is an error naming the file, never
//! a short read.

use iterable_core::Format;

use super::text::WHOLE;
use super::{CONTAINER_DOCUMENT, whole_requested};
use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// PDF's format name.
pub const PDF_FORMAT: Format = Format::new("pdf");

/// The registry's description of PDF.
pub static PDF: FormatSpec = FormatSpec {
    capabilities: Capabilities {
        binary: true,
        ..CONTAINER_DOCUMENT
    },
    read_options: &[&WHOLE, &opt::MAX_RECORD_BYTES],
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        matches: |head| head.starts_with(b"%PDF-"),
    }),
    feature: "pdf",
    builders: BUILDERS,
    ..FormatSpec::new(
        PDF_FORMAT,
        "PDF documents: a row a page (or a document with whole) of the text layer (read only)",
        &["pdf"],
    )
};

#[cfg(feature = "pdf")]
const BUILDERS: Option<Builders> =
    super::document_builders(|r, ctx| Box::pin(imp::open_reader(r, ctx)));
#[cfg(not(feature = "pdf"))]
const BUILDERS: Option<Builders> = None;

#[cfg(feature = "pdf")]
pub use imp::open_reader;

/// Keeps the helper in use when the feature is off.
#[cfg(not(feature = "pdf"))]
const _: fn(&crate::ReadContext) -> bool = whole_requested;

#[cfg(feature = "pdf")]
mod imp {
    use std::sync::Arc;

    use iterable_core::{BoxIterable, Error, Header, Result, Row, Value};
    use pdf_extract::{Document, Object, PlainTextOutput, decode_text_string, output_doc_page};
    use tokio::io::AsyncBufRead;

    use super::super::document_row;
    use super::whole_requested;
    use crate::ReadContext;
    use crate::blocking::{bridge_reader, record_error};

    /// Opens a PDF reader over `reader`.
    pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
    where
        R: AsyncBufRead + Send + Unpin + 'static,
    {
        let max = ctx.options.limits.max_record_bytes as u64;
        let whole = whole_requested(&ctx);
        Ok(bridge_reader(reader, ctx, move |mut input| {
            let location = input.location().to_owned();
            let bytes = input.read_all(max).map_err(|e| Error::io(&location, e))?;
            let document = load(&location, &bytes)?;
            let title = title(&document);
            let pages = Pages {
                numbers: document
                    .get_pages()
                    .into_keys()
                    .collect::<Vec<_>>()
                    .into_iter(),
                document,
                location: location.clone(),
                header: Arc::new(Header::new(vec![
                    "location".into(),
                    "page".into(),
                    "title".into(),
                    "text".into(),
                ])),
                title: title.clone(),
            };
            if !whole {
                return Ok(Box::new(pages) as Box<dyn Iterator<Item = Result<Row>> + Send>);
            }
            let mut texts = Vec::new();
            for page in pages {
                let page = page?;
                if let Some(Value::String(text)) = page.get("text") {
                    texts.push(text.to_string());
                }
            }
            let row =
                (!texts.is_empty()).then(|| Ok(document_row(&location, title, texts.join("\n\n"))));
            Ok(Box::new(row.into_iter()))
        }))
    }

    /// The document in `bytes`, decrypted when its password is empty.
    fn load(location: &str, bytes: &[u8]) -> Result<Document> {
        let fail = |message: String| record_error(location, 0, 0, message, b"");
        let mut document =
            Document::load_mem(bytes).map_err(|e| fail(format!("not a readable PDF: {e}")))?;
        if document.is_encrypted() && document.decrypt("").is_err() {
            return Err(fail(
                "the PDF is encrypted and needs a password to read its text".to_owned(),
            ));
        }
        Ok(document)
    }

    /// The `/Title` of the document's information dictionary, if it is not blank.
    fn title(document: &Document) -> Option<String> {
        let info = document.trailer.get(b"Info").ok()?;
        let (_, info) = document.dereference(info).ok()?;
        let Object::Dictionary(info) = info else {
            return None;
        };
        let (_, title) = document.dereference(info.get(b"Title").ok()?).ok()?;
        let title = decode_text_string(title).ok()?;
        let title = title.trim();
        (!title.is_empty()).then(|| title.to_owned())
    }

    /// A row a page with text.
    struct Pages {
        document: Document,
        numbers: std::vec::IntoIter<u32>,
        location: String,
        header: Arc<Header>,
        title: Option<String>,
    }

    impl Iterator for Pages {
        type Item = Result<Row>;

        fn next(&mut self) -> Option<Result<Row>> {
            for number in self.numbers.by_ref() {
                let mut text = String::new();
                let extracted =
                    output_doc_page(&self.document, &mut PlainTextOutput::new(&mut text), number);
                if let Err(e) = extracted {
                    return Some(Err(record_error(
                        &self.location,
                        u64::from(number),
                        0,
                        format!("page {number}: its text cannot be extracted: {e}"),
                        b"",
                    )));
                }
                let text = tidy(&text);
                if text.is_empty() {
                    continue;
                }
                return Some(Ok(Row::from_parts(
                    self.header.clone(),
                    vec![
                        Value::from(self.location.as_str()),
                        Value::Int(i64::from(number)),
                        self.title.clone().map_or(Value::Null, Value::from),
                        Value::from(text),
                    ],
                )));
            }
            None
        }
    }

    /// The page's text without trailing spaces on its lines, runs of blank lines
    /// made one, and no blank lines at its ends.
    fn tidy(text: &str) -> String {
        let mut out = String::new();
        let mut blank = false;
        for line in text.lines().map(str::trim_end) {
            if line.is_empty() {
                blank = !out.is_empty();
                continue;
            }
            if blank {
                out.push('\n');
                blank = false;
            }
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
        out
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn tidy_keeps_one_blank_line_between_blocks() {
            assert_eq!(super::tidy("\n\n a  \n\n\n\nb\nc \n\n"), " a\n\nb\nc");
        }
    }
}
