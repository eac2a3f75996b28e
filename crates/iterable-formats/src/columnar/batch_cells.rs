//! A record batch's cells one by one, for writers of text (CSV, JSON Lines) that take
//! batches without making a [`Row`](iterable_core::Row) a record: a text column's
//! strings are borrowed from the array, a number or a boolean is a [`Value`] made on
//! the spot (no allocation), and any other column is made into values once
//! ([`array_to_values`]), so each cell is what the row road's value would be.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::DataType;
use iterable_core::Value;

use super::to_value::{ConvertError, array_to_values};

/// One column of a batch, ready to give its cells.
pub(crate) enum Column<'a> {
    Text(&'a StringArray),
    Int(&'a Int64Array),
    Float(&'a Float64Array),
    Bool(&'a BooleanArray),
    Values(Vec<Value>),
}

/// One cell: borrowed text, or a value.
pub(crate) enum Cell<'a> {
    Text(&'a str),
    Value(Value),
    Ref(&'a Value),
}

impl<'a> Column<'a> {
    /// The columns of `batch`, in order.
    pub(crate) fn all(batch: &'a RecordBatch) -> Result<Vec<Column<'a>>, ConvertError> {
        batch
            .schema_ref()
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, array)| Column::of(array.as_ref(), field.name()))
            .collect()
    }

    fn of(array: &'a dyn Array, name: &str) -> Result<Self, ConvertError> {
        Ok(match array.data_type() {
            DataType::Utf8 => Column::Text(array.as_string::<i32>()),
            DataType::Int64 => Column::Int(array.as_primitive::<Int64Type>()),
            DataType::Float64 => Column::Float(array.as_primitive::<Float64Type>()),
            DataType::Boolean => Column::Bool(array.as_boolean()),
            _ => Column::Values(array_to_values(array, name)?),
        })
    }

    /// The cell of row `i`: the value [`array_to_values`] would give, or its text.
    #[inline]
    pub(crate) fn cell(&self, i: usize) -> Cell<'_> {
        let null = |a: &dyn Array| a.is_null(i);
        match self {
            Column::Text(a) if !null(*a) => Cell::Text(a.value(i)),
            Column::Int(a) if !null(*a) => Cell::Value(Value::Int(a.value(i))),
            Column::Float(a) if !null(*a) => Cell::Value(Value::Float(a.value(i))),
            Column::Bool(a) if !null(*a) => Cell::Value(Value::Bool(a.value(i))),
            Column::Values(v) => Cell::Ref(&v[i]),
            _ => Cell::Value(Value::Null),
        }
    }
}
