//! CSV in blocks: where a block may end, and parsing one on a worker thread.
//!
//! A block ends after a line feed that a quote count says is outside quotes: the count
//! starts at the block's start (a record boundary) and a line feed after an even number
//! of quote bytes ends a record, as long as quotes only open and close quoted fields.
//! Escapes, comments and stray quotes inside unquoted fields can fool the count; the
//! worker then finds that the block's last record is unfinished, and the reader goes
//! on with one thread (see [`crate::blocks`]).

use std::sync::Arc;

use iterable_core::{Header, IterableInfo};

use super::parser::{Dialect, Parser};
use crate::blocks::{BlockItem, BlockParser, BlockStart, Parsed};

/// The CSV [`BlockParser`]: the dialect, the header and the location of the input.
pub(crate) struct BlockParse {
    dialect: Dialect,
    header: Arc<Header>,
    info: IterableInfo,
    /// The columnar road: a block's rows come back as one [`BlockItem::Columns`]
    /// (split around bad records), not as rows.
    columnar: bool,
}

impl BlockParse {
    /// The block parser for what `parser` has read so far (its header must be known).
    pub(super) fn new(parser: &Parser) -> Self {
        BlockParse {
            dialect: parser.dialect().clone(),
            header: parser.header.clone().expect("the header is known"),
            info: parser.info.clone(),
            columnar: parser.columnar,
        }
    }
}

impl BlockParser for BlockParse {
    fn cut(&self, buf: &[u8], force: bool) -> Option<usize> {
        let quote = self.dialect.quote;
        let mut quotes_before = count(buf, quote);
        let mut end = buf.len();
        // Walk back over line feeds: the quotes before one are all quotes minus those after.
        while let Some(lf) = memchr::memrchr(b'\n', &buf[..end]) {
            quotes_before -= count(&buf[lf..end], quote);
            if quotes_before.is_multiple_of(2) {
                return Some(lf + 1);
            }
            end = lf;
        }
        // The count is off (or one quoted field is huge): with `force`, take the last
        // line feed; the worker checks it.
        force
            .then(|| memchr::memrchr(b'\n', buf))
            .flatten()
            .map(|lf| lf + 1)
    }

    fn parse(&self, block: &[u8], start: BlockStart, last: bool) -> Parsed {
        let mut parser =
            Parser::for_block(&self.dialect, self.info.clone(), self.header.clone(), start);
        if self.columnar {
            parser.gather_columns(usize::MAX);
        }
        // About one row per 64 bytes: a guess that saves most regrowing.
        let mut items = Vec::with_capacity(block.len() / 64 + 1);
        let mut pos = 0;
        while pos < block.len() {
            let (used, item) = parser.feed(&block[pos..], false);
            pos += used;
            let yielded = item.is_some();
            collect(&mut parser, item, &mut items);
            if used == 0 && !yielded {
                break; // feed always uses its input or yields; never spin
            }
        }
        let mut incomplete_from = None;
        if last {
            while !parser.done {
                let (_, item) = parser.feed(&[], true);
                collect(&mut parser, item, &mut items);
            }
        } else if parser.in_record {
            incomplete_from = Some((parser.record_byte - start.byte) as usize);
        }
        if let Some(columns) = parser.take_columns() {
            items.push(BlockItem::Columns(columns));
        }
        Parsed {
            items,
            records: parser.records,
            incomplete_from,
        }
    }
}

/// Moves what one `feed` gave (on the columnar road the rows gathered before a bad
/// record, then bad records kept by the deferring policy, then its row) into `items`.
fn collect(
    parser: &mut Parser,
    item: Option<iterable_core::Result<iterable_core::Row>>,
    items: &mut Vec<BlockItem>,
) {
    let deferred = parser.errors.take_deferred();
    if (!deferred.is_empty() || item.is_some())
        && let Some(columns) = parser.take_columns()
    {
        items.push(BlockItem::Columns(columns));
    }
    for (error, raw) in deferred {
        items.push(BlockItem::Bad(Box::new((error, raw))));
    }
    match item {
        Some(Ok(row)) => items.push(BlockItem::Row(row)),
        Some(Err(iterable_core::Error::Parse(error))) => {
            let raw = error.snippet.as_bytes().to_vec();
            items.push(BlockItem::Bad(Box::new((*error, raw))));
        }
        // Other errors do not arise from bytes in memory with a deferring policy.
        Some(Err(_)) | None => {}
    }
}

/// How many times `byte` occurs in `bytes` (a loop the compiler vectorises).
fn count(bytes: &[u8], byte: u8) -> usize {
    bytes.iter().filter(|&&b| b == byte).count()
}
