//! `stats`: a summary of each column in one pass and bounded memory: its type (as
//! `convert` would type it), counts, distinct values, range, mean, spread, quantiles
//! and most frequent values.

mod sketches;

use anyhow::Result;
use chrono::NaiveDateTime;
use iterable::{Row, Value, row};
use iterable_formats::csv::{ColumnType, instant_of};

use super::by_column::ByColumn;
use super::cat::{Output, fold_rows};
use crate::args::ReadArgs;
use sketches::{Distinct, NumberSample, TopValues};

/// Counters a column keeps for its most frequent values.
const TOP_COUNTERS: usize = 64;
/// Most frequent values shown.
const TOP_SHOWN: usize = 3;

/// What one column's values were.
struct ColumnStats {
    name: String,
    kind: ColumnType,
    /// Values that are not null and not empty text.
    count: u64,
    /// Nulls and empty text.
    nulls: u64,
    distinct: Distinct,
    top: TopValues,
    sample: NumberSample,
    /// Welford's running mean and sum of squared deviations, over the numbers.
    numbers: u64,
    mean: f64,
    m2: f64,
    min_number: Option<(f64, Value)>,
    max_number: Option<(f64, Value)>,
    min_time: Option<(NaiveDateTime, Value)>,
    max_time: Option<(NaiveDateTime, Value)>,
    min_text: Option<String>,
    max_text: Option<String>,
}

/// The type a value asks for: its own, or for text what its text is.
fn kind_of(value: &Value) -> ColumnType {
    match value {
        Value::Null => ColumnType::Unknown,
        Value::String(s) => ColumnType::of_text(s),
        Value::Int(_) => ColumnType::Int,
        Value::Float(_) | Value::Decimal(_) => ColumnType::Float,
        Value::Bool(_) => ColumnType::Bool,
        Value::Date(_) => ColumnType::Date,
        Value::Timestamp(t) if t.tz.is_some() => ColumnType::TimestampUtc,
        Value::Timestamp(_) => ColumnType::Timestamp,
        _ => ColumnType::Text,
    }
}

fn type_name(kind: ColumnType) -> &'static str {
    match kind {
        ColumnType::Unknown => "null",
        ColumnType::Int => "integer",
        ColumnType::Float => "float",
        ColumnType::Decimal(_) => "decimal",
        ColumnType::Bool => "boolean",
        ColumnType::Date => "date",
        ColumnType::Timestamp => "datetime",
        ColumnType::TimestampUtc => "datetime (UTC)",
        ColumnType::Text => "text",
    }
}

/// A value as a number: numbers, and text that is one.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) if f.is_finite() => Some(*f),
        Value::Decimal(d) => Some(d.unscaled as f64 / 10f64.powi(i32::from(d.scale))),
        Value::String(s) => match iterable_formats::csv::infer_value(s) {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) if f.is_finite() => Some(f),
            _ => None,
        },
        _ => None,
    }
}

impl ColumnStats {
    fn new(name: &str) -> Self {
        ColumnStats {
            name: name.to_owned(),
            kind: ColumnType::Unknown,
            count: 0,
            nulls: 0,
            distinct: Distinct::default(),
            top: TopValues::new(TOP_COUNTERS),
            sample: NumberSample::default(),
            numbers: 0,
            mean: 0.0,
            m2: 0.0,
            min_number: None,
            max_number: None,
            min_time: None,
            max_time: None,
            min_text: None,
            max_text: None,
        }
    }

    fn add(&mut self, value: &Value) {
        let text = match value {
            Value::Null => String::new(),
            other => other.to_string(),
        };
        if text.is_empty() {
            self.nulls += 1;
            return;
        }
        self.count += 1;
        self.kind = self.kind.merge(kind_of(value));
        self.distinct.add(&text);
        self.top.add(&text);
        if let Some(x) = number(value) {
            self.numbers += 1;
            let delta = x - self.mean;
            self.mean += delta / self.numbers as f64;
            self.m2 += delta * (x - self.mean);
            self.sample.add(x);
            if self.min_number.as_ref().is_none_or(|(m, _)| x < *m) {
                self.min_number = Some((x, value.clone()));
            }
            if self.max_number.as_ref().is_none_or(|(m, _)| x > *m) {
                self.max_number = Some((x, value.clone()));
            }
        }
        if let Some(t) = instant_of(value) {
            if self.min_time.as_ref().is_none_or(|(m, _)| t < *m) {
                self.min_time = Some((t, value.clone()));
            }
            if self.max_time.as_ref().is_none_or(|(m, _)| t > *m) {
                self.max_time = Some((t, value.clone()));
            }
        }
        if self.min_text.as_ref().is_none_or(|m| text < *m) {
            self.min_text = Some(text.clone());
        }
        if self.max_text.as_ref().is_none_or(|m| text > *m) {
            self.max_text = Some(text);
        }
    }

    /// The summary row.
    fn into_row(mut self) -> Row {
        let numeric = matches!(self.kind, ColumnType::Int | ColumnType::Float);
        let temporal = matches!(
            self.kind,
            ColumnType::Date | ColumnType::Timestamp | ColumnType::TimestampUtc
        );
        let (min, max) = if numeric {
            (
                self.min_number.take().map(|m| m.1),
                self.max_number.take().map(|m| m.1),
            )
        } else if temporal {
            (
                self.min_time.take().map(|m| m.1),
                self.max_time.take().map(|m| m.1),
            )
        } else {
            (
                self.min_text.take().map(Value::from),
                self.max_text.take().map(Value::from),
            )
        };
        let float = |x: Option<f64>| x.filter(|_| numeric).map_or(Value::Null, Value::Float);
        let quantiles = self.sample.quantiles(&[0.25, 0.5, 0.75]);
        let stddev = (self.numbers > 1).then(|| (self.m2 / (self.numbers - 1) as f64).sqrt());
        let (distinct, estimated) = self.distinct.count();
        let top = self
            .top
            .top(TOP_SHOWN)
            .iter()
            .map(|(v, n)| format!("{v} ({n})"))
            .collect::<Vec<_>>()
            .join(", ");
        row! {
            "column" => self.name,
            "type" => type_name(self.kind),
            "count" => self.count as i64,
            "nulls" => self.nulls as i64,
            "distinct" => distinct as i64,
            "distinct_estimated" => estimated,
            "min" => min.unwrap_or(Value::Null),
            "max" => max.unwrap_or(Value::Null),
            "mean" => float((self.numbers > 0).then_some(self.mean)),
            "stddev" => float(stddev),
            "p25" => float(quantiles[0]),
            "median" => float(quantiles[1]),
            "p75" => float(quantiles[2]),
            "top" => top,
        }
    }
}

/// The summaries of every column, in first-seen order.
#[derive(Default)]
pub(crate) struct Stats {
    columns: ByColumn<ColumnStats>,
}

impl Stats {
    pub(crate) fn add(&mut self, row: &Row) {
        self.columns.add(row, ColumnStats::new, ColumnStats::add);
    }

    /// One summary row a column. A column some rows lack counts those rows as nulls.
    pub(crate) fn rows(self, rows_read: u64) -> Vec<Row> {
        self.columns
            .into_columns()
            .into_iter()
            .map(|(_, mut c)| {
                c.nulls = rows_read - c.count;
                c.into_row()
            })
            .collect()
    }
}

/// Writes a summary row for each column of `locations` (`--columns` picks some).
pub async fn run(locations: &[String], read: &ReadArgs, out: Output) -> Result<()> {
    let add = |(stats, rows): &mut (Stats, u64), row: Row| {
        stats.add(&row);
        *rows += 1;
    };
    let summaries = |(stats, rows): (Stats, u64)| stats.rows(rows);
    fold_rows(locations, read, out, (Stats::default(), 0), add, summaries).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_column_is_typed_counted_and_summed_up() {
        let mut stats = Stats::default();
        let rows = [
            row! { "id" => "1", "city" => "Berlin", "at" => "2024-01-02" },
            row! { "id" => "2", "city" => "", "at" => "2024-01-01" },
            row! { "id" => "3", "city" => "Berlin", "at" => "" },
            row! { "id" => "10", "city" => "Paris" },
        ];
        for r in &rows {
            stats.add(r);
        }
        let out = stats.rows(4);
        let id = &out[0];
        assert_eq!(id["type"], Value::from("integer"));
        assert_eq!(
            (id["count"].clone(), id["nulls"].clone()),
            (Value::Int(4), Value::Int(0))
        );
        assert_eq!(
            (id["min"].to_string(), id["max"].to_string()),
            ("1".into(), "10".into())
        );
        assert_eq!(id["mean"], Value::Float(4.0));
        assert_eq!(id["median"], Value::Float(2.5));
        let city = &out[1];
        assert_eq!(city["type"], Value::from("text"));
        assert_eq!(city["nulls"], Value::Int(1));
        assert_eq!(city["distinct"], Value::Int(2));
        assert_eq!(city["top"], Value::from("Berlin (2), Paris (1)"));
        assert_eq!(city["mean"], Value::Null);
        let at = &out[2];
        assert_eq!(at["type"], Value::from("date"));
        assert_eq!(
            at["nulls"],
            Value::Int(2),
            "an empty field and a missing one"
        );
        assert_eq!(at["min"], Value::from("2024-01-01"));
    }
}
