//! The columnar road of [`aconvert`](crate::aconvert): delimited text (CSV, TSV, PSV,
//! SSV) and JSON Lines into Parquet, Arrow IPC or ORC as record batches, no row made on the
//! way (see [`TextBatchReader`] and [`JsonBatchReader`]); and back, Parquet or Arrow IPC
//! into delimited text or JSON Lines, batch by batch ([`TextBatchWriter`]). It is taken
//! when the formats are known from the names (or the options) before anything is read,
//! the input is one location, and no option needs rows: no `columns` to pick, no schema
//! given for the output, no text typing asked for. Anything else goes by rows, with the
//! same types, bytes and errors.

use std::time::Instant;

use futures_util::StreamExt;
use iterable_core::{Format, Progress, Result};
use iterable_formats::columnar::{
    BatchStream, JsonBatchReader, JsonTyping, RecordBatch, RecordBatchWriter, SchemaRef,
    TextBatchReader, TextBatchWriter, TextTyping, schema_to_text, writes_text_batches,
};
use iterable_io::ByteReader;

use crate::convert::{ConvertOptions, ConvertReport};
use crate::progress::{Counts, ProgressTicker};
use crate::registry;
use crate::road::{Road, open_road};

/// The delimited text formats the columnar road reads.
fn is_delimited(format: Format) -> bool {
    matches!(format, Format::CSV | Format::TSV | Format::PSV)
        || format == iterable_formats::csv::SSV_FORMAT
}

/// The input read as batches: delimited text or JSON Lines.
enum Batches {
    Text(Box<TextBatchReader<ByteReader>>),
    Json(Box<JsonBatchReader<ByteReader>>),
}

impl Batches {
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        match self {
            Batches::Text(r) => r.next_batch().await,
            Batches::Json(r) => r.next_batch().await,
        }
    }

    fn progress(&self) -> Progress {
        match self {
            Batches::Text(r) => r.progress(),
            Batches::Json(r) => r.progress(),
        }
    }

    fn schema(&self) -> Option<SchemaRef> {
        match self {
            Batches::Text(r) => r.schema(),
            Batches::Json(r) => r.schema(),
        }
    }
}

/// Whether `input` -> `output` can take the columnar road (decided from names and
/// options alone, so that nothing is read twice).
pub(crate) async fn applies(input: &str, output: &str, options: &ConvertOptions) -> bool {
    let read = options.read_options().options();
    let write = options.write_options().options();
    let input_format = read.format.or(registry::from_name(input).format);
    let output_format = write.format.or(registry::from_name(output).format);
    let into_columns = input_format
        .is_some_and(|f| is_delimited(f) || matches!(f, Format::JSONL | Format::JSON))
        && matches!(
            output_format,
            Some(Format::PARQUET | Format::ARROW | Format::ORC)
        );
    let out_of_columns = matches!(input_format, Some(Format::PARQUET | Format::ARROW))
        && output_format.is_some_and(writes_text_batches)
        && options.type_text != Some(true);
    (into_columns || out_of_columns)
        && read.columnar.columns.is_none()
        // The reader's own per-value typing (`infer_types`) is the row road's.
        && !read.csv.infer_types
        && write.columnar.schema.is_none()
        && !matches!(crate::databases::to_read(input, read), Ok(Some(_)))
        && !matches!(crate::databases::to_write(output, write), Ok(Some(_)))
        && !iterable_io::names_many(input).await
}

/// Whether `input` is a database read straight into batches (PostgreSQL) and `output`
/// a Parquet or Arrow IPC file: then its batches go to the output as they are.
pub(crate) fn database_applies(input: &str, output: &str, options: &ConvertOptions) -> bool {
    let read = options.read_options().options();
    let write = options.write_options().options();
    let output_format = write.format.or(registry::from_name(output).format);
    matches!(crate::databases::to_read(input, read), Ok(Some(db)) if iterable_db::reads_batches(&db))
        && matches!(
            output_format,
            Some(Format::PARQUET | Format::ARROW | Format::ORC)
        )
        && write.columnar.schema.is_none()
        && !matches!(crate::databases::to_write(output, write), Ok(Some(_)))
}

/// Converts a database `input` into a Parquet or Arrow IPC `output` by the batches the
/// server's rows go straight into (see [`database_applies`]); the output has the
/// catalog's types, its columns even when no row comes.
pub(crate) async fn convert_database(
    input: &str,
    output: &str,
    options: &ConvertOptions,
) -> Result<ConvertReport> {
    let started = Instant::now();
    let read = options.read_options().options();
    let Some(db) = crate::databases::to_read(input, read)? else {
        unreachable!("database_applies said it is a database")
    };
    let (schema, mut src) = crate::arrow::database_batches(&db, input, read).await?;
    let write = options
        .write_options()
        .clone()
        .schema(schema_to_text(&schema));
    let mut dst = crate::arrow::aopen_batch_writer(output, &write).await?;
    let mut ticker = options.ticker(input);
    let read_progress = |rows| Progress {
        rows,
        ..Progress::default()
    };
    let rows_read = drain(&mut src, &mut dst, &mut ticker, read_progress).await?;
    Ok(ConvertReport::finished(
        (input, output),
        ticker.as_mut(),
        rows_read,
        (read_progress(rows_read), dst.progress()),
        started,
        None,
    ))
}

/// Converts `input` into `output` by record batches; see the [module docs](self).
pub(crate) async fn convert(
    input: &str,
    output: &str,
    options: &ConvertOptions,
    typed: bool,
) -> Result<ConvertReport> {
    let started = Instant::now();
    let read = options.read_options().options();
    let road = open_road(input, read).await?;
    if matches!(&road, Road::Bytes(_, ctx) if ctx.info.format == Format::PARQUET || ctx.info.format == Format::ARROW)
        || !matches!(road, Road::Bytes(..))
    {
        return convert_to_text(road, input, output, options, started).await;
    }
    let Road::Bytes(bytes, ctx) = road else {
        unreachable!("delimited text and JSON Lines are read as bytes")
    };
    let input_encoding = ctx.info.encoding;
    let scan_rows = options.write_options().options().columnar.schema_scan_rows;
    let shown_output = iterable_db::mask_password(output);
    let mut src = if matches!(ctx.info.format, Format::JSONL | Format::JSON) {
        let typing = JsonTyping {
            scan_rows,
            temporal: typed,
        };
        Batches::Json(Box::new(JsonBatchReader::new(
            bytes,
            ctx,
            typing,
            &shown_output,
        )))
    } else {
        let typing = if typed {
            TextTyping::Infer {
                scan_rows,
                empty_is_null: false,
                decimals: options.decimals,
            }
        } else {
            TextTyping::Text
        };
        Batches::Text(Box::new(TextBatchReader::new(
            bytes,
            ctx,
            typing,
            &shown_output,
        )))
    };
    let mut ticker = options.ticker(input);
    // The output is opened once the first batch (or the end) says what the columns
    // are: a file of no rows still gets them.
    let first = src.next_batch().await?;
    let mut write = options.write_options().clone();
    if first.is_none()
        && let Some(schema) = src.schema().filter(|s| !s.fields().is_empty())
    {
        write = write.schema(schema_to_text(&schema));
    }
    let mut dst = crate::arrow::aopen_batch_writer(output, &write).await?;
    let mut rows_read = 0u64;
    let mut next = first;
    while let Some(batch) = next {
        rows_read += batch.num_rows() as u64;
        dst.write(&batch).await?;
        if let Some(t) = &mut ticker {
            let (read, written) = (&src, &dst);
            t.tick(rows_read, || Counts {
                read: read.progress(),
                rows_written: written.progress().rows,
            });
        }
        next = src.next_batch().await?;
    }
    dst.close().await?;
    Ok(ConvertReport::finished(
        (input, output),
        ticker.as_mut(),
        rows_read,
        (src.progress(), dst.progress()),
        started,
        input_encoding,
    ))
}

/// Parquet or Arrow IPC into delimited text or JSON Lines, batch by batch.
async fn convert_to_text(
    road: Road,
    input: &str,
    output: &str,
    options: &ConvertOptions,
    started: Instant,
) -> Result<ConvertReport> {
    let read = options.read_options().options();
    let ctx = road.context();
    let (bytes_read, bytes_total) = (ctx.bytes_read.clone(), ctx.bytes_total);
    let input_encoding = ctx.info.encoding;
    let mut src = crate::arrow::road_batches(road, input, read).await?;
    let (sink, ctx) = crate::open::open_sink(output, options.write_options().options()).await?;
    let mut dst = TextBatchWriter::new(sink, ctx).expect("the output's format writes batches");
    let mut ticker = options.ticker(input);
    let read_progress = |rows| Progress {
        rows,
        bytes: bytes_read.load(std::sync::atomic::Ordering::Relaxed),
        bytes_total,
        skipped: 0,
    };
    let rows_read = drain(&mut src, &mut dst, &mut ticker, read_progress).await?;
    Ok(ConvertReport::finished(
        (input, output),
        ticker.as_mut(),
        rows_read,
        (read_progress(rows_read), dst.progress()),
        started,
        input_encoding,
    ))
}

/// Where the batch roads write: an Arrow-typed output or a text one.
trait BatchOut {
    fn write(&mut self, batch: &RecordBatch) -> impl Future<Output = Result<()>> + Send;
    fn close(&mut self) -> impl Future<Output = Result<()>> + Send;
    fn progress(&self) -> Progress;
}

impl BatchOut for RecordBatchWriter {
    fn write(&mut self, batch: &RecordBatch) -> impl Future<Output = Result<()>> + Send {
        RecordBatchWriter::write(self, batch)
    }
    fn close(&mut self) -> impl Future<Output = Result<()>> + Send {
        RecordBatchWriter::close(self)
    }
    fn progress(&self) -> Progress {
        RecordBatchWriter::progress(self)
    }
}

impl<W: tokio::io::AsyncWrite + Send + Unpin + 'static> BatchOut for TextBatchWriter<W> {
    fn write(&mut self, batch: &RecordBatch) -> impl Future<Output = Result<()>> + Send {
        TextBatchWriter::write(self, batch)
    }
    fn close(&mut self) -> impl Future<Output = Result<()>> + Send {
        TextBatchWriter::close(self)
    }
    fn progress(&self) -> Progress {
        TextBatchWriter::progress(self)
    }
}

/// Writes every batch of `src` to `dst` and closes it, ticking progress with
/// `read_progress` of the rows read; the rows read.
async fn drain(
    src: &mut BatchStream,
    dst: &mut impl BatchOut,
    ticker: &mut Option<ProgressTicker>,
    read_progress: impl Fn(u64) -> Progress,
) -> Result<u64> {
    let mut rows_read = 0u64;
    while let Some(batch) = src.next().await {
        let batch = batch?;
        rows_read += batch.num_rows() as u64;
        dst.write(&batch).await?;
        if let Some(t) = ticker {
            let written = &*dst;
            t.tick(rows_read, || Counts {
                read: read_progress(rows_read),
                rows_written: written.progress().rows,
            });
        }
    }
    dst.close().await?;
    Ok(rows_read)
}
