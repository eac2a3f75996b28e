//! The columnar road of a PostgreSQL read: the fields of a binary COPY appended
//! straight to Arrow arrays of the schema the catalog gives, no row made on the way.
//! Integers, floats, booleans, text, bytes, dates and timestamps have builders here;
//! a column of any other type (numeric, JSON, arrays, intervals, ...) is decoded to
//! values as the row road decodes it and made an array by `rows_to_record_batch`, so
//! both roads give the same arrays.

use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use iterable_core::{Header, Row, Value};
use iterable_formats::columnar::rows_to_record_batch;

use super::copy_binary::FieldSink;
use super::decode::{Decoder, fixed, text};

/// Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
const EPOCH_DAYS: i32 = 10_957;
/// Microseconds from 1970-01-01 to 2000-01-01.
const EPOCH_MICROS: i64 = 946_684_800_000_000;

/// One column's array being built.
enum Column {
    Int(Int64Builder, Decoder),
    Float(Float64Builder, Decoder),
    Bool(BooleanBuilder),
    Text(StringBuilder),
    Bytes(BinaryBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder, Option<Arc<str>>),
    /// Decoded to values, kept in `BatchBuilder::values[slot]`.
    Values(Decoder, usize),
}

impl Column {
    fn of(decoder: &Decoder, data_type: &DataType, slot: &mut usize) -> Column {
        match (decoder, data_type) {
            (Decoder::Int2 | Decoder::Int4 | Decoder::Int8 | Decoder::Oid, DataType::Int64) => {
                Column::Int(Int64Builder::new(), decoder.clone())
            }
            (Decoder::Float4 | Decoder::Float8, DataType::Float64) => {
                Column::Float(Float64Builder::new(), decoder.clone())
            }
            (Decoder::Bool, DataType::Boolean) => Column::Bool(BooleanBuilder::new()),
            (Decoder::Text, DataType::Utf8) => Column::Text(StringBuilder::new()),
            (Decoder::Bytea, DataType::Binary) => Column::Bytes(BinaryBuilder::new()),
            (Decoder::Date, DataType::Date32) => Column::Date(Date32Builder::new()),
            (Decoder::Timestamp, DataType::Timestamp(TimeUnit::Microsecond, None)) => {
                Column::Timestamp(TimestampMicrosecondBuilder::new(), None)
            }
            (Decoder::TimestampTz, DataType::Timestamp(TimeUnit::Microsecond, Some(zone))) => {
                Column::Timestamp(TimestampMicrosecondBuilder::new(), Some(zone.clone()))
            }
            _ => {
                *slot += 1;
                Column::Values(decoder.clone(), *slot - 1)
            }
        }
    }

    fn append(&mut self, bytes: Option<&[u8]>, values: &mut [Vec<Value>]) -> Result<(), String> {
        let Some(bytes) = bytes else {
            match self {
                Column::Int(b, _) => b.append_null(),
                Column::Float(b, _) => b.append_null(),
                Column::Bool(b) => b.append_null(),
                Column::Text(b) => b.append_null(),
                Column::Bytes(b) => b.append_null(),
                Column::Date(b) => b.append_null(),
                Column::Timestamp(b, _) => b.append_null(),
                Column::Values(_, slot) => values[*slot].push(Value::Null),
            }
            return Ok(());
        };
        match self {
            Column::Int(b, decoder) => b.append_value(match decoder {
                Decoder::Int2 => i16::from_be_bytes(fixed(bytes)?).into(),
                Decoder::Int4 => i32::from_be_bytes(fixed(bytes)?).into(),
                Decoder::Oid => u32::from_be_bytes(fixed(bytes)?).into(),
                _ => i64::from_be_bytes(fixed(bytes)?),
            }),
            Column::Float(b, decoder) => b.append_value(match decoder {
                Decoder::Float4 => f32::from_be_bytes(fixed(bytes)?).into(),
                _ => f64::from_be_bytes(fixed(bytes)?),
            }),
            Column::Bool(b) => b.append_value(fixed::<1>(bytes)?[0] != 0),
            Column::Text(b) => b.append_value(text(bytes)?),
            Column::Bytes(b) => b.append_value(bytes),
            Column::Date(b) => {
                let days = i32::from_be_bytes(fixed(bytes)?);
                // i32::MAX and i32::MIN are `infinity` and `-infinity`.
                let finite = (days != i32::MAX && days != i32::MIN)
                    .then(|| days.checked_add(EPOCH_DAYS))
                    .flatten();
                match finite {
                    Some(days) => b.append_value(days),
                    None => return Err(misfit(&Decoder::Date, bytes, &DataType::Date32)),
                }
            }
            Column::Timestamp(b, zone) => {
                let micros = i64::from_be_bytes(fixed(bytes)?);
                match micros.checked_add(EPOCH_MICROS) {
                    Some(at) if micros != i64::MAX && micros != i64::MIN => b.append_value(at),
                    _ => {
                        let decoder = match zone {
                            Some(_) => Decoder::TimestampTz,
                            None => Decoder::Timestamp,
                        };
                        let data_type = DataType::Timestamp(TimeUnit::Microsecond, zone.clone());
                        return Err(misfit(&decoder, bytes, &data_type));
                    }
                }
            }
            Column::Values(decoder, slot) => values[*slot].push(decoder.decode(bytes)?),
        }
        Ok(())
    }

    fn finish(&mut self) -> Option<ArrayRef> {
        Some(match self {
            Column::Int(b, _) => Arc::new(b.finish()),
            Column::Float(b, _) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Text(b) => Arc::new(b.finish()),
            Column::Bytes(b) => Arc::new(b.finish()),
            Column::Date(b) => Arc::new(b.finish()),
            Column::Timestamp(b, zone) => Arc::new(b.finish().with_timezone_opt(zone.clone())),
            Column::Values(..) => return None,
        })
    }
}

/// What the row road says of a value that does not fit its column (infinity, a date
/// out of Arrow's range).
fn misfit(decoder: &Decoder, bytes: &[u8], data_type: &DataType) -> String {
    match decoder.decode(bytes) {
        Ok(value) => format!("value {value} does not fit {data_type}"),
        Err(e) => e,
    }
}

/// The rows of a binary COPY gathered into record batches of `schema`.
pub(crate) struct BatchBuilder {
    schema: SchemaRef,
    columns: Vec<Column>,
    /// The columns decoded to values, by slot: their fields and their schema.
    values: Vec<Vec<Value>>,
    values_header: Arc<Header>,
    values_schema: SchemaRef,
    rows: usize,
}

impl BatchBuilder {
    /// A builder of batches of `schema`, whose columns the COPY's `decoders` read.
    pub(crate) fn new(schema: SchemaRef, decoders: &[Decoder]) -> BatchBuilder {
        let mut slots = 0;
        let columns: Vec<Column> = decoders
            .iter()
            .zip(schema.fields())
            .map(|(decoder, field)| Column::of(decoder, field.data_type(), &mut slots))
            .collect();
        let by_values: Vec<Field> = columns
            .iter()
            .zip(schema.fields())
            .filter(|(column, _)| matches!(column, Column::Values(..)))
            .map(|(_, field)| field.as_ref().clone())
            .collect();
        let names = by_values.iter().map(|f| f.name().clone()).collect();
        BatchBuilder {
            columns,
            values: vec![Vec::new(); slots],
            values_header: Arc::new(Header::new(names)),
            values_schema: Arc::new(Schema::new(by_values)),
            schema,
            rows: 0,
        }
    }

    /// Rows appended since the last batch.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Counts a row whose fields went in.
    pub(crate) fn row_done(&mut self) {
        self.rows += 1;
    }

    /// The rows appended so far as a batch; the builder starts over. An error names
    /// the column and the row (`first_row` is the number of this batch's first row).
    pub(crate) fn finish(&mut self, first_row: u64) -> Result<RecordBatch, String> {
        let rows = std::mem::take(&mut self.rows);
        let mut by_values = if self.values.is_empty() {
            Vec::new()
        } else {
            let mut rows_of_values = Vec::with_capacity(rows);
            for r in 0..rows {
                let values = self
                    .values
                    .iter_mut()
                    .map(|v| std::mem::take(&mut v[r]))
                    .collect();
                rows_of_values.push(Row::from_parts(self.values_header.clone(), values));
            }
            self.values.iter_mut().for_each(Vec::clear);
            let batch = rows_to_record_batch(&rows_of_values, &self.values_schema)
                .map_err(|e| format!("row {}, {e}", first_row + e.row as u64))?;
            batch.columns().to_vec()
        }
        .into_iter();
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|column| {
                column
                    .finish()
                    .or_else(|| by_values.next())
                    .expect("an array a column")
            })
            .collect();
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| e.to_string())
    }
}

impl FieldSink for BatchBuilder {
    fn field(&mut self, column: usize, bytes: Option<&[u8]>) -> Result<(), String> {
        self.columns[column].append(bytes, &mut self.values)
    }
}
