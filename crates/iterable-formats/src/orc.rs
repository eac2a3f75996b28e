//! Apache ORC (`.orc`), read only, with [`orc_rust`] 0.8 (the release on arrow 58,
//! the project's one arrow) on the blocking bridge.
//!
//! ORC keeps its metadata in a footer at the end of the file, so the reader needs
//! random access: the (decoded) bytes are first copied to an anonymous temporary
//! file, which disappears when the reader ends. Stripes are then read as Arrow record
//! batches of `batch_size` rows and turned into rows with the Arrow -> `Value`
//! conversion of [`columnar`](crate::columnar) (see its mapping table): top-level
//! struct fields are the columns. A file that is not ORC, or a corrupt stripe, is an
//! error naming the file and the record being read, and ends the stream.

use std::io::{Seek, SeekFrom};

use arrow_array::RecordBatchReader;
use iterable_core::{BoxIterable, Error, Result};
use iterable_io::blocking_bridge::{RowSender, SyncInput};
use orc_rust::arrow_reader::ArrowReaderBuilder;
use tokio::io::AsyncBufRead;

use crate::ReadContext;
use crate::blocking::{bridge_producer, record_error};
use crate::columnar::{header_of, record_batch_to_rows};

/// Opens an ORC reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let batch_size = ctx.options.batch_size.max(1);
    Ok(bridge_producer(reader, ctx, move |input, rows| {
        read_stripes(input, rows, batch_size)
    }))
}

fn read_stripes(mut input: SyncInput, rows: &mut RowSender, batch_size: usize) -> Result<()> {
    let location = input.location().to_owned();
    let io = |e: std::io::Error| Error::io(&location, e);
    let mut file = tempfile::tempfile().map_err(io)?;
    std::io::copy(&mut input, &mut file).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let reader = ArrowReaderBuilder::try_new(file)
        .map_err(|e| {
            record_error(
                &location,
                0,
                0,
                format!("not a readable ORC file: {e}"),
                b"",
            )
        })?
        .with_batch_size(batch_size)
        .build();
    let header = header_of(&reader.schema());
    let mut record = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| {
            record_error(
                &location,
                record + 1,
                0,
                format!("cannot read ORC record {}: {e}", record + 1),
                b"",
            )
        })?;
        let batch_rows = record_batch_to_rows(&batch, &header)
            .map_err(|e| record_error(&location, record + 1, 0, e.to_string(), b""))?;
        for row in batch_rows {
            record += 1;
            if !rows.send(row) {
                return Ok(());
            }
        }
    }
    Ok(())
}
