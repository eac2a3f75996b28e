//! The avro reader and writer, compiled with the `avro` feature (the format's description is in `mod.rs`).

use std::collections::HashMap;

use crate::blocking_bridge::{RowReceiver, RowSender, SyncInput, SyncOutput, spawn_consumer};
use apache_avro::schema::{Name, ResolvedSchema};
use apache_avro::types::Value as Avro;
use apache_avro::{Codec, Reader, Schema, Writer};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime};
use iterable_core::{AvroCodec, BoxIterable, Decimal, Error, Result, Row, Timestamp, Value};
use serde_json::{Value as Json, json};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::blocking::{bridge_producer, parse_decimal, record_error, write_error};
use crate::{ReadContext, WriteContext};

/// How many rows the writer looks at to infer the schema.
const INFER_ROWS: usize = 1000;

/// Opens an Avro reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    Ok(bridge_producer(reader, ctx, read_records))
}

fn read_records(input: SyncInput, rows: &mut RowSender) -> Result<()> {
    let location = input.location().to_owned();
    let reader = Reader::new(input).map_err(|e| {
        record_error(
            &location,
            0,
            0,
            format!("not a readable Avro file: {e}"),
            b"",
        )
    })?;
    let schema = reader.writer_schema().clone();
    let resolved = ResolvedSchema::try_from(&schema)
        .map_err(|e| record_error(&location, 0, 0, format!("bad Avro schema: {e}"), b""))?;
    let names: HashMap<Name, &Schema> = resolved
        .get_names()
        .iter()
        .map(|(n, s)| (n.clone(), *s))
        .collect();
    let convert = Convert { names: &names };
    for (index, record) in reader.enumerate() {
        let number = index as u64 + 1;
        let record = record.map_err(|e| {
            record_error(
                &location,
                number,
                0,
                format!("cannot read Avro record {number}: {e}"),
                b"",
            )
        })?;
        let row = match convert.value(record, &schema) {
            Value::Map(row) => row,
            other => [("value", other)].into_iter().collect(),
        };
        if !rows.send(row) {
            break;
        }
    }
    Ok(())
}

struct Convert<'a> {
    names: &'a HashMap<Name, &'a Schema>,
}

impl Convert<'_> {
    /// `schema` with references followed.
    fn resolve<'s>(&'s self, schema: &'s Schema) -> &'s Schema {
        match schema {
            Schema::Ref { name } => self.names.get(name).copied().unwrap_or(schema),
            other => other,
        }
    }

    fn value(&self, v: Avro, schema: &Schema) -> Value {
        let schema = self.resolve(schema);
        match v {
            Avro::Null => Value::Null,
            Avro::Boolean(b) => Value::Bool(b),
            Avro::Int(i) => Value::Int(i as i64),
            Avro::Long(i) => Value::Int(i),
            Avro::Float(f) => Value::Float(f as f64),
            Avro::Double(f) => Value::Float(f),
            Avro::Bytes(b) | Avro::Fixed(_, b) => Value::Bytes(b),
            Avro::String(s) | Avro::Enum(_, s) => Value::String(s.into()),
            Avro::Uuid(u) => Value::String(u.to_string().into()),
            Avro::Union(branch, inner) => {
                let branch_schema = match schema {
                    Schema::Union(u) => u.variants().get(branch as usize).unwrap_or(schema),
                    other => other,
                };
                self.value(*inner, branch_schema)
            }
            Avro::Array(items) => {
                let item_schema = match schema {
                    Schema::Array(a) => &*a.items,
                    other => other,
                };
                Value::List(
                    items
                        .into_iter()
                        .map(|i| self.value(i, item_schema))
                        .collect(),
                )
            }
            Avro::Map(entries) => {
                let value_schema = match schema {
                    Schema::Map(m) => &*m.types,
                    other => other,
                };
                let mut entries: Vec<_> = entries.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Map(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k, self.value(v, value_schema)))
                        .collect(),
                )
            }
            Avro::Record(fields) => {
                let field_schemas: Vec<&Schema> = match schema {
                    Schema::Record(r) => r.fields.iter().map(|f| &f.schema).collect(),
                    _ => Vec::new(),
                };
                Value::Map(
                    fields
                        .into_iter()
                        .enumerate()
                        .map(|(i, (k, v))| {
                            let s = field_schemas.get(i).copied().unwrap_or(&Schema::Null);
                            (k, self.value(v, s))
                        })
                        .collect(),
                )
            }
            Avro::Date(days) => NaiveDate::from_num_days_from_ce_opt(days + EPOCH_DAYS_FROM_CE)
                .map_or(Value::Int(days as i64), Value::Date),
            Avro::TimeMillis(ms) => time_text(ms as i64 * 1_000_000, 3),
            Avro::TimeMicros(us) => time_text(us * 1000, 6),
            Avro::TimestampMillis(t) => utc(DateTime::from_timestamp_millis(t), t),
            Avro::TimestampMicros(t) => utc(DateTime::from_timestamp_micros(t), t),
            Avro::TimestampNanos(t) => utc(Some(DateTime::from_timestamp_nanos(t)), t),
            Avro::LocalTimestampMillis(t) => local(DateTime::from_timestamp_millis(t), t),
            Avro::LocalTimestampMicros(t) => local(DateTime::from_timestamp_micros(t), t),
            Avro::LocalTimestampNanos(t) => local(Some(DateTime::from_timestamp_nanos(t)), t),
            Avro::Decimal(d) => {
                let scale = match schema {
                    Schema::Decimal(d) => d.scale,
                    _ => 0,
                };
                match (
                    Vec::<u8>::try_from(&d).ok().and_then(|b| be_i128(&b)),
                    i8::try_from(scale),
                ) {
                    (Some(unscaled), Ok(scale)) => Value::Decimal(Decimal { unscaled, scale }),
                    _ => Value::Null,
                }
            }
            Avro::BigDecimal(d) => {
                let text = d.to_string();
                parse_decimal(&text).map_or(Value::String(text.into()), Value::Decimal)
            }
            Avro::Duration(d) => Value::Map(
                [
                    ("months", Value::Int(u32::from(d.months()) as i64)),
                    ("days", Value::Int(u32::from(d.days()) as i64)),
                    ("millis", Value::Int(u32::from(d.millis()) as i64)),
                ]
                .into_iter()
                .collect(),
            ),
        }
    }
}

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

fn time_text(nanos: i64, digits: usize) -> Value {
    let secs = nanos.div_euclid(1_000_000_000) as u32;
    let sub = nanos.rem_euclid(1_000_000_000) as u32;
    match NaiveTime::from_num_seconds_from_midnight_opt(secs, sub) {
        Some(t) if digits == 3 => Value::String(t.format("%H:%M:%S%.3f").to_string().into()),
        Some(t) => Value::String(t.format("%H:%M:%S%.6f").to_string().into()),
        None => Value::Int(nanos),
    }
}

fn utc(t: Option<DateTime<chrono::Utc>>, raw: i64) -> Value {
    t.map_or(Value::Int(raw), |t| {
        Value::Timestamp(Timestamp {
            datetime: t.naive_utc(),
            tz: Some("UTC".into()),
        })
    })
}

fn local(t: Option<DateTime<chrono::Utc>>, raw: i64) -> Value {
    t.map_or(Value::Int(raw), |t| {
        Value::Timestamp(Timestamp {
            datetime: t.naive_utc(),
            tz: None,
        })
    })
}

/// A big-endian two's complement integer of at most 16 bytes.
fn be_i128(bytes: &[u8]) -> Option<i128> {
    if bytes.len() > 16 {
        return None;
    }
    let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        0xff
    } else {
        0
    };
    let mut full = [fill; 16];
    full[16 - bytes.len()..].copy_from_slice(bytes);
    Some(i128::from_be_bytes(full))
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
