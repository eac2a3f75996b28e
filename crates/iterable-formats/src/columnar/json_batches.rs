//! The columnar road for JSON Lines and JSON arrays: records read straight into record
//! batches.
//!
//! The first `schema_scan_rows` lines are read as rows and decide the schema as the row
//! road does (their strings typed by [`TextTypes`] when asked, then [`infer_schema`]).
//! From there on each line goes to [`JsonColumns`], which appends a flat record's
//! fields to the column buffers without making a row; a line it does not take (nested
//! values, a key out of the schema, a value that does not fit) is read as a row and
//! made into arrays by [`rows_to_record_batch`], so both roads give the same values and
//! the same errors. A JSON array's elements (`json::ElementReader`, the JSON reader's
//! own framing, `tagname` included) go the same way as lines. A schema with a column the sink does not make (a list, a struct,
//! binary, a decimal) is read by rows throughout.
//!
//! Parsing is on the task that polls the reader, or, when the options ask for more
//! than one parsing thread, in blocks on other threads once the schema is decided
//! (each block's lines go to a sink of its own, whose batch comes back in its place:
//! see [`LineReader::parse_in_blocks`]); the batches' encoding is the writer's to
//! spread.

use std::collections::VecDeque;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{Schema, SchemaRef};
use iterable_core::{Error, Progress, Result, Row};
use tokio::io::AsyncBufRead;

use super::json_columns::JsonColumns;
use super::text_batches::COLUMNAR_BLOCK_BYTES;
use super::{infer_schema, rows_to_record_batch};
use crate::ReadContext;
use crate::csv::{ColumnType, StringTyping, TextTypes};
use crate::json::ElementReader;
use crate::jsonl::{Item, LineReader, LineSink};

/// How the strings of JSON Lines are typed on the columnar road.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonTyping {
    /// How many rows decide the schema (the `schema_scan_rows` option).
    pub scan_rows: usize,
    /// Whether strings that are dates or date-times become them
    /// ([`StringTyping::Temporal`]); else strings stay strings.
    pub temporal: bool,
}

/// Where the records come from: the lines of JSON Lines or the elements of a JSON
/// array, each offered to the sink first.
enum Records<R> {
    Lines(LineReader<R>),
    Elements(ElementReader<R>),
}

impl<R: AsyncBufRead + Unpin> Records<R> {
    fn poll_item(
        &mut self,
        cx: &mut std::task::Context<'_>,
        sink: Option<&mut (dyn LineSink + '_)>,
    ) -> std::task::Poll<Option<Result<Item>>> {
        match self {
            Records::Lines(lines) => lines.poll_item(cx, sink),
            Records::Elements(elements) => elements.poll_item(cx, sink),
        }
    }

    fn progress(&self) -> Progress {
        match self {
            Records::Lines(lines) => lines.progress(),
            Records::Elements(elements) => elements.progress(),
        }
    }

    /// Parsing in blocks from here on, when asked (lines only: an array's elements
    /// have no place to cut at without scanning them).
    fn parse_in_blocks(&mut self, sink: &JsonColumns) {
        if let Records::Lines(lines) = self {
            lines.parse_in_blocks(sink);
        }
    }
}

/// A reader of JSON Lines or a JSON array as record batches: flat records straight into
/// the columns, the others by rows in their places, with the row road's values and
/// errors.
pub struct JsonBatchReader<R> {
    lines: Records<R>,
    typing: JsonTyping,
    error_location: String,
    decided: Option<Decided>,
    /// Rows of the sample not yet made into batches.
    held: VecDeque<Row>,
    /// Parts of the next batch, in order: batches made, then rows not yet made into one
    /// (`slow`), then what the sink holds.
    parts: Vec<RecordBatch>,
    parts_rows: usize,
    slow: Vec<Row>,
    /// Rows put into batches so far (for the row numbers in errors).
    rows_out: u64,
    batch_rows: usize,
    /// A block's batch not yet handed out whole (rows gathered before it made a batch
    /// first).
    carried: Option<RecordBatch>,
    /// An error met after rows that go out first.
    failed: Option<Error>,
    done: bool,
}

struct Decided {
    schema: SchemaRef,
    types: Option<TextTypes>,
    sink: Option<JsonColumns>,
}

impl<R> std::fmt::Debug for JsonBatchReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonBatchReader")
            .field("rows_out", &self.rows_out)
            .finish_non_exhaustive()
    }
}

impl<R: AsyncBufRead + Send + Unpin> JsonBatchReader<R> {
    /// A reader of the JSON Lines in `reader` (the options of `ctx`; a JSON array when
    /// `ctx` says the format is JSON), in batches of up to `ctx.options.batch_size`
    /// rows. Errors about a value's type name `error_location`.
    pub fn new(reader: R, mut ctx: ReadContext, typing: JsonTyping, error_location: &str) -> Self {
        let batch_rows = ctx.options.batch_size.max(1);
        // Blocks large enough that each block's batch is worth encoding on its own.
        let parallel = &mut ctx.options.parallel;
        parallel.block_bytes = parallel.block_bytes.max(COLUMNAR_BLOCK_BYTES);
        let lines = if ctx.info.format == iterable_core::Format::JSON {
            Records::Elements(ElementReader::new(reader, ctx))
        } else {
            Records::Lines(LineReader::new(reader, ctx))
        };
        JsonBatchReader {
            lines,
            typing,
            error_location: error_location.to_owned(),
            decided: None,
            held: VecDeque::new(),
            parts: Vec::new(),
            parts_rows: 0,
            slow: Vec::new(),
            rows_out: 0,
            batch_rows,
            carried: None,
            failed: None,
            done: false,
        }
    }

    /// Rows, bytes and skipped lines read so far.
    pub fn progress(&self) -> Progress {
        self.lines.progress()
    }

    /// The schema, once the first rows have decided it (after the first
    /// [`next_batch`](Self::next_batch)).
    pub fn schema(&self) -> Option<SchemaRef> {
        self.decided.as_ref().map(|d| d.schema.clone())
    }

    /// The batches as a stream.
    pub fn into_stream(self) -> super::BatchStream
    where
        R: 'static,
    {
        super::batch_stream(self)
    }

    /// The next batch; `None` at the end. An error ends the reading.
    pub async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.decided.is_none() {
            if self.done {
                return Ok(None);
            }
            if let Err(e) = self.decide().await {
                self.done = true;
                return Err(e);
            }
        }
        if !self.held.is_empty() {
            let n = self.held.len().min(self.batch_rows);
            let rows: Vec<Row> = self.held.drain(..n).collect();
            let batch = self.rows_batch(rows)?;
            return Ok(Some(batch));
        }
        loop {
            if let Some(batch) = self.carried.take()
                && let Some(ready) = self.block_batch(batch)?
            {
                return Ok(Some(ready));
            }
            if let Some(e) = self.failed.take() {
                self.done = true;
                return Err(e);
            }
            if self.done {
                return self.assemble().map(|b| (b.num_rows() > 0).then_some(b));
            }
            let room = self
                .batch_rows
                .saturating_sub(self.parts_rows + self.slow.len());
            if room == 0 {
                return self.assemble().map(Some);
            }
            let decided = self.decided.as_mut().expect("decided above");
            let lines = &mut self.lines;
            let item = match decided.sink.as_mut() {
                Some(sink) => {
                    sink.set_limit(room);
                    std::future::poll_fn(|cx| lines.poll_item(cx, Some(sink as &mut dyn LineSink)))
                        .await
                }
                None => std::future::poll_fn(|cx| lines.poll_item(cx, None)).await,
            };
            match item {
                Some(Ok(Item::Row(row))) => {
                    self.sink_to_parts()?;
                    self.slow.push(row);
                }
                Some(Ok(Item::Full)) => return self.assemble().map(Some),
                Some(Ok(Item::Batch(batch))) => {
                    if let Some(ready) = self.block_batch(batch)? {
                        return Ok(Some(ready));
                    }
                }
                Some(Err(e)) => {
                    let batch = self.assemble()?;
                    if batch.num_rows() == 0 {
                        self.done = true;
                        return Err(e);
                    }
                    self.failed = Some(e);
                    return Ok(Some(batch));
                }
                None => self.done = true,
            }
        }
    }

    /// Reads the first rows and decides the schema from them.
    async fn decide(&mut self) -> Result<()> {
        let scan = self.typing.scan_rows.max(1);
        let lines = &mut self.lines;
        while self.held.len() < scan {
            match std::future::poll_fn(|cx| lines.poll_item(cx, None)).await {
                Some(Ok(Item::Row(row))) => self.held.push_back(row),
                Some(Ok(Item::Full | Item::Batch(_))) => {
                    unreachable!("no sink while the schema is decided")
                }
                Some(Err(e)) => return Err(e),
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        let rows = self.held.make_contiguous();
        let types = self
            .typing
            .temporal
            .then(|| TextTypes::infer(rows, StringTyping::Temporal, &self.error_location));
        let types = types.filter(TextTypes::changes_anything);
        if let Some(types) = &types {
            types.clone().apply(rows, 1)?;
        }
        let schema = Arc::new(infer_schema(rows).map_err(|e| Error::Write {
            location: self.error_location.clone(),
            row: 1,
            message: format!("cannot infer a schema from the first rows: {e}"),
        })?);
        let sink = JsonColumns::new(schema.clone(), |name| {
            types
                .as_ref()
                .map_or(ColumnType::Unknown, |t| t.type_of(name))
        });
        if let Some(sink) = &sink {
            self.lines.parse_in_blocks(sink);
        }
        self.decided = Some(Decided {
            schema,
            types,
            sink,
        });
        Ok(())
    }

    /// `rows` (typed already, or not yet when they came after the sample) as a batch of
    /// the schema, numbered from the next row out.
    fn rows_batch(&mut self, mut rows: Vec<Row>) -> Result<RecordBatch> {
        let decided = self.decided.as_mut().expect("the schema is decided first");
        let first = self.rows_out + 1;
        let sampled = self.rows_out < self.typing.scan_rows.max(1) as u64;
        if let (Some(types), false) = (decided.types.as_mut(), sampled) {
            types.apply(&mut rows, first)?;
        }
        let batch = rows_to_record_batch(&rows, &decided.schema).map_err(|e| Error::Write {
            location: self.error_location.clone(),
            row: first + e.row as u64,
            message: e.to_string(),
        })?;
        self.rows_out += rows.len() as u64;
        Ok(batch)
    }

    /// A block's batch, in order after what is gathered: handed out as it is when
    /// nothing is gathered before it (its first `batch_rows` rows, the rest carried to
    /// the next call), else added to the parts when they have room for it; else the
    /// parts go out as a batch and it is carried.
    fn block_batch(&mut self, batch: RecordBatch) -> Result<Option<RecordBatch>> {
        self.sink_to_parts()?;
        let rows = batch.num_rows();
        if self.parts.is_empty() {
            let out = if rows > self.batch_rows {
                self.carried = Some(batch.slice(self.batch_rows, rows - self.batch_rows));
                batch.slice(0, self.batch_rows)
            } else {
                batch
            };
            self.rows_out += out.num_rows() as u64;
            return Ok(Some(out));
        }
        if self.parts_rows + rows <= self.batch_rows {
            self.rows_out += rows as u64;
            self.parts_rows += rows;
            self.parts.push(batch);
            return Ok(None);
        }
        self.carried = Some(batch);
        self.assemble().map(Some)
    }

    /// Moves the rows read by rows and then the sink's rows into `parts`, in order.
    fn sink_to_parts(&mut self) -> Result<()> {
        if !self.slow.is_empty() {
            let rows = std::mem::take(&mut self.slow);
            let batch = self.rows_batch(rows)?;
            self.parts_rows += batch.num_rows();
            self.parts.push(batch);
        }
        let decided = self.decided.as_mut().expect("the schema is decided first");
        if let Some(sink) = decided.sink.as_mut().filter(|s| s.len() > 0) {
            let batch = sink.take_batch();
            self.rows_out += batch.num_rows() as u64;
            self.parts_rows += batch.num_rows();
            self.parts.push(batch);
        }
        Ok(())
    }

    /// Everything read so far as one batch (possibly empty).
    fn assemble(&mut self) -> Result<RecordBatch> {
        self.sink_to_parts()?;
        self.parts_rows = 0;
        let parts = std::mem::take(&mut self.parts);
        let schema = self.schema().unwrap_or_else(|| Arc::new(Schema::empty()));
        match parts.len() {
            0 => Ok(RecordBatch::new_empty(schema)),
            1 => Ok(parts.into_iter().next().expect("one part")),
            _ => arrow_select::concat::concat_batches(&schema, &parts).map_err(|e| Error::Write {
                location: self.error_location.clone(),
                row: self.rows_out,
                message: e.to_string(),
            }),
        }
    }
}

impl<R: AsyncBufRead + Send + Unpin + 'static> super::NextBatch for JsonBatchReader<R> {
    fn next_batch(
        &mut self,
    ) -> impl std::future::Future<Output = Result<Option<RecordBatch>>> + Send {
        JsonBatchReader::next_batch(self)
    }
}
