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
//! let info = IterableInfo { location: "inline.csv".into(), format: Format::Csv, codec: Codec::None, mode: Mode::Read };
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

#[cfg(feature = "avro")]
pub mod avro;
#[cfg(feature = "blocking")]
mod blocking;
mod blocks;
#[cfg(feature = "bson")]
pub mod bson;
#[cfg(feature = "arrow")]
pub mod columnar;
pub mod csv;
pub mod json;
mod json_fast;
mod json_rows;
mod json_writer;
pub mod jsonl;
#[cfg(feature = "msgpack")]
pub mod msgpack;
#[cfg(feature = "orc")]
pub mod orc;
mod read_refusal;
mod source_bytes;
pub mod testing;
#[cfg(feature = "xlsx")]
pub mod xlsx;
#[cfg(feature = "xml")]
pub mod xml;
#[cfg(feature = "yaml")]
pub mod yaml;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use iterable_core::policy::ErrorHandler;
use iterable_core::{BoxIterable, Error, Format, IterableInfo, Options, Result};
use tokio::io::{AsyncBufRead, AsyncWrite};

/// Everything a reader needs besides its bytes.
#[derive(Debug)]
pub struct ReadContext {
    /// Location, format, codec; `mode` is `Read`.
    pub info: IterableInfo,
    /// The options of the open call.
    pub options: Options,
    /// What to do with bad records (built from `options.errors` by the caller).
    pub errors: ErrorHandler,
    /// Bytes consumed from the source so far, kept up to date by the byte layer.
    pub bytes_read: Arc<AtomicU64>,
    /// The source's size, when known.
    pub bytes_total: Option<u64>,
}

impl ReadContext {
    /// A context with the fail-fast error policy and no byte accounting.
    pub fn new(info: IterableInfo, options: Options) -> Self {
        ReadContext {
            info,
            options,
            errors: ErrorHandler::fail(),
            bytes_read: Arc::default(),
            bytes_total: None,
        }
    }
}

/// Everything a writer needs besides its sink.
#[derive(Debug, Clone)]
pub struct WriteContext {
    /// Location, format, codec; `mode` is `Write`.
    pub info: IterableInfo,
    /// The options of the open call.
    pub options: Options,
}

/// Opens a reader of `ctx.info.format` over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    match ctx.info.format {
        Format::Csv | Format::Tsv | Format::Psv => csv::open_reader(reader, ctx).await,
        Format::Jsonl => jsonl::open_reader(reader, ctx).await,
        Format::Json => json::open_reader(reader, ctx).await,
        #[cfg(feature = "bson")]
        Format::Bson => bson::open_reader(reader, ctx).await,
        #[cfg(feature = "msgpack")]
        Format::MsgPack => msgpack::open_reader(reader, ctx).await,
        #[cfg(feature = "yaml")]
        Format::Yaml => yaml::open_reader(reader, ctx).await,
        #[cfg(feature = "xml")]
        Format::Xml => xml::open_reader(reader, ctx).await,
        #[cfg(feature = "xlsx")]
        Format::Xlsx => xlsx::open_reader(reader, ctx).await,
        #[cfg(feature = "avro")]
        Format::Avro => avro::open_reader(reader, ctx).await,
        #[cfg(feature = "orc")]
        Format::Orc => orc::open_reader(reader, ctx).await,
        #[cfg(feature = "parquet")]
        Format::Parquet => {
            let (file, size) =
                columnar::spool::spool_to_temp_file(reader, &ctx.info.location).await?;
            let ctx = ReadContext {
                bytes_total: ctx.bytes_total.or(Some(size)),
                ..ctx
            };
            columnar::open_parquet_file(file, ctx).await
        }
        #[cfg(feature = "arrow")]
        Format::Arrow => columnar::open_ipc_reader(reader, ctx).await,
        other => Err(not_compiled(other)),
    }
}

/// Opens a writer of `ctx.info.format` over `writer`. `aclose` shuts the writer down,
/// which is what makes an atomic file sink publish its file.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    match ctx.info.format {
        Format::Csv | Format::Tsv | Format::Psv => csv::open_writer(writer, ctx).await,
        Format::Jsonl => jsonl::open_writer(writer, ctx).await,
        Format::Json => json::open_writer(writer, ctx).await,
        #[cfg(feature = "bson")]
        Format::Bson => bson::open_writer(writer, ctx).await,
        #[cfg(feature = "msgpack")]
        Format::MsgPack => msgpack::open_writer(writer, ctx).await,
        #[cfg(feature = "yaml")]
        Format::Yaml => yaml::open_writer(writer, ctx).await,
        #[cfg(feature = "xml")]
        Format::Xml => xml::open_writer(writer, ctx).await,
        #[cfg(feature = "xlsx")]
        Format::Xlsx => xlsx::open_writer(writer, ctx).await,
        #[cfg(feature = "avro")]
        Format::Avro => avro::open_writer(writer, ctx).await,
        #[cfg(feature = "orc")]
        Format::Orc => Err(Error::unsupported(
            &ctx.info.location,
            "ORC is read only here: writing ORC is not supported",
        )),
        #[cfg(feature = "parquet")]
        Format::Parquet => columnar::open_parquet_writer(writer, ctx).await,
        #[cfg(feature = "arrow")]
        Format::Arrow => columnar::open_ipc_writer(writer, ctx).await,
        other => Err(not_compiled(other)),
    }
}

fn not_compiled(format: Format) -> Error {
    Error::FeatureDisabled {
        what: format!("the {format} format"),
        feature: format.feature().to_owned(),
    }
}
