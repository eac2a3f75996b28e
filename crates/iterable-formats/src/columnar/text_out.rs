//! Record batches written as delimited text (CSV, TSV, PSV, SSV) or JSON Lines, with no
//! [`Row`](iterable_core::Row) made a record: the columnar road out of Parquet and
//! Arrow. The bytes are those the row writers give for the batch's rows.

use arrow_array::RecordBatch;
use iterable_core::{AsyncIterable, Format, Progress, Result};
use tokio::io::AsyncWrite;

use crate::WriteContext;
use crate::csv::{CsvEncoder, CsvWriter};
use crate::json_writer::{Framing, JsonEncoder};
use crate::record_writer::RecordWriter;

/// A writer of record batches as delimited text or JSON Lines, record by record from
/// the arrays, with the bytes the row writers write.
pub struct TextBatchWriter<W>(Writer<W>);

enum Writer<W> {
    Csv(CsvWriter<W>),
    JsonLines(RecordWriter<W, JsonEncoder>),
}

impl<W> std::fmt::Debug for TextBatchWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextBatchWriter").finish_non_exhaustive()
    }
}

/// Whether [`TextBatchWriter::new`] writes `format`.
pub fn writes_text_batches(format: Format) -> bool {
    matches!(
        format,
        Format::CSV | Format::TSV | Format::PSV | Format::JSONL
    ) || format == crate::csv::SSV_FORMAT
}

impl<W: AsyncWrite + Send + Unpin + 'static> TextBatchWriter<W> {
    /// A writer of the format of `ctx` (see [`writes_text_batches`]) into `writer`;
    /// `None` for another format.
    pub fn new(writer: W, ctx: WriteContext) -> Option<Self> {
        let format = ctx.info.format;
        if format == Format::JSONL {
            let encoder = JsonEncoder::new(Framing::Lines);
            return Some(TextBatchWriter(Writer::JsonLines(RecordWriter::new(
                writer, encoder, ctx,
            ))));
        }
        writes_text_batches(format).then(|| {
            let encoder = CsvEncoder::new(&ctx);
            TextBatchWriter(Writer::Csv(RecordWriter::new(writer, encoder, ctx)))
        })
    }

    /// Writes the records of `batch`.
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match &mut self.0 {
            Writer::Csv(w) => w.write_batch(batch).await,
            Writer::JsonLines(w) => w.write_batch(batch).await,
        }
    }

    /// Finishes the output (flushed and, for a file, published).
    pub async fn close(&mut self) -> Result<()> {
        match &mut self.0 {
            Writer::Csv(w) => w.aclose().await,
            Writer::JsonLines(w) => w.aclose().await,
        }
    }

    /// Rows and bytes written so far.
    pub fn progress(&self) -> Progress {
        match &self.0 {
            Writer::Csv(w) => w.progress(),
            Writer::JsonLines(w) => w.progress(),
        }
    }
}
