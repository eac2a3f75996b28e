//! Excel workbooks (`.xlsx`): read with [`calamine`], written with
//! [`rust_xlsxwriter`], both on the blocking bridge.
//!
//! A workbook is a zip archive, and both libraries need random access to it, so the
//! bytes are held in memory: reading takes the whole (decoded) source into memory
//! before parsing (at most 1 GiB), writing builds the workbook in memory and writes
//! it out on `aclose`. Memory, not a temporary file, because calamine holds a sheet's
//! cells in memory anyway and a sheet has at most 1,048,576 rows. [`sheet_names`]
//! lists a workbook's sheets.
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

#[cfg(feature = "xlsx")]
mod imp;
#[cfg(feature = "xlsx")]
pub use imp::*;

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// The registry's description of the format.
pub static XLSX: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        matches: |head| head.starts_with(b"PK\x03\x04"),
    }),
    capabilities: Capabilities {
        container: true,
        nested: false,
        marks_end: true,
        typed_columns: true,
        ..Capabilities::TYPED
    },
    read_options: &[
        &opt::SHEET,
        &opt::SHEET_INDEX,
        &opt::SHEET_NO_HEADER,
        &opt::MAX_UNPACKED_BYTES,
    ],
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
