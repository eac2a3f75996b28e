//! MessagePack (`.msgpack`, `.mp`): a stream of maps, one row each. Read and write,
//! with [`rmpv`], on the blocking bridge.
//!
//! # Reading
//!
//! Values one after another; each must be a map (anything else is an error naming
//! the record). Keys that are not strings become their text. Integers up to
//! `i64::MAX` are `Int`, larger unsigned ones an exact `Decimal`; 32- and 64-bit floats
//! are `Float`; binary is `Bytes`; strings that are not UTF-8 are kept as `Bytes`;
//! the timestamp extension (type -1) is a UTC
//! [`Timestamp`](iterable_core::Value::Timestamp); other extensions are
//! `{"type": <i8>, "data": <bytes>}`. Nesting deeper than 1024 levels, a truncated or
//! corrupt value is an error naming the record and the byte offset of its start, and
//! ends the stream.
//!
//! # Writing
//!
//! Each row becomes one map, keys in column order: `Timestamp` as the timestamp
//! extension (UTC), `Date` as its `YYYY-MM-DD` text and `Decimal` as its exact text
//! (MessagePack has no date or decimal type), lists as arrays, maps as maps.

#[cfg(feature = "msgpack")]
mod imp;
#[cfg(feature = "msgpack")]
pub use imp::*;

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec};

/// The registry's description of the format.
pub static MSGPACK: FormatSpec = FormatSpec {
    sniffer: None,
    capabilities: Capabilities {
        binary: true,
        ..Capabilities::TYPED
    },
    read_options: &[&opt::MAX_RECORD_BYTES, &opt::DUPLICATE_KEYS],
    write_options: &[],
    feature: "msgpack",
    builders: BUILDERS,
    ..FormatSpec::new(
        Format::MSGPACK,
        "a stream of MessagePack maps",
        &["msgpack", "mp", "mpk"],
    )
};

#[cfg(feature = "msgpack")]
const BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(imp::open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(imp::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "msgpack"))]
const BUILDERS: Option<Builders> = None;
