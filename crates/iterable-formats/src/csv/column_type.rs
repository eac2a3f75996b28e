//! One type a column for text on its way into a typed format: what the text of a
//! column's fields says it is ([`ColumnType::of_text`], merged over the first rows), and
//! each field read as that type ([`ColumnType::read`]). The row road (text typed in
//! `convert`) and the columnar road (CSV straight into Arrow arrays) both go through it,
//! so both give the same values.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::infer::{Scalar, infer_scalar};
use super::temporal::{Temporal, parse_temporal};
use iterable_core::Value;

/// What a column's text becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// No text seen but empty fields (or no text at all): left as it is.
    Unknown,
    /// Every non-empty field is an integer; empty fields are nulls.
    Int,
    /// Every non-empty field is a number; empty fields are nulls.
    Float,
    /// Asked for ([`of_text_exact`](Self::of_text_exact), or a schema's decimal column):
    /// every non-empty field is a plain number (no exponent) of at most this many digits
    /// after the point and 38 in all, kept exact; empty fields are nulls.
    Decimal(u8),
    /// Every non-empty field is `true` or `false` (any case); empty fields are nulls.
    Bool,
    /// Every non-empty field is a date (`2021-03-04`).
    Date,
    /// Every non-empty field is a date-time without a zone (or a date: its midnight).
    Timestamp,
    /// Every non-empty field is a date-time with a zone: the instant, in UTC.
    TimestampUtc,
    /// Left as text.
    Text,
}

/// One field read as its column's type (see [`ColumnType::read`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Typed {
    /// An empty field.
    Null,
    /// An integer.
    Int(i64),
    /// A number.
    Float(f64),
    /// An exact decimal: its digits at the column's scale.
    Decimal(i128),
    /// A boolean.
    Bool(bool),
    /// A date.
    Date(NaiveDate),
    /// A date-time: wall-clock time, or the UTC instant for a zoned column.
    DateTime(NaiveDateTime),
}

impl ColumnType {
    /// The type of a column holding `self` and then `b`.
    ///
    /// ```
    /// use iterable_formats::csv::ColumnType;
    ///
    /// assert_eq!(ColumnType::Int.merge(ColumnType::Float), ColumnType::Float);
    /// assert_eq!(ColumnType::Unknown.merge(ColumnType::Date), ColumnType::Date);
    /// assert_eq!(ColumnType::Int.merge(ColumnType::Bool), ColumnType::Text);
    /// ```
    pub fn merge(self, b: ColumnType) -> ColumnType {
        use ColumnType::*;
        match (self, b) {
            (Unknown, other) | (other, Unknown) => other,
            (a, b) if a == b => a,
            (Int, Float) | (Float, Int) | (Decimal(_), Float) | (Float, Decimal(_)) => Float,
            (Decimal(a), Decimal(b)) => Decimal(a.max(b)),
            (Int, Decimal(s)) | (Decimal(s), Int) => Decimal(s),
            (Date, Timestamp) | (Timestamp, Date) => Timestamp,
            _ => Text,
        }
    }

    /// The type one field's text asks for (`Unknown` for an empty field).
    ///
    /// ```
    /// use iterable_formats::csv::ColumnType;
    ///
    /// assert_eq!(ColumnType::of_text("42"), ColumnType::Int);
    /// assert_eq!(ColumnType::of_text("2021-03-04T05:06:07Z"), ColumnType::TimestampUtc);
    /// assert_eq!(ColumnType::of_text("01234"), ColumnType::Text);
    /// assert_eq!(ColumnType::of_text(""), ColumnType::Unknown);
    /// ```
    pub fn of_text(text: &str) -> ColumnType {
        if text.is_empty() {
            return ColumnType::Unknown;
        }
        match infer_scalar(text) {
            Some(Scalar::Int(_)) => ColumnType::Int,
            Some(Scalar::Float(_)) => ColumnType::Float,
            Some(Scalar::Bool(_)) => ColumnType::Bool,
            None => match parse_temporal(text) {
                Some(Temporal::Date(_)) => ColumnType::Date,
                Some(Temporal::Local(_)) => ColumnType::Timestamp,
                Some(Temporal::Utc(_)) => ColumnType::TimestampUtc,
                None => ColumnType::Text,
            },
        }
    }

    /// The type one field's text asks for when decimals are asked for: as
    /// [`of_text`](Self::of_text), but a plain number with a fraction (no exponent, at
    /// most 38 digits) is a [`Decimal`](Self::Decimal) of its digits after the point.
    ///
    /// ```
    /// use iterable_formats::csv::ColumnType;
    ///
    /// assert_eq!(ColumnType::of_text_exact("12.50"), ColumnType::Decimal(2));
    /// assert_eq!(ColumnType::of_text_exact("42"), ColumnType::Int);
    /// assert_eq!(ColumnType::of_text_exact("1.5e3"), ColumnType::Float);
    /// assert_eq!(ColumnType::of_text_exact("12.5").merge(ColumnType::of_text_exact("3.125")), ColumnType::Decimal(3));
    /// ```
    pub fn of_text_exact(text: &str) -> ColumnType {
        match ColumnType::of_text(text) {
            ColumnType::Float => match decimal_digits(text) {
                Some((_, scale)) => ColumnType::Decimal(scale),
                None => ColumnType::Float,
            },
            other => other,
        }
    }

    /// The type one JSON string asks for: a date or date-time as [`of_text`](Self::of_text)
    /// finds them, `Unknown` when empty, else `Text` (a number or a boolean written as a
    /// string stays a string).
    ///
    /// ```
    /// use iterable_formats::csv::ColumnType;
    ///
    /// assert_eq!(ColumnType::of_json_text("2021-03-04"), ColumnType::Date);
    /// assert_eq!(ColumnType::of_json_text("42"), ColumnType::Text);
    /// assert_eq!(ColumnType::of_json_text(""), ColumnType::Unknown);
    /// ```
    pub fn of_json_text(text: &str) -> ColumnType {
        match ColumnType::of_text(text) {
            t @ (ColumnType::Unknown
            | ColumnType::Date
            | ColumnType::Timestamp
            | ColumnType::TimestampUtc) => t,
            _ => ColumnType::Text,
        }
    }

    /// Whether the column's text is typed at all (not `Unknown` or `Text`).
    pub fn is_typed(self) -> bool {
        !matches!(self, ColumnType::Unknown | ColumnType::Text)
    }

    /// The type in words, for errors: "an integer", "a date", ...
    pub fn describe(self) -> String {
        match self {
            ColumnType::Int => "an integer",
            ColumnType::Float => "a number",
            ColumnType::Decimal(1) => "a decimal of at most 1 place and 38 digits",
            ColumnType::Decimal(scale) => {
                return format!("a decimal of at most {scale} places and 38 digits");
            }
            ColumnType::Bool => "a boolean",
            ColumnType::Date => "a date",
            ColumnType::Timestamp => "a date-time without a zone",
            ColumnType::TimestampUtc => "a date-time with a zone",
            ColumnType::Unknown | ColumnType::Text => "text",
        }
        .to_owned()
    }

    /// `text` read as this type: `None` when it does not fit. An empty field is
    /// [`Typed::Null`] in every typed column; a date in a `Timestamp` column is its
    /// midnight. Call it for typed columns only ([`is_typed`](Self::is_typed)): text
    /// never fits `Unknown` or `Text`.
    ///
    /// ```
    /// use iterable_formats::csv::{ColumnType, Typed};
    ///
    /// assert_eq!(ColumnType::Float.read("2"), Some(Typed::Float(2.0)));
    /// assert_eq!(ColumnType::Int.read(""), Some(Typed::Null));
    /// assert_eq!(ColumnType::Int.read("n/a"), None);
    /// ```
    pub fn read(self, text: &str) -> Option<Typed> {
        if text.is_empty() {
            return self.is_typed().then_some(Typed::Null);
        }
        match self {
            ColumnType::Unknown | ColumnType::Text => None,
            ColumnType::Date | ColumnType::Timestamp | ColumnType::TimestampUtc => {
                match (self, parse_temporal(text)?) {
                    (ColumnType::Date, Temporal::Date(d)) => Some(Typed::Date(d)),
                    (ColumnType::Timestamp, Temporal::Date(d)) => {
                        Some(Typed::DateTime(d.and_time(NaiveTime::MIN)))
                    }
                    (ColumnType::Timestamp, Temporal::Local(t))
                    | (ColumnType::TimestampUtc, Temporal::Utc(t)) => Some(Typed::DateTime(t)),
                    _ => None,
                }
            }
            ColumnType::Decimal(scale) => {
                let (unscaled, places) = decimal_digits(text)?;
                let unscaled = unscaled
                    .checked_mul(10i128.checked_pow(u32::from(scale.checked_sub(places)?))?)?;
                (unscaled.unsigned_abs() < 10u128.pow(MAX_DECIMAL_DIGITS))
                    .then_some(Typed::Decimal(unscaled))
            }
            ColumnType::Int | ColumnType::Float | ColumnType::Bool => {
                match (self, infer_scalar(text)?) {
                    (ColumnType::Int, Scalar::Int(i)) => Some(Typed::Int(i)),
                    (ColumnType::Float, Scalar::Int(i)) => Some(Typed::Float(i as f64)),
                    (ColumnType::Float, Scalar::Float(f)) => Some(Typed::Float(f)),
                    (ColumnType::Bool, Scalar::Bool(b)) => Some(Typed::Bool(b)),
                    _ => None,
                }
            }
        }
    }
}

impl Typed {
    /// As a [`Value`] (a zoned column's instants carry the zone `"UTC"`).
    pub fn into_value(self, kind: ColumnType) -> Value {
        match self {
            Typed::Null => Value::Null,
            Typed::Int(i) => Value::Int(i),
            Typed::Float(f) => Value::Float(f),
            Typed::Decimal(unscaled) => Value::Decimal(iterable_core::Decimal {
                unscaled,
                scale: match kind {
                    ColumnType::Decimal(scale) => scale as i8,
                    _ => 0,
                },
            }),
            Typed::Bool(b) => Value::Bool(b),
            Typed::Date(d) => Value::Date(d),
            Typed::DateTime(datetime) => Value::Timestamp(iterable_core::Timestamp {
                datetime,
                tz: (kind == ColumnType::TimestampUtc).then(|| "UTC".into()),
            }),
        }
    }
}

/// The most digits a decimal column holds (Arrow's Decimal128, Parquet's 16 bytes).
pub(crate) const MAX_DECIMAL_DIGITS: u32 = 38;

/// A plain decimal number's digits and how many of them follow the point: an optional
/// sign, digits with at most one `.`, no exponent, no leading zero before other digits
/// (`007` and `00.5` are text, as [`of_text`](ColumnType::of_text) has them), at most
/// [`MAX_DECIMAL_DIGITS`] digits (leading zeros of the fraction not counted).
fn decimal_digits(text: &str) -> Option<(i128, u8)> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    if (whole.is_empty() && fraction.is_empty()) || (whole.len() > 1 && whole.starts_with('0')) {
        return None;
    }
    let mut unscaled: i128 = 0;
    let mut digits = 0u32;
    for b in whole.bytes().chain(fraction.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        if unscaled != 0 || b != b'0' {
            digits += 1;
        }
        if digits > MAX_DECIMAL_DIGITS {
            return None;
        }
        unscaled = unscaled * 10 + i128::from(b - b'0');
    }
    let places = u8::try_from(fraction.len())
        .ok()
        .filter(|&p| u32::from(p) <= MAX_DECIMAL_DIGITS)?;
    Some((if negative { -unscaled } else { unscaled }, places))
}

/// What decided a column's type, for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecidedBy {
    /// The text of the first rows (this many).
    FirstRows(usize),
    /// A schema given by the user.
    Schema,
}

/// The error for a field whose text does not fit its column's type: it names the
/// row (1-based), the column, the text and what decided the type, and says what to
/// change.
///
/// ```
/// use iterable_formats::csv::{ColumnType, DecidedBy, misfit};
///
/// let e = misfit("out.parquet", 2002, "qty", "n/a", ColumnType::Int, DecidedBy::FirstRows(10000));
/// assert_eq!(
///     e.to_string(),
///     "out.parquet: row 2002: column \"qty\": \"n/a\" is not an integer as the first 10000 rows typed it; raise schema_scan_rows (CLI: --schema-rows N) or give a schema (CLI: --schema FILE)"
/// );
/// ```
pub fn misfit(
    location: &str,
    row: u64,
    column: &str,
    text: &str,
    kind: ColumnType,
    decided_by: DecidedBy,
) -> iterable_core::Error {
    let (by, fix) = match decided_by {
        DecidedBy::FirstRows(n) => (
            format!("the first {n} rows"),
            "raise schema_scan_rows (CLI: --schema-rows N) or give a schema (CLI: --schema FILE)",
        ),
        DecidedBy::Schema => (
            "the schema".to_owned(),
            "change the schema (CLI: --schema FILE)",
        ),
    };
    iterable_core::Error::Write {
        location: location.to_owned(),
        row,
        message: format!(
            "column {column:?}: {text:?} is not {} as {by} typed it; {fix}",
            kind.describe()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_columns_read_exact_digits_at_their_scale() {
        let two = ColumnType::Decimal(2);
        assert_eq!(two.read("12.5"), Some(Typed::Decimal(1250)));
        assert_eq!(two.read("-0.05"), Some(Typed::Decimal(-5)));
        assert_eq!(two.read("42"), Some(Typed::Decimal(4200)));
        assert_eq!(two.read("+.5"), Some(Typed::Decimal(50)));
        assert_eq!(two.read(""), Some(Typed::Null));
        // More places than the column has, an exponent, a leading zero, not a number.
        assert_eq!(two.read("1.234"), None);
        assert_eq!(two.read("1e3"), None);
        assert_eq!(two.read("007"), None);
        assert_eq!(two.read("00.5"), None);
        assert_eq!(two.read("0.5"), Some(Typed::Decimal(50)));
        // An integer past 64 bits is still exact here.
        assert_eq!(
            two.read("12345678901234567890"),
            Some(Typed::Decimal(1234567890123456789000))
        );
        assert_eq!(two.read("n/a"), None);
        // 38 digits in all at most, counted at the column's scale.
        let eight = ColumnType::Decimal(8);
        let widest = format!("{}.{}", "9".repeat(30), "9".repeat(6));
        assert_eq!(
            eight.read(&widest),
            Some(Typed::Decimal(10i128.pow(38) - 100))
        );
        assert_eq!(eight.read(&format!("9{widest}")), None);
        assert_eq!(
            Typed::Decimal(1250).into_value(two).to_string(),
            "12.50",
            "the scale is the column's"
        );
    }

    #[test]
    fn exact_typing_keeps_floats_for_exponents_and_widens_places() {
        assert_eq!(ColumnType::of_text_exact("0.10"), ColumnType::Decimal(2));
        assert_eq!(ColumnType::of_text_exact("-3.5"), ColumnType::Decimal(1));
        assert_eq!(ColumnType::of_text_exact("2.5E-3"), ColumnType::Float);
        assert_eq!(ColumnType::of_text_exact("007"), ColumnType::Text);
        assert_eq!(
            ColumnType::of_text_exact(&format!("0.{}", "1".repeat(39))),
            ColumnType::Float
        );
        let merged = [
            ColumnType::Int,
            ColumnType::Decimal(1),
            ColumnType::Decimal(3),
        ]
        .into_iter()
        .fold(ColumnType::Unknown, ColumnType::merge);
        assert_eq!(merged, ColumnType::Decimal(3));
        assert_eq!(
            ColumnType::Decimal(2).merge(ColumnType::Float),
            ColumnType::Float
        );
        assert_eq!(
            ColumnType::Decimal(2).merge(ColumnType::Bool),
            ColumnType::Text
        );
        assert_eq!(
            ColumnType::Decimal(2).describe(),
            "a decimal of at most 2 places and 38 digits"
        );
    }
}
