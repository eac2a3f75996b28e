//! TOML (`.toml`): the rows are the tables of an array of tables (`[[item]]`).
//!
//! # Reading
//!
//! A TOML document has no record boundaries a parser can stream over, so the
//! (decoded) document is read whole, at most
//! [`max_record_bytes`](iterable_core::Limits) (64 MiB by default), and parsed with
//! the `toml` crate. The rows are the tables of the document's one top-level array of
//! tables; when it has several, `tagname` names the one (a dotted key such as
//! `data.people` reaches into tables), and without it the error lists them. Keys keep
//! their document order as columns. Values keep their types: strings, integers,
//! floats, booleans, offset date-times as UTC timestamps with their offset as the
//! zone, local date-times as timestamps without a zone, local dates as dates, local
//! times as text, arrays as lists, tables as maps. A document that does not parse is
//! an error with the line and byte offset `toml` reports.
//!
//! # Writing
//!
//! Each row is one `[[tagname]]` table (default `item`), written as it comes. TOML
//! has no null: a null value leaves its key out (declared in the registry: `nulls:
//! false`); a null inside a list cannot be left out, and is a write error. Decimals and bytes are written as text,
//! timestamps as date-times (with their offset when they have a zone), maps as
//! sub-tables, lists as arrays.

#[cfg(feature = "toml")]
mod imp;
#[cfg(feature = "toml")]
pub use imp::*;

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// TOML's format name.
pub const TOML_FORMAT: Format = Format::new("toml");

/// The registry's description of TOML.
pub static TOML: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: looks_like_toml,
    }),
    capabilities: Capabilities {
        nulls: false,
        ..Capabilities::TYPED
    },
    read_options: &[&opt::TOML_TAGNAME, &opt::MAX_RECORD_BYTES],
    write_options: &[&opt::TOML_TAGNAME],
    feature: "toml",
    builders: BUILDERS,
    ..FormatSpec::new(
        TOML_FORMAT,
        "TOML: the rows of an array of tables ([[item]])",
        &["toml"],
    )
};

#[cfg(feature = "toml")]
const BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(imp::open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(imp::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "toml"))]
const BUILDERS: Option<Builders> = None;

/// The first line that is not blank or a comment is an array-of-tables header
/// (`[[name]]`).
fn looks_like_toml(head: &[u8]) -> bool {
    let Some(text) = crate::registry::text_start(head) else {
        return false;
    };
    let line = text
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii())
        .find(|l| !l.is_empty() && !l.starts_with(b"#"));
    line.is_some_and(|l| {
        l.starts_with(b"[[")
            && l.ends_with(b"]]")
            && l.len() > 4
            && l[2..l.len() - 2].iter().all(|&b| {
                b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'"' | b' ')
            })
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sniffs_arrays_of_tables() {
        assert!(super::looks_like_toml(
            b"# people\n\n[[item]]\nid = \"1\"\n"
        ));
        assert!(super::looks_like_toml(b"[[data.people]]\n"));
        assert!(!super::looks_like_toml(b"[[1, 2]]\n"));
        assert!(!super::looks_like_toml(b"[{\"a\": 1}]"));
    }
}
