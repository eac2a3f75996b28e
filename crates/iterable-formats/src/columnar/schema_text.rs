//! A schema as text: `(column, type)` pairs, the type in Arrow's own text form
//! (`Int64`, `Utf8`, `Timestamp(µs, "UTC")`, `List(Int64)`, `Struct("a": Int64)`), with
//! `non-null ` in front of a column that has no nulls. This is what `iterable schema`
//! prints and what the `columnar.schema` option takes.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};
use iterable_core::{Error, Result};

const NON_NULL: &str = "non-null ";

/// The schema as `(column, type)` pairs.
///
/// ```
/// use arrow_schema::{DataType, Field, Schema, TimeUnit};
/// use iterable_formats::columnar::{parse_schema, schema_to_text};
///
/// let schema = Schema::new(vec![
///     Field::new("id", DataType::Int64, false),
///     Field::new("at", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), true),
/// ]);
/// let text = schema_to_text(&schema);
/// assert_eq!(text[0], ("id".to_owned(), "non-null Int64".to_owned()));
/// assert_eq!(text[1].1, "Timestamp(µs, \"UTC\")");
/// assert_eq!(*parse_schema(&text).unwrap(), schema);
/// ```
pub fn schema_to_text(schema: &Schema) -> Vec<(String, String)> {
    schema
        .fields()
        .iter()
        .map(|f| {
            let null = if f.is_nullable() { "" } else { NON_NULL };
            (f.name().clone(), format!("{null}{}", f.data_type()))
        })
        .collect()
}

/// Parses `(column, type)` pairs into a schema; a bad type is an
/// [`Error::InvalidOption`] naming the column.
pub fn parse_schema(columns: &[(String, String)]) -> Result<SchemaRef> {
    let mut fields = Vec::with_capacity(columns.len());
    for (name, text) in columns {
        let text = text.trim();
        let (nullable, text) = match text.strip_prefix(NON_NULL) {
            Some(rest) => (false, rest),
            None => (true, text),
        };
        let data_type: DataType = text.parse().map_err(|e| {
            Error::InvalidOption(format!(
                "schema: column {name:?}: {text:?} is not an Arrow type ({e})"
            ))
        })?;
        fields.push(Field::new(name, data_type, nullable));
    }
    Ok(Arc::new(Schema::new(fields)))
}
