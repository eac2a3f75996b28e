//! Writing Parquet: rows become batches in [`BatchWriter`]; the batches are encoded on
//! a thread of its own, so that encoding and compressing run beside whatever makes the
//! batches (a parser, a decoder), each batch's columns spread over the cores
//! ([`LaneEncoder`]). The thread
//! hands the encoded bytes back in chunks, and the writer's task writes them to the
//! byte sink, which it alone holds: dropping the writer drops the sink at once (an
//! atomic file sink then deletes its temporary file). A row group is closed at
//! `columnar.row_group_size` rows or once the writer holds [`ROW_GROUP_BYTES`] of it,
//! whichever comes first, so memory does not grow with the row
//! count. Pages are compressed with `columnar.compression` ([`DEFAULT_COMPRESSION`]:
//! zstd). `aclose` writes the footer and shuts the sink down, which publishes the file.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures_core::future::BoxFuture;
use iterable_core::{BoxIterable, ColumnarCompression, Error, Result};
use parquet::arrow::ArrowWriter;
use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::batch_writer::{BatchSink, BatchWriter};
use super::parquet_lanes::LaneEncoder;
use crate::WriteContext;

/// The memory a row group may take (the writer's own estimate, `memory_size`) before
/// it is closed: a row group is held in memory until it is closed. For the peer
/// benchmark's rows, about 430,000 rows a group and 95 MiB peak for the whole
/// conversion (8 MiB: 65,536 rows, 73 MiB, 10% slower).
pub const ROW_GROUP_BYTES: usize = 16 << 20;

/// The compression when the options name none: zstd (level 1 unless
/// `compression_level` says), as polars and Iceberg write by default; for the peer
/// benchmark's 1M rows, 35 MB against snappy's 54 MB, and every current reader reads it.
pub const DEFAULT_COMPRESSION: ColumnarCompression = ColumnarCompression::Zstd;

/// Batches waiting for the encoder.
const QUEUED_BATCHES: usize = 2;
/// The size of the chunks of encoded bytes the encoder hands back.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks waiting to be written to the sink.
const QUEUED_CHUNKS: usize = 4;

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

/// What the writer's task tells the encoder thread.
enum Message {
    Batch(RecordBatch),
    /// Write the footer, hand back the last bytes and stop.
    Finish,
}

/// The encoder thread, once started.
struct Encoder {
    batches: mpsc::Sender<Message>,
    chunks: mpsc::Receiver<Vec<u8>>,
    done: tokio::task::JoinHandle<Result<()>>,
}

/// Encodes batches as Parquet onto `W`, on a thread of its own.
pub(crate) struct ParquetSink<W: AsyncWrite + Send + Unpin + 'static> {
    location: String,
    props: Option<WriterProperties>,
    writer: W,
    encoder: Option<Encoder>,
    /// Bytes encoded so far (written, and held in the open row group).
    encoded: Arc<AtomicU64>,
    /// Bytes written to the sink.
    sent: u64,
}

impl<W: AsyncWrite + Send + Unpin + 'static> ParquetSink<W> {
    fn new(writer: W, ctx: &WriteContext) -> Result<Self> {
        let columnar = &ctx.options.columnar;
        let compression = compression(
            columnar.compression.unwrap_or(DEFAULT_COMPRESSION),
            ctx.options.compression_level,
        )?;
        let props = WriterProperties::builder()
            .set_compression(compression)
            .set_max_row_group_row_count(Some(columnar.row_group_size.max(1)))
            .build();
        Ok(ParquetSink {
            location: ctx.info.location.clone(),
            props: Some(props),
            writer,
            encoder: None,
            encoded: Arc::default(),
            sent: 0,
        })
    }

    /// Hands `message` to the encoder, writing the chunks it hands back meanwhile.
    async fn send(&mut self, message: Message) -> Result<()> {
        let Some(encoder) = self.encoder.as_mut() else {
            return Err(Error::unsupported(
                &self.location,
                "the writer is not started",
            ));
        };
        let sent = loop {
            tokio::select! {
                biased;
                chunk = encoder.chunks.recv() => match chunk {
                    Some(chunk) => {
                        self.writer
                            .write_all(&chunk)
                            .await
                            .map_err(|e| Error::io(&self.location, e))?;
                        self.sent += chunk.len() as u64;
                    }
                    // The encoder stopped: its result says why.
                    None => break false,
                },
                permit = encoder.batches.reserve() => match permit {
                    Ok(permit) => {
                        permit.send(message);
                        break true;
                    }
                    Err(_) => break false,
                },
            }
        };
        if sent {
            return Ok(());
        }
        Err(match self.stop().await {
            Err(e) => e,
            Ok(()) => Error::unsupported(&self.location, "the Parquet encoder stopped"),
        })
    }

    /// Writes every chunk the encoder still hands back, then its result.
    async fn stop(&mut self) -> Result<()> {
        let Some(mut encoder) = self.encoder.take() else {
            return Ok(());
        };
        while let Some(chunk) = encoder.chunks.recv().await {
            self.writer
                .write_all(&chunk)
                .await
                .map_err(|e| Error::io(&self.location, e))?;
            self.sent += chunk.len() as u64;
        }
        drop(encoder.batches);
        match encoder.done.await {
            Ok(result) => result,
            Err(e) => Err(Error::unsupported(
                &self.location,
                format!("the Parquet encoder failed: {e}"),
            )),
        }
    }
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

/// The encoder's output: bytes gathered into chunks handed back to the writer's task.
struct Chunks {
    buf: Vec<u8>,
    out: mpsc::Sender<Vec<u8>>,
}

impl Chunks {
    fn hand_back(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES));
        self.out
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the writer is gone"))
    }
}

impl Write for Chunks {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.hand_back()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.hand_back()
    }
}

/// The encoder thread: batches into row groups (their columns encoded in lanes, see
/// [`LaneEncoder`]) until `Finish` (then the footer) or until the writer's task is gone
/// (then it stops, and nothing more is written).
fn encode(
    mut writer: LaneEncoder<Chunks>,
    mut batches: mpsc::Receiver<Message>,
    encoded: &AtomicU64,
    location: &str,
) -> Result<()> {
    let fail = |e| parquet_error(location, e);
    while let Some(message) = batches.blocking_recv() {
        match message {
            Message::Batch(batch) => {
                writer.write(&batch).map_err(fail)?;
                encoded.store(writer.bytes() as u64, Ordering::Relaxed);
            }
            Message::Finish => {
                let mut out = writer.finish().map_err(fail)?;
                out.hand_back().map_err(|e| Error::io(location, e))?;
                return Ok(());
            }
        }
    }
    Ok(())
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
            let props = self.props.take().ok_or_else(|| {
                Error::unsupported(&self.location, "the writer was started twice")
            })?;
            let (chunk_sender, chunks) = mpsc::channel(QUEUED_CHUNKS);
            let out = Chunks {
                buf: Vec::with_capacity(CHUNK_BYTES),
                out: chunk_sender,
            };
            let max_rows = props.max_row_group_row_count().unwrap_or(usize::MAX);
            let fail = |e| parquet_error(&self.location, e);
            let arrow = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(fail)?;
            let arrow = LaneEncoder::new(arrow, schema, max_rows, ROW_GROUP_BYTES).map_err(fail)?;
            let (batches, receiver) = mpsc::channel(QUEUED_BATCHES);
            let (location, encoded) = (self.location.clone(), self.encoded.clone());
            let done =
                tokio::task::spawn_blocking(move || encode(arrow, receiver, &encoded, &location));
            self.encoder = Some(Encoder {
                batches,
                chunks,
                done,
            });
            Ok(())
        })
    }

    fn write<'a>(&'a mut self, batch: &'a RecordBatch) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.send(Message::Batch(batch.clone())))
    }

    fn finish(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.send(Message::Finish).await?;
            self.stop().await?;
            // What was written is now the whole count, not the encoder's estimate.
            self.encoded.store(0, Ordering::Relaxed);
            let io = |e| Error::io(&self.location, e);
            self.writer.flush().await.map_err(io)?;
            self.writer.shutdown().await.map_err(io)
        })
    }

    fn bytes_written(&self) -> u64 {
        self.sent.max(self.encoded.load(Ordering::Relaxed))
    }
}
