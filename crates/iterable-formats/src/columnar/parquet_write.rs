//! Writing Parquet: rows become batches in [`BatchWriter`]; the batches are encoded on
//! a thread of its own ([`EncodeThread`]), so that encoding and compressing run beside
//! whatever makes the batches (a parser, a decoder), each batch's columns shared out to
//! a pool of a thread a core ([`PoolEncoder`]). A row group is closed at
//! `columnar.row_group_size` rows or once the writer holds [`ROW_GROUP_BYTES`] of it,
//! whichever comes first, so memory does not grow with the row
//! count. Pages are compressed with `columnar.compression` ([`DEFAULT_COMPRESSION`]:
//! zstd). `aclose` writes the footer and shuts the sink down, which publishes the file.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use iterable_core::{BoxIterable, ColumnarCompression, Error, Result};
use parquet::arrow::ArrowWriter;
use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tokio::io::AsyncWrite;

use super::batch_writer::BatchWriter;
use super::encode_thread::{Chunks, EncodeThread, MakeEncoder, ThreadEncoder};
use super::parquet_encodings::plan_encodings;
use super::parquet_pool::PoolEncoder;
use crate::WriteContext;

/// The memory a row group may take (the writer's own estimate, `memory_size`) before
/// it is closed: a row group is held in memory until it is closed. For the peer
/// benchmark's rows, about 110,000 rows a group (duckdb writes 122,880 by default,
/// polars 262,144). Since a row group's close runs beside the next one's encoding, 4 MiB
/// is as fast as 8 and takes 6 MiB less peak memory; 16 MiB took 20 MiB more
/// (BENCHMARKS.md, "Design choices, measured").
pub const ROW_GROUP_BYTES: usize = 4 << 20;

/// The compression when the options name none: zstd (level 1 unless
/// `compression_level` says), as polars and Iceberg write by default; for the peer
/// benchmark's 1M rows, 35 MB against snappy's 54 MB, and every current reader reads it.
pub const DEFAULT_COMPRESSION: ColumnarCompression = ColumnarCompression::Zstd;

/// Opens a Parquet writer of rows over `writer` (options: `columnar.schema`,
/// `columnar.schema_scan_rows`, `columnar.row_group_size`, `columnar.compression`,
/// `compression_level`, `batch_size`).
pub async fn open_parquet_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    Ok(Box::new(parquet_batch_writer(writer, ctx)?))
}

/// The writer as its concrete type, for writing record batches directly.
pub(crate) fn parquet_batch_writer<W>(
    writer: W,
    ctx: WriteContext,
) -> Result<BatchWriter<EncodeThread<W>>>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let sink = EncodeThread::new(writer, &ctx.info.location, "Parquet", make_encoder(&ctx)?);
    BatchWriter::new(sink, ctx)
}

/// How the Parquet encoder is made on the encoder thread (see [`EncodeThread`]), with
/// the properties of the options.
fn make_encoder(ctx: &WriteContext) -> Result<MakeEncoder> {
    let columnar = &ctx.options.columnar;
    let compression = compression(
        columnar.compression.unwrap_or(DEFAULT_COMPRESSION),
        ctx.options.compression_level,
    )?;
    let props = WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(columnar.row_group_size.max(1)))
        .build();
    let location = ctx.info.location.clone();
    Ok(Box::new(move |schema, out| {
        Ok(Box::new(ParquetEncoder {
            state: EncoderState::Waiting(Box::new(Waiting { out, schema, props })),
            location,
        }))
    }))
}

/// An error of the parquet crate, at `location`: its I/O errors as I/O errors.
fn parquet_error(location: &str, e: parquet::errors::ParquetError) -> Error {
    match e {
        parquet::errors::ParquetError::External(inner) => {
            match inner.downcast::<std::io::Error>() {
                Ok(io) => Error::io(location, *io),
                Err(other) => Error::unsupported(location, other.to_string()),
            }
        }
        other => Error::unsupported(location, format!("Parquet encoding: {other}")),
    }
}

/// The encoder thread's end: batches into row groups, their columns encoded by a pool of workers
/// (see [`PoolEncoder`]), made at the first batch, which decides the columns written
/// without a dictionary or with deltas ([`plan_encodings`]).
struct ParquetEncoder {
    state: EncoderState,
    location: String,
}

enum EncoderState {
    /// No batch yet.
    Waiting(Box<Waiting>),
    Encoding(Box<PoolEncoder<Chunks>>),
    /// Finished, or failed to start.
    Gone,
}

/// What the encoder is made of at the first batch.
struct Waiting {
    out: Chunks,
    schema: SchemaRef,
    props: WriterProperties,
}

impl ParquetEncoder {
    /// The pool, made (with `first`'s dictionaries planned) if not yet.
    fn pool(&mut self, first: Option<&RecordBatch>) -> Result<&mut PoolEncoder<Chunks>> {
        if let EncoderState::Waiting(_) = self.state {
            let EncoderState::Waiting(waiting) =
                std::mem::replace(&mut self.state, EncoderState::Gone)
            else {
                unreachable!("matched above")
            };
            let Waiting { out, schema, props } = *waiting;
            let props = match first {
                Some(batch) => plan_encodings(props, batch),
                None => props,
            };
            let fail = |e| parquet_error(&self.location, e);
            let max_rows = props.max_row_group_row_count().unwrap_or(usize::MAX);
            let arrow = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(fail)?;
            let pool = PoolEncoder::new(arrow, schema, max_rows, ROW_GROUP_BYTES).map_err(fail)?;
            self.state = EncoderState::Encoding(Box::new(pool));
        }
        match &mut self.state {
            EncoderState::Encoding(pool) => Ok(pool),
            _ => Err(Error::unsupported(
                &self.location,
                "the Parquet encoder is gone",
            )),
        }
    }
}

impl ThreadEncoder for ParquetEncoder {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let location = self.location.clone();
        self.pool(Some(batch))?
            .write(batch)
            .map_err(|e| parquet_error(&location, e))
    }

    fn encoded_bytes(&self) -> u64 {
        match &self.state {
            EncoderState::Encoding(pool) => pool.bytes() as u64,
            _ => 0,
        }
    }

    fn finish(mut self: Box<Self>) -> Result<Chunks> {
        self.pool(None)?;
        let EncoderState::Encoding(pool) = self.state else {
            unreachable!("made by pool()")
        };
        pool.finish().map_err(|e| parquet_error(&self.location, e))
    }
}

fn compression(kind: ColumnarCompression, level: Option<i32>) -> Result<Compression> {
    let bad = |e: parquet::errors::ParquetError| {
        Error::InvalidOption(format!("Parquet {} level: {e}", kind.name()))
    };
    Ok(match kind {
        ColumnarCompression::None => Compression::UNCOMPRESSED,
        ColumnarCompression::Snappy => Compression::SNAPPY,
        ColumnarCompression::Lz4 => Compression::LZ4_RAW,
        ColumnarCompression::Zstd => Compression::ZSTD(
            level
                .map_or(Ok(ZstdLevel::default()), ZstdLevel::try_new)
                .map_err(bad)?,
        ),
        ColumnarCompression::Gzip => Compression::GZIP(
            level
                .map_or(Ok(GzipLevel::default()), |l| {
                    GzipLevel::try_new(l.max(0) as u32)
                })
                .map_err(bad)?,
        ),
        ColumnarCompression::Brotli => Compression::BROTLI(
            level
                .map_or(Ok(BrotliLevel::default()), |l| {
                    BrotliLevel::try_new(l.max(0) as u32)
                })
                .map_err(bad)?,
        ),
        other => {
            return Err(Error::InvalidOption(format!(
                "Parquet cannot compress with {}",
                other.name()
            )));
        }
    })
}
