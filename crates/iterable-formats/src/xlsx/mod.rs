//! Spreadsheets: Excel workbooks (`.xlsx`), Excel binary workbooks
//! (`.xlsb`), Excel 97-2003 workbooks (`.xls`) and OpenDocument spreadsheets
//! (`.ods`), read with [`calamine`]; XLSX written with [`rust_xlsxwriter`], ODS by our
//! own writer (`ods_write.rs`); all on the blocking bridge.
//!
//! The four are one reader: which kind a workbook is comes from its bytes (a
//! compound file is XLS; a zip with `mimetype` and `content.xml` is ODS, one with
//! `xl/workbook.bin` XLSB, any other zip XLSX), so a file whose name says the wrong
//! kind still opens. The names pick the format only for writing and for help.
//!
//! A workbook is held whole: both libraries need random access to it, so reading
//! takes the whole (decoded) source into memory before parsing (at most 1 GiB; more
//! is an error), and writing builds the workbook in memory and writes it out on
//! `aclose`. A sheet is laid out whole too, one cell value for every position from
//! its first cell to its last, so a sheet whose box spans more than
//! `max_unpacked_bytes / 32` cells (33,554,432 at the default 1 GiB) is an error
//! naming the sheet and the cell, checked before anything is laid out: XLSX and XLSB
//! cell by cell as calamine reads them; XLS and ODS, which calamine lays out whole
//! on opening, by reading their cell records first. Zip-based workbooks also unpack
//! to at most `max_unpacked_bytes`. [`sheet_names`] lists a workbook's sheets.
//!
//! # Reading
//!
//! The sheet is [`XlsxOptions::sheet`](iterable_core::XlsxOptions) (by name or
//! 0-based index; default the first); a missing sheet is an error listing the
//! workbook's sheets. The first row of the used range names the columns (empty header
//! cells are `column_N`, a repeated name gets `_2`, `_3`, ...) unless `has_header` is
//! false. Cells keep their types: numbers are `Float`, or `Int` when whole (Excel
//! stores every number as a float), booleans `Bool`, text `String`, dates `Date`
//! (date-times at midnight included) and date-times `Timestamp` without a zone,
//! durations their length in days as `Float`, error cells their text (`#DIV/0!`),
//! empty cells null. Empty rows after the last row with a value are ignored; empty
//! rows between are rows of nulls. A file that is not a workbook is an error naming
//! the file.
//!
//! # Writing
//!
//! One sheet (named by a [`Sheet::Name`](iterable_core::Sheet) option, default
//! `Sheet1`): the header row is the first row's keys, and a later row's new key adds
//! a column (its header is written then). Numbers are written as numbers (an `Int`
//! beyond ±2^53, which a float cannot hold exactly, as text), booleans as booleans,
//! dates with the format `yyyy-mm-dd`, timestamps as their date-time (the zone is
//! dropped) with `yyyy-mm-dd hh:mm:ss`, decimals, bytes, lists and maps as text. More
//! than 1,048,575 rows is an error naming the row.
//!
//! ODS is written the same way (one sheet, the same header, the same types: dates
//! and date-times as ODF dates with `yyyy-mm-dd` and `yyyy-mm-dd hh:mm:ss` styles,
//! other values as text with spaces, tabs and line ends kept), but in flat memory:
//! the rows' markup goes to a temporary file as they come, and the document is put
//! together from it on `aclose`. A character XML cannot hold (a control character)
//! is an error naming the row and column.

#[cfg(feature = "xlsx")]
mod guard;
#[cfg(feature = "xlsx")]
mod imp;
#[cfg(feature = "xlsx")]
mod ods_write;
#[cfg(feature = "xlsx")]
mod workbook;
#[cfg(feature = "xlsx")]
pub use imp::*;

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// The magic number of a compound file (OLE2), the container of an XLS workbook.
pub(crate) const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Excel 97-2003's format name.
pub const XLS_FORMAT: Format = Format::new("xls");
/// Excel binary workbooks' format name.
pub const XLSB_FORMAT: Format = Format::new("xlsb");
/// OpenDocument spreadsheets' format name.
pub const ODS_FORMAT: Format = Format::new("ods");

/// What a workbook that is written and read can do: typed cells by column, nulls
/// as empty cells, nesting as text.
const WORKBOOK: Capabilities = Capabilities {
    binary: true,
    container: true,
    nested: false,
    marks_end: true,
    typed_columns: true,
    ..Capabilities::TYPED
};

/// What a workbook that is only read can do: typed cells by column, no nulls kept
/// (an empty cell reads as null, there is no writer to keep one).
const READ_ONLY: Capabilities = Capabilities {
    binary: true,
    write: false,
    container: true,
    nested: false,
    marks_end: true,
    typed_columns: true,
    ..Capabilities::TYPED
};

const READ_OPTIONS: &[&crate::registry::OptionSpec] = &[
    &opt::SHEET,
    &opt::SHEET_INDEX,
    &opt::SHEET_NO_HEADER,
    &opt::MAX_UNPACKED_BYTES,
];

/// The registry's description of Excel 97-2003 workbooks (read only).
pub static XLS: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        matches: |head| head.starts_with(&OLE_MAGIC),
    }),
    capabilities: READ_ONLY,
    read_options: READ_OPTIONS,
    write_options: &[],
    feature: "xlsx",
    builders: READ_BUILDERS,
    ..FormatSpec::new(
        XLS_FORMAT,
        "Excel 97-2003 workbooks (one sheet; read only)",
        &["xls"],
    )
};

/// The registry's description of Excel binary workbooks (read only).
pub static XLSB: FormatSpec = FormatSpec {
    capabilities: READ_ONLY,
    read_options: READ_OPTIONS,
    write_options: &[],
    feature: "xlsx",
    builders: READ_BUILDERS,
    ..FormatSpec::new(
        XLSB_FORMAT,
        "Excel binary workbooks (one sheet; read only)",
        &["xlsb"],
    )
};

/// The registry's description of OpenDocument spreadsheets.
pub static ODS: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        // The first member of an OpenDocument file is `mimetype`, stored, holding the
        // document's type.
        matches: |head| {
            head.starts_with(b"PK\x03\x04")
                && head.get(30..38) == Some(b"mimetype")
                && memchr::memmem::find(head, b"opendocument.spreadsheet").is_some()
        },
    }),
    capabilities: WORKBOOK,
    read_options: READ_OPTIONS,
    write_options: &[&opt::SHEET],
    feature: "xlsx",
    builders: ODS_BUILDERS,
    ..FormatSpec::new(
        ODS_FORMAT,
        "OpenDocument spreadsheets (one sheet)",
        &["ods"],
    )
};

/// The registry's description of the format.
pub static XLSX: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        matches: |head| head.starts_with(b"PK\x03\x04"),
    }),
    capabilities: WORKBOOK,
    read_options: READ_OPTIONS,
    write_options: &[&opt::SHEET],
    feature: "xlsx",
    builders: BUILDERS,
    ..FormatSpec::new(Format::XLSX, "Excel workbooks (one sheet)", &["xlsx"])
};

#[cfg(feature = "xlsx")]
const BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(imp::open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(imp::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "xlsx"))]
const BUILDERS: Option<Builders> = None;

#[cfg(feature = "xlsx")]
const ODS_BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(imp::open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(ods_write::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "xlsx"))]
const ODS_BUILDERS: Option<Builders> = None;

#[cfg(feature = "xlsx")]
const READ_BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(imp::open_reader(r, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "xlsx"))]
const READ_BUILDERS: Option<Builders> = None;
