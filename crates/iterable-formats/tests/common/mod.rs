//! Helpers shared by the test files: feeding a JSON or JSON Lines reader its input in
//! several ways and checking they agree, a dead-letter sink that keeps what it gets, and
//! a writer sink whose bytes a test can see.

// Each test binary uses only some of these helpers.
#![allow(dead_code)]

use std::io::Cursor;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::StreamExt;
use iterable_core::policy::{DeadLetterSink, ErrorHandler};
use iterable_core::{AsyncIterable, Progress, Row};
use iterable_core::{
    BoxIterable, Codec, Format, IterableInfo, Mode, Options, Parallelism, ParseError,
};
use iterable_formats::testing::ChunkedReader;
use iterable_formats::{ReadContext, json, jsonl};
use tokio::io::AsyncWrite;

/// One read's outcome: the rows, an error as its text.
pub type Outcome = Vec<Result<Row, String>>;

/// How a reader gets its input.
#[derive(Clone, Copy, Debug)]
pub enum Feed {
    /// All at once.
    Whole,
    /// One byte per read, `Pending` before each read.
    OneBytePending,
    /// Five bytes per read.
    FiveBytes,
    /// Three bytes per read, `Pending` before each, parsed in blocks of this many bytes
    /// on two threads (JSON Lines; the JSON reader has no blocks).
    Blocks(usize),
}

/// Every feed, the reference first.
pub const FEEDS: [Feed; 8] = [
    Feed::Whole,
    Feed::OneBytePending,
    Feed::FiveBytes,
    Feed::Blocks(1),
    Feed::Blocks(4),
    Feed::Blocks(11),
    Feed::Blocks(64),
    Feed::Blocks(1 << 20),
];

/// The read info of an input of `format` (JSON: `data.json`, JSON Lines: `data.jsonl`).
pub fn reader_info(format: Format) -> IterableInfo {
    let location = if format == Format::JSON {
        "data.json"
    } else {
        "data.jsonl"
    };
    IterableInfo {
        encoding: None,
        location: location.into(),
        format,
        codec: Codec::None,
        mode: Mode::Read,
    }
}

/// Opens a JSON (`Format::JSON`) or JSON Lines reader over `data`, fed as `feed` says.
pub async fn open(
    format: Format,
    data: &[u8],
    options: Options,
    errors: ErrorHandler,
    feed: Feed,
) -> BoxIterable {
    let mut options = options;
    options.parallel = match feed {
        Feed::Blocks(block_bytes) => {
            let mut parallel = Parallelism::default();
            parallel.threads = 2;
            parallel.block_bytes = block_bytes;
            parallel
        }
        _ => Parallelism::sequential(),
    };
    let ctx = ReadContext {
        errors,
        ..ReadContext::new(reader_info(format), options)
    };
    let data = data.to_vec();
    let opened = match (format, feed) {
        (Format::JSON, Feed::Whole) => json::open_reader(Cursor::new(data), ctx).await,
        (Format::JSON, Feed::OneBytePending) => {
            json::open_reader(ChunkedReader::new(data, 1, true), ctx).await
        }
        (Format::JSON, Feed::FiveBytes) => {
            json::open_reader(ChunkedReader::new(data, 5, false), ctx).await
        }
        (Format::JSON, Feed::Blocks(_)) => {
            json::open_reader(ChunkedReader::new(data, 3, true), ctx).await
        }
        (_, Feed::Blocks(_)) => jsonl::open_reader(ChunkedReader::new(data, 3, true), ctx).await,
        (_, Feed::Whole) => jsonl::open_reader(Cursor::new(data), ctx).await,
        (_, Feed::OneBytePending) => {
            jsonl::open_reader(ChunkedReader::new(data, 1, true), ctx).await
        }
        (_, Feed::FiveBytes) => jsonl::open_reader(ChunkedReader::new(data, 5, false), ctx).await,
    };
    opened.unwrap()
}

/// Reads `it` to its end; asserts it stays ended; returns the items and the progress.
pub async fn drain(mut it: BoxIterable) -> (Outcome, Progress) {
    let mut out = Vec::new();
    while let Some(item) = it.next().await {
        out.push(item.map_err(|e| e.to_string()));
    }
    assert!(it.next().await.is_none(), "the stream stays ended");
    (out, it.progress())
}

/// Reads `data` with every feed; asserts they agree; returns the outcome.
pub async fn read_with(
    format: Format,
    data: &[u8],
    options: Options,
    errors: fn() -> ErrorHandler,
) -> (Outcome, Progress) {
    let mut first: Option<(Outcome, Progress)> = None;
    for feed in FEEDS {
        let got = drain(open(format, data, options.clone(), errors(), feed).await).await;
        match &first {
            None => first = Some(got),
            Some(want) => {
                assert_eq!(got.0, want.0, "feed {feed:?} differs");
                if got.0.last().is_none_or(Result::is_ok) {
                    assert_eq!(got.1, want.1, "feed {feed:?} differs");
                }
            }
        }
    }
    first.unwrap()
}

/// Dead letters kept: (position, raw bytes).
pub type Letters = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A dead-letter sink that keeps each error's position and raw bytes.
#[derive(Clone, Default)]
pub struct MemSink(pub Letters);

impl DeadLetterSink for MemSink {
    fn write(&mut self, error: &ParseError, raw: &[u8]) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap()
            .push((error.position.to_string(), raw.to_vec()));
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An `AsyncWrite` whose bytes the test can see, counting shutdowns.
#[derive(Clone, Default)]
pub struct Sink {
    pub bytes: Arc<Mutex<Vec<u8>>>,
    pub shutdowns: Arc<Mutex<u32>>,
    /// At most this many bytes per write, as a real sink may take (0: all).
    pub max_write: usize,
}

impl Sink {
    /// A sink that takes at most `n` bytes per write.
    pub fn taking_at_most(n: usize) -> Self {
        Sink {
            max_write: n,
            ..Sink::default()
        }
    }

    /// What was written, as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes.lock().unwrap().clone()).unwrap()
    }
}

impl AsyncWrite for Sink {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let n = if self.max_write == 0 {
            buf.len()
        } else {
            buf.len().min(self.max_write)
        };
        self.bytes.lock().unwrap().extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        *self.shutdowns.lock().unwrap() += 1;
        Poll::Ready(Ok(()))
    }
}
