//! DOCX (Word documents, `.docx`), read only: a row a document, `location`, `title`
//! and `text`. The text is the body's paragraphs, a line each, and its tables, a line
//! a row with the cells separated by tabs (`docx_text.rs`). The title is the
//! document's own (`docProps/core.xml`), else its first paragraph styled as a title,
//! else its first first-level heading, else null.
//!
//! The file is read whole, at most `max_record_bytes` (64 MiB by default), and each
//! part it unpacks at most `max_unpacked_bytes`. A file that is not a zip archive,
//! lacks `word/document.xml` or holds malformed XML is an error naming the file, the
//! part and the byte.

use iterable_core::Format;

use super::{CONTAINER_DOCUMENT, document_spec};
use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec};

/// DOCX's format name.
pub const DOCX_FORMAT: Format = Format::new("docx");

/// The registry's description of DOCX.
pub static DOCX: FormatSpec = FormatSpec {
    capabilities: Capabilities {
        binary: true,
        ..CONTAINER_DOCUMENT
    },
    read_options: &[&opt::MAX_RECORD_BYTES, &opt::MAX_UNPACKED_BYTES],
    feature: "docx",
    builders: BUILDERS,
    ..document_spec(
        DOCX_FORMAT,
        "Word documents: a row a document with its title and paragraph text (read only)",
        &["docx"],
        None,
    )
};

#[cfg(feature = "docx")]
const BUILDERS: Option<Builders> =
    super::document_builders(|r, ctx| Box::pin(imp::open_reader(r, ctx)));
#[cfg(not(feature = "docx"))]
const BUILDERS: Option<Builders> = None;

#[cfg(feature = "docx")]
pub use imp::open_reader;

#[cfg(feature = "docx")]
mod imp {
    use std::io::{Cursor, Read};

    use iterable_core::{BoxIterable, Error, Result};
    use quick_xml::NsReader;
    use quick_xml::events::Event;
    use quick_xml::name::{Namespace, ResolveResult};
    use tokio::io::AsyncBufRead;

    use super::super::document_row;
    use super::super::docx_text::{body_text, reference_text, style_names};
    use crate::ReadContext;
    use crate::blocking::{bridge_reader, record_error};

    /// Dublin Core's namespace (`dc:title` in `docProps/core.xml`).
    const DC: &[u8] = b"http://purl.org/dc/elements/1.1/";

    /// Opens a DOCX reader over `reader`.
    pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
    where
        R: AsyncBufRead + Send + Unpin + 'static,
    {
        let max_file = ctx.options.limits.max_record_bytes as u64;
        let max_part = ctx.options.limits.max_unpacked_bytes;
        Ok(bridge_reader(reader, ctx, move |mut input| {
            let location = input.location().to_owned();
            let bytes = input
                .read_all(max_file)
                .map_err(|e| Error::io(&location, e))?;
            let row = read(&location, bytes, max_part)?;
            Ok(row.into_iter().map(Ok))
        }))
    }

    /// The row of the document in `bytes`; none when it has no text.
    fn read(location: &str, bytes: Vec<u8>, max_part: u64) -> Result<Option<iterable_core::Row>> {
        let fail = |message: String| record_error(location, 1, 0, message, b"");
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| fail(format!("not a DOCX file (not a zip archive): {e}")))?;
        let mut part = |name: &str| -> Result<Option<Vec<u8>>> {
            let file = match archive.by_name(name) {
                Ok(file) => file,
                Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                Err(e) => return Err(fail(format!("{name}: {e}"))),
            };
            let mut out = Vec::new();
            file.take(max_part + 1)
                .read_to_end(&mut out)
                .map_err(|e| fail(format!("{name}: {e}")))?;
            if out.len() as u64 > max_part {
                return Err(fail(format!(
                    "{name} unpacks to more than {max_part} bytes (max_unpacked_bytes)"
                )));
            }
            Ok(Some(out))
        };
        let Some(document) = part("word/document.xml")? else {
            return Err(fail(
                "not a DOCX file: the archive has no word/document.xml".to_owned(),
            ));
        };
        let in_part = |name: &str, (at, message): (u64, String)| {
            record_error(location, 1, at, format!("{name}: {message}"), b"")
        };
        let styles = match part("word/styles.xml")? {
            Some(xml) => style_names(&xml).map_err(|e| in_part("word/styles.xml", e))?,
            None => Default::default(),
        };
        let own_title = match part("docProps/core.xml")? {
            Some(xml) => core_title(&xml).map_err(|e| in_part("docProps/core.xml", e))?,
            None => None,
        };
        let body = body_text(&document, &styles).map_err(|e| in_part("word/document.xml", e))?;
        if body.text.is_empty() {
            return Ok(None);
        }
        let title = own_title.or(body.title).or(body.heading);
        Ok(Some(document_row(location, title, body.text)))
    }

    /// The `dc:title` of the document's core properties, if it is not blank.
    fn core_title(xml: &[u8]) -> std::result::Result<Option<String>, (u64, String)> {
        let mut reader = NsReader::from_reader(xml);
        let mut buf = Vec::new();
        let mut in_title = false;
        let mut title = String::new();
        loop {
            let at = reader.buffer_position();
            let (ns, event) = reader
                .read_resolved_event_into(&mut buf)
                .map_err(|e| (at, format!("malformed XML: {e}")))?;
            let dc_title = |name: &[u8]| {
                name == b"title" && matches!(ns, ResolveResult::Bound(Namespace(n)) if n == DC)
            };
            match event {
                Event::Start(e) if dc_title(e.local_name().as_ref()) => in_title = true,
                Event::End(e) if dc_title(e.local_name().as_ref()) => break,
                Event::Text(t) if in_title => title.push_str(
                    &t.xml_content()
                        .map_err(|e| (at, format!("bad text: {e}")))?,
                ),
                Event::GeneralRef(r) if in_title => {
                    title.push_str(&reference_text(&r).unwrap_or_default());
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        let title = title.trim();
        Ok((!title.is_empty()).then(|| title.to_owned()))
    }
}
