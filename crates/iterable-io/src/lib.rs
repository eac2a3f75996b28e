//! Bytes in and out for `iterable`: local files, `file://` paths and stdin/stdout,
//! compression codecs, zip members, atomic local writes, text transcoding and the
//! dead-letter file.
//!
//! This crate knows no row format. [`open_source`] turns a location into a
//! [`ByteSource`]: the decoded (decompressed) bytes, with a peek at their start for
//! format sniffing and a raw byte counter for progress. [`open_sink`] turns a location
//! into a [`ByteSink`], an [`AsyncWrite`](tokio::io::AsyncWrite) that compresses and
//! only publishes the file on a successful `shutdown`.
//!
//! With the cargo features `aws`, `gcp`, `azure`, `http` (or `store` for `memory://`
//! alone), [`open_source_with`] and [`open_sink_with`] also take object store URLs:
//! reads stream one GET, writes are multipart uploads completed by `shutdown` and
//! aborted on failure or drop, transient errors are retried with backoff. [`expand`]
//! turns a glob, prefix or folder into its sorted list of files.
//!
//! # Codecs
//!
//! gzip, zstd, bzip2, xz, lzma, lz4 (frame), brotli, raw deflate and zlib are read and
//! written; a zip archive is read (one member), never written. On reading, the codec
//! comes from the magic bytes of the raw stream when they name one (a gzip file named
//! `x.csv` reads as gzip), otherwise from the name (brotli and raw deflate have no
//! magic). Concatenated streams (`cat a.gz b.gz`) read whole in every codec. Truncated or corrupt compressed input is an I/O error whose message names
//! the codec and says the stream is truncated or corrupt, never a short read.
//!
//! Two detection details: the zlib header `x^` (`78 5e`) is plausible text, so it is only
//! trusted when the name names no format; and a `PK` zip magic is not unpacked when the
//! name says `.xlsx` (a workbook is a zip the format reads itself). An empty file reads as
//! zero bytes when its name names no codec, and is an error under a codec's name (no
//! compressed stream is zero bytes long). Every codec reads concatenated streams whole,
//! and bytes after the last stream that are not another stream are an error.
//!
//! # Example
//!
//! ```
//! use iterable_core::Codec;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> iterable_core::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("rows.csv.zst");
//! let path = path.to_str().unwrap();
//!
//! let mut sink = iterable_io::open_sink(path, Codec::Zstd, None).await?;
//! sink.write_all(b"id,name\n1,Anna\n").await.unwrap();
//! sink.shutdown().await.unwrap(); // writes the trailer and publishes the file
//!
//! let mut source = iterable_io::open_source(path, None, None).await?;
//! assert_eq!(source.codec, Codec::Zstd);
//! assert_eq!(source.peek(3).await?, b"id,");
//! let mut text = String::new();
//! source.into_reader().read_to_string(&mut text).await.unwrap();
//! assert_eq!(text, "id,name\n1,Anna\n");
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod channel;
mod codec;
mod counting;
mod dead_letter;
mod encode_behind;
mod glob;
mod location;
mod peek;
mod pipeline;
mod read_ahead;
mod sink;
mod snappy;
mod source;
#[cfg(feature = "store")]
mod store;
mod temp_files;
mod thread_panic;
mod transcode;
mod zip;

pub use dead_letter::open_dead_letter;
pub use glob::{expand, expand_with, has_glob, names_many};
pub use location::local_path;
/// The `object_store` crate these locations go through.
#[cfg(feature = "store")]
pub use object_store;
pub use sink::{ByteSink, open_sink, open_sink_with};
pub use source::{ByteSource, open_source, open_source_with};
#[cfg(feature = "store")]
pub use store::{object_store_at, store_error};
pub use temp_files::remove_temporary_files;
pub use transcode::transcode_to_utf8;

/// A boxed, buffered byte reader: what [`ByteSource::into_reader`] hands to a parser.
pub type ByteReader = Box<dyn tokio::io::AsyncBufRead + Send + Unpin>;

/// The buffer size of readers and writers in this crate.
pub(crate) const BUF_SIZE: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    #[test]
    fn handles_move_between_tasks() {
        fn send_unpin<T: Send + Unpin + 'static>() {}
        send_unpin::<super::ByteSource>();
        send_unpin::<super::ByteSink>();
        send_unpin::<super::ByteReader>();
    }
}
