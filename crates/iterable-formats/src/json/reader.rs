//! The JSON reader: drives the [`Scanner`] from `poll_fill_buf` and parses each
//! element into a row.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{AsyncIterable, Error, IterableInfo, Progress, Result, Row};
use tokio::io::AsyncBufRead;

use super::scanner::{Event, Scanner};
use crate::ReadContext;
use crate::jsonl::RecordParser;

/// The JSON reader.
pub(super) struct JsonReader<R> {
    reader: R,
    scanner: Scanner,
    parser: RecordParser,
    bytes_read: Arc<AtomicU64>,
    bytes_total: Option<u64>,
    done: bool,
}

impl<R: AsyncBufRead + Unpin> JsonReader<R> {
    pub(super) fn new(reader: R, ctx: ReadContext) -> Self {
        let json = &ctx.options.json;
        JsonReader {
            reader,
            scanner: Scanner::new(
                ctx.info.location.clone(),
                json.tagname.clone(),
                json.max_line_length,
            ),
            parser: RecordParser::new(ctx.info, ctx.errors),
            bytes_read: ctx.bytes_read,
            bytes_total: ctx.bytes_total,
            done: false,
        }
    }

    fn poll_inner(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            let buf = match Pin::new(&mut self.reader).poll_fill_buf(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(Error::io(&self.parser.info.location, e))));
                }
                Poll::Ready(Ok(buf)) => buf,
            };
            let eof = buf.is_empty();
            let (n, event) = self.scanner.feed(buf, eof);
            let out = match event {
                Event::NeedMore => None,
                Event::Element(bytes, pos) => {
                    match self.parser.parse(bytes, pos, "array element", false) {
                        Ok(Some(row)) => Some(Ok(row)),
                        Ok(None) => None,
                        Err(e) => {
                            self.done = true;
                            Some(Err(e))
                        }
                    }
                }
                Event::Fatal(e) => {
                    self.done = true;
                    Some(Err(e.into()))
                }
                Event::End => {
                    self.done = true;
                    self.parser.errors.flush().err().map(Err)
                }
            };
            Pin::new(&mut self.reader).consume(n);
            self.scanner.consumed(n);
            if let Some(out) = out {
                return Poll::Ready(Some(out));
            }
        }
    }
}

impl<R: AsyncBufRead + Unpin> Stream for JsonReader<R> {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_inner(cx)
    }
}

impl<R: AsyncBufRead + Send + Unpin> AsyncIterable for JsonReader<R> {
    /// Flushes the dead-letter sink, if any; the source is released on drop.
    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        let flushed = self.parser.errors.flush();
        Box::pin(async move { flushed })
    }

    fn info(&self) -> &IterableInfo {
        &self.parser.info
    }

    fn progress(&self) -> Progress {
        let counted = self.bytes_read.load(Ordering::Relaxed);
        Progress {
            rows: self.parser.rows,
            bytes: if counted == 0 {
                self.scanner.base
            } else {
                counted
            },
            bytes_total: self.bytes_total,
            skipped: self.parser.errors.skipped(),
        }
    }
}
