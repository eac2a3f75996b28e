//! Row formats of `iterable`. Each format lives in its own module and knows only
//! bytes: a reader is built over any `AsyncBufRead`, a writer over any `AsyncWrite`.
//! Paths, URLs, codecs and atomic renames are the business of `iterable-io`; the
//! `iterable` facade wires the two together.
//!
//! Formats whose libraries are synchronous (Avro, ORC, XLSX, XML, YAML, BSON,
//! MessagePack; each behind its cargo feature) run on `iterable-io`'s blocking bridge:
//! the parser reads a `std::io::BufRead` fed by the same async bytes, on a blocking
//! thread, and rows come back in batches over a bounded channel.
//!
//! ```
//! # tokio_test_block_on(async {
//! use futures::StreamExt;
//! use iterable_core::{Codec, Format, IterableInfo, Mode, Options};
//! use iterable_formats::{open_reader, ReadContext};
//!
//! let bytes: &[u8] = b"id,name\n1,Anna\n2,Ben\n";
//! let info = IterableInfo { location: "inline.csv".into(), format: Format::CSV, codec: Codec::None, mode: Mode::Read, encoding: None };
//! let mut rows = open_reader(bytes, ReadContext::new(info, Options::default())).await.unwrap();
//! let second = rows.next().await.unwrap().unwrap();
//! # let second = rows.next().await.unwrap().unwrap();
//! assert_eq!(second["name"].as_str(), Some("Ben"));
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```
#![deny(missing_docs)]

pub mod access_log;
pub mod arrow_ipc;
pub mod avro;
#[cfg(feature = "blocking")]
mod blocking;
#[cfg(feature = "blocking")]
pub mod blocking_bridge;
mod blocks;
pub mod bson;
pub mod cbor;
#[cfg(feature = "arrow")]
pub mod columnar;
pub mod config_files;
mod context;
pub mod csv;
pub mod dbf;
pub mod documents;
pub mod fixed_width;
pub mod geo_xml;
pub mod geojson;
mod in_memory;
pub mod json;
mod json_fast;
mod json_rows;
mod json_writer;
pub mod jsonl;
pub mod jsonld;
mod keeps_rows;
pub mod line_protocol;
mod line_records;
pub mod ltsv;
pub mod msgpack;
pub mod orc;
mod panic_guard;
pub mod parquet;
mod read_refusal;
mod record_writer;
pub mod registry;
mod source_bytes;
pub mod spool;
#[cfg(feature = "testing")]
pub mod testing;
mod text_columns;
pub mod toml;
pub mod warc;
mod whole_text;
pub mod xlsx;
pub mod xml;
pub mod yaml;

use iterable_core::{BoxIterable, Error, Result};
use tokio::io::{AsyncBufRead, AsyncWrite};

pub use context::{ReadContext, WriteContext};
pub use in_memory::rows_iterable;
pub use keeps_rows::KeepsRows;
pub use line_records::{LineParser, LineRecords};
pub use record_writer::{RecordEncoder, RecordWriter};
use registry::{BoxReader, BoxWriter};

/// Opens a reader of `ctx.info.format` over `reader` (see [`open_boxed_reader`]).
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    open_boxed_reader(Box::new(reader), ctx).await
}

/// Opens a reader of `ctx.info.format` over `reader`, built as the format's registry
/// entry says: over the bytes, or over a temporary file they are spooled to first
/// when the format needs random access. An unknown format is
/// [`Error::UnknownFormat`]; one compiled out is [`Error::FeatureDisabled`]; one that
/// cannot be read is [`Error::Unsupported`].
pub async fn open_boxed_reader(reader: BoxReader, mut ctx: ReadContext) -> Result<BoxIterable> {
    let spec = registry::require(ctx.info.format, &ctx.info.location)?;
    let builders = spec.require_builders()?;
    match (builders.reader, builders.file_reader) {
        (Some(open), _) => open(reader, ctx).await.map(KeepsRows::wrap),
        (None, Some(open)) => {
            let (file, size) = spool::spool_to_temp_file(reader, &ctx.info.location).await?;
            ctx.bytes_total = ctx.bytes_total.or(Some(size));
            open(file, ctx).await.map(KeepsRows::wrap)
        }
        (None, None) => Err(Error::unsupported(
            &ctx.info.location,
            format!(
                "{} is write only here: reading it is not supported",
                spec.format
            ),
        )),
    }
}

/// Opens a reader of `ctx.info.format` over a seekable file, in place, when the
/// format reads files with random access; `Ok(None)` when it reads bytes (then use
/// [`open_boxed_reader`]).
pub async fn open_file_reader(
    file: std::fs::File,
    ctx: ReadContext,
) -> Result<std::result::Result<BoxIterable, (std::fs::File, ReadContext)>> {
    let spec = registry::require(ctx.info.format, &ctx.info.location)?;
    match spec.require_builders()?.file_reader {
        Some(open) => {
            let rows = KeepsRows::wrap(open(file, ctx).await?);
            Ok(Ok(rows))
        }
        None => Ok(Err((file, ctx))),
    }
}

/// Opens a writer of `ctx.info.format` over `writer`. `aclose` shuts the writer down,
/// which is what makes an atomic file sink publish its file.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    open_boxed_writer(Box::new(writer), ctx).await
}

/// Opens a writer of `ctx.info.format` over `writer` (see [`open_writer`]).
pub async fn open_boxed_writer(writer: BoxWriter, ctx: WriteContext) -> Result<BoxIterable> {
    let spec = registry::require(ctx.info.format, &ctx.info.location)?;
    match spec.require_builders()?.writer {
        Some(open) => open(writer, ctx).await,
        None => Err(Error::unsupported(
            &ctx.info.location,
            format!(
                "{} is read only here: writing {} is not supported",
                spec.format,
                spec.format.name().to_uppercase()
            ),
        )),
    }
}
