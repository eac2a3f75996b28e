//! The ORC reader, compiled with the `orc` feature (the format's description is in `mod.rs`).

use crate::blocking_bridge::RowSender;
use arrow_array::RecordBatchReader;
use iterable_core::{BoxIterable, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use orc_rust::arrow_reader::ArrowReaderBuilder;
use orc_rust::reader::ChunkReader;

use crate::ReadContext;
use crate::blocking::{bridge_producer, record_error};
use crate::columnar::{header_of, record_batch_to_rows};

/// Opens an ORC reader over a seekable file (a local file in place, or input the
/// caller spooled to a temporary file).
pub async fn open_file(file: std::fs::File, ctx: ReadContext) -> Result<BoxIterable> {
    let batch_size = ctx.options.batch_size.max(1);
    let file = CountingFile {
        file,
        bytes: ctx.bytes_read.clone(),
    };
    Ok(bridge_producer(
        tokio::io::empty(),
        ctx,
        move |input, rows| read_stripes(file, input.location(), rows, batch_size),
    ))
}

fn read_stripes(
    file: CountingFile,
    location: &str,
    rows: &mut RowSender,
    batch_size: usize,
) -> Result<()> {
    let reader = ArrowReaderBuilder::try_new(file)
        .map_err(|e| record_error(location, 0, 0, format!("not a readable ORC file: {e}"), b""))?
        .with_batch_size(batch_size)
        .build();
    let header = header_of(&reader.schema());
    let mut record = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| {
            record_error(
                location,
                record + 1,
                0,
                format!("cannot read ORC record {}: {e}", record + 1),
                b"",
            )
        })?;
        let batch_rows = record_batch_to_rows(&batch, &header)
            .map_err(|e| record_error(location, record + 1, 0, e.to_string(), b""))?;
        for row in batch_rows {
            record += 1;
            if !rows.send(row) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A local file as orc-rust's [`ChunkReader`], counting the bytes read for
/// `progress()` (the tail, then the stripes). orc-rust reads the tail in overlapping
/// pieces, so the count is capped at the file's size: progress never passes 100%.
struct CountingFile {
    file: std::fs::File,
    bytes: Arc<AtomicU64>,
}

impl CountingFile {
    fn count(&self, n: u64) {
        let size = self.file.len();
        let _ = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some(b.saturating_add(n).min(size))
            });
    }
}

impl ChunkReader for CountingFile {
    // orc-rust reads by `get_bytes` only, which counts; a reader from `get_read` is
    // not counted.
    type T = <std::fs::File as ChunkReader>::T;

    fn len(&self) -> u64 {
        self.file.len()
    }

    fn get_read(&self, offset_from_start: u64) -> std::io::Result<Self::T> {
        self.file.get_read(offset_from_start)
    }

    fn get_bytes(&self, offset_from_start: u64, length: u64) -> std::io::Result<Bytes> {
        self.count(length);
        self.file.get_bytes(offset_from_start, length)
    }
}
