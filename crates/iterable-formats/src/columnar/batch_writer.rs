//! The row side of the columnar writers: rows are buffered, the schema is taken from the
//! options or inferred from the first rows, and every `batch_size` rows become one
//! [`RecordBatch`] handed to a [`BatchSink`] (Parquet or Arrow IPC encoding).

use std::pin::Pin;
use std::task::{Context, Poll};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{AsyncIterable, Error, IterableInfo, Progress, Result, Row};

use super::from_rows::rows_to_record_batch;
use super::schema_infer::infer_schema;
use super::schema_text::parse_schema;
use crate::WriteContext;
use crate::read_refusal::{ReadRefusal, refuse};

/// The fewest rows of a bulk write made into a batch at once (fewer wait for more).
const DIRECT_ROWS: usize = 1024;

/// An encoder of record batches into bytes: Parquet or Arrow IPC.
pub(crate) trait BatchSink: Send + Unpin + 'static {
    /// Called once, with the schema, before the first batch.
    fn start(&mut self, schema: SchemaRef) -> BoxFuture<'_, Result<()>>;
    /// Encodes one batch (of the started schema).
    fn write<'a>(&'a mut self, batch: &'a RecordBatch) -> BoxFuture<'a, Result<()>>;
    /// Writes the footer and shuts the byte sink down (which publishes the file).
    fn finish(&mut self) -> BoxFuture<'_, Result<()>>;
    /// Encoded bytes handed to the byte sink so far.
    fn bytes_written(&self) -> u64;
}

/// Rows in, batches out: an [`AsyncIterable`] writer over a [`BatchSink`].
pub(crate) struct BatchWriter<S: BatchSink> {
    info: IterableInfo,
    sink: S,
    schema: Option<SchemaRef>,
    /// Whether the sink has its schema.
    started: bool,
    scan_rows: usize,
    batch_size: usize,
    pending: Vec<Row>,
    /// Rows already encoded (before `pending`).
    flushed: u64,
    state: State,
    refusal: ReadRefusal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Failed,
    Closed,
}

impl<S: BatchSink> BatchWriter<S> {
    /// A writer of `ctx.info.location` with the schema of the options, if any.
    pub(crate) fn new(sink: S, ctx: WriteContext) -> Result<Self> {
        let schema = match &ctx.options.columnar.schema {
            Some(columns) => Some(parse_schema(columns)?),
            None => None,
        };
        Ok(Self::with_schema(sink, ctx, schema))
    }

    /// A writer with this schema (`None`: inferred from the first rows).
    pub(crate) fn with_schema(sink: S, ctx: WriteContext, schema: Option<SchemaRef>) -> Self {
        BatchWriter {
            sink,
            schema,
            started: false,
            scan_rows: ctx.options.columnar.schema_scan_rows.max(1),
            batch_size: ctx.options.batch_size.max(1),
            pending: Vec::new(),
            flushed: 0,
            state: State::Open,
            refusal: ReadRefusal::default(),
            info: ctx.info,
        }
    }

    fn check_open(&self) -> Result<()> {
        match self.state {
            State::Open => Ok(()),
            State::Failed => Err(Error::unsupported(
                &self.info.location,
                "an earlier write failed; the file is not written",
            )),
            State::Closed => Err(Error::unsupported(
                &self.info.location,
                "the writer is closed",
            )),
        }
    }

    /// Settles the schema (inferring it from the pending rows) and starts the sink.
    async fn ensure_started(&mut self) -> Result<SchemaRef> {
        if let (true, Some(schema)) = (self.started, &self.schema) {
            return Ok(schema.clone());
        }
        let schema = match self.schema.clone() {
            Some(schema) => schema,
            None => {
                let inferred = infer_schema(&self.pending).map_err(|e| Error::Write {
                    location: self.info.location.clone(),
                    row: self.flushed + 1,
                    message: format!("cannot infer a schema from the first rows: {e}"),
                })?;
                std::sync::Arc::new(inferred)
            }
        };
        self.sink.start(schema.clone()).await?;
        self.schema = Some(schema.clone());
        self.started = true;
        Ok(schema)
    }

    /// Encodes the pending rows as one batch.
    async fn flush(&mut self) -> Result<()> {
        let schema = self.ensure_started().await?;
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = rows_to_record_batch(&self.pending, &schema).map_err(|e| Error::Write {
            location: self.info.location.clone(),
            row: self.flushed + e.row as u64 + 1,
            message: e.to_string(),
        })?;
        self.sink.write(&batch).await?;
        self.flushed += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    /// Encodes a batch as it is (its schema must be the writer's; the first batch
    /// settles the schema when none is given).
    pub(crate) async fn write_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        self.check_open()?;
        let result = async {
            if self.schema.is_none() && self.pending.is_empty() {
                self.schema = Some(batch.schema());
            }
            self.flush().await?;
            let schema = self.ensure_started().await?;
            if batch.schema().fields() != schema.fields() {
                return Err(Error::Write {
                    location: self.info.location.clone(),
                    row: self.flushed + 1,
                    message: format!(
                        "the batch's schema ({:?}) is not the file's ({:?})",
                        batch.schema().fields(),
                        schema.fields()
                    ),
                });
            }
            self.sink.write(batch).await?;
            self.flushed += batch.num_rows() as u64;
            Ok(())
        }
        .await;
        self.fail_on_error(result)
    }

    fn fail_on_error(&mut self, result: Result<()>) -> Result<()> {
        if result.is_err() {
            self.state = State::Failed;
            self.pending.clear();
        }
        result
    }

    async fn write_row(&mut self, row: &Row) -> Result<()> {
        self.check_open()?;
        self.pending.push(row.clone());
        let threshold = if self.schema.is_some() {
            self.batch_size
        } else {
            self.scan_rows
        };
        if self.pending.len() >= threshold {
            let result = self.flush().await;
            self.fail_on_error(result)?;
        }
        Ok(())
    }

    /// Writes `rows`: once the schema is settled, batches (of at most `batch_size`
    /// rows) are made straight from the slice instead of copying its rows to wait; only
    /// a slice of fewer than [`DIRECT_ROWS`] rows waits for more.
    async fn write_rows(&mut self, mut rows: &[Row]) -> Result<()> {
        // Until the schema is settled, rows wait for the scan that infers it.
        while !rows.is_empty() && self.schema.is_none() {
            self.write_row(&rows[0]).await?;
            rows = &rows[1..];
        }
        if rows.is_empty() {
            return Ok(());
        }
        self.check_open()?;
        let started = self.ensure_started().await.map(|_| ());
        self.fail_on_error(started)?;
        if self.pending.len() + rows.len() < DIRECT_ROWS.min(self.batch_size) {
            self.pending.extend_from_slice(rows);
            return Ok(());
        }
        if !self.pending.is_empty() {
            let result = self.flush().await;
            self.fail_on_error(result)?;
        }
        for batch in rows.chunks(self.batch_size) {
            let result = self.write_slice(batch).await;
            self.fail_on_error(result)?;
        }
        Ok(())
    }

    /// Encodes `rows` as one batch (the schema settled, nothing pending).
    async fn write_slice(&mut self, rows: &[Row]) -> Result<()> {
        self.check_open()?;
        let schema = self.ensure_started().await?;
        let batch = rows_to_record_batch(rows, &schema).map_err(|e| Error::Write {
            location: self.info.location.clone(),
            row: self.flushed + e.row as u64 + 1,
            message: e.to_string(),
        })?;
        self.sink.write(&batch).await?;
        self.flushed += rows.len() as u64;
        Ok(())
    }

    async fn close(&mut self) -> Result<()> {
        match self.state {
            State::Closed => return Ok(()),
            State::Failed => return self.check_open(),
            State::Open => {}
        }
        let result = async {
            self.flush().await?;
            self.sink.finish().await
        }
        .await;
        self.fail_on_error(result)?;
        self.state = State::Closed;
        Ok(())
    }
}

impl<S: BatchSink> Stream for BatchWriter<S> {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        let this = &mut *self;
        this.refusal.poll_next(&this.info)
    }
}

impl<S: BatchSink> AsyncIterable for BatchWriter<S> {
    fn aread(&mut self) -> BoxFuture<'_, Result<Option<Row>>> {
        refuse(&self.info)
    }

    fn aread_bulk(&mut self, _n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        refuse(&self.info)
    }

    fn awrite<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.write_row(row))
    }

    fn awrite_bulk<'a>(&'a mut self, rows: &'a [Row]) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.write_rows(rows))
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.close())
    }

    fn info(&self) -> &IterableInfo {
        &self.info
    }

    fn progress(&self) -> Progress {
        Progress {
            rows: self.flushed + self.pending.len() as u64,
            bytes: self.sink.bytes_written(),
            bytes_total: None,
            skipped: 0,
        }
    }
}
