//! JSON Lines in blocks: a block ends after any line feed (a JSON text cannot hold a
//! raw one), and a worker parses its lines as the one-thread reader would.

use iterable_core::{DuplicateKeys, IterableInfo};

use super::{Lines, Step};
use crate::blocks::{BlockItem, BlockParser, BlockStart, Parsed};
use crate::json_rows::RecordParser;

/// The JSON Lines [`BlockParser`].
pub(super) struct BlockParse {
    info: IterableInfo,
    max_line: usize,
    duplicates: DuplicateKeys,
}

impl BlockParse {
    pub(super) fn new(info: &IterableInfo, max_line: usize, duplicates: DuplicateKeys) -> Self {
        BlockParse {
            info: info.clone(),
            max_line,
            duplicates,
        }
    }
}

impl BlockParser for BlockParse {
    fn cut(&self, buf: &[u8], _force: bool) -> Option<usize> {
        memchr::memrchr(b'\n', buf).map(|lf| lf + 1)
    }

    fn parse(&self, block: &[u8], start: BlockStart, last: bool) -> Parsed {
        let mut parser = RecordParser::deferring(self.info.clone(), self.duplicates);
        let mut lines = Lines {
            partial: Vec::new(),
            discarding: false,
            bom: None,
            line_no: start.lines,
            records: 0,
            line_start: start.byte,
            consumed: start.byte,
            max_line: self.max_line,
        };
        // About one row per 128 bytes: a guess that saves most regrowing.
        let mut items = Vec::with_capacity(block.len() / 128 + 1);
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
                lines.line(&mut parser, line, None)
            };
            for (error, raw) in parser.errors.take_deferred() {
                items.push(BlockItem::Bad(Box::new((error, raw))));
            }
            if let Step::Row(row) = step {
                items.push(BlockItem::Row(row));
            }
            lines.consumed += used as u64;
            lines.line_start = lines.consumed;
            rest = &rest[used..];
        }
        debug_assert!(last || block.ends_with(b"\n"));
        Parsed {
            items,
            records: lines.records,
            incomplete_from: None,
        }
    }
}
