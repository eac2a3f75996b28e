//! Parsing on several cores, in order.
//!
//! A line-based text reader hands its input to [`Blocks`]: the bytes are copied into
//! blocks of about [`Parallelism::block_bytes`] that end at a record boundary (the
//! format's [`BlockParser::cut`] finds one), each block is parsed on a blocking thread
//! ([`BlockParser::parse`]), and the rows come back in input order. At most
//! `threads + 1` blocks are out at a time, so memory stays bounded whatever the input
//! size, and a slow consumer stops the reading.
//!
//! Bad records are not handed to the error policy on the worker thread: the worker
//! keeps them ([`ErrorHandler::deferring`](iterable_core::policy::ErrorHandler)) among
//! its rows, and the reader applies the policy as it reaches them, so `Fail` still ends
//! the stream at the first bad record and a dead-letter file gets records in order. A
//! worker counts records from 0; [`Blocks`] adds the records of the blocks before.
//!
//! A cut is a guess for formats with quoted line ends (CSV): the worker checks that the
//! block's last record ended at the block's end. When it did not, [`Blocks`] returns
//! everything from that record on ([`Next::Resume`]) and the reader goes on parsing on
//! its own thread, so the result never depends on the guess.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use iterable_core::{Error, Parallelism, ParseError, Result, Row};
use tokio::io::AsyncBufRead;
use tokio::task::JoinHandle;

use crate::text_columns::TextColumns;

/// One thing a block held, in input order.
#[derive(Debug)]
pub(crate) enum BlockItem {
    /// A row.
    Row(Row),
    /// A bad record, for the error policy: its error and raw bytes (boxed: rows are
    /// the common case and stay small).
    Bad(Box<(ParseError, Vec<u8>)>),
    /// Rows gathered by column (the columnar road of CSV), in place of `Row` items.
    Columns(TextColumns),
    /// Records a line sink took (the columnar road of JSON Lines), as one batch, in
    /// place of `Row` items.
    #[cfg(feature = "arrow")]
    Batch(arrow_array::RecordBatch),
}

/// Where a block starts in the decoded stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockStart {
    /// The offset of its first byte.
    pub(crate) byte: u64,
    /// The line feeds before it.
    pub(crate) lines: u64,
}

/// What a worker made of a block.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// Rows and bad records, in order.
    pub(crate) items: Vec<BlockItem>,
    /// Data records the block held (good and bad), counted from 0.
    pub(crate) records: u64,
    /// Set when the block's last record did not end at the block's end: where it starts
    /// in the block. `items` hold what came before it.
    pub(crate) incomplete_from: Option<usize>,
}

/// The format-specific half: where blocks may end, and how one is parsed.
pub(crate) trait BlockParser: Send + Sync + 'static {
    /// The end of the last whole record in `buf` (which starts at a record boundary),
    /// or `None` to wait for more bytes. With `force`, `buf` has grown large: any cut
    /// the parser can check is better than none.
    fn cut(&self, buf: &[u8], force: bool) -> Option<usize>;

    /// Parses one block; `last` says it ends the input.
    fn parse(&self, block: &[u8], start: BlockStart, last: bool) -> Parsed;
}

/// What [`Blocks::poll_next`] gives.
#[derive(Debug)]
pub(crate) enum Next {
    /// The next row or bad record (its position made absolute).
    Item(BlockItem),
    /// The input is over.
    End,
    /// A block did not end at a record boundary: go on without threads from here.
    Resume(Resume),
    /// Reading failed, or a worker died.
    Failed(Error),
}

/// Where to go on parsing on one thread after a bad cut.
#[derive(Debug)]
pub(crate) struct Resume {
    /// The bytes read but not parsed, to parse before reading on.
    pub(crate) bytes: Vec<u8>,
    /// Where `bytes` start.
    pub(crate) start: BlockStart,
    /// Data records before them.
    pub(crate) records: u64,
}

struct Job {
    handle: JoinHandle<Parsed>,
    bytes: Arc<[u8]>,
    start: BlockStart,
}

/// The ordered block pipeline over a reader's source; see the [module docs](self).
pub(crate) struct Blocks<P> {
    parser: Arc<P>,
    location: String,
    block_bytes: usize,
    max_in_flight: usize,
    /// Bytes read and not yet in a block, and where they start.
    buf: Vec<u8>,
    buf_start: BlockStart,
    eof: bool,
    in_flight: VecDeque<Job>,
    /// The items of the block being handed out, and its records' base.
    current: std::vec::IntoIter<BlockItem>,
    current_records: u64,
    /// Data records in the blocks handed out so far.
    records: u64,
    /// Set after a bad cut, once `current` is drained.
    resume: Option<Resume>,
    /// The stream offset up to which blocks have been handed out.
    consumed: u64,
    /// No cut was found in a buffer this large: go on with one thread once the blocks
    /// in flight are handed out.
    give_up: bool,
}

/// With no cut found in this many blocks' worth of bytes, parsing goes on with one
/// thread (a record this long is rare, and one thread parses it in bounded memory).
const GIVE_UP_BLOCKS: usize = 16;

impl<P> std::fmt::Debug for Blocks<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocks")
            .field("in_flight", &self.in_flight.len())
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

/// Whether readers should parse in blocks on other threads: more than one thread asked
/// for, and a tokio runtime to run them on.
pub(crate) fn wanted(parallel: &Parallelism) -> bool {
    parallel.resolved_threads() > 1 && tokio::runtime::Handle::try_current().is_ok()
}

impl<P: BlockParser> Blocks<P> {
    /// A pipeline whose first block starts at `start` with the bytes `pending` (read but
    /// not parsed yet); the rest comes from the reader passed to `poll_next`.
    pub(crate) fn new(
        parser: P,
        location: &str,
        parallel: &Parallelism,
        pending: Vec<u8>,
        start: BlockStart,
        records: u64,
    ) -> Self {
        let block_bytes = parallel.block_bytes.max(1);
        let mut buf = pending;
        buf.reserve(block_bytes.saturating_sub(buf.len()));
        Blocks {
            parser: Arc::new(parser),
            location: location.to_owned(),
            block_bytes,
            max_in_flight: parallel.resolved_threads() + 1,
            buf,
            buf_start: start,
            eof: false,
            in_flight: VecDeque::new(),
            current: Vec::new().into_iter(),
            current_records: 0,
            records,
            resume: None,
            consumed: start.byte,
            give_up: false,
        }
    }

    /// The stream offset up to which rows have been handed out (for progress).
    pub(crate) fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The next item, reading and spawning blocks as needed.
    pub(crate) fn poll_next<R: AsyncBufRead + Unpin>(
        &mut self,
        reader: &mut R,
        cx: &mut Context<'_>,
    ) -> Poll<Next> {
        loop {
            if let Some(item) = self.current.next() {
                return Poll::Ready(Next::Item(self.absolute(item)));
            }
            if let Some(resume) = self.resume.take() {
                return Poll::Ready(Next::Resume(resume));
            }
            if let Err(e) = self.fill(reader, cx) {
                self.eof = true;
                self.in_flight.clear();
                return Poll::Ready(Next::Failed(e));
            }
            let Some(job) = self.in_flight.front_mut() else {
                if self.give_up {
                    self.give_up = false;
                    return Poll::Ready(Next::Resume(Resume {
                        bytes: std::mem::take(&mut self.buf),
                        start: self.buf_start,
                        records: self.records,
                    }));
                }
                return if self.eof {
                    Poll::Ready(Next::End)
                } else {
                    Poll::Pending
                };
            };
            let parsed = match Pin::new(&mut job.handle).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(parsed)) => parsed,
                Poll::Ready(Err(e)) => {
                    self.eof = true;
                    self.in_flight.clear();
                    let message = format!("a parsing thread failed: {e}");
                    return Poll::Ready(Next::Failed(Error::io(
                        &self.location,
                        std::io::Error::other(message),
                    )));
                }
            };
            let job = self.in_flight.pop_front().expect("polled above");
            self.take(job, parsed);
        }
    }

    /// Turns a worker's block-relative record number into the stream's.
    fn absolute(&self, item: BlockItem) -> BlockItem {
        match item {
            BlockItem::Bad(mut bad) => {
                bad.0.position.record += self.current_records;
                BlockItem::Bad(bad)
            }
            row => row,
        }
    }

    /// Hands out a finished block's items; after a bad cut, prepares the resume.
    fn take(&mut self, job: Job, parsed: Parsed) {
        self.current = parsed.items.into_iter();
        self.current_records = self.records;
        self.records += parsed.records;
        self.consumed = job.start.byte + job.bytes.len() as u64;
        let Some(from) = parsed.incomplete_from else {
            return;
        };
        // Everything from the unfinished record on goes back to one-thread parsing.
        let head = &job.bytes[..from];
        let start = BlockStart {
            byte: job.start.byte + from as u64,
            lines: job.start.lines + count_lines(head),
        };
        let mut bytes = job.bytes[from..].to_vec();
        for later in self.in_flight.drain(..) {
            bytes.extend_from_slice(&later.bytes);
        }
        bytes.append(&mut self.buf);
        self.consumed = start.byte;
        self.eof = true;
        self.resume = Some(Resume {
            bytes,
            start,
            records: self.records,
        });
    }

    /// Reads while there is room for another block, spawning blocks as they fill up.
    fn fill<R: AsyncBufRead + Unpin>(
        &mut self,
        reader: &mut R,
        cx: &mut Context<'_>,
    ) -> Result<()> {
        while !self.eof && self.in_flight.len() < self.max_in_flight {
            let chunk = match Pin::new(&mut *reader).poll_fill_buf(cx) {
                Poll::Pending => return Ok(()),
                Poll::Ready(Err(e)) => return Err(Error::io(&self.location, e)),
                Poll::Ready(Ok(chunk)) => chunk,
            };
            if chunk.is_empty() {
                self.eof = true;
                let block = std::mem::take(&mut self.buf);
                self.spawn(block, true);
                return Ok(());
            }
            // Fill the block up to its size (or all of the chunk while no cut is found).
            let room = self.block_bytes.saturating_sub(self.buf.len());
            let n = if room == 0 {
                chunk.len()
            } else {
                chunk.len().min(room)
            };
            self.buf.extend_from_slice(&chunk[..n]);
            Pin::new(&mut *reader).consume(n);
            if self.buf.len() >= self.block_bytes {
                let force = self.buf.len() >= 4 * self.block_bytes;
                if let Some(cut) = self.parser.cut(&self.buf, force) {
                    let rest = self.buf[cut..].to_vec();
                    let mut block = std::mem::replace(&mut self.buf, rest);
                    block.truncate(cut);
                    self.spawn(block, false);
                } else if self.buf.len() >= GIVE_UP_BLOCKS * self.block_bytes {
                    self.eof = true;
                    self.give_up = true;
                }
            }
        }
        Ok(())
    }

    fn spawn(&mut self, block: Vec<u8>, last: bool) {
        let start = self.buf_start;
        let bytes: Arc<[u8]> = block.into();
        self.buf_start = BlockStart {
            byte: start.byte + bytes.len() as u64,
            lines: start.lines + count_lines(&bytes),
        };
        self.buf.reserve(self.block_bytes);
        let parser = self.parser.clone();
        let input = bytes.clone();
        let handle = tokio::task::spawn_blocking(move || parser.parse(&input, start, last));
        self.in_flight.push_back(Job {
            handle,
            bytes,
            start,
        });
    }
}

/// The line feeds in `bytes`, counted 255 bytes at a time in bytes (which the compiler
/// turns into wide compares: a count per byte lane instead of per 64-bit one).
pub(crate) fn count_lines(bytes: &[u8]) -> u64 {
    bytes
        .chunks(255)
        .map(|chunk| {
            let feeds = chunk
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'\n')));
            u64::from(feeds)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::count_lines;

    #[test]
    fn line_feeds_are_counted_across_chunk_ends_and_when_every_byte_is_one() {
        for len in [0, 1, 254, 255, 256, 510, 511, 1_000, 4_097] {
            let every: Vec<u8> = vec![b'\n'; len];
            assert_eq!(count_lines(&every), len as u64, "all feeds, {len}");
            let some: Vec<u8> = (0..len)
                .map(|i| if i % 7 == 3 { b'\n' } else { b'x' })
                .collect();
            let naive = some.iter().filter(|&&b| b == b'\n').count() as u64;
            assert_eq!(count_lines(&some), naive, "every 7th, {len}");
        }
    }
}
