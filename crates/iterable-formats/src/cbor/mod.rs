//! CBOR (RFC 8949, `.cbor`): a sequence of items (RFC 8742), one row a map; read and
//! written with [`ciborium`] on the blocking bridge.
//!
//! # Reading
//!
//! Item by item, each at most `max_record_bytes` (64 MiB by default): a map is a row
//! (keys that are not text are written as their value's text); an array is a row for
//! each of its maps (so one document holding an array of records reads too; it is
//! held whole). The self-described CBOR tag (55799) is taken off. Values: integers
//! (past 64 bits exact, as a decimal of scale 0), floats, text, byte strings as bytes, booleans, null and
//! undefined as null, arrays as lists, maps as maps, tag 0 (RFC 3339 text) and tag 1
//! (epoch seconds) as timestamps in UTC, tag 1004 (RFC 8943 full dates) as dates; any
//! other tag as a map of `tag` and `value`. Another item at the top (a number, a
//! string), a malformed or truncated item, and values nested deeper than the limit of
//! every format are errors naming the item and its byte offset.
//!
//! # Writing
//!
//! Each row a map item, its columns in order. Dates as tag 1004, timestamps as tag 0
//! (RFC 3339 in UTC, nanoseconds kept; a timestamp without a zone is taken as UTC),
//! whole decimals within CBOR's integers (down to -2^64, up to 2^64 - 1) as integers,
//! other decimals as their text.

#[cfg(feature = "cbor")]
mod imp;
#[cfg(feature = "cbor")]
pub use imp::*;

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// CBOR's format name.
pub const CBOR_FORMAT: Format = Format::new("cbor");

/// The registry's description of CBOR.
pub static CBOR: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        // The self-described CBOR tag, 55799, as a writer may put it first.
        matches: |head| head.starts_with(&[0xd9, 0xd9, 0xf7]),
    }),
    capabilities: Capabilities {
        binary: true,
        ..Capabilities::TYPED
    },
    read_options: &[&opt::MAX_RECORD_BYTES],
    write_options: &[],
    feature: "cbor",
    builders: BUILDERS,
    ..FormatSpec::new(CBOR_FORMAT, "CBOR: a sequence of maps", &["cbor", "cbors"])
};

#[cfg(feature = "cbor")]
const BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(imp::open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(imp::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "cbor"))]
const BUILDERS: Option<Builders> = None;
