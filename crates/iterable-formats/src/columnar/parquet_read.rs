//! Reading Parquet with the parquet crate's native async reader
//! (`ParquetRecordBatchStreamBuilder`): no blocking thread, batches turned into rows
//! directly.
//!
//! Parquet needs random access (the footer is at the end). The reader is generic over
//! parquet's [`AsyncFileReader`]: a `tokio::fs::File` for a local file, an object-store
//! reader with ranged GETs for a URL. A source that cannot seek (stdin, a compressed
//! `.parquet.gz`, a zip member) is first copied to an anonymous temporary file (see
//! [`spool`](crate::spool)).

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bytes::Bytes;
use futures_core::future::BoxFuture;
use futures_util::StreamExt;
use iterable_core::{BoxIterable, Error, Result};
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderBuilder, ArrowReaderMetadata, ArrowReaderOptions};
use parquet::arrow::async_reader::{AsyncFileReader, ParquetRecordBatchStream};
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;

use super::ipc_check::check_schema_message;
use super::parquet_groups::RowGroups;
use super::{BatchRowsReader, BatchStream};
use crate::ReadContext;
use crate::panic_guard::{guard_future, guard_stream};

/// Opens a Parquet reader of rows over `input`.
///
/// Options used: `columnar.columns` (projection: only those column chunks are read,
/// and rows have the columns in the asked order), `columnar.row_groups`, `batch_size`.
/// A file that is not Parquet, or is truncated, is an [`Error::Io`] naming the location.
pub async fn open_parquet<R>(input: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncFileReader + Unpin + 'static,
{
    let (location, options) = (ctx.info.location.clone(), ctx.options.clone());
    let (batches, schema) =
        batch_stream(input, &location, &options, ctx.bytes_read.clone()).await?;
    Ok(Box::new(BatchRowsReader::for_context(
        batches, &schema, ctx,
    )))
}

/// The record batches of a Parquet file, as the parquet reader decodes them (same
/// options as [`open_parquet`]; columns in the asked order). No row is built.
pub async fn parquet_batches<R>(input: R, ctx: ReadContext) -> Result<BatchStream>
where
    R: AsyncFileReader + Unpin + 'static,
{
    let ReadContext {
        info,
        options,
        bytes_read,
        ..
    } = ctx;
    batch_stream(input, &info.location, &options, bytes_read)
        .await
        .map(|(batches, _)| batches)
}

/// The batches of the async reader set up with the options (errors name `location`,
/// columns in the asked order), and their schema.
async fn batch_stream<R>(
    input: R,
    location: &str,
    options: &iterable_core::Options,
    bytes: Arc<AtomicU64>,
) -> Result<(BatchStream, SchemaRef)>
where
    R: AsyncFileReader + Unpin + 'static,
{
    let opened = guard_future(
        open_stream(input, location, options, bytes),
        location,
        "the Parquet footer reader",
    )
    .await?;
    let (reorder, mut groups) = (opened.reorder, opened.groups);
    let at = location.to_owned();
    let batches = opened.stream.map(move |batch| {
        let batch = batch.map_err(|e| read_error(&at, e, groups.position()))?;
        groups.advance(batch.num_rows());
        project(batch, reorder.as_deref(), &at)
    });
    let batches = guard_stream(batches.boxed(), location, "the Parquet decoder").boxed();
    Ok((batches, opened.schema))
}

/// The Arrow schema of a Parquet file (from its footer; no data is read).
pub async fn parquet_schema<R>(input: R, location: &str) -> Result<SchemaRef>
where
    R: AsyncFileReader + Unpin + 'static,
{
    let mut input = input;
    let metadata = guard_future(
        checked_metadata_async(&mut input, location),
        location,
        "the Parquet footer reader",
    )
    .await?;
    Ok(metadata.schema().clone())
}

struct Opened<R> {
    stream: ParquetRecordBatchStream<CountingFileReader<R>>,
    /// The asked column order, as positions in the projected batch.
    reorder: Option<Vec<usize>>,
    schema: SchemaRef,
    groups: RowGroups,
}

async fn open_stream<R>(
    input: R,
    location: &str,
    options: &iterable_core::Options,
    bytes: Arc<AtomicU64>,
) -> Result<Opened<R>>
where
    R: AsyncFileReader + Unpin + 'static,
{
    let mut input = CountingFileReader {
        inner: input,
        bytes,
    };
    let metadata = checked_metadata_async(&mut input, location).await?;
    let builder = ParquetRecordBatchStreamBuilder::new_with_metadata(input, metadata);
    let configured = configure(builder, location, options)?;
    let stream = configured
        .builder
        .build()
        .map_err(|e| open_error(location, e))?;
    Ok(Opened {
        stream,
        reorder: configured.reorder,
        schema: configured.schema,
        groups: configured.groups,
    })
}

/// A reader builder set up with the read options, and what the rows will look like.
pub(super) struct Configured<T> {
    pub(super) builder: ArrowReaderBuilder<T>,
    /// The asked column order, as positions in the projected batch.
    pub(super) reorder: Option<Vec<usize>>,
    /// The schema of the rows (the asked columns, in the asked order).
    pub(super) schema: SchemaRef,
    /// The row groups read, for error positions.
    pub(super) groups: RowGroups,
}

/// Applies `batch_size`, `columnar.columns` (projection, in the asked order) and
/// `columnar.row_groups` to a reader builder, async or not.
pub(super) fn configure<T>(
    builder: ArrowReaderBuilder<T>,
    location: &str,
    options: &iterable_core::Options,
) -> Result<Configured<T>> {
    let columnar = &options.columnar;
    let mut builder = builder.with_batch_size(options.batch_size.max(1));
    let file_schema = builder.schema().clone();
    let mut schema = file_schema.clone();
    let mut reorder = None;
    if let Some(columns) = &columnar.columns {
        let mut roots = Vec::with_capacity(columns.len());
        for name in columns {
            let index = file_schema.index_of(name).map_err(|_| {
                Error::InvalidOption(format!(
                    "{location}: no column {name:?} to select; the file has: {}",
                    names(&file_schema)
                ))
            })?;
            if !roots.contains(&index) {
                roots.push(index);
            }
        }
        let mut sorted = roots.clone();
        sorted.sort_unstable();
        reorder = Some(
            roots
                .iter()
                .map(|r| sorted.iter().position(|s| s == r).unwrap_or_default())
                .collect::<Vec<_>>(),
        )
        .filter(|order: &Vec<usize>| order.iter().enumerate().any(|(i, p)| i != *p));
        schema = Arc::new(
            file_schema
                .project(&roots)
                .map_err(|e| Error::InvalidOption(e.to_string()))?,
        );
        let mask = ProjectionMask::roots(builder.parquet_schema(), sorted);
        builder = builder.with_projection(mask);
    }
    if let Some(groups) = &columnar.row_groups {
        let count = builder.metadata().num_row_groups();
        if let Some(bad) = groups.iter().find(|g| **g >= count) {
            return Err(Error::InvalidOption(format!(
                "{location}: row group {bad} asked for, the file has {count} (0-based)"
            )));
        }
        builder = builder.with_row_groups(groups.clone());
    }
    let groups = RowGroups::new(builder.metadata(), columnar.row_groups.as_deref());
    Ok(Configured {
        builder,
        reorder,
        schema,
        groups,
    })
}

fn names(schema: &arrow_schema::Schema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn project(
    batch: RecordBatch,
    reorder: Option<&[usize]>,
    location: &str,
) -> Result<RecordBatch> {
    match reorder {
        None => Ok(batch),
        Some(order) => batch
            .project(order)
            .map_err(|e| Error::unsupported(location, e.to_string())),
    }
}

pub(super) fn open_error(location: &str, e: ParquetError) -> Error {
    Error::Io {
        location: location.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a readable Parquet file (not Parquet, or truncated): {e}"),
        ),
    }
}

/// A decoding error, in the row group where it happened (see [`RowGroups::position`]).
pub(super) fn read_error(
    location: &str,
    e: impl std::fmt::Display,
    position: Option<String>,
) -> Error {
    let at = position.map(|p| format!(" in {p}")).unwrap_or_default();
    Error::Io {
        location: location.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("corrupt or truncated Parquet data{at}: {e}"),
        ),
    }
}

/// The footer of a Parquet file read through `input`, the Arrow schema it keeps
/// checked before it is converted (see [`check_arrow_hint`]).
async fn checked_metadata_async<R: AsyncFileReader>(
    input: &mut R,
    location: &str,
) -> Result<ArrowReaderMetadata> {
    let plain = ArrowReaderMetadata::load_async(input, without_hint())
        .await
        .map_err(|e| open_error(location, e))?;
    with_checked_hint(plain, location)
}

/// [`checked_metadata_async`] for a file on disk.
pub(super) fn checked_metadata<T: parquet::file::reader::ChunkReader>(
    input: &T,
    location: &str,
) -> Result<ArrowReaderMetadata> {
    let plain =
        ArrowReaderMetadata::load(input, without_hint()).map_err(|e| open_error(location, e))?;
    with_checked_hint(plain, location)
}

fn without_hint() -> ArrowReaderOptions {
    ArrowReaderOptions::new().with_skip_arrow_metadata(true)
}

/// The footer read with its Arrow schema (the `ARROW:schema` key), once that schema is
/// checked: parquet converts it with arrow-ipc, which panics on types no writer makes.
fn with_checked_hint(plain: ArrowReaderMetadata, location: &str) -> Result<ArrowReaderMetadata> {
    let metadata = plain.metadata().clone();
    super::parquet_groups::check_chunks(&metadata).map_err(|e| Error::Io {
        location: location.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a readable Parquet file: {e}"),
        ),
    })?;
    check_arrow_hint(&metadata, location)?;
    ArrowReaderMetadata::try_new(metadata, ArrowReaderOptions::new())
        .map_err(|e| open_error(location, e))
}

/// Checks the Arrow schema a Parquet footer keeps, as parquet will read it: base64 of
/// an IPC schema message. What is not one is left for parquet to refuse.
fn check_arrow_hint(metadata: &ParquetMetaData, location: &str) -> Result<()> {
    use base64::Engine;
    let hints = metadata
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .filter(|kv| kv.key == parquet::arrow::ARROW_SCHEMA_META_KEY)
        .filter_map(|kv| kv.value.as_deref());
    for hint in hints {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(hint) else {
            continue;
        };
        check_schema_message(&bytes).map_err(|e| Error::Io {
            location: location.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the Arrow schema in the Parquet footer is not valid: {e}"),
            ),
        })?;
    }
    Ok(())
}

/// An [`AsyncFileReader`] that counts the bytes it fetches, for `progress()`.
struct CountingFileReader<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: AsyncFileReader> AsyncFileReader for CountingFileReader<R> {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        self.bytes
            .fetch_add(range.end.saturating_sub(range.start), Ordering::Relaxed);
        self.inner.get_bytes(range)
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        let total: u64 = ranges.iter().map(|r| r.end.saturating_sub(r.start)).sum();
        self.bytes.fetch_add(total, Ordering::Relaxed);
        self.inner.get_byte_ranges(ranges)
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        self.inner.get_metadata(options)
    }
}
