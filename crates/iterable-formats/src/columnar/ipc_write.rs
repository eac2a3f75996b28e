//! Writing Arrow IPC, file form (default; `.arrow`, `.feather`, `.ipc`) or stream form
//! (`.arrows`, or `columnar.ipc_stream`). arrow-ipc encodes each batch into memory and
//! the bytes go to the byte sink at once; `aclose` writes the footer and publishes the
//! file. Buffers are compressed with `columnar.compression` when it is lz4 or zstd.

use arrow_array::RecordBatch;
use arrow_ipc::CompressionType;
use arrow_ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
use arrow_schema::{ArrowError, SchemaRef};
use futures_core::future::BoxFuture;
use iterable_core::{BoxIterable, ColumnarCompression, Error, Result};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::batch_writer::{BatchSink, BatchWriter};
use crate::WriteContext;

/// Opens an Arrow IPC writer of rows over `writer` (options: `columnar.schema`,
/// `columnar.schema_scan_rows`, `columnar.compression`, `columnar.ipc_stream`,
/// `batch_size`).
pub async fn open_ipc_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    Ok(Box::new(ipc_batch_writer(writer, ctx)?))
}

/// The writer as its concrete type, for writing record batches directly.
pub(crate) fn ipc_batch_writer<W>(writer: W, ctx: WriteContext) -> Result<BatchWriter<IpcSink<W>>>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let compression = match ctx.options.columnar.compression {
        None | Some(ColumnarCompression::None) => None,
        Some(ColumnarCompression::Lz4) => Some(CompressionType::LZ4_FRAME),
        Some(ColumnarCompression::Zstd) => Some(CompressionType::ZSTD),
        Some(other) => {
            return Err(Error::InvalidOption(format!(
                "Arrow IPC compresses with lz4 or zstd, not {}",
                other.name()
            )));
        }
    };
    let stream_form = ctx.options.columnar.ipc_stream
        || ctx.info.location.to_ascii_lowercase().contains(".arrows");
    let sink = IpcSink {
        location: ctx.info.location.clone(),
        out: writer,
        stream_form,
        compression,
        encoder: None,
        bytes: 0,
    };
    BatchWriter::new(sink, ctx)
}

enum Encoder {
    File(FileWriter<Vec<u8>>),
    Stream(StreamWriter<Vec<u8>>),
}

impl Encoder {
    fn buffer(&mut self) -> &mut Vec<u8> {
        match self {
            Encoder::File(w) => w.get_mut(),
            Encoder::Stream(w) => w.get_mut(),
        }
    }
}

/// Encodes batches as Arrow IPC onto `W`.
pub(crate) struct IpcSink<W> {
    location: String,
    out: W,
    stream_form: bool,
    compression: Option<CompressionType>,
    encoder: Option<Encoder>,
    bytes: u64,
}

impl<W: AsyncWrite + Send + Unpin + 'static> IpcSink<W> {
    fn error(&self, e: ArrowError) -> Error {
        Error::unsupported(&self.location, format!("Arrow IPC encoding: {e}"))
    }

    fn encoder(&mut self) -> Result<&mut Encoder> {
        let location = &self.location;
        self.encoder
            .as_mut()
            .ok_or_else(|| Error::unsupported(location, "the writer is not started"))
    }

    /// Moves the encoded bytes to the byte sink.
    async fn drain(&mut self) -> Result<()> {
        let bytes = std::mem::take(self.encoder()?.buffer());
        self.out
            .write_all(&bytes)
            .await
            .map_err(|e| Error::io(&self.location, e))?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }
}

impl<W: AsyncWrite + Send + Unpin + 'static> BatchSink for IpcSink<W> {
    fn start(&mut self, schema: SchemaRef) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let options = IpcWriteOptions::default()
                .try_with_compression(self.compression)
                .map_err(|e| self.error(e))?;
            let encoder = if self.stream_form {
                StreamWriter::try_new_with_options(Vec::new(), &schema, options)
                    .map(Encoder::Stream)
            } else {
                FileWriter::try_new_with_options(Vec::new(), &schema, options).map(Encoder::File)
            };
            self.encoder = Some(encoder.map_err(|e| self.error(e))?);
            self.drain().await
        })
    }

    fn write<'a>(&'a mut self, batch: &'a RecordBatch) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let result = match self.encoder()? {
                Encoder::File(w) => w.write(batch),
                Encoder::Stream(w) => w.write(batch),
            };
            result.map_err(|e| self.error(e))?;
            self.drain().await
        })
    }

    fn finish(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let result = match self.encoder()? {
                Encoder::File(w) => w.finish(),
                Encoder::Stream(w) => w.finish(),
            };
            result.map_err(|e| self.error(e))?;
            self.drain().await?;
            self.out
                .shutdown()
                .await
                .map_err(|e| Error::io(&self.location, e))
        })
    }

    fn bytes_written(&self) -> u64 {
        self.bytes
    }
}
