//! The ORC writer, compiled with the `orc` feature. orc-rust's writer is not `Send`,
//! so it runs on the blocking bridge: on its thread, rows gather into record batches
//! (the schema given or inferred from the first rows, as for Parquet), columns of
//! types orc-rust cannot encode become text, and orc-rust encodes the batches into
//! stripes written to the bridge's output.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use iterable_core::{BoxIterable, ColumnarCompression, Error, Result, Row, Value};
use orc_rust::{ArrowWriter, ArrowWriterBuilder};
use tokio::io::AsyncWrite;

use crate::WriteContext;
use crate::blocking::bridge_writer;
use crate::blocking_bridge::{RowWriter, SyncOutput};
use crate::columnar::{array_to_values, infer_schema, parse_schema, rows_to_record_batch};

/// Opens an ORC writer of rows over `writer` (options: `columnar.schema`,
/// `columnar.schema_scan_rows`, `batch_size`). Stripes are written uncompressed:
/// orc-rust 0.8 has no codecs for writing, so a `columnar.compression` other than
/// `none` is refused rather than ignored.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let columnar = &ctx.options.columnar;
    if let Some(c) = columnar.compression
        && c != ColumnarCompression::None
    {
        return Err(Error::InvalidOption(format!(
            "the ORC writer writes uncompressed stripes (orc-rust has no codecs for \
                 writing), so it cannot compress with {}",
            c.name()
        )));
    }
    let schema = match &columnar.schema {
        Some(columns) => Some(parse_schema(columns)?),
        None => None,
    };
    let scan_rows = columnar.schema_scan_rows.max(1);
    let batch_size = ctx.options.batch_size.max(1);
    let location = ctx.info.location.clone();
    Ok(bridge_writer(writer, ctx, move |out| {
        Ok(OrcWriter {
            location,
            out: Rc::new(RefCell::new(out)),
            schema,
            scan_rows,
            batch_size,
            pending: Vec::new(),
            flushed: 0,
            encoder: None,
        })
    }))
}

/// What is done to a column before orc-rust encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    /// Encoded as it is (integers, floats, text, bytes, booleans).
    Keep,
    /// A narrow unsigned integer, widened to a 64-bit one.
    Widen,
    /// A half float, as a float.
    Float,
    /// Anything else (dates, timestamps, decimals, lists, maps, ...), as its text:
    /// dates and times in ISO 8601, decimals exact, lists and maps as JSON.
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
        | DataType::Boolean => Column::Keep,
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

fn adapt_column(
    array: &ArrayRef,
    name: &str,
    column: Column,
) -> std::result::Result<ArrayRef, crate::columnar::ConvertError> {
    let values = || array_to_values(array.as_ref(), name);
    Ok(match column {
        Column::Keep => array.clone(),
        Column::Widen => Arc::new(
            values()?
                .iter()
                .map(|v| match v {
                    Value::Int(i) => Some(*i),
                    _ => None,
                })
                .collect::<Int64Array>(),
        ),
        Column::Float => Arc::new(
            values()?
                .iter()
                .map(|v| match v {
                    Value::Float(f) => Some(*f as f32),
                    _ => None,
                })
                .collect::<Float32Array>(),
        ),
        Column::Text => Arc::new(
            values()?
                .iter()
                .map(|v| (!v.is_null()).then(|| v.to_string()))
                .collect::<StringArray>(),
        ),
    })
}

/// The bridge's output, shared with orc-rust's writer (whose `close` drops it), so
/// that it can be handed back to the bridge afterwards.
#[derive(Clone)]
struct SharedOutput(Rc<RefCell<SyncOutput>>);

impl Write for SharedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

/// orc-rust's writer with the schema it was given and the plan of its columns.
struct Encoder {
    writer: ArrowWriter<SharedOutput>,
    schema: SchemaRef,
    plan: Vec<Column>,
}

/// Rows in, ORC stripes out, on the bridge's thread.
struct OrcWriter {
    location: String,
    out: Rc<RefCell<SyncOutput>>,
    /// Given, or inferred from the first `scan_rows` rows.
    schema: Option<SchemaRef>,
    scan_rows: usize,
    batch_size: usize,
    pending: Vec<Row>,
    /// Rows already encoded (before `pending`).
    flushed: u64,
    encoder: Option<Encoder>,
}

fn encoding_error(location: &str, e: impl std::fmt::Display) -> Error {
    Error::unsupported(location, format!("ORC encoding: {e}"))
}

impl OrcWriter {
    /// Settles the schema (inferring it from the pending rows) and starts orc-rust.
    fn encoder(&mut self) -> Result<&mut Encoder> {
        if self.encoder.is_none() {
            let schema = match self.schema.clone() {
                Some(schema) => schema,
                None => Arc::new(infer_schema(&self.pending).map_err(|e| Error::Write {
                    location: self.location.clone(),
                    row: self.flushed + 1,
                    message: format!("cannot infer a schema from the first rows: {e}"),
                })?),
            };
            let plan: Vec<Column> = schema
                .fields()
                .iter()
                .map(|f| column_plan(f.data_type()))
                .collect();
            let orc = orc_schema(&schema, &plan);
            let writer = ArrowWriterBuilder::new(SharedOutput(self.out.clone()), orc.clone())
                .try_build()
                .map_err(|e| encoding_error(&self.location, e))?;
            self.schema = Some(schema);
            self.encoder = Some(Encoder {
                writer,
                schema: orc,
                plan,
            });
        }
        Ok(self.encoder.as_mut().expect("set above"))
    }

    /// Encodes the pending rows as one batch.
    fn flush(&mut self) -> Result<()> {
        self.encoder()?;
        if self.pending.is_empty() {
            return Ok(());
        }
        let schema = self.schema.clone().expect("settled by encoder()");
        let batch = rows_to_record_batch(&self.pending, &schema).map_err(|e| Error::Write {
            location: self.location.clone(),
            row: self.flushed + e.row as u64 + 1,
            message: e.to_string(),
        })?;
        let location = self.location.clone();
        let encoder = self.encoder()?;
        let batch = adapt(&batch, &encoder.plan, &encoder.schema)
            .map_err(|e| encoding_error(&location, e))?;
        encoder
            .writer
            .write(&batch)
            .map_err(|e| encoding_error(&location, e))?;
        self.flushed += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }
}

impl RowWriter for OrcWriter {
    fn write_row(&mut self, row: &Row, _number: u64) -> Result<()> {
        self.pending.push(row.clone());
        let threshold = if self.encoder.is_some() {
            self.batch_size
        } else {
            self.scan_rows
        };
        if self.pending.len() >= threshold {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<SyncOutput> {
        self.flush()?;
        let encoder = self.encoder.take().expect("started by flush()");
        encoder
            .writer
            .close()
            .map_err(|e| encoding_error(&self.location, e))?;
        let out = Rc::try_unwrap(self.out)
            .map_err(|_| encoding_error(&self.location, "the output is still shared"))?;
        Ok(out.into_inner())
    }
}
