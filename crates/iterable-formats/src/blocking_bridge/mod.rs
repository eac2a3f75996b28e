//! The blocking bridge: runs a synchronous row reader or writer on tokio's blocking
//! pool and moves rows to and from the async side in batches over a bounded channel.
//!
//! Many format libraries (Avro, Excel, XML, YAML, BSON, MessagePack) are synchronous:
//! they read from a [`std::io::Read`] and write to a [`std::io::Write`]. The bridge
//! gives them those, fed by the same async byte layer as every other format (so
//! compressed, zipped and remote inputs work), and turns them into an
//! [`AsyncIterable`](iterable_core::AsyncIterable):
//!
//! - [`spawn_reader`]: the format builds an `Iterator<Item = Result<Row>>` over a
//!   [`SyncInput`] on a `spawn_blocking` thread; rows come back in batches over a
//!   channel of `BridgeConfig::batches_ahead` batches, so at most about
//!   `(batches_ahead + 2) * batch_rows` rows are parsed ahead of a slow consumer and
//!   memory stays flat. Parsers that push rows rather than being iterated use
//!   [`spawn_producer`] and a [`RowSender`]. Dropping the [`BlockingReader`] stops the thread: its next
//!   send fails and its next read of [`SyncInput`] returns an error, so a parser busy
//!   reading ends too. `aclose` stops it and waits for the thread to end.
//! - [`spawn_writer`]: rows are sent in batches to a [`RowWriter`] running on a
//!   blocking thread over a [`SyncOutput`] that forwards (buffered) to the async sink.
//!   `aclose` finishes the writer (trailers, footers) and shuts the sink down, which
//!   is what publishes an atomic file. A writer dropped without `aclose`, or one that
//!   fails, never shuts the sink down, so an atomic file sink deletes its temporary
//!   file and no output appears. Writers that pull rows rather than being handed them
//!   (their encoder borrows a schema) use [`spawn_consumer`] and a [`RowReceiver`].
//!
//! Errors keep their position: the reader's errors travel through the channel as they
//! are, after the rows parsed before them. A thread that panics ends the stream with
//! an error, never a silent short read.
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> iterable_core::Result<()> {
//! use std::io::BufRead;
//! use futures::StreamExt;
//! use iterable_core::{row, Codec, Format, IterableInfo, Mode};
//! use iterable_formats::blocking_bridge::{spawn_reader, BridgeConfig, ReaderSetup};
//!
//! let info = IterableInfo { location: "names.txt".into(), format: Format::CSV, codec: Codec::None, mode: Mode::Read, encoding: None };
//! let bytes: &'static [u8] = b"Anna\nBen\n";
//! let mut rows = spawn_reader(bytes, ReaderSetup::new(info, BridgeConfig::default()), |input| {
//!     // Any synchronous parser over `input` (a std::io::BufRead) goes here.
//!     Ok(input.lines().map(|line| Ok(row! { "name" => line.unwrap() })))
//! });
//! let first = rows.next().await.unwrap()?;
//! assert_eq!(first["name"].as_str(), Some("Anna"));
//! assert_eq!(rows.next().await.unwrap()?["name"].as_str(), Some("Ben"));
//! assert!(rows.next().await.is_none());
//! # Ok(())
//! # }
//! ```

mod reader;
mod record_meter;
mod sync_input;
mod sync_output;
mod writer;

pub use reader::{BlockingReader, ReaderSetup, RowSender, spawn_producer, spawn_reader};
pub use record_meter::{Metered, RecordMeter};
pub use sync_input::SyncInput;
pub use sync_output::SyncOutput;
pub use writer::{BlockingWriter, RowReceiver, RowWriter, spawn_consumer, spawn_writer};

/// How rows travel between the blocking thread and the async side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BridgeConfig {
    /// Rows per batch (at least 1). Reading starts with small batches (16 rows) and
    /// doubles up to this, so the first rows arrive early.
    pub batch_rows: usize,
    /// Batches the channel holds (at least 1): how far the producer may run ahead.
    pub batches_ahead: usize,
}

impl Default for BridgeConfig {
    fn default() -> Self {
        BridgeConfig {
            batch_rows: 1024,
            batches_ahead: 2,
        }
    }
}

impl BridgeConfig {
    /// The bridge for a reader or writer opened with `batch_size` rows per batch: the
    /// batch is capped at 1024 rows so that wide rows keep memory small.
    pub fn for_batch_size(batch_size: usize) -> Self {
        BridgeConfig {
            batch_rows: batch_size.clamp(1, 1024),
            ..BridgeConfig::default()
        }
    }

    fn batch_rows(&self) -> usize {
        self.batch_rows.max(1)
    }

    fn batches_ahead(&self) -> usize {
        self.batches_ahead.max(1)
    }
}
