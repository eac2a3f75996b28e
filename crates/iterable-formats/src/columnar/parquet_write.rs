//! Writing Parquet with the parquet crate's `AsyncArrowWriter` over the byte sink. Rows
//! become batches in [`BatchWriter`]; row groups hold up to `columnar.row_group_size`
//! rows; pages are compressed with `columnar.compression` (snappy by default). `aclose`
//! writes the footer and shuts the sink down, which publishes the file; a writer dropped
//! before that leaves no file (the sink deletes its temporary file).

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures_core::future::BoxFuture;
use iterable_core::{BoxIterable, ColumnarCompression, Error, Result};
use parquet::arrow::AsyncArrowWriter;
use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tokio::io::AsyncWrite;

use super::batch_writer::{BatchSink, BatchWriter};
use crate::WriteContext;

/// Opens a Parquet writer of rows over `writer` (options: `columnar.schema`,
/// `columnar.schema_scan_rows`, `columnar.row_group_size`, `columnar.compression`,
/// `compression_level`, `batch_size`).
pub async fn open_parquet_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let sink = ParquetSink::new(writer, &ctx)?;
    Ok(Box::new(BatchWriter::new(sink, ctx)?))
}

/// The writer as its concrete type, for writing record batches directly.
pub(crate) fn parquet_batch_writer<W>(
    writer: W,
    ctx: WriteContext,
) -> Result<BatchWriter<ParquetSink<W>>>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let sink = ParquetSink::new(writer, &ctx)?;
    BatchWriter::new(sink, ctx)
}

/// Encodes batches as Parquet onto `W`.
pub(crate) struct ParquetSink<W: AsyncWrite + Send + Unpin + 'static> {
    location: String,
    props: Option<WriterProperties>,
    writer: Option<W>,
    arrow: Option<AsyncArrowWriter<W>>,
}

impl<W: AsyncWrite + Send + Unpin + 'static> ParquetSink<W> {
    fn new(writer: W, ctx: &WriteContext) -> Result<Self> {
        let columnar = &ctx.options.columnar;
        let compression = compression(
            columnar.compression.unwrap_or(ColumnarCompression::Snappy),
            ctx.options.compression_level,
        )?;
        let props = WriterProperties::builder()
            .set_compression(compression)
            .set_max_row_group_row_count(Some(columnar.row_group_size.max(1)))
            .build();
        Ok(ParquetSink {
            location: ctx.info.location.clone(),
            props: Some(props),
            writer: Some(writer),
            arrow: None,
        })
    }

    fn error(&self, e: parquet::errors::ParquetError) -> Error {
        match e {
            parquet::errors::ParquetError::External(inner) => {
                match inner.downcast::<std::io::Error>() {
                    Ok(io) => Error::io(&self.location, *io),
                    Err(other) => Error::unsupported(&self.location, other.to_string()),
                }
            }
            other => Error::unsupported(&self.location, format!("Parquet encoding: {other}")),
        }
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

impl<W: AsyncWrite + Send + Unpin + 'static> BatchSink for ParquetSink<W> {
    fn start(&mut self, schema: SchemaRef) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let writer = self.writer.take().ok_or_else(|| {
                Error::unsupported(&self.location, "the writer was started twice")
            })?;
            let arrow = AsyncArrowWriter::try_new(writer, schema, self.props.take())
                .map_err(|e| self.error(e))?;
            self.arrow = Some(arrow);
            Ok(())
        })
    }

    fn write<'a>(&'a mut self, batch: &'a RecordBatch) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let result = match self.arrow.as_mut() {
                Some(arrow) => arrow.write(batch).await,
                None => {
                    return Err(Error::unsupported(
                        &self.location,
                        "the writer is not started",
                    ));
                }
            };
            result.map_err(|e| self.error(e))
        })
    }

    fn finish(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let result = match self.arrow.as_mut() {
                Some(arrow) => arrow.finish().await.map(|_| ()),
                None => {
                    return Err(Error::unsupported(
                        &self.location,
                        "the writer is not started",
                    ));
                }
            };
            result.map_err(|e| self.error(e))
        })
    }

    fn bytes_written(&self) -> u64 {
        self.arrow.as_ref().map_or(0, |a| a.bytes_written() as u64)
    }
}
