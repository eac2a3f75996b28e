//! The CBOR reader and writer, compiled with the `cbor` feature (the format's
//! description is in `mod.rs`).

use std::collections::VecDeque;
use std::io::Write;
use std::rc::Rc;

use ciborium::Value as Cb;
use iterable_core::limits::record_too_large;
use iterable_core::{BoxIterable, Error, Result, Row, Timestamp, Value};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::blocking::{bridge_reader, bridge_writer, next_value_start, record_error, write_error};
use crate::blocking_bridge::{Metered, RecordMeter, RowWriter, SyncInput, SyncOutput};
use crate::{ReadContext, WriteContext};

const SELF_DESCRIBED: u64 = 55799;
const DATE_TIME: u64 = 0;
const EPOCH: u64 = 1;
const FULL_DATE: u64 = 1004;

/// Opens a CBOR reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let max_record = ctx.options.limits.max_record_bytes;
    Ok(bridge_reader(reader, ctx, move |input| {
        let meter = RecordMeter::new(max_record);
        Ok(Items {
            input: Metered::new(input, meter.clone()),
            meter,
            item: 0,
            pending: VecDeque::new(),
        })
    }))
}

/// Opens a CBOR writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let location = ctx.info.location.clone();
    Ok(bridge_writer(writer, ctx, move |out| {
        Ok(CborWriter {
            out,
            location,
            buf: Vec::new(),
        })
    }))
}

/// The items of the input; the rows of an array item wait in `pending`.
struct Items {
    input: Metered<SyncInput>,
    meter: Rc<RecordMeter>,
    item: u64,
    pending: VecDeque<Row>,
}

impl Items {
    fn next_row(&mut self) -> Result<Option<Row>> {
        loop {
            if let Some(row) = self.pending.pop_front() {
                return Ok(Some(row));
            }
            let Some((location, start)) = next_value_start(&mut self.input, &self.meter)? else {
                return Ok(None);
            };
            self.item += 1;
            let fail = |message: String| record_error(&location, self.item, start, message, b"");
            let depth = iterable_core::MAX_NESTING_DEPTH;
            let meter = &self.meter;
            let value: Cb = ciborium::de::from_reader_with_recursion_limit(&mut self.input, depth)
                .map_err(|e| match e {
                    _ if meter.exceeded() => fail(record_too_large("item", meter.max())),
                    ciborium::de::Error::Io(io)
                        if io.kind() == std::io::ErrorKind::UnexpectedEof =>
                    {
                        fail("truncated CBOR item: the input ends inside it".to_owned())
                    }
                    ciborium::de::Error::RecursionLimitExceeded => fail(format!(
                        "values nested deeper than {depth} levels (the limit of every format)"
                    )),
                    other => fail(format!("invalid CBOR item: {other:?}")),
                })?;
            match untag(value) {
                Cb::Map(entries) => return Ok(Some(map_row(entries))),
                Cb::Array(items) => {
                    for item in items {
                        match untag(item) {
                            Cb::Map(entries) => self.pending.push_back(map_row(entries)),
                            other => {
                                return Err(fail(format!(
                                    "an array item holds {}, not a map (one row)",
                                    kind(&other)
                                )));
                            }
                        }
                    }
                }
                other => {
                    return Err(fail(format!(
                        "expected a map (one row), found {}",
                        kind(&other)
                    )));
                }
            }
        }
    }
}

impl Iterator for Items {
    type Item = Result<Row>;
    fn next(&mut self) -> Option<Result<Row>> {
        self.next_row().transpose()
    }
}

fn untag(v: Cb) -> Cb {
    match v {
        Cb::Tag(SELF_DESCRIBED, inner) => untag(*inner),
        other => other,
    }
}

fn kind(v: &Cb) -> &'static str {
    match v {
        Cb::Integer(_) => "an integer",
        Cb::Bytes(_) => "a byte string",
        Cb::Float(_) => "a float",
        Cb::Text(_) => "text",
        Cb::Bool(_) => "a boolean",
        Cb::Null => "null",
        Cb::Tag(..) => "a tagged value",
        Cb::Array(_) => "an array",
        Cb::Map(_) => "a map",
        _ => "another value",
    }
}

fn key_text(k: Cb) -> String {
    match k {
        Cb::Text(s) => s,
        Cb::Integer(i) => i128::from(i).to_string(),
        other => format!("{:?}", to_value(other)),
    }
}

fn map_row(entries: Vec<(Cb, Cb)>) -> Row {
    entries
        .into_iter()
        .map(|(k, v)| (key_text(k), to_value(v)))
        .collect()
}

fn utc(datetime: chrono::NaiveDateTime) -> Value {
    Value::Timestamp(Timestamp {
        datetime,
        tz: Some("UTC".into()),
    })
}

fn to_value(v: Cb) -> Value {
    match v {
        Cb::Null => Value::Null,
        Cb::Bool(b) => Value::Bool(b),
        Cb::Integer(i) => {
            let i = i128::from(i);
            // Past 64 bits (CBOR reaches -2^64 and 2^64 - 1): exact, as for JSON.
            i64::try_from(i).map_or(
                Value::Decimal(iterable_core::Decimal {
                    unscaled: i,
                    scale: 0,
                }),
                Value::Int,
            )
        }
        Cb::Float(f) => Value::Float(f),
        Cb::Text(s) => Value::from(s),
        Cb::Bytes(b) => Value::Bytes(b),
        Cb::Array(items) => Value::List(items.into_iter().map(to_value).collect()),
        Cb::Map(entries) => Value::Map(map_row(entries)),
        Cb::Tag(DATE_TIME, inner) => match *inner {
            Cb::Text(s) => chrono::DateTime::parse_from_rfc3339(&s)
                .map_or(Value::from(s), |t| utc(t.naive_utc())),
            other => tagged(DATE_TIME, other),
        },
        Cb::Tag(EPOCH, inner) => {
            let secs = match &*inner {
                Cb::Integer(i) => Some(i128::from(*i) as f64),
                Cb::Float(f) => Some(*f),
                _ => None,
            };
            secs.and_then(|s| {
                let whole = s.floor();
                chrono::DateTime::from_timestamp(whole as i64, ((s - whole) * 1e9) as u32)
            })
            .map_or_else(|| tagged(EPOCH, *inner), |t| utc(t.naive_utc()))
        }
        Cb::Tag(FULL_DATE, inner) => match *inner {
            Cb::Text(s) => s
                .parse::<chrono::NaiveDate>()
                .map_or(Value::from(s), Value::Date),
            other => tagged(FULL_DATE, other),
        },
        Cb::Tag(SELF_DESCRIBED, inner) => to_value(*inner),
        Cb::Tag(tag, inner) => tagged(tag, *inner),
        _ => Value::Null,
    }
}

fn tagged(tag: u64, inner: Cb) -> Value {
    let mut m = Row::new();
    m.insert("tag", Value::from(tag));
    m.insert("value", to_value(inner));
    Value::Map(m)
}

struct CborWriter {
    out: SyncOutput,
    location: String,
    buf: Vec<u8>,
}

impl RowWriter for CborWriter {
    fn write_row(&mut self, row: &Row, number: u64) -> Result<()> {
        self.buf.clear();
        ciborium::ser::into_writer(&row_to_map(row), &mut self.buf)
            .map_err(|e| write_error(&self.location, number, e.to_string()))?;
        self.out
            .write_all(&self.buf)
            .map_err(|e| Error::io(&self.location, e))
    }

    fn finish(self) -> Result<SyncOutput> {
        Ok(self.out)
    }
}

fn row_to_map(row: &Row) -> Cb {
    Cb::Map(
        row.iter()
            .map(|(k, v)| (Cb::Text(k.to_owned()), to_cbor(v)))
            .collect(),
    )
}

fn to_cbor(v: &Value) -> Cb {
    match v {
        Value::Null => Cb::Null,
        Value::Bool(b) => Cb::Bool(*b),
        Value::Int(i) => Cb::Integer((*i).into()),
        Value::Float(f) => Cb::Float(*f),
        Value::String(s) => Cb::Text(s.as_str().to_owned()),
        Value::Bytes(b) => Cb::Bytes(b.clone()),
        Value::Date(d) => Cb::Tag(
            FULL_DATE,
            Box::new(Cb::Text(d.format("%Y-%m-%d").to_string())),
        ),
        Value::Timestamp(t) => Cb::Tag(
            DATE_TIME,
            Box::new(Cb::Text(
                t.datetime
                    .and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            )),
        ),
        Value::Decimal(d) => match ciborium::value::Integer::try_from(d.unscaled) {
            Ok(i) if d.scale == 0 => Cb::Integer(i),
            _ => Cb::Text(d.to_string()),
        },
        Value::List(items) => Cb::Array(items.iter().map(to_cbor).collect()),
        Value::Map(row) => row_to_map(row),
    }
}
