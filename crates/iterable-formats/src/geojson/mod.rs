//! GeoJSON (RFC 7946): a FeatureCollection (`.geojson`), or one Feature a line
//! (`.geojsonl`, newline-delimited GeoJSON) or a record (`.geojsons`, GeoJSON text
//! sequences, RFC 8142: each Feature after the record separator 0x1E).
//!
//! # Reading
//!
//! Natively async, on the JSON readers: a FeatureCollection is streamed feature by
//! feature from its `features` array (the document is never held whole, as with
//! `--tagname features` for JSON), lines and sequences as JSON Lines. One row a
//! Feature: its `properties` as columns in their order, then `id` when the Feature
//! has one and its properties do not, then `geometry`, the geometry as a GeoJSON
//! object (a map: `type`, `coordinates`, ...) or null. Other members (`bbox`, foreign
//! members, the collection's own) are not kept. A feature whose `type` is not
//! `Feature`, whose `properties` is not an object or null, whose `geometry` is not an
//! object or null, or with a property named `geometry` is a bad record (the error
//! policy applies; the error names the record and its byte offset). A document whose
//! top level has no `features` array is an error; so is input cut short.
//!
//! # Writing
//!
//! Each row is a Feature: the `geometry` column (a map, JSON text holding a GeoJSON
//! object, or null; a missing column is null) as its geometry, every other column
//! under `properties`. A geometry of another kind is an error naming the row. The
//! collection is written as `{"type":"FeatureCollection","features":[` with one
//! feature a line, closed on `aclose`; zero rows are an empty collection.

mod feature;

pub use feature::GEOMETRY;

use iterable_core::{BoxIterable, Format, Result, Row};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::record_writer::{RecordEncoder, RecordWriter};
use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};
use crate::{ReadContext, WriteContext};
use feature::{FeatureRows, write_feature};

/// GeoJSON's format name (a FeatureCollection).
pub const GEOJSON_FORMAT: Format = Format::new("geojson");
/// Newline-delimited GeoJSON's format name.
pub const GEOJSONL_FORMAT: Format = Format::new("geojsonl");
/// GeoJSON text sequences' format name.
pub const GEOJSONSEQ_FORMAT: Format = Format::new("geojsonseq");

const CAPABILITIES: Capabilities = Capabilities {
    record_boundaries: true,
    geometry: true,
    ..Capabilities::TYPED
};

/// The registry's description of a GeoJSON FeatureCollection.
pub static GEOJSON: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: |head| {
            crate::registry::text_start(head).is_some_and(|t| {
                t.starts_with(b"{") && memchr::memmem::find(t, b"\"FeatureCollection\"").is_some()
            })
        },
    }),
    capabilities: Capabilities {
        marks_end: true,
        ..CAPABILITIES
    },
    read_options: &[&opt::MAX_RECORD_BYTES, &opt::DUPLICATE_KEYS],
    write_options: &[],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_reader(r, ctx))),
        writer: Some(|w, ctx| Box::pin(open_writer(w, ctx, Layout::Collection))),
        ..Builders::NONE
    }),
    ..FormatSpec::new(
        GEOJSON_FORMAT,
        "GeoJSON FeatureCollection: one row a feature, its geometry in `geometry`",
        &["geojson"],
    )
};

/// The registry's description of newline-delimited GeoJSON.
pub static GEOJSONL: FormatSpec = FormatSpec {
    aliases: &["ndgeojson"],
    capabilities: CAPABILITIES,
    read_options: &[&opt::MAX_RECORD_BYTES, &opt::DUPLICATE_KEYS],
    write_options: &[],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_lines_reader(r, ctx))),
        writer: Some(|w, ctx| Box::pin(open_writer(w, ctx, Layout::Lines))),
        ..Builders::NONE
    }),
    ..FormatSpec::new(
        GEOJSONL_FORMAT,
        "newline-delimited GeoJSON: one feature a line",
        &["geojsonl", "ndgeojson"],
    )
};

/// The registry's description of GeoJSON text sequences (RFC 8142).
pub static GEOJSONSEQ: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: |head| head.starts_with(b"\x1e{"),
    }),
    capabilities: CAPABILITIES,
    read_options: &[&opt::MAX_RECORD_BYTES, &opt::DUPLICATE_KEYS],
    write_options: &[],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_lines_reader(r, ctx))),
        writer: Some(|w, ctx| Box::pin(open_writer(w, ctx, Layout::Sequence))),
        ..Builders::NONE
    }),
    ..FormatSpec::new(
        GEOJSONSEQ_FORMAT,
        "GeoJSON text sequences (RFC 8142): one feature a record",
        &["geojsons", "geojsonseq"],
    )
};

/// Opens a reader of a FeatureCollection.
pub async fn open_reader<R>(reader: R, mut ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    ctx.options.json.tagname = Some("features".to_owned());
    let mut features = FeatureRows::default();
    Ok(Box::new(
        crate::json::record_reader(reader, ctx).reshaping(Box::new(move |f| features.row(f))),
    ))
}

/// Opens a reader of features one a line or a record.
pub async fn open_lines_reader<R>(reader: R, mut ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    // The features are turned into rows as they are parsed, on this task.
    ctx.options.parallel.threads = 1;
    let mut features = FeatureRows::default();
    Ok(Box::new(
        crate::jsonl::record_reader(reader, ctx)
            .reshaping(Box::new(move |f| features.row(f)))
            .record_separators(),
    ))
}

/// How the features are laid out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Collection,
    Lines,
    Sequence,
}

/// Opens a GeoJSON writer over `writer`.
async fn open_writer<W>(writer: W, ctx: WriteContext, layout: Layout) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let encoder = FeatureEncoder {
        layout,
        started: false,
    };
    Ok(Box::new(RecordWriter::new(writer, encoder, ctx)))
}

struct FeatureEncoder {
    layout: Layout,
    started: bool,
}

const OPENING: &[u8] = b"{\"type\":\"FeatureCollection\",\"features\":[\n";

impl RecordEncoder for FeatureEncoder {
    fn encode(&mut self, row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        let mark = out.len();
        match self.layout {
            Layout::Collection if self.started => out.extend_from_slice(b",\n"),
            Layout::Collection => out.extend_from_slice(OPENING),
            Layout::Sequence => out.push(0x1E),
            Layout::Lines => {}
        }
        if let Err(e) = write_feature(row, out) {
            out.truncate(mark);
            return Err(e);
        }
        if self.layout != Layout::Collection {
            out.push(b'\n');
        }
        self.started = true;
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        if self.layout == Layout::Collection {
            if !self.started {
                out.extend_from_slice(OPENING);
            }
            out.extend_from_slice(b"\n]}\n");
        }
        Ok(())
    }
}
