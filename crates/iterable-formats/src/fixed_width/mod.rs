//! Fixed-width text (`.fwf`, `.fixed`): one record a line, each column a run of
//! characters of a set width.
//!
//! # Where the columns are
//!
//! - `widths` (`3,10`) with `names` (`id,name`): the file has no header line;
//! - `widths` alone: the first line is the header, cut at the same widths;
//! - `layout` (a file with one `name,width` a line): as `widths` with `names`;
//! - none of these: the first line is the header, and a column starts where its name
//!   starts (the first at the start of the line) and runs to where the next one
//!   starts; the last runs to the end of the line. Names must then be left-aligned
//!   over their columns and hold no spaces; give `widths` otherwise.
//!
//! Widths count characters (Unicode scalar values), not bytes and not display cells.
//!
//! # Reading
//!
//! Natively async on the shared line reader: values are text, trimmed of spaces on
//! both sides; a line shorter than the columns gives empty values for the columns it
//! does not reach. Text past the last column that is not blank is a bad record (the
//! error policy applies; the error names the line, record and byte offset): nothing
//! is cut off silently.
//!
//! # Writing
//!
//! Each value is left-aligned and padded with spaces to its column's width. With
//! `widths`, a value longer than its column is an error naming the row, the column,
//! the value and the width; nothing is truncated. Without `widths`, the widths are
//! taken from the first 1,000 rows (the longest value or name of each column, plus
//! one space between columns) and the header line is written first; a later value
//! that does not fit is the same error (give `widths` for such data). Null is
//! written as blanks; a value holding a line end cannot be written.

mod layout;

use std::sync::Arc;

use iterable_core::{BoxIterable, Format, Header, Result, Row, Text, Value};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::line_records::{LineParser, LineRecords};
use crate::record_writer::{RecordEncoder, RecordWriter};
use crate::registry::options::OptionSpec;
use crate::registry::{Builders, Capabilities, FormatSpec};
use crate::{ReadContext, WriteContext};
use layout::{Layout, cut, widths_from_header};

/// Fixed width's format name.
pub const FIXED_WIDTH_FORMAT: Format = Format::new("fwf");

/// `--widths 3,10`.
pub static WIDTHS: OptionSpec = OptionSpec::text(
    "widths",
    "3,10",
    "fixed width: each column's width in characters, comma separated",
);
/// `--names id,name`.
pub static NAMES: OptionSpec = OptionSpec::text(
    "names",
    "A,B",
    "fixed width: the column names (with --widths; the file then has no header line)",
);
/// `--layout FILE`.
pub static LAYOUT: OptionSpec = OptionSpec::text(
    "layout",
    "FILE",
    "fixed width: a file with one `name,width` a line, instead of --widths and --names",
);

/// The registry's description of fixed-width text.
pub static FIXED_WIDTH: FormatSpec = FormatSpec {
    aliases: &["fixed_width", "fixed-width", "fixed"],
    capabilities: Capabilities::TEXT,
    read_options: &[
        &WIDTHS,
        &NAMES,
        &LAYOUT,
        &crate::registry::options::MAX_RECORD_BYTES,
        &crate::registry::options::ENCODING,
    ],
    write_options: &[&WIDTHS, &NAMES, &LAYOUT],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_reader(r, ctx))),
        writer: Some(|w, ctx| Box::pin(open_writer(w, ctx))),
        ..Builders::NONE
    }),
    ..FormatSpec::new(
        FIXED_WIDTH_FORMAT,
        "fixed-width text: columns of set widths (--widths, --names or a header line)",
        &["fwf", "fixed"],
    )
};

/// Opens a fixed-width reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let layout = Layout::from_options(&ctx.options, &ctx.info.location).await?;
    let parser = FixedWidthParser::new(layout);
    Ok(Box::new(LineRecords::new(reader, parser, ctx)))
}

/// Opens a fixed-width writer over `writer`; `aclose` flushes and shuts it down.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let layout = Layout::from_options(&ctx.options, &ctx.info.location).await?;
    Ok(Box::new(RecordWriter::new(
        writer,
        FixedWidthEncoder::new(layout),
        ctx,
    )))
}

/// Cuts lines into rows; the first line is the header unless names were given.
struct FixedWidthParser {
    widths: Vec<usize>,
    header: Option<Arc<Header>>,
}

impl FixedWidthParser {
    fn new(layout: Layout) -> Self {
        let header = (!layout.names.is_empty()).then(|| Arc::new(Header::new(layout.names)));
        FixedWidthParser {
            widths: layout.widths,
            header,
        }
    }
}

impl LineParser for FixedWidthParser {
    fn parse_line(&mut self, line: &str) -> std::result::Result<Option<Row>, String> {
        if self.header.is_some() {
            return self.parse(line).map(Some);
        }
        let names = if self.widths.is_empty() {
            let (widths, names) = widths_from_header(line);
            self.widths = widths;
            names
        } else {
            let fields = cut(line, &self.widths);
            if fields.len() > self.widths.len() && !fields[self.widths.len()].trim().is_empty() {
                return Err(format!(
                    "the header line is longer than the {} columns of --widths",
                    self.widths.len()
                ));
            }
            fields
                .iter()
                .take(self.widths.len())
                .enumerate()
                .map(|(i, f)| match f.trim() {
                    "" => format!("column_{}", i + 1),
                    name => name.to_owned(),
                })
                .collect()
        };
        self.header = Some(Arc::new(Header::new(iterable_core::unique_column_names(
            names,
        ))));
        Ok(None)
    }

    fn parse(&mut self, line: &str) -> std::result::Result<Row, String> {
        let header = self.header.clone().ok_or("no header line")?;
        let fields = cut(line, &self.widths);
        if let Some(rest) = fields.get(self.widths.len())
            && !rest.trim().is_empty()
        {
            let total: usize = self.widths.iter().sum();
            return Err(format!(
                "text past the last column (the columns end at character {total}): {:?}",
                rest.trim()
            ));
        }
        let values = fields
            .iter()
            .take(self.widths.len())
            .map(|f| Value::String(Text::from(f.trim())))
            .collect();
        Ok(Row::from_parts(header, values))
    }
}

/// How many rows the writer looks at for the widths when none are given.
const WIDTH_SCAN_ROWS: usize = 1000;

/// Writes rows padded to their columns.
struct FixedWidthEncoder {
    widths: Vec<usize>,
    names: Vec<String>,
    /// Whether the widths were given (else taken from the first rows).
    given: bool,
    /// Whether the widths came from the options: lines are then padded to their full
    /// length; widths taken from the rows leave trailing blanks off.
    explicit: bool,
    /// Whether the header line is to be written.
    write_header: bool,
    /// Rows held back while the widths are not known yet, as text.
    pending: Vec<Vec<String>>,
    scratch: String,
}

impl FixedWidthEncoder {
    fn new(layout: Layout) -> Self {
        FixedWidthEncoder {
            given: !layout.widths.is_empty(),
            explicit: !layout.widths.is_empty(),
            write_header: layout.names.is_empty(),
            widths: layout.widths,
            names: layout.names,
            pending: Vec::new(),
            scratch: String::new(),
        }
    }

    /// The row's values as text in column order, the names taken from the first row
    /// when none were given.
    fn texts(&mut self, row: &Row) -> std::result::Result<Vec<String>, String> {
        if self.names.is_empty() {
            if !self.given && row.keys().any(|k| k.contains(char::is_whitespace)) {
                return Err(
                    "a column name holds a space, which a header line without --widths cannot hold"
                        .to_owned(),
                );
            }
            self.names = row.keys().map(str::to_owned).collect();
            if self.given && self.names.len() != self.widths.len() {
                return Err(format!(
                    "the row has {} columns, --widths gives {}",
                    self.names.len(),
                    self.widths.len()
                ));
            }
        }
        if let Some(key) = row.keys().find(|k| !self.names.iter().any(|n| n == k)) {
            return Err(format!("column {key:?} is not one of the file's columns"));
        }
        let mut texts = Vec::with_capacity(self.names.len());
        for name in &self.names {
            self.scratch.clear();
            if let Some(value) = row.get(name) {
                value.write_text(&mut self.scratch);
            }
            if self.scratch.contains(['\n', '\r']) {
                return Err(format!(
                    "the value of {name:?} holds a line end, which fixed-width text cannot hold"
                ));
            }
            texts.push(self.scratch.clone());
        }
        Ok(texts)
    }

    /// Widths from the held-back rows and the names: the longest of each, plus one
    /// space between columns.
    fn settle_widths(&mut self) {
        let n = self.names.len();
        self.widths = (0..n)
            .map(|i| {
                let longest = self
                    .pending
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([self.names[i].chars().count()])
                    .max()
                    .unwrap_or(1)
                    .max(1);
                if i + 1 < n { longest + 1 } else { longest }
            })
            .collect();
        self.given = true;
    }

    fn emit_header(&self, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        let names: Vec<String> = self.names.clone();
        self.emit(&names, out)
    }

    fn emit(&self, texts: &[String], out: &mut Vec<u8>) -> std::result::Result<(), String> {
        let start = out.len();
        for (i, (text, &width)) in texts.iter().zip(&self.widths).enumerate() {
            let chars = text.chars().count();
            if chars > width {
                out.truncate(start);
                return Err(format!(
                    "the value of {:?} ({text:?}) is {chars} characters, wider than its column ({width}); nothing is truncated",
                    self.names[i]
                ));
            }
            out.extend_from_slice(text.as_bytes());
            out.extend(std::iter::repeat_n(b' ', width - chars));
        }
        if !self.explicit {
            let kept = out[start..]
                .iter()
                .rposition(|&b| b != b' ')
                .map_or(start, |i| start + i + 1);
            out.truncate(kept);
        }
        out.push(b'\n');
        Ok(())
    }

    fn flush_pending(&mut self, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        self.settle_widths();
        self.emit_header(out)?;
        self.write_header = false;
        for texts in std::mem::take(&mut self.pending) {
            self.emit(&texts, out)?;
        }
        Ok(())
    }
}

impl RecordEncoder for FixedWidthEncoder {
    fn encode(&mut self, row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        let texts = self.texts(row)?;
        if !self.given {
            self.pending.push(texts);
            if self.pending.len() >= WIDTH_SCAN_ROWS {
                self.flush_pending(out)?;
            }
            return Ok(());
        }
        if self.write_header {
            self.emit_header(out)?;
            self.write_header = false;
        }
        self.emit(&texts, out)
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        if !self.given && !self.pending.is_empty() {
            self.flush_pending(out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser(widths: &[usize], names: &[&str]) -> FixedWidthParser {
        FixedWidthParser::new(Layout {
            widths: widths.to_vec(),
            names: names.iter().map(|n| n.to_string()).collect(),
        })
    }

    #[test]
    fn values_are_trimmed_and_short_lines_padded() {
        let mut p = parser(&[3, 10], &["id", "name"]);
        let row = p.parse_line("1  John      ").unwrap().unwrap();
        assert_eq!(row["id"], Value::from("1"));
        assert_eq!(row["name"], Value::from("John"));
        let row = p.parse_line("22").unwrap().unwrap();
        assert_eq!(row["name"], Value::from(""));
        let err = p.parse_line("1  John      extra").unwrap_err();
        assert!(err.contains("past the last column"), "{err}");
        assert!(err.contains("character 13"), "{err}");
    }

    #[test]
    fn a_header_line_names_the_columns() {
        let mut p = parser(&[], &[]);
        assert!(p.parse_line("id name   city").unwrap().is_none());
        let row = p.parse_line("7  Ann    Oslo and more").unwrap().unwrap();
        assert_eq!(row["id"], Value::from("7"));
        assert_eq!(row["name"], Value::from("Ann"));
        assert_eq!(row["city"], Value::from("Oslo and more"));
    }

    #[test]
    fn writes_pad_and_refuse_what_does_not_fit() {
        let layout = Layout {
            widths: vec![3, 5],
            names: vec!["id".into(), "name".into()],
        };
        let mut e = FixedWidthEncoder::new(layout);
        let mut row = Row::new();
        row.insert("id", "1");
        row.insert("name", "Ann");
        let mut out = Vec::new();
        e.encode(&row, &mut out).unwrap();
        assert_eq!(out, b"1  Ann  \n", "padded to the full width");
        row.insert("name", "Annabel");
        let err = e.encode(&row, &mut out).unwrap_err();
        assert!(
            err.contains("\"name\" (\"Annabel\") is 7 characters, wider than its column (5)"),
            "{err}"
        );
    }
}
