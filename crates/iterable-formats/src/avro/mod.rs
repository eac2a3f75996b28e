//! Apache Avro object container files (`.avro`): read and write with
//! [`apache_avro`], on the blocking bridge.
//!
//! # Reading
//!
//! The schema comes from the file; records are read block by block (the container's
//! codecs null, deflate, snappy and zstd are decoded). The top-level record is the
//! row; values map to [`Value`]:
//!
//! | Avro | `Value` |
//! |---|---|
//! | null, boolean, int/long, float/double | `Null`, `Bool`, `Int`, `Float` |
//! | string, enum, uuid | `String` |
//! | bytes, fixed | `Bytes` |
//! | date | `Date` |
//! | time-millis, time-micros | `String` (`HH:MM:SS.fff`, `HH:MM:SS.ffffff`) |
//! | timestamp-millis/micros/nanos | `Timestamp` in UTC |
//! | local-timestamp-millis/micros/nanos | `Timestamp` without a zone |
//! | decimal (bytes or fixed), big-decimal | `Decimal` (the scale from the schema) |
//! | duration | `Map` of `months`, `days`, `millis` |
//! | array, map, record | `List`, `Map` (map keys sorted), `Map` |
//! | union | its branch's value |
//!
//! A file that is not Avro, a corrupt or truncated block are errors naming the file
//! and the record being read, and end the stream.
//!
//! # Writing
//!
//! The schema is inferred from the first 1000 rows (or all of them when fewer):
//! one field per key in first-seen order, each a union of `null` and the type of its
//! values: `long` (`Int`), `double` (`Float`, or a mix of `Int` and `Float`),
//! `boolean`, `string`, `bytes`, `int`/`date`, `long`/`timestamp-micros` (a
//! `Timestamp` with a zone, written in UTC), `long`/`local-timestamp-micros` (without
//! one), `bytes`/`decimal` (precision 38, the largest scale seen), arrays of the
//! items' type, and records for maps; a column with only nulls is `["null",
//! "string"]`. A later row with a key the schema lacks, or a value of another type,
//! is an error naming the row and the column. Blocks are compressed with
//! [`AvroOptions::codec`](iterable_core::AvroOptions) (default none).

#[cfg(feature = "avro")]
mod imp;
#[cfg(feature = "avro")]
pub use imp::*;

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// The registry's description of the format.
pub static AVRO: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        matches: |head| head.starts_with(b"Obj\x01"),
    }),
    capabilities: Capabilities {
        container: true,
        ..Capabilities::TYPED
    },
    read_options: &[],
    write_options: &[&opt::AVRO_CODEC],
    feature: "avro",
    builders: BUILDERS,
    ..FormatSpec::new(
        Format::AVRO,
        "Apache Avro object container files",
        &["avro"],
    )
};

#[cfg(feature = "avro")]
const BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(imp::open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(imp::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "avro"))]
const BUILDERS: Option<Builders> = None;
