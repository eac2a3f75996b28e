//! Apache ORC (`.orc`), read and written with [`orc_rust`] 0.9 (the release on arrow
//! 59, the project's one arrow).
//!
//! # Reading
//!
//! ORC keeps its metadata in a footer at the end of the file, so the reader needs
//! random access: the (decoded) bytes are first copied to an anonymous temporary
//! file, which disappears when the reader ends. Stripes are then read as Arrow record
//! batches of `batch_size` rows and turned into rows with the Arrow -> `Value`
//! conversion of [`columnar`](crate::columnar) (see its mapping table): top-level
//! struct fields are the columns. A file that is not ORC, or a corrupt stripe, is an
//! error naming the file and the record being read, and ends the stream.
//!
//! # Writing
//!
//! Rows become record batches as for Parquet (the schema from `columnar.schema` or
//! inferred from the first `columnar.schema_scan_rows` rows; a later row that does
//! not fit is an error naming the row, column and value); record batches written
//! through the batch API, or by `convert` from CSV or JSON Lines, go as they are. On a
//! thread of its own, orc-rust encodes them into stripes of about 16 MiB
//! (`STRIPE_BYTES`), compressed with zstd unless `columnar.compression` asks for
//! snappy, lz4, gzip (ORC's zlib) or none, which go to the sink as they are made; the
//! footer is written on `aclose`. Integers, floats, text, bytes, booleans, dates and
//! timestamps are ORC columns of their type (narrow unsigned integers as 64-bit ones, a
//! timestamp in a zone other than UTC as the same instant in UTC); the types orc-rust
//! cannot encode (decimals, times of day, lists, maps) become a text column of their
//! value's text (exact decimals, ISO 8601, JSON), which reads back as text.

#[cfg(feature = "orc")]
mod read;
#[cfg(feature = "orc")]
mod write;
#[cfg(feature = "orc")]
pub use read::open_file;
#[cfg(feature = "orc")]
pub(crate) use write::orc_batch_writer;
#[cfg(feature = "orc")]
pub use write::{STRIPE_BYTES, open_writer};

use iterable_core::Format;

use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// The registry's description of the format.
pub static ORC: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        // An ORC file's header is "ORC" and then stripe data, which is binary: a CSV
        // whose header starts `ORCID,` is text.
        matches: |head| {
            head.starts_with(b"ORC")
                && !iterable_core::detect::is_text(&head[3..head.len().min(64)])
        },
    }),
    capabilities: Capabilities {
        binary: true,
        // Lists and maps are written as their JSON text (see the module docs).
        nested: false,
        container: true,
        marks_end: true,
        typed_columns: true,
        ..Capabilities::TYPED
    },
    read_options: &[],
    write_options: &[],
    feature: "orc",
    builders: BUILDERS,
    ..FormatSpec::new(Format::ORC, "Apache ORC", &["orc"])
};

#[cfg(feature = "orc")]
const BUILDERS: Option<Builders> = Some(Builders {
    file_reader: Some(|f, ctx| Box::pin(read::open_file(f, ctx))),
    writer: Some(|w, ctx| Box::pin(write::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "orc"))]
const BUILDERS: Option<Builders> = None;
