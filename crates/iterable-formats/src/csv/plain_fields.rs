//! The commonest shapes of typed fields, read in one pass: plain integers, plain
//! decimal numbers of at most 15 digits, and `YYYY-MM-DDTHH:MM:SS` date-times (with `Z`
//! in a zoned column). The columnar road
//! tries these first and hands any other text to [`ColumnType::read`], which decides
//! what the text is; for the shapes read here the two give the same number (tested
//! against each other below).
//!
//! [`ColumnType::read`]: super::ColumnType::read

use super::temporal::digits;

/// `text` as an integer when it is an optional sign and 1 to 18 digits, without a
/// leading zero (`0` itself excepted): the shape [`ColumnType::Int`] reads that cannot
/// overflow. `None` for anything else, which may still be an integer (19 digits).
///
/// [`ColumnType::Int`]: super::ColumnType::Int
pub(crate) fn plain_int(text: &str) -> Option<i64> {
    let (negative, body) = sign(text.as_bytes())?;
    if body.is_empty() || body.len() > 18 || (body.len() > 1 && body[0] == b'0') {
        return None;
    }
    let mut value: i64 = 0;
    for &b in body {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + i64::from(digit);
    }
    Some(if negative { -value } else { value })
}

/// Powers of ten a double holds exactly.
const EXACT_POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The decimal number whose `digits` digits (all of them, both sides of the point) read
/// as the integer `mantissa`, `places` of them after the point, negated when `negative`:
/// the nearest double to it when `digits` is at most 15. The digits are then an integer
/// below 2^53 and the divisor a power of ten below 10^16, both exact in a double, so one
/// correctly rounded division gives what parsing the text gives. `None` for more digits.
pub(crate) fn exact_decimal(
    mantissa: u64,
    digits: usize,
    places: usize,
    negative: bool,
) -> Option<f64> {
    if digits > 15 {
        return None;
    }
    let value = mantissa as f64 / EXACT_POWERS_OF_TEN[places];
    Some(if negative { -value } else { value })
}

/// `text` as a float when it is an optional sign, an integer part without a leading
/// zero (`0` itself excepted) and an optional `.` with digits, 15 digits in all, read by
/// [`exact_decimal`] as [`ColumnType::Float`] reads it. `None` for anything else
/// (exponents, longer numbers, `.5`, `5.`), which may still be a float.
///
/// [`ColumnType::Float`]: super::ColumnType::Float
pub(crate) fn plain_float(text: &str) -> Option<f64> {
    let (negative, body) = sign(text.as_bytes())?;
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut places = None;
    for (i, &b) in body.iter().enumerate() {
        if b == b'.' {
            if places.is_some() || i == 0 {
                return None;
            }
            places = Some(0usize);
            continue;
        }
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        if count == 1 && mantissa == 0 && places.is_none() {
            return None; // a leading zero: `007` is text
        }
        mantissa = mantissa * 10 + u64::from(digit);
        count += 1;
        if let Some(p) = places.as_mut() {
            *p += 1;
        }
    }
    if count == 0 || count > 15 || body.last() == Some(&b'.') {
        return None;
    }
    let Some(places) = places else {
        // An integer, read as one and then made a float: `-0` is 0.0.
        let integer = mantissa as i64;
        return Some((if negative { -integer } else { integer }) as f64);
    };
    exact_decimal(mantissa, count, places, negative)
}

/// `text` as microseconds since 1970-01-01T00:00:00 when it is exactly
/// `YYYY-MM-DDTHH:MM:SS` (or a space for the `T`), followed by `Z` when `zoned` and by
/// nothing otherwise, and a real date and time. `None` for anything else (fractions,
/// other zones, dates alone), which the full reader takes.
pub(crate) fn plain_datetime_micros(text: &str, zoned: bool) -> Option<i64> {
    let b = text.as_bytes();
    let expected = if zoned { 20 } else { 19 };
    if b.len() != expected
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b' ')
        || b[13] != b':'
        || b[16] != b':'
        || (zoned && b[19] != b'Z')
    {
        return None;
    }
    let year = i64::from(digits(&b[0..4])?);
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds =
        days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second);
    Some(seconds * 1_000_000)
}

/// Whether `bytes` start with `-`, and what follows an optional sign; `None` when empty.
fn sign(bytes: &[u8]) -> Option<(bool, &[u8])> {
    Some(match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    })
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar: the count of
/// days in whole 400-year eras (146,097 each) from year 0, counting years from March so
/// that the leap day is the last day of a year.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::{ColumnType, Typed};

    /// What the full reader makes of `text` in a column of `kind`, in microseconds.
    fn full_micros(text: &str, kind: ColumnType) -> Option<i64> {
        match kind.read(text)? {
            Typed::DateTime(t) => Some(t.and_utc().timestamp_micros()),
            _ => None,
        }
    }

    #[test]
    fn plain_integers_are_read_as_the_full_reader_reads_them() {
        for text in [
            "0",
            "7",
            "-7",
            "+7",
            "42",
            "123456789012345678",
            "-123456789012345678",
            "999999999999999999",
        ] {
            let Some(Typed::Int(full)) = ColumnType::Int.read(text) else {
                panic!("{text}")
            };
            assert_eq!(plain_int(text), Some(full), "{text}");
        }
        // Other shapes go to the full reader, which may still read them.
        for text in [
            "",
            "-",
            "+",
            "007",
            "-01",
            "1.5",
            "1e3",
            " 1",
            "1 ",
            "١",
            "12a",
            "--1",
            "1234567890123456789",
        ] {
            assert_eq!(plain_int(text), None, "{text}");
        }
    }

    #[test]
    fn plain_floats_are_read_as_the_full_reader_reads_them() {
        let full = |text: &str| match ColumnType::Float.read(text) {
            Some(Typed::Float(f)) => Some(f),
            _ => None,
        };
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "-0.00",
            "7",
            "+7.5",
            "6124.85",
            "-9441.86",
            "0.1",
            "0.3",
            "123456789012345",
            "1234567.89012345",
            "0.000000000000001",
            "999999999999999",
            "-99999999999999.9",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        // Pseudo-random numbers of every length and place count the shortcut takes.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let digits = 1 + (seed % 15) as usize;
            let places = (seed >> 8) as usize % digits;
            let number = (seed >> 16) % 10u64.pow(digits as u32);
            let text = format!("{number:0digits$}");
            let text = text.trim_start_matches('0');
            let text = if text.is_empty() { "0" } else { text };
            let (whole, fraction) = text.split_at(text.len().saturating_sub(places));
            let whole = if whole.is_empty() { "0" } else { whole };
            let sign = if seed & 1 == 0 { "" } else { "-" };
            texts.push(if fraction.is_empty() {
                format!("{sign}{whole}")
            } else {
                format!("{sign}{whole}.{fraction}")
            });
        }
        for text in &texts {
            let fast = plain_float(text);
            if fast.is_some() {
                assert_eq!(
                    fast.map(f64::to_bits),
                    full(text).map(f64::to_bits),
                    "{text}"
                );
            }
        }
        assert!(texts.iter().filter(|t| plain_float(t).is_some()).count() > 190_000);
        // Other shapes go to the full reader.
        for text in [
            "",
            "-",
            ".",
            ".5",
            "5.",
            "007",
            "00.5",
            "1e3",
            "1.5e3",
            "1.2.3",
            " 1",
            "1 ",
            "1234567890123456",
            "0.1234567890123456",
            "nan",
            "inf",
            "--1",
            "1,5",
        ] {
            assert_eq!(plain_float(text), None, "{text}");
        }
    }

    #[test]
    fn every_day_of_four_centuries_is_read_as_the_full_reader_reads_it() {
        let mut date = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let end = chrono::NaiveDate::from_ymd_opt(2300, 3, 1).unwrap();
        let mut second = 0u32;
        while date < end {
            second = (second + 7_919) % 86_400;
            let time = format!(
                "{:02}:{:02}:{:02}",
                second / 3600,
                second / 60 % 60,
                second % 60
            );
            for (text, kind, zoned) in [
                (format!("{date}T{time}Z"), ColumnType::TimestampUtc, true),
                (format!("{date} {time}Z"), ColumnType::TimestampUtc, true),
                (format!("{date}T{time}"), ColumnType::Timestamp, false),
            ] {
                let fast = plain_datetime_micros(&text, zoned);
                assert!(fast.is_some(), "{text}");
                assert_eq!(fast, full_micros(&text, kind), "{text}");
            }
            date = date.succ_opt().unwrap();
        }
        for text in [
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(
                plain_datetime_micros(text, true),
                full_micros(text, ColumnType::TimestampUtc),
                "{text}"
            );
        }
    }

    #[test]
    fn other_shapes_and_impossible_times_are_left_to_the_full_reader() {
        for text in [
            "2023-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-00-01T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-01-00T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:60Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00+02:00",
            "2024-01-01T00:00:00.5Z",
            "2024-01-01X00:00:00Z",
            "2024-01-01",
            "2024-1-01T00:00:00Z",
            "+024-01-01T00:00:00Z",
            "2024-01-01T00:00:0aZ",
        ] {
            assert_eq!(plain_datetime_micros(text, true), None, "{text}");
        }
        assert_eq!(plain_datetime_micros("2024-01-01T00:00:00Z", false), None);
        assert_eq!(
            plain_datetime_micros("2024-02-29T12:00:00", false),
            full_micros("2024-02-29T12:00:00", ColumnType::Timestamp)
        );
    }
}
