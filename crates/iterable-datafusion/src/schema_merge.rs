//! One table schema from the schemas of several files: the columns in the order they
//! are first met, each of the widest type its files give, every column nullable (a file
//! may lack it).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// The schema every file's batches are cast into: see the module docs. Types widen as
/// text typing widens them: integers to floats, dates to timestamps, anything else that
/// differs to text.
pub(crate) fn merge<'a>(schemas: impl IntoIterator<Item = &'a SchemaRef>) -> SchemaRef {
    let mut order: Vec<String> = Vec::new();
    let mut types: HashMap<String, DataType> = HashMap::new();
    for schema in schemas {
        for field in schema.fields() {
            match types.get_mut(field.name()) {
                Some(seen) => *seen = widest(seen, field.data_type()),
                None => {
                    order.push(field.name().clone());
                    types.insert(field.name().clone(), field.data_type().clone());
                }
            }
        }
    }
    let fields: Vec<Field> = order
        .into_iter()
        .map(|name| {
            let data_type = types.remove(&name).unwrap_or(DataType::Utf8);
            Field::new(name, data_type, true)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// A type both `a` and `b` fit in.
fn widest(a: &DataType, b: &DataType) -> DataType {
    use DataType::*;
    match (a, b) {
        _ if a == b => a.clone(),
        (Null, other) | (other, Null) => other.clone(),
        _ if a.is_integer() && b.is_integer() => Int64,
        _ if a.is_numeric() && b.is_numeric() => Float64,
        (Date32 | Date64, Timestamp(unit, zone)) | (Timestamp(unit, zone), Date32 | Date64) => {
            Timestamp(*unit, zone.clone())
        }
        (Timestamp(_, a_zone), Timestamp(_, b_zone)) if a_zone == b_zone => Timestamp(
            datafusion::arrow::datatypes::TimeUnit::Microsecond,
            a_zone.clone(),
        ),
        _ => Utf8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::TimeUnit;

    fn schema(fields: &[(&str, DataType)]) -> SchemaRef {
        Arc::new(Schema::new(
            fields
                .iter()
                .map(|(n, t)| Field::new(*n, t.clone(), false))
                .collect::<Vec<_>>(),
        ))
    }

    #[test]
    fn columns_keep_first_seen_order_and_widen() {
        let utc = Some("UTC".into());
        let a = schema(&[
            ("id", DataType::Int64),
            ("amount", DataType::Int64),
            ("day", DataType::Date32),
            ("note", DataType::Int64),
        ]);
        let b = schema(&[
            ("extra", DataType::Boolean),
            ("amount", DataType::Float64),
            (
                "day",
                DataType::Timestamp(TimeUnit::Microsecond, utc.clone()),
            ),
            ("note", DataType::Utf8),
            ("id", DataType::Null),
        ]);
        let merged = merge([&a, &b]);
        let got: Vec<(&str, &DataType, bool)> = merged
            .fields()
            .iter()
            .map(|f| (f.name().as_str(), f.data_type(), f.is_nullable()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("id", &DataType::Int64, true),
                ("amount", &DataType::Float64, true),
                (
                    "day",
                    &DataType::Timestamp(TimeUnit::Microsecond, utc),
                    true
                ),
                ("note", &DataType::Utf8, true),
                ("extra", &DataType::Boolean, true),
            ]
        );
    }
}
