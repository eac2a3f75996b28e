//! dBASE / FoxPro tables (`.dbf`), read with [`dbase`] and written by our own
//! writer, both on the blocking bridge.
//!
//! # Reading
//!
//! One row a record, the fields in the table's order and named as the file spells
//! them; deleted records are left out. Values: `C` text (trailing blanks trimmed;
//! blank is null), `N` and `F` numbers (an integer when the field has no decimals
//! and the value is whole, else a float), `L` booleans (`?` is null), `D` dates, `T`
//! date-times (timestamps without a zone), `I` integers, `Y` currency and `B`
//! doubles as floats, `M` memo text. Text is decoded in the code page the header
//! names (its language driver byte; the `encoding` option overrides it).
//!
//! The table is read from a file it can seek in: a local file in place, anything
//! else (stdin, a URL, a compressed file) spooled to a temporary file first. Memo
//! fields live in a file beside the table (`.dbt` for dBASE, `.fpt` for FoxPro, any
//! case), which is found for a local table; a table with memo fields and no memo
//! file beside it is an error naming the file it looked for. A file shorter than its
//! header's record count says is an error naming the record it cuts and its byte.
//!
//! # Writing
//!
//! A dBASE III table (no memo file), text in UTF-8 (language driver byte `0xF0`, the
//! mark `dbase` reads as UTF-8) or in the code page the `encoding` option names (its
//! driver byte set where dBASE has one). The header fixes each field's type and width
//! before the first record, so rows are spooled to an anonymous temporary file and
//! the table is written on `aclose`, in constant memory. A column's field is the type
//! its values share: booleans `L`, dates `D`, timestamps (with dates) `T` (the instant
//! in UTC, to the millisecond; [`dbase`] reads them to the second), integers, floats
//! and decimals `N` as wide as the widest and with as many decimals as the most
//! precise (a float column has at least one, so it reads back as floats) while that
//! fits `N`'s 20 characters; a column of mixed types, or numbers wider than that, is
//! `C`, each value as its text; lists and maps are `C` holding their JSON. Refused,
//! each an error naming the row and column: text over 254 bytes (a `C` field's
//! most; no memo fields are written), characters the encoding cannot hold, bytes,
//! NaN and infinities, a 256th column. Names are cut to 10 bytes and made unique
//! with `_2`, `_3`, ...; a blank `C` field reads as null, so an empty string does
//! too.

#[cfg(feature = "dbf")]
mod fields;
#[cfg(feature = "dbf")]
mod read;
#[cfg(feature = "dbf")]
mod write;

use iterable_core::Format;

use crate::registry::{Builders, Capabilities, FormatSpec};

/// DBF's format name.
pub const DBF_FORMAT: Format = Format::new("dbf");

/// The registry's description of DBF.
pub static DBF: FormatSpec = FormatSpec {
    aliases: &["dbase", "foxpro"],
    capabilities: Capabilities {
        binary: true,
        container: true,
        nested: false,
        // The end byte (0x1A) is often missing from real tables; the header's record
        // count is checked against the file's size instead, so a cut is still an error.
        marks_end: false,
        typed_columns: true,
        ..Capabilities::TYPED
    },
    read_options: &[&crate::registry::options::ENCODING],
    write_options: &[&crate::registry::options::ENCODING],
    feature: "dbf",
    builders: BUILDERS,
    ..FormatSpec::new(DBF_FORMAT, "dBASE / FoxPro tables", &["dbf"])
};

#[cfg(feature = "dbf")]
const BUILDERS: Option<Builders> = Some(Builders {
    file_reader: Some(|f, ctx| Box::pin(read::open_file(f, ctx))),
    writer: Some(|w, ctx| Box::pin(write::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "dbf"))]
const BUILDERS: Option<Builders> = None;
