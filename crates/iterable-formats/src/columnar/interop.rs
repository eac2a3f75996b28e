//! Arrow interop: any row iterable as a stream of [`RecordBatch`]es (to hand to
//! DataFusion, Polars, ...), and a writer that takes record batches for any format
//! (Parquet and Arrow IPC encode them as they are; row formats get their rows).

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures_util::StreamExt;
use iterable_core::{AsyncIterable, BoxIterable, Error, Format, Options, Progress, Result, Row};
use tokio::io::AsyncWrite;

use super::BatchStream;
use super::batch_writer::{BatchSink, BatchWriter};
use super::from_rows::rows_to_record_batch;
use super::schema_infer::infer_schema;
use super::schema_text::parse_schema;
use super::to_value::{header_of, record_batch_to_rows};
use crate::WriteContext;

/// The rows of `rows` as record batches of `options.batch_size` rows. The schema is
/// `options.columnar.schema` when given, else inferred from the first
/// `options.columnar.schema_scan_rows` rows (see the [module docs](super)); a later row
/// that does not fit is an error naming the row, column and value, and ends the stream.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use futures_util::StreamExt;
/// use iterable_core::{Codec, Format, IterableInfo, Mode, Options};
/// use iterable_formats::{columnar::batches_from_rows, open_reader, ReadContext};
///
/// let csv: &[u8] = b"id,name\n1,Anna\n2,Ben\n3,Cleo\n";
/// let info = IterableInfo { location: "inline.csv".into(), format: Format::CSV, codec: Codec::None, mode: Mode::Read, encoding: None };
/// let mut options = Options::default();
/// options.csv.infer_types = true;
/// options.batch_size = 2;
/// let rows = open_reader(csv, ReadContext::new(info, options.clone())).await.unwrap();
/// let batches: Vec<_> = batches_from_rows(rows, &options).unwrap().collect().await;
/// assert_eq!(batches.len(), 2);
/// let first = batches[0].as_ref().unwrap();
/// assert_eq!(first.num_rows(), 2);
/// assert_eq!(first.schema().field(0).data_type(), &arrow_schema::DataType::Int64);
/// # });
/// ```
pub fn batches_from_rows(rows: BoxIterable, options: &Options) -> Result<BatchStream> {
    let schema = match &options.columnar.schema {
        Some(columns) => Some(parse_schema(columns)?),
        None => None,
    };
    let state = RowBatches {
        rows,
        schema,
        scan_rows: options.columnar.schema_scan_rows.max(1),
        batch_size: options.batch_size.max(1),
        done: false,
        seen: 0,
        pending: Vec::new(),
    };
    Ok(futures_util::stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        match state.next_batch().await {
            Ok(Some(batch)) => Some((Ok(batch), state)),
            Ok(None) => None,
            Err(e) => {
                state.done = true;
                Some((Err(e), state))
            }
        }
    })
    .boxed())
}

struct RowBatches {
    rows: BoxIterable,
    schema: Option<SchemaRef>,
    scan_rows: usize,
    batch_size: usize,
    done: bool,
    /// Rows turned into batches so far (for error row numbers).
    seen: u64,
    /// Rows read for schema inference, not yet in a batch.
    pending: Vec<Row>,
}

impl RowBatches {
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let location = self.rows.info().location.clone();
        let schema = match &self.schema {
            Some(schema) => schema.clone(),
            None => {
                self.pending = self.rows.aread_bulk(self.scan_rows).await?;
                let schema = Arc::new(infer_schema(&self.pending).map_err(|e| {
                    Error::unsupported(
                        &location,
                        format!("cannot infer a schema from the first rows: {e}"),
                    )
                })?);
                self.schema = Some(schema.clone());
                schema
            }
        };
        let rows = if self.pending.is_empty() {
            self.rows.aread_bulk(self.batch_size).await?
        } else {
            let take = self.pending.len().min(self.batch_size);
            self.pending.drain(..take).collect()
        };
        if rows.is_empty() {
            self.done = true;
            return Ok(None);
        }
        let batch = rows_to_record_batch(&rows, &schema).map_err(|e| Error::Write {
            location,
            row: self.seen + e.row as u64 + 1,
            message: e.to_string(),
        })?;
        self.seen += rows.len() as u64;
        Ok(Some(batch))
    }
}

/// Writes one record batch to any row writer, as rows.
pub async fn write_record_batch(dst: &mut dyn AsyncIterable, batch: &RecordBatch) -> Result<()> {
    let location = dst.info().location.clone();
    let rows = record_batch_to_rows(batch, &header_of(&batch.schema()))
        .map_err(|e| Error::unsupported(&location, e.to_string()))?;
    dst.awrite_bulk(&rows).await
}

type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

/// A writer of record batches. Parquet, Arrow IPC and ORC encode each batch as it is (the
/// first batch, or `columnar.schema`, sets the file's schema; a later batch of another
/// schema is an error); other formats write the batch's rows. [`close`](Self::close)
/// finishes the file; dropped before that, it leaves none (like every writer).
pub struct RecordBatchWriter {
    target: Target,
}

enum Target {
    Columnar(Box<dyn ColumnarTarget>),
    Rows(BoxIterable),
}

/// A `BatchWriter` of any sink, as an object.
trait ColumnarTarget: Send {
    fn write<'a>(
        &'a mut self,
        batch: &'a RecordBatch,
    ) -> futures_core::future::BoxFuture<'a, Result<()>>;
    fn close(&mut self) -> futures_core::future::BoxFuture<'_, Result<()>>;
    fn progress(&self) -> Progress;
}

impl<S: BatchSink> ColumnarTarget for BatchWriter<S> {
    fn write<'a>(
        &'a mut self,
        batch: &'a RecordBatch,
    ) -> futures_core::future::BoxFuture<'a, Result<()>> {
        Box::pin(self.write_batch(batch))
    }
    fn close(&mut self) -> futures_core::future::BoxFuture<'_, Result<()>> {
        AsyncIterable::aclose(self)
    }
    fn progress(&self) -> Progress {
        AsyncIterable::progress(self)
    }
}

impl std::fmt::Debug for RecordBatchWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordBatchWriter")
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl RecordBatchWriter {
    /// Writes one batch.
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match &mut self.target {
            Target::Columnar(w) => w.write(batch).await,
            Target::Rows(w) => write_record_batch(w.as_mut(), batch).await,
        }
    }

    /// Finishes the file (footer, trailer) and publishes it.
    pub async fn close(&mut self) -> Result<()> {
        match &mut self.target {
            Target::Columnar(w) => w.close().await,
            Target::Rows(w) => w.aclose().await,
        }
    }

    /// Rows and bytes written so far.
    pub fn progress(&self) -> Progress {
        match &self.target {
            Target::Columnar(w) => w.progress(),
            Target::Rows(w) => w.progress(),
        }
    }
}

/// Opens a writer of record batches of `ctx.info.format` over `writer`.
pub async fn open_batch_writer<W>(writer: W, ctx: WriteContext) -> Result<RecordBatchWriter>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let writer: BoxWrite = Box::new(writer);
    let target = match ctx.info.format {
        #[cfg(feature = "parquet")]
        Format::PARQUET => Target::Columnar(Box::new(super::parquet_write::parquet_batch_writer(
            writer, ctx,
        )?)),
        Format::ARROW => {
            Target::Columnar(Box::new(super::ipc_write::ipc_batch_writer(writer, ctx)?))
        }
        #[cfg(feature = "orc")]
        Format::ORC => Target::Columnar(Box::new(crate::orc::orc_batch_writer(writer, ctx)?)),
        _ => Target::Rows(crate::open_writer(writer, ctx).await?),
    };
    Ok(RecordBatchWriter { target })
}
