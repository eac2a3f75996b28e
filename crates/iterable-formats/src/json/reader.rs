//! The JSON reader: drives the [`Scanner`] from `poll_fill_buf` and parses each
//! element into a row.

use std::pin::Pin;
use std::task::{Context, Poll};

use iterable_core::{Result, Row};
use tokio::io::AsyncBufRead;

use super::scanner::{Event, Scanner};
use crate::ReadContext;
use crate::json_rows::{RecordParser, RecordSource, poll_buffer};

/// The JSON reader.
pub(super) struct JsonReader<R> {
    reader: R,
    scanner: Scanner,
    done: bool,
}

impl<R: AsyncBufRead + Unpin> JsonReader<R> {
    pub(super) fn new(reader: R, ctx: &ReadContext) -> Self {
        let json = &ctx.options.json;
        JsonReader {
            reader,
            scanner: Scanner::new(
                ctx.info.location.clone(),
                json.tagname.clone(),
                ctx.options.limits.max_record_bytes,
            ),
            done: false,
        }
    }

    fn poll_inner(
        &mut self,
        parser: &mut RecordParser,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Row>>> {
        loop {
            let buf = match poll_buffer(&mut self.reader, &mut self.done, &parser.info.location, cx)
            {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(last)) => return Poll::Ready(last),
                Poll::Ready(Ok(buf)) => buf,
            };
            let eof = buf.is_empty();
            let (n, event) = self.scanner.feed(buf, eof);
            let out = match event {
                Event::NeedMore => None,
                Event::Element(bytes, pos) => {
                    match parser.parse(bytes, pos, "array element", false) {
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
                    parser.errors.flush().err().map(Err)
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

impl<R: AsyncBufRead + Unpin> RecordSource for JsonReader<R> {
    fn poll_row(
        &mut self,
        parser: &mut RecordParser,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Row>>> {
        self.poll_inner(parser, cx)
    }

    fn consumed(&self) -> u64 {
        self.scanner.consumed_total()
    }
}
