//! The columnar road's [`LineSink`] for JSON Lines: a flat record (one object of
//! scalars) appended straight to the buffers of its columns, with no
//! [`Row`](iterable_core::Row) or [`Value`] made. A line is taken whole or not at all: a
//! nested value, a key the schema lacks, a repeated key, or a value that does not fit
//! its column leaves the line to the row parser, whose row then goes through
//! [`rows_to_record_batch`](super::rows_to_record_batch), so the values and the errors
//! are those of the row road.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::BooleanBufferBuilder;
use arrow_array::types::{
    Date32Type, Float64Type, Int64Type, TimestampMicrosecondType, TimestampNanosecondType,
};
use arrow_array::{ArrayRef, BooleanArray, PrimitiveArray, RecordBatch, RecordBatchOptions};
use arrow_array::{ArrowPrimitiveType, StringArray};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, SchemaRef, TimeUnit};

use super::from_rows::{days, in_unit};
use crate::csv::{ColumnType, Typed, plain_datetime_micros};
use crate::json_fast::{JsonScalar, Scanner, plain_key};
use crate::jsonl::LineSink;

/// One column's values so far.
enum Values {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bool(BooleanBufferBuilder),
    Text {
        bytes: Vec<u8>,
        offsets: Vec<i32>,
    },
    /// JSON strings read as dates (days since 1970-01-01).
    Date(Vec<i32>),
    /// JSON strings read as date-times, in `unit`.
    Timestamp {
        kind: ColumnType,
        unit: TimeUnit,
        values: Vec<i64>,
    },
}

/// One field of a line, checked against its column and ready to append.
#[derive(Clone, Copy)]
enum Ready {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A string: bytes `start..end` of the line, or of the unescaped strings
    /// (`unescaped`).
    Text {
        start: u32,
        end: u32,
        unescaped: bool,
    },
}

struct Column {
    values: Values,
    valid: BooleanBufferBuilder,
    nulls: usize,
}

/// Text buffers past this many bytes make the sink full (a Utf8 array's offsets are
/// 32-bit).
const MAX_TEXT_BYTES: usize = 1 << 30;

/// Flat JSON records gathered by column for one schema; see the [module docs](self).
pub(crate) struct JsonColumns {
    schema: SchemaRef,
    names: Vec<Box<str>>,
    /// Whether each name is written in JSON as it is (see [`plain_key`]).
    plain: Vec<bool>,
    /// Column by name, for keys out of the expected order.
    index: HashMap<Box<str>, usize>,
    columns: Vec<Column>,
    rows: usize,
    /// Rows to hold before the reader stops ([`LineSink::full`]).
    limit: usize,
    /// The fields of the line being read, by column.
    line: Vec<Option<Ready>>,
    /// Strings of that line that held escapes, unescaped.
    unescaped: String,
    text_bytes: usize,
}

impl JsonColumns {
    /// A sink for `schema`, whose temporal columns read JSON strings as `types` says;
    /// `None` when a column's type is not one this road makes (nested, binary,
    /// decimal: those records go by rows).
    pub(crate) fn new(schema: SchemaRef, types: impl Fn(&str) -> ColumnType) -> Option<Self> {
        let mut columns = Vec::with_capacity(schema.fields().len());
        for field in schema.fields() {
            let kind = types(field.name());
            let values = match (field.data_type(), kind) {
                (DataType::Int64, _) => Values::Int(Vec::new()),
                (DataType::Float64, _) => Values::Float(Vec::new()),
                (DataType::Boolean, _) => Values::Bool(BooleanBufferBuilder::new(0)),
                (DataType::Utf8, _) => Values::Text {
                    bytes: Vec::new(),
                    offsets: vec![0],
                },
                (DataType::Date32, ColumnType::Date) => Values::Date(Vec::new()),
                (
                    DataType::Timestamp(unit @ (TimeUnit::Microsecond | TimeUnit::Nanosecond), tz),
                    kind @ (ColumnType::Timestamp | ColumnType::TimestampUtc),
                ) if tz.is_some() == (kind == ColumnType::TimestampUtc) => Values::Timestamp {
                    kind,
                    unit: *unit,
                    values: Vec::new(),
                },
                _ => return None,
            };
            columns.push(Column {
                values,
                valid: BooleanBufferBuilder::new(0),
                nulls: 0,
            });
        }
        let names: Vec<Box<str>> = schema
            .fields()
            .iter()
            .map(|f| f.name().as_str().into())
            .collect();
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Some(JsonColumns {
            line: vec![None; names.len()],
            plain: names.iter().map(|n| plain_key(n)).collect(),
            schema,
            names,
            index,
            columns,
            rows: 0,
            limit: usize::MAX,
            unescaped: String::new(),
            text_bytes: 0,
        })
    }

    /// An empty sink for the same schema and column types.
    pub(crate) fn empty_like(&self) -> Self {
        let columns = self
            .columns
            .iter()
            .map(|column| Column {
                values: column.values.empty_like(),
                valid: BooleanBufferBuilder::new(0),
                nulls: 0,
            })
            .collect();
        JsonColumns {
            schema: self.schema.clone(),
            names: self.names.clone(),
            plain: self.plain.clone(),
            index: self.index.clone(),
            columns,
            rows: 0,
            limit: usize::MAX,
            line: vec![None; self.names.len()],
            unescaped: String::new(),
            text_bytes: 0,
        }
    }

    /// Rows held.
    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    /// Makes [`LineSink::full`] true once `rows` rows are held.
    pub(crate) fn set_limit(&mut self, rows: usize) {
        self.limit = rows.max(1);
    }

    /// The rows held as one record batch; the sink is empty after.
    pub(crate) fn take_batch(&mut self) -> RecordBatch {
        let rows = std::mem::take(&mut self.rows);
        self.text_bytes = 0;
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .zip(self.schema.fields())
            .map(|(column, field)| column.finish(field.data_type()))
            .collect();
        RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .expect("each column holds one value a row, of the schema's type")
    }

    /// The column of a key whose opening quote was just read, with the scanner past
    /// its closing quote; `None` for a key the schema lacks.
    fn column_of(&self, scan: &mut Scanner<'_>, expected: usize) -> Option<usize> {
        if let Some(name) = self.names.get(expected)
            && self.plain[expected]
            && scan.key_is(name)
        {
            return Some(expected);
        }
        let key = scan.string()?;
        self.index.get(key.as_ref()).copied()
    }

    /// The line's fields, checked: `None` at anything the row road must decide.
    fn read_line(&mut self, text: &str) -> Option<()> {
        self.line.fill(None);
        self.unescaped.clear();
        let mut scan = Scanner::new(text);
        if !scan.eat(b'{') {
            return None;
        }
        if scan.eat(b'}') {
            return scan.at_end().then_some(());
        }
        let mut fields = 0;
        loop {
            if !scan.eat(b'"') {
                return None;
            }
            let at = self.column_of(&mut scan, fields)?;
            if self.line[at].is_some() || !scan.eat(b':') {
                return None;
            }
            let value = scan.scalar(&mut self.unescaped)?;
            let ready = self.check(at, value, text)?;
            self.line[at] = Some(ready);
            fields += 1;
            if scan.eat(b',') {
                continue;
            }
            if scan.eat(b'}') && scan.at_end() {
                return Some(());
            }
            return None;
        }
    }

    /// `value` checked against column `at`'s type, as the row road would write it.
    fn check(&self, at: usize, value: JsonScalar<'_>, line: &str) -> Option<Ready> {
        const EXACT: i64 = 1 << 53;
        let values = &self.columns[at].values;
        Some(match (values, value) {
            (_, JsonScalar::Null) => Ready::Null,
            (Values::Int(_), JsonScalar::Int(i)) => Ready::Int(i),
            (Values::Float(_), JsonScalar::Float(f)) => Ready::Float(f),
            (Values::Float(_), JsonScalar::Int(i)) if (-EXACT..=EXACT).contains(&i) => {
                Ready::Float(i as f64)
            }
            (Values::Bool(_), JsonScalar::Bool(b)) => Ready::Bool(b),
            (Values::Text { .. }, JsonScalar::String(s)) => {
                let start = s.as_ptr() as usize - line.as_ptr() as usize;
                Ready::Text {
                    start: start as u32,
                    end: (start + s.len()) as u32,
                    unescaped: false,
                }
            }
            (Values::Text { .. }, JsonScalar::Escaped { start, end }) => Ready::Text {
                start: start as u32,
                end: end as u32,
                unescaped: true,
            },
            (Values::Date(_), JsonScalar::String(s)) => date(s)?,
            (Values::Date(_), JsonScalar::Escaped { start, end }) => {
                date(&self.unescaped[start..end])?
            }
            (Values::Timestamp { kind, unit, .. }, JsonScalar::String(s)) => {
                date_time(*kind, *unit, s)?
            }
            (Values::Timestamp { kind, unit, .. }, JsonScalar::Escaped { start, end }) => {
                date_time(*kind, *unit, &self.unescaped[start..end])?
            }
            _ => return None,
        })
    }
}

/// A JSON string read as a date, as the row road reads it.
fn date(s: &str) -> Option<Ready> {
    Some(match ColumnType::Date.read(s)? {
        Typed::Null => Ready::Null,
        Typed::Date(d) => Ready::Int(i64::from(i32::try_from(days(&d)).ok()?)),
        _ => return None,
    })
}

/// A JSON string read as a date-time of `kind`, in `unit`, as the row road reads it.
fn date_time(kind: ColumnType, unit: TimeUnit, s: &str) -> Option<Ready> {
    let zoned = kind == ColumnType::TimestampUtc;
    if unit == TimeUnit::Microsecond
        && let Some(micros) = plain_datetime_micros(s, zoned)
    {
        return Some(Ready::Int(micros));
    }
    Some(match kind.read(s)? {
        Typed::Null => Ready::Null,
        Typed::DateTime(t) => {
            let utc = t.and_utc();
            let nanos = i64::from(utc.timestamp_subsec_nanos());
            Ready::Int(in_unit(utc.timestamp(), nanos, unit)?)
        }
        _ => return None,
    })
}

impl LineSink for JsonColumns {
    fn take(&mut self, line: &str) -> bool {
        // Offsets into the line are 32-bit; a longer line goes by rows.
        if line.len() > u32::MAX as usize || self.read_line(line).is_none() {
            return false;
        }
        for (column, ready) in self.columns.iter_mut().zip(&self.line) {
            let ready = ready.unwrap_or(Ready::Null);
            if let Ready::Text {
                start,
                end,
                unescaped,
            } = ready
            {
                let source = if unescaped { &self.unescaped } else { line };
                let text = &source.as_bytes()[start as usize..end as usize];
                self.text_bytes += text.len();
                column.push_text(text);
            } else {
                column.push(ready);
            }
        }
        self.rows += 1;
        true
    }

    fn full(&self) -> bool {
        self.rows >= self.limit || self.text_bytes >= MAX_TEXT_BYTES
    }
}

impl Column {
    fn push_text(&mut self, text: &[u8]) {
        if let Values::Text { bytes, offsets } = &mut self.values {
            bytes.extend_from_slice(text);
            offsets.push(bytes.len() as i32);
            self.valid.append(true);
        }
    }

    fn push(&mut self, ready: Ready) {
        let valid = !matches!(ready, Ready::Null);
        self.valid.append(valid);
        self.nulls += usize::from(!valid);
        match (&mut self.values, ready) {
            (Values::Int(v), Ready::Int(i)) => v.push(i),
            (Values::Float(v), Ready::Float(f)) => v.push(f),
            (Values::Bool(v), Ready::Bool(b)) => v.append(b),
            (Values::Date(v), Ready::Int(d)) => v.push(d as i32),
            (Values::Timestamp { values, .. }, Ready::Int(t)) => values.push(t),
            (values, _) => values.push_null(),
        }
    }

    /// The column's array; the buffers start again empty, with room for as many
    /// values (and, for text, as many bytes and a little more) as this batch held, so
    /// the next batch fills them without growing them step by step (each step a copy
    /// and fresh pages). The text arrays are made without arrow checking their UTF-8
    /// again: each value was a whole `&str`.
    #[allow(unsafe_code)]
    fn finish(&mut self, data_type: &DataType) -> ArrayRef {
        let nulls = std::mem::take(&mut self.nulls);
        let rows = self.valid.len();
        let valid = self.valid.finish();
        self.valid.reserve(rows);
        let nulls = (nulls > 0).then(|| NullBuffer::new(valid));
        fn prim<T: ArrowPrimitiveType>(
            v: &mut Vec<T::Native>,
            nulls: Option<NullBuffer>,
        ) -> PrimitiveArray<T> {
            let room = Vec::with_capacity(v.len());
            PrimitiveArray::new(ScalarBuffer::from(std::mem::replace(v, room)), nulls)
        }
        match &mut self.values {
            Values::Int(v) => Arc::new(prim::<Int64Type>(v, nulls)),
            Values::Float(v) => Arc::new(prim::<Float64Type>(v, nulls)),
            Values::Bool(v) => {
                let values = v.finish();
                v.reserve(rows);
                Arc::new(BooleanArray::new(values, nulls))
            }
            Values::Date(v) => Arc::new(prim::<Date32Type>(v, nulls)),
            Values::Timestamp { unit, values, .. } => {
                let tz = match data_type {
                    DataType::Timestamp(_, tz) => tz.clone(),
                    _ => None,
                };
                match unit {
                    TimeUnit::Nanosecond => Arc::new(
                        prim::<TimestampNanosecondType>(values, nulls).with_timezone_opt(tz),
                    ),
                    _ => Arc::new(
                        prim::<TimestampMicrosecondType>(values, nulls).with_timezone_opt(tz),
                    ),
                }
            }
            Values::Text { bytes, offsets } => {
                let mut next_offsets = Vec::with_capacity(offsets.len());
                next_offsets.push(0);
                let offsets = std::mem::replace(offsets, next_offsets);
                let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
                let room = Vec::with_capacity(crate::text_columns::with_slack(bytes.len()));
                let data = Buffer::from_vec(std::mem::replace(bytes, room));
                // SAFETY: the offsets start at 0 and never fall, each value's bytes
                // were a whole `&str` (so the data is UTF-8 at every offset), and the
                // array has one value a row, as the null buffer has.
                Arc::new(unsafe { StringArray::new_unchecked(offsets, data, nulls) })
            }
        }
    }
}

impl Values {
    /// No values, of the same kind.
    fn empty_like(&self) -> Self {
        match self {
            Values::Int(_) => Values::Int(Vec::new()),
            Values::Float(_) => Values::Float(Vec::new()),
            Values::Bool(_) => Values::Bool(BooleanBufferBuilder::new(0)),
            Values::Text { .. } => Values::Text {
                bytes: Vec::new(),
                offsets: vec![0],
            },
            Values::Date(_) => Values::Date(Vec::new()),
            Values::Timestamp { kind, unit, .. } => Values::Timestamp {
                kind: *kind,
                unit: *unit,
                values: Vec::new(),
            },
        }
    }

    fn push_null(&mut self) {
        match self {
            Values::Int(v) | Values::Timestamp { values: v, .. } => v.push(0),
            Values::Float(v) => v.push(0.0),
            Values::Bool(v) => v.append(false),
            Values::Date(v) => v.push(0),
            Values::Text { bytes, offsets } => offsets.push(bytes.len() as i32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_schema::{Field, Schema};

    fn sink() -> JsonColumns {
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, true),
            Field::new("day", DataType::Date32, true),
            Field::new(
                "at",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            Field::new("n", DataType::Int64, true),
        ]));
        let types = |name: &str| match name {
            "day" => ColumnType::Date,
            "at" => ColumnType::TimestampUtc,
            _ => ColumnType::Text,
        };
        JsonColumns::new(schema, types).unwrap()
    }

    #[test]
    fn escaped_strings_are_taken_and_kept_apart_line_by_line() {
        let mut sink = sink();
        let lines = [
            r#"{"name": "a\"b", "day": "2021\u002d03-05", "at": "2021-03-05T00:00:00\u005a", "n": 1}"#,
            r#"{"name": "plain", "day": "2021-03-06", "at": "2021-03-06T01:00:00Z", "n": -2}"#,
            r#"{"name": "\u00e9\n", "day": null, "at": "", "n": 9223372036854775807}"#,
        ];
        for line in lines {
            assert!(sink.take(line), "left to the rows: {line}");
        }
        // Beyond i64: the row road keeps it exact.
        assert!(!sink.take(r#"{"n": 9223372036854775808}"#));
        let batch = sink.take_batch();
        let names = batch.column(0).as_string::<i32>();
        assert_eq!(
            names.iter().collect::<Vec<_>>(),
            [Some("a\"b"), Some("plain"), Some("é\n")]
        );
        let days = batch.column(1).as_primitive::<Date32Type>();
        assert_eq!(
            days.iter().collect::<Vec<_>>(),
            [Some(18691), Some(18692), None]
        );
        let at = batch.column(2).as_primitive::<TimestampMicrosecondType>();
        let hour = 3_600_000_000;
        let day = 24 * hour;
        assert_eq!(
            at.iter().collect::<Vec<_>>(),
            [Some(18691 * day), Some(18692 * day + hour), None]
        );
        let n = batch.column(3).as_primitive::<Int64Type>();
        assert_eq!(
            n.iter().collect::<Vec<_>>(),
            [Some(1), Some(-2), Some(i64::MAX)]
        );
    }

    #[test]
    fn a_line_left_to_the_rows_part_way_leaves_no_value_behind() {
        let mut sink = sink();
        assert!(sink.take(r#"{"name": "a", "day": null, "n": 1}"#));
        // A repeated key, after a string and a null went in.
        assert!(!sink.take(r#"{"name": "bbbb", "day": null, "n": 2, "n": 3}"#));
        // A nested value, after an escaped string and a date-time went in.
        assert!(!sink.take(r#"{"name": "c\n", "at": "2021-03-06T01:00:00Z", "n": [1]}"#));
        // A value that does not fit its column, last.
        assert!(!sink.take(r#"{"day": "2021-03-05", "name": "d", "n": "x"}"#));
        assert!(sink.take(r#"{"n": 4}"#));
        assert_eq!(sink.len(), 2);
        let batch = sink.take_batch();
        let names = batch.column(0).as_string::<i32>();
        assert_eq!(names.iter().collect::<Vec<_>>(), [Some("a"), None]);
        assert_eq!(names.values().len(), 1, "no bytes of the lines taken back");
        let nulls: Vec<usize> = batch.columns().iter().map(|c| c.null_count()).collect();
        assert_eq!(nulls, [1, 2, 2, 0]);
        let n = batch.column(3).as_primitive::<Int64Type>();
        assert_eq!(n.iter().collect::<Vec<_>>(), [Some(1), Some(4)]);
    }

    #[test]
    fn a_name_with_a_quote_is_matched_by_its_escaped_key() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a\"b", DataType::Int64, true),
            Field::new("c", DataType::Int64, true),
        ]));
        let mut sink = JsonColumns::new(schema, |_| ColumnType::Text).unwrap();
        assert!(sink.take(r#"{"a\"b": 1, "c": 2}"#));
        assert!(sink.take(r#"{"c": 3, "a\u0022b": 4}"#));
        assert!(!sink.take(r#"{"a"b": 5}"#), "not JSON");
        let batch = sink.take_batch();
        let a = batch.column(0).as_primitive::<Int64Type>();
        assert_eq!(a.iter().collect::<Vec<_>>(), [Some(1), Some(4)]);
        let c = batch.column(1).as_primitive::<Int64Type>();
        assert_eq!(c.iter().collect::<Vec<_>>(), [Some(2), Some(3)]);
    }

    #[test]
    fn a_taken_batch_leaves_buffers_with_room_for_the_next() {
        let mut sink = sink();
        for i in 0..100 {
            let line = format!(r#"{{"name": "row {i}", "day": "2021-03-05", "n": {i}}}"#);
            assert!(sink.take(&line));
        }
        let first = sink.take_batch();
        assert_eq!(first.num_rows(), 100);
        let Values::Text { bytes, offsets } = &sink.columns[0].values else {
            panic!("a text column");
        };
        assert!(
            bytes.is_empty() && bytes.capacity() >= 590,
            "{}",
            bytes.capacity()
        );
        assert_eq!(offsets, &[0]);
        assert!(offsets.capacity() >= 101);
        let Values::Int(n) = &sink.columns[3].values else {
            panic!("an integer column");
        };
        assert!(n.is_empty() && n.capacity() >= 100);
        assert!(sink.take(r#"{"name": "next", "n": 7}"#));
        let next = sink.take_batch();
        assert_eq!(next.column(0).as_string::<i32>().value(0), "next");
        assert!(next.column(1).is_null(0));
    }
}
