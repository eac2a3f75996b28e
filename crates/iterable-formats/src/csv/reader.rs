//! The CSV reader: the parser (`parser.rs`, sans I/O) driven from `poll_fill_buf`, one
//! record per `poll_next`, or the block parser on other threads.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use iterable_core::{AsyncIterable, Header, IterableInfo, Parallelism, Progress, Result, Row};
use tokio::io::AsyncBufRead;

use super::blocks::BlockParse;
use super::parser::{BOM, Bom, Dialect, Parser};
use crate::ReadContext;
use crate::blocks::{self, BlockItem, Blocks, Next};
use crate::source_bytes::SourceBytes;
use crate::text_columns::TextColumns;

/// A native async CSV/TSV/PSV reader; see the [module docs](super) for its policies.
pub struct CsvReader<R> {
    reader: R,
    parser: Parser,
    mode: Mode,
    /// On the columnar road, an error to give after the rows before it.
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    stashed: Option<iterable_core::Error>,
}

impl<R> std::fmt::Debug for CsvReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvReader")
            .field("location", &self.parser.info.location)
            .field("rows", &self.parser.rows)
            .finish_non_exhaustive()
    }
}

/// How the reader parses: on its own task, or in blocks on other threads.
enum Mode {
    /// On the polling task; `parallel` says whether to switch to blocks after the header.
    Sequential { parallel: Option<Parallelism> },
    /// In blocks (see [`crate::blocks`]).
    Blocks(Box<Blocks<BlockParse>>),
}

impl<R: AsyncBufRead + Unpin> CsvReader<R> {
    /// A reader over `reader`, with the options, error policy and byte counters of `ctx`.
    pub fn new(reader: R, ctx: ReadContext) -> Self {
        let parallel = blocks::wanted(&ctx.options.parallel).then_some(ctx.options.parallel);
        let mut parser = Parser::new(
            Dialect::of(&ctx),
            ctx.info,
            ctx.errors,
            SourceBytes::new(ctx.bytes_read, ctx.bytes_total),
        );
        parser.stop_after_header = parallel.is_some();
        CsvReader {
            reader,
            parser,
            mode: Mode::Sequential { parallel },
            stashed: None,
        }
    }

    /// Puts the reader on the columnar road (compiled for the `arrow` feature): read it with
    /// [`poll_columns`](Self::poll_columns), which gives chunks of up to `chunk_rows`
    /// rows gathered by column (a block's rows when parsing in blocks), never rows.
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub(crate) fn gather_columns(&mut self, chunk_rows: usize) {
        self.parser.gather_columns(chunk_rows);
    }

    /// The column names, once the header is read.
    pub(crate) fn header(&self) -> Option<Arc<Header>> {
        self.parser.header.clone()
    }

    /// The next chunk of rows gathered by column (see
    /// [`gather_columns`](Self::gather_columns)), or an error; bad records meet the
    /// error policy in order, after the rows before them.
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub(crate) fn poll_columns(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<TextColumns>>> {
        loop {
            if let Some(e) = self.stashed.take() {
                return Poll::Ready(Some(Err(e)));
            }
            match ready!(self.poll_item(cx)) {
                Some(Item::Columns(columns)) => return Poll::Ready(Some(Ok(columns))),
                Some(Item::Row(_)) => unreachable!("the columnar road makes no rows"),
                Some(Item::Error(e)) => match self.parser.take_columns() {
                    // The rows before the error first.
                    Some(columns) => {
                        self.stashed = Some(e);
                        return Poll::Ready(Some(Ok(columns)));
                    }
                    None => return Poll::Ready(Some(Err(e))),
                },
                Some(Item::Paused) => {
                    let p = &mut self.parser;
                    let full = p.columns.as_ref().is_some_and(|c| c.is_full(p.chunk_rows));
                    if full && let Some(columns) = p.take_columns() {
                        return Poll::Ready(Some(Ok(columns)));
                    }
                }
                None => return Poll::Ready(self.parser.take_columns().map(Ok)),
            }
        }
    }

    fn poll_row(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        loop {
            match ready!(self.poll_item(cx)) {
                Some(Item::Row(row)) => return Poll::Ready(Some(Ok(row))),
                Some(Item::Error(e)) => return Poll::Ready(Some(Err(e))),
                Some(Item::Columns(_)) => unreachable!("the row road gathers no columns"),
                Some(Item::Paused) => {}
                None => return Poll::Ready(None),
            }
        }
    }

    /// The next thing the parser or the blocks give; `None` at the end.
    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        loop {
            match &mut self.mode {
                Mode::Blocks(blocks) => {
                    let p = &mut self.parser;
                    match ready!(blocks.poll_next(&mut self.reader, cx)) {
                        Next::Item(BlockItem::Row(row)) => {
                            p.rows += 1;
                            return Poll::Ready(Some(Item::Row(row)));
                        }
                        Next::Item(BlockItem::Columns(columns)) => {
                            p.rows += columns.rows() as u64;
                            return Poll::Ready(Some(Item::Columns(columns)));
                        }
                        #[cfg(feature = "arrow")]
                        Next::Item(BlockItem::Batch(_)) => {
                            unreachable!("CSV blocks hold no line sink's batches")
                        }
                        Next::Item(BlockItem::Bad(bad)) => {
                            let (error, raw) = *bad;
                            if let Err(e) = p.errors.handle(error, &raw) {
                                p.done = true;
                                self.mode = Mode::Sequential { parallel: None };
                                return Poll::Ready(Some(Item::Error(e)));
                            }
                        }
                        Next::End => {
                            p.done = true;
                            p.offset = blocks.consumed();
                            self.mode = Mode::Sequential { parallel: None };
                            return Poll::Ready(p.errors.flush().err().map(Item::Error));
                        }
                        Next::Failed(e) => {
                            p.done = true;
                            self.mode = Mode::Sequential { parallel: None };
                            return Poll::Ready(Some(Item::Error(e)));
                        }
                        Next::Resume(resume) => {
                            p.resume(resume);
                            self.mode = Mode::Sequential { parallel: None };
                        }
                    }
                }
                Mode::Sequential { parallel } => {
                    let p = &mut self.parser;
                    if let Some(parallel) = parallel.filter(|_| p.header.is_some() && !p.done) {
                        p.stop_after_header = false;
                        // The rows parsed here so far go first.
                        if let Some(columns) = p.take_columns() {
                            return Poll::Ready(Some(Item::Columns(columns)));
                        }
                        let pending = p.take_pending();
                        let blocks = Blocks::new(
                            BlockParse::new(p),
                            &p.info.location,
                            &parallel,
                            pending,
                            p.next_block_start(),
                            p.records,
                        );
                        self.mode = Mode::Blocks(Box::new(blocks));
                        continue;
                    }
                    return self.poll_sequential(cx);
                }
            }
        }
    }

    /// Parsing on this task, up to the next row or error, or up to a pause (the header
    /// known when blocks are wanted: `poll_item` then switches; a chunk full or a bad
    /// record on the columnar road).
    fn poll_sequential(&mut self, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let this = self;
        let p = &mut this.parser;
        loop {
            if p.done {
                return Poll::Ready(None);
            }
            if let Bom::Undecided(prefix) = &mut p.bom {
                let buf = match ready!(Pin::new(&mut this.reader).poll_fill_buf(cx)) {
                    Ok(buf) => buf,
                    Err(e) => return Poll::Ready(Some(Item::Error(p.io_error(e)))),
                };
                let take = (BOM.len() - prefix.len()).min(buf.len());
                let matches = !buf.is_empty() && BOM[prefix.len()..].starts_with(&buf[..take]);
                if matches {
                    prefix.extend_from_slice(&buf[..take]);
                    Pin::new(&mut this.reader).consume(take);
                    if prefix.len() == BOM.len() {
                        p.offset = BOM.len() as u64;
                        p.bom = Bom::Done;
                    }
                } else {
                    // Not a BOM (or the end): what was taken is data.
                    p.pending = std::mem::take(prefix);
                    p.pending_at = 0;
                    p.bom = Bom::Done;
                }
                continue;
            }
            let item = if p.pending_at < p.pending.len() {
                let pending = std::mem::take(&mut p.pending);
                let (used, item) = p.feed(&pending[p.pending_at..], false);
                p.pending = pending;
                p.pending_at += used;
                if p.pending_at == p.pending.len() {
                    p.pending.clear();
                    p.pending_at = 0;
                }
                item
            } else {
                let buf = match ready!(Pin::new(&mut this.reader).poll_fill_buf(cx)) {
                    Ok(buf) => buf,
                    Err(e) => return Poll::Ready(Some(Item::Error(p.io_error(e)))),
                };
                let eof = buf.is_empty();
                let (used, item) = p.feed(buf, eof);
                Pin::new(&mut this.reader).consume(used);
                item
            };
            match item {
                Some(Ok(row)) => return Poll::Ready(Some(Item::Row(row))),
                Some(Err(e)) => return Poll::Ready(Some(Item::Error(e))),
                // `feed` returns early only to pause; else it used all it was given.
                None if p.done => return Poll::Ready(None),
                None if p.stop_after_header && p.header.is_some() => {
                    return Poll::Ready(Some(Item::Paused));
                }
                None if p.columnar => return Poll::Ready(Some(Item::Paused)),
                None => {}
            }
        }
    }
}

/// What the parser (or the blocks) gave next.
enum Item {
    Row(Row),
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    Columns(TextColumns),
    Error(iterable_core::Error),
    /// Nothing yet: the parser paused (see [`CsvReader::poll_sequential`]).
    Paused,
}

impl<R: AsyncBufRead + Unpin> Stream for CsvReader<R> {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_row(cx)
    }
}

impl<R: AsyncBufRead + Send + Unpin> AsyncIterable for CsvReader<R> {
    fn columns(&self) -> Option<Arc<Header>> {
        self.header()
    }

    fn info(&self) -> &IterableInfo {
        &self.parser.info
    }

    fn progress(&self) -> Progress {
        let p = &self.parser;
        let offset = match &self.mode {
            Mode::Blocks(blocks) => blocks.consumed(),
            Mode::Sequential { .. } => p.offset,
        };
        p.bytes.progress(p.rows, offset, p.errors.skipped())
    }
}
