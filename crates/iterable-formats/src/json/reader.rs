//! The JSON reader: drives the [`Scanner`] from `poll_fill_buf` and parses each
//! element into a row, or, on the columnar road, offers it to a line sink first
//! ([`ElementReader`]).

use std::pin::Pin;
use std::task::{Context, Poll};

use iterable_core::{Result, Row};
use tokio::io::AsyncBufRead;

use super::scanner::{Event, Scanner};
use crate::ReadContext;
use crate::json_rows::{RecordParser, RecordSource, poll_buffer};
use crate::jsonl::{Item, LineSink};

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

    /// The next row; with a `sink`, the elements it takes make no row, and
    /// [`Item::Full`] says it is full.
    fn poll_inner(
        &mut self,
        parser: &mut RecordParser,
        cx: &mut Context<'_>,
        mut sink: Option<&mut (dyn LineSink + '_)>,
    ) -> Poll<Option<Result<Item>>> {
        loop {
            let buf = match poll_buffer(&mut self.reader, &mut self.done, &parser.info.location, cx)
            {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(last)) => return Poll::Ready(last.map(|r| r.map(Item::Row))),
                Poll::Ready(Ok(buf)) => buf,
            };
            let eof = buf.is_empty();
            let (n, event) = self.scanner.feed(buf, eof);
            let out = match event {
                Event::NeedMore => None,
                Event::Element(bytes, _) if offer(sink.as_deref_mut(), bytes) => {
                    parser.count_row();
                    sink.as_deref()
                        .is_some_and(|s| s.full())
                        .then_some(Ok(Item::Full))
                }
                Event::Element(bytes, pos) => {
                    match parser.parse(bytes, pos, "array element", false) {
                        Ok(Some(row)) => Some(Ok(Item::Row(row))),
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

/// Whether `sink` takes the element's `bytes` whole (they must be UTF-8).
fn offer(sink: Option<&mut (dyn LineSink + '_)>, bytes: &[u8]) -> bool {
    sink.is_some_and(|sink| simdutf8::basic::from_utf8(bytes).is_ok_and(|text| sink.take(text)))
}

impl<R: AsyncBufRead + Unpin> RecordSource for JsonReader<R> {
    fn poll_row(
        &mut self,
        parser: &mut RecordParser,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Row>>> {
        self.poll_inner(parser, cx, None).map(|item| {
            item.map(|r| {
                r.map(|item| match item {
                    Item::Row(row) => row,
                    _ => unreachable!("no sink, so never full"),
                })
            })
        })
    }

    fn consumed(&self) -> u64 {
        self.scanner.consumed_total()
    }
}

/// A JSON reader whose elements go to a [`LineSink`] first (the columnar road of JSON
/// arrays): the row reader's rules for every element the sink leaves.
#[cfg(feature = "arrow")]
pub(crate) struct ElementReader<R> {
    source: JsonReader<R>,
    parser: RecordParser,
}

#[cfg(feature = "arrow")]
impl<R: AsyncBufRead + Unpin> ElementReader<R> {
    /// A reader of `reader` with the location, error policy and limits of `ctx`.
    pub(crate) fn new(reader: R, ctx: ReadContext) -> Self {
        ElementReader {
            source: JsonReader::new(reader, &ctx),
            parser: RecordParser::new(ctx),
        }
    }

    /// The next row that `sink` did not take, or [`Item::Full`] once it is full;
    /// `None` at the end of the input. Bad elements go through the error policy.
    pub(crate) fn poll_item(
        &mut self,
        cx: &mut Context<'_>,
        sink: Option<&mut (dyn LineSink + '_)>,
    ) -> Poll<Option<Result<Item>>> {
        self.source.poll_inner(&mut self.parser, cx, sink)
    }

    /// Rows (taken elements included), bytes and skipped elements so far.
    pub(crate) fn progress(&self) -> iterable_core::Progress {
        self.parser.progress(self.source.scanner.consumed_total())
    }
}

#[cfg(all(test, feature = "arrow"))]
mod tests {
    use std::sync::Arc;

    use arrow_schema::{DataType, Field, Schema};
    use iterable_core::{Codec, Format, IterableInfo, Mode, Options};

    use super::*;
    use crate::columnar::JsonColumns;
    use crate::csv::ColumnType;

    #[test]
    fn flat_elements_go_to_the_sink_and_the_others_come_back_as_rows() {
        let json: &[u8] = b"[{\"id\": 1}, {\"id\": 2, \"x\": [1]}, {\n \"id\": 3\n}, {\"id\": 4}]";
        let info = IterableInfo {
            location: "inline.json".into(),
            format: Format::JSON,
            codec: Codec::None,
            mode: Mode::Read,
            encoding: None,
        };
        let mut reader = ElementReader::new(json, ReadContext::new(info, Options::default()));
        let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]));
        let mut sink = JsonColumns::new(schema, |_| ColumnType::Unknown).unwrap();
        sink.set_limit(2);
        let mut next = || {
            let waker = std::task::Waker::noop();
            let mut cx = Context::from_waker(waker);
            match reader.poll_item(&mut cx, Some(&mut sink)) {
                Poll::Ready(item) => item.map(Result::unwrap),
                Poll::Pending => unreachable!("a slice is always ready"),
            }
        };
        // The first element is taken; the second (a key the schema lacks) is a row.
        match next() {
            Some(Item::Row(row)) => assert_eq!(row["id"], iterable_core::Value::Int(2)),
            _ => panic!("the second element comes back as a row"),
        }
        // The third, over three lines, is taken too: the sink is full at two.
        assert!(matches!(next(), Some(Item::Full)));
        assert!(
            matches!(next(), Some(Item::Full)),
            "the fourth fills it again"
        );
        assert!(next().is_none());
        assert_eq!(sink.len(), 3);
        assert_eq!(reader.progress().rows, 4);
    }
}
