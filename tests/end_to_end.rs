//! The end-to-end tests of iterable, built as one test binary (one link of the whole
//! stack instead of one a file): each module is one subject, run alone with
//! `cargo test -p iterable-tests --test end_to_end <module>::`.
//!
//! Three subjects stay binaries of their own because they watch the whole process:
//! `hostile_input` (a panic hook counts panics), `streamed_flat_memory` and
//! `database_flat_memory` (peak memory).

#[path = "support/ipc_messages.rs"]
mod ipc_messages;
#[path = "support/matrix.rs"]
mod matrix;
mod servers;

mod access_log;
mod arrow_ipc;
mod batches_to_text;
mod blocking;
mod bulk_convert;
mod cbor;
mod conformance;
mod contracts;
mod convert;
mod dbf;
mod documents;
mod duplicate_keys;
mod encoding_detection;
mod fixed_width;
mod geojson;
mod golden;
mod json_columnar;
mod jsonld;
mod kml_gml;
mod limits;
mod line_formats;
mod line_protocol;
mod many_files;
mod mysql;
mod nested;
mod orc;
mod parquet_read;
mod parquet_write;
mod pipeline;
mod postgres;
mod roundtrip;
mod spreadsheets;
mod sql;
mod sqlite;
mod stores;
mod sync_formats;
mod text_columnar;
mod typed_rows;
mod warc;
