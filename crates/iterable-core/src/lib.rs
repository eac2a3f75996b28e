//! Core types of `iterable`: the [`AsyncIterable`] trait, [`Row`] and [`Value`], the
//! one [`Error`] type, format and codec detection, and the options every reader and
//! writer takes.
//!
//! This crate knows no runtime, no file and no format: it is the vocabulary that
//! `iterable-io` (bytes), `iterable-formats` (parsers) and the `iterable` facade share.
//!
//! ```
//! use iterable_core::{row, Value};
//!
//! let r = row! { "id" => 1, "name" => "Anna" };
//! assert_eq!(r["name"], Value::from("Anna"));
//! assert_eq!(r["name"].as_str(), Some("Anna")); // `Value::String` holds a `Text`
//! assert_eq!(r.keys().collect::<Vec<_>>(), ["id", "name"]);
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod detect;
mod error;
mod header;
mod iterable;
pub mod limits;
pub mod options;
pub mod policy;
mod row;
pub mod row_serde;
pub mod store_options;
mod text;
mod value;
mod value_ser;

pub use detect::{Codec, CodecSpec, Format};
pub use error::{Error, ParseError, Position, Result, panic_message};
pub use header::{Header, HeaderBuilder, unique_column_names};
pub use iterable::{
    AsyncIterable, BoxIterable, IterableInfo, Mode, Progress, unsupported_read, unsupported_write,
};
pub use limits::{DEFAULT_MAX_RECORD_BYTES, Limits};
pub use options::{
    AvroCodec, AvroOptions, ColumnarCompression, ColumnarOptions, CsvOptions, DatabaseOptions,
    DuplicateKeys, ErrorPolicy, ExtraKeys, JsonOptions, NestedOptions, NestedValues, Options,
    Parallelism, Sheet, TableMode, XlsxOptions, XmlOptions,
};
pub use row::Row;
pub use row_serde::RowSeed;
pub use store_options::{FileOrder, FilesOptions, StoreOptions};
pub use text::Text;
pub use value::{Decimal, MAX_NESTING_DEPTH, Timestamp, Value};

/// Re-exported so that `row!` and `BoxFuture` users need no extra dependency.
pub use futures_core::future::BoxFuture;
