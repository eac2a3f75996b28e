//! Avro's logical types as [`Value`]s: dates, times, timestamps and decimals. A value
//! outside what the target type holds (a date past year 262,143, say) stays the raw
//! number, never a wrong date.

use chrono::{DateTime, NaiveDate, NaiveTime};
use iterable_core::{Decimal, Timestamp, Value};

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
pub(super) const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// The widest unscaled decimal read, in bytes (2,466 digits); wider ones are refused
/// rather than converted in quadratic time.
pub(super) const MAX_DECIMAL_BYTES: usize = 1024;

/// `date`: days since 1970-01-01.
pub(super) fn date(days: i32) -> Value {
    days.checked_add(EPOCH_DAYS_FROM_CE)
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .map_or(Value::Int(days as i64), Value::Date)
}

/// `time-millis` and `time-micros`: the time of day as text with `digits` (3 or 6)
/// fractional digits.
pub(super) fn time_of_day(raw: i64, nanos_per_unit: i64, digits: usize) -> Value {
    let Some(nanos) = raw.checked_mul(nanos_per_unit) else {
        return Value::Int(raw);
    };
    let secs = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000) as u32;
    match u32::try_from(secs)
        .ok()
        .and_then(|s| NaiveTime::from_num_seconds_from_midnight_opt(s, sub))
    {
        Some(t) if digits == 3 => Value::String(t.format("%H:%M:%S%.3f").to_string().into()),
        Some(t) => Value::String(t.format("%H:%M:%S%.6f").to_string().into()),
        None => Value::Int(raw),
    }
}

/// The unit of a timestamp.
#[derive(Clone, Copy)]
pub(super) enum Unit {
    Millis,
    Micros,
    Nanos,
}

/// `timestamp-*` (`utc`) and `local-timestamp-*`: a count of `unit`s since the epoch.
pub(super) fn timestamp(raw: i64, unit: Unit, utc: bool) -> Value {
    let t = match unit {
        Unit::Millis => DateTime::from_timestamp_millis(raw),
        Unit::Micros => DateTime::from_timestamp_micros(raw),
        Unit::Nanos => Some(DateTime::from_timestamp_nanos(raw)),
    };
    t.map_or(Value::Int(raw), |t| {
        Value::Timestamp(Timestamp {
            datetime: t.naive_utc(),
            tz: utc.then(|| "UTC".into()),
        })
    })
}

/// A decimal of big-endian two's complement digits `unscaled` and `scale` digits after
/// the point: a [`Value::Decimal`] when it fits (38 digits, a scale of -128 to 127),
/// otherwise its exact text. `Err` for more than [`MAX_DECIMAL_BYTES`].
pub(super) fn decimal(unscaled: &[u8], scale: i64) -> Result<Value, String> {
    if unscaled.len() > MAX_DECIMAL_BYTES {
        return Err(format!(
            "a decimal of {} bytes (at most {MAX_DECIMAL_BYTES} are read)",
            unscaled.len()
        ));
    }
    if let (Some(unscaled), Ok(scale)) = (be_i128(unscaled), i8::try_from(scale)) {
        return Ok(Value::Decimal(Decimal { unscaled, scale }));
    }
    Ok(Value::String(decimal_text(unscaled, scale).into()))
}

/// A big-endian two's complement integer of at most 16 bytes.
pub(super) fn be_i128(bytes: &[u8]) -> Option<i128> {
    if bytes.len() > 16 {
        return None;
    }
    let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        0xff
    } else {
        0
    };
    let mut full = [fill; 16];
    full[16 - bytes.len()..].copy_from_slice(bytes);
    Some(i128::from_be_bytes(full))
}

/// The exact text of a decimal too wide for [`Decimal`]: positional up to 1,000 digits
/// of scale either way, `digitsE-scale` past that.
fn decimal_text(unscaled: &[u8], scale: i64) -> String {
    let negative = unscaled.first().is_some_and(|b| b & 0x80 != 0);
    let mut magnitude = unscaled.to_vec();
    if negative {
        // Two's complement: invert and add one.
        let mut carry = true;
        for byte in magnitude.iter_mut().rev() {
            *byte = !*byte;
            if carry {
                let (sum, overflow) = byte.overflowing_add(1);
                *byte = sum;
                carry = overflow;
            }
        }
    }
    let mut digits = Vec::new();
    while magnitude.iter().any(|&b| b != 0) {
        let mut rest = 0u32;
        for byte in magnitude.iter_mut() {
            let current = (rest << 8) | u32::from(*byte);
            *byte = (current / 10) as u8;
            rest = current % 10;
        }
        digits.push(b'0' + rest as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    let digits = String::from_utf8(digits).expect("ASCII digits");
    let sign = if negative { "-" } else { "" };
    match scale {
        0 => format!("{sign}{digits}"),
        1..=1000 => {
            let scale = scale as usize;
            let padded = if digits.len() <= scale {
                format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
            } else {
                digits
            };
            let (int, frac) = padded.split_at(padded.len() - scale);
            format!("{sign}{int}.{frac}")
        }
        -1000..=-1 => format!(
            "{sign}{digits}{}",
            "0".repeat(scale.unsigned_abs() as usize)
        ),
        _ => format!("{sign}{digits}E{}", -(scale as i128)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: Value) -> String {
        match v {
            Value::String(s) => s.to_string(),
            other => panic!("not text: {other:?}"),
        }
    }

    #[test]
    fn narrow_decimals_are_decimals() {
        assert_eq!(
            decimal(&[0x30, 0x39], 2).unwrap(),
            Value::Decimal(Decimal {
                unscaled: 12345,
                scale: 2
            })
        );
        assert_eq!(
            decimal(&[0xff, 0x85], 1).unwrap(),
            Value::Decimal(Decimal {
                unscaled: -123,
                scale: 1
            })
        );
    }

    #[test]
    fn wide_decimals_keep_every_digit_as_text() {
        // 2^128 = 340282366920938463463374607431768211456, 17 bytes.
        let mut two_128 = vec![0x01];
        two_128.extend([0u8; 16]);
        assert_eq!(
            text(decimal(&two_128, 3).unwrap()),
            "340282366920938463463374607431768211.456"
        );
        assert_eq!(
            text(decimal(&two_128, 40).unwrap()),
            "0.0340282366920938463463374607431768211456"
        );
        // -2^128 in two's complement, 17 bytes.
        let mut minus = vec![0xff];
        minus.extend([0u8; 16]);
        assert_eq!(
            text(decimal(&minus, 0).unwrap()),
            "-340282366920938463463374607431768211456"
        );
        // A scale past i8 with a narrow value, both ways.
        assert_eq!(
            text(decimal(&[0x07], 200).unwrap()),
            format!("0.{}7", "0".repeat(199))
        );
        assert_eq!(
            text(decimal(&[0x07], -200).unwrap()),
            format!("7{}", "0".repeat(200))
        );
        assert_eq!(
            text(decimal(&[0x07], i64::MIN).unwrap()),
            "7E9223372036854775808"
        );
        assert!(decimal(&[1u8; 2000], 0).unwrap_err().contains("2000 bytes"));
    }

    #[test]
    fn times_and_dates_out_of_range_stay_numbers() {
        assert_eq!(date(i32::MAX), Value::Int(i32::MAX as i64));
        assert_eq!(time_of_day(i64::MAX, 1000, 6), Value::Int(i64::MAX));
        assert_eq!(
            time_of_day(86_400_000, 1_000_000, 3),
            Value::Int(86_400_000)
        );
        assert_eq!(text(time_of_day(3_723_004, 1_000_000, 3)), "01:02:03.004");
        assert_eq!(
            timestamp(i64::MAX, Unit::Millis, true),
            Value::Int(i64::MAX)
        );
    }
}
