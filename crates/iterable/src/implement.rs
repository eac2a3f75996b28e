//! What a format of your own is made of, in one place: the registry it joins, the
//! contexts its reader and writer are built from, the error policy its reader obeys
//! (skip, fail, dead-letter), and the helpers that do the common work: a reader of
//! line records ([`LineRecords`] over a [`LineParser`]), a row-by-row writer
//! ([`RecordWriter`] over a [`RecordEncoder`]), a reader over rows already parsed
//! ([`rows_iterable`]), the spool of a non-seekable input to a temporary file, and
//! (with any synchronous format's feature) the [`blocking_bridge`] that runs a
//! synchronous parser on tokio's blocking pool. The conformance suite that checks a
//! format is `iterable::testing` (cargo feature `testing`).
//!
//! A format registered here opens like a built-in one: by its extension (under any
//! codec), by name in `IterableOptions::format`, and on the command line.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use futures::StreamExt;
//! use iterable::implement::{
//!     register, Builders, Capabilities, FormatSpec, LineParser, LineRecords, RecordEncoder,
//!     RecordWriter,
//! };
//! use iterable::{aopen_iterable, Format, IterableOptions, Row, Value};
//!
//! /// `key=value` pairs separated by `;`, one record a line.
//! struct Pairs;
//! impl LineParser for Pairs {
//!     fn parse(&mut self, line: &str) -> Result<Row, String> {
//!         let mut row = Row::new();
//!         for pair in line.split(';') {
//!             let (k, v) = pair.split_once('=').ok_or_else(|| format!("no '=' in {pair:?}"))?;
//!             row.insert(k, v);
//!         }
//!         Ok(row)
//!     }
//! }
//! impl RecordEncoder for Pairs {
//!     fn encode(&mut self, row: &Row, out: &mut Vec<u8>) -> Result<(), String> {
//!         let pairs: Vec<String> = row.iter().map(|(k, v)| format!("{k}={v}")).collect();
//!         out.extend_from_slice(pairs.join(";").as_bytes());
//!         out.push(b'\n');
//!         Ok(())
//!     }
//! }
//!
//! static PAIRS: FormatSpec = FormatSpec {
//!     capabilities: Capabilities::TEXT,
//!     builders: Some(Builders {
//!         reader: Some(|bytes, ctx| Box::pin(async move { Ok(Box::new(LineRecords::new(bytes, Pairs, ctx)) as _) })),
//!         writer: Some(|bytes, ctx| Box::pin(async move { Ok(Box::new(RecordWriter::new(bytes, Pairs, ctx)) as _) })),
//!         ..Builders::NONE
//!     }),
//!     ..FormatSpec::new(Format::new("pairs"), "key=value pairs, one record a line", &["pairs"])
//! };
//! register(&PAIRS);
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("people.pairs.gz");
//! let path = path.to_str().unwrap();
//! let mut out = IterableOptions::write().open(path).await?;
//! out.awrite(&iterable::row! { "name" => "Anna", "city" => "Oslo" }).await?;
//! out.aclose().await?;
//!
//! let mut rows = aopen_iterable(path).await?;
//! assert_eq!(rows.next().await.unwrap()?["city"], Value::from("Oslo"));
//! # Ok::<(), iterable::Error>(())
//! # }).unwrap();
//! ```

pub use iterable_core::policy::{DeadLetterSink, DeferredRecord, ErrorHandler};
pub use iterable_core::{ParseError, Position, RowSeed};
pub use iterable_formats::registry::{
    BoxReader, BoxWriter, Builders, Capabilities, FormatSpec, OpenFile, OpenReader, OpenWriter,
    OptionSpec, OptionTarget, ReadPrepare, SniffStrength, Sniffer, Values, register,
};
pub use iterable_formats::spool::spool_to_temp_file;
pub use iterable_formats::{
    LineParser, LineRecords, ReadContext, RecordEncoder, RecordWriter, WriteContext, rows_iterable,
};

#[cfg(feature = "blocking")]
pub use iterable_formats::blocking_bridge;
