//! Values between MySQL/MariaDB and rows.
//!
//! | MySQL / MariaDB | row value |
//! |---|---|
//! | `TINYINT(1)` / `BOOLEAN` | bool |
//! | other integers, `YEAR`, `BIT` | integer (`BIGINT UNSIGNED` above 2^63: exact decimal) |
//! | `FLOAT`, `DOUBLE` | float |
//! | `DECIMAL` | exact decimal |
//! | `CHAR`, `VARCHAR`, `TEXT`, `ENUM`, `SET`, MariaDB's `JSON` | text |
//! | MySQL's `JSON` | lists and maps |
//! | `BINARY`, `VARBINARY`, `BLOB`, geometry | bytes |
//! | `DATE` / `DATETIME` / `TIMESTAMP` | date / timestamp without zone / timestamp in UTC |
//! | `TIME` | text (`-838:59:59` to `838:59:59`) |

use chrono::NaiveDate;
use iterable_core::{Decimal, Timestamp, Value};
use mysql_async::Value as MyValue;
use mysql_async::consts::{ColumnFlags, ColumnType};

/// The character set number of binary strings.
const BINARY_CHARSET: u16 = 63;

/// How a column's values become row values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    Int,
    Float,
    Decimal,
    Text,
    Json,
    Bytes,
    Date,
    DateTime,
    Timestamp,
    Time,
    Bit,
}

impl Kind {
    pub(crate) fn of(column: &mysql_async::Column) -> Kind {
        use ColumnType::*;
        let binary = column.character_set() == BINARY_CHARSET;
        match column.column_type() {
            MYSQL_TYPE_TINY if column.column_length() == 1 => Kind::Bool,
            MYSQL_TYPE_TINY | MYSQL_TYPE_SHORT | MYSQL_TYPE_LONG | MYSQL_TYPE_INT24
            | MYSQL_TYPE_LONGLONG | MYSQL_TYPE_YEAR => Kind::Int,
            MYSQL_TYPE_FLOAT | MYSQL_TYPE_DOUBLE => Kind::Float,
            MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => Kind::Decimal,
            MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE => Kind::Date,
            MYSQL_TYPE_DATETIME | MYSQL_TYPE_DATETIME2 => Kind::DateTime,
            MYSQL_TYPE_TIMESTAMP | MYSQL_TYPE_TIMESTAMP2 => Kind::Timestamp,
            MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2 => Kind::Time,
            MYSQL_TYPE_BIT => Kind::Bit,
            MYSQL_TYPE_JSON => Kind::Json,
            MYSQL_TYPE_GEOMETRY => Kind::Bytes,
            _ if binary && !column.flags().contains(ColumnFlags::ENUM_FLAG) => Kind::Bytes,
            _ => Kind::Text,
        }
    }

    /// The row value of a server value in a column of this kind.
    pub(crate) fn value(self, value: MyValue) -> Value {
        match (self, value) {
            (_, MyValue::NULL) => Value::Null,
            (Kind::Bool, MyValue::Int(i)) => Value::Bool(i != 0),
            (Kind::Bool, MyValue::UInt(i)) => Value::Bool(i != 0),
            (_, MyValue::Int(i)) => Value::Int(i),
            (_, MyValue::UInt(u)) => match i64::try_from(u) {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Decimal(Decimal {
                    unscaled: i128::from(u),
                    scale: 0,
                }),
            },
            (_, MyValue::Float(x)) => Value::Float(f64::from(x)),
            (_, MyValue::Double(x)) => Value::Float(x),
            (Kind::Date, MyValue::Date(y, m, d, ..)) => date(y, m, d)
                .map_or_else(|| Value::from(format!("{y:04}-{m:02}-{d:02}")), Value::Date),
            (kind, MyValue::Date(y, m, d, h, i, s, us)) => {
                let at = date(y, m, d)
                    .and_then(|day| day.and_hms_micro_opt(h.into(), i.into(), s.into(), us));
                match at {
                    Some(datetime) => Value::Timestamp(Timestamp {
                        datetime,
                        tz: (kind == Kind::Timestamp).then(|| "UTC".into()),
                    }),
                    // 0000-00-00 00:00:00 and other dates chrono has no place for.
                    None => Value::from(format!("{y:04}-{m:02}-{d:02} {h:02}:{i:02}:{s:02}")),
                }
            }
            (_, MyValue::Time(negative, days, h, i, s, us)) => {
                let hours = days * 24 + u32::from(h);
                let sign = if negative { "-" } else { "" };
                let mut text = format!("{sign}{hours:02}:{i:02}:{s:02}");
                if us > 0 {
                    text.push_str(&format!(".{us:06}"));
                }
                Value::from(text)
            }
            (Kind::Bit, MyValue::Bytes(bytes)) => {
                Value::Int(bytes.iter().fold(0i64, |n, b| (n << 8) | i64::from(*b)))
            }
            (Kind::Bytes, MyValue::Bytes(bytes)) => Value::Bytes(bytes),
            (Kind::Decimal, MyValue::Bytes(bytes)) => {
                let text = String::from_utf8_lossy(&bytes);
                parse_decimal(&text).map_or_else(|| Value::from(text.as_ref()), Value::Decimal)
            }
            (Kind::Json, MyValue::Bytes(bytes)) => serde_json::from_slice::<Value>(&bytes)
                .unwrap_or_else(|_| Value::from(String::from_utf8_lossy(&bytes).as_ref())),
            (_, MyValue::Bytes(bytes)) => match String::from_utf8(bytes) {
                Ok(text) => Value::from(text),
                Err(e) => Value::Bytes(e.into_bytes()),
            },
        }
    }
}

fn date(y: u16, m: u8, d: u8) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y.into(), m.into(), d.into())
}

/// `-123.4500` as a decimal (scale 4), when it fits.
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
        || whole.len() + fraction.len() > 38
    {
        return None;
    }
    let unscaled: i128 = format!("{whole}{fraction}").parse().ok()?;
    Some(Decimal {
        unscaled: if negative { -unscaled } else { unscaled },
        scale: i8::try_from(fraction.len()).ok()?,
    })
}

/// A row value as a statement parameter.
pub(crate) fn param(value: &Value) -> MyValue {
    match value {
        Value::Null => MyValue::NULL,
        Value::Bool(b) => MyValue::Int(i64::from(*b)),
        Value::Int(i) => MyValue::Int(*i),
        Value::Float(x) => MyValue::Double(*x),
        Value::String(s) => MyValue::Bytes(s.as_bytes().to_vec()),
        Value::Bytes(b) => MyValue::Bytes(b.clone()),
        Value::Date(d) => MyValue::Bytes(d.format("%Y-%m-%d").to_string().into_bytes()),
        // Zoned timestamps are kept in UTC, the session's zone.
        Value::Timestamp(t) => MyValue::Bytes(
            t.datetime
                .format("%Y-%m-%d %H:%M:%S%.6f")
                .to_string()
                .into_bytes(),
        ),
        Value::Decimal(d) => MyValue::Bytes(d.to_string().into_bytes()),
        Value::List(_) | Value::Map(_) => {
            MyValue::Bytes(serde_json::to_vec(value).expect("values serialize to JSON"))
        }
    }
}

/// The column type of a table made from rows: the SQL for the values a column holds
/// (`key`: the column is in the primary key, which cannot be a whole `LONGTEXT`).
pub(crate) fn column_type(values: &[&Value], key: bool) -> String {
    let mut kind: Option<&'static str> = None;
    let mut scale = 0i8;
    for value in values {
        let this = match value {
            Value::Null => continue,
            Value::Bool(_) => "BOOLEAN",
            Value::Int(_) => "BIGINT",
            Value::Float(_) => "DOUBLE",
            Value::Decimal(d) => {
                scale = scale.max(d.scale);
                "DECIMAL"
            }
            Value::String(_) => "TEXT",
            Value::Bytes(_) => "BLOB",
            Value::Date(_) => "DATE",
            Value::Timestamp(_) => "DATETIME",
            Value::List(_) | Value::Map(_) => "JSON",
        };
        kind = Some(match (kind, this) {
            (None, this) => this,
            (Some(a), b) if a == b => a,
            (Some("BIGINT"), "DOUBLE") | (Some("DOUBLE"), "BIGINT") => "DOUBLE",
            (Some("BIGINT"), "DECIMAL") | (Some("DECIMAL"), "BIGINT") => "DECIMAL",
            (Some("DOUBLE"), "DECIMAL") | (Some("DECIMAL"), "DOUBLE") => "DOUBLE",
            _ => "TEXT",
        });
    }
    match kind.unwrap_or("TEXT") {
        "TEXT" if key => "VARCHAR(255)".to_owned(),
        "TEXT" => "LONGTEXT".to_owned(),
        "BLOB" if key => "VARBINARY(255)".to_owned(),
        "BLOB" => "LONGBLOB".to_owned(),
        "DECIMAL" => format!("DECIMAL(65, {})", scale.clamp(0, 30)),
        "DATETIME" => "DATETIME(6)".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(
            parse_decimal("-123.4500"),
            Some(Decimal {
                unscaled: -1234500,
                scale: 4
            })
        );
        assert_eq!(
            parse_decimal("7"),
            Some(Decimal {
                unscaled: 7,
                scale: 0
            })
        );
        assert_eq!(parse_decimal("1e5"), None);
        assert_eq!(parse_decimal(&"9".repeat(39)), None);
    }

    #[test]
    fn tables_made_from_rows_take_the_widest_type() {
        let (one, half, text) = (Value::Int(1), Value::Float(0.5), Value::from("x"));
        assert_eq!(column_type(&[&one, &half], false), "DOUBLE");
        assert_eq!(column_type(&[&one, &text], false), "LONGTEXT");
        assert_eq!(column_type(&[&text], true), "VARCHAR(255)");
        assert_eq!(column_type(&[&Value::Null], false), "LONGTEXT");
    }
}
