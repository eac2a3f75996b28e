//! The workbook reader (every kind) and the XLSX writer, compiled with the `xlsx`
//! feature (the formats' descriptions are in `mod.rs`).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use crate::blocking_bridge::{RowWriter, SyncOutput};
use calamine::{Data, Range};
use chrono::NaiveTime;
use iterable_core::{BoxIterable, Error, Header, Result, Row, Sheet, Value};

use super::workbook;
use rust_xlsxwriter::{Format as CellFormat, Workbook};
use tokio::io::{AsyncBufRead, AsyncReadExt, AsyncWrite};

use crate::blocking::{bridge_reader, bridge_writer, write_error};
use crate::{ReadContext, WriteContext};

/// The largest workbook read into memory.
const MAX_WORKBOOK: u64 = 1 << 30;
/// Excel's last row (0-based), the header being row 0.
const MAX_ROW: u64 = 1_048_575;
/// Integers a float holds exactly.
pub(super) const EXACT_IN_FLOAT: i64 = 1 << 53;

/// Opens a reader over the workbook in `reader`: XLSX, XLSB, XLS or ODS, whichever
/// its bytes are.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let sheet = ctx.options.xlsx.sheet.clone();
    let has_header = ctx.options.xlsx.has_header;
    let max_unpacked = ctx.options.limits.max_unpacked_bytes;
    let expected = ctx.info.format.name().to_uppercase();
    Ok(bridge_reader(reader, ctx, move |mut input| {
        let location = input.location().to_owned();
        let bytes = input
            .read_all(MAX_WORKBOOK)
            .map_err(|e| Error::io(&location, e))?;
        let mut book = workbook::open(&location, bytes, max_unpacked, &expected)?;
        let range = book.read(&location, sheet.as_ref(), max_unpacked)?;
        Ok(SheetRows::new(range, has_header))
    }))
}

/// The names of the sheets of the workbook in `reader` (XLSX, XLSB, XLS or ODS), in
/// workbook order. `location` names it in errors.
pub async fn sheet_names<R>(mut reader: R, location: &str) -> Result<Vec<String>>
where
    R: tokio::io::AsyncRead + Unpin,
{
    let mut bytes = Vec::new();
    (&mut reader)
        .take(MAX_WORKBOOK + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| Error::io(location, e))?;
    if bytes.len() as u64 > MAX_WORKBOOK {
        return Err(Error::io(
            location,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("larger than the {MAX_WORKBOOK} bytes a workbook is read into memory"),
            ),
        ));
    }
    let limit = iterable_core::Limits::default().max_unpacked_bytes;
    Ok(workbook::open(location, bytes, limit, "spreadsheet")?.sheet_names())
}

/// The rows of one sheet.
struct SheetRows {
    range: Range<Data>,
    header: Arc<Header>,
    next: usize,
    end: usize,
}

impl SheetRows {
    fn new(range: Range<Data>, has_header: bool) -> Self {
        let width = range.width();
        let end = range
            .rows()
            .rposition(|r| r.iter().any(|c| !matches!(c, Data::Empty)))
            .map_or(0, |last| last + 1);
        let names: Vec<String> = if has_header && end > 0 {
            let first = range.rows().next().unwrap_or_default();
            let fields: Vec<String> = first
                .iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect();
            iterable_core::unique_column_names(fields)
        } else {
            (1..=width).map(|i| format!("column_{i}")).collect()
        };
        SheetRows {
            range,
            header: Arc::new(Header::new(names)),
            next: usize::from(has_header),
            end,
        }
    }
}

impl Iterator for SheetRows {
    type Item = Result<Row>;
    fn next(&mut self) -> Option<Result<Row>> {
        if self.next >= self.end {
            return None;
        }
        // By position, in constant time: `rows().nth(n)` walks from the top each time.
        let row = self.next;
        self.next += 1;
        let mut values: Vec<Value> = (0..self.range.width())
            .map(|col| self.range.get((row, col)).map_or(Value::Null, cell_value))
            .collect();
        values.resize(self.header.len(), Value::Null);
        Some(Ok(Row::from_parts(self.header.clone(), values)))
    }
}

fn cell_value(cell: &Data) -> Value {
    match cell {
        Data::Empty => Value::Null,
        Data::Int(i) => Value::Int(*i),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() <= EXACT_IN_FLOAT as f64 {
                Value::Int(*f as i64)
            } else {
                Value::Float(*f)
            }
        }
        Data::String(s) => Value::from(s.as_str()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) if dt.is_duration() => Value::Float(dt.as_f64()),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == NaiveTime::MIN => Value::Date(t.date()),
            Some(t) => Value::Timestamp(iterable_core::Timestamp {
                datetime: t,
                tz: None,
            }),
            None => Value::Float(dt.as_f64()),
        },
        Data::DateTimeIso(s) => {
            if let Ok(d) = s.parse::<chrono::NaiveDate>() {
                Value::Date(d)
            } else if let Ok(t) = s.parse::<chrono::NaiveDateTime>() {
                Value::Timestamp(iterable_core::Timestamp {
                    datetime: t,
                    tz: None,
                })
            } else {
                Value::from(s.as_str())
            }
        }
        Data::DurationIso(s) => Value::from(s.as_str()),
        Data::Error(e) => Value::String(e.to_string().into()),
    }
}

/// The name of the one sheet a workbook writer writes: the `sheet` option's name, or
/// `Sheet1`.
pub(super) fn sheet_to_write(ctx: &WriteContext) -> String {
    match &ctx.options.xlsx.sheet {
        Some(Sheet::Name(name)) => name.clone(),
        _ => "Sheet1".to_owned(),
    }
}

/// Row `number` (1-based, below the header) fits a sheet, or the error naming it.
pub(super) fn check_row_count(location: &str, number: u64) -> Result<()> {
    if number > MAX_ROW {
        return Err(write_error(
            location,
            number,
            format!("a sheet holds at most {MAX_ROW} rows below its header"),
        ));
    }
    Ok(())
}

/// Opens an XLSX writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let location = ctx.info.location.clone();
    let sheet = sheet_to_write(&ctx);
    Ok(bridge_writer(writer, ctx, move |out| {
        let mut workbook = Workbook::new();
        workbook
            .add_worksheet()
            .set_name(&sheet)
            .map_err(|e| Error::InvalidOption(format!("sheet name {sheet:?}: {e}")))?;
        Ok(XlsxWriter {
            out,
            location,
            workbook,
            columns: HashMap::new(),
            next_column: 0,
            date: CellFormat::new().set_num_format("yyyy-mm-dd"),
            datetime: CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        })
    }))
}

struct XlsxWriter {
    out: SyncOutput,
    location: String,
    workbook: Workbook,
    columns: HashMap<String, u16>,
    next_column: u16,
    date: CellFormat,
    datetime: CellFormat,
}

impl RowWriter for XlsxWriter {
    fn write_row(&mut self, row: &Row, number: u64) -> Result<()> {
        check_row_count(&self.location, number)?;
        let fail =
            |e: rust_xlsxwriter::XlsxError| write_error(&self.location, number, e.to_string());
        let sheet = self
            .workbook
            .worksheet_from_index(0)
            .map_err(|e| write_error(&self.location, number, e.to_string()))?;
        let r = number as u32;
        for (key, value) in row.iter() {
            let col = match self.columns.get(key) {
                Some(c) => *c,
                None => {
                    let c = self.next_column;
                    self.next_column += 1;
                    self.columns.insert(key.to_owned(), c);
                    sheet.write_string(0, c, key).map_err(fail)?;
                    c
                }
            };
            match value {
                Value::Null => None,
                Value::Bool(b) => Some(sheet.write_boolean(r, col, *b)),
                Value::Int(i) if i.unsigned_abs() <= EXACT_IN_FLOAT as u64 => {
                    Some(sheet.write_number(r, col, *i as f64))
                }
                Value::Float(f) => Some(sheet.write_number(r, col, *f)),
                Value::String(s) => Some(sheet.write_string(r, col, s.as_str())),
                Value::Date(d) => Some(sheet.write_date_with_format(r, col, d, &self.date)),
                Value::Timestamp(t) => {
                    Some(sheet.write_datetime_with_format(r, col, t.datetime, &self.datetime))
                }
                other => Some(sheet.write_string(r, col, other.to_string())),
            }
            .transpose()
            .map_err(fail)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<SyncOutput> {
        let bytes = self
            .workbook
            .save_to_buffer()
            .map_err(|e| Error::io(&self.location, std::io::Error::other(e.to_string())))?;
        self.out
            .write_all(&bytes)
            .map_err(|e| Error::io(&self.location, e))?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(cells: &[&[Data]]) -> Range<Data> {
        let width = cells.iter().map(|r| r.len()).max().unwrap_or(0) as u32;
        let mut range = Range::new((0, 0), (cells.len() as u32 - 1, width - 1));
        for (r, row) in cells.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                range.set_value((r as u32, c as u32), cell.clone());
            }
        }
        range
    }

    #[test]
    fn repeated_header_names_follow_the_one_rule() {
        let s = |t: &str| Data::String(t.into());
        let range = sheet(&[
            &[s("a"), s("a_2"), s("a"), Data::Empty],
            &[Data::Int(1), Data::Int(2), Data::Int(3), Data::Int(4)],
        ]);
        let rows: Vec<Row> = SheetRows::new(range, true).map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 1);
        let keys: Vec<&str> = rows[0].keys().collect();
        assert_eq!(keys, ["a", "a_2", "a_3", "column_4"]);
        assert_eq!(rows[0]["a_3"], Value::Int(3));
    }

    #[test]
    fn rows_come_out_in_order_with_short_rows_padded() {
        let range = sheet(&[
            &[Data::String("k".into()), Data::String("v".into())],
            &[Data::Int(1)],
            &[Data::Int(2), Data::Bool(true)],
            &[Data::Int(3)],
        ]);
        let rows: Vec<Row> = SheetRows::new(range, true).map(|r| r.unwrap()).collect();
        let ks: Vec<&Value> = rows.iter().map(|r| &r["k"]).collect();
        assert_eq!(ks, [&Value::Int(1), &Value::Int(2), &Value::Int(3)]);
        assert_eq!(rows[0]["v"], Value::Null);
        assert_eq!(rows[1]["v"], Value::Bool(true));
    }
}
