//! The columnar formats, Parquet and Arrow IPC, and the conversion between Arrow arrays
//! and [`Value`](iterable_core::Value)s that they (and other Arrow-based readers) share.
//!
//! Cargo features: `arrow` compiles Arrow IPC, the conversion and the `RecordBatch`
//! interop; `parquet` adds Parquet (and turns `arrow` on). Neither is on by default in
//! this crate; the `iterable` facade and the CLI turn both on.
//!
//! # Arrow -> Value (reading)
//!
//! | Arrow type | Value |
//! |---|---|
//! | Null | `Null` (every slot) |
//! | Boolean | `Bool` |
//! | Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32 | `Int` |
//! | UInt64 | `Int`, or `Decimal` (scale 0) above `i64::MAX` |
//! | Float16, Float32, Float64 | `Float` |
//! | Utf8, LargeUtf8, Utf8View | `String` |
//! | Binary, LargeBinary, BinaryView, FixedSizeBinary | `Bytes` |
//! | Date32, Date64 | `Date` (Date64's time of day, if any, is dropped) |
//! | Timestamp(unit, tz) | `Timestamp { datetime, tz }`: UTC when `tz` is set, wall clock otherwise; every unit down to ns |
//! | Decimal32/64/128(p, s) | `Decimal { unscaled, scale: s }` |
//! | Decimal256(p, s) | `Decimal` when the value fits an `i128`, else an error naming the column |
//! | List, LargeList, FixedSizeList | `List` |
//! | Struct | `Map` (a nested `Row`, fields in order) |
//! | Map | `Map`, keys as text (`Value::to_string`) |
//! | Dictionary(key, value) | the value type's `Value` (decoded) |
//! | Time32, Time64 | `String` `HH:MM:SS[.f]` |
//! | Duration(unit) | `Int` (a count of the unit) |
//! | others (Interval, RunEndEncoded, Union) | an error naming the column and the type |
//!
//! Null slots are `Value::Null` at every level.
//!
//! # Value -> Arrow (writing)
//!
//! The schema is given (`columnar.schema`) or inferred from the first
//! `columnar.schema_scan_rows` rows ([`infer_schema`]): `Bool` -> Boolean, `Int` ->
//! Int64, `Float` (or a mix of `Int` and `Float`) -> Float64, `String` -> Utf8, `Bytes` ->
//! Binary, `Date` -> Date32, `Timestamp` -> Timestamp(µs, tz), or ns when a sampled value
//! has sub-microsecond digits, `Decimal` -> Decimal128(38, the largest scale seen),
//! `List` -> List(the items' merged type), `Map` -> Struct (the union of the keys seen, in
//! first-seen order); a column that is null in every sampled row -> Utf8. Every inferred
//! column is nullable. Sampled rows that disagree on a column's type are an error that
//! names the column and both types.
//!
//! Into a given (or read) schema, a value is written when it fits exactly: `Int` into any
//! integer width in range, into floats (up to ±2^53) and into decimals; `Float` into any
//! float width (Float32 and Float16 round to the nearest); `Decimal` into a decimal of equal
//! or larger scale; `String` into Utf8/LargeUtf8/Utf8View and dictionary-of-string
//! columns; `Map` into Struct and Map columns; and so on down the table above. A value
//! that does not fit — `"abc"` into Int64, `300` into Int8, a key the schema lacks, a
//! null in a non-nullable column — is an [`Error::Write`](iterable_core::Error::Write)
//! naming the row, the column and the value, never a silent null.
//! A Parquet -> rows -> Parquet round trip written with the schema read keeps every type
//! of the table above (Time and Duration columns included: their text and counts are
//! parsed back).

pub(crate) mod batch_cells;
mod batch_rows;
pub(crate) mod batch_writer;
#[cfg(any(feature = "parquet", feature = "orc"))]
pub(crate) mod encode_thread;
mod from_rows;
mod interop;
mod ipc_check;
mod ipc_read;
mod ipc_write;
mod json_batches;
mod json_columns;
#[cfg(feature = "parquet")]
mod parquet_encodings;
#[cfg(feature = "parquet")]
mod parquet_file;
#[cfg(feature = "parquet")]
mod parquet_groups;
#[cfg(feature = "parquet")]
mod parquet_pool;
#[cfg(feature = "parquet")]
mod parquet_read;
#[cfg(feature = "parquet")]
mod parquet_write;
mod schema_infer;
mod schema_text;
mod text_batches;
mod text_out;
mod to_value;

pub use batch_rows::BatchRowsReader;
pub use from_rows::{FitError, rows_to_record_batch};
pub use interop::{RecordBatchWriter, batches_from_rows, open_batch_writer, write_record_batch};
pub use ipc_read::{ipc_batches, ipc_schema, open_ipc_reader};
pub use ipc_write::open_ipc_writer;
pub use json_batches::{JsonBatchReader, JsonTyping};
pub(crate) use json_columns::JsonColumns;
#[cfg(feature = "parquet")]
pub use parquet_file::{open_parquet_file, parquet_file_batches};
#[cfg(feature = "parquet")]
pub use parquet_read::{open_parquet, parquet_batches, parquet_schema};
#[cfg(feature = "parquet")]
pub use parquet_write::{DEFAULT_COMPRESSION, ROW_GROUP_BYTES, open_parquet_writer};
pub use schema_infer::infer_schema;
pub use schema_text::{parse_schema, schema_to_text};
pub use text_batches::{TextBatchReader, TextTyping};
pub use text_out::{TextBatchWriter, writes_text_batches};
pub use to_value::{ConvertError, array_to_values, header_of, record_batch_to_rows};

/// Re-exported so users of the batch API need no extra dependency.
pub use arrow_array::RecordBatch;
/// Re-exported so users of the batch API need no extra dependency.
pub use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// A reader of record batches one at a time: the columnar roads' readers.
pub(crate) trait NextBatch: Send + 'static {
    /// The next batch; `None` at the end.
    fn next_batch(
        &mut self,
    ) -> impl std::future::Future<Output = iterable_core::Result<Option<arrow_array::RecordBatch>>> + Send;
}

/// The batches of `reader` as a stream; an error is an item of its own.
pub(crate) fn batch_stream<T: NextBatch>(reader: T) -> BatchStream {
    use futures_util::StreamExt;
    futures_util::stream::unfold(reader, |mut reader| async move {
        match reader.next_batch().await {
            Ok(Some(batch)) => Some((Ok(batch), reader)),
            Ok(None) => None,
            Err(e) => Some((Err(e), reader)),
        }
    })
    .boxed()
}

/// A boxed stream of record batches, `Send` and `'static`.
pub type BatchStream =
    futures_util::stream::BoxStream<'static, iterable_core::Result<arrow_array::RecordBatch>>;
