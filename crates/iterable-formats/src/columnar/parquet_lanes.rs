//! Encoding Parquet with a row group's columns spread over threads ("lanes"): each
//! lane is a thread that owns the column writers of some columns and encodes and
//! compresses its columns of every batch, so that the cores share the work without
//! waiting for each other batch by batch. A row group is closed once it holds the row
//! limit or its encoded size reaches the byte limit: every lane closes its writers and
//! the column chunks are appended in schema order. The lanes are planned once, from the
//! first batch, so that each gets about the same bytes to encode. What comes out is the
//! file `ArrowWriter` writes (the same schema, Arrow metadata, properties and row
//! groups); only the work is spread.

use std::io::Write;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::errors::{ParquetError, Result};
use parquet::file::writer::SerializedFileWriter;

/// Lanes at most, whatever the cores.
const MAX_LANES: usize = 4;

/// Batches waiting for a lane.
const LANE_QUEUE: usize = 2;

/// A Parquet file being encoded in lanes; see the [module docs](self).
pub(super) struct LaneEncoder<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// Each field's leaf columns (one for a flat field).
    leaves: Vec<Range<usize>>,
    threads: usize,
    /// The lanes, started at the first batch.
    lanes: Lanes,
    /// Set by a lane whose writing failed.
    failed: Failed,
    /// Whether a row group is open in the lanes.
    open: bool,
    /// Rows in the open row group.
    rows: usize,
    max_rows: usize,
    max_bytes: usize,
}

/// What the encoder tells a lane.
enum ToLane {
    /// Column writers for a new row group.
    Open(Vec<(usize, ArrowColumnWriter)>),
    /// Encode your columns of this batch.
    Batch(RecordBatch),
    /// Close your writers and hand the chunks back.
    Close,
}

type Chunks = Vec<(usize, ArrowColumnChunk)>;

/// The encoder's end of a lane.
struct LaneHandle {
    fields: Vec<usize>,
    to: Option<SyncSender<ToLane>>,
    closed: Receiver<Result<Chunks>>,
    /// What the lane's open writers hold in memory, and their estimated encoded size.
    memory: Arc<AtomicUsize>,
    estimated: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

/// Set by a lane whose writing failed: the encoder closes the row group at once to
/// learn why.
type Failed = Arc<AtomicBool>;

/// The lanes; dropping them ends their threads (after the work they were given).
#[derive(Default)]
struct Lanes(Vec<LaneHandle>);

impl std::ops::Deref for Lanes {
    type Target = Vec<LaneHandle>;
    fn deref(&self) -> &Vec<LaneHandle> {
        &self.0
    }
}

impl<W: Write + Send> LaneEncoder<W> {
    /// Takes over `writer` (made for `schema`, nothing written yet). Row groups close at
    /// `max_rows` rows or once their encoded data reaches `max_bytes`.
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
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(LaneEncoder {
            file,
            factory,
            schema,
            leaves,
            threads: threads.clamp(1, MAX_LANES),
            lanes: Lanes::default(),
            failed: Failed::default(),
            open: false,
            rows: 0,
            max_rows: max_rows.max(1),
            max_bytes,
        })
    }

    /// Encodes `batch`, closing row groups as they fill.
    pub(super) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if self.lanes.is_empty() {
            self.start_lanes(batch);
        }
        let mut offset = 0;
        while offset < batch.num_rows() {
            let n = (self.max_rows - self.rows).min(batch.num_rows() - offset);
            let part = if offset == 0 && n == batch.num_rows() {
                batch.clone()
            } else {
                batch.slice(offset, n)
            };
            self.write_part(part)?;
            offset += n;
            let memory: usize = self
                .lanes
                .iter()
                .map(|l| l.memory.load(Ordering::Relaxed))
                .sum();
            let failed = self.failed.load(Ordering::Relaxed);
            if failed || self.rows >= self.max_rows || memory >= self.max_bytes {
                self.close_row_group()?;
            }
        }
        Ok(())
    }

    /// Bytes written so far and held in the open row group (an estimate).
    pub(super) fn bytes(&self) -> usize {
        let open: usize = self
            .lanes
            .iter()
            .map(|l| l.estimated.load(Ordering::Relaxed))
            .sum();
        self.file.bytes_written() + open
    }

    /// Closes the last row group, writes the footer and gives the output back.
    pub(super) fn finish(mut self) -> Result<W> {
        self.close_row_group()?;
        self.stop_lanes();
        self.file.into_inner()
    }

    /// Plans the lanes from the first batch and starts their threads.
    fn start_lanes(&mut self, batch: &RecordBatch) {
        let failed = self.failed.clone();
        for fields in plan_lanes(batch, self.threads) {
            let (to, from_encoder) = sync_channel(LANE_QUEUE);
            let (to_encoder, closed) = sync_channel(1);
            let memory = Arc::new(AtomicUsize::new(0));
            let estimated = Arc::new(AtomicUsize::new(0));
            let lane = Lane {
                fields: fields.clone(),
                schema: self.schema.clone(),
                writers: Vec::new(),
                memory: memory.clone(),
                estimated: estimated.clone(),
                failed: failed.clone(),
                error: None,
            };
            let thread = std::thread::Builder::new()
                .name("parquet-lane".to_owned())
                .spawn(move || lane.run(from_encoder, to_encoder))
                .ok();
            self.lanes.0.push(LaneHandle {
                fields,
                to: Some(to),
                closed,
                memory,
                estimated,
                thread,
            });
        }
    }

    fn write_part(&mut self, part: RecordBatch) -> Result<()> {
        if !self.open {
            self.open_row_group()?;
        }
        self.rows += part.num_rows();
        for lane in self.lanes.iter() {
            send(lane, ToLane::Batch(part.clone()))?;
        }
        Ok(())
    }

    /// New column writers for a row group, dealt out to the lanes.
    fn open_row_group(&mut self) -> Result<()> {
        let index = self.file.flushed_row_groups().len();
        let mut writers: Vec<Option<ArrowColumnWriter>> = self
            .factory
            .create_column_writers(index)?
            .into_iter()
            .map(Some)
            .collect();
        for lane in self.lanes.iter() {
            let mine = lane
                .fields
                .iter()
                .flat_map(|&f| self.leaves[f].clone())
                .filter_map(|leaf| writers[leaf].take().map(|w| (leaf, w)))
                .collect();
            send(lane, ToLane::Open(mine))?;
        }
        self.open = true;
        Ok(())
    }

    /// Closes the open row group (if any) and appends its columns in schema order.
    fn close_row_group(&mut self) -> Result<()> {
        if !self.open {
            return Ok(());
        }
        self.open = false;
        self.rows = 0;
        for lane in self.lanes.iter() {
            send(lane, ToLane::Close)?;
        }
        let mut chunks: Chunks = Vec::new();
        for lane in self.lanes.iter() {
            let closed = lane.closed.recv().map_err(|_| lane_failed())?;
            chunks.extend(closed?);
        }
        chunks.sort_by_key(|(leaf, _)| *leaf);
        let mut row_group = self.file.next_row_group()?;
        for (_, chunk) in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        Ok(())
    }

    /// Ends the lanes' threads (after the work they were given).
    fn stop_lanes(&mut self) {
        drop(std::mem::take(&mut self.lanes));
    }
}

impl Drop for Lanes {
    fn drop(&mut self) {
        for lane in &mut self.0 {
            lane.to = None;
        }
        for lane in &mut self.0 {
            if let Some(thread) = lane.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

/// Hands `message` to a lane (waiting while its queue is full).
fn send(lane: &LaneHandle, message: ToLane) -> Result<()> {
    let to = lane.to.as_ref().ok_or_else(lane_failed)?;
    to.send(message).map_err(|_| lane_failed())
}

fn lane_failed() -> ParquetError {
    ParquetError::General("a Parquet encoding thread stopped".to_owned())
}

/// A lane's own end: its fields' writers for the open row group.
struct Lane {
    fields: Vec<usize>,
    schema: SchemaRef,
    writers: Vec<(usize, ArrowColumnWriter)>,
    memory: Arc<AtomicUsize>,
    estimated: Arc<AtomicUsize>,
    failed: Failed,
    /// The first error of the open row group, handed back at its close.
    error: Option<ParquetError>,
}

impl Lane {
    /// The lane's thread: until the encoder hangs up.
    fn run(mut self, messages: Receiver<ToLane>, closed: SyncSender<Result<Chunks>>) {
        while let Ok(message) = messages.recv() {
            match message {
                ToLane::Open(writers) => {
                    self.writers = writers;
                    self.error = None;
                }
                ToLane::Batch(batch) => {
                    if self.error.is_none()
                        && let Err(e) = self.write(&batch)
                    {
                        self.failed.store(true, Ordering::Relaxed);
                        self.error = Some(e);
                    }
                    let writers = self.writers.iter().map(|(_, w)| w);
                    let (memory, estimated) = writers.fold((0, 0), |(m, e), w| {
                        (m + w.memory_size(), e + w.get_estimated_total_bytes())
                    });
                    self.memory.store(memory, Ordering::Relaxed);
                    self.estimated.store(estimated, Ordering::Relaxed);
                }
                ToLane::Close => {
                    let writers = std::mem::take(&mut self.writers);
                    let result = match self.error.take() {
                        Some(e) => Err(e),
                        None => writers
                            .into_iter()
                            .map(|(leaf, w)| Ok((leaf, w.close()?)))
                            .collect(),
                    };
                    self.memory.store(0, Ordering::Relaxed);
                    self.estimated.store(0, Ordering::Relaxed);
                    if closed.send(result).is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// Encodes this lane's columns of `batch`.
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut writers = self.writers.iter_mut();
        for &field in &self.fields {
            let columns = compute_leaves(self.schema.field(field), batch.column(field))?;
            for column in &columns {
                if let Some((_, writer)) = writers.next() {
                    writer.write(column)?;
                }
            }
        }
        Ok(())
    }
}

/// The fields of each lane: at most `threads` lanes, each field in the lane with the
/// fewest bytes so far, the largest fields first (by their size in `batch`).
fn plan_lanes(batch: &RecordBatch, threads: usize) -> Vec<Vec<usize>> {
    let nfields = batch.num_columns();
    let lanes = threads.min(nfields).max(1);
    let mut by_size: Vec<(usize, usize)> = (0..nfields)
        .map(|f| (batch.column(f).get_array_memory_size(), f))
        .collect();
    by_size.sort_by(|a, b| b.cmp(a));
    let mut plan = vec![(0usize, Vec::new()); lanes];
    for (size, field) in by_size {
        let lightest = plan
            .iter_mut()
            .min_by_key(|(load, _)| *load)
            .expect("at least one lane");
        lightest.0 += size;
        lightest.1.push(field);
    }
    plan.into_iter()
        .map(|(_, mut fields)| {
            fields.sort_unstable();
            fields
        })
        .filter(|fields| !fields.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, StringArray};

    #[test]
    fn lanes_share_the_bytes_and_keep_every_field_once() {
        let long: ArrayRef = Arc::new(StringArray::from(vec!["x".repeat(100); 100]));
        let short: ArrayRef = Arc::new(StringArray::from(vec!["y"; 100]));
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![1; 100]));
        let batch = RecordBatch::try_from_iter([
            ("a", ints.clone()),
            ("b", long),
            ("c", short),
            ("d", ints),
        ])
        .unwrap();
        let plan = plan_lanes(&batch, 2);
        assert_eq!(plan.len(), 2);
        assert!(plan.contains(&vec![1]), "{plan:?}");
        let mut all: Vec<usize> = plan.concat();
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 3]);
        assert_eq!(plan_lanes(&batch, 1), [vec![0, 1, 2, 3]]);
    }
}
