//! What the DBF writer makes of a column: the values it has seen (their kinds and
//! widths) decide its field type and width, and each value's bytes in a record.

use iterable_core::Value;

/// A cell as the writer spools it: text already in the table's encoding.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A decimal's exact text (`-12.50`).
    Decimal(String),
    Date(chrono::NaiveDate),
    Timestamp(chrono::NaiveDateTime),
    /// Text, or a list or map as its JSON text, encoded.
    Text(Vec<u8>),
}

/// The widest a `C` (character) field can be.
pub(super) const MAX_CHAR: usize = 254;
/// The widest a `N` (numeric) field can be.
const MAX_NUMERIC: usize = 20;

/// What a column has held so far.
#[derive(Debug, Default, Clone)]
pub(super) struct ColumnStats {
    pub(super) name: String,
    bools: bool,
    numbers: bool,
    floats: bool,
    dates: bool,
    timestamps: bool,
    texts: bool,
    /// Digits (and sign) before the point of the widest number.
    integer_width: usize,
    /// Digits after the point of the most precise number.
    decimals: usize,
    /// The widest value as text (what a `C` field would need).
    text_width: usize,
}

/// A DBF field: its type and width (and decimals for numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldKind {
    Character(usize),
    Numeric { width: usize, decimals: usize },
    Logical,
    Date,
    DateTime,
}

impl FieldKind {
    /// The type letter of the field descriptor.
    pub(super) fn letter(self) -> u8 {
        match self {
            Self::Character(_) => b'C',
            Self::Numeric { .. } => b'N',
            Self::Logical => b'L',
            Self::Date => b'D',
            Self::DateTime => b'T',
        }
    }

    /// The field's length in a record.
    pub(super) fn width(self) -> usize {
        match self {
            Self::Character(w) => w,
            Self::Numeric { width, .. } => width,
            Self::Logical => 1,
            Self::Date | Self::DateTime => 8,
        }
    }

    /// The decimal count of the field descriptor.
    pub(super) fn decimals(self) -> usize {
        match self {
            Self::Numeric { decimals, .. } => decimals,
            _ => 0,
        }
    }
}

/// The cell of `value` in `encoding`, or why DBF cannot hold it.
pub(super) fn cell(
    value: &Value,
    encoding: &'static encoding_rs::Encoding,
) -> Result<Cell, String> {
    let text = |s: &str| -> Result<Cell, String> {
        let (bytes, _, unmappable) = encoding.encode(s);
        if unmappable {
            return Err(format!(
                "{s:?} has characters that {} cannot hold",
                encoding.name()
            ));
        }
        if bytes.len() > MAX_CHAR {
            return Err(format!(
                "text of {} bytes is longer than a DBF character field ({MAX_CHAR} bytes)",
                bytes.len()
            ));
        }
        Ok(Cell::Text(bytes.into_owned()))
    };
    Ok(match value {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Int(i) => Cell::Int(*i),
        Value::Float(f) if f.is_finite() => Cell::Float(*f),
        Value::Float(f) => return Err(format!("{f} has no DBF number")),
        Value::Decimal(d) => Cell::Decimal(d.to_string()),
        Value::Date(d) => Cell::Date(*d),
        // The instant in UTC (a zone is not kept: DBF date-times have none).
        Value::Timestamp(t) => Cell::Timestamp(t.datetime),
        Value::String(s) => text(s.as_str())?,
        Value::List(_) | Value::Map(_) => text(&serde_json::Value::from(value).to_string())?,
        Value::Bytes(_) => return Err("DBF has no field type for bytes".to_owned()),
    })
}

/// A float's shortest text that reads back as the same float, without an exponent
/// when it fits a numeric field.
fn float_text(f: f64) -> String {
    let plain = f.to_string();
    if plain.len() <= MAX_NUMERIC {
        plain
    } else {
        format!("{f:e}")
    }
}

/// A number's text split at the point: (digits and sign before it, digits after it).
fn number_widths(text: &str) -> (usize, usize) {
    match text.split_once('.') {
        Some((whole, fraction)) => (whole.len(), fraction.len()),
        None => (text.len(), 0),
    }
}

impl ColumnStats {
    pub(super) fn new(name: String) -> Self {
        Self {
            name,
            ..Self::default()
        }
    }

    /// Counts `cell` in.
    pub(super) fn add(&mut self, cell: &Cell) {
        let text_width = match cell {
            Cell::Null => 0,
            Cell::Bool(_) => {
                self.bools = true;
                5
            }
            Cell::Int(i) => self.number(&i.to_string(), false),
            Cell::Float(f) => self.number(&float_text(*f), true),
            Cell::Decimal(d) => self.number(d, false),
            Cell::Date(_) => {
                self.dates = true;
                10
            }
            Cell::Timestamp(t) => {
                self.timestamps = true;
                timestamp_text(t).len()
            }
            Cell::Text(bytes) => {
                self.texts = true;
                bytes.len()
            }
        };
        self.text_width = self.text_width.max(text_width);
    }

    fn number(&mut self, text: &str, float: bool) -> usize {
        self.numbers = true;
        self.floats |= float;
        if text.contains(['e', 'E']) {
            // No fixed-point text: the column is written as text.
            self.texts = true;
        } else {
            let (whole, fraction) = number_widths(text);
            self.integer_width = self.integer_width.max(whole);
            self.decimals = self.decimals.max(fraction);
        }
        text.len()
    }

    /// The field this column is written as: one type when its values share one
    /// (dates and date-times together are date-times), numbers as `N` while they fit
    /// its 20 characters (floats with at least one decimal, so they read back as
    /// floats), anything else as `C` holding each value's text.
    pub(super) fn kind(&self) -> FieldKind {
        let kinds = [
            self.bools,
            self.numbers,
            self.dates || self.timestamps,
            self.texts,
        ];
        let character = FieldKind::Character(self.text_width.clamp(1, MAX_CHAR));
        if kinds.iter().filter(|k| **k).count() != 1 {
            return if kinds.iter().any(|k| *k) {
                character
            } else {
                FieldKind::Character(1)
            };
        }
        if self.bools {
            FieldKind::Logical
        } else if self.timestamps {
            FieldKind::DateTime
        } else if self.dates {
            FieldKind::Date
        } else if self.numbers {
            let decimals = if self.floats {
                self.decimals.max(1)
            } else {
                self.decimals
            };
            let width = self.integer_width + if decimals > 0 { decimals + 1 } else { 0 };
            if width <= MAX_NUMERIC {
                FieldKind::Numeric { width, decimals }
            } else {
                character
            }
        } else {
            character
        }
    }
}

fn timestamp_text(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
}

/// The days from the start of the Julian period to 1970-01-01.
const JULIAN_DAY_OF_EPOCH: i64 = 2_440_588;

/// Appends `cell`'s bytes for a field of `kind` (which `cell` was counted into).
pub(super) fn put(kind: FieldKind, cell: &Cell, out: &mut Vec<u8>) {
    let start = out.len();
    let width = kind.width();
    match (kind, cell) {
        (FieldKind::Logical, Cell::Bool(b)) => out.push(if *b { b'T' } else { b'F' }),
        (FieldKind::Logical, _) => out.push(b'?'),
        (FieldKind::Date, Cell::Date(d)) => out.extend(d.format("%Y%m%d").to_string().bytes()),
        (FieldKind::DateTime, Cell::Date(d)) => date_time(&d.and_time(Default::default()), out),
        (FieldKind::DateTime, Cell::Timestamp(t)) => date_time(t, out),
        (FieldKind::DateTime, _) => out.extend([0; 8]),
        (FieldKind::Numeric { decimals, .. }, cell) => {
            let text = match cell {
                Cell::Int(i) if decimals == 0 => i.to_string(),
                Cell::Int(i) => format!("{i}.{:0<decimals$}", ""),
                Cell::Float(f) => format!("{f:.decimals$}"),
                Cell::Decimal(d) => {
                    let (whole, fraction) = d.split_once('.').unwrap_or((d, ""));
                    if decimals == 0 {
                        whole.to_owned()
                    } else {
                        format!("{whole}.{fraction:0<decimals$}")
                    }
                }
                _ => String::new(),
            };
            out.extend(std::iter::repeat_n(b' ', width - text.len()));
            out.extend(text.bytes());
        }
        (FieldKind::Character(_), cell) => match cell {
            Cell::Null => {}
            Cell::Bool(b) => out.extend(b.to_string().bytes()),
            Cell::Int(i) => out.extend(i.to_string().bytes()),
            Cell::Float(f) => out.extend(float_text(*f).bytes()),
            Cell::Decimal(d) => out.extend(d.bytes()),
            Cell::Date(d) => out.extend(d.to_string().bytes()),
            Cell::Timestamp(t) => out.extend(timestamp_text(t).bytes()),
            Cell::Text(bytes) => out.extend(bytes),
        },
        (FieldKind::Date, _) => {}
    }
    // Pad to the field's width (text and empty fields are blank-padded).
    let written = out.len() - start;
    out.extend(std::iter::repeat_n(b' ', width.saturating_sub(written)));
}

/// A `T` field: the Julian day number and the milliseconds since midnight, both
/// 32-bit little-endian.
fn date_time(t: &chrono::NaiveDateTime, out: &mut Vec<u8>) {
    use chrono::Timelike;
    let days = t
        .date()
        .signed_duration_since(chrono::NaiveDate::default())
        .num_days();
    let day = (days + JULIAN_DAY_OF_EPOCH) as i32;
    let millis = (t.num_seconds_from_midnight() * 1000 + t.nanosecond() / 1_000_000) as i32;
    out.extend(day.to_le_bytes());
    out.extend(millis.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(values: &[Value]) -> FieldKind {
        let mut stats = ColumnStats::new("c".into());
        for v in values {
            stats.add(&cell(v, encoding_rs::UTF_8).unwrap());
        }
        stats.kind()
    }

    #[test]
    fn a_column_is_the_type_its_values_share() {
        assert_eq!(
            kind_of(&[Value::Int(12), Value::Int(-345)]),
            FieldKind::Numeric {
                width: 4,
                decimals: 0
            }
        );
        assert_eq!(
            kind_of(&[Value::Int(12), Value::Float(0.25)]),
            FieldKind::Numeric {
                width: 5,
                decimals: 2
            }
        );
        assert_eq!(
            kind_of(&[Value::Float(1.0)]),
            FieldKind::Numeric {
                width: 3,
                decimals: 1
            }
        );
        assert_eq!(
            kind_of(&[Value::Bool(true), Value::Null]),
            FieldKind::Logical
        );
        assert_eq!(kind_of(&[Value::Null]), FieldKind::Character(1));
        assert_eq!(
            kind_of(&[Value::Int(1), Value::from("abc")]),
            FieldKind::Character(3)
        );
        // Too wide for a numeric field: its text.
        assert_eq!(kind_of(&[Value::Float(1e300)]), FieldKind::Character(5));
    }

    #[test]
    fn numbers_are_right_aligned_at_the_fields_decimals() {
        let kind = FieldKind::Numeric {
            width: 7,
            decimals: 2,
        };
        let mut out = Vec::new();
        for c in [
            Cell::Int(3),
            Cell::Float(-0.5),
            Cell::Decimal("12.3".into()),
            Cell::Null,
        ] {
            put(kind, &c, &mut out);
        }
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "   3.00  -0.50  12.30       "
        );
    }

    #[test]
    fn what_dbf_cannot_hold_is_refused() {
        assert!(cell(&Value::Float(f64::NAN), encoding_rs::UTF_8).is_err());
        assert!(cell(&Value::Bytes(vec![1]), encoding_rs::UTF_8).is_err());
        let long = Value::from("x".repeat(255));
        assert!(
            cell(&long, encoding_rs::UTF_8)
                .unwrap_err()
                .contains("254 bytes")
        );
        let err = cell(&Value::from("東京"), encoding_rs::WINDOWS_1251).unwrap_err();
        assert!(err.contains("windows-1251 cannot hold"), "{err}");
    }
}
