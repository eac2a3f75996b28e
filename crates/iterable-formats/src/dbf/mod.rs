//! dBASE / FoxPro tables (`.dbf`), read with [`dbase`] on the blocking bridge. Read
//! only.
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
//! file beside it is an error naming the file it looked for.

#[cfg(feature = "dbf")]
mod imp;

use iterable_core::Format;

use crate::registry::{Builders, Capabilities, FormatSpec};

/// DBF's format name.
pub const DBF_FORMAT: Format = Format::new("dbf");

/// The registry's description of DBF.
pub static DBF: FormatSpec = FormatSpec {
    aliases: &["dbase", "foxpro"],
    capabilities: Capabilities {
        write: false,
        container: true,
        nested: false,
        marks_end: true,
        typed_columns: true,
        ..Capabilities::TYPED
    },
    read_options: &[&crate::registry::options::ENCODING],
    write_options: &[],
    feature: "dbf",
    builders: BUILDERS,
    ..FormatSpec::new(DBF_FORMAT, "dBASE / FoxPro tables (read only)", &["dbf"])
};

#[cfg(feature = "dbf")]
const BUILDERS: Option<Builders> = Some(Builders {
    file_reader: Some(|f, ctx| Box::pin(imp::open_file(f, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "dbf"))]
const BUILDERS: Option<Builders> = None;
