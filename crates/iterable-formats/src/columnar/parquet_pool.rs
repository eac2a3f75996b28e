//! Encoding Parquet with the work of every batch shared out to a pool of threads.
//!
//! Each batch becomes one task a field (encode and compress that field's values), and
//! an idle worker takes the waiting task of the oldest batch among the fields no other
//! worker is on, so the cores stay busy however unevenly the fields cost (a long
//! free-text column beside a few numbers). A field's tasks run one at a time and in
//! order, because its column writers carry state from batch to batch.
//!
//! A row group is closed once it holds the row limit or its writers hold the byte
//! limit, as they stood after the batch [`QUEUED_BATCHES`] back (which every worker
//! has done by then), so the same input always closes its row groups at the same rows
//! and gives the same bytes, however the threads ran. Its close is one more task a field (flush the last page, hand back the column
//! chunks), so the workers go straight on with the next row group's batches while the
//! encoder appends the closed chunks to the file, in schema order, once all of them are
//! in. What comes out is the file `ArrowWriter` writes (the same schema, Arrow metadata,
//! properties and row groups); only the work is spread.

use std::collections::VecDeque;
use std::io::Write;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::errors::{ParquetError, Result};
use parquet::file::writer::SerializedFileWriter;

/// Workers at most, whatever the cores.
const MAX_WORKERS: usize = 4;

/// Batches taken in and not yet encoded in every field: the encoder waits for the
/// workers beyond this, so memory holds a few batches whatever the file's size.
const QUEUED_BATCHES: usize = 3;

/// A field's writers: (leaf column, its writer), in leaf order.
type Writers = Vec<(usize, ArrowColumnWriter)>;

/// A closed field's column chunks: (leaf column, chunk).
type ClosedChunks = Vec<(usize, ArrowColumnChunk)>;

/// A Parquet file being encoded by a pool of workers; see the [module docs](self).
pub(super) struct PoolEncoder<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// Each field's leaf columns (one for a flat field).
    leaves: Vec<Range<usize>>,
    shared: Arc<Shared>,
    /// The workers, started at the first batch; dropping them stops them.
    workers: Workers,
    threads: usize,
    /// Row groups opened so far.
    groups: usize,
    /// Whether a row group is open.
    open: bool,
    /// Rows in the open row group.
    rows: usize,
    /// Batches (parts of batches) given to the open row group.
    parts: usize,
    /// Row groups whose close was asked for and whose chunks are not appended yet,
    /// oldest first, with their estimated encoded size.
    closing: VecDeque<(usize, usize)>,
    max_rows: usize,
    max_bytes: usize,
}

/// What the encoder and the workers share.
struct Shared {
    state: Mutex<State>,
    /// Signalled when a task is given (or the workers are to stop).
    work: Condvar,
    /// Signalled when a task is done.
    done: Condvar,
}

struct State {
    fields: Vec<FieldSlot>,
    /// Tasks given so far: the next task's place in line.
    next_seq: u64,
    /// The first error; the encoder hands it on at its next call.
    error: Option<ParquetError>,
    /// Set with the first error and never cleared: the tasks after it are skipped, and
    /// every later call of the encoder fails.
    failed: bool,
    /// Chunks of closed fields: (row group, field, chunks).
    closed: Vec<(usize, usize, ClosedChunks)>,
    /// Set when the workers are to stop.
    stop: bool,
}

/// One field's writers and the tasks waiting for them.
#[derive(Default)]
struct FieldSlot {
    /// The open row group's writers (taken while a worker runs a task of the field).
    writers: Writers,
    /// Whether a worker is running a task of this field.
    busy: bool,
    tasks: VecDeque<Task>,
    /// What the writers held in memory after each batch not yet looked at: (row
    /// group, its batch, bytes).
    memory_after: VecDeque<(usize, usize, usize)>,
    /// The writers' estimated encoded size, as of their last task.
    estimated: usize,
}

struct Task {
    seq: u64,
    kind: TaskKind,
}

enum TaskKind {
    /// Take these writers for a new row group.
    Open(Writers),
    /// Encode the field's values of a row group's batch: (row group, batch, values).
    Write(usize, usize, ArrayRef),
    /// Close the writers and hand their chunks back as those of this row group.
    Close(usize),
}

impl<W: Write + Send> PoolEncoder<W> {
    /// Takes over `writer` (made for `schema`, nothing written yet). Row groups close at
    /// `max_rows` rows or once their writers hold `max_bytes`.
    pub(super) fn new(
        writer: ArrowWriter<W>,
        schema: SchemaRef,
        max_rows: usize,
        max_bytes: usize,
    ) -> Result<Self> {
        let (file, factory) = writer.into_serialized_writer()?;
        let descr = file.schema_descr();
        let mut leaves = vec![0..0; schema.fields().len()];
        for leaf in 0..descr.num_columns() {
            let root = descr.get_column_root_idx(leaf);
            let range = &mut leaves[root];
            if range.start == range.end {
                *range = leaf..leaf + 1;
            } else {
                range.end = leaf + 1;
            }
        }
        let fields = (0..schema.fields().len())
            .map(|_| FieldSlot::default())
            .collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                fields,
                next_seq: 0,
                error: None,
                failed: false,
                closed: Vec::new(),
                stop: false,
            }),
            work: Condvar::new(),
            done: Condvar::new(),
        });
        Ok(PoolEncoder {
            file,
            factory,
            schema,
            leaves,
            workers: Workers {
                shared: shared.clone(),
                threads: Vec::new(),
            },
            shared,
            threads: threads.clamp(1, MAX_WORKERS),
            groups: 0,
            open: false,
            rows: 0,
            parts: 0,
            closing: VecDeque::new(),
            max_rows: max_rows.max(1),
            max_bytes,
        })
    }

    /// Encodes `batch`, closing row groups as they fill.
    pub(super) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if self.workers.threads.is_empty() {
            self.start_workers();
        }
        let mut offset = 0;
        while offset < batch.num_rows() {
            let n = (self.max_rows - self.rows).min(batch.num_rows() - offset);
            let part = if offset == 0 && n == batch.num_rows() {
                batch.clone()
            } else {
                batch.slice(offset, n)
            };
            if !self.open {
                self.open_row_group()?;
            }
            self.give_batch(&part)?;
            self.rows += n;
            self.parts += 1;
            offset += n;
            if self.rows >= self.max_rows || self.memory_held()? >= self.max_bytes {
                self.close_row_group()?;
            }
            self.append_closed(false)?;
        }
        Ok(())
    }

    /// Bytes written so far and held in the row groups not yet written (an estimate).
    pub(super) fn bytes(&self) -> usize {
        let state = self.shared.lock();
        let open: usize = state.fields.iter().map(|f| f.estimated).sum();
        let closing: usize = self.closing.iter().map(|(_, bytes)| bytes).sum();
        self.file.bytes_written() + open + closing
    }

    /// Closes the last row group, writes the footer and gives the output back.
    pub(super) fn finish(mut self) -> Result<W> {
        self.close_row_group()?;
        self.append_closed(true)?;
        self.workers.stop();
        self.file.into_inner()
    }

    /// Starts the workers: one a core, no more than there are fields.
    fn start_workers(&mut self) {
        let count = self.threads.min(self.schema.fields().len()).max(1);
        for _ in 0..count {
            let shared = self.shared.clone();
            let schema = self.schema.clone();
            let thread = std::thread::Builder::new()
                .name("parquet-encode".to_owned())
                .spawn(move || work(&shared, &schema));
            match thread {
                Ok(thread) => self.workers.threads.push(thread),
                Err(e) if self.workers.threads.is_empty() => {
                    let error = ParquetError::General(format!(
                        "cannot start a Parquet encoding thread: {e}"
                    ));
                    self.shared.lock().fail(error);
                }
                Err(_) => break,
            }
        }
    }

    /// New column writers for a row group, dealt out to the fields.
    fn open_row_group(&mut self) -> Result<()> {
        let mut writers: Vec<Option<ArrowColumnWriter>> = self
            .factory
            .create_column_writers(self.groups)?
            .into_iter()
            .map(Some)
            .collect();
        self.groups += 1;
        let mut state = self.shared.lock();
        for (field, leaves) in self.leaves.iter().enumerate() {
            let mine = leaves
                .clone()
                .filter_map(|leaf| writers[leaf].take().map(|w| (leaf, w)))
                .collect();
            state.give(field, TaskKind::Open(mine));
        }
        drop(state);
        self.shared.work.notify_all();
        self.open = true;
        Ok(())
    }

    /// Gives each field its task for `part` once the workers are not too far behind.
    fn give_batch(&mut self, part: &RecordBatch) -> Result<()> {
        let mut state = self.shared.lock();
        loop {
            state.check()?;
            if state.backlog() < QUEUED_BATCHES {
                break;
            }
            state = self.shared.wait_done(state);
        }
        let (group, batch) = (self.groups - 1, self.parts);
        for field in 0..self.leaves.len() {
            let values = part.column(field).clone();
            state.give(field, TaskKind::Write(group, batch, values));
        }
        drop(state);
        self.shared.work.notify_all();
        Ok(())
    }

    /// What the open row group's writers held after its batch [`QUEUED_BATCHES`] back
    /// from the last one given (0 before there is one). Every field has encoded that
    /// batch: [`give_batch`](Self::give_batch) waited for it.
    fn memory_held(&mut self) -> Result<usize> {
        let Some(batch) = self.parts.checked_sub(QUEUED_BATCHES + 1) else {
            return Ok(0);
        };
        let key = (self.groups - 1, batch);
        let mut state = self.shared.lock();
        state.check()?;
        let mut held = 0;
        for slot in &mut state.fields {
            while let Some(&(group, b, bytes)) = slot.memory_after.front() {
                if (group, b) > key {
                    break;
                }
                slot.memory_after.pop_front();
                if (group, b) == key {
                    held += bytes;
                }
            }
        }
        Ok(held)
    }

    /// Asks every field to close the open row group (if any).
    fn close_row_group(&mut self) -> Result<()> {
        if !self.open {
            return Ok(());
        }
        self.open = false;
        self.rows = 0;
        self.parts = 0;
        let group = self.groups - 1;
        let mut state = self.shared.lock();
        let estimated = state.fields.iter().map(|f| f.estimated).sum();
        for field in 0..self.leaves.len() {
            state.give(field, TaskKind::Close(group));
        }
        drop(state);
        self.shared.work.notify_all();
        self.closing.push_back((group, estimated));
        Ok(())
    }

    /// Appends the closed row groups whose chunks are all in, oldest first; with
    /// `wait`, waits for every row group asked to close.
    fn append_closed(&mut self, wait: bool) -> Result<()> {
        while let Some(&(group, _)) = self.closing.front() {
            let mut state = self.shared.lock();
            let chunks = loop {
                state.check()?;
                let fields = self.leaves.len();
                if state.closed.iter().filter(|c| c.0 == group).count() == fields {
                    break state.take_closed(group);
                }
                if !wait {
                    return Ok(());
                }
                state = self.shared.wait_done(state);
            };
            drop(state);
            let mut row_group = self.file.next_row_group()?;
            for (_, chunk) in chunks {
                chunk.append_to_row_group(&mut row_group)?;
            }
            row_group.close()?;
            self.closing.pop_front();
        }
        Ok(())
    }
}

impl Shared {
    /// The state, even after a worker panicked holding it (a panic while encoding is
    /// caught before the lock is taken, so the state is whole).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait_done<'a>(&self, state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.done.wait(state).unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    /// The first error, once; after it, that an earlier task failed.
    fn check(&mut self) -> Result<()> {
        if !self.failed {
            return Ok(());
        }
        Err(self.error.take().unwrap_or_else(|| {
            ParquetError::General("a Parquet encoding task failed earlier".to_owned())
        }))
    }

    /// Records a task's error (the first one is kept).
    fn fail(&mut self, error: ParquetError) {
        if !self.failed {
            self.failed = true;
            self.error = Some(error);
        }
    }

    /// Queues `kind` for `field`.
    fn give(&mut self, field: usize, kind: TaskKind) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.fields[field].tasks.push_back(Task { seq, kind });
    }

    /// The most tasks any field has waiting or running.
    fn backlog(&self) -> usize {
        self.fields
            .iter()
            .map(|f| f.tasks.len() + usize::from(f.busy))
            .max()
            .unwrap_or(0)
    }

    /// The field whose waiting task came first, among those no worker is on.
    fn next_field(&self) -> Option<usize> {
        self.fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.busy)
            .filter_map(|(i, f)| f.tasks.front().map(|t| (t.seq, i)))
            .min()
            .map(|(_, i)| i)
    }

    /// Takes row group `group`'s chunks, in leaf order.
    fn take_closed(&mut self, group: usize) -> ClosedChunks {
        let mut chunks = Vec::new();
        self.closed.retain_mut(|(g, _, field_chunks)| {
            let mine = *g == group;
            if mine {
                chunks.append(field_chunks);
            }
            !mine
        });
        chunks.sort_by_key(|(leaf, _)| *leaf);
        chunks
    }
}

/// A worker: runs tasks until told to stop.
fn work(shared: &Shared, schema: &SchemaRef) {
    let mut state = shared.lock();
    loop {
        if state.stop {
            return;
        }
        let Some(field) = state.next_field() else {
            state = shared.work.wait(state).unwrap_or_else(|e| e.into_inner());
            continue;
        };
        let slot = &mut state.fields[field];
        let task = slot.tasks.pop_front().expect("next_field found a task");
        let writers = std::mem::take(&mut slot.writers);
        slot.busy = true;
        let skip = state.failed;
        drop(state);

        let outcome = if skip {
            Ok(Done::Skipped)
        } else {
            catch_unwind(AssertUnwindSafe(|| {
                run(task.kind, writers, schema.field(field))
            }))
            .unwrap_or_else(|panic| Err(panicked(&*panic)))
        };

        state = shared.lock();
        let slot = &mut state.fields[field];
        slot.busy = false;
        match outcome {
            Ok(Done::Writers(writers, wrote)) => {
                if let Some((group, batch)) = wrote {
                    let bytes = writers.iter().map(|(_, w)| w.memory_size()).sum();
                    slot.memory_after.push_back((group, batch, bytes));
                }
                slot.estimated = writers
                    .iter()
                    .map(|(_, w)| w.get_estimated_total_bytes())
                    .sum();
                slot.writers = writers;
            }
            Ok(Done::Closed(group, chunks)) => {
                slot.estimated = 0;
                state.closed.push((group, field, chunks));
            }
            Ok(Done::Skipped) => {}
            Err(e) => state.fail(e),
        }
        shared.done.notify_all();
    }
}

/// What a task leaves.
enum Done {
    /// The field's writers, to keep for its next task, and the (row group, batch) they
    /// encoded, if the task was one.
    Writers(Writers, Option<(usize, usize)>),
    /// The field's chunks of a closed row group.
    Closed(usize, ClosedChunks),
    /// Nothing: an error came first.
    Skipped,
}

/// Runs one task of `field` with its `writers`.
fn run(task: TaskKind, mut writers: Writers, field: &Field) -> Result<Done> {
    match task {
        TaskKind::Open(new) => Ok(Done::Writers(new, None)),
        TaskKind::Write(group, batch, array) => {
            let columns = compute_leaves(field, &array)?;
            for (column, (_, writer)) in columns.iter().zip(writers.iter_mut()) {
                writer.write(column)?;
            }
            Ok(Done::Writers(writers, Some((group, batch))))
        }
        TaskKind::Close(group) => {
            let chunks = writers
                .into_iter()
                .map(|(leaf, w)| Ok((leaf, w.close()?)))
                .collect::<Result<_>>()?;
            Ok(Done::Closed(group, chunks))
        }
    }
}

/// The error for a task that panicked.
fn panicked(panic: &(dyn std::any::Any + Send)) -> ParquetError {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    ParquetError::General(format!("a Parquet encoding thread panicked: {message}"))
}

/// The workers' threads; dropping them stops the threads (after the task they are on).
struct Workers {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    fn stop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.work.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::{Int64Array, StringArray};
    use arrow_schema::{DataType, Schema};
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::file::properties::WriterProperties;

    /// `n` rows from `start`: an id, a long text, a short text and a list of texts
    /// (two leaf columns' worth of nesting), so the fields cost unevenly.
    fn batch(start: i64, n: usize) -> RecordBatch {
        let ids: Vec<i64> = (start..start + n as i64).collect();
        let long: Vec<String> = ids.iter().map(|i| format!("{i:>40}-text")).collect();
        let short: Vec<Option<String>> = ids
            .iter()
            .map(|i| (i % 7 != 0).then(|| (i % 5).to_string()))
            .collect();
        let mut tags = ListBuilder::new(StringBuilder::new());
        for i in &ids {
            for t in 0..(i % 3) {
                tags.values().append_value(format!("t{t}"));
            }
            tags.append(i % 11 != 0);
        }
        RecordBatch::try_from_iter([
            ("id", Arc::new(Int64Array::from(ids)) as ArrayRef),
            ("long", Arc::new(StringArray::from(long)) as ArrayRef),
            ("short", Arc::new(StringArray::from(short)) as ArrayRef),
            ("tags", Arc::new(tags.finish()) as ArrayRef),
        ])
        .unwrap()
    }

    fn encoder(schema: SchemaRef, max_rows: usize, max_bytes: usize) -> PoolEncoder<Vec<u8>> {
        let props = WriterProperties::builder().build();
        let writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props)).unwrap();
        PoolEncoder::new(writer, schema, max_rows, max_bytes).unwrap()
    }

    fn read_back(file: Vec<u8>) -> (Vec<RecordBatch>, Vec<i64>) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(file)).unwrap();
        let groups = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        let batches = reader.build().unwrap().collect::<Result<_, _>>().unwrap();
        (batches, groups)
    }

    #[test]
    fn every_row_comes_back_in_order_across_row_groups() {
        let batches: Vec<RecordBatch> = (0..10).map(|b| batch(b * 1000, 1000)).collect();
        let mut pool = encoder(batches[0].schema(), 2500, usize::MAX);
        for b in &batches {
            pool.write(b).unwrap();
        }
        let (read, groups) = read_back(pool.finish().unwrap());
        assert_eq!(groups, [2500, 2500, 2500, 2500]);
        let expected =
            arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap();
        let got = arrow_select::concat::concat_batches(&read[0].schema(), &read).unwrap();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_row_group_closes_at_the_byte_limit() {
        let batches: Vec<RecordBatch> = (0..20).map(|b| batch(b * 1000, 1000)).collect();
        let mut pool = encoder(batches[0].schema(), usize::MAX, 200_000);
        for b in &batches {
            pool.write(b).unwrap();
        }
        let (read, groups) = read_back(pool.finish().unwrap());
        assert!(groups.len() > 2, "{groups:?}");
        assert_eq!(groups.iter().sum::<i64>(), 20_000);
        assert_eq!(read.iter().map(|b| b.num_rows()).sum::<usize>(), 20_000);
    }

    #[test]
    fn the_same_batches_give_the_same_bytes() {
        let batches: Vec<RecordBatch> = (0..30).map(|b| batch(b * 1000, 1000)).collect();
        let encode = || {
            let mut pool = encoder(batches[0].schema(), usize::MAX, 150_000);
            for b in &batches {
                pool.write(b).unwrap();
            }
            pool.finish().unwrap()
        };
        let first = encode();
        let (_, groups) = read_back(first.clone());
        assert!(groups.len() > 3, "{groups:?}");
        for _ in 0..5 {
            assert!(
                encode() == first,
                "the bytes differ from one run to the next"
            );
        }
    }

    #[test]
    fn an_empty_file_has_the_schema_and_no_row_group() {
        let schema = batch(0, 1).schema();
        let pool = encoder(schema.clone(), 10, usize::MAX);
        let file = pool.finish().unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(file)).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 0);
        assert_eq!(reader.schema().fields().len(), schema.fields().len());
    }

    #[test]
    fn a_column_that_does_not_fit_its_writer_is_an_error_not_a_hang() {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
        let mut pool = encoder(schema, 1000, usize::MAX);
        // A batch whose column is text where the writer was made for integers.
        let wrong = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("a", DataType::Utf8, true)])),
            vec![Arc::new(StringArray::from(vec!["x"; 10])) as ArrayRef],
        )
        .unwrap();
        // The task fails on a worker; a later call hands the error on.
        let mut result = Ok(());
        for _ in 0..100 {
            result = pool.write(&wrong);
            if result.is_err() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let error = result.unwrap_err();
        assert!(error.to_string().contains("Int64"), "{error}");
        let later = pool.finish().map(|_| ()).unwrap_err();
        assert!(later.to_string().contains("failed earlier"), "{later}");
    }

    #[test]
    fn a_panic_message_is_kept_in_the_error() {
        let error = panicked(&"boom");
        assert_eq!(
            error.to_string(),
            "Parquet error: a Parquet encoding thread panicked: boom"
        );
        assert!(
            panicked(&String::from("owned"))
                .to_string()
                .ends_with("owned")
        );
    }
}
