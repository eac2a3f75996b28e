//! The Arrow schema of a database location: the catalog's types where they bind the
//! values (integers, decimals of a declared precision, timestamps, text, `NOT NULL`),
//! and the types the first rows show where only the values tell (JSON, arrays,
//! decimals without a declared scale).

use std::sync::Arc;

use iterable_core::{BoxIterable, Options, Result};
use iterable_db::{ColumnKind, DatabaseLocation};
use iterable_formats::columnar::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The schema of `db`; `rows` (opened on the same location) are read only when a
/// column's type is up to its values, or when the catalog says nothing (SQLite).
pub(crate) async fn schema(
    db: &DatabaseLocation,
    rows: impl std::future::Future<Output = Result<BoxIterable>>,
    options: &Options,
) -> Result<SchemaRef> {
    let Some(columns) = iterable_db::describe(db).await? else {
        return crate::arrow::schema_of_first_rows(rows.await?, &db.display, options).await;
    };
    let sampled = if columns.iter().any(|c| declared(c.kind).is_none()) {
        Some(crate::arrow::schema_of_first_rows(rows.await?, &db.display, options).await?)
    } else {
        None
    };
    let fields: Vec<Field> = columns
        .iter()
        .map(|column| match declared(column.kind) {
            Some(data_type) => Field::new(&column.name, data_type, column.nullable),
            None => sampled
                .as_ref()
                .and_then(|s| s.field_with_name(&column.name).ok())
                .map_or_else(
                    || Field::new(&column.name, DataType::Utf8, true),
                    |f| f.as_ref().clone().with_nullable(true),
                ),
        })
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// The Arrow type of a column kind that binds its values.
fn declared(kind: ColumnKind) -> Option<DataType> {
    Some(match kind {
        ColumnKind::Bool => DataType::Boolean,
        ColumnKind::Int => DataType::Int64,
        ColumnKind::Float => DataType::Float64,
        ColumnKind::Decimal { precision, scale } => DataType::Decimal128(precision, scale),
        ColumnKind::Text => DataType::Utf8,
        ColumnKind::Bytes => DataType::Binary,
        ColumnKind::Date => DataType::Date32,
        ColumnKind::Timestamp { utc } => {
            DataType::Timestamp(TimeUnit::Microsecond, utc.then(|| "UTC".into()))
        }
        _ => return None,
    })
}
