//! Apache Avro object container files (`.avro`): read by the project's own container
//! reader and datum decoder, on the blocking bridge; written with [`apache_avro`].
//!
//! # Reading
//!
//! The schema comes from the file's header and is parsed by `apache_avro`; the blocks
//! after it are read by `container.rs` (each checked against the header's sync marker,
//! then decompressed with `apache_avro`'s codecs: null, deflate, snappy, zstandard,
//! at most 512 MiB a block) and their records decoded by `datum.rs`, straight from
//! the block's bytes into rows (one shared header per record type). The top-level
//! record is the row; values map to [`Value`](iterable_core::Value):
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
//! | decimal (bytes or fixed), big-decimal | `Decimal` (the scale from the schema); wider than 38 digits or a scale past -128..127, its exact text |
//! | duration | `Map` of `months`, `days`, `millis` |
//! | array, map, record | `List`, `Map` (map keys sorted; of a repeated key, the last), `Map` |
//! | union | its branch's value |
//!
//! A date, time or timestamp outside what the target type holds stays the number.
//!
//! The input is untrusted: arrays, maps and records nest at most
//! [`MAX_NESTING_DEPTH`](iterable_core::MAX_NESTING_DEPTH) levels (a recursive record
//! nests one byte a level), a record may take at most
//! [`max_record_bytes`](iterable_core::Limits::max_record_bytes) (so may each header
//! entry), values that take no bytes at all (an array of nulls) at most
//! `max_record_bytes / 32` in one record, and every length is checked against the
//! bytes there. A file that is not Avro, an unsupported codec, a truncated or corrupt
//! block (a wrong sync marker, a block that does not decompress, bytes left after its
//! records, more records declared than bytes) and a bad record are errors naming the
//! file, the record and the byte (a record's own byte in uncompressed blocks; in
//! compressed ones the block's byte and the record's place in its decompressed data),
//! and end the stream.
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
mod container;
#[cfg(feature = "avro")]
mod datum;
#[cfg(feature = "avro")]
mod imp;
#[cfg(feature = "avro")]
mod logical;
#[cfg(feature = "avro")]
mod varint;
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
        binary: true,
        container: true,
        typed_columns: true,
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
