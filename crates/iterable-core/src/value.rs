//! The project's own value type: what one cell of a [`Row`](crate::Row) holds.

use std::fmt;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};

use crate::{Row, Text};

/// One cell of a row.
///
/// Text formats give [`Value::String`] unless type inference is asked for; typed
/// formats (JSON numbers and booleans, Parquet, Excel) keep their types, so a round
/// trip through a typed format loses nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No value: an empty CSV field under a short row, JSON `null`, a null cell.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer. JSON integers up to `i64::MAX` are exact.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// UTF-8 text (inline up to 24 bytes: see [`Text`]).
    String(Text),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A calendar date.
    Date(NaiveDate),
    /// A point in time (see [`Timestamp`]).
    Timestamp(Timestamp),
    /// An exact decimal number (see [`Decimal`]).
    Decimal(Decimal),
    /// A list of values.
    List(Vec<Value>),
    /// A nested record, with its keys in order.
    Map(Row),
}

/// A timestamp as Arrow models it: a date-time plus an optional time zone name.
///
/// When `tz` is `Some`, `datetime` is in UTC and `tz` names the zone it is shown in;
/// when `tz` is `None`, `datetime` is a wall-clock time with no zone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// The date and time (UTC when `tz` is set).
    pub datetime: NaiveDateTime,
    /// The time zone name or offset (`"UTC"`, `"+02:00"`, `"Europe/Paris"`), if any.
    pub tz: Option<Arc<str>>,
}

/// How deep values may nest (lists and maps in lists and maps) in what any reader
/// takes from its input: deeper input is an error naming the record, not a stack
/// overflow. The same for every format (serde_json's own limit, which JSON and JSON
/// Lines keep).
pub const MAX_NESTING_DEPTH: usize = 128;

/// An exact decimal: `unscaled * 10^-scale`.
///
/// JSON integers beyond `i64::MAX` (up to `u64::MAX` and beyond, within `i128`) are
/// kept exactly as a `Decimal` with scale 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// The digits as an integer.
    pub unscaled: i128,
    /// How many of those digits sit after the decimal point.
    pub scale: i8,
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale <= 0 {
            write!(f, "{}", self.unscaled)?;
            for _ in 0..(-(self.scale as i32)) {
                f.write_str("0")?;
            }
            return Ok(());
        }
        let negative = self.unscaled < 0;
        let digits = self.unscaled.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let padded = if digits.len() <= scale {
            format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - scale);
        if negative {
            f.write_str("-")?;
        }
        write!(f, "{int}.{frac}")
    }
}

/// A float as text: the shortest digits that read back as the same float, in plain
/// notation from 1e-5 up to 1e16 (`0.25`, `1234.5`) and with an exponent outside it
/// (`1e300`, `1.5e-7`), as JSON writers and Python do, instead of the 301 digits plain
/// notation takes for 1e300.
fn write_float(x: f64, out: &mut String) {
    use std::fmt::Write;
    let magnitude = x.abs();
    if magnitude != 0.0 && x.is_finite() && !(1e-5..1e16).contains(&magnitude) {
        let _ = write!(out, "{x:e}");
    } else {
        let _ = write!(out, "{x}");
    }
}

/// The seconds east of UTC of an offset written `+HH:MM`, `+HHMM` or `+HH` (or `-`).
fn offset_seconds(tz: &str) -> Option<i32> {
    let (sign, rest) = match tz.as_bytes().first()? {
        b'+' => (1, &tz[1..]),
        b'-' => (-1, &tz[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    (hours < 24 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

impl Timestamp {
    /// The seconds east of UTC of the zone, when it is an offset (`+02:00`, `-0700`,
    /// `+05`) or UTC; `None` for no zone or a named one (`Europe/Paris`).
    ///
    /// ```
    /// # use iterable_core::Timestamp;
    /// let t = Timestamp { datetime: "2000-10-10T20:55:36".parse().unwrap(), tz: Some("-07:00".into()) };
    /// assert_eq!(t.offset_seconds(), Some(-7 * 3600));
    /// assert_eq!(t.to_string(), "2000-10-10T13:55:36-07:00");
    /// ```
    pub fn offset_seconds(&self) -> Option<i32> {
        match self.tz.as_deref()? {
            "UTC" | "Z" => Some(0),
            tz => offset_seconds(tz),
        }
    }
}

/// RFC 3339 text: the wall-clock time with no zone; with an offset zone, the local
/// time at that offset followed by it (`2000-10-10T13:55:36-07:00` for 20:55:36
/// UTC); with a named zone, the UTC time with the name after it
/// (`2024-01-01T12:00:00Z[Europe/Paris]`, as no zone database is at hand).
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LAYOUT: &str = "%Y-%m-%dT%H:%M:%S%.f";
        let text = self.datetime.format(LAYOUT);
        match self.tz.as_deref() {
            None => write!(f, "{text}"),
            Some("UTC") | Some("Z") | Some("+00:00") => write!(f, "{text}Z"),
            Some(tz) => match offset_seconds(tz) {
                Some(0) => write!(f, "{text}Z"),
                Some(seconds) => {
                    let local = self.datetime + chrono::TimeDelta::seconds(i64::from(seconds));
                    let sign = if seconds < 0 { '-' } else { '+' };
                    let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
                    write!(f, "{}{sign}{h:02}:{m:02}", local.format(LAYOUT))
                }
                None => write!(f, "{text}Z[{tz}]"),
            },
        }
    }
}

impl Value {
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text, when this is a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, when this is a [`Value::Int`].
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The number as a float, when this is a [`Value::Float`] or a [`Value::Int`].
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The boolean, when this is a [`Value::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A short name of the variant, for error messages (`"string"`, `"int"`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Date(_) => "date",
            Value::Timestamp(_) => "timestamp",
            Value::Decimal(_) => "decimal",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }

    /// Writes the value as plain text, the way a CSV cell shows it: strings as they
    /// are, null as nothing, numbers and dates in their usual notation, lists and maps
    /// as JSON, bytes as lossy UTF-8.
    pub fn write_text(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Value::Null => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(x) => write_float(*x, out),
            Value::String(s) => out.push_str(s),
            Value::Bytes(b) => out.push_str(&String::from_utf8_lossy(b)),
            Value::Date(d) => {
                let _ = write!(out, "{}", d.format("%Y-%m-%d"));
            }
            Value::Timestamp(t) => {
                let _ = write!(out, "{t}");
            }
            Value::Decimal(d) => {
                let _ = write!(out, "{d}");
            }
            Value::List(_) | Value::Map(_) => {
                out.push_str(&serde_json::to_string(self).unwrap_or_default());
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write_text(&mut text);
        f.write_str(&text)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::Int(v as i64) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Value {
    #[inline]
    fn from(v: u64) -> Self {
        match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Decimal(Decimal {
                unscaled: v as i128,
                scale: 0,
            }),
        }
    }
}

impl From<f32> for Value {
    #[inline]
    fn from(v: f32) -> Self {
        Value::Float(v as f64)
    }
}
impl From<f64> for Value {
    #[inline]
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    #[inline]
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    #[inline(always)]
    fn from(v: &str) -> Self {
        Value::String(Text::new(v))
    }
}
impl From<String> for Value {
    #[inline]
    fn from(v: String) -> Self {
        Value::String(v.into())
    }
}
impl From<Text> for Value {
    #[inline]
    fn from(v: Text) -> Self {
        Value::String(v)
    }
}
impl From<NaiveDate> for Value {
    #[inline]
    fn from(v: NaiveDate) -> Self {
        Value::Date(v)
    }
}
impl From<Timestamp> for Value {
    #[inline]
    fn from(v: Timestamp) -> Self {
        Value::Timestamp(v)
    }
}
impl From<Decimal> for Value {
    #[inline]
    fn from(v: Decimal) -> Self {
        Value::Decimal(v)
    }
}
impl From<Row> for Value {
    #[inline]
    fn from(v: Row) -> Self {
        Value::Map(v)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl From<serde_json::Value> for Value {
    #[inline]
    fn from(v: serde_json::Value) -> Self {
        use serde_json::Value as J;
        match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(b),
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Value::from(u)
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            J::String(s) => Value::String(s.into()),
            J::Array(items) => Value::List(items.into_iter().map(Value::from).collect()),
            J::Object(map) => {
                Value::Map(map.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }
        }
    }
}

impl From<Value> for serde_json::Value {
    fn from(v: Value) -> Self {
        serde_json::to_value(&v).unwrap_or(serde_json::Value::Null)
    }
}

impl From<&Value> for serde_json::Value {
    fn from(v: &Value) -> Self {
        serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(utc: &str, tz: Option<&str>) -> Timestamp {
        Timestamp {
            datetime: utc.parse().unwrap(),
            tz: tz.map(Into::into),
        }
    }

    #[test]
    fn timestamp_text_is_the_local_time_at_an_offset() {
        let utc = "2000-10-10T20:55:36";
        assert_eq!(at(utc, None).to_string(), "2000-10-10T20:55:36");
        assert_eq!(at(utc, Some("UTC")).to_string(), "2000-10-10T20:55:36Z");
        assert_eq!(
            at(utc, Some("-07:00")).to_string(),
            "2000-10-10T13:55:36-07:00"
        );
        assert_eq!(
            at(utc, Some("+0530")).to_string(),
            "2000-10-11T02:25:36+05:30"
        );
        assert_eq!(at(utc, Some("+00")).to_string(), "2000-10-10T20:55:36Z");
        assert_eq!(
            at("2024-01-01T12:00:00.25", Some("Europe/Paris")).to_string(),
            "2024-01-01T12:00:00.250Z[Europe/Paris]"
        );
        // Not an offset: named as it is.
        assert_eq!(at(utc, Some("+7")).to_string(), "2000-10-10T20:55:36Z[+7]");
    }

    #[test]
    fn floats_as_text_take_an_exponent_only_far_from_one() {
        let text = |x: f64| Value::Float(x).to_string();
        assert_eq!(text(1e300), "1e300");
        assert_eq!(text(-2.5e-7), "-2.5e-7");
        assert_eq!(text(1e16), "1e16");
        assert_eq!(text(9999999999999998.0), "9999999999999998");
        assert_eq!(text(0.00001), "0.00001");
        assert_eq!(text(1234.5), "1234.5");
        assert_eq!(text(0.0), "0");
        for x in [1e300, -2.5e-7, 1e16, 0.1 + 0.2, f64::MAX, f64::MIN_POSITIVE] {
            assert_eq!(text(x).parse::<f64>().unwrap(), x, "{x} reads back");
        }
    }

    #[test]
    fn decimal_text_keeps_every_digit() {
        assert_eq!(
            Decimal {
                unscaled: 12345,
                scale: 2
            }
            .to_string(),
            "123.45"
        );
        assert_eq!(
            Decimal {
                unscaled: -5,
                scale: 3
            }
            .to_string(),
            "-0.005"
        );
        assert_eq!(
            Decimal {
                unscaled: 7,
                scale: -2
            }
            .to_string(),
            "700"
        );
    }

    #[test]
    fn big_unsigned_integers_stay_exact() {
        let v = Value::from(u64::MAX);
        assert_eq!(
            v,
            Value::Decimal(Decimal {
                unscaled: u64::MAX as i128,
                scale: 0
            })
        );
        let json: serde_json::Value = v.into();
        assert_eq!(json.to_string(), u64::MAX.to_string());
    }

    #[test]
    fn json_round_trip() {
        let text = r#"{"a":1,"b":[true,null,2.5],"c":{"d":"x"}}"#;
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        let value = Value::from(json.clone());
        assert_eq!(serde_json::Value::from(value), json);
    }
}
