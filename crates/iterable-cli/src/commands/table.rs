//! `table`: rows as aligned columns for a terminal, long values cut to a width.

use std::io::Write;

use anyhow::Result;
use futures::StreamExt;
use iterable::{Row, Value};

use super::cat::open_input;
use crate::args::ReadArgs;

/// How many rows decide the columns and their widths.
const WIDTH_ROWS: usize = 100;

/// The text of a cell on one line: control characters (line ends, tabs) as spaces.
fn cell_text(value: &Value) -> String {
    let text = match value {
        Value::Null => String::new(),
        other => other.to_string(),
    };
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `text` in `width` characters: cut with `…` when longer, padded when shorter
/// (numbers to the right).
fn fit(text: &str, width: usize, right: bool, out: &mut String) {
    let len = text.chars().count();
    if len > width {
        out.extend(text.chars().take(width.saturating_sub(1)));
        out.push('…');
        return;
    }
    let pad = " ".repeat(width - len);
    if right {
        out.push_str(&pad);
        out.push_str(text);
    } else {
        out.push_str(text);
        out.push_str(&pad);
    }
}

/// The table's columns and their widths.
pub(crate) struct Layout {
    columns: Vec<String>,
    widths: Vec<usize>,
}

impl Layout {
    /// Columns in first-seen order over `rows`, each as wide as its longest value (or
    /// name), at most `max_width`.
    pub(crate) fn of(rows: &[Row], max_width: usize) -> Layout {
        let mut columns: Vec<String> = Vec::new();
        for row in rows {
            for key in row.keys() {
                if !columns.iter().any(|c| c == key) {
                    columns.push(key.to_owned());
                }
            }
        }
        let widths = columns
            .iter()
            .map(|name| {
                let longest = rows
                    .iter()
                    .filter_map(|r| r.get(name))
                    .map(|v| cell_text(v).chars().count())
                    .max()
                    .unwrap_or(0);
                longest.max(name.chars().count()).clamp(1, max_width.max(1))
            })
            .collect();
        Layout { columns, widths }
    }

    /// The header and the rule under it.
    pub(crate) fn header(&self) -> String {
        let mut line = String::new();
        for (i, (name, &width)) in self.columns.iter().zip(&self.widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            fit(name, width, false, &mut line);
        }
        line.truncate(line.trim_end().len());
        line.push('\n');
        let rule: Vec<String> = self.widths.iter().map(|&w| "-".repeat(w)).collect();
        line.push_str(&rule.join("  "));
        line.push('\n');
        line
    }

    /// One row as a line; its keys beyond the layout's columns are not shown.
    pub(crate) fn line(&self, row: &Row) -> String {
        let mut line = String::new();
        for (i, (name, &width)) in self.columns.iter().zip(&self.widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let value = row.get(name).unwrap_or(&Value::Null);
            let right = matches!(value, Value::Int(_) | Value::Float(_) | Value::Decimal(_));
            fit(&cell_text(value), width, right, &mut line);
        }
        line.truncate(line.trim_end().len());
        line.push('\n');
        line
    }
}

/// Prints the rows of `locations` (at most `limit`, 0 for all) as a table; the first
/// rows decide the columns and their widths (at most `max_width` characters).
pub async fn run(
    locations: &[String],
    read: &ReadArgs,
    max_width: usize,
    limit: usize,
) -> Result<()> {
    let quiet = super::Status {
        live: false,
        summary: false,
    };
    let mut input = open_input(locations, read, quiet).await?;
    let limit = if limit == 0 { usize::MAX } else { limit };
    let mut first = Vec::new();
    while first.len() < WIDTH_ROWS.min(limit) {
        match input.src.next().await {
            Some(row) => first.push(row?),
            None => break,
        }
    }
    let layout = Layout::of(&first, max_width);
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    stdout.write_all(layout.header().as_bytes())?;
    for row in &first {
        stdout.write_all(layout.line(row).as_bytes())?;
    }
    let mut shown = first.len();
    while shown < limit {
        let Some(row) = input.src.next().await else {
            break;
        };
        stdout.write_all(layout.line(&row?).as_bytes())?;
        shown += 1;
    }
    stdout.flush()?;
    input.finish().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use iterable::row;

    #[test]
    fn columns_align_numbers_go_right_and_long_text_is_cut() {
        let rows = [
            row! { "id" => 1, "name" => "Anna", "note" => "a long note\nover lines" },
            row! { "id" => 22, "name" => Value::Null, "note" => "short" },
        ];
        let layout = Layout::of(&rows, 8);
        let text = format!(
            "{}{}{}",
            layout.header(),
            layout.line(&rows[0]),
            layout.line(&rows[1])
        );
        assert_eq!(
            text,
            "id  name  note\n--  ----  --------\n 1  Anna  a long …\n22        short\n"
        );
    }
}
