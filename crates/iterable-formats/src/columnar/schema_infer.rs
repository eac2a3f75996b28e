//! Inferring an Arrow schema from sample rows (the table in the [module docs](super)).

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};
use chrono::Timelike;
use iterable_core::{Row, Value};

use super::ConvertError;

/// What the sampled values of one column say about its type.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Null,
    Bool,
    Int,
    Float,
    String,
    Bytes,
    Date,
    Timestamp { nanos: bool, tz: Option<Arc<str>> },
    Decimal { scale: i8 },
    List(Box<Kind>),
    Struct(Vec<(String, Kind)>),
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "bool",
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::String => "string",
            Kind::Bytes => "bytes",
            Kind::Date => "date",
            Kind::Timestamp { .. } => "timestamp",
            Kind::Decimal { .. } => "decimal",
            Kind::List(_) => "list",
            Kind::Struct(_) => "map",
        }
    }
}

/// The schema of `rows`: the union of their keys in first-seen order, each column's
/// type merged over the rows (see the [module docs](super)); every column nullable.
/// Rows that disagree on a column's type (a string, then an int) are an error naming
/// the column and both types.
///
/// ```
/// use arrow_schema::DataType;
/// use iterable_core::row;
/// use iterable_formats::columnar::infer_schema;
///
/// let rows = [row! { "id" => 1, "score" => 2 }, row! { "id" => 2, "score" => 2.5 }];
/// let schema = infer_schema(&rows).unwrap();
/// assert_eq!(schema.field(0).data_type(), &DataType::Int64);
/// assert_eq!(schema.field(1).data_type(), &DataType::Float64);
/// ```
pub fn infer_schema(rows: &[Row]) -> Result<Schema, ConvertError> {
    let mut columns: Vec<(String, Kind)> = Vec::new();
    merge_rows(&mut columns, rows.iter(), None)?;
    Ok(Schema::new(
        columns
            .into_iter()
            .map(|(name, kind)| Field::new(name, data_type(&kind), true))
            .collect::<Vec<_>>(),
    ))
}

/// Where a value lies, for errors: written out only when one is made (the sample's
/// every value has one).
#[derive(Clone, Copy)]
enum Path<'a> {
    /// A column.
    Column(&'a str),
    /// The items of the list at a path.
    Items(&'a Path<'a>),
    /// A key of the map at a path.
    Key(&'a Path<'a>, &'a str),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Column(name) => f.write_str(name),
            Path::Items(list) => write!(f, "{list}[]"),
            Path::Key(map, name) => write!(f, "{map}.{name}"),
        }
    }
}

/// Merges the kinds of `rows`' values into `columns`; `map` is the path of the map
/// the rows are (`None`: top-level rows).
fn merge_rows<'a>(
    columns: &mut Vec<(String, Kind)>,
    rows: impl Iterator<Item = &'a Row>,
    map: Option<&Path<'_>>,
) -> Result<(), ConvertError> {
    for row in rows {
        for (name, value) in row.iter() {
            let path = match map {
                None => Path::Column(name),
                Some(map) => Path::Key(map, name),
            };
            let kind = kind_of(value, &path)?;
            match columns.iter_mut().find(|(n, _)| n == name) {
                Some((_, known)) => {
                    *known = merge(std::mem::replace(known, Kind::Null), kind, &path)?;
                }
                None => columns.push((name.to_owned(), kind)),
            }
        }
    }
    Ok(())
}

fn kind_of(value: &Value, path: &Path<'_>) -> Result<Kind, ConvertError> {
    Ok(match value {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        Value::Bytes(_) => Kind::Bytes,
        Value::Date(_) => Kind::Date,
        Value::Timestamp(t) => Kind::Timestamp {
            nanos: t.datetime.nanosecond() % 1000 != 0,
            tz: t.tz.clone(),
        },
        Value::Decimal(d) => Kind::Decimal {
            scale: d.scale.max(0),
        },
        Value::List(items) => {
            let mut item = Kind::Null;
            let items_path = Path::Items(path);
            for v in items {
                item = merge(item, kind_of(v, &items_path)?, &items_path)?;
            }
            Kind::List(Box::new(item))
        }
        Value::Map(row) => {
            let mut fields = Vec::new();
            merge_rows(&mut fields, std::iter::once(row), Some(path))?;
            Kind::Struct(fields)
        }
    })
}

fn merge(a: Kind, b: Kind, path: &Path<'_>) -> Result<Kind, ConvertError> {
    Ok(match (a, b) {
        (Kind::Null, k) | (k, Kind::Null) => k,
        (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
        (Kind::Int, Kind::Decimal { scale }) | (Kind::Decimal { scale }, Kind::Int) => {
            Kind::Decimal { scale }
        }
        (Kind::Decimal { scale: a }, Kind::Decimal { scale: b }) => {
            Kind::Decimal { scale: a.max(b) }
        }
        (Kind::Timestamp { nanos: a, tz: ta }, Kind::Timestamp { nanos: b, tz: tb })
            if ta == tb =>
        {
            Kind::Timestamp {
                nanos: a || b,
                tz: ta,
            }
        }
        (Kind::List(a), Kind::List(b)) => Kind::List(Box::new(merge(*a, *b, &Path::Items(path))?)),
        (Kind::Struct(mut a), Kind::Struct(b)) => {
            for (name, kind) in b {
                match a.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, known)) => {
                        let key = Path::Key(path, &name);
                        *known = merge(std::mem::replace(known, Kind::Null), kind, &key)?
                    }
                    None => a.push((name, kind)),
                }
            }
            Kind::Struct(a)
        }
        (a, b) if a == b => a,
        (Kind::Timestamp { tz: ta, .. }, Kind::Timestamp { tz: tb, .. }) => {
            return Err(ConvertError {
                column: path.to_string(),
                message: format!(
                    "the sampled rows have timestamps in different zones ({ta:?}, then {tb:?}); give a schema"
                ),
            });
        }
        (a, b) => {
            return Err(ConvertError {
                column: path.to_string(),
                message: format!(
                    "the sampled rows disagree on its type ({}, then {}); give a schema",
                    a.name(),
                    b.name()
                ),
            });
        }
    })
}

fn data_type(kind: &Kind) -> DataType {
    match kind {
        Kind::Null | Kind::String => DataType::Utf8,
        Kind::Bool => DataType::Boolean,
        Kind::Int => DataType::Int64,
        Kind::Float => DataType::Float64,
        Kind::Bytes => DataType::Binary,
        Kind::Date => DataType::Date32,
        Kind::Timestamp { nanos, tz } => DataType::Timestamp(
            if *nanos {
                TimeUnit::Nanosecond
            } else {
                TimeUnit::Microsecond
            },
            tz.clone(),
        ),
        Kind::Decimal { scale } => DataType::Decimal128(38, *scale),
        Kind::List(item) => DataType::List(Arc::new(Field::new("item", data_type(item), true))),
        Kind::Struct(fields) => DataType::Struct(Fields::from(
            fields
                .iter()
                .map(|(name, kind)| Field::new(name, data_type(kind), true))
                .collect::<Vec<_>>(),
        )),
    }
}
