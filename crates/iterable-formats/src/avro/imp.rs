//! The avro reader and writer, compiled with the `avro` feature (the format's description is in `mod.rs`).

use std::collections::HashMap;

use crate::blocking_bridge::{RowReceiver, RowSender, SyncInput, SyncOutput, spawn_consumer};
use apache_avro::schema::{Name, ResolvedSchema};
use apache_avro::types::Value as Avro;
use apache_avro::{Codec, Schema, Writer};
use chrono::Datelike;
use iterable_core::{AvroCodec, BoxIterable, Error, Result, Row, Value};
use serde_json::{Value as Json, json};
use tokio::io::{AsyncBufRead, AsyncWrite};

use super::container::{Container, Failure};
use super::datum::DatumReader;
use super::logical::EPOCH_DAYS_FROM_CE;
use crate::blocking::{bridge_producer, read_error, record_error, write_error};
use crate::{ReadContext, WriteContext};
use iterable_core::limits::record_too_large;

/// How many rows the writer looks at to infer the schema.
const INFER_ROWS: usize = 1000;

/// Opens an Avro reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let max_record_bytes = ctx.options.limits.max_record_bytes;
    Ok(bridge_producer(reader, ctx, move |input, rows| {
        read_records(input, rows, max_record_bytes)
    }))
}

fn read_records(input: SyncInput, rows: &mut RowSender, max_record_bytes: usize) -> Result<()> {
    let location = input.location().to_owned();
    let failed = |e: Failure, record: u64| match e {
        Failure::Io(e) => read_error(&location, e),
        Failure::Format { offset, message } => {
            record_error(&location, record, offset, message, b"")
        }
    };
    let (mut container, schema) =
        Container::open(input, max_record_bytes).map_err(|e| failed(e, 0))?;
    let resolved = ResolvedSchema::try_from(&schema)
        .map_err(|e| record_error(&location, 0, 0, format!("bad Avro schema: {e}"), b""))?;
    let names: HashMap<Name, &Schema> = resolved
        .get_names()
        .iter()
        .map(|(n, s)| (n.clone(), *s))
        .collect();
    let mut datums = DatumReader::new(names, max_record_bytes);
    let empty_rows = datums.takes_no_bytes(&schema, 0);
    let mut number = 0u64;
    while let Some(block) = container.next_block().map_err(|e| failed(e, number + 1))? {
        if block.count > block.data.len() as u64
            && (!empty_rows || block.count > datums.max_empty())
        {
            return Err(record_error(
                &location,
                number + 1,
                block.offset,
                format!(
                    "block {} declares {} records in {} bytes: the file is corrupt",
                    block.number,
                    block.count,
                    block.data.len()
                ),
                b"",
            ));
        }
        let mut data = &block.data[..];
        // Where a record starts: its byte in the file for uncompressed blocks, else
        // the block's byte and the record's place in the decompressed data.
        let place = |at: usize| {
            if block.uncompressed {
                (block.data_offset() + at as u64, String::new())
            } else {
                (
                    block.offset,
                    format!(", byte {at} of its decompressed data"),
                )
            }
        };
        for _ in 0..block.count {
            number += 1;
            let start = block.data.len() - data.len();
            let value = datums.datum(&schema, &mut data).map_err(|message| {
                let (byte, within) = place(block.data.len() - data.len());
                record_error(
                    &location,
                    number,
                    byte,
                    format!(
                        "cannot read Avro record {number} (block {}{within}): {message}",
                        block.number
                    ),
                    b"",
                )
            })?;
            let end = block.data.len() - data.len();
            if end - start > max_record_bytes {
                let (byte, _) = place(start);
                return Err(record_error(
                    &location,
                    number,
                    byte,
                    record_too_large("record", max_record_bytes),
                    b"",
                ));
            }
            let row = match value {
                Value::Map(row) => row,
                other => [("value", other)].into_iter().collect(),
            };
            if !rows.send(row) {
                return Ok(());
            }
        }
        if !data.is_empty() {
            return Err(record_error(
                &location,
                number,
                block.offset,
                format!(
                    "block {} has {} bytes after its {} records: the file is corrupt",
                    block.number,
                    data.len(),
                    block.count
                ),
                b"",
            ));
        }
    }
    Ok(())
}

/// Opens an Avro writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let codec = match ctx.options.avro.codec {
        AvroCodec::Deflate => Codec::Deflate(Default::default()),
        AvroCodec::Snappy => Codec::Snappy,
        AvroCodec::Zstd => Codec::Zstandard(Default::default()),
        _ => Codec::Null,
    };
    let config = crate::blocking_bridge::BridgeConfig::for_batch_size(ctx.options.batch_size);
    Ok(Box::new(spawn_consumer(
        writer,
        ctx.info,
        config,
        move |out, rows| write_records(out, rows, codec),
    )))
}

fn write_records(out: SyncOutput, rows: &mut RowReceiver, codec: Codec) -> Result<SyncOutput> {
    let location = rows.location().to_owned();
    let mut sample = Vec::new();
    while sample.len() < INFER_ROWS {
        match rows.next_row() {
            Some(row) => sample.push(row),
            None => break,
        }
    }
    let mut infer = Infer::default();
    let fields = infer.record_fields(sample.iter().map(|(_, r)| r));
    let schema_json = json!({"type": "record", "name": "row", "fields": fields});
    let schema = Schema::parse(&schema_json)
        .map_err(|e| write_error(&location, 1, format!("cannot build an Avro schema: {e}")))?;
    let mut writer = Writer::with_codec(&schema, out, codec)
        .map_err(|e| Error::io(&location, std::io::Error::other(e.to_string())))?;
    let mut append = |number: u64, row: &Row| -> Result<()> {
        let record = to_record(row, &schema_json).map_err(|m| write_error(&location, number, m))?;
        writer
            .append_value(record)
            .map(|_| ())
            .map_err(|e| write_error(&location, number, e.to_string()))
    };
    for (number, row) in &sample {
        append(*number, row)?;
    }
    while let Some((number, row)) = rows.next_row() {
        append(number, &row)?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::io(&location, std::io::Error::other(e.to_string())))
}

/// Schema inference: the JSON schema of each column.
#[derive(Default)]
struct Infer {
    records: usize,
}

impl Infer {
    fn record_fields<'r>(&mut self, rows: impl Iterator<Item = &'r Row>) -> Vec<Json> {
        let mut order: Vec<String> = Vec::new();
        let mut values: HashMap<String, Vec<&Value>> = HashMap::new();
        for row in rows {
            for (k, v) in row.iter() {
                values
                    .entry(k.to_owned())
                    .or_insert_with(|| {
                        order.push(k.to_owned());
                        Vec::new()
                    })
                    .push(v);
            }
        }
        order
            .into_iter()
            .map(|name| {
                let ty = self.of(&values[&name]);
                json!({"name": name, "type": ["null", ty], "default": null})
            })
            .collect()
    }

    /// The (non-null) type of these values.
    fn of(&mut self, values: &[&Value]) -> Json {
        let present: Vec<&Value> = values.iter().copied().filter(|v| !v.is_null()).collect();
        let Some(first) = present.first() else {
            return json!("string");
        };
        match first {
            Value::Int(_) | Value::Float(_) => {
                if present.iter().any(|v| matches!(v, Value::Float(_))) {
                    json!("double")
                } else {
                    json!("long")
                }
            }
            Value::Bool(_) => json!("boolean"),
            Value::String(_) => json!("string"),
            Value::Bytes(_) => json!("bytes"),
            Value::Date(_) => json!({"type": "int", "logicalType": "date"}),
            Value::Timestamp(t) if t.tz.is_some() => {
                json!({"type": "long", "logicalType": "timestamp-micros"})
            }
            Value::Timestamp(_) => json!({"type": "long", "logicalType": "local-timestamp-micros"}),
            Value::Decimal(_) => {
                let scale = present
                    .iter()
                    .filter_map(|v| match v {
                        Value::Decimal(d) => Some(d.scale.max(0)),
                        _ => None,
                    })
                    .max()
                    .unwrap_or(0);
                json!({"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": scale})
            }
            Value::List(_) => {
                let items: Vec<&Value> = present
                    .iter()
                    .filter_map(|v| match v {
                        Value::List(items) => Some(items.iter()),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                json!({"type": "array", "items": ["null", self.of(&items)]})
            }
            Value::Map(_) => {
                self.records += 1;
                let name = format!("record_{}", self.records);
                let rows = present.iter().filter_map(|v| match v {
                    Value::Map(r) => Some(r),
                    _ => None,
                });
                let fields = self.record_fields(rows);
                json!({"type": "record", "name": name, "fields": fields})
            }
            Value::Null => json!("string"),
        }
    }
}

/// The record of `row` under the inferred record schema `schema` (JSON).
fn to_record(row: &Row, schema: &Json) -> std::result::Result<Avro, String> {
    let fields = schema["fields"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for key in row.keys() {
        if !fields.iter().any(|f| f["name"] == key) {
            return Err(format!(
                "column {key:?} is not in the Avro schema (inferred from the first rows)"
            ));
        }
    }
    let mut record = Vec::with_capacity(fields.len());
    for field in fields {
        let name = field["name"].as_str().unwrap_or_default();
        let ty = &field["type"][1];
        let value = match row.get(name) {
            None | Some(Value::Null) => Avro::Union(0, Box::new(Avro::Null)),
            Some(v) => Avro::Union(
                1,
                Box::new(to_avro(v, ty).map_err(|m| format!("column {name:?}: {m}"))?),
            ),
        };
        record.push((name.to_owned(), value));
    }
    Ok(Avro::Record(record))
}

fn to_avro(v: &Value, ty: &Json) -> std::result::Result<Avro, String> {
    let logical = ty["logicalType"].as_str();
    let base = ty.as_str().or(ty["type"].as_str()).unwrap_or_default();
    let mismatch = || format!("a {} value where the schema has {ty}", v.type_name());
    Ok(match (v, base, logical) {
        (Value::Int(i), "long", None) => Avro::Long(*i),
        (Value::Int(i), "double", None) => Avro::Double(*i as f64),
        (Value::Float(f), "double", None) => Avro::Double(*f),
        (Value::Bool(b), "boolean", None) => Avro::Boolean(*b),
        (Value::String(s), "string", None) => Avro::String(s.to_string()),
        (Value::Bytes(b), "bytes", None) => Avro::Bytes(b.clone()),
        (Value::Date(d), "int", Some("date")) => {
            Avro::Date(d.num_days_from_ce() - EPOCH_DAYS_FROM_CE)
        }
        (Value::Timestamp(t), "long", Some("timestamp-micros")) if t.tz.is_some() => {
            Avro::TimestampMicros(t.datetime.and_utc().timestamp_micros())
        }
        (Value::Timestamp(t), "long", Some("local-timestamp-micros")) if t.tz.is_none() => {
            Avro::LocalTimestampMicros(t.datetime.and_utc().timestamp_micros())
        }
        (Value::Decimal(d), "bytes", Some("decimal")) => {
            let scale = ty["scale"].as_i64().unwrap_or(0) as i32;
            let shift = scale - d.scale.max(0) as i32;
            let unscaled = if d.scale < 0 {
                10i128
                    .checked_pow((-d.scale as i32 + scale) as u32)
                    .and_then(|p| d.unscaled.checked_mul(p))
            } else {
                10i128
                    .checked_pow(shift as u32)
                    .and_then(|p| d.unscaled.checked_mul(p))
            }
            .ok_or_else(|| format!("decimal {d} does not fit scale {scale}"))?;
            Avro::Decimal(apache_avro::Decimal::from(minimal_be(unscaled)))
        }
        (Value::List(items), "array", None) => Avro::Array(
            items
                .iter()
                .map(|item| match item {
                    Value::Null => Ok(Avro::Union(0, Box::new(Avro::Null))),
                    item => Ok(Avro::Union(1, Box::new(to_avro(item, &ty["items"][1])?))),
                })
                .collect::<std::result::Result<_, String>>()?,
        ),
        (Value::Map(row), "record", None) => to_record(row, ty)?,
        _ => return Err(mismatch()),
    })
}

/// The shortest big-endian two's complement bytes of `n`.
fn minimal_be(n: i128) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let fill = if n < 0 { 0xff } else { 0 };
    let mut start = 0;
    while start < 15 && bytes[start] == fill && (bytes[start + 1] & 0x80 != 0) == (n < 0) {
        start += 1;
    }
    bytes[start..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::logical::be_i128;

    #[test]
    fn decimal_bytes_round_trip() {
        for n in [
            0i128,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            255,
            256,
            i128::MAX,
            i128::MIN,
            12345,
        ] {
            let bytes = minimal_be(n);
            assert_eq!(be_i128(&bytes), Some(n), "{n} -> {bytes:?}");
        }
        assert_eq!(minimal_be(128), [0, 128]);
        assert_eq!(minimal_be(-128), [128]);
    }
}
