//! One Avro datum decoded from a block's bytes straight into a [`Value`], following
//! the writer's schema.
//!
//! The input is untrusted: nesting stops at [`MAX_NESTING_DEPTH`] (a recursive record
//! can nest without end, one byte a level), every length is checked against the bytes
//! left, and values that take no bytes at all (an array of nulls) are counted against
//! the record size limit, so a few bytes cannot declare a billion of them.

use std::collections::HashMap;
use std::sync::Arc;

use apache_avro::Uuid;
use apache_avro::schema::{InnerDecimalSchema, Name, RecordSchema, Schema, UuidSchema};
use iterable_core::{Header, MAX_NESTING_DEPTH, Row, Value, unique_column_names};

use super::logical::{self, Unit};
use super::varint::take_long;

/// Decodes the datums of one file's schema.
pub(super) struct DatumReader<'s> {
    /// The named types, for references.
    names: HashMap<Name, &'s Schema>,
    /// One shared header per record type, by the schema's address.
    headers: HashMap<usize, Arc<Header>>,
    /// Values that take no bytes, allowed in one datum.
    max_empty: u64,
    /// What is left of `max_empty` in the datum being read.
    empty_left: u64,
}

type Decoded<T> = Result<T, String>;

impl<'s> DatumReader<'s> {
    /// A reader for datums of a schema whose named types are `names`; a datum may hold
    /// `max_record_bytes / 32` values that take no bytes.
    pub fn new(names: HashMap<Name, &'s Schema>, max_record_bytes: usize) -> Self {
        let max_empty = (max_record_bytes / size_of::<Value>().max(1)) as u64;
        DatumReader {
            names,
            headers: HashMap::new(),
            max_empty,
            empty_left: max_empty,
        }
    }

    /// The most datums that take no bytes one block may declare.
    pub fn max_empty(&self) -> u64 {
        self.max_empty
    }

    /// Decodes one datum of `schema` off the front of `input`.
    pub fn datum(&mut self, schema: &'s Schema, input: &mut &[u8]) -> Decoded<Value> {
        self.empty_left = self.max_empty;
        self.value(schema, input, 0)
    }

    /// One value: the types that nest are here, on the recursive path, and keep its
    /// stack frame small; the others are in [`scalar`].
    fn value(&mut self, schema: &'s Schema, input: &mut &[u8], depth: usize) -> Decoded<Value> {
        match schema {
            Schema::Union(union) => {
                let index = long(input)?;
                let variants = union.variants();
                let branch = usize::try_from(index)
                    .ok()
                    .and_then(|i| variants.get(i))
                    .ok_or_else(|| union_error(index, variants.len()))?;
                self.value(branch, input, depth)
            }
            Schema::Array(array) => self.array(&array.items, input, deeper(depth)?),
            Schema::Map(map) => self.map(&map.types, input, deeper(depth)?),
            Schema::Record(record) => Ok(Value::Map(self.record(record, input, deeper(depth)?)?)),
            Schema::Ref { name } => {
                let named = *self.names.get(name).ok_or_else(|| unknown_type(name))?;
                self.value(named, input, depth)
            }
            other => scalar(other, input),
        }
    }

    fn array(&mut self, items: &'s Schema, input: &mut &[u8], depth: usize) -> Decoded<Value> {
        let empty = self.takes_no_bytes(items, 0);
        let mut list = Vec::new();
        while let Some(count) = self.block_len(input, empty)? {
            list.reserve(count.min(input.len() as u64) as usize);
            for _ in 0..count {
                list.push(self.value(items, input, depth)?);
            }
        }
        Ok(Value::List(list))
    }

    fn map(&mut self, values: &'s Schema, input: &mut &[u8], depth: usize) -> Decoded<Value> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        // Every entry has a key, so none takes no bytes.
        while let Some(count) = self.block_len(input, false)? {
            entries.reserve(count.min(input.len() as u64) as usize);
            for _ in 0..count {
                let key = text(input)?.to_owned();
                entries.push((key, self.value(values, input, depth)?));
            }
        }
        Ok(Value::Map(sorted_last_wins(entries).into_iter().collect()))
    }

    fn record(
        &mut self,
        record: &'s RecordSchema,
        input: &mut &[u8],
        depth: usize,
    ) -> Decoded<Row> {
        let header = self
            .headers
            .entry(std::ptr::from_ref(record) as usize)
            .or_insert_with(|| {
                let names = record.fields.iter().map(|f| f.name.as_str());
                Arc::new(Header::new(unique_column_names(names)))
            })
            .clone();
        let mut values = Vec::with_capacity(record.fields.len());
        for field in &record.fields {
            values.push(self.value(&field.schema, input, depth)?);
        }
        Ok(Row::from_parts(header, values))
    }

    /// The item count of the next block of an array or map, `None` after the last.
    /// `empty`: the items take no bytes, so their count is charged to the datum's
    /// allowance.
    fn block_len(&mut self, input: &mut &[u8], empty: bool) -> Decoded<Option<u64>> {
        let count = long(input)?;
        if count == 0 {
            return Ok(None);
        }
        if count < 0 {
            // A negative count is followed by the block's size in bytes.
            long(input)?;
        }
        let count = count.unsigned_abs();
        if empty {
            self.empty_left = self.empty_left.checked_sub(count).ok_or_else(|| {
                format!(
                    "more than {} values that take no bytes (nulls, empty records) in one record; raise --max-record-bytes to read it",
                    self.max_empty
                )
            })?;
        }
        Ok(Some(count))
    }

    /// Whether a value of `schema` can take no bytes at all (null, a record of such);
    /// `true` when unsure, which only charges an allowance.
    pub fn takes_no_bytes(&self, schema: &Schema, depth: usize) -> bool {
        if depth > MAX_NESTING_DEPTH {
            return true;
        }
        match schema {
            Schema::Null => true,
            Schema::Fixed(fixed) => fixed.size == 0,
            Schema::Decimal(d) => matches!(&d.inner, InnerDecimalSchema::Fixed(f) if f.size == 0),
            Schema::Uuid(UuidSchema::Fixed(fixed)) => fixed.size == 0,
            Schema::Record(record) => record
                .fields
                .iter()
                .all(|f| self.takes_no_bytes(&f.schema, depth + 1)),
            Schema::Ref { name } => self
                .names
                .get(name)
                .is_none_or(|s| self.takes_no_bytes(s, depth + 1)),
            _ => false,
        }
    }
}

/// A value of a type that does not nest.
#[inline(never)]
fn scalar(schema: &Schema, input: &mut &[u8]) -> Decoded<Value> {
    Ok(match schema {
        Schema::Null => Value::Null,
        Schema::Boolean => match take_byte(input)? {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            b => return Err(format!("a boolean byte of 0x{b:02x} (0 or 1)")),
        },
        Schema::Int => Value::Int(int(input)?.into()),
        Schema::Long => Value::Int(long(input)?),
        Schema::Float => Value::Float(f32::from_le_bytes(take_array(input)?).into()),
        Schema::Double => Value::Float(f64::from_le_bytes(take_array(input)?)),
        Schema::Bytes => Value::Bytes(bytes(input)?.to_vec()),
        Schema::String => Value::String(text(input)?.into()),
        Schema::Fixed(fixed) => Value::Bytes(take(input, fixed.size)?.to_vec()),
        Schema::Enum(e) => {
            let index = int(input)?;
            let symbol = usize::try_from(index)
                .ok()
                .and_then(|i| e.symbols.get(i))
                .ok_or_else(|| {
                    format!(
                        "enum index {index} of {} symbols in {}",
                        e.symbols.len(),
                        e.name
                    )
                })?;
            Value::String(symbol.as_str().into())
        }
        Schema::Uuid(uuid) => {
            let parsed = match uuid {
                UuidSchema::String => Uuid::parse_str(text(input)?).map_err(|e| e.to_string()),
                UuidSchema::Bytes => Uuid::from_slice(bytes(input)?).map_err(|e| e.to_string()),
                UuidSchema::Fixed(fixed) => {
                    Uuid::from_slice(take(input, fixed.size)?).map_err(|e| e.to_string())
                }
            };
            let uuid = parsed.map_err(|e| format!("a bad uuid: {e}"))?;
            Value::String(uuid.to_string().into())
        }
        Schema::Decimal(d) => {
            let unscaled = match &d.inner {
                InnerDecimalSchema::Bytes => bytes(input)?,
                InnerDecimalSchema::Fixed(fixed) => take(input, fixed.size)?,
            };
            logical::decimal(unscaled, d.scale as i64)?
        }
        Schema::BigDecimal => {
            let mut inner = bytes(input)?;
            let unscaled = bytes(&mut inner)?;
            let scale = long(&mut inner)?;
            logical::decimal(unscaled, scale)?
        }
        Schema::Date => logical::date(int(input)?),
        Schema::TimeMillis => logical::time_of_day(int(input)?.into(), 1_000_000, 3),
        Schema::TimeMicros => logical::time_of_day(long(input)?, 1000, 6),
        Schema::TimestampMillis => logical::timestamp(long(input)?, Unit::Millis, true),
        Schema::TimestampMicros => logical::timestamp(long(input)?, Unit::Micros, true),
        Schema::TimestampNanos => logical::timestamp(long(input)?, Unit::Nanos, true),
        Schema::LocalTimestampMillis => logical::timestamp(long(input)?, Unit::Millis, false),
        Schema::LocalTimestampMicros => logical::timestamp(long(input)?, Unit::Micros, false),
        Schema::LocalTimestampNanos => logical::timestamp(long(input)?, Unit::Nanos, false),
        Schema::Duration(fixed) => {
            if fixed.size != 12 {
                return Err(format!("a duration of {} bytes (12)", fixed.size));
            }
            let raw: [u8; 12] = take_array(input)?;
            let part = |i: usize| {
                let word = u32::from_le_bytes(raw[i..i + 4].try_into().expect("4 bytes"));
                Value::Int(word.into())
            };
            Value::Map(
                [("months", part(0)), ("days", part(4)), ("millis", part(8))]
                    .into_iter()
                    .collect(),
            )
        }
        Schema::Union(_)
        | Schema::Array(_)
        | Schema::Map(_)
        | Schema::Record(_)
        | Schema::Ref { .. } => {
            unreachable!("DatumReader::value reads the types that nest")
        }
    })
}

#[cold]
fn union_error(index: i64, variants: usize) -> String {
    format!("union branch {index} of a union of {variants}")
}

#[cold]
fn unknown_type(name: &Name) -> String {
    format!("the schema refers to an unknown type {name}")
}

/// Map entries sorted by key; of equal keys, the last one written.
fn sorted_last_wins(mut entries: Vec<(String, Value)>) -> Vec<(String, Value)> {
    entries.reverse();
    // A stable sort keeps the last-written first among equal keys, and dedup keeps it.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|later, earlier| later.0 == earlier.0);
    entries
}

fn deeper(depth: usize) -> Decoded<usize> {
    if depth >= MAX_NESTING_DEPTH {
        return Err(format!(
            "values nested deeper than {MAX_NESTING_DEPTH} levels (the limit of every format)"
        ));
    }
    Ok(depth + 1)
}

fn ended() -> String {
    "the record ends early: the block is truncated or corrupt".into()
}

fn take_byte(input: &mut &[u8]) -> Decoded<u8> {
    let (&first, rest) = input.split_first().ok_or_else(ended)?;
    *input = rest;
    Ok(first)
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Decoded<&'a [u8]> {
    if input.len() < n {
        return Err(ended());
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

fn take_array<const N: usize>(input: &mut &[u8]) -> Decoded<[u8; N]> {
    Ok(take(input, N)?.try_into().expect("N bytes"))
}

fn long(input: &mut &[u8]) -> Decoded<i64> {
    take_long(input).ok_or_else(|| {
        if input.len() < 10 && input.iter().all(|b| b & 0x80 != 0) {
            ended()
        } else {
            "a varint longer than 64 bits".into()
        }
    })
}

fn int(input: &mut &[u8]) -> Decoded<i32> {
    let n = long(input)?;
    i32::try_from(n).map_err(|_| format!("an int of {n}, past 32 bits"))
}

fn bytes<'a>(input: &mut &'a [u8]) -> Decoded<&'a [u8]> {
    let len = long(input)?;
    let len = usize::try_from(len).map_err(|_| format!("a negative length, {len}"))?;
    take(input, len)
}

fn text<'a>(input: &mut &'a [u8]) -> Decoded<&'a str> {
    let raw = bytes(input)?;
    simdutf8::basic::from_utf8(raw).map_err(|_| {
        let valid = std::str::from_utf8(raw).map_or_else(|e| e.valid_up_to(), str::len);
        format!("a string that is not UTF-8 (from its byte {valid})")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use apache_avro::schema::ResolvedSchema;

    fn read(schema_json: &str, mut bytes: &[u8]) -> Decoded<Value> {
        let schema = Schema::parse_str(schema_json).unwrap();
        let resolved = ResolvedSchema::try_from(&schema).unwrap();
        let names = resolved
            .get_names()
            .iter()
            .map(|(n, s)| (n.clone(), *s))
            .collect();
        let mut reader = DatumReader::new(names, 1 << 20);
        reader.datum(&schema, &mut bytes)
    }

    #[test]
    fn maps_sort_their_keys_and_the_last_duplicate_wins() {
        // {"b": 1, "a": 2, "b": 3} in one block of 3.
        let v = read(
            r#"{"type": "map", "values": "int"}"#,
            &[6, 2, b'b', 2, 2, b'a', 4, 2, b'b', 6, 0],
        )
        .unwrap();
        let Value::Map(row) = v else { panic!() };
        let pairs: Vec<_> = row.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect();
        assert_eq!(
            pairs,
            [("a".into(), Value::Int(2)), ("b".into(), Value::Int(3))]
        );
    }

    /// A stack a quarter of a blocking thread's (2 MiB).
    const STACK: usize = 512 * 1024;

    #[test]
    fn a_recursive_record_stops_at_the_depth_limit() {
        let schema = r#"{"type": "record", "name": "node", "fields": [
            {"name": "next", "type": ["null", "node"]}]}"#;
        // 128 levels deep (127 below the top) is read, in a debug build's small stack
        // as well; 129 is an error, not a stack overflow.
        let mut ok = vec![2u8; 127];
        ok.push(0);
        let small_stack = std::thread::Builder::new().stack_size(STACK);
        let read_ok = small_stack
            .spawn(move || read(schema, &ok).is_ok())
            .unwrap();
        assert!(read_ok.join().unwrap());
        let mut deep = vec![2u8; 100_000];
        deep.push(0);
        let err = read(schema, &deep).unwrap_err();
        assert!(err.contains("deeper than 128 levels"), "{err}");
    }

    #[test]
    fn arrays_of_nulls_are_bounded_by_the_record_size() {
        // An array that declares 2^62 nulls in nine bytes.
        let mut bytes = vec![0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
        bytes.push(0);
        let err = read(r#"{"type": "array", "items": "null"}"#, &bytes).unwrap_err();
        assert!(err.contains("values that take no bytes"), "{err}");
        // Within the allowance, they are read.
        let v = read(r#"{"type": "array", "items": "null"}"#, &[6, 0]).unwrap();
        assert_eq!(v, Value::List(vec![Value::Null; 3]));
    }

    #[test]
    fn bad_bytes_are_errors_that_say_what() {
        let cases: [(&str, &[u8], &str); 6] = [
            (r#""boolean""#, &[2], "a boolean byte of 0x02"),
            (r#""string""#, &[10, b'a'], "ends early"),
            (r#""string""#, &[1], "negative length"),
            (r#""string""#, &[4, 0xff, 0xfe], "not UTF-8"),
            (r#""int""#, &[0xff, 0xff, 0xff, 0xff, 0x7f], "past 32 bits"),
            (r#"["null", "int"]"#, &[4], "union branch 2 of a union of 2"),
        ];
        for (schema, bytes, want) in cases {
            let err = read(schema, bytes).unwrap_err();
            assert!(err.contains(want), "{schema}: {err}");
        }
    }
}
