//! Reading a Parquet file that is on local disk (a plain local file, or a spooled copy of
//! one that was not) with the parquet crate's synchronous reader on a thread of tokio's
//! blocking pool.
//!
//! The async reader fetches every asked column chunk of a row group before it decodes
//! the first batch (tens of MiB for a 100,000-row group); the synchronous reader over a
//! file reads each page when its column needs it, so memory is a page per column plus
//! the batches in flight. Decompressing and decoding run on that thread while the
//! consumer turns the previous batch into rows, so a read uses two cores; a batch crosses
//! threads as a whole (a few allocations), never row by row, and its buffers are freed
//! back on the decoding thread (the allocator keeps less memory than when one thread
//! frees what another made). Dropping the reader ends the thread at its next batch.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bytes::Bytes;
use futures_util::StreamExt;
use iterable_core::{BoxIterable, Error, Result};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use parquet::file::reader::{ChunkReader, Length};
use tokio::sync::mpsc;

use super::parquet_read::{checked_metadata, configure, open_error, project, read_error};
use super::{BatchRowsReader, BatchStream};
use crate::ReadContext;

/// Batches decoded ahead of the consumer at most (besides the one being decoded).
const AHEAD_BATCHES: usize = 1;

/// The most rows decoded at once when the file is read as rows (`batch_size` when it is
/// smaller). The batches never reach the user then, and small ones keep each column's
/// buffers small (BENCHMARKS.md, "Design choices, measured", has the memory and time
/// against larger batches).
const ROW_DECODE_ROWS: usize = 2048;

/// Opens a reader of the rows of the Parquet file `file`, decoded on a blocking thread
/// at most `ROW_DECODE_ROWS` rows at a time.
///
/// Same options and errors as [`open_parquet`](super::open_parquet): `columnar.columns`,
/// `columnar.row_groups`, `batch_size`; a file that is not Parquet, or is truncated, is
/// an [`Error::Io`] naming the location.
pub async fn open_parquet_file(file: std::fs::File, ctx: ReadContext) -> Result<BoxIterable> {
    let mut options = ctx.options.clone();
    options.batch_size = options.batch_size.min(ROW_DECODE_ROWS);
    let location = ctx.info.location.clone();
    let (batches, schema) =
        decode_on_thread(file, location, options, ctx.bytes_read.clone()).await?;
    Ok(Box::new(BatchRowsReader::for_context(
        batches, &schema, ctx,
    )))
}

/// The record batches of the Parquet file `file`, decoded on a blocking thread (same
/// options as [`open_parquet_file`]; columns in the asked order). No row is built.
pub async fn parquet_file_batches(file: std::fs::File, ctx: ReadContext) -> Result<BatchStream> {
    let ReadContext {
        info,
        options,
        bytes_read,
        ..
    } = ctx;
    decode_on_thread(file, info.location, options, bytes_read)
        .await
        .map(|(batches, _)| batches)
}

/// Reads the footer (on the blocking pool), sets the reader up with the options, and
/// starts the thread that decodes the batches.
async fn decode_on_thread(
    file: std::fs::File,
    location: String,
    options: iterable_core::Options,
    bytes: Arc<AtomicU64>,
) -> Result<(BatchStream, SchemaRef)> {
    let input = CountingFile { file, bytes };
    let name = location.clone();
    let opened = tokio::task::spawn_blocking(move || {
        let metadata = checked_metadata(&input, &location)?;
        let whole = ParquetRecordBatchReaderBuilder::new_with_metadata(
            input.try_clone(&location)?,
            metadata.clone(),
        );
        let configured = configure(whole, &location, &options)?;
        let (reorder, schema, groups) = (configured.reorder, configured.schema, configured.groups);
        let order = options
            .columnar
            .row_groups
            .clone()
            .unwrap_or_else(|| (0..metadata.metadata().num_row_groups()).collect());
        let start = Start {
            input,
            metadata,
            options,
            order,
        };
        Ok::<_, Error>((start, reorder, schema, groups, location))
    })
    .await
    .map_err(|e| crate::panic_guard::join_error(&name, "the Parquet footer reader", e))?;
    let (start, reorder, schema, mut groups, location) = opened?;
    let (tx, rx) = mpsc::channel::<Result<RecordBatch>>(AHEAD_BATCHES);
    tokio::task::spawn_blocking(move || {
        // A panic in the decoder (a corrupt file can raise one) ends the stream with an
        // error naming the file: a closed channel alone would read as the end.
        let panic_tx = tx.clone();
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // The batches sent lately, kept so that their buffers are freed here, by
            // the thread that allocated them: once batch N+2 is sent the consumer has
            // dropped batch N (it takes a batch only when done with the one before).
            let mut sent = std::collections::VecDeque::with_capacity(AHEAD_BATCHES + 2);
            // A reader a row group: a batch never spans two, so the rows of the groups
            // before a damaged one all arrive, and its error names the group.
            for &group in &start.order {
                let reader = match start.reader_of(group, &location) {
                    Ok(reader) => reader,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                };
                for batch in reader {
                    let batch = batch
                        .map_err(|e| read_error(&location, e, groups.position()))
                        .and_then(|b| project(b, reorder.as_deref(), &location));
                    if let Ok(b) = &batch {
                        groups.advance(b.num_rows());
                    }
                    let failed = batch.is_err();
                    let kept = batch.as_ref().ok().cloned();
                    if tx.blocking_send(batch).is_err() || failed {
                        return;
                    }
                    sent.extend(kept);
                    if sent.len() > AHEAD_BATCHES + 1 {
                        sent.pop_front();
                    }
                }
            }
        }));
        if let Err(payload) = decoded {
            let error = Error::panicked(&location, "the Parquet decoder", payload.as_ref());
            let _ = panic_tx.blocking_send(Err(error));
        }
    });
    let batches = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|batch| (batch, rx))
    });
    Ok((batches.boxed(), schema))
}

/// What the decoding thread needs to read the row groups one by one.
struct Start {
    input: CountingFile,
    metadata: ArrowReaderMetadata,
    options: iterable_core::Options,
    /// The row groups to read, in order.
    order: Vec<usize>,
}

impl Start {
    /// A reader of one row group, with the options' columns and batch size.
    fn reader_of(&self, group: usize, location: &str) -> Result<ParquetRecordBatchReader> {
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.input.try_clone(location)?,
            self.metadata.clone(),
        );
        let mut options = self.options.clone();
        options.columnar.row_groups = Some(vec![group]);
        configure(builder, location, &options)?
            .builder
            .build()
            .map_err(|e| open_error(location, e))
    }
}

/// A local file as parquet's [`ChunkReader`], counting the bytes read for `progress()`.
struct CountingFile {
    file: std::fs::File,
    bytes: Arc<AtomicU64>,
}

impl CountingFile {
    /// Another handle on the same file and count.
    fn try_clone(&self, location: &str) -> Result<Self> {
        Ok(CountingFile {
            file: self.file.try_clone().map_err(|e| Error::io(location, e))?,
            bytes: self.bytes.clone(),
        })
    }
}

impl Length for CountingFile {
    fn len(&self) -> u64 {
        self.file.len()
    }
}

impl ChunkReader for CountingFile {
    type T = CountingRead<<std::fs::File as ChunkReader>::T>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(CountingRead {
            inner: self.file.get_read(start)?,
            bytes: self.bytes.clone(),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.bytes.fetch_add(length as u64, Ordering::Relaxed);
        self.file.get_bytes(start, length)
    }
}

/// A reader that adds what it reads to a byte count.
struct CountingRead<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
