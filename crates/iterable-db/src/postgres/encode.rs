//! Row values into the text format of `COPY … FROM STDIN`: fields split by tabs, rows
//! by newlines, `\N` for null, backslash escapes. The server parses each field as its
//! column's type, so every type it has takes values (enums, `inet`, domains); arrays
//! are written as array literals and lists and maps as JSON where the column is
//! `json`/`jsonb` or text. What a column type makes of values of each kind, and the
//! types of a table made from rows, are here too.

use std::io::Write;

use iterable_core::Value;
use tokio_postgres::types::{Kind, Type};

/// What a column of the table asks of the values written to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// An array: lists are written as array literals.
    Array,
    /// Anything else: lists and maps as JSON.
    Scalar,
}

impl Target {
    pub(crate) fn of(ty: &Type) -> Target {
        match ty.kind() {
            Kind::Array(_) => Target::Array,
            Kind::Domain(base) => Target::of(base),
            _ => Target::Scalar,
        }
    }
}

/// Appends one field.
pub(crate) fn field(value: &Value, target: Target, out: &mut Vec<u8>) {
    match (value, target) {
        (Value::Null, _) => out.extend_from_slice(b"\\N"),
        (Value::List(items), Target::Array) => {
            let mut literal = Vec::new();
            array_literal(items, &mut literal);
            escaped(&literal, out);
        }
        (value, _) => scalar(value, out),
    }
}

fn scalar(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"\\N"),
        Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(x) => float(*x, out),
        Value::String(s) => escaped(s.as_bytes(), out),
        Value::Bytes(bytes) => {
            // bytea's hex form, \x…, its backslash escaped for COPY.
            out.extend_from_slice(b"\\\\x");
            for b in bytes {
                let _ = write!(out, "{b:02x}");
            }
        }
        Value::Date(d) => {
            let _ = write!(out, "{}", d.format("%Y-%m-%d"));
        }
        Value::Timestamp(t) => {
            let _ = write!(out, "{}", t.datetime.format("%Y-%m-%d %H:%M:%S%.f"));
            if t.tz.is_some() {
                // Kept in UTC; the zone's name is for showing only.
                out.extend_from_slice(b"+00");
            }
        }
        Value::Decimal(d) => {
            let _ = write!(out, "{d}");
        }
        Value::List(_) | Value::Map(_) => {
            let json = serde_json::to_vec(value).expect("values serialize to JSON");
            escaped(&json, out);
        }
    }
}

fn float(x: f64, out: &mut Vec<u8>) {
    if x.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if x.is_infinite() {
        out.extend_from_slice(if x > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else {
        // Debug is the shortest text that reads back as the same float (1e300, 0.1).
        let _ = write!(out, "{x:?}");
    }
}

/// An array literal, `{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`.
fn array_literal(items: &[Value], out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match item {
            Value::Null => out.extend_from_slice(b"NULL"),
            Value::List(inner) => array_literal(inner, out),
            other => {
                let mut text = Vec::new();
                scalar_text(other, &mut text);
                out.push(b'"');
                for b in text {
                    if b == b'"' || b == b'\\' {
                        out.push(b'\\');
                    }
                    out.push(b);
                }
                out.push(b'"');
            }
        }
    }
    out.push(b'}');
}

/// A value's text before COPY's escaping (for array elements).
fn scalar_text(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Bytes(bytes) => {
            out.extend_from_slice(b"\\x");
            for b in bytes {
                let _ = write!(out, "{b:02x}");
            }
        }
        Value::List(_) | Value::Map(_) => {
            out.extend_from_slice(&serde_json::to_vec(value).expect("values serialize to JSON"));
        }
        other => {
            let mut field = Vec::new();
            scalar(other, &mut field);
            out.extend_from_slice(&field);
        }
    }
}

/// Text escaped for the server's text format.
fn escaped(text: &[u8], out: &mut Vec<u8>) {
    crate::text_escape::escaped(text, false, out);
}

/// The column type of a table made from rows, for the values a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    Boolean,
    Bigint,
    Double,
    Numeric,
    Text,
    Bytea,
    Date,
    Timestamp,
    Timestamptz,
    Jsonb,
    Array(Element),
}

/// The element type of an array column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Element {
    Boolean,
    Bigint,
    Double,
    Numeric,
    Text,
    Date,
    Timestamp,
    Timestamptz,
}

impl ColumnType {
    /// The SQL of the type.
    pub(crate) fn sql(self) -> &'static str {
        match self {
            ColumnType::Boolean => "boolean",
            ColumnType::Bigint => "bigint",
            ColumnType::Double => "double precision",
            ColumnType::Numeric => "numeric",
            ColumnType::Text => "text",
            ColumnType::Bytea => "bytea",
            ColumnType::Date => "date",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Timestamptz => "timestamptz",
            ColumnType::Jsonb => "jsonb",
            ColumnType::Array(element) => match element {
                Element::Boolean => "boolean[]",
                Element::Bigint => "bigint[]",
                Element::Double => "double precision[]",
                Element::Numeric => "numeric[]",
                Element::Text => "text[]",
                Element::Date => "date[]",
                Element::Timestamp => "timestamp[]",
                Element::Timestamptz => "timestamptz[]",
            },
        }
    }

    /// The type of one value; `None` for null (and for an empty list, which says
    /// nothing of its elements).
    pub(crate) fn of(value: &Value) -> Option<ColumnType> {
        Some(match value {
            Value::Null => return None,
            Value::Bool(_) => ColumnType::Boolean,
            Value::Int(_) => ColumnType::Bigint,
            Value::Float(_) => ColumnType::Double,
            Value::Decimal(_) => ColumnType::Numeric,
            Value::String(_) => ColumnType::Text,
            Value::Bytes(_) => ColumnType::Bytea,
            Value::Date(_) => ColumnType::Date,
            Value::Timestamp(t) if t.tz.is_some() => ColumnType::Timestamptz,
            Value::Timestamp(_) => ColumnType::Timestamp,
            Value::Map(_) => ColumnType::Jsonb,
            Value::List(items) => {
                let mut element: Option<ColumnType> = None;
                for item in items.iter().filter(|v| !matches!(v, Value::Null)) {
                    let ty = ColumnType::of(item).unwrap_or(ColumnType::Jsonb);
                    if matches!(ty, ColumnType::Jsonb | ColumnType::Array(_)) {
                        // Maps, and lists of lists (arrays must be rectangular).
                        return Some(ColumnType::Jsonb);
                    }
                    element = Some(match element {
                        None => ty,
                        // Elements of different kinds (text and numbers) stay apart in JSON.
                        Some(known) => match known.widen(ty) {
                            ColumnType::Text if known != ty => return Some(ColumnType::Jsonb),
                            wider => wider,
                        },
                    });
                }
                match element? {
                    ColumnType::Boolean => ColumnType::Array(Element::Boolean),
                    ColumnType::Bigint => ColumnType::Array(Element::Bigint),
                    ColumnType::Double => ColumnType::Array(Element::Double),
                    ColumnType::Numeric => ColumnType::Array(Element::Numeric),
                    ColumnType::Text => ColumnType::Array(Element::Text),
                    ColumnType::Date => ColumnType::Array(Element::Date),
                    ColumnType::Timestamp => ColumnType::Array(Element::Timestamp),
                    ColumnType::Timestamptz => ColumnType::Array(Element::Timestamptz),
                    _ => ColumnType::Jsonb,
                }
            }
        })
    }

    /// The type that holds values of both: integers widen to floats or decimals,
    /// arrays of different elements and lists with maps to `jsonb`, other mixes to
    /// text.
    pub(crate) fn widen(self, other: ColumnType) -> ColumnType {
        use ColumnType::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Bigint, Double) | (Double, Bigint) => Double,
            (Bigint, Numeric) | (Numeric, Bigint) => Numeric,
            (Double, Numeric) | (Numeric, Double) => Double,
            (Timestamp, Timestamptz) | (Timestamptz, Timestamp) => Timestamptz,
            (Array(_) | Jsonb, Array(_) | Jsonb) => Jsonb,
            _ => Text,
        }
    }
}

#[cfg(test)]
mod tests {
    use iterable_core::row;

    use super::*;

    fn text(value: &Value, target: Target) -> String {
        let mut out = Vec::new();
        field(value, target, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_escaped_for_copy() {
        assert_eq!(
            text(&Value::from("a\tb\nc\\d"), Target::Scalar),
            "a\\tb\\nc\\\\d"
        );
        assert_eq!(text(&Value::Null, Target::Scalar), "\\N");
        assert_eq!(
            text(&Value::Bytes(vec![0, 255]), Target::Scalar),
            "\\\\x00ff"
        );
        assert_eq!(text(&Value::Float(1e300), Target::Scalar), "1e300");
        assert_eq!(
            text(&Value::Float(f64::NEG_INFINITY), Target::Scalar),
            "-Infinity"
        );
    }

    #[test]
    fn lists_are_array_literals_or_json() {
        let list = Value::List(vec![
            Value::from("a \"b\""),
            Value::Null,
            Value::from("c,d"),
        ]);
        assert_eq!(text(&list, Target::Array), r#"{"a \\"b\\"",NULL,"c,d"}"#);
        let nested = Value::List(vec![
            Value::List(vec![Value::Int(1), Value::Int(2)]),
            Value::List(vec![Value::Int(3), Value::Int(4)]),
        ]);
        assert_eq!(text(&nested, Target::Array), r#"{{"1","2"},{"3","4"}}"#);
        let map = Value::Map(row! { "k" => "v\n" });
        assert_eq!(text(&map, Target::Scalar), r#"{"k":"v\\n"}"#);
    }

    #[test]
    fn tables_made_from_rows_take_the_widest_type() {
        let ints = Value::List(vec![Value::Int(1), Value::Float(2.5)]);
        assert_eq!(
            ColumnType::of(&ints),
            Some(ColumnType::Array(Element::Double))
        );
        let mixed = Value::List(vec![Value::Int(1), Value::Map(row! {"a" => 1})]);
        assert_eq!(ColumnType::of(&mixed), Some(ColumnType::Jsonb));
        let mixed = Value::List(vec![Value::from("a"), Value::Int(1)]);
        assert_eq!(ColumnType::of(&mixed), Some(ColumnType::Jsonb));
        assert_eq!(ColumnType::of(&Value::List(vec![])), None);
        assert_eq!(ColumnType::Bigint.widen(ColumnType::Text), ColumnType::Text);
    }
}
