//! Values between SQLite and rows. SQLite stores integers, reals, text and blobs; the
//! declared column type says what the text or integer means: `BOOLEAN` integers are
//! booleans, `DATE` text dates, `TIMESTAMP`/`DATETIME` text timestamps, `JSON` text
//! lists and maps. Written tables declare those types, so a round trip keeps them.

use chrono::{NaiveDate, NaiveDateTime};
use iterable_core::{Timestamp, Value};
use rusqlite::types::{Value as SqlValue, ValueRef};

/// What a declared column type asks of its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Declared {
    Plain,
    Bool,
    Date,
    Timestamp,
    Json,
}

impl Declared {
    /// From the column's declared type (`None` for an expression in a query).
    pub(crate) fn of(decl: Option<&str>) -> Declared {
        let Some(decl) = decl else {
            return Declared::Plain;
        };
        let upper = decl.to_ascii_uppercase();
        if upper.starts_with("BOOL") {
            Declared::Bool
        } else if upper == "DATE" {
            Declared::Date
        } else if upper.starts_with("TIMESTAMP") || upper.starts_with("DATETIME") {
            Declared::Timestamp
        } else if upper == "JSON" {
            Declared::Json
        } else {
            Declared::Plain
        }
    }
}

/// The row value of an SQLite value in a column declared `declared`.
pub(crate) fn from_sql(value: ValueRef<'_>, declared: Declared) -> Value {
    match (value, declared) {
        (ValueRef::Null, _) => Value::Null,
        (ValueRef::Integer(i), Declared::Bool) => Value::Bool(i != 0),
        (ValueRef::Integer(i), _) => Value::Int(i),
        (ValueRef::Real(x), _) => Value::Float(x),
        (ValueRef::Blob(b), _) => Value::Bytes(b.to_vec()),
        (ValueRef::Text(t), declared) => {
            let text = String::from_utf8_lossy(t);
            match declared {
                Declared::Date => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map(Value::Date)
                    .unwrap_or_else(|_| Value::from(text.as_ref())),
                Declared::Timestamp => {
                    parse_timestamp(&text).unwrap_or_else(|| Value::from(text.as_ref()))
                }
                Declared::Json => serde_json::from_str::<Value>(&text)
                    .unwrap_or_else(|_| Value::from(text.as_ref())),
                _ => Value::from(text.as_ref()),
            }
        }
    }
}

/// A timestamp as `Timestamp` shows itself: `2024-05-01T10:00:00` (no zone), with `Z`
/// (UTC), an offset (`+02:00`) or `Z[Europe/Paris]`; a space for the `T` too.
fn parse_timestamp(text: &str) -> Option<Value> {
    let (clock, tz) = if let Some((clock, zone)) = text.split_once("Z[") {
        (clock, Some(zone.strip_suffix(']')?.to_owned()))
    } else if let Some(clock) = text.strip_suffix('Z') {
        (clock, Some("UTC".to_owned()))
    } else if text.len() > 6 && matches!(text.as_bytes()[text.len() - 6], b'+' | b'-') {
        let (clock, offset) = text.split_at(text.len() - 6);
        (clock, Some(offset.to_owned()))
    } else {
        (text, None)
    };
    let clock = clock.replacen(' ', "T", 1);
    let clock = NaiveDateTime::parse_from_str(&clock, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    let mut timestamp = Timestamp {
        datetime: clock,
        tz: tz.map(Into::into),
    };
    // At an offset the text is the local time; the value holds UTC.
    if let Some(seconds) = timestamp.offset_seconds() {
        timestamp.datetime = clock - chrono::TimeDelta::seconds(i64::from(seconds));
    }
    Some(Value::Timestamp(timestamp))
}

/// The SQLite value of a row value: booleans as 0 and 1, dates, timestamps and
/// decimals as their text, lists and maps as JSON text.
pub(crate) fn to_sql(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Int(i) => SqlValue::Integer(*i),
        Value::Float(x) => SqlValue::Real(*x),
        Value::String(s) => SqlValue::Text(s.to_string()),
        Value::Bytes(b) => SqlValue::Blob(b.clone()),
        Value::List(_) | Value::Map(_) => {
            SqlValue::Text(serde_json::to_string(value).unwrap_or_default())
        }
        other => SqlValue::Text(other.to_string()),
    }
}

/// The declared type a column of these values gets in a table we create.
pub(crate) fn declared_type(value: &Value) -> &'static str {
    match value {
        Value::Null | Value::String(_) | Value::Decimal(_) => "TEXT",
        Value::Bool(_) => "BOOLEAN",
        Value::Int(_) => "INTEGER",
        Value::Float(_) => "REAL",
        Value::Bytes(_) => "BLOB",
        Value::Date(_) => "DATE",
        Value::Timestamp(_) => "TIMESTAMP",
        Value::List(_) | Value::Map(_) => "JSON",
    }
}

/// A name as an SQL identifier: in double quotes, a quote inside doubled.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_back_as_they_were_written() {
        for text in [
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:00.250Z",
            "2024-05-01T10:00:00+02:00",
            "2024-05-01T00:30:00-05:30",
            "2024-05-01T10:00:00Z[Europe/Paris]",
        ] {
            let value = parse_timestamp(text).unwrap();
            assert_eq!(value.to_string(), text);
        }
        let Some(Value::Timestamp(t)) = parse_timestamp("2024-05-01T10:00:00+02:00") else {
            panic!()
        };
        assert_eq!(t.datetime.to_string(), "2024-05-01 08:00:00", "held in UTC");
        assert!(parse_timestamp("yesterday").is_none());
    }
}
