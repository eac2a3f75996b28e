//! JSON-LD (`.jsonld`): linked data as JSON; one row a node object.
//!
//! # Reading
//!
//! Natively async, on the JSON readers, streamed. The layout is found from the first
//! 4 KiB of the document:
//!
//! - one object a line (as JSON Lines): each line a node;
//! - a top-level array: each element a node;
//! - an object with `@graph` among its first 4 KiB: the nodes of `@graph` (the
//!   document's `@context` and other keys are not rows);
//! - any other object: one node, one row.
//!
//! Nodes are rows as JSON objects are (`@id`, `@type` and `@context` are columns
//! like any key); nothing is expanded or compacted: a JSON-LD processor's work is
//! not done here.
//!
//! # Writing
//!
//! A top-level array of node objects, as JSON writes it.

use iterable_core::{BoxIterable, Format, Result};
use tokio::io::{AsyncBufRead, AsyncReadExt, AsyncWrite};

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};
use crate::{ReadContext, WriteContext};

/// JSON-LD's format name.
pub const JSONLD_FORMAT: Format = Format::new("jsonld");

/// How much of the document is looked at to find its layout.
const LAYOUT_PEEK: usize = 4096;

/// The registry's description of JSON-LD.
pub static JSONLD: FormatSpec = FormatSpec {
    aliases: &["json-ld"],
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: |head| {
            crate::registry::text_start(head).is_some_and(|t| {
                matches!(t[0], b'{' | b'[') && memchr::memmem::find(t, b"\"@context\"").is_some()
            })
        },
    }),
    capabilities: Capabilities {
        record_boundaries: true,
        ..Capabilities::TYPED
    },
    read_options: &[&opt::MAX_RECORD_BYTES, &opt::DUPLICATE_KEYS],
    write_options: &[&opt::PRETTY],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_reader(r, ctx))),
        writer: Some(|w, ctx| Box::pin(open_writer(w, ctx))),
        ..Builders::NONE
    }),
    ..FormatSpec::new(
        JSONLD_FORMAT,
        "JSON-LD: the node objects of lines, an array or @graph",
        &["jsonld"],
    )
};

/// The layouts a JSON-LD document may have.
#[derive(Debug, PartialEq, Eq)]
enum Layout {
    Lines,
    Array,
    Graph,
    Node,
}

fn layout(head: &[u8]) -> Layout {
    match crate::registry::text_start(head) {
        Some(t) if t[0] == b'[' => Layout::Array,
        Some(t) if t[0] == b'{' && crate::jsonl::starts_jsonl(t) => Layout::Lines,
        Some(t) if memchr::memmem::find(t, b"\"@graph\"").is_some() => Layout::Graph,
        _ => Layout::Node,
    }
}

/// Opens a JSON-LD reader over `reader`.
pub async fn open_reader<R>(mut reader: R, mut ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let mut head = Vec::with_capacity(LAYOUT_PEEK);
    (&mut reader)
        .take(LAYOUT_PEEK as u64)
        .read_to_end(&mut head)
        .await
        .map_err(|e| iterable_core::Error::io(&ctx.info.location, e))?;
    let layout = layout(&head);
    let reader = std::io::Cursor::new(head).chain(reader);
    match layout {
        Layout::Lines => crate::jsonl::open_reader(reader, ctx).await,
        Layout::Array | Layout::Node => {
            ctx.options.json.tagname = None;
            crate::json::open_reader(reader, ctx).await
        }
        Layout::Graph => {
            ctx.options.json.tagname = Some("@graph".to_owned());
            crate::json::open_reader(reader, ctx).await
        }
    }
}

/// Opens a JSON-LD writer over `writer`: a top-level array.
pub async fn open_writer<W>(writer: W, mut ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    ctx.options.json.tagname = None;
    crate::json::open_writer(writer, ctx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_comes_from_the_first_bytes() {
        assert_eq!(layout(b"\n [ {\"@id\": 1}"), Layout::Array);
        assert_eq!(layout(b"{\"@id\": 1}\n{\"@id\": 2}\n"), Layout::Lines);
        assert_eq!(
            layout(b"{\n \"@context\": {},\n \"@graph\": [\n"),
            Layout::Graph
        );
        assert_eq!(
            layout(b"{\n \"@id\": \"x\",\n \"name\": \"n\"\n}"),
            Layout::Node
        );
    }
}
