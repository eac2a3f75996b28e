//! XML (`.xml`): rows are the elements named by `tagname`, streamed with
//! [`quick_xml`] on the blocking bridge. Read and write.
//!
//! # Reading
//!
//! The document is read event by event; only the row being built is held. A row is
//! each element named [`XmlOptions::tagname`](iterable_core::XmlOptions) at any depth
//! (without a tagname: each child element of the root). Inside a row:
//! - attributes are columns named `@name`;
//! - a child element with only text is that text (a string); an empty one is null;
//! - a child element with attributes or children of its own is a map of the same
//!   shape, its text (if any) under `#text`; the row's own text is `#text` too;
//! - a child name that repeats gives a list of its values, in order (one occurrence
//!   is not a list);
//! - text is the concatenation of the element's text, CDATA and entity references,
//!   trimmed; whitespace-only text is ignored; comments and processing instructions
//!   are skipped;
//! - with `strip_namespaces`, `dc:title` is named `title` and `xmlns` declarations are
//!   dropped (the tagname then matches local names).
//!
//! Malformed XML (a mismatched end tag, a bad attribute, an unknown entity) and input
//! that ends inside an element are errors naming the record being read and the byte
//! offset, and end the stream. The text encoding is found as the XML specification
//! says: a byte order mark (UTF-8, UTF-16), then `<?` in UTF-16 without one, then the
//! declaration's `encoding="..."` (any WHATWG label: ISO-8859-1, windows-1252,
//! Shift_JIS, ...); without any, UTF-8. An encoding name that is not known, and bytes
//! not valid in the encoding, are errors.
//!
//! # Writing
//!
//! `<?xml version="1.0" encoding="UTF-8"?>`, the root element
//! ([`XmlOptions::root`](iterable_core::XmlOptions), default `root`), then one element per
//! row (named by the tagname, default `item`), the same shape as reading: `@name`
//! columns become attributes, `#text` the element's text, maps nested elements, lists
//! repeated elements, null an empty element; other values are written as their text.
//! A column whose name is not a valid XML name is an error naming the row.

#[cfg(feature = "xml")]
mod encoding;
#[cfg(feature = "xml")]
mod imp;
#[cfg(feature = "xml")]
pub use imp::*;

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer, Values};

/// The registry's description of the format.
pub static XML: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: |head| crate::registry::text_start(head).is_some_and(|t| t[0] == b'<'),
    }),
    capabilities: Capabilities {
        values: Values::Text,
        marks_end: true,
        ..Capabilities::TYPED
    },
    read_options: &[
        &opt::XML_TAGNAME,
        &opt::STRIP_NAMESPACES,
        &opt::MAX_RECORD_BYTES,
    ],
    write_options: &[&opt::XML_TAGNAME, &opt::XML_ROOT],
    feature: "xml",
    builders: BUILDERS,
    ..FormatSpec::new(
        Format::XML,
        "XML: rows are the elements named by --tagname",
        &["xml"],
    )
};

#[cfg(feature = "xml")]
const BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(imp::open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(imp::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "xml"))]
const BUILDERS: Option<Builders> = None;
