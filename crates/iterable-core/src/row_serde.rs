//! serde for rows and values: `Serialize`/`Deserialize` (a row is an ordered map),
//! [`RowSeed`] that parses a record straight into a row while reusing the previous
//! header, and the deserializer behind [`Row::deserialize`].

use std::fmt;
use std::sync::Arc;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::{Header, HeaderBuilder, Row, Text, Value};

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::String(t) => s.serialize_str(t),
            Value::Bytes(b) => s.serialize_bytes(b),
            Value::Date(d) => s.collect_str(&d.format("%Y-%m-%d")),
            Value::Timestamp(t) => s.collect_str(t),
            Value::Decimal(d) if d.scale == 0 => s.serialize_i128(d.unscaled),
            Value::Decimal(d) => s.collect_str(d),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(row) => row.serialize(s),
        }
    }
}

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Decimal(crate::Decimal {
                unscaled: v,
                scale: 0,
            }),
        })
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        let v = i128::try_from(v).map_err(|_| E::custom("integer larger than i128"))?;
        self.visit_i128(v)
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(Text::new(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v.into()))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bytes(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        RowSeed::default().visit_map(map).map(Value::Map)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// Deserializes one value onto the end of a row's values, pushed where it is made
/// rather than returned and then pushed: a returned `Value` was written to the stack
/// field by field and read back whole, which stalled the CPU on every value of a JSON
/// Lines read.
struct PushValue<'a>(&'a mut Vec<Value>);

impl<'de> DeserializeSeed<'de> for PushValue<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PushValue<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.0.push(Value::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.0.push(Value::Int(v));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.0.push(Value::from(v));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.0.push(Value::Float(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.push(Value::String(Text::new(v)));
        Ok(())
    }
    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.0.push(Value::String(v.into()));
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.0.push(Value::Null);
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.0.push(Value::Null);
        Ok(())
    }
    // The rest are rare in rows: made by `ValueVisitor`, then pushed.
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<(), E> {
        self.0.push(ValueVisitor.visit_i128(v)?);
        Ok(())
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<(), E> {
        self.0.push(ValueVisitor.visit_u128(v)?);
        Ok(())
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<(), E> {
        self.0.push(Value::Bytes(v.to_vec()));
        Ok(())
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<(), E> {
        self.0.push(Value::Bytes(v));
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.push(ValueVisitor.visit_seq(seq)?);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.push(ValueVisitor.visit_map(map)?);
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Row, D::Error> {
        d.deserialize_map(RowSeed::default())
    }
}

/// Parses one record (a map) into a [`Row`], reusing `previous` as the header when the
/// record has the same keys in the same order: then no key is allocated.
///
/// ```
/// use serde::de::DeserializeSeed;
/// use iterable_core::row_serde::RowSeed;
///
/// let first = RowSeed::default()
///     .deserialize(&mut serde_json::Deserializer::from_str(r#"{"a":1,"b":2}"#))
///     .unwrap();
/// let second = RowSeed::reusing(Some(first.header().clone()))
///     .deserialize(&mut serde_json::Deserializer::from_str(r#"{"a":3,"b":4}"#))
///     .unwrap();
/// assert!(std::sync::Arc::ptr_eq(first.header(), second.header()));
/// ```
#[derive(Default, Clone)]
pub struct RowSeed {
    previous: Option<Arc<Header>>,
    duplicates: crate::DuplicateKeys,
}

impl RowSeed {
    /// A seed that reuses `previous` when the keys match it.
    pub fn reusing(previous: Option<Arc<Header>>) -> Self {
        RowSeed {
            previous,
            duplicates: crate::DuplicateKeys::Last,
        }
    }

    /// The same seed with this rule for a repeated key (default: the last value wins).
    pub fn duplicates(mut self, rule: crate::DuplicateKeys) -> Self {
        self.duplicates = rule;
        self
    }
}

impl<'de> DeserializeSeed<'de> for RowSeed {
    type Value = Row;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Row, D::Error> {
        d.deserialize_map(self)
    }
}

/// A key that either equals the expected name (no allocation) or is new.
struct KeySeed<'a> {
    expected: Option<&'a str>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_str<E>(self, v: &str) -> Result<Option<String>, E> {
        Ok(if self.expected == Some(v) {
            None
        } else {
            Some(v.to_owned())
        })
    }
    fn visit_string<E>(self, v: String) -> Result<Option<String>, E> {
        Ok(if self.expected == Some(v.as_str()) {
            None
        } else {
            Some(v)
        })
    }
}

impl<'de> Visitor<'de> for RowSeed {
    type Value = Row;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record (a map of names to values)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
        let previous = self.previous.as_deref();
        let expected_len = previous.map_or(0, Header::len);
        let mut values: Vec<Value> =
            Vec::with_capacity(map.size_hint().unwrap_or(expected_len).max(expected_len));
        // `None` while every key so far matched `previous` in place.
        let mut new_names: Option<HeaderBuilder> = None;
        loop {
            let i = values.len();
            let expected = match (&new_names, previous) {
                (None, Some(h)) => h.names().get(i).map(String::as_str),
                _ => None,
            };
            let Some(key) = map.next_key_seed(KeySeed { expected })? else {
                break;
            };
            match key {
                None => map.next_value_seed(PushValue(&mut values))?,
                Some(name) => {
                    let value: Value = map.next_value()?;
                    let names = new_names.get_or_insert_with(|| {
                        HeaderBuilder::from_distinct(
                            previous.map_or_else(Vec::new, |h| h.names()[..i].to_vec()),
                        )
                    });
                    match (names.position(&name), self.duplicates) {
                        (None, _) => {
                            names.add(name.into());
                            values.push(value);
                        }
                        (Some(at), crate::DuplicateKeys::Last) => values[at] = value,
                        (Some(_), crate::DuplicateKeys::First) => {}
                        (Some(_), crate::DuplicateKeys::Error) => {
                            return Err(serde::de::Error::custom(crate::DuplicateKeys::message(
                                &name,
                            )));
                        }
                    }
                }
            }
        }
        let header = match (new_names, self.previous) {
            (None, Some(h)) if h.len() == values.len() => h,
            (None, Some(h)) => Arc::new(Header::new(h.names()[..values.len()].to_vec())),
            (None, None) => Arc::new(Header::default()),
            (Some(names), _) => Arc::new(names.into_header()),
        };
        Ok(Row::from_parts(header, values))
    }
}

/// Deserializes a borrowed row into a user type (`Row::deserialize`).
pub(crate) struct RowDeserializer<'a> {
    row: &'a Row,
}

impl<'a> RowDeserializer<'a> {
    pub(crate) fn new(row: &'a Row) -> Self {
        RowDeserializer { row }
    }
}

type DeError = de::value::Error;

impl<'de> Deserializer<'de> for RowDeserializer<'de> {
    type Error = DeError;
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(MapDeserializer::new(
            self.row.iter().map(|(k, v)| (k, ValueRef(v))),
        ))
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// A borrowed value as a serde deserializer. Text coerces to numbers and booleans
/// when the target asks for them, so CSV rows deserialize into typed structs.
#[derive(Clone, Copy)]
struct ValueRef<'a>(&'a Value);

impl<'de> IntoDeserializer<'de, DeError> for ValueRef<'de> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! coerce_from_text {
    ($($method:ident => $visit:ident : $ty:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.0 {
                Value::String(s) => match s.trim().parse::<$ty>() {
                    Ok(n) => visitor.$visit(n),
                    Err(_) => Err(de::Error::invalid_value(de::Unexpected::Str(s), &stringify!($ty))),
                },
                _ => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for ValueRef<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Bytes(b) => visitor.visit_borrowed_bytes(b),
            Value::Decimal(d) if d.scale == 0 => visitor.visit_i128(d.unscaled),
            v @ (Value::Date(_) | Value::Timestamp(_) | Value::Decimal(_)) => {
                visitor.visit_string(v.to_string())
            }
            Value::List(items) => {
                visitor.visit_seq(SeqDeserializer::new(items.iter().map(ValueRef)))
            }
            Value::Map(row) => RowDeserializer::new(row).deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            Value::String(s) => s
                .as_str()
                .into_deserializer()
                .deserialize_enum(name, variants, visitor),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => visitor.visit_bool(true),
                "false" | "0" | "no" => visitor.visit_bool(false),
                _ => Err(de::Error::invalid_value(
                    de::Unexpected::Str(s),
                    &"a boolean",
                )),
            },
            _ => self.deserialize_any(visitor),
        }
    }

    coerce_from_text! {
        deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32, deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8, deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32, deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
        deserialize_f32 => visit_f32: f32, deserialize_f64 => visit_f64: f64,
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row;

    #[test]
    fn text_cells_coerce_into_typed_fields() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Rec {
            id: u32,
            price: f64,
            ok: bool,
            note: Option<String>,
            name: String,
        }
        let r = row! { "id" => "12", "price" => "3.5", "ok" => "true", "note" => Value::Null, "name" => "x" };
        let rec: Rec = r.deserialize().unwrap();
        assert_eq!(
            rec,
            Rec {
                id: 12,
                price: 3.5,
                ok: true,
                note: None,
                name: "x".into()
            }
        );
    }

    #[test]
    fn deserialize_error_names_the_bad_text() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Rec {
            id: u32,
        }
        let err = row! { "id" => "x1" }.deserialize::<Rec>().unwrap_err();
        assert!(err.to_string().contains("x1"), "{err}");
    }

    #[test]
    fn nested_values_deserialize() {
        #[derive(Deserialize)]
        struct Outer {
            inner: Inner,
            tags: Vec<String>,
        }
        #[derive(Deserialize)]
        struct Inner {
            n: i64,
        }
        let r = row! { "inner" => row! { "n" => 5 }, "tags" => vec!["a", "b"] };
        let o: Outer = r.deserialize().unwrap();
        assert_eq!((o.inner.n, o.tags.len()), (5, 2));
    }

    #[test]
    fn row_seed_reuses_and_falls_back() {
        let parse = |seed: RowSeed, text: &str| {
            seed.deserialize(&mut serde_json::Deserializer::from_str(text))
                .unwrap()
        };
        let a = parse(RowSeed::default(), r#"{"x":1,"y":2}"#);
        let b = parse(
            RowSeed::reusing(Some(a.header().clone())),
            r#"{"x":3,"y":4}"#,
        );
        assert!(Arc::ptr_eq(a.header(), b.header()));
        let c = parse(
            RowSeed::reusing(Some(a.header().clone())),
            r#"{"x":3,"z":4}"#,
        );
        assert_eq!(c.keys().collect::<Vec<_>>(), ["x", "z"]);
        let d = parse(RowSeed::reusing(Some(a.header().clone())), r#"{"x":3}"#);
        assert_eq!(d.keys().collect::<Vec<_>>(), ["x"]);
        let e = parse(
            RowSeed::reusing(Some(a.header().clone())),
            r#"{"x":1,"y":2,"w":3}"#,
        );
        assert_eq!(e.keys().collect::<Vec<_>>(), ["x", "y", "w"]);
        let f = parse(RowSeed::default(), r#"{"x":1,"x":2}"#);
        assert_eq!(f, row! { "x" => 2 });
    }

    #[test]
    fn serialize_row_keeps_order() {
        let r = row! { "b" => 1, "a" => vec![Value::Null, Value::Float(1.5)] };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"b":1,"a":[null,1.5]}"#
        );
    }
}
