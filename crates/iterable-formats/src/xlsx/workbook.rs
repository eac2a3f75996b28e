//! A workbook of any of the four kinds calamine reads, told apart by its bytes (a file
//! named `.xls` that is really an XLSX workbook, as many are, opens as what it is),
//! opened after the checks in `guard`, and one sheet of it read into a range.

use std::io::Cursor;

use calamine::{Cell, Data, DataRef, Ods, Range, Reader, Xls, Xlsb, Xlsx};
use iterable_core::{Error, Result, Sheet};

use super::guard::{self, CellBox, EXCEL_COLUMNS, EXCEL_ROWS, max_sheet_cells};
use crate::blocking::record_error;

/// Reads a sheet's cells in one streaming pass from one of calamine's cell readers and
/// lays them out as a range (as its `worksheet_range` does from the same reader: empty
/// cells are left out, the range spans the first to the last cell with a value). Every
/// cell must be within Excel's limits and the box at most `max_cells`, checked as the
/// cells come, before anything is laid out.
macro_rules! read_cells {
    ($reader:expr, $name:expr, $max_cells:expr) => {
        (|| -> std::result::Result<Range<Data>, String> {
            let mut reader = $reader.map_err(|e| e.to_string())?;
            let mut cells = Vec::new();
            let mut bounds = CellBox::new($max_cells);
            while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
                let (row, col) = cell.get_position();
                if row >= EXCEL_ROWS || col >= EXCEL_COLUMNS {
                    return Err(format!(
                        "a cell at row {}, column {}: beyond Excel's {EXCEL_ROWS} rows and {EXCEL_COLUMNS} columns",
                        u64::from(row) + 1,
                        u64::from(col) + 1
                    ));
                }
                if matches!(cell.get_value(), DataRef::Empty) {
                    continue;
                }
                bounds.take($name, (row, col), (row, col))?;
                cells.push(Cell::new((row, col), Data::from(cell.get_value().clone())));
            }
            Ok(Range::from_sparse(cells))
        })()
    };
}

type Bytes = Cursor<Vec<u8>>;

/// What kind of workbook some bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Office Open XML (`.xlsx`, `.xlsm`): a zip of XML parts.
    Xlsx,
    /// Excel binary workbook (`.xlsb`): a zip of binary parts.
    Xlsb,
    /// Excel 97-2003 (`.xls`): BIFF records in a compound file.
    Xls,
    /// OpenDocument spreadsheet (`.ods`).
    Ods,
}

impl Kind {
    /// The kind the bytes are, by the compound file's magic or the zip's members;
    /// `None` when they are neither a compound file nor a zip archive.
    pub(super) fn of(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(&super::OLE_MAGIC) {
            return Some(Kind::Xls);
        }
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let has = |name: &str| archive.index_for_name(name).is_some();
        Some(if has("mimetype") && has("content.xml") {
            Kind::Ods
        } else if has("xl/workbook.bin") {
            Kind::Xlsb
        } else {
            Kind::Xlsx
        })
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Xlsx => "XLSX",
            Kind::Xlsb => "XLSB",
            Kind::Xls => "XLS",
            Kind::Ods => "ODS",
        }
    }
}

/// An open workbook.
pub(super) enum Workbook {
    Xlsx(Xlsx<Bytes>),
    Xlsb(Xlsb<Bytes>),
    Xls(Xls<Bytes>),
    Ods(Ods<Bytes>),
}

/// Opens the workbook in `bytes` after checking that what calamine lays out on opening
/// stays within `max_unpacked` (the `max_unpacked_bytes` limit). `expected` names the
/// format asked for, for the error when the bytes are no workbook at all.
pub(super) fn open(
    location: &str,
    bytes: Vec<u8>,
    max_unpacked: u64,
    expected: &str,
) -> Result<Workbook> {
    let fail = |message: String| record_error(location, 0, 0, message, b"");
    let Some(kind) = Kind::of(&bytes) else {
        return Err(fail(format!(
            "not a readable {expected} workbook: neither a zip archive (XLSX, XLSB, ODS) nor a compound file (XLS)"
        )));
    };
    let max_cells = max_sheet_cells(max_unpacked);
    match kind {
        Kind::Xls => guard::check_xls(location, &bytes, max_cells)?,
        Kind::Ods => {
            guard::check_unpacked_size(location, &bytes, max_unpacked)?;
            guard::check_ods(location, &bytes, max_cells)?;
        }
        Kind::Xlsx | Kind::Xlsb => guard::check_unpacked_size(location, &bytes, max_unpacked)?,
    }
    let bytes = Cursor::new(bytes);
    let opened = match kind {
        Kind::Xlsx => Xlsx::new(bytes)
            .map(Workbook::Xlsx)
            .map_err(|e| e.to_string()),
        Kind::Xlsb => Xlsb::new(bytes)
            .map(Workbook::Xlsb)
            .map_err(|e| e.to_string()),
        Kind::Xls => Xls::new(bytes)
            .map(Workbook::Xls)
            .map_err(|e| e.to_string()),
        Kind::Ods => Ods::new(bytes)
            .map(Workbook::Ods)
            .map_err(|e| e.to_string()),
    };
    opened.map_err(|e| fail(format!("not a readable {} workbook: {e}", kind.name())))
}

impl Workbook {
    /// The sheets' names, in workbook order.
    pub(super) fn sheet_names(&self) -> Vec<String> {
        match self {
            Workbook::Xlsx(w) => w.sheet_names(),
            Workbook::Xlsb(w) => w.sheet_names(),
            Workbook::Xls(w) => w.sheet_names(),
            Workbook::Ods(w) => w.sheet_names(),
        }
    }

    /// The cells of the sheet `sheet` names (the first when `None`); a missing sheet
    /// is an error listing the workbook's sheets.
    pub(super) fn read(
        &mut self,
        location: &str,
        sheet: Option<&Sheet>,
        max_unpacked: u64,
    ) -> Result<Range<Data>> {
        let names = self.sheet_names();
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
        let max_cells = max_sheet_cells(max_unpacked);
        let read = match self {
            Workbook::Xlsx(w) => {
                read_cells!(w.worksheet_cells_reader(&name), &name, max_cells)
            }
            Workbook::Xlsb(w) => {
                read_cells!(w.worksheet_cells_reader(&name), &name, max_cells)
            }
            Workbook::Xls(w) => w.worksheet_range(&name).map_err(|e| e.to_string()),
            Workbook::Ods(w) => w.worksheet_range(&name).map_err(|e| e.to_string()),
        };
        read.map_err(|e| {
            record_error(
                location,
                0,
                0,
                format!("cannot read sheet {name:?}: {e}"),
                b"",
            )
        })
    }
}
