//! JSON Lines in blocks: a block ends after any line feed (a JSON text cannot hold a
//! raw one), and a worker parses its lines as the one-thread reader would.
//!
//! On the columnar road a block offers each line to a fresh line sink first: the lines
//! it takes come back as one batch ([`BlockItem::Batch`]) ahead of the first row or bad
//! record it leaves, so everything stays in input order.

#[cfg(feature = "arrow")]
use std::sync::Arc;

use iterable_core::{DuplicateKeys, IterableInfo};

use super::{LineSink, Lines, Step};
use crate::blocks::{BlockItem, BlockParser, BlockStart, Parsed};
#[cfg(feature = "arrow")]
use crate::columnar::JsonColumns;
use crate::json_rows::RecordParser;

/// The JSON Lines [`BlockParser`].
pub(super) struct BlockParse {
    info: IterableInfo,
    max_line: usize,
    duplicates: DuplicateKeys,
    /// The sink a block makes a fresh one like, if any.
    #[cfg(feature = "arrow")]
    sink: Option<Arc<JsonColumns>>,
}

impl BlockParse {
    pub(super) fn new(info: &IterableInfo, max_line: usize, duplicates: DuplicateKeys) -> Self {
        BlockParse {
            info: info.clone(),
            max_line,
            duplicates,
            #[cfg(feature = "arrow")]
            sink: None,
        }
    }

    /// Offers each block's lines to a fresh sink like `sink` first.
    #[cfg(feature = "arrow")]
    pub(super) fn with_sink(mut self, sink: Arc<JsonColumns>) -> Self {
        self.sink = Some(sink);
        self
    }
}

/// A block's own line sink, or none (rows only).
struct BlockSink {
    #[cfg(feature = "arrow")]
    columns: Option<JsonColumns>,
}

impl BlockSink {
    /// The sink to offer a line to.
    fn get(&mut self) -> Option<&mut (dyn LineSink + '_)> {
        #[cfg(feature = "arrow")]
        if let Some(columns) = self.columns.as_mut() {
            return Some(columns);
        }
        None
    }

    /// Whether the sink holds all it may.
    fn full(&self) -> bool {
        #[cfg(feature = "arrow")]
        if let Some(columns) = &self.columns {
            return columns.full();
        }
        false
    }

    /// What the sink took so far, as an item (nothing when it took nothing).
    fn flush(&mut self, _items: &mut Vec<BlockItem>) {
        #[cfg(feature = "arrow")]
        if let Some(columns) = self.columns.as_mut().filter(|c| c.len() > 0) {
            _items.push(BlockItem::Batch(columns.take_batch()));
        }
    }
}

impl BlockParser for BlockParse {
    fn cut(&self, buf: &[u8], _force: bool) -> Option<usize> {
        memchr::memrchr(b'\n', buf).map(|lf| lf + 1)
    }

    fn parse(&self, block: &[u8], start: BlockStart, last: bool) -> Parsed {
        let mut parser = RecordParser::deferring(self.info.clone(), self.duplicates);
        let mut sink = BlockSink {
            #[cfg(feature = "arrow")]
            columns: self.sink.as_ref().map(|s| s.empty_like()),
        };
        let mut lines = Lines {
            partial: Vec::new(),
            discarding: false,
            bom: None,
            line_no: start.lines,
            records: 0,
            line_start: start.byte,
            consumed: start.byte,
            max_line: self.max_line,
            checked: Default::default(),
        };
        // The block's lines are checked as UTF-8 together when a sink wants them as text.
        let utf8 = sink.get().is_some() && simdutf8::basic::from_utf8(block).is_ok();
        // About one row per 128 bytes: a guess that saves most regrowing (a sink's
        // block makes a batch, and rows only of the lines it leaves).
        let guess = match sink.get() {
            Some(_) => 1,
            None => block.len() / 128 + 1,
        };
        let mut items = Vec::with_capacity(guess);
        let mut rest = block;
        while !rest.is_empty() {
            let (line, used) = match memchr::memchr(b'\n', rest) {
                Some(lf) => (&rest[..lf], lf + 1),
                // Only the last block may end without a line feed.
                None => (rest, rest.len()),
            };
            let step = if line.len() > lines.max_line {
                lines.too_long(&mut parser, line)
            } else {
                lines.line(&mut parser, line, sink.get(), utf8)
            };
            let bad = parser.errors.take_deferred();
            if !bad.is_empty() || matches!(step, Step::Row(_)) || sink.full() {
                sink.flush(&mut items);
            }
            for (error, raw) in bad {
                items.push(BlockItem::Bad(Box::new((error, raw))));
            }
            if let Step::Row(row) = step {
                items.push(BlockItem::Row(row));
            }
            lines.consumed += used as u64;
            lines.line_start = lines.consumed;
            rest = &rest[used..];
        }
        sink.flush(&mut items);
        debug_assert!(last || block.ends_with(b"\n"));
        Parsed {
            items,
            records: lines.records,
            incomplete_from: None,
        }
    }
}
