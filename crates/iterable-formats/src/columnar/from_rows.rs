//! Rows -> Arrow: rows become a [`RecordBatch`] of a given schema, column by column. A
//! value that does not fit its column is a [`FitError`] naming the row, the column and
//! the value; nothing becomes null silently.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::types::{
    ArrowDictionaryKeyType, Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type,
    Decimal256Type, DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType,
    DurationSecondType, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, Time32MillisecondType, Time32SecondType, Time64MicrosecondType,
    Time64NanosecondType, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BinaryArray, BinaryViewArray, BooleanArray, DictionaryArray,
    FixedSizeBinaryArray, FixedSizeListArray, GenericListArray, LargeBinaryArray, LargeStringArray,
    MapArray, NullArray, OffsetSizeTrait, PrimitiveArray, RecordBatch, RecordBatchOptions,
    StringArray, StringViewArray, StructArray,
};
use arrow_buffer::{ArrowNativeType, NullBuffer, OffsetBuffer, i256};
use arrow_schema::{DataType, FieldRef, Fields, SchemaRef, TimeUnit};
use chrono::{NaiveDate, NaiveTime, Timelike};
use iterable_core::{Row, Value};

/// A value that does not fit the schema: which row, which column, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitError {
    /// The 0-based index of the row in the slice given.
    pub row: usize,
    /// The column (nested fields joined by `.`, list items as `[]`).
    pub column: String,
    /// What does not fit, with the value.
    pub message: String,
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column `{}`: {}", self.column, self.message)
    }
}

impl std::error::Error for FitError {}

static NULL: Value = Value::Null;

/// Builds a record batch of `schema` from `rows`. A key the schema lacks, a null in a
/// non-nullable column, or a value of another type is a [`FitError`]; a column a row
/// lacks is null.
///
/// ```
/// use std::sync::Arc;
/// use arrow_schema::{DataType, Field, Schema};
/// use iterable_core::row;
/// use iterable_formats::columnar::rows_to_record_batch;
///
/// let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int8, true)]));
/// let batch = rows_to_record_batch(&[row! { "n" => 1 }, row! { "n" => 2 }], &schema).unwrap();
/// assert_eq!(batch.num_rows(), 2);
/// let err = rows_to_record_batch(&[row! { "n" => 300 }], &schema).unwrap_err();
/// assert_eq!(err.to_string(), "column `n`: value 300 (int) does not fit Int8");
/// ```
pub fn rows_to_record_batch(rows: &[Row], schema: &SchemaRef) -> Result<RecordBatch, FitError> {
    let fields = schema.fields();
    let mut columns: Vec<Vec<&Value>> = vec![Vec::with_capacity(rows.len()); fields.len()];
    let index: HashMap<&str, usize> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name().as_str(), i))
        .collect();
    // Positions of the schema's fields in a row's header, computed once per header.
    let mut last_header: Option<*const iterable_core::Header> = None;
    let mut positions: Vec<Option<usize>> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let header = Arc::as_ptr(row.header());
        if last_header != Some(header) {
            if let Some(extra) = row.keys().find(|k| !index.contains_key(k)) {
                return Err(FitError {
                    row: r,
                    column: extra.to_owned(),
                    message: format!(
                        "the schema has no such column (it has: {})",
                        fields
                            .iter()
                            .map(|f| f.name().as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
            positions = fields
                .iter()
                .map(|f| row.header().position(f.name()))
                .collect();
            last_header = Some(header);
        }
        let values = row.values();
        for (column, pos) in columns.iter_mut().zip(&positions) {
            column.push(pos.map_or(&NULL, |p| &values[p]));
        }
    }
    let origin: Vec<usize> = (0..rows.len()).collect();
    let mut arrays = Vec::with_capacity(fields.len());
    for (field, values) in fields.iter().zip(&columns) {
        arrays.push(build(field, values, &origin, field.name())?);
    }
    RecordBatch::try_new_with_options(
        schema.clone(),
        arrays,
        &RecordBatchOptions::new().with_row_count(Some(rows.len())),
    )
    .map_err(|e| FitError {
        row: 0,
        column: String::new(),
        message: e.to_string(),
    })
}

/// Where each value came from (its row), for errors.
type Origin<'a> = &'a [usize];

fn show(v: &Value) -> String {
    let mut text = match v {
        Value::String(s) => format!("{s:?}"),
        Value::Bytes(b) => format!("<{} bytes>", b.len()),
        other => other.to_string(),
    };
    if text.len() > 60 {
        let mut cut = 60;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

fn misfit(row: usize, path: &str, v: &Value, dt: &DataType) -> FitError {
    FitError {
        row,
        column: path.to_owned(),
        message: format!("value {} ({}) does not fit {dt}", show(v), v.type_name()),
    }
}

fn build(
    field: &FieldRef,
    values: &[&Value],
    origin: Origin<'_>,
    path: &str,
) -> Result<ArrayRef, FitError> {
    if !field.is_nullable()
        && let Some(i) = values.iter().position(|v| v.is_null())
    {
        return Err(FitError {
            row: origin[i],
            column: path.to_owned(),
            message: "null in a non-null column".to_owned(),
        });
    }
    build_type(field.data_type(), values, origin, path)
}

fn build_type(
    dt: &DataType,
    values: &[&Value],
    origin: Origin<'_>,
    path: &str,
) -> Result<ArrayRef, FitError> {
    let fail = |i: usize| misfit(origin[i], path, values[i], dt);
    let n = values.len();
    Ok(match dt {
        DataType::Null => match values.iter().position(|v| !v.is_null()) {
            Some(i) => return Err(fail(i)),
            None => Arc::new(NullArray::new(n)),
        },
        DataType::Boolean => {
            let mut out = Vec::with_capacity(n);
            for (i, v) in values.iter().enumerate() {
                out.push(match v {
                    Value::Null => None,
                    Value::Bool(b) => Some(*b),
                    _ => return Err(fail(i)),
                });
            }
            Arc::new(BooleanArray::from(out))
        }
        DataType::Int8 => prim::<Int8Type>(dt, values, &fail, |v| int(v)?.try_into().ok())?,
        DataType::Int16 => prim::<Int16Type>(dt, values, &fail, |v| int(v)?.try_into().ok())?,
        DataType::Int32 => prim::<Int32Type>(dt, values, &fail, |v| int(v)?.try_into().ok())?,
        DataType::Int64 => prim::<Int64Type>(dt, values, &fail, int)?,
        DataType::UInt8 => prim::<UInt8Type>(dt, values, &fail, |v| int(v)?.try_into().ok())?,
        DataType::UInt16 => prim::<UInt16Type>(dt, values, &fail, |v| int(v)?.try_into().ok())?,
        DataType::UInt32 => prim::<UInt32Type>(dt, values, &fail, |v| int(v)?.try_into().ok())?,
        DataType::UInt64 => prim::<UInt64Type>(dt, values, &fail, |v| match v {
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::Decimal(d) => u64::try_from(rescale(d.unscaled, d.scale, 0)?).ok(),
            _ => None,
        })?,
        DataType::Float16 => {
            prim::<Float16Type>(dt, values, &fail, |v| float(v).map(half::f16::from_f64))?
        }
        DataType::Float32 => {
            prim::<Float32Type>(dt, values, &fail, |v| float(v).map(|f| f as f32))?
        }
        DataType::Float64 => prim::<Float64Type>(dt, values, &fail, float)?,
        DataType::Utf8 => Arc::new(StringArray::from(texts(values, &fail)?)),
        DataType::LargeUtf8 => Arc::new(LargeStringArray::from(texts(values, &fail)?)),
        DataType::Utf8View => Arc::new(StringViewArray::from(texts(values, &fail)?)),
        DataType::Binary => Arc::new(BinaryArray::from(blobs(values, &fail)?)),
        DataType::LargeBinary => Arc::new(LargeBinaryArray::from(blobs(values, &fail)?)),
        DataType::BinaryView => Arc::new(BinaryViewArray::from(blobs(values, &fail)?)),
        DataType::FixedSizeBinary(size) => {
            let blobs = blobs(values, &fail)?;
            if let Some(i) = blobs
                .iter()
                .position(|b| b.is_some_and(|b| b.len() != *size as usize))
            {
                return Err(fail(i));
            }
            Arc::new(
                FixedSizeBinaryArray::try_from_sparse_iter_with_size(blobs.into_iter(), *size)
                    .map_err(|e| fail_with(origin, path, e))?,
            )
        }
        DataType::Date32 => prim::<Date32Type>(dt, values, &fail, |v| match v {
            Value::Date(d) => i32::try_from(days(d)).ok(),
            _ => None,
        })?,
        DataType::Date64 => prim::<Date64Type>(dt, values, &fail, |v| match v {
            Value::Date(d) => days(d).checked_mul(86_400_000),
            _ => None,
        })?,
        DataType::Timestamp(unit, tz) => {
            let f = |v: &Value| match v {
                Value::Timestamp(t) if t.tz.is_some() == tz.is_some() => {
                    let utc = t.datetime.and_utc();
                    let nanos = utc.timestamp_subsec_nanos() as i64;
                    let secs = utc.timestamp();
                    in_unit(secs, nanos, *unit)
                }
                _ => None,
            };
            match unit {
                TimeUnit::Second => prim::<TimestampSecondType>(dt, values, &fail, f)?,
                TimeUnit::Millisecond => prim::<TimestampMillisecondType>(dt, values, &fail, f)?,
                TimeUnit::Microsecond => prim::<TimestampMicrosecondType>(dt, values, &fail, f)?,
                TimeUnit::Nanosecond => prim::<TimestampNanosecondType>(dt, values, &fail, f)?,
            }
        }
        DataType::Time32(unit) | DataType::Time64(unit) => {
            let f = |v: &Value| {
                let t = NaiveTime::parse_from_str(v.as_str()?, "%H:%M:%S%.f").ok()?;
                in_unit(
                    t.num_seconds_from_midnight() as i64,
                    t.nanosecond() as i64,
                    *unit,
                )
            };
            match unit {
                TimeUnit::Second => {
                    prim::<Time32SecondType>(dt, values, &fail, |v| f(v)?.try_into().ok())?
                }
                TimeUnit::Millisecond => {
                    prim::<Time32MillisecondType>(dt, values, &fail, |v| f(v)?.try_into().ok())?
                }
                TimeUnit::Microsecond => prim::<Time64MicrosecondType>(dt, values, &fail, f)?,
                TimeUnit::Nanosecond => prim::<Time64NanosecondType>(dt, values, &fail, f)?,
            }
        }
        DataType::Duration(unit) => match unit {
            TimeUnit::Second => prim::<DurationSecondType>(dt, values, &fail, int)?,
            TimeUnit::Millisecond => prim::<DurationMillisecondType>(dt, values, &fail, int)?,
            TimeUnit::Microsecond => prim::<DurationMicrosecondType>(dt, values, &fail, int)?,
            TimeUnit::Nanosecond => prim::<DurationNanosecondType>(dt, values, &fail, int)?,
        },
        DataType::Decimal32(p, s) => {
            prim::<Decimal32Type>(dt, values, &fail, |v| decimal(v, *p, *s)?.try_into().ok())?
        }
        DataType::Decimal64(p, s) => {
            prim::<Decimal64Type>(dt, values, &fail, |v| decimal(v, *p, *s)?.try_into().ok())?
        }
        DataType::Decimal128(p, s) => {
            prim::<Decimal128Type>(dt, values, &fail, |v| decimal(v, *p, *s))?
        }
        DataType::Decimal256(p, s) => prim::<Decimal256Type>(dt, values, &fail, |v| {
            decimal(v, (*p).min(38), *s).map(i256::from_i128)
        })?,
        DataType::List(item) => list::<i32>(item, values, origin, path, &fail)?,
        DataType::LargeList(item) => list::<i64>(item, values, origin, path, &fail)?,
        DataType::FixedSizeList(item, size) => {
            let mut children = Vec::new();
            let mut child_origin = Vec::new();
            let mut valid = Vec::with_capacity(n);
            for (i, v) in values.iter().enumerate() {
                match v {
                    Value::Null => {
                        valid.push(false);
                        children.extend(std::iter::repeat_n(&NULL, *size as usize));
                        child_origin.extend(std::iter::repeat_n(origin[i], *size as usize));
                    }
                    Value::List(items) if items.len() == *size as usize => {
                        valid.push(true);
                        children.extend(items.iter());
                        child_origin.extend(std::iter::repeat_n(origin[i], items.len()));
                    }
                    _ => return Err(fail(i)),
                }
            }
            let child = build_type(
                item.data_type(),
                &children,
                &child_origin,
                &format!("{path}[]"),
            )?;
            Arc::new(
                FixedSizeListArray::try_new(item.clone(), *size, child, nulls(valid))
                    .map_err(|e| fail_with(origin, path, e))?,
            )
        }
        DataType::Struct(fields) => Arc::new(structs(fields, values, origin, path, &fail)?),
        DataType::Map(entries, sorted) => {
            let DataType::Struct(kv) = entries.data_type() else {
                return Err(fail_with(origin, path, "a map's entries must be a struct"));
            };
            let (key_field, value_field) = (&kv[0], &kv[1]);
            let mut keys: Vec<Value> = Vec::new();
            let mut vals: Vec<&Value> = Vec::new();
            let mut child_origin = Vec::new();
            let mut offsets = vec![0i32];
            let mut valid = Vec::with_capacity(n);
            for (i, v) in values.iter().enumerate() {
                match v {
                    Value::Null => valid.push(false),
                    Value::Map(row) => {
                        valid.push(true);
                        for (k, val) in row.iter() {
                            keys.push(map_key(k, key_field.data_type()));
                            vals.push(val);
                            child_origin.push(origin[i]);
                        }
                    }
                    _ => return Err(fail(i)),
                }
                offsets.push(keys.len() as i32);
            }
            let key_refs: Vec<&Value> = keys.iter().collect();
            let key_array = build(key_field, &key_refs, &child_origin, &format!("{path}.key"))?;
            let value_array = build(value_field, &vals, &child_origin, &format!("{path}.value"))?;
            let entries_array =
                StructArray::try_new(kv.clone(), vec![key_array, value_array], None)
                    .map_err(|e| fail_with(origin, path, e))?;
            Arc::new(
                MapArray::try_new(
                    entries.clone(),
                    OffsetBuffer::new(offsets.into()),
                    entries_array,
                    nulls(valid),
                    *sorted,
                )
                .map_err(|e| fail_with(origin, path, e))?,
            )
        }
        DataType::Dictionary(key, value) => {
            let dictionary = build_type(value, values, origin, path)?;
            match key.as_ref() {
                DataType::Int8 => dict::<Int8Type>(values, dictionary, origin, path)?,
                DataType::Int16 => dict::<Int16Type>(values, dictionary, origin, path)?,
                DataType::Int32 => dict::<Int32Type>(values, dictionary, origin, path)?,
                DataType::Int64 => dict::<Int64Type>(values, dictionary, origin, path)?,
                DataType::UInt8 => dict::<UInt8Type>(values, dictionary, origin, path)?,
                DataType::UInt16 => dict::<UInt16Type>(values, dictionary, origin, path)?,
                DataType::UInt32 => dict::<UInt32Type>(values, dictionary, origin, path)?,
                DataType::UInt64 => dict::<UInt64Type>(values, dictionary, origin, path)?,
                other => {
                    return Err(fail_with(
                        origin,
                        path,
                        format!("{other} is not a dictionary key type"),
                    ));
                }
            }
        }
        other => {
            return Err(fail_with(
                origin,
                path,
                format!("writing the Arrow type {other} is not supported"),
            ));
        }
    })
}

fn fail_with(origin: Origin<'_>, path: &str, e: impl std::fmt::Display) -> FitError {
    FitError {
        row: origin.first().copied().unwrap_or(0),
        column: path.to_owned(),
        message: e.to_string(),
    }
}

fn nulls(valid: Vec<bool>) -> Option<NullBuffer> {
    valid.iter().any(|v| !v).then(|| NullBuffer::from(valid))
}

fn prim<T: ArrowPrimitiveType>(
    dt: &DataType,
    values: &[&Value],
    fail: &dyn Fn(usize) -> FitError,
    f: impl Fn(&Value) -> Option<T::Native>,
) -> Result<ArrayRef, FitError> {
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        if v.is_null() {
            out.push(None);
            continue;
        }
        match f(v) {
            Some(x) => out.push(Some(x)),
            None => return Err(fail(i)),
        }
    }
    Ok(Arc::new(
        out.into_iter()
            .collect::<PrimitiveArray<T>>()
            .with_data_type(dt.clone()),
    ))
}

fn texts<'a>(
    values: &[&'a Value],
    fail: &dyn Fn(usize) -> FitError,
) -> Result<Vec<Option<&'a str>>, FitError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.as_str())),
            _ => Err(fail(i)),
        })
        .collect()
}

fn blobs<'a>(
    values: &[&'a Value],
    fail: &dyn Fn(usize) -> FitError,
) -> Result<Vec<Option<&'a [u8]>>, FitError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.as_slice())),
            _ => Err(fail(i)),
        })
        .collect()
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Decimal(d) => i64::try_from(rescale(d.unscaled, d.scale, 0)?).ok(),
        _ => None,
    }
}

fn float(v: &Value) -> Option<f64> {
    const EXACT: i64 = 1 << 53;
    match v {
        Value::Float(f) => Some(*f),
        Value::Int(i) if (-EXACT..=EXACT).contains(i) => Some(*i as f64),
        _ => None,
    }
}

/// `unscaled * 10^-from` as a number with scale `to`, when that is exact.
fn rescale(unscaled: i128, from: i8, to: i8) -> Option<i128> {
    let diff = to as i32 - from as i32;
    if diff >= 0 {
        unscaled.checked_mul(10i128.checked_pow(diff as u32)?)
    } else {
        let div = 10i128.checked_pow((-diff) as u32)?;
        (unscaled % div == 0).then(|| unscaled / div)
    }
}

fn decimal(v: &Value, precision: u8, scale: i8) -> Option<i128> {
    let x = match v {
        Value::Int(i) => rescale(*i as i128, 0, scale)?,
        Value::Decimal(d) => rescale(d.unscaled, d.scale, scale)?,
        _ => return None,
    };
    let limit = 10i128.checked_pow(precision as u32).unwrap_or(i128::MAX);
    (x.unsigned_abs() < limit.unsigned_abs()).then_some(x)
}

pub(super) fn days(d: &NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    d.signed_duration_since(epoch).num_days()
}

/// Seconds plus nanoseconds as a count of `unit`, when exact and in range.
pub(super) fn in_unit(secs: i64, nanos: i64, unit: TimeUnit) -> Option<i64> {
    let per_sec: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let step = 1_000_000_000 / per_sec;
    if nanos % step != 0 {
        return None;
    }
    secs.checked_mul(per_sec)?.checked_add(nanos / step)
}

fn map_key(key: &str, dt: &DataType) -> Value {
    if dt.is_integer()
        && let Ok(i) = key.parse::<i64>()
    {
        return Value::Int(i);
    }
    Value::from(key)
}

fn list<O: OffsetSizeTrait>(
    item: &FieldRef,
    values: &[&Value],
    origin: Origin<'_>,
    path: &str,
    fail: &dyn Fn(usize) -> FitError,
) -> Result<ArrayRef, FitError> {
    let mut children: Vec<&Value> = Vec::new();
    let mut child_origin = Vec::new();
    let mut offsets = Vec::with_capacity(values.len() + 1);
    offsets.push(O::usize_as(0));
    let mut valid = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        match v {
            Value::Null => valid.push(false),
            Value::List(items) => {
                valid.push(true);
                children.extend(items.iter());
                child_origin.extend(std::iter::repeat_n(origin[i], items.len()));
            }
            _ => return Err(fail(i)),
        }
        offsets.push(O::usize_as(children.len()));
    }
    let child = build(item, &children, &child_origin, &format!("{path}[]"))?;
    Ok(Arc::new(
        GenericListArray::<O>::try_new(
            item.clone(),
            OffsetBuffer::new(offsets.into()),
            child,
            nulls(valid),
        )
        .map_err(|e| fail_with(origin, path, e))?,
    ))
}

fn structs(
    fields: &Fields,
    values: &[&Value],
    origin: Origin<'_>,
    path: &str,
    fail: &dyn Fn(usize) -> FitError,
) -> Result<StructArray, FitError> {
    let mut columns: Vec<Vec<&Value>> = vec![Vec::with_capacity(values.len()); fields.len()];
    let mut valid = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        match v {
            Value::Null => {
                valid.push(false);
                columns.iter_mut().for_each(|c| c.push(&NULL));
            }
            Value::Map(row) => {
                valid.push(true);
                if let Some(extra) = row.keys().find(|k| fields.find(k).is_none()) {
                    return Err(FitError {
                        row: origin[i],
                        column: format!("{path}.{extra}"),
                        message: format!("the struct {path:?} has no such field"),
                    });
                }
                for (column, field) in columns.iter_mut().zip(fields.iter()) {
                    column.push(row.get(field.name()).unwrap_or(&NULL));
                }
            }
            _ => return Err(fail(i)),
        }
    }
    let mut arrays = Vec::with_capacity(fields.len());
    for (field, column) in fields.iter().zip(&columns) {
        let child_path = format!("{path}.{}", field.name());
        // A null struct's children are null whatever their nullability.
        let child = if field.is_nullable() {
            build(field, column, origin, &child_path)?
        } else {
            let null_in_valid = column
                .iter()
                .zip(&valid)
                .position(|(v, ok)| *ok && v.is_null());
            if let Some(i) = null_in_valid {
                return Err(FitError {
                    row: origin[i],
                    column: child_path,
                    message: "null in a non-null field".to_owned(),
                });
            }
            build_type(field.data_type(), column, origin, &child_path)?
        };
        arrays.push(child);
    }
    StructArray::try_new_with_length(fields.clone(), arrays, nulls(valid), values.len())
        .map_err(|e| fail_with(origin, path, e))
}

fn dict<K: ArrowDictionaryKeyType>(
    values: &[&Value],
    dictionary: ArrayRef,
    origin: Origin<'_>,
    path: &str,
) -> Result<ArrayRef, FitError> {
    let keys: Vec<Option<K::Native>> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if v.is_null() {
                Ok(None)
            } else {
                K::Native::from_usize(i).map(Some).ok_or_else(|| {
                    fail_with(origin, path, "too many values for the dictionary key type")
                })
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Arc::new(
        DictionaryArray::<K>::try_new(keys.into_iter().collect(), dictionary)
            .map_err(|e| fail_with(origin, path, e))?,
    ))
}
