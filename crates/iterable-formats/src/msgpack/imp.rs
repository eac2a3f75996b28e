//! The msgpack reader and writer, compiled with the `msgpack` feature (the format's description is in `mod.rs`).

use std::io::Write;

use std::rc::Rc;
use std::sync::Arc;

use crate::blocking_bridge::{Metered, RecordMeter, RowWriter, SyncInput, SyncOutput};
use chrono::DateTime;
use iterable_core::limits::record_too_large;
use iterable_core::{
    BoxIterable, DuplicateKeys, Error, HeaderBuilder, Result, Row, Timestamp, Value,
};
use rmpv::Value as Mp;
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::blocking::{bridge_reader, bridge_writer, next_value_start, record_error, write_error};
use crate::{ReadContext, WriteContext};

/// The extension type of MessagePack timestamps.
const TIMESTAMP_EXT: i8 = -1;

/// Opens a MessagePack reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let max_record = ctx.options.limits.max_record_bytes;
    let duplicates = ctx.options.duplicate_keys;
    Ok(bridge_reader(reader, ctx, move |input| {
        let meter = RecordMeter::new(max_record);
        Ok(Maps {
            input: Metered::new(input, meter.clone()),
            meter,
            record: 0,
            duplicates,
        })
    }))
}

/// Opens a MessagePack writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let location = ctx.info.location.clone();
    Ok(bridge_writer(writer, ctx, move |out| {
        Ok(MsgPackWriter {
            out,
            location,
            buf: Vec::new(),
        })
    }))
}

/// The maps of the input, one per row; each is at most `max_record_bytes` (a value is
/// decoded whole, and a small compressed file can hold a huge string).
struct Maps {
    input: Metered<SyncInput>,
    meter: Rc<RecordMeter>,
    record: u64,
    duplicates: DuplicateKeys,
}

impl Maps {
    fn next_map(&mut self) -> Result<Option<Row>> {
        let Some((location, start)) = next_value_start(&mut self.input, &self.meter)? else {
            return Ok(None);
        };
        self.record += 1;
        let fail = |message: String| record_error(&location, self.record, start, message, b"");
        let depth = iterable_core::MAX_NESTING_DEPTH;
        let meter = &self.meter;
        let value = rmpv::decode::read_value_with_max_depth(&mut self.input, depth).map_err(
            |e| match e {
                _ if meter.exceeded() => fail(record_too_large("value", meter.max())),
                rmpv::decode::Error::InvalidMarkerRead(io)
                | rmpv::decode::Error::InvalidDataRead(io)
                    if io.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    fail("truncated MessagePack value: the input ends inside it".to_owned())
                }
                rmpv::decode::Error::DepthLimitExceeded => fail(format!(
                    "values nested deeper than {depth} levels (the limit of every format)"
                )),
                other => fail(format!("invalid MessagePack value: {other}")),
            },
        )?;
        match value {
            Mp::Map(entries) => record_row(entries, self.duplicates).map(Some).map_err(fail),
            other => Err(fail(format!(
                "expected a map (one row), found {}",
                kind(&other)
            ))),
        }
    }
}

impl Iterator for Maps {
    type Item = Result<Row>;
    fn next(&mut self) -> Option<Result<Row>> {
        self.next_map().transpose()
    }
}

fn kind(v: &Mp) -> &'static str {
    match v {
        Mp::Nil => "nil",
        Mp::Boolean(_) => "a boolean",
        Mp::Integer(_) => "an integer",
        Mp::F32(_) | Mp::F64(_) => "a float",
        Mp::String(_) => "a string",
        Mp::Binary(_) => "binary",
        Mp::Array(_) => "an array",
        Mp::Map(_) => "a map",
        Mp::Ext(..) => "an extension",
    }
}

/// A record's map as a row, its repeated keys by `rule` (nested maps: the last wins).
fn record_row(entries: Vec<(Mp, Mp)>, rule: DuplicateKeys) -> std::result::Result<Row, String> {
    let mut names = HeaderBuilder::new();
    let mut values = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let key = key_text(k);
        match (names.position(&key), rule) {
            (None, _) => {
                names.add(key.into());
                values.push(to_value(v));
            }
            (Some(at), DuplicateKeys::Last) => values[at] = to_value(v),
            (Some(_), DuplicateKeys::First) => {}
            (Some(_), DuplicateKeys::Error) => return Err(DuplicateKeys::message(&key)),
        }
    }
    Ok(Row::from_parts(Arc::new(names.into_header()), values))
}

fn key_text(k: Mp) -> String {
    match k {
        Mp::String(s) => s.into_str().unwrap_or_else(|| "<non-UTF-8 key>".to_owned()),
        other => other.to_string(),
    }
}

fn map_to_row(entries: Vec<(Mp, Mp)>) -> Row {
    entries
        .into_iter()
        .map(|(k, v)| (key_text(k), to_value(v)))
        .collect()
}

fn to_value(v: Mp) -> Value {
    match v {
        Mp::Nil => Value::Null,
        Mp::Boolean(b) => Value::Bool(b),
        Mp::Integer(i) => match (i.as_i64(), i.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::from(u),
            (None, None) => Value::Null,
        },
        Mp::F32(f) => Value::Float(f as f64),
        Mp::F64(f) => Value::Float(f),
        Mp::String(s) => {
            if s.is_str() {
                Value::String(s.into_str().unwrap_or_default().into())
            } else {
                Value::Bytes(s.into_bytes())
            }
        }
        Mp::Binary(b) => Value::Bytes(b),
        Mp::Array(items) => Value::List(items.into_iter().map(to_value).collect()),
        Mp::Map(entries) => Value::Map(map_to_row(entries)),
        Mp::Ext(TIMESTAMP_EXT, data) => match decode_timestamp(&data) {
            Some(t) => Value::Timestamp(t),
            None => ext_value(TIMESTAMP_EXT, data),
        },
        Mp::Ext(ty, data) => ext_value(ty, data),
    }
}

fn ext_value(ty: i8, data: Vec<u8>) -> Value {
    Value::Map(
        [
            ("type", Value::Int(ty as i64)),
            ("data", Value::Bytes(data)),
        ]
        .into_iter()
        .collect(),
    )
}

/// The three layouts of the timestamp extension: 32-bit seconds; 30-bit nanoseconds
/// and 34-bit seconds; 32-bit nanoseconds and 64-bit signed seconds.
fn decode_timestamp(data: &[u8]) -> Option<Timestamp> {
    let (secs, nanos) = match data.len() {
        4 => (u32::from_be_bytes(data.try_into().ok()?) as i64, 0),
        8 => {
            let both = u64::from_be_bytes(data.try_into().ok()?);
            ((both & 0x3_ffff_ffff) as i64, (both >> 34) as u32)
        }
        12 => (
            i64::from_be_bytes(data[4..].try_into().ok()?),
            u32::from_be_bytes(data[..4].try_into().ok()?),
        ),
        _ => return None,
    };
    let datetime = DateTime::from_timestamp(secs, nanos)?.naive_utc();
    Some(Timestamp {
        datetime,
        tz: Some("UTC".into()),
    })
}

fn encode_timestamp(t: &Timestamp) -> Vec<u8> {
    let utc = t.datetime.and_utc();
    let mut data = Vec::with_capacity(12);
    data.extend_from_slice(&utc.timestamp_subsec_nanos().to_be_bytes());
    data.extend_from_slice(&utc.timestamp().to_be_bytes());
    data
}

struct MsgPackWriter {
    out: SyncOutput,
    location: String,
    buf: Vec<u8>,
}

impl RowWriter for MsgPackWriter {
    fn write_row(&mut self, row: &Row, number: u64) -> Result<()> {
        self.buf.clear();
        rmpv::encode::write_value(&mut self.buf, &row_to_map(row))
            .map_err(|e| write_error(&self.location, number, e.to_string()))?;
        self.out
            .write_all(&self.buf)
            .map_err(|e| Error::io(&self.location, e))
    }

    fn finish(self) -> Result<SyncOutput> {
        Ok(self.out)
    }
}

fn row_to_map(row: &Row) -> Mp {
    Mp::Map(
        row.iter()
            .map(|(k, v)| (Mp::from(k), to_msgpack(v)))
            .collect(),
    )
}

fn to_msgpack(v: &Value) -> Mp {
    match v {
        Value::Null => Mp::Nil,
        Value::Bool(b) => Mp::Boolean(*b),
        Value::Int(i) => Mp::from(*i),
        Value::Float(f) => Mp::F64(*f),
        Value::String(s) => Mp::from(s.as_str()),
        Value::Bytes(b) => Mp::Binary(b.clone()),
        Value::Date(d) => Mp::from(d.format("%Y-%m-%d").to_string()),
        Value::Timestamp(t) => Mp::Ext(TIMESTAMP_EXT, encode_timestamp(t)),
        Value::Decimal(d) => match u64::try_from(d.unscaled) {
            Ok(u) if d.scale == 0 => Mp::from(u),
            _ => Mp::from(d.to_string()),
        },
        Value::List(items) => Mp::Array(items.iter().map(to_msgpack).collect()),
        Value::Map(row) => row_to_map(row),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn timestamps_survive_every_layout() {
        let t = Timestamp {
            datetime: NaiveDate::from_ymd_opt(2024, 2, 29)
                .unwrap()
                .and_hms_nano_opt(12, 30, 1, 123_456_789)
                .unwrap(),
            tz: Some("UTC".into()),
        };
        assert_eq!(decode_timestamp(&encode_timestamp(&t)), Some(t));
        // 32-bit seconds: 1970-01-01T00:00:10Z.
        let ten = decode_timestamp(&10u32.to_be_bytes()).unwrap();
        assert_eq!(ten.datetime.and_utc().timestamp(), 10);
        // 64-bit: 5 ns and 20 s.
        let both = (5u64 << 34) | 20;
        let t = decode_timestamp(&both.to_be_bytes()).unwrap();
        assert_eq!(t.datetime.and_utc().timestamp(), 20);
        assert_eq!(t.datetime.and_utc().timestamp_subsec_nanos(), 5);
    }
}
