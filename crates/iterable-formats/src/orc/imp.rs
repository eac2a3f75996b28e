//! The ORC reader, compiled with the `orc` feature (the format's description is in `mod.rs`).

use crate::blocking_bridge::RowSender;
use arrow_array::RecordBatchReader;
use iterable_core::{BoxIterable, Result};
use orc_rust::arrow_reader::ArrowReaderBuilder;

use crate::ReadContext;
use crate::blocking::{bridge_producer, record_error};
use crate::columnar::{header_of, record_batch_to_rows};

/// Opens an ORC reader over a seekable file (a local file in place, or input the
/// caller spooled to a temporary file).
pub async fn open_file(file: std::fs::File, ctx: ReadContext) -> Result<BoxIterable> {
    let batch_size = ctx.options.batch_size.max(1);
    Ok(bridge_producer(
        tokio::io::empty(),
        ctx,
        move |input, rows| read_stripes(file, input.location(), rows, batch_size),
    ))
}

fn read_stripes(
    file: std::fs::File,
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
