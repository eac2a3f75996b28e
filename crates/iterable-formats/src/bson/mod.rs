//! BSON (`.bson`): a stream of BSON documents, one row each (as `mongodump` writes
//! them). Read and write, with the [`bson`] crate, on the blocking bridge.
//!
//! # Reading
//!
//! Each document is read whole (its length prefix says how long it is; at most
//! 64 MiB) and converted: doubles to floats, 32- and 64-bit integers to `Int`,
//! `DateTime` to a UTC [`Timestamp`](iterable_core::Value::Timestamp), `Decimal128` to an
//! exact [`Decimal`](iterable_core::Value::Decimal) (or its
//! text when it has no finite value), binary to `Bytes`, an `ObjectId` to its hex
//! text, a regular expression to `/pattern/options`, JavaScript code and symbols to
//! their text, the internal timestamp to `{"t", "i"}`, `undefined` and min/max keys
//! to null. A truncated document, or one that does not parse, is an error naming the
//! record and the byte offset of its start, and ends the stream.
//!
//! # Writing
//!
//! Each row becomes one document, keys in column order: `Int` as int64, `Float` as
//! double, `Bytes` as generic binary, `Timestamp` as a UTC `DateTime` (millisecond
//! precision), `Date` as a `DateTime` at midnight UTC, `Decimal` as `Decimal128`
//! (through its text), lists as arrays and maps as embedded documents.

#[cfg(feature = "bson")]
mod imp;
#[cfg(feature = "bson")]
pub use imp::*;

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec};

/// The registry's description of the format.
pub static BSON: FormatSpec = FormatSpec {
    sniffer: None,
    capabilities: Capabilities {
        binary: true,
        ..Capabilities::TYPED
    },
    read_options: &[&opt::DUPLICATE_KEYS],
    write_options: &[],
    feature: "bson",
    builders: BUILDERS,
    ..FormatSpec::new(
        Format::BSON,
        "a stream of BSON documents (as mongodump writes)",
        &["bson"],
    )
};

#[cfg(feature = "bson")]
const BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(imp::open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(imp::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "bson"))]
const BUILDERS: Option<Builders> = None;
