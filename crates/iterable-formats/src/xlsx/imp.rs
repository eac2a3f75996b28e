//! The xlsx reader and writer, compiled with the `xlsx` feature (the format's description is in `mod.rs`).

use std::collections::HashMap;
use std::io::{Cursor, Write};
use std::sync::Arc;

use crate::blocking_bridge::{RowWriter, SyncOutput};
use calamine::{Cell, Data, DataRef, Range, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveTime;
use iterable_core::{BoxIterable, Error, Header, Result, Row, Sheet, Value};
use rust_xlsxwriter::{Format as CellFormat, Workbook};
use tokio::io::{AsyncBufRead, AsyncReadExt, AsyncWrite};

use crate::blocking::{bridge_reader, bridge_writer, record_error, write_error};
use crate::{ReadContext, WriteContext};

/// The largest workbook read into memory.
const MAX_WORKBOOK: u64 = 1 << 30;
/// Excel's last row (0-based), the header being row 0.
const MAX_ROW: u64 = 1_048_575;
/// Integers a float holds exactly.
const EXACT_IN_FLOAT: i64 = 1 << 53;

/// Opens an XLSX reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let sheet = ctx.options.xlsx.sheet.clone();
    let has_header = ctx.options.xlsx.has_header;
    let max_unpacked = ctx.options.limits.max_unpacked_bytes;
    Ok(bridge_reader(reader, ctx, move |mut input| {
        let location = input.location().to_owned();
        let bytes = input
            .read_all(MAX_WORKBOOK)
            .map_err(|e| Error::io(&location, e))?;
        check_unpacked_size(&location, &bytes, max_unpacked)?;
        let mut workbook = open(&location, bytes)?;
        let range = select(&mut workbook, &location, sheet.as_ref(), max_unpacked)?;
        Ok(SheetRows::new(range, has_header))
    }))
}

/// The names of the sheets of the workbook in `reader`, in workbook order.
/// `location` names it in errors.
pub async fn sheet_names<R>(mut reader: R, location: &str) -> Result<Vec<String>>
where
    R: tokio::io::AsyncRead + Unpin,
{
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| Error::io(location, e))?;
    Ok(open(location, bytes)?.sheet_names())
}

/// The workbook's members, by the sizes its directory declares (the zip reader stops
/// a member at its declared size), unpack to at most `max` bytes.
fn check_unpacked_size(location: &str, bytes: &[u8], max: u64) -> Result<()> {
    let fail = |message: String| record_error(location, 0, 0, message, b"");
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // not a zip: the workbook reader says what it is
    };
    let mut total = 0u64;
    for i in 0..archive.len() {
        let member = archive
            .by_index_raw(i)
            .map_err(|e| fail(format!("not a readable XLSX workbook: {e}")))?;
        total = total.saturating_add(member.size());
    }
    if total > max {
        return Err(fail(format!(
            "the workbook unpacks to {total} bytes, more than max_unpacked_bytes ({max} bytes); raise --max-unpacked-bytes to read it"
        )));
    }
    Ok(())
}

fn open(location: &str, bytes: Vec<u8>) -> Result<Xlsx<Cursor<Vec<u8>>>> {
    open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| {
        record_error(
            location,
            0,
            0,
            format!("not a readable XLSX workbook: {e}"),
            b"",
        )
    })
}

fn select(
    workbook: &mut Xlsx<Cursor<Vec<u8>>>,
    location: &str,
    sheet: Option<&Sheet>,
    max_unpacked: u64,
) -> Result<Range<Data>> {
    let names = workbook.sheet_names();
    let name = match sheet {
        None => names.first().cloned(),
        Some(Sheet::Name(name)) => names.iter().find(|n| *n == name).cloned(),
        Some(Sheet::Index(i)) => names.get(*i).cloned(),
    };
    let Some(name) = name else {
        let wanted = match sheet {
            None => "sheets".to_owned(),
            Some(Sheet::Name(n)) => format!("sheet named {n:?}"),
            Some(Sheet::Index(i)) => format!("sheet at index {i}"),
        };
        return Err(Error::InvalidOption(format!(
            "{location}: the workbook has no {wanted}; its sheets: {names:?}"
        )));
    };
    read_sheet(workbook, location, &name, max_sheet_cells(max_unpacked))
}

/// Excel's limits: 1,048,576 rows and 16,384 columns (XFD).
const EXCEL_ROWS: u32 = 1 << 20;
const EXCEL_COLUMNS: u32 = 1 << 14;
/// The most cells a sheet's used range (the box from its first to its last cell) may
/// span: the sheet is laid out whole in memory, one cell value each, so that layout is
/// bounded by `max_unpacked_bytes` as the workbook's parts are (1 GiB: 33,554,432
/// cells). A few kilobytes holding two cells, `A1` and `XFD1048576`, would otherwise
/// span 17 billion.
fn max_sheet_cells(max_unpacked: u64) -> u64 {
    (max_unpacked / std::mem::size_of::<Data>() as u64).max(1)
}

/// Reads the sheet's cells in one streaming pass and lays them out as a range (as
/// calamine's `worksheet_range` does, from the same cell reader: empty cells are left
/// out, the range spans the first to the last cell with a value). Every cell reference
/// must be within Excel's limits and the range at most `max_cells`, checked as the cells
/// come, before anything is laid out; else an error naming the cell.
fn read_sheet(
    workbook: &mut Xlsx<Cursor<Vec<u8>>>,
    location: &str,
    name: &str,
    max_cells: u64,
) -> Result<Range<Data>> {
    let fail = |message: String| record_error(location, 0, 0, message, b"");
    let mut reader = workbook
        .worksheet_cells_reader(name)
        .map_err(|e| fail(format!("cannot read sheet {name:?}: {e}")))?;
    let mut cells = Vec::new();
    let (mut first, mut last): (Option<(u32, u32)>, (u32, u32)) = (None, (0, 0));
    while let Some(cell) = reader
        .next_cell()
        .map_err(|e| fail(format!("cannot read sheet {name:?}: {e}")))?
    {
        let (row, col) = cell.get_position();
        if row >= EXCEL_ROWS || col >= EXCEL_COLUMNS {
            return Err(fail(format!(
                "sheet {name:?} has a cell at row {}, column {}: beyond Excel's {EXCEL_ROWS} rows and {EXCEL_COLUMNS} columns",
                u64::from(row) + 1,
                u64::from(col) + 1
            )));
        }
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let (top, left) = first.get_or_insert((row, col));
        *top = (*top).min(row);
        *left = (*left).min(col);
        last = (last.0.max(row), last.1.max(col));
        let (top, left) = (*top, *left);
        let span = u64::from(last.0 - top + 1) * u64::from(last.1 - left + 1);
        if span > max_cells {
            return Err(fail(format!(
                "sheet {name:?} spans {span} cells from its first cell to row {}, column {} (at most {max_cells} are laid out: max_unpacked_bytes / {} bytes a cell; raise --max-unpacked-bytes to read it)",
                u64::from(row) + 1,
                u64::from(col) + 1,
                std::mem::size_of::<Data>()
            )));
        }
        cells.push(Cell::new((row, col), Data::from(cell.get_value().clone())));
    }
    Ok(Range::from_sparse(cells))
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

/// Opens an XLSX writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let location = ctx.info.location.clone();
    let sheet = match &ctx.options.xlsx.sheet {
        Some(Sheet::Name(name)) => name.clone(),
        _ => "Sheet1".to_owned(),
    };
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
        if number > MAX_ROW {
            return Err(write_error(
                &self.location,
                number,
                format!("a sheet holds at most {MAX_ROW} rows below its header"),
            ));
        }
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
