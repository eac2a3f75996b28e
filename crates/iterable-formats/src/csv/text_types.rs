//! Text typed by column on its way into a format with typed columns: the strings of
//! CSV or LTSV become integers, floats, booleans, dates, timestamps and nulls for
//! Parquet, Arrow, Avro, ORC or a workbook, one type a column, decided from the first
//! rows or by a schema; the strings of JSON, whose numbers and booleans are typed
//! already, become dates and timestamps. The rules are [`ColumnType`]'s, which the
//! columnar roads share.

use std::sync::Arc;

use iterable_core::{Header, Result, Row, Value};

use super::{ColumnType, DecidedBy, misfit};

/// What strings may become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringTyping {
    /// Anything [`ColumnType::of_text`] finds: the text of CSV, LTSV and the like.
    Any,
    /// As `Any`, with numbers that have a fraction as exact decimals
    /// ([`ColumnType::of_text_exact`]), when asked for.
    AnyExact,
    /// Dates and date-times only ([`ColumnType::of_json_text`]): the strings of JSON,
    /// where `"42"` was written as a string on purpose.
    Temporal,
}

/// The type a single value asks for: its text's, or `Unknown` for a null; a typed
/// value already leaves its column alone.
fn type_of(value: &Value, strings: StringTyping) -> ColumnType {
    match value {
        Value::Null => ColumnType::Unknown,
        Value::String(text) => match strings {
            StringTyping::Any => ColumnType::of_text(text),
            StringTyping::AnyExact => ColumnType::of_text_exact(text),
            StringTyping::Temporal => ColumnType::of_json_text(text),
        },
        _ => ColumnType::Text,
    }
}

/// The column types, by name, and how they were decided (for errors).
///
/// ```
/// use iterable_core::{Value, row};
/// use iterable_formats::csv::{StringTyping, TextTypes};
///
/// let mut rows = vec![row! { "id" => "1", "at" => "2024-05-06T07:08:09Z" }];
/// let mut types = TextTypes::infer(&rows, StringTyping::Any, "out.parquet");
/// types.apply(&mut rows, 1).unwrap();
/// assert_eq!(rows[0]["id"], Value::Int(1));
/// assert_eq!(rows[0]["at"].to_string(), "2024-05-06T07:08:09Z");
/// ```
#[derive(Debug, Clone)]
pub struct TextTypes {
    columns: Vec<(String, ColumnType)>,
    decided_by: DecidedBy,
    output: String,
    /// The last header seen and each of its keys' types, by position.
    cached: Option<(Arc<Header>, Vec<ColumnType>)>,
}

impl TextTypes {
    /// Types decided from `rows` (the first rows of the input); errors name `output`.
    pub fn infer(rows: &[Row], strings: StringTyping, output: &str) -> TextTypes {
        let mut columns: Vec<(String, ColumnType)> = Vec::new();
        for row in rows {
            for (name, value) in row.iter() {
                let kind = type_of(value, strings);
                match columns.iter_mut().find(|(n, _)| n == name) {
                    Some((_, known)) => *known = known.merge(kind),
                    None => columns.push((name.to_owned(), kind)),
                }
            }
        }
        TextTypes {
            columns,
            decided_by: DecidedBy::FirstRows(rows.len()),
            output: output.to_owned(),
            cached: None,
        }
    }

    /// Types given by a schema: its typed columns read their text; the others are
    /// left as they are.
    pub fn from_schema(columns: Vec<(String, ColumnType)>, output: &str) -> TextTypes {
        TextTypes {
            columns,
            decided_by: DecidedBy::Schema,
            output: output.to_owned(),
            cached: None,
        }
    }

    /// Whether any column changes at all.
    pub fn changes_anything(&self) -> bool {
        self.columns.iter().any(|(_, t)| t.is_typed())
    }

    /// Types the text of `rows` in place; `first_row` is the 1-based number of the
    /// first of them in the output (for errors).
    pub fn apply(&mut self, rows: &mut [Row], first_row: u64) -> Result<()> {
        for (i, row) in rows.iter_mut().enumerate() {
            let types = self.types_of(row.header());
            let values = row.values_mut();
            for (column, (value, &kind)) in values.iter_mut().zip(types.iter()).enumerate() {
                let Value::String(text) = value else {
                    continue;
                };
                if !kind.is_typed() {
                    continue;
                }
                match kind.read(text) {
                    Some(typed) => *value = typed.into_value(kind),
                    None => {
                        // `types_of` cached this row's header.
                        let name = self
                            .cached
                            .as_ref()
                            .and_then(|(header, _)| header.names().get(column))
                            .map_or("", String::as_str);
                        let row = first_row + i as u64;
                        return Err(misfit(&self.output, row, name, text, kind, self.decided_by));
                    }
                }
            }
        }
        Ok(())
    }

    /// The type of the column `name` (`Unknown` when no row had it).
    pub fn type_of(&self, name: &str) -> ColumnType {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map_or(ColumnType::Unknown, |(_, t)| *t)
    }

    /// What decided the types (for errors).
    pub fn decided_by(&self) -> DecidedBy {
        self.decided_by
    }

    /// The location errors name.
    pub fn output(&self) -> &str {
        &self.output
    }

    /// The type of each key of `header`, by position (cached for the rows that share it).
    fn types_of(&mut self, header: &Arc<Header>) -> Vec<ColumnType> {
        if let Some((known, types)) = &self.cached
            && Arc::ptr_eq(known, header)
        {
            return types.clone();
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
        let mut types = TextTypes::infer(&rows, StringTyping::Any, "out.parquet");
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
        let mut types = TextTypes::infer(&first, StringTyping::Any, "out.parquet");
        let mut later = vec![row! { "id" => "3" }, row! { "id" => "n/a" }];
        let err = types.apply(&mut later, 2001).unwrap_err().to_string();
        assert_eq!(
            err,
            "out.parquet: row 2002: column \"id\": \"n/a\" is not an integer as the first 2 rows typed it; raise schema_scan_rows (CLI: --schema-rows N) or give a schema (CLI: --schema FILE)"
        );
    }

    #[test]
    fn dates_and_date_times_are_typed_and_a_zone_makes_them_utc() {
        let mut rows = vec![
            row! { "day" => "2021-03-04", "at" => "2021-03-04 05:06:07", "utc" => "2021-03-04T07:06:07+02:00", "mixed" => "2021-03-04" },
            row! { "day" => "", "at" => "2021-03-05", "utc" => "2021-03-04T05:06:07Z", "mixed" => "2021-03-04T05:06:07Z" },
        ];
        let mut types = TextTypes::infer(&rows, StringTyping::Any, "out.parquet");
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
        assert!(
            err.contains("row 3: column \"day\": \"2021-02-30\" is not a date"),
            "{err}"
        );
    }

    #[test]
    fn json_strings_become_dates_and_times_only() {
        let mut rows = vec![
            row! { "zip" => "01234", "n" => "42", "ok" => "true", "at" => "2021-03-04T05:06:07Z", "day" => "2021-03-04", "e" => "" },
            row! { "zip" => "99999", "n" => "7", "ok" => "false", "at" => "", "day" => "2021-03-05", "e" => "" },
        ];
        let mut types = TextTypes::infer(&rows, StringTyping::Temporal, "o");
        types.apply(&mut rows, 1).unwrap();
        assert_eq!(rows[0]["n"], Value::from("42"));
        assert_eq!(rows[0]["ok"], Value::from("true"));
        assert_eq!(rows[0]["zip"], Value::from("01234"));
        assert_eq!(rows[0]["at"].to_string(), "2021-03-04T05:06:07Z");
        assert_eq!(rows[1]["at"], Value::Null);
        assert!(matches!(rows[1]["day"], Value::Date(_)));
        assert_eq!(rows[1]["e"], Value::from(""));
    }

    #[test]
    fn typed_values_and_text_columns_are_left_alone() {
        let rows = vec![row! { "n" => 1, "t" => "x" }];
        assert!(!TextTypes::infer(&rows, StringTyping::Any, "o").changes_anything());
    }
}
