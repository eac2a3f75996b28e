//! The ORC writer, compiled with the `orc` feature: record batches (made from rows
//! by [`BatchWriter`], or written as they are by the batch API and `convert`'s columnar
//! road) are encoded by orc-rust on a thread of its own ([`EncodeThread`]; orc-rust's
//! writer is not `Send`, so it is made there). Integers, floats, text, bytes, booleans,
//! dates and timestamps are ORC columns of their own type; the few types orc-rust
//! cannot encode become text. Stripes are compressed (zstd unless
//! `columnar.compression` says otherwise) and close at [`STRIPE_BYTES`] of encoded data
//! held, so memory does not grow with the row count.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowTimestampType, Float16Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type,
};
use arrow_array::{Array, ArrayRef, Float32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use iterable_core::{BoxIterable, ColumnarCompression, Error, Result};
use orc_rust::compression::CompressionType;
use orc_rust::{ArrowWriter, ArrowWriterBuilder};
use tokio::io::AsyncWrite;

use crate::WriteContext;
use crate::columnar::array_to_values;
use crate::columnar::batch_writer::BatchWriter;
use crate::columnar::encode_thread::{Chunks, EncodeThread, MakeEncoder, ThreadEncoder};

/// The encoded data a stripe may hold before it is written: a stripe is held in memory
/// until then (orc-rust's own default is 64 MiB).
pub const STRIPE_BYTES: usize = 16 << 20;

/// The codec of stripes when `columnar.compression` is not given: zstd, as Parquet here
/// (and Trino's ORC writer) default to.
pub const DEFAULT_COMPRESSION: ColumnarCompression = ColumnarCompression::Zstd;

/// Opens an ORC writer of rows over `writer` (options: `columnar.schema`,
/// `columnar.schema_scan_rows`, `columnar.compression`, `batch_size`). Stripes are
/// compressed with zstd by default; snappy, lz4, gzip (ORC's zlib) and none can be
/// asked for, each at its codec's default level (orc-rust takes no level).
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    Ok(Box::new(orc_batch_writer(writer, ctx)?))
}

/// The writer as its concrete type, for writing record batches directly.
pub(crate) fn orc_batch_writer<W>(
    writer: W,
    ctx: WriteContext,
) -> Result<BatchWriter<EncodeThread<W>>>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let compression = orc_compression(
        ctx.options
            .columnar
            .compression
            .unwrap_or(DEFAULT_COMPRESSION),
    )?;
    let location = ctx.info.location.clone();
    let make: MakeEncoder = Box::new(move |schema, chunks| {
        Ok(Box::new(OrcEncoder::new(
            chunks,
            &schema,
            compression,
            location,
        )?))
    });
    let sink = EncodeThread::new(writer, &ctx.info.location, "ORC", make);
    BatchWriter::new(sink, ctx)
}

/// orc-rust's codec for `compression` (`None`: uncompressed stripes).
fn orc_compression(compression: ColumnarCompression) -> Result<Option<CompressionType>> {
    Ok(match compression {
        ColumnarCompression::None => None,
        ColumnarCompression::Zstd => Some(CompressionType::Zstd),
        ColumnarCompression::Snappy => Some(CompressionType::Snappy),
        ColumnarCompression::Lz4 => Some(CompressionType::Lz4),
        ColumnarCompression::Gzip => Some(CompressionType::Zlib),
        other => {
            return Err(Error::InvalidOption(format!(
                "ORC has no {} codec: it compresses with zstd, snappy, lz4, gzip (zlib) or none",
                other.name()
            )));
        }
    })
}

/// What is done to a column before orc-rust encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    /// Encoded as it is (integers, floats, text, bytes, booleans, dates, timestamps
    /// without a zone or in UTC).
    Keep,
    /// A narrow unsigned integer, widened to a 64-bit one.
    Widen,
    /// A half float, as a float.
    Float,
    /// A timestamp in a zone other than UTC: the same instants, labelled UTC (ORC's
    /// instants carry no zone).
    Utc(TimeUnit),
    /// Anything else (decimals, times of day, durations, lists, maps, ...), as its text:
    /// decimals exact, times in ISO 8601, lists and maps as JSON.
    Text,
}

fn column_plan(data_type: &DataType) -> Column {
    match data_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::Float32
        | DataType::Float64
        | DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::Boolean
        | DataType::Date32 => Column::Keep,
        DataType::Timestamp(_, None) => Column::Keep,
        DataType::Timestamp(_, Some(zone)) if zone.as_ref() == "UTC" => Column::Keep,
        DataType::Timestamp(unit, Some(_)) => Column::Utc(*unit),
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 => Column::Widen,
        DataType::Float16 => Column::Float,
        _ => Column::Text,
    }
}

/// The schema orc-rust is given: each field of `schema` as its plan says.
fn orc_schema(schema: &Schema, plan: &[Column]) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .zip(plan)
        .map(|(field, column)| {
            let data_type = match column {
                Column::Keep => field.data_type().clone(),
                Column::Widen => DataType::Int64,
                Column::Float => DataType::Float32,
                Column::Utc(unit) => DataType::Timestamp(*unit, Some("UTC".into())),
                Column::Text => DataType::Utf8,
            };
            Field::new(field.name(), data_type, true)
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// `batch` with its columns as `plan` says, in the ORC schema.
fn adapt(
    batch: &RecordBatch,
    plan: &[Column],
    schema: &SchemaRef,
) -> std::result::Result<RecordBatch, String> {
    let columns = batch
        .columns()
        .iter()
        .zip(batch.schema().fields())
        .zip(plan)
        .map(|((array, field), column)| adapt_column(array, field.name(), *column))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())
}

/// One column as its plan says: array to array, but for text, which is made from each
/// value as the row road writes it.
fn adapt_column(
    array: &ArrayRef,
    name: &str,
    column: Column,
) -> std::result::Result<ArrayRef, crate::columnar::ConvertError> {
    Ok(match column {
        Column::Keep => array.clone(),
        Column::Widen => Arc::new(match array.data_type() {
            DataType::UInt8 => array
                .as_primitive::<UInt8Type>()
                .unary::<_, Int64Type>(i64::from),
            DataType::UInt16 => array
                .as_primitive::<UInt16Type>()
                .unary::<_, Int64Type>(i64::from),
            _ => array
                .as_primitive::<UInt32Type>()
                .unary::<_, Int64Type>(i64::from),
        }),
        Column::Float => Arc::new(Float32Array::new(
            array
                .as_primitive::<Float16Type>()
                .values()
                .iter()
                .map(|h| h.to_f32())
                .collect(),
            array.nulls().cloned(),
        )),
        Column::Utc(unit) => utc(array, unit),
        Column::Text => Arc::new(
            array_to_values(array.as_ref(), name)?
                .iter()
                .map(|v| (!v.is_null()).then(|| v.to_string()))
                .collect::<StringArray>(),
        ),
    })
}

/// A zoned timestamp column's instants, labelled UTC.
fn utc(array: &ArrayRef, unit: TimeUnit) -> ArrayRef {
    match unit {
        TimeUnit::Second => labelled_utc::<TimestampSecondType>(array),
        TimeUnit::Millisecond => labelled_utc::<TimestampMillisecondType>(array),
        TimeUnit::Microsecond => labelled_utc::<TimestampMicrosecondType>(array),
        TimeUnit::Nanosecond => labelled_utc::<TimestampNanosecondType>(array),
    }
}

fn labelled_utc<T: ArrowTimestampType>(array: &ArrayRef) -> ArrayRef {
    Arc::new(array.as_primitive::<T>().clone().with_timezone("UTC"))
}

/// orc-rust's output: the encoder thread's chunks, shared with orc-rust's writer
/// (whose `close` drops it), so that they can be handed back afterwards.
#[derive(Clone)]
struct SharedOutput {
    chunks: Rc<RefCell<Chunks>>,
    written: Rc<RefCell<u64>>,
}

impl Write for SharedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.chunks.borrow_mut().write(buf)?;
        *self.written.borrow_mut() += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.chunks.borrow_mut().flush()
    }
}

/// orc-rust's writer on the encoder thread, with the plan of its columns.
struct OrcEncoder {
    writer: ArrowWriter<SharedOutput>,
    out: SharedOutput,
    /// The schema orc-rust is given.
    schema: SchemaRef,
    plan: Vec<Column>,
    location: String,
}

fn encoding_error(location: &str, e: impl std::fmt::Display) -> Error {
    Error::unsupported(location, format!("ORC encoding: {e}"))
}

impl OrcEncoder {
    fn new(
        chunks: Chunks,
        schema: &Schema,
        compression: Option<CompressionType>,
        location: String,
    ) -> Result<Self> {
        let plan: Vec<Column> = schema
            .fields()
            .iter()
            .map(|f| column_plan(f.data_type()))
            .collect();
        let orc = orc_schema(schema, &plan);
        let out = SharedOutput {
            chunks: Rc::new(RefCell::new(chunks)),
            written: Rc::default(),
        };
        let mut builder =
            ArrowWriterBuilder::new(out.clone(), orc.clone()).with_stripe_byte_size(STRIPE_BYTES);
        if let Some(compression) = compression {
            builder = builder.with_compression(compression);
        }
        let writer = builder
            .try_build()
            .map_err(|e| encoding_error(&location, e))?;
        Ok(OrcEncoder {
            writer,
            out,
            schema: orc,
            plan,
            location,
        })
    }
}

impl ThreadEncoder for OrcEncoder {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let batch = adapt(batch, &self.plan, &self.schema)
            .map_err(|e| encoding_error(&self.location, e))?;
        self.writer
            .write(&batch)
            .map_err(|e| encoding_error(&self.location, e))
    }

    fn encoded_bytes(&self) -> u64 {
        *self.out.written.borrow()
    }

    fn finish(self: Box<Self>) -> Result<Chunks> {
        let OrcEncoder {
            writer,
            out,
            location,
            ..
        } = *self;
        writer.close().map_err(|e| encoding_error(&location, e))?;
        let chunks = Rc::try_unwrap(out.chunks)
            .map_err(|_| encoding_error(&location, "the output is still shared"))?;
        Ok(chunks.into_inner())
    }
}
