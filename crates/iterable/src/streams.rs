//! Rows over byte streams of your own: a reader over any `AsyncBufRead`, a writer over
//! any `AsyncWrite`, with the format named in the [`ReadContext`] / [`WriteContext`]
//! rather than detected from a location.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use futures::StreamExt;
//! use iterable::streams::{open_reader, open_writer, ReadContext, WriteContext};
//! use iterable::{row, Codec, Format, IterableInfo, Mode, Options};
//!
//! let info = |mode| IterableInfo { location: "in memory".into(), format: Format::CSV, codec: Codec::None, mode, encoding: None };
//!
//! // Write two rows to a file of our own (any AsyncWrite: a socket, a pipe, ...).
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("people");
//! let file = tokio::fs::File::create(&path).await.unwrap();
//! let mut out = open_writer(file, WriteContext::new(info(Mode::Write), Options::default())).await?;
//! out.awrite(&row! { "id" => 1, "name" => "Anna" }).await?;
//! out.awrite(&row! { "id" => 2, "name" => "Ben" }).await?;
//! out.aclose().await?;
//! assert_eq!(std::fs::read(&path).unwrap(), b"id,name\n1,Anna\n2,Ben\n");
//!
//! // Read them back from any AsyncBufRead.
//! let bytes: &'static [u8] = b"id,name\n1,Anna\n2,Ben\n";
//! let mut rows = open_reader(bytes, ReadContext::new(info(Mode::Read), Options::default())).await?;
//! assert_eq!(rows.next().await.unwrap()?["name"].as_str(), Some("Anna"));
//! # Ok::<(), iterable::Error>(())
//! # }).unwrap();
//! ```
//!
//! The byte layer under [`aopen_iterable`](crate::aopen_iterable) (locations to
//! decoded bytes and back, codecs, atomic files, globs) is [`crate::bytes`].

pub use iterable_formats::registry::{BoxReader, BoxWriter};
pub use iterable_formats::{
    ReadContext, WriteContext, open_boxed_reader, open_boxed_writer, open_file_reader, open_reader,
    open_writer, rows_iterable,
};
