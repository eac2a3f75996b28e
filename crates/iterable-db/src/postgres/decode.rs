//! PostgreSQL's binary wire format of values, into row values: what each column type
//! becomes, and the decoding of one field.
//!
//! | PostgreSQL | row value |
//! |---|---|
//! | `boolean` | bool |
//! | `smallint`, `integer`, `bigint`, `oid` | integer |
//! | `real`, `double precision` | float |
//! | `numeric` | exact decimal (text when it has more than 38 digits; NaN and infinities as floats) |
//! | `text`, `varchar`, `char(n)`, `name`, enums, `xml` | text |
//! | `bytea` | bytes |
//! | `date` | date (`infinity` as text) |
//! | `timestamp` | timestamp without zone; `timestamptz`: timestamp in UTC (`infinity` as text) |
//! | `time`, `timetz` | text (`10:30:00`, `10:30:00+02:00`) |
//! | `interval` | text in ISO 8601 (`P1Y2M3DT4H5M6S`), which PostgreSQL reads back |
//! | `uuid` | text (`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`) |
//! | `json`, `jsonb` | nested values |
//! | arrays of these | lists (nested lists for more dimensions) |
//! | domains | as their base type |
//! | anything else | text, as the server prints it (the query casts it) |

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use iterable_core::{Decimal, Timestamp, Value};
use tokio_postgres::types::{Kind, Type};

/// How one column's fields are decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decoder {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    Numeric,
    Text,
    Char,
    Bytea,
    Date,
    Time,
    TimeTz,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Json,
    Jsonb,
    Array(Box<Decoder>),
}

impl Decoder {
    /// The decoder of a column type; `None` for types read as the server's text.
    pub(crate) fn of(ty: &Type) -> Option<Decoder> {
        match ty.kind() {
            Kind::Array(element) => {
                return Decoder::of(element).map(|d| Decoder::Array(Box::new(d)));
            }
            Kind::Domain(base) => return Decoder::of(base),
            Kind::Enum(_) => return Some(Decoder::Text),
            _ => {}
        }
        Some(match *ty {
            Type::BOOL => Decoder::Bool,
            Type::INT2 => Decoder::Int2,
            Type::INT4 => Decoder::Int4,
            Type::INT8 => Decoder::Int8,
            Type::OID => Decoder::Oid,
            Type::FLOAT4 => Decoder::Float4,
            Type::FLOAT8 => Decoder::Float8,
            Type::NUMERIC => Decoder::Numeric,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::XML | Type::UNKNOWN => {
                Decoder::Text
            }
            Type::CHAR => Decoder::Char,
            Type::BYTEA => Decoder::Bytea,
            Type::DATE => Decoder::Date,
            Type::TIME => Decoder::Time,
            Type::TIMETZ => Decoder::TimeTz,
            Type::TIMESTAMP => Decoder::Timestamp,
            Type::TIMESTAMPTZ => Decoder::TimestampTz,
            Type::INTERVAL => Decoder::Interval,
            Type::UUID => Decoder::Uuid,
            Type::JSON => Decoder::Json,
            Type::JSONB => Decoder::Jsonb,
            _ => return None,
        })
    }

    /// The value of one non-null field, or why its bytes are not a value of the type.
    pub(crate) fn decode(&self, bytes: &[u8]) -> Result<Value, String> {
        Ok(match self {
            Decoder::Bool => Value::Bool(fixed::<1>(bytes)?[0] != 0),
            Decoder::Int2 => Value::Int(i16::from_be_bytes(fixed(bytes)?).into()),
            Decoder::Int4 => Value::Int(i32::from_be_bytes(fixed(bytes)?).into()),
            Decoder::Int8 => Value::Int(i64::from_be_bytes(fixed(bytes)?)),
            Decoder::Oid => Value::Int(u32::from_be_bytes(fixed(bytes)?).into()),
            Decoder::Float4 => Value::Float(f32::from_be_bytes(fixed(bytes)?).into()),
            Decoder::Float8 => Value::Float(f64::from_be_bytes(fixed(bytes)?)),
            Decoder::Numeric => numeric(bytes)?,
            Decoder::Text => Value::from(text(bytes)?),
            Decoder::Char => Value::from(String::from_utf8_lossy(bytes).as_ref()),
            Decoder::Bytea => Value::Bytes(bytes.to_vec()),
            Decoder::Date => date(i32::from_be_bytes(fixed(bytes)?)),
            Decoder::Time => Value::from(time_of_day(i64::from_be_bytes(fixed(bytes)?))?),
            Decoder::TimeTz => {
                let raw: [u8; 12] = fixed(bytes)?;
                let micros = i64::from_be_bytes(raw[..8].try_into().expect("8 bytes"));
                // Seconds west of UTC: +02:00 is stored as -7200.
                let west = i32::from_be_bytes(raw[8..].try_into().expect("4 bytes"));
                Value::from(format!("{}{}", time_of_day(micros)?, offset(-west)))
            }
            Decoder::Timestamp => timestamp(i64::from_be_bytes(fixed(bytes)?), None),
            Decoder::TimestampTz => timestamp(i64::from_be_bytes(fixed(bytes)?), Some("UTC")),
            Decoder::Interval => {
                let raw: [u8; 16] = fixed(bytes)?;
                let micros = i64::from_be_bytes(raw[..8].try_into().expect("8 bytes"));
                let days = i32::from_be_bytes(raw[8..12].try_into().expect("4 bytes"));
                let months = i32::from_be_bytes(raw[12..].try_into().expect("4 bytes"));
                Value::from(interval(months, days, micros))
            }
            Decoder::Uuid => Value::from(uuid(&fixed::<16>(bytes)?)),
            Decoder::Json => json(bytes)?,
            Decoder::Jsonb => match bytes.split_first() {
                Some((1, rest)) => json(rest)?,
                _ => return Err("a jsonb value of an unknown version".to_owned()),
            },
            Decoder::Array(element) => array(element, bytes)?,
        })
    }
}

pub(super) fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N], String> {
    bytes
        .try_into()
        .map_err(|_| format!("{} bytes where the type has {N}", bytes.len()))
}

pub(super) fn text(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("text that is not UTF-8 ({e})"))
}

fn json(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice::<Value>(bytes).map_err(|e| format!("JSON the server sent: {e}"))
}

/// PostgreSQL's epoch, 2000-01-01.
fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .expect("a date")
        .and_hms_opt(0, 0, 0)
        .expect("a time")
}

fn date(days: i32) -> Value {
    match days {
        i32::MAX => Value::from("infinity"),
        i32::MIN => Value::from("-infinity"),
        days => epoch()
            .date()
            .checked_add_signed(Duration::days(days.into()))
            .map_or_else(
                || Value::from(format!("{days} days from 2000-01-01")),
                Value::Date,
            ),
    }
}

fn timestamp(micros: i64, tz: Option<&str>) -> Value {
    match micros {
        i64::MAX => Value::from("infinity"),
        i64::MIN => Value::from("-infinity"),
        micros => match epoch().checked_add_signed(Duration::microseconds(micros)) {
            Some(datetime) => Value::Timestamp(Timestamp {
                datetime,
                tz: tz.map(Into::into),
            }),
            None => Value::from(format!("{micros} µs from 2000-01-01")),
        },
    }
}

fn time_of_day(micros: i64) -> Result<String, String> {
    // 24:00:00 is a valid PostgreSQL time.
    if micros == 86_400_000_000 {
        return Ok("24:00:00".to_owned());
    }
    let seconds = u32::try_from(micros.div_euclid(1_000_000)).map_err(|_| "a time out of range")?;
    let nanos = u32::try_from(micros.rem_euclid(1_000_000) * 1000).expect("below 10^9");
    let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos)
        .ok_or_else(|| format!("{micros} µs is not a time of day"))?;
    Ok(time.format("%H:%M:%S%.f").to_string())
}

fn offset(east: i32) -> String {
    let sign = if east < 0 { '-' } else { '+' };
    let east = east.unsigned_abs();
    let (hours, minutes, seconds) = (east / 3600, east / 60 % 60, east % 60);
    if seconds == 0 {
        format!("{sign}{hours:02}:{minutes:02}")
    } else {
        format!("{sign}{hours:02}:{minutes:02}:{seconds:02}")
    }
}

/// An interval in ISO 8601, as PostgreSQL's `intervalstyle = iso_8601` prints it.
pub(crate) fn interval(months: i32, days: i32, micros: i64) -> String {
    let mut out = String::from("P");
    let (years, months) = (months / 12, months % 12);
    for (amount, unit) in [
        (i64::from(years), 'Y'),
        (i64::from(months), 'M'),
        (i64::from(days), 'D'),
    ] {
        if amount != 0 {
            out.push_str(&format!("{amount}{unit}"));
        }
    }
    if micros != 0 {
        out.push('T');
        let hours = micros / 3_600_000_000;
        let minutes = micros / 60_000_000 % 60;
        let micros_left = micros % 60_000_000;
        if hours != 0 {
            out.push_str(&format!("{hours}H"));
        }
        if minutes != 0 {
            out.push_str(&format!("{minutes}M"));
        }
        if micros_left != 0 {
            let sign = if micros_left < 0 { "-" } else { "" };
            let abs = micros_left.unsigned_abs();
            let (whole, fraction) = (abs / 1_000_000, abs % 1_000_000);
            if fraction == 0 {
                out.push_str(&format!("{sign}{whole}S"));
            } else {
                let fraction = format!("{fraction:06}");
                out.push_str(&format!(
                    "{sign}{whole}.{}S",
                    fraction.trim_end_matches('0')
                ));
            }
        }
    }
    if out == "P" {
        out.push_str("T0S");
    }
    out
}

fn uuid(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `numeric`: base-10000 digits with a weight and a display scale; exact as a decimal
/// when it fits 38 digits, else its text.
fn numeric(bytes: &[u8]) -> Result<Value, String> {
    if bytes.len() < 8 {
        return Err("a numeric shorter than its header".to_owned());
    }
    let word = |i: usize| u16::from_be_bytes([bytes[2 * i], bytes[2 * i + 1]]);
    let count = usize::from(word(0));
    let weight = i32::from(word(1) as i16);
    let sign = word(2);
    let scale = word(3);
    if bytes.len() != 8 + 2 * count {
        return Err(format!(
            "a numeric of {count} digits in {} bytes",
            bytes.len()
        ));
    }
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Ok(Value::Float(f64::NAN)),
        0xD000 => return Ok(Value::Float(f64::INFINITY)),
        0xF000 => return Ok(Value::Float(f64::NEG_INFINITY)),
        other => return Err(format!("a numeric with the sign word {other:#x}")),
    }
    let digits: Vec<u16> = (0..count).map(|i| word(4 + i)).collect();
    if digits.iter().any(|d| *d > 9999) {
        return Err("a numeric digit above 9999".to_owned());
    }
    let negative = sign == 0x4000;
    if let Some(decimal) = numeric_decimal(&digits, weight, scale, negative) {
        return Ok(Value::Decimal(decimal));
    }
    Ok(Value::from(numeric_text(&digits, weight, scale, negative)))
}

fn numeric_decimal(digits: &[u16], weight: i32, scale: u16, negative: bool) -> Option<Decimal> {
    if scale > 38 {
        return None;
    }
    let mut unscaled: i128 = 0;
    for d in digits {
        unscaled = unscaled.checked_mul(10_000)?.checked_add(i128::from(*d))?;
    }
    // The digits read as an integer are worth 10^(4 * (weight + 1 - count)).
    let exponent = 4 * (weight + 1 - digits.len() as i32) + i32::from(scale);
    if exponent >= 0 {
        unscaled = unscaled.checked_mul(10i128.checked_pow(exponent as u32)?)?;
    } else {
        let divisor = 10i128.checked_pow(exponent.unsigned_abs())?;
        unscaled /= divisor;
    }
    if unscaled.unsigned_abs() >= 10u128.pow(38) {
        return None;
    }
    Some(Decimal {
        unscaled: if negative { -unscaled } else { unscaled },
        scale: scale as i8,
    })
}

fn numeric_text(digits: &[u16], weight: i32, scale: u16, negative: bool) -> String {
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        for i in 0..=weight {
            let d = digits.get(i as usize).copied().unwrap_or(0);
            if i == 0 {
                out.push_str(&d.to_string());
            } else {
                out.push_str(&format!("{d:04}"));
            }
        }
    }
    if scale > 0 {
        out.push('.');
        let mut fraction = String::new();
        let mut i = weight + 1;
        while fraction.len() < usize::from(scale) {
            let d = if i < 0 {
                0
            } else {
                digits.get(i as usize).copied().unwrap_or(0)
            };
            fraction.push_str(&format!("{d:04}"));
            i += 1;
        }
        fraction.truncate(usize::from(scale));
        out.push_str(&fraction);
    }
    out
}

/// An array: dimensions, then the elements in row-major order; one dimension is a
/// list, more are lists of lists.
fn array(element: &Decoder, bytes: &[u8]) -> Result<Value, String> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8], String> {
        let part = bytes
            .get(at..at + n)
            .ok_or_else(|| "an array cut short".to_owned())?;
        at += n;
        Ok(part)
    };
    let read_i32 = |part: &[u8]| i32::from_be_bytes(part.try_into().expect("4 bytes"));
    let dimensions = read_i32(take(4)?);
    let _has_nulls = take(4)?;
    let _element_type = take(4)?;
    if !(0..=6).contains(&dimensions) {
        return Err(format!("an array of {dimensions} dimensions"));
    }
    let mut sizes = Vec::with_capacity(dimensions as usize);
    for _ in 0..dimensions {
        let size = read_i32(take(4)?);
        let _lower_bound = take(4)?;
        sizes.push(usize::try_from(size).map_err(|_| "an array of negative size")?);
    }
    let total: usize = sizes.iter().product();
    let mut elements = Vec::with_capacity(total.min(bytes.len()));
    for _ in 0..if dimensions == 0 { 0 } else { total } {
        let length = read_i32(take(4)?);
        if length < 0 {
            elements.push(Value::Null);
        } else {
            elements.push(element.decode(take(length as usize)?)?);
        }
    }
    Ok(nest(elements, &sizes))
}

fn nest(elements: Vec<Value>, sizes: &[usize]) -> Value {
    match sizes {
        [] | [_] => Value::List(elements),
        [_, inner @ ..] => {
            let chunk: usize = inner.iter().product();
            let mut rest = elements.into_iter();
            let lists = (0..sizes[0])
                .map(|_| nest(rest.by_ref().take(chunk).collect(), inner))
                .collect();
            Value::List(lists)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_bytes(weight: i16, sign: u16, scale: u16, digits: &[u16]) -> Vec<u8> {
        let mut out = Vec::new();
        for word in [digits.len() as u16, weight as u16, sign, scale] {
            out.extend_from_slice(&word.to_be_bytes());
        }
        for d in digits {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out
    }

    #[test]
    fn numerics_are_exact_decimals() {
        // 12345.678 = [1, 2345, 6780], weight 1, scale 3
        let value = numeric(&numeric_bytes(1, 0, 3, &[1, 2345, 6780])).unwrap();
        assert_eq!(value.to_string(), "12345.678");
        // -0.0001 = [1], weight -1, scale 4
        let value = numeric(&numeric_bytes(-1, 0x4000, 4, &[1])).unwrap();
        assert_eq!(value.to_string(), "-0.0001");
        // 1e20 = [1], weight 5, scale 0
        let value = numeric(&numeric_bytes(5, 0, 0, &[1])).unwrap();
        assert_eq!(value.to_string(), "100000000000000000000");
        // 50 digits: text, still exact
        let digits = [1234u16; 13];
        let value = numeric(&numeric_bytes(12, 0, 0, &digits)).unwrap();
        assert_eq!(value.to_string(), "1234".repeat(13));
        let value = numeric(&numeric_bytes(0, 0xC000, 0, &[])).unwrap();
        assert!(matches!(value, Value::Float(x) if x.is_nan()));
    }

    #[test]
    fn intervals_print_as_iso_8601() {
        assert_eq!(
            interval(14, 3, 4 * 3_600_000_000 + 5 * 60_000_000 + 6_500_000),
            "P1Y2M3DT4H5M6.5S"
        );
        assert_eq!(interval(0, 0, 0), "PT0S");
        assert_eq!(interval(-1, -2, -3_000_000), "P-1M-2DT-3S");
    }

    #[test]
    fn times_zones_and_uuids() {
        assert_eq!(time_of_day(37_800_000_000).unwrap(), "10:30:00");
        assert_eq!(time_of_day(37_800_000_001).unwrap(), "10:30:00.000001");
        assert_eq!(offset(7200), "+02:00");
        assert_eq!(offset(-19_800), "-05:30");
        assert_eq!(uuid(&[0xab; 16]), "abababab-abab-abab-abab-abababababab");
    }
}
