//! Text typed by column on its way into a format with typed columns: the strings of
//! CSV or LTSV become integers, floats, booleans, dates, timestamps and nulls for
//! Parquet, Arrow, Avro, ORC or a workbook, one type a column, decided from the first
//! rows or by a schema.

use std::sync::Arc;

use iterable_core::{Error, Header, Result, Row, Value};
use iterable_formats::csv::{infer_temporal, infer_value};

/// How types given by a schema are named in errors.
const BY_SCHEMA: &str = "the schema";

/// What a column's text becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// No text seen but empty fields (or no text at all): left as it is.
    Unknown,
    /// Every non-empty field is an integer; empty fields are nulls.
    Int,
    /// Every non-empty field is a number; empty fields are nulls.
    Float,
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

impl ColumnType {
    /// The type of a column holding `a` and then `b`.
    fn merge(self, b: ColumnType) -> ColumnType {
        use ColumnType::*;
        match (self, b) {
            (Unknown, other) | (other, Unknown) => other,
            (a, b) if a == b => a,
            (Int, Float) | (Float, Int) => Float,
            (Date, Timestamp) | (Timestamp, Date) => Timestamp,
            _ => Text,
        }
    }

    /// The type a single value asks for.
    fn of(value: &Value) -> ColumnType {
        match value {
            Value::Null => ColumnType::Unknown,
            Value::String(text) => match infer_value(text) {
                Value::Null => ColumnType::Unknown,
                Value::Int(_) => ColumnType::Int,
                Value::Float(_) => ColumnType::Float,
                Value::Bool(_) => ColumnType::Bool,
                _ => match infer_temporal(text) {
                    Some(Value::Date(_)) => ColumnType::Date,
                    Some(Value::Timestamp(t)) if t.tz.is_none() => ColumnType::Timestamp,
                    Some(Value::Timestamp(_)) => ColumnType::TimestampUtc,
                    _ => ColumnType::Text,
                },
            },
            // A typed value already: the column is left alone.
            _ => ColumnType::Text,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ColumnType::Int => "an integer",
            ColumnType::Float => "a number",
            ColumnType::Bool => "a boolean",
            ColumnType::Date => "a date",
            ColumnType::Timestamp => "a date-time without a zone",
            ColumnType::TimestampUtc => "a date-time with a zone",
            ColumnType::Unknown | ColumnType::Text => "text",
        }
    }
}

/// The column types, by name, and how they were decided (for errors).
pub(crate) struct TextTypes {
    columns: Vec<(String, ColumnType)>,
    /// "the first 1000 rows" or "the schema".
    decided_by: String,
    output: String,
    /// The last header seen and each of its keys' types, by position.
    cached: Option<(Arc<Header>, Vec<ColumnType>)>,
}

impl TextTypes {
    /// Types decided from `rows` (the first rows of the input).
    pub(crate) fn infer(rows: &[Row], output: &str) -> TextTypes {
        let mut columns: Vec<(String, ColumnType)> = Vec::new();
        for row in rows {
            for (name, value) in row.iter() {
                let kind = ColumnType::of(value);
                match columns.iter_mut().find(|(n, _)| n == name) {
                    Some((_, known)) => *known = known.merge(kind),
                    None => columns.push((name.to_owned(), kind)),
                }
            }
        }
        TextTypes {
            columns,
            decided_by: format!("the first {} rows", rows.len()),
            output: iterable_db::mask_password(output),
            cached: None,
        }
    }

    /// Types given by a schema: integer, float and boolean columns parse their text;
    /// the others are left as they are.
    pub(crate) fn from_schema(columns: Vec<(String, ColumnType)>, output: &str) -> TextTypes {
        TextTypes {
            columns,
            decided_by: BY_SCHEMA.to_owned(),
            output: iterable_db::mask_password(output),
            cached: None,
        }
    }

    /// Whether any column changes at all.
    pub(crate) fn changes_anything(&self) -> bool {
        self.columns
            .iter()
            .any(|(_, t)| !matches!(t, ColumnType::Unknown | ColumnType::Text))
    }

    /// Types the text of `rows` in place; `first_row` is the 1-based number of the
    /// first of them in the output (for errors).
    pub(crate) fn apply(&mut self, rows: &mut [Row], first_row: u64) -> Result<()> {
        for (i, row) in rows.iter_mut().enumerate() {
            let types = self.types_of(row.header());
            let values = row.values_mut();
            for (value, &kind) in values.iter_mut().zip(types.iter()) {
                if let Some(typed) = typed(value, kind) {
                    *value = typed.map_err(|text| Error::Write {
                        location: self.output.clone(),
                        row: first_row + i as u64,
                        message: format!(
                            "{text:?} is not {} as {} typed its column; {}",
                            kind.name(),
                            self.decided_by,
                            if self.decided_by == BY_SCHEMA {
                                "change the schema (CLI: --schema FILE)"
                            } else {
                                "raise schema_scan_rows (CLI: --schema-rows N) or give a schema (CLI: --schema FILE)"
                            }
                        ),
                    })?;
                }
            }
        }
        Ok(())
    }

    /// The type of each key of `header`, by position (cached for the rows that share it).
    fn types_of(&mut self, header: &Arc<Header>) -> Vec<ColumnType> {
        if let Some((known, types)) = &self.cached {
            if Arc::ptr_eq(known, header) {
                return types.clone();
            }
        }
        let types: Vec<ColumnType> = header
            .names()
            .iter()
            .map(|key| {
                self.columns
                    .iter()
                    .find(|(n, _)| n == key)
                    .map_or(ColumnType::Unknown, |(_, t)| *t)
            })
            .collect();
        self.cached = Some((header.clone(), types.clone()));
        types
    }
}

/// `value` as `kind` wants it: `None` when it stays as it is, `Err(text)` when its text
/// does not fit.
fn typed(value: &Value, kind: ColumnType) -> Option<std::result::Result<Value, String>> {
    let Value::String(text) = value else {
        return None;
    };
    if matches!(kind, ColumnType::Unknown | ColumnType::Text) {
        return None;
    }
    if text.is_empty() {
        return Some(Ok(Value::Null));
    }
    if matches!(
        kind,
        ColumnType::Date | ColumnType::Timestamp | ColumnType::TimestampUtc
    ) {
        return Some(match (kind, infer_temporal(text)) {
            (ColumnType::Date, Some(v @ Value::Date(_))) => Ok(v),
            (ColumnType::Timestamp, Some(Value::Date(d))) => {
                Ok(Value::Timestamp(iterable_core::Timestamp {
                    datetime: d.and_time(chrono::NaiveTime::MIN),
                    tz: None,
                }))
            }
            (ColumnType::Timestamp, Some(Value::Timestamp(t))) if t.tz.is_none() => {
                Ok(Value::Timestamp(t))
            }
            (ColumnType::TimestampUtc, Some(Value::Timestamp(t))) if t.tz.is_some() => {
                Ok(Value::Timestamp(t))
            }
            _ => Err(text.to_string()),
        });
    }
    let inferred = infer_value(text);
    Some(match (kind, inferred) {
        (_, Value::Null) => Ok(Value::Null),
        (ColumnType::Int, v @ Value::Int(_)) => Ok(v),
        (ColumnType::Float, Value::Int(i)) => Ok(Value::Float(i as f64)),
        (ColumnType::Float, v @ Value::Float(_)) => Ok(v),
        (ColumnType::Bool, v @ Value::Bool(_)) => Ok(v),
        _ => Err(text.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use iterable_core::row;

    #[test]
    fn columns_take_one_type_from_their_text() {
        let mut rows = vec![
            row! { "id" => "1", "score" => "2", "ok" => "true", "zip" => "01234", "note" => "" },
            row! { "id" => "2", "score" => "2.5", "ok" => "FALSE", "zip" => "99999", "note" => "" },
            row! { "id" => "", "score" => "", "ok" => "", "zip" => "", "note" => "" },
        ];
        let mut types = TextTypes::infer(&rows, "out.parquet");
        assert!(types.changes_anything());
        types.apply(&mut rows, 1).unwrap();
        assert_eq!(
            rows[1],
            row! { "id" => 2, "score" => 2.5, "ok" => false, "zip" => "99999", "note" => "" }
        );
        assert_eq!(rows[0].get("score"), Some(&Value::Float(2.0)));
        assert_eq!(
            rows[2],
            row! { "id" => Value::Null, "score" => Value::Null, "ok" => Value::Null, "zip" => "", "note" => "" }
        );
    }

    #[test]
    fn text_that_does_not_fit_its_column_is_an_error_naming_the_row() {
        let first = vec![row! { "id" => "1" }, row! { "id" => "2" }];
        let mut types = TextTypes::infer(&first, "out.parquet");
        let mut later = vec![row! { "id" => "3" }, row! { "id" => "n/a" }];
        let err = types.apply(&mut later, 2001).unwrap_err().to_string();
        assert_eq!(
            err,
            "out.parquet: row 2002: \"n/a\" is not an integer as the first 2 rows typed its column; raise schema_scan_rows (CLI: --schema-rows N) or give a schema (CLI: --schema FILE)"
        );
    }

    #[test]
    fn dates_and_date_times_are_typed_and_a_zone_makes_them_utc() {
        let mut rows = vec![
            row! { "day" => "2021-03-04", "at" => "2021-03-04 05:06:07", "utc" => "2021-03-04T07:06:07+02:00", "mixed" => "2021-03-04" },
            row! { "day" => "", "at" => "2021-03-05", "utc" => "2021-03-04T05:06:07Z", "mixed" => "2021-03-04T05:06:07Z" },
        ];
        let mut types = TextTypes::infer(&rows, "out.parquet");
        types.apply(&mut rows, 1).unwrap();
        let text = |r: &Row, k: &str| r[k].to_string();
        assert!(matches!(rows[0]["day"], Value::Date(_)));
        assert_eq!(rows[1]["day"], Value::Null);
        assert_eq!(text(&rows[0], "at"), "2021-03-04T05:06:07");
        assert_eq!(text(&rows[1], "at"), "2021-03-05T00:00:00");
        assert_eq!(text(&rows[0], "utc"), "2021-03-04T05:06:07Z");
        assert_eq!(text(&rows[1], "utc"), "2021-03-04T05:06:07Z");
        // A date and a zoned date-time: left as text.
        assert_eq!(rows[1]["mixed"], Value::from("2021-03-04T05:06:07Z"));

        let mut later =
            vec![row! { "day" => "2021-02-30", "at" => "", "utc" => "", "mixed" => "" }];
        let err = types.apply(&mut later, 3).unwrap_err().to_string();
        assert!(err.contains("row 3: \"2021-02-30\" is not a date"), "{err}");
    }

    #[test]
    fn typed_values_and_text_columns_are_left_alone() {
        let rows = vec![row! { "n" => 1, "t" => "x" }];
        assert!(!TextTypes::infer(&rows, "o").changes_anything());
    }
}
