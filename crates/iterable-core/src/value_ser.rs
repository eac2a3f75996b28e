//! A serde `Serializer` into [`Value`]s, behind [`Row::from_serialize`]: structs and
//! maps become rows (keys in field order), sequences lists, integers `Int` (a `u64`
//! past `i64::MAX` is an error, not a wrapped number), bytes `Bytes`, `None` and unit
//! `Null`, enums as serde_json writes them (a unit variant is its name, the others a
//! map of the name to the content).

use serde::ser::{self, Serialize};

use crate::{Row, Value};

/// Why a value could not become a [`Value`].
#[derive(Debug)]
pub(crate) struct SerError(String);

impl std::fmt::Display for SerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        SerError(msg.to_string())
    }
}

type Out = Result<Value, SerError>;

/// `value` as a [`Value`].
pub(crate) fn to_value<T: Serialize + ?Sized>(value: &T) -> Out {
    value.serialize(ValueSerializer)
}

/// Serializes into a [`Value`].
pub(crate) struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = SerError;
    type SerializeSeq = SeqOut;
    type SerializeTuple = SeqOut;
    type SerializeTupleStruct = SeqOut;
    type SerializeTupleVariant = VariantOut<SeqOut>;
    type SerializeMap = MapOut;
    type SerializeStruct = MapOut;
    type SerializeStructVariant = VariantOut<MapOut>;

    fn serialize_bool(self, v: bool) -> Out {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Out {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Out {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Out {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Out {
        Ok(Value::Int(v))
    }
    fn serialize_i128(self, v: i128) -> Out {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| SerError(format!("the integer {v} does not fit in 64 bits")))
    }
    fn serialize_u8(self, v: u8) -> Out {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Out {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Out {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Out {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| SerError(format!("the integer {v} is past i64::MAX")))
    }
    fn serialize_u128(self, v: u128) -> Out {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| SerError(format!("the integer {v} is past i64::MAX")))
    }
    fn serialize_f32(self, v: f32) -> Out {
        Ok(Value::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Out {
        Ok(Value::Float(v))
    }
    fn serialize_char(self, v: char) -> Out {
        Ok(Value::from(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Out {
        Ok(Value::from(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Out {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Out {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Out {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Out {
        Ok(Value::from(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Out {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Out {
        let mut row = Row::new();
        row.insert(variant, to_value(value)?);
        Ok(Value::Map(row))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqOut, SerError> {
        Ok(SeqOut(Vec::with_capacity(len.unwrap_or(0).min(4096))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqOut, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqOut, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantOut<SeqOut>, SerError> {
        Ok(VariantOut {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapOut, SerError> {
        Ok(MapOut {
            row: Row::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapOut, SerError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantOut<MapOut>, SerError> {
        Ok(VariantOut {
            variant,
            inner: self.serialize_map(Some(len))?,
        })
    }
}

/// A list being built.
pub(crate) struct SeqOut(Vec<Value>);

impl ser::SerializeSeq for SeqOut {
    type Ok = Value;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.0.push(to_value(value)?);
        Ok(())
    }
    fn end(self) -> Out {
        Ok(Value::List(self.0))
    }
}

impl ser::SerializeTuple for SeqOut {
    type Ok = Value;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Out {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqOut {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Out {
        ser::SerializeSeq::end(self)
    }
}

/// A map or struct being built, as a row.
pub(crate) struct MapOut {
    row: Row,
    key: Option<String>,
}

impl ser::SerializeMap for MapOut {
    type Ok = Value;
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = Some(match to_value(key)? {
            Value::String(s) => s.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            other => {
                return Err(SerError(format!(
                    "a map key must be text or a number, not {other:?}"
                )));
            }
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerError("a map value without its key".to_owned()))?;
        self.row.insert(key, to_value(value)?);
        Ok(())
    }
    fn end(self) -> Out {
        Ok(Value::Map(self.row))
    }
}

impl ser::SerializeStruct for MapOut {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        self.row.insert(key, to_value(value)?);
        Ok(())
    }
    fn end(self) -> Out {
        Ok(Value::Map(self.row))
    }
}

/// An enum variant with content: a map of its name to the content.
pub(crate) struct VariantOut<T> {
    variant: &'static str,
    inner: T,
}

impl<T> VariantOut<T> {
    fn wrap(variant: &'static str, content: Value) -> Out {
        let mut row = Row::new();
        row.insert(variant, content);
        Ok(Value::Map(row))
    }
}

impl ser::SerializeTupleVariant for VariantOut<SeqOut> {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(&mut self.inner, value)
    }
    fn end(self) -> Out {
        Self::wrap(self.variant, ser::SerializeSeq::end(self.inner)?)
    }
}

impl ser::SerializeStructVariant for VariantOut<MapOut> {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> Out {
        Self::wrap(self.variant, ser::SerializeStruct::end(self.inner)?)
    }
}
