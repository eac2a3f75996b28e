//! `frequency`: how often each value occurs, per column, most frequent first.

use std::collections::HashMap;

use anyhow::Result;
use iterable::{Row, Value, row};

use super::by_column::ByColumn;
use super::cat::{Output, fold_rows};
use crate::args::ReadArgs;

/// A value's type and text: what tells two values apart.
type ValueKey = (&'static str, String);

/// One column's counts: by the value's type and text, with the first value seen.
#[derive(Default)]
struct Counts {
    by_value: HashMap<ValueKey, (Value, u64)>,
}

/// The counts of every column, in the order the columns were first seen.
#[derive(Default)]
pub(crate) struct Frequencies {
    columns: ByColumn<Counts>,
    rows: u64,
}

impl Frequencies {
    /// Counts the values of `row`.
    pub(crate) fn add(&mut self, row: &Row) {
        self.rows += 1;
        self.columns.add(
            row,
            |_| Counts::default(),
            |counts, value| {
                let key = (value.type_name(), value.to_string());
                counts
                    .by_value
                    .entry(key)
                    .or_insert_with(|| (value.clone(), 0))
                    .1 += 1;
            },
        );
    }

    /// One row a value: `column`, `value`, `count` and `percent` of the rows read,
    /// the most frequent first (ties by the value's text), at most `limit` a column
    /// (0: all).
    pub(crate) fn rows(self, limit: usize) -> Vec<Row> {
        let total = self.rows.max(1) as f64;
        let mut out = Vec::new();
        for (name, counts) in self.columns.into_columns() {
            let mut values: Vec<(ValueKey, (Value, u64))> = counts.by_value.into_iter().collect();
            values.sort_by(|a, b| b.1.1.cmp(&a.1.1).then_with(|| a.0.1.cmp(&b.0.1)));
            let shown = if limit == 0 { values.len() } else { limit };
            for (_, (value, count)) in values.into_iter().take(shown) {
                let percent = (count as f64 * 10_000.0 / total).round() / 100.0;
                out.push(row! {
                    "column" => name.clone(),
                    "value" => value,
                    "count" => count as i64,
                    "percent" => percent,
                });
            }
        }
        out
    }
}

/// Writes the frequency table of `locations`' columns (`--columns` reads only some),
/// at most `limit` values a column.
pub async fn run(locations: &[String], read: &ReadArgs, out: Output, limit: usize) -> Result<()> {
    let add = |f: &mut Frequencies, row: Row| f.add(&row);
    let rows = |f: Frequencies| f.rows(limit);
    fold_rows(locations, read, out, Frequencies::default(), add, rows).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_counted_per_column_most_frequent_first() {
        let mut f = Frequencies::default();
        for (city, n) in [("Berlin", 1), ("Paris", 2), ("Berlin", 2), ("Rome", 2)] {
            f.add(&row! { "city" => city, "n" => n });
        }
        f.add(&row! { "n" => Value::Null, "city" => "Berlin" });
        let rows = f.rows(2);
        let text: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {}",
                    r["column"], r["value"], r["count"], r["percent"]
                )
            })
            .collect();
        assert_eq!(
            text,
            [
                "city Berlin 3 60",
                "city Paris 1 20",
                "n 2 3 60",
                // A tie: by the value's text, and a null's is empty.
                "n  1 20"
            ]
        );
    }

    #[test]
    fn a_number_and_its_text_are_two_values() {
        let mut f = Frequencies::default();
        f.add(&row! { "v" => 1 });
        f.add(&row! { "v" => "1" });
        assert_eq!(f.rows(0).len(), 2);
    }
}
