//! Checks made on a workbook's bytes before calamine opens it, so that a small hostile
//! file cannot make it lay out more memory than the limits allow.
//!
//! calamine lays a sheet out whole: one cell value for every position of the box from
//! the first to the last cell. XLSX and XLSB sheets are read through calamine's cell
//! readers, so the box is checked as the cells come (`CellBox`). XLS and ODS sheets
//! are laid out when the workbook is opened, all of them; for those, the cells'
//! positions are read here first, with the same rule: the zip parts (ODS) unpack to
//! at most `max_unpacked_bytes`, and no sheet's box spans more than
//! `max_unpacked_bytes / size_of::<Data>()` cells.

use std::io::{BufReader, Cursor, Read};

use calamine::Data;
use iterable_core::{Error, Result};
use quick_xml::events::{BytesStart, Event};

use crate::blocking::record_error;

/// Excel's limits (XLSX and ODS): 1,048,576 rows and 16,384 columns (XFD).
pub(super) const EXCEL_ROWS: u32 = 1 << 20;
pub(super) const EXCEL_COLUMNS: u32 = 1 << 14;

/// The most cells one sheet's box may span: the sheet is laid out whole in memory, one
/// cell value each, so that layout is bounded by `max_unpacked_bytes` as the workbook's
/// parts are (1 GiB: 33,554,432 cells). A few kilobytes holding two cells, `A1` and
/// `XFD1048576`, would otherwise span 17 billion.
pub(super) fn max_sheet_cells(max_unpacked: u64) -> u64 {
    (max_unpacked / std::mem::size_of::<Data>() as u64).max(1)
}

fn fail(location: &str, message: String) -> Error {
    record_error(location, 0, 0, message, b"")
}

/// The box a sheet's cells span, grown cell by cell and refused past `max_cells`.
pub(super) struct CellBox {
    first: Option<(u32, u32)>,
    last: (u32, u32),
    max_cells: u64,
}

impl CellBox {
    pub(super) fn new(max_cells: u64) -> Self {
        CellBox {
            first: None,
            last: (0, 0),
            max_cells,
        }
    }

    /// Takes in the cells from `(row, col)` to `(row_end, col_end)` (inclusive,
    /// 0-based); the error says which sheet, and where its box grew too large.
    pub(super) fn take(
        &mut self,
        sheet: &str,
        (row, col): (u32, u32),
        (row_end, col_end): (u32, u32),
    ) -> std::result::Result<(), String> {
        let (top, left) = self.first.get_or_insert((row, col));
        *top = (*top).min(row);
        *left = (*left).min(col);
        self.last = (self.last.0.max(row_end), self.last.1.max(col_end));
        let span = u64::from(self.last.0 - *top + 1) * u64::from(self.last.1 - *left + 1);
        if span > self.max_cells {
            return Err(format!(
                "sheet {sheet:?} spans {span} cells from its first cell to row {}, column {} (at most {} are laid out: max_unpacked_bytes / {} bytes a cell; raise --max-unpacked-bytes to read it)",
                u64::from(row_end) + 1,
                u64::from(col_end) + 1,
                self.max_cells,
                std::mem::size_of::<Data>()
            ));
        }
        Ok(())
    }
}

/// The members of a zip-based workbook, by the sizes its directory declares (the zip
/// reader stops a member at its declared size), unpack to at most `max` bytes. Bytes
/// that are not a zip archive pass: the workbook reader says what they are.
pub(super) fn check_unpacked_size(location: &str, bytes: &[u8], max: u64) -> Result<()> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut total = 0u64;
    for i in 0..archive.len() {
        let member = archive
            .by_index_raw(i)
            .map_err(|e| fail(location, format!("not a readable workbook: {e}")))?;
        total = total.saturating_add(member.size());
    }
    if total > max {
        return Err(fail(
            location,
            format!(
                "the workbook unpacks to {total} bytes, more than max_unpacked_bytes ({max} bytes); raise --max-unpacked-bytes to read it"
            ),
        ));
    }
    Ok(())
}

/// BIFF record types (MS-XLS 2.3).
mod biff {
    pub const BOF: u16 = 0x0809;
    pub const EOF: u16 = 0x000A;
    pub const BOUNDSHEET: u16 = 0x0085;
    pub const DIMENSIONS: u16 = 0x0200;
    pub const MULRK: u16 = 0x00BD;
    /// The records that hold one cell, its row and column first.
    pub const ONE_CELL: [u16; 8] = [
        0x0006, // Formula
        0x0203, // Number
        0x0204, // Label
        0x00D6, // RString
        0x0205, // BoolErr
        0x027E, // RK
        0x00FD, // LabelSst
        0x0201, // Blank
    ];
}

/// One BIFF record: its type and data.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = stream;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let typ = u16::from_le_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some((typ, data))
    })
}

fn u16_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 2)
        .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// An Excel 97-2003 workbook: every sheet's cells (read from where its BOUNDSHEET
/// record says the sheet starts, as calamine reads them) and declared dimensions
/// (calamine reserves room for them) span at most `max_cells`. Bytes that are not a
/// compound file pass: calamine says what they are.
pub(super) fn check_xls(location: &str, bytes: &[u8], max_cells: u64) -> Result<()> {
    let Ok(mut file) = cfb::CompoundFile::open(Cursor::new(bytes)) else {
        return Ok(());
    };
    let Some(name) = ["/Workbook", "/Book"].into_iter().find(|n| file.exists(n)) else {
        return Ok(());
    };
    let mut stream = Vec::new();
    file.open_stream(name)
        .and_then(|s| s.take(bytes.len() as u64).read_to_end(&mut stream))
        .map_err(|e| fail(location, format!("not a readable XLS workbook: {e}")))?;
    let mut sheets = Vec::new();
    for (typ, data) in records(&stream) {
        match typ {
            biff::BOUNDSHEET => {
                if let Some(pos) = u32_at(data, 0) {
                    sheets.push((pos as usize, sheet_name(data)));
                }
            }
            biff::EOF => break,
            _ => {}
        }
    }
    for (index, (start, name)) in sheets.into_iter().enumerate() {
        let sheet = name.unwrap_or_else(|| format!("#{}", index + 1));
        check_xls_sheet(&sheet, stream.get(start..).unwrap_or_default(), max_cells)
            .map_err(|message| fail(location, message))?;
    }
    Ok(())
}

/// The sheet's name in a BIFF8 BOUNDSHEET record: a character count, a flag (1: UTF-16,
/// else one byte a character), the characters.
fn sheet_name(data: &[u8]) -> Option<String> {
    let count = usize::from(*data.get(6)?);
    let wide = data.get(7)? & 1 == 1;
    let chars = data.get(8..)?;
    if wide {
        let units: Vec<u16> = chars
            .get(..count * 2)?
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(chars.get(..count)?.iter().map(|&b| char::from(b)).collect())
    }
}

fn check_xls_sheet(sheet: &str, stream: &[u8], max_cells: u64) -> std::result::Result<(), String> {
    let mut cells = CellBox::new(max_cells);
    let mut depth = 0usize; // nested substreams (charts) inside the sheet
    let mut seen_bof = false;
    for (typ, data) in records(stream) {
        if depth > 0 {
            match typ {
                biff::BOF => depth += 1,
                biff::EOF => depth -= 1,
                _ => {}
            }
            continue;
        }
        match typ {
            biff::BOF if seen_bof => depth += 1,
            biff::BOF => seen_bof = true,
            biff::EOF => break,
            biff::DIMENSIONS => check_dimensions(sheet, data, max_cells)?,
            biff::MULRK => {
                if let (Some(row), Some(first), Some(last)) = (
                    u16_at(data, 0),
                    u16_at(data, 2),
                    data.len().checked_sub(2).and_then(|at| u16_at(data, at)),
                ) {
                    if last < first {
                        return Err(format!(
                            "sheet {sheet:?}: a MULRK record runs from column {} back to column {}",
                            first + 1,
                            last + 1
                        ));
                    }
                    cells.take(sheet, (row, first), (row, last))?;
                }
            }
            t if biff::ONE_CELL.contains(&t) => {
                if let (Some(row), Some(col)) = (u16_at(data, 0), u16_at(data, 2)) {
                    cells.take(sheet, (row, col), (row, col))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The DIMENSIONS record, read as calamine reads it (BIFF5: 16-bit rows; BIFF8: 32-bit).
fn check_dimensions(sheet: &str, data: &[u8], max_cells: u64) -> std::result::Result<(), String> {
    let fields = match data.len() {
        10 => (
            u16_at(data, 0),
            u16_at(data, 2),
            u16_at(data, 4),
            u16_at(data, 6),
        ),
        14 | 16 => (
            u32_at(data, 0),
            u32_at(data, 4),
            u16_at(data, 8),
            u16_at(data, 10),
        ),
        _ => return Ok(()), // calamine refuses it
    };
    let (Some(first_row), Some(end_row), Some(first_col), Some(end_col)) = fields else {
        return Ok(());
    };
    // calamine's reading: a first column past 255, or after the end, is column 0.
    let first_col = if first_col > 0xFF || end_col < first_col {
        0
    } else {
        first_col
    };
    if end_row == 0 || end_col == 0 {
        return Ok(());
    }
    if end_row - 1 < first_row {
        return Err(format!(
            "sheet {sheet:?}: its DIMENSIONS record ends at row {end_row}, before its first row {}",
            first_row + 1
        ));
    }
    let span = u64::from(end_row - first_row) * u64::from(end_col - first_col);
    if span > max_cells {
        return Err(format!(
            "sheet {sheet:?} declares {span} cells (rows {} to {end_row}, columns {} to {end_col}; at most {max_cells} are laid out; raise --max-unpacked-bytes to read it)",
            first_row + 1,
            first_col + 1
        ));
    }
    Ok(())
}

/// An OpenDocument spreadsheet: every table's cells, with their repeats
/// (`table:number-rows-repeated`, `table:number-columns-repeated`) counted as calamine
/// counts them (capped at Excel's limits), span at most `max_cells`. Only cells with a
/// value count: the runs of empty cells an office suite writes to the sheet's edge are
/// not laid out. Bytes that are not a zip with a `content.xml` pass: calamine says
/// what they are.
pub(super) fn check_ods(location: &str, bytes: &[u8], max_cells: u64) -> Result<()> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let Ok(content) = archive.by_name("content.xml") else {
        return Ok(());
    };
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(content));
    let mut buf = Vec::new();
    let mut table = OdsTable::new(max_cells);
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| fail(location, format!("not a readable ODS workbook: {e}")))?;
        let step = match &event {
            Event::Eof => return Ok(()),
            Event::Start(e) => table.start(e, false),
            Event::Empty(e) => table.start(e, true),
            Event::End(e) => table.end(e.name().as_ref()),
            _ => Ok(()),
        };
        step.map_err(|message| fail(location, message))?;
        buf.clear();
    }
}

/// Where the scan of an ODS table stands.
struct OdsTable {
    name: String,
    cells: CellBox,
    max_cells: u64,
    row: u32,
    row_repeats: u32,
    col: u32,
    /// The cell being read: its first column, its repeats and whether it holds a value.
    cell: Option<(u32, u32, bool)>,
}

impl OdsTable {
    fn new(max_cells: u64) -> Self {
        OdsTable {
            name: String::new(),
            cells: CellBox::new(max_cells),
            max_cells,
            row: 0,
            row_repeats: 1,
            col: 0,
            cell: None,
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> std::result::Result<(), String> {
        match e.name().as_ref() {
            b"table:table" => {
                *self = OdsTable::new(self.max_cells);
                self.name = attr(e, b"table:name").unwrap_or_default();
            }
            b"table:table-row" => {
                let repeats = count(e, b"table:number-rows-repeated");
                self.row_repeats = repeats.min(EXCEL_ROWS.saturating_sub(self.row)).max(1);
                self.col = 0;
                if empty {
                    self.end_row();
                }
            }
            b"table:table-cell" | b"table:covered-table-cell" => {
                let repeats = count(e, b"table:number-columns-repeated");
                let repeats = repeats.min(EXCEL_COLUMNS.saturating_sub(self.col)).max(1);
                let valued = e
                    .try_get_attribute("office:value-type")
                    .ok()
                    .flatten()
                    .is_some()
                    || e.try_get_attribute("table:formula")
                        .ok()
                        .flatten()
                        .is_some();
                self.cell = Some((self.col, repeats, valued));
                if empty {
                    self.end_cell()?;
                }
            }
            // Anything inside a cell (a paragraph of text) is a value.
            _ => {
                if let Some(cell) = &mut self.cell {
                    cell.2 = true;
                }
            }
        }
        Ok(())
    }

    fn end(&mut self, name: &[u8]) -> std::result::Result<(), String> {
        match name {
            b"table:table-cell" | b"table:covered-table-cell" => self.end_cell(),
            b"table:table-row" => {
                self.end_row();
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn end_cell(&mut self) -> std::result::Result<(), String> {
        let Some((col, repeats, valued)) = self.cell.take() else {
            return Ok(());
        };
        self.col = col.saturating_add(repeats);
        if valued && self.row < EXCEL_ROWS && col < EXCEL_COLUMNS {
            let last_row = (self.row + self.row_repeats - 1).min(EXCEL_ROWS - 1);
            let last_col = (col + repeats - 1).min(EXCEL_COLUMNS - 1);
            self.cells
                .take(&self.name, (self.row, col), (last_row, last_col))?;
        }
        Ok(())
    }

    fn end_row(&mut self) {
        self.row = self.row.saturating_add(self.row_repeats);
        self.row_repeats = 1;
    }
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    let a = e.try_get_attribute(name).ok().flatten()?;
    Some(String::from_utf8_lossy(&a.value).into_owned())
}

/// A repeat count; a missing or unreadable one is 1 (calamine refuses the unreadable).
fn count(e: &BytesStart<'_>, name: &[u8]) -> u32 {
    attr(e, name)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(1, |n| n.min(u64::from(u32::MAX)) as u32)
}
