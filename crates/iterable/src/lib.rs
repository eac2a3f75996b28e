//! `iterable`: one call opens a file (or stdin), detects its format and compression
//! from the name — and from the first bytes when the name says nothing or lies — and
//! returns a boxed [`AsyncIterable`]: a `futures::Stream` of [`Row`]s that can also be
//! read in bulk, written, rewound and closed.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use futures::StreamExt;
//! use iterable::{aopen_iterable, row, IterableOptions};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("people.jsonl.gz");
//! let path = path.to_str().unwrap();
//!
//! // Write: format and codec from the name; the file appears on `aclose`.
//! let mut out = IterableOptions::write().open(path).await?;
//! out.awrite(&row! { "id" => 1, "name" => "Anna" }).await?;
//! out.awrite(&row! { "id" => 2, "name" => "Ben" }).await?;
//! out.aclose().await?;
//!
//! // Read it back as a stream.
//! let mut src = aopen_iterable(path).await?;
//! let mut names = Vec::new();
//! while let Some(row) = src.next().await {
//!     names.push(row?["name"].to_string());
//! }
//! assert_eq!(names, ["Anna", "Ben"]);
//! # Ok::<(), iterable::Error>(())
//! # }).unwrap();
//! ```
//!
//! A [`Row`] holds [`Value`]s; text is a [`Text`] (`Value::String`), which keeps up to
//! 24 bytes inline and reads as a `str`:
//!
//! ```
//! use iterable::{row, Text, Value};
//!
//! let r = row! { "name" => "Anna" };
//! assert_eq!(r["name"].as_str(), Some("Anna"));
//! if let Value::String(name) = &r["name"] {
//!     let owned: String = name.to_string();
//!     assert_eq!(owned, "Anna");
//! }
//! assert_eq!(Value::String(Text::from("x")), Value::from("x"));
//! ```
//!
//! Parquet and Arrow IPC (cargo features `parquet` and `arrow`, on by default) read and
//! write typed values; [`arrow`] hands any location to Arrow code as `RecordBatch`es
//! and writes batches to any format.
//!
//! An ETL job in one call: [`aconvert`] copies any location into any other, format and
//! codec from the names, types kept, with a [`ConvertReport`] and, if asked, progress
//! events ([`progress`]); [`abulk_convert`] does it for many files at a time, each output
//! named by a pattern (`out/{stem}.parquet`), with a [`BulkReport`]; [`apipeline`]
//! puts stages between a source and a writer; [`TypedRows`] reads and writes your own
//! serde types; [`blocking`] is all of it for synchronous code.
//!
//! A database table or query is a location too: `sqlite://app.db?table=orders` (feature
//! `sqlite`, on by default), `postgres://user@host/db?table=orders` (feature `postgres`)
//! and `mysql://user@host/db?query=SELECT …` (feature `mysql`, MySQL and MariaDB) read
//! and write like files, a write in one transaction that `aclose` commits.
//!
//! Beyond opening locations: [`streams`] builds readers and writers over byte streams
//! of your own, [`bytes`] is the byte layer (locations, codecs, atomic files, globs),
//! [`implement`] is what a format of your own is made of, and [`registry`] lists the
//! formats. The crates behind it: `iterable-core` (the trait, rows, errors, detection),
//! `iterable-io` (files, codecs, atomic writes), `iterable-formats` (parsers); this
//! crate wires them together.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "arrow")]
pub mod arrow;
#[cfg(feature = "arrow")]
mod batch_columns;
pub mod blocking;
mod bulk;
pub mod bytes;
mod columns;
mod convert;
#[cfg(feature = "arrow")]
mod convert_columnar;
#[cfg(feature = "arrow")]
mod database_schema;
mod databases;
mod encoding_detect;
mod filter;
pub mod implement;
mod many;
mod nested;
mod open;
mod options;
mod pipeline;
pub mod progress;
mod reopen;
mod road;
#[cfg(all(feature = "parquet", feature = "store"))]
mod store_parquet;
pub mod streams;
mod typed;

/// Test helpers for format implementers (cargo feature `testing`): the conformance
/// suite every format passes (`testing::conformance::check_format`) and a reader that
/// hands out bytes a few at a time with `Pending` between reads.
#[cfg(feature = "testing")]
pub use iterable_formats::testing;

pub use bulk::{BulkReport, DEFAULT_BULK_CONCURRENCY, FileOutcome, abulk_convert};
pub use convert::{ConvertOptions, ConvertReport, DEFAULT_CONVERT_BATCH, aconvert, aconvert_many};
pub use filter::{FilterError, RowFilter};
pub use iterable_core::policy::{DeadLetterSink, ErrorHandler};
pub use iterable_core::{
    AsyncIterable, AvroCodec, AvroOptions, BoxIterable, Codec, ColumnarCompression,
    ColumnarOptions, CsvOptions, DatabaseOptions, Decimal, DuplicateKeys, Error, ErrorPolicy,
    ExtraKeys, FileOrder, FilesOptions, Format, Header, HeaderBuilder, IterableInfo, JsonOptions,
    Limits, MAX_NESTING_DEPTH, Mode, NestedOptions, NestedValues, Options, Parallelism, ParseError,
    Position, Progress, Result, Row, RowSeed, Sheet, StoreOptions, TableMode, Text, Timestamp,
    Value, XlsxOptions, XmlOptions, panic_message, row,
};
pub use iterable_db::mask_password;
pub use iterable_formats::registry::{self, NameHints};
pub use iterable_io::remove_temporary_files;
pub use nested::{flatten_row, unflatten_row};
pub use open::aopen_iterable;
#[cfg(feature = "xlsx")]
pub use open::sheet_names;
pub use options::IterableOptions;
pub use pipeline::{Pipeline, apipeline, from_rows};
pub use progress::{ProgressEvent, ProgressEvery, with_progress};
pub use typed::{Deserialized, TypedRows};
