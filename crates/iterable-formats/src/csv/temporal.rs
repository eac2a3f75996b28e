//! Dates and times in text, as a typed column takes them: ISO 8601 / RFC 3339 dates
//! (`2021-03-04`) and date-times with a `T` or a space (`2021-03-04T05:06:07`,
//! `2021-03-04 05:06:07.250`), with or without a zone (`Z`, `+02:00`, `+0200`, `+02`).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use iterable_core::{Timestamp, Value};

/// The date or timestamp `text` is, exactly as a whole: a [`Value::Date`], a
/// [`Value::Timestamp`] without a zone, or one in UTC (`tz` `"UTC"`) for a text with a
/// zone (the instant kept, the offset applied); `None` for anything else.
///
/// ```
/// use iterable_core::Value;
/// use iterable_formats::csv::infer_temporal;
///
/// assert!(matches!(infer_temporal("2021-03-04"), Some(Value::Date(_))));
/// let Some(Value::Timestamp(t)) = infer_temporal("2021-03-04T05:06:07+02:00") else { panic!() };
/// assert_eq!(t.to_string(), "2021-03-04T03:06:07Z");
/// assert_eq!(infer_temporal("2021-13-04"), None);
/// ```
pub fn infer_temporal(text: &str) -> Option<Value> {
    Some(match parse_temporal(text)? {
        Temporal::Date(date) => Value::Date(date),
        Temporal::Local(datetime) => Value::Timestamp(Timestamp { datetime, tz: None }),
        Temporal::Utc(datetime) => Value::Timestamp(Timestamp {
            datetime,
            tz: Some("UTC".into()),
        }),
    })
}

/// A date or date-time read from text by [`parse_temporal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporal {
    /// A date without a time.
    Date(NaiveDate),
    /// A date-time without a zone (wall-clock time).
    Local(NaiveDateTime),
    /// A date-time that had a zone, as the UTC instant.
    Utc(NaiveDateTime),
}

/// What [`infer_temporal`] reads, without making a [`Value`] (no allocation).
pub fn parse_temporal(text: &str) -> Option<Temporal> {
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        digits(&b[0..4])? as i32,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )?;
    if b.len() == 10 {
        return Some(Temporal::Date(date));
    }
    if !matches!(b[10], b'T' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        let n = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(&b[at + 1..at + 1 + n])? * 10u32.pow(9 - n as u32);
        at += 1 + n;
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let local = NaiveDateTime::new(date, time);
    let zone = &text[at..];
    let offset = match zone.as_bytes() {
        [] => return Some(Temporal::Local(local)),
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                }
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = i64::from(h * 3600 + m * 60);
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    Some(Temporal::Utc(local - TimeDelta::seconds(offset)))
}

/// The number the ASCII digits of `b` spell, when they are all digits.
pub(super) fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

/// A value as a point in time, to compare or order: a date as its midnight, a
/// date-time as it is (a zoned one in UTC), and text as [`parse_temporal`] reads it;
/// `None` for anything else.
///
/// ```
/// use iterable_core::Value;
/// use iterable_formats::csv::instant_of;
///
/// let a = instant_of(&Value::from("2024-01-02")).unwrap();
/// let b = instant_of(&Value::from("2024-01-01T23:00:00Z")).unwrap();
/// assert!(a > b);
/// assert_eq!(instant_of(&Value::Int(3)), None);
/// ```
pub fn instant_of(value: &Value) -> Option<NaiveDateTime> {
    match value {
        Value::Date(d) => Some(d.and_time(NaiveTime::MIN)),
        Value::Timestamp(t) => Some(t.datetime),
        Value::String(s) => match parse_temporal(s)? {
            Temporal::Date(d) => Some(d.and_time(NaiveTime::MIN)),
            Temporal::Local(t) | Temporal::Utc(t) => Some(t),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: Option<Value>) -> Option<String> {
        v.map(|v| v.to_string())
    }

    #[test]
    fn dates_and_times_with_and_without_zones() {
        assert_eq!(
            text(infer_temporal("2021-03-04")).as_deref(),
            Some("2021-03-04")
        );
        assert_eq!(
            text(infer_temporal("2021-03-04 05:06:07")).as_deref(),
            Some("2021-03-04T05:06:07")
        );
        assert_eq!(
            text(infer_temporal("2021-03-04T05:06:07.25Z")).as_deref(),
            Some("2021-03-04T05:06:07.250Z")
        );
        for zoned in [
            "2021-03-04T07:06:07+02:00",
            "2021-03-04T07:06:07+0200",
            "2021-03-04T07:06:07+02",
        ] {
            assert_eq!(
                text(infer_temporal(zoned)).as_deref(),
                Some("2021-03-04T05:06:07Z"),
                "{zoned}"
            );
        }
        assert_eq!(
            text(infer_temporal("2021-03-03T23:36:07-05:30")).as_deref(),
            Some("2021-03-04T05:06:07Z")
        );
    }

    #[test]
    fn anything_else_is_not_a_date() {
        for s in [
            "2021-3-04",
            "2021-02-30",
            "2021-03-04T25:00:00",
            "2021-03-04T05:06",
            "2021-03-04x",
            "2021-03-04T05:06:07+2",
            "2021-03-04T05:06:07 ",
            "2021-03-04T05:06:07.",
            "20210304",
            "2021-03-04T05:06:07.1234567890",
            "2021-03-04T05:06:07+24:00",
            "abcd-ef-gh",
        ] {
            assert_eq!(infer_temporal(s), None, "{s}");
        }
    }
}
