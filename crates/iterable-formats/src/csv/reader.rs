//! The CSV reader: the parser (`parser.rs`, sans I/O) driven from `poll_fill_buf`, one
//! record per `poll_next`, or the block parser on other threads.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use iterable_core::{AsyncIterable, IterableInfo, Parallelism, Progress, Result, Row};
use tokio::io::AsyncBufRead;

use super::blocks::BlockParse;
use super::parser::{BOM, Bom, Dialect, Parser};
use crate::ReadContext;
use crate::blocks::{self, BlockItem, Blocks, Next};
use crate::source_bytes::SourceBytes;

/// A native async CSV/TSV/PSV reader; see the [module docs](super) for its policies.
pub struct CsvReader<R> {
    reader: R,
    parser: Parser,
    mode: Mode,
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
        }
    }

    fn poll_row(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        loop {
            match &mut self.mode {
                Mode::Blocks(blocks) => {
                    let p = &mut self.parser;
                    match ready!(blocks.poll_next(&mut self.reader, cx)) {
                        Next::Item(BlockItem::Row(row)) => {
                            p.rows += 1;
                            return Poll::Ready(Some(Ok(row)));
                        }
                        Next::Item(BlockItem::Bad(bad)) => {
                            let (error, raw) = *bad;
                            if let Err(e) = p.errors.handle(error, &raw) {
                                p.done = true;
                                self.mode = Mode::Sequential { parallel: None };
                                return Poll::Ready(Some(Err(e)));
                            }
                        }
                        Next::End => {
                            p.done = true;
                            p.offset = blocks.consumed();
                            self.mode = Mode::Sequential { parallel: None };
                            return Poll::Ready(p.errors.flush().err().map(Err));
                        }
                        Next::Failed(e) => {
                            p.done = true;
                            self.mode = Mode::Sequential { parallel: None };
                            return Poll::Ready(Some(Err(e)));
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

    /// Parsing on this task, up to the next row or error (or, when blocks are wanted,
    /// up to the header: then back to `poll_row`, which switches).
    fn poll_sequential(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        let this = self;
        let p = &mut this.parser;
        loop {
            if p.done {
                return Poll::Ready(None);
            }
            if p.stop_after_header && p.header.is_some() {
                // The caller switches to blocks now (it loops back here only if not).
                p.stop_after_header = false;
                return this.poll_row(cx);
            }
            if let Bom::Undecided(prefix) = &mut p.bom {
                let buf = match ready!(Pin::new(&mut this.reader).poll_fill_buf(cx)) {
                    Ok(buf) => buf,
                    Err(e) => return Poll::Ready(Some(Err(p.io_error(e)))),
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
            if p.pending_at < p.pending.len() {
                let pending = std::mem::take(&mut p.pending);
                let (used, item) = p.feed(&pending[p.pending_at..], false);
                p.pending = pending;
                p.pending_at += used;
                if p.pending_at == p.pending.len() {
                    p.pending.clear();
                    p.pending_at = 0;
                }
                match item {
                    Some(item) => return Poll::Ready(Some(item)),
                    None => continue,
                }
            }
            let buf = match ready!(Pin::new(&mut this.reader).poll_fill_buf(cx)) {
                Ok(buf) => buf,
                Err(e) => return Poll::Ready(Some(Err(p.io_error(e)))),
            };
            let eof = buf.is_empty();
            let (used, item) = p.feed(buf, eof);
            Pin::new(&mut this.reader).consume(used);
            if let Some(item) = item {
                return Poll::Ready(Some(item));
            }
        }
    }
}

impl<R: AsyncBufRead + Unpin> Stream for CsvReader<R> {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_row(cx)
    }
}

impl<R: AsyncBufRead + Send + Unpin> AsyncIterable for CsvReader<R> {
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
