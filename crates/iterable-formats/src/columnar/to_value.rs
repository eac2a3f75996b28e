//! Arrow -> [`Value`]: a [`RecordBatch`] becomes [`Row`]s column by column, without any
//! text in between. The mapping is the table in the [module docs](super).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type,
    DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType, DurationSecondType,
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrowPrimitiveType, GenericListArray, OffsetSizeTrait, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use chrono::{DateTime, NaiveDate, NaiveTime};
use iterable_core::{Decimal, Header, Row, Timestamp, Value};

/// Why an Arrow column could not become values: its path and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError {
    /// The column (nested fields joined by `.`, list items as `[]`).
    pub column: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column `{}`: {}", self.column, self.message)
    }
}

impl std::error::Error for ConvertError {}

/// The header of rows made from batches of `schema`: its field names, in order.
pub fn header_of(schema: &arrow_schema::Schema) -> Arc<Header> {
    Arc::new(Header::new(
        schema.fields().iter().map(|f| f.name().clone()).collect(),
    ))
}

/// Turns a record batch into rows that share `header` (one name per column of the
/// batch, see [`header_of`]). Values follow the mapping table of the
/// [module docs](super).
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
/// use iterable_core::Value;
/// use iterable_formats::columnar::{header_of, record_batch_to_rows};
///
/// let batch = RecordBatch::try_from_iter([
///     ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
///     ("name", Arc::new(StringArray::from(vec![Some("Anna"), None])) as ArrayRef),
/// ])
/// .unwrap();
/// let rows = record_batch_to_rows(&batch, &header_of(&batch.schema())).unwrap();
/// assert_eq!(rows[0]["id"], Value::Int(1));
/// assert_eq!(rows[1]["name"], Value::Null);
/// ```
pub fn record_batch_to_rows(
    batch: &RecordBatch,
    header: &Arc<Header>,
) -> Result<Vec<Row>, ConvertError> {
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
        columns.push(array_to_values(array.as_ref(), field.name())?.into_iter());
    }
    let mut rows = Vec::with_capacity(batch.num_rows());
    for _ in 0..batch.num_rows() {
        let values = columns
            .iter_mut()
            .map(|c| c.next().unwrap_or_default())
            .collect();
        rows.push(Row::from_parts(header.clone(), values));
    }
    Ok(rows)
}

/// Every value of one Arrow array, in order; `column` names it in errors.
pub fn array_to_values(array: &dyn Array, column: &str) -> Result<Vec<Value>, ConvertError> {
    let fail = |message: String| ConvertError {
        column: column.to_owned(),
        message,
    };
    let n = array.len();
    let values = match array.data_type() {
        DataType::Null => vec![Value::Null; n],
        DataType::Boolean => {
            let a = array.as_boolean();
            each(a, |i| Value::Bool(a.value(i)))
        }
        DataType::Int8 => ints::<Int8Type>(array, |v| v as i64),
        DataType::Int16 => ints::<Int16Type>(array, |v| v as i64),
        DataType::Int32 => ints::<Int32Type>(array, |v| v as i64),
        DataType::Int64 => ints::<Int64Type>(array, |v| v),
        DataType::UInt8 => ints::<UInt8Type>(array, |v| v as i64),
        DataType::UInt16 => ints::<UInt16Type>(array, |v| v as i64),
        DataType::UInt32 => ints::<UInt32Type>(array, |v| v as i64),
        DataType::UInt64 => primitive::<UInt64Type>(array, Value::from),
        DataType::Float16 => primitive::<Float16Type>(array, |v| Value::Float(v.to_f64())),
        DataType::Float32 => primitive::<Float32Type>(array, |v| Value::Float(v as f64)),
        DataType::Float64 => primitive::<Float64Type>(array, Value::Float),
        DataType::Utf8 => strings(array.as_string::<i32>()),
        DataType::LargeUtf8 => strings(array.as_string::<i64>()),
        DataType::Utf8View => {
            let a = array.as_string_view();
            each(a, |i| Value::from(a.value(i)))
        }
        DataType::Binary => {
            let a = array.as_binary::<i32>();
            each(a, |i| Value::Bytes(a.value(i).to_vec()))
        }
        DataType::LargeBinary => {
            let a = array.as_binary::<i64>();
            each(a, |i| Value::Bytes(a.value(i).to_vec()))
        }
        DataType::BinaryView => {
            let a = array.as_binary_view();
            each(a, |i| Value::Bytes(a.value(i).to_vec()))
        }
        DataType::FixedSizeBinary(_) => {
            let a = array.as_fixed_size_binary();
            each(a, |i| Value::Bytes(a.value(i).to_vec()))
        }
        DataType::Date32 => try_primitive::<Date32Type>(array, |d| {
            date_from_days(d as i64).ok_or_else(|| fail(format!("date32 {d} is out of range")))
        })?,
        DataType::Date64 => try_primitive::<Date64Type>(array, |ms| {
            DateTime::from_timestamp_millis(ms)
                .map(|t| Value::Date(t.date_naive()))
                .ok_or_else(|| fail(format!("date64 {ms} is out of range")))
        })?,
        DataType::Timestamp(unit, tz) => {
            let tz: Option<Arc<str>> = tz.clone();
            let to = |dt: Option<DateTime<chrono::Utc>>, raw: i64| {
                dt.map(|t| {
                    Value::Timestamp(Timestamp {
                        datetime: t.naive_utc(),
                        tz: tz.clone(),
                    })
                })
                .ok_or_else(|| fail(format!("timestamp {raw} is out of range")))
            };
            match unit {
                TimeUnit::Second => try_primitive::<TimestampSecondType>(array, |v| {
                    to(DateTime::from_timestamp(v, 0), v)
                })?,
                TimeUnit::Millisecond => try_primitive::<TimestampMillisecondType>(array, |v| {
                    to(DateTime::from_timestamp_millis(v), v)
                })?,
                TimeUnit::Microsecond => try_primitive::<TimestampMicrosecondType>(array, |v| {
                    to(DateTime::from_timestamp_micros(v), v)
                })?,
                TimeUnit::Nanosecond => try_primitive::<TimestampNanosecondType>(array, |v| {
                    to(Some(DateTime::from_timestamp_nanos(v)), v)
                })?,
            }
        }
        DataType::Time32(TimeUnit::Second) => {
            try_primitive::<Time32SecondType>(array, |v| time(v as i64 * 1_000_000_000, &fail))?
        }
        DataType::Time32(_) => {
            try_primitive::<Time32MillisecondType>(array, |v| time(v as i64 * 1_000_000, &fail))?
        }
        DataType::Time64(TimeUnit::Microsecond) => {
            try_primitive::<Time64MicrosecondType>(array, |v| match v.checked_mul(1_000) {
                Some(nanos) => time(nanos, &fail),
                None => Err(fail(format!("time of day {v} µs is out of range"))),
            })?
        }
        DataType::Time64(_) => try_primitive::<Time64NanosecondType>(array, |v| time(v, &fail))?,
        DataType::Duration(TimeUnit::Second) => ints::<DurationSecondType>(array, |v| v),
        DataType::Duration(TimeUnit::Millisecond) => ints::<DurationMillisecondType>(array, |v| v),
        DataType::Duration(TimeUnit::Microsecond) => ints::<DurationMicrosecondType>(array, |v| v),
        DataType::Duration(TimeUnit::Nanosecond) => ints::<DurationNanosecondType>(array, |v| v),
        DataType::Decimal32(_, s) => decimals::<Decimal32Type>(array, *s, |v| Some(v as i128)),
        DataType::Decimal64(_, s) => decimals::<Decimal64Type>(array, *s, |v| Some(v as i128)),
        DataType::Decimal128(_, s) => decimals::<Decimal128Type>(array, *s, Some),
        DataType::Decimal256(_, s) => {
            let a = array.as_primitive::<Decimal256Type>();
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                if !valid(a, i) {
                    out.push(Value::Null);
                    continue;
                }
                let raw = a.value(i);
                let unscaled = raw.to_i128().ok_or_else(|| {
                    fail(format!(
                        "decimal256 value {raw} has more digits than a Decimal holds (i128)"
                    ))
                })?;
                out.push(Value::Decimal(Decimal {
                    unscaled,
                    scale: *s,
                }));
            }
            out
        }
        DataType::List(_) => lists(array.as_list::<i32>(), column)?,
        DataType::LargeList(_) => lists(array.as_list::<i64>(), column)?,
        DataType::FixedSizeList(_, size) => {
            let a = array.as_fixed_size_list();
            let items = array_to_values(a.values().as_ref(), &format!("{column}[]"))?;
            let size = *size as usize;
            (0..n)
                .map(|i| {
                    if valid(a, i) {
                        let start = a.value_offset(i) as usize;
                        Value::List(items[start..start + size].to_vec())
                    } else {
                        Value::Null
                    }
                })
                .collect()
        }
        DataType::Struct(fields) => {
            let a = array.as_struct();
            let header = Arc::new(Header::new(
                fields.iter().map(|f| f.name().clone()).collect(),
            ));
            let mut children = Vec::with_capacity(fields.len());
            for (field, child) in fields.iter().zip(a.columns()) {
                let path = format!("{column}.{}", field.name());
                children.push(array_to_values(child.as_ref(), &path)?.into_iter());
            }
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let values: Vec<Value> = children
                    .iter_mut()
                    .map(|c| c.next().unwrap_or_default())
                    .collect();
                out.push(if valid(a, i) {
                    Value::Map(Row::from_parts(header.clone(), values))
                } else {
                    Value::Null
                });
            }
            out
        }
        DataType::Map(_, _) => {
            let a = array.as_map();
            let keys = array_to_values(a.keys().as_ref(), &format!("{column}.key"))?;
            let mut values =
                array_to_values(a.values().as_ref(), &format!("{column}.value"))?.into_iter();
            let offsets = a.value_offsets();
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let (start, end) = (offsets[i] as usize, offsets[i + 1] as usize);
                let mut entry = Row::new();
                for key in &keys[start..end] {
                    let value = values.next().unwrap_or_default();
                    entry.insert(key.to_string(), value);
                }
                out.push(if valid(a, i) {
                    Value::Map(entry)
                } else {
                    Value::Null
                });
            }
            out
        }
        DataType::Dictionary(_, _) => {
            let a = array.as_any_dictionary();
            let dictionary = array_to_values(a.values().as_ref(), column)?;
            let keys = a.normalized_keys();
            (0..n)
                .map(|i| {
                    if a.is_valid(i) {
                        dictionary.get(keys[i]).cloned().unwrap_or_default()
                    } else {
                        Value::Null
                    }
                })
                .collect()
        }
        other => {
            return Err(fail(format!("the Arrow type {other} has no Value mapping")));
        }
    };
    Ok(values)
}

fn valid(array: &dyn Array, i: usize) -> bool {
    array.is_valid(i)
}

/// `f(i)` for every valid slot `i` of `array`, null for the others.
fn each(array: &dyn Array, f: impl Fn(usize) -> Value) -> Vec<Value> {
    (0..array.len())
        .map(|i| if array.is_valid(i) { f(i) } else { Value::Null })
        .collect()
}

fn primitive<T: ArrowPrimitiveType>(
    array: &dyn Array,
    f: impl Fn(T::Native) -> Value,
) -> Vec<Value> {
    let a = array.as_primitive::<T>();
    (0..a.len())
        .map(|i| {
            if a.is_valid(i) {
                f(a.value(i))
            } else {
                Value::Null
            }
        })
        .collect()
}

fn ints<T: ArrowPrimitiveType>(array: &dyn Array, f: impl Fn(T::Native) -> i64) -> Vec<Value> {
    primitive::<T>(array, |v| Value::Int(f(v)))
}

fn try_primitive<T: ArrowPrimitiveType>(
    array: &dyn Array,
    f: impl Fn(T::Native) -> Result<Value, ConvertError>,
) -> Result<Vec<Value>, ConvertError> {
    let a = array.as_primitive::<T>();
    (0..a.len())
        .map(|i| {
            if a.is_valid(i) {
                f(a.value(i))
            } else {
                Ok(Value::Null)
            }
        })
        .collect()
}

fn decimals<T: ArrowPrimitiveType>(
    array: &dyn Array,
    scale: i8,
    f: impl Fn(T::Native) -> Option<i128>,
) -> Vec<Value> {
    primitive::<T>(array, |v| {
        f(v).map_or(Value::Null, |unscaled| {
            Value::Decimal(Decimal { unscaled, scale })
        })
    })
}

fn strings<O: OffsetSizeTrait>(a: &arrow_array::GenericStringArray<O>) -> Vec<Value> {
    (0..a.len())
        .map(|i| {
            if a.is_valid(i) {
                Value::from(a.value(i))
            } else {
                Value::Null
            }
        })
        .collect()
}

fn lists<O: OffsetSizeTrait>(
    a: &GenericListArray<O>,
    column: &str,
) -> Result<Vec<Value>, ConvertError> {
    let items = array_to_values(a.values().as_ref(), &format!("{column}[]"))?;
    let offsets = a.value_offsets();
    let mut items = items.into_iter();
    let mut at = offsets.first().map_or(0, |o| o.as_usize());
    // Skip items before the first offset (a sliced array).
    for _ in 0..at {
        items.next();
    }
    let mut out = Vec::with_capacity(a.len());
    for i in 0..a.len() {
        let end = offsets[i + 1].as_usize();
        let list: Vec<Value> = items.by_ref().take(end - at).collect();
        at = end;
        out.push(if a.is_valid(i) {
            Value::List(list)
        } else {
            Value::Null
        });
    }
    Ok(out)
}

/// The days since 1970-01-01 as a date.
pub(crate) fn date_from_days(days: i64) -> Option<Value> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    epoch
        .checked_add_signed(chrono::TimeDelta::try_days(days)?)
        .map(Value::Date)
}

fn time(nanos: i64, fail: &impl Fn(String) -> ConvertError) -> Result<Value, ConvertError> {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000) as u32;
    let t = NaiveTime::from_num_seconds_from_midnight_opt(secs as u32, frac)
        .filter(|_| (0..86_400).contains(&secs))
        .ok_or_else(|| fail(format!("time of day {nanos} ns is out of range")))?;
    Ok(Value::String(t.format("%H:%M:%S%.f").to_string().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_of_day_past_what_nanoseconds_hold_is_an_error() {
        let array = arrow_array::Time64MicrosecondArray::from(vec![3_600_000_000, i64::MAX / 10]);
        let err = array_to_values(&array, "t").unwrap_err().to_string();
        assert!(
            err.contains("time of day 922337203685477580 µs is out of range"),
            "{err}"
        );
        let ok = arrow_array::Time64MicrosecondArray::from(vec![3_600_000_001]);
        assert_eq!(
            array_to_values(&ok, "t").unwrap(),
            [Value::from("01:00:00.000001")]
        );
    }
}
