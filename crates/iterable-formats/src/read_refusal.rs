//! How a writer answers reads: one `Unsupported` error, then the end of the stream.

use std::task::Poll;

use iterable_core::{IterableInfo, Result, Row, unsupported_read};

/// Remembers whether a writer already refused a read.
#[derive(Debug, Default)]
pub(crate) struct ReadRefusal {
    refused: bool,
}

impl ReadRefusal {
    /// A writer's `poll_next`: the first call yields the `Unsupported` error of
    /// [`unsupported_read`], every later one the end.
    pub(crate) fn poll_next(&mut self, info: &IterableInfo) -> Poll<Option<Result<Row>>> {
        if self.refused {
            return Poll::Ready(None);
        }
        self.refused = true;
        Poll::Ready(Some(Err(unsupported_read(info))))
    }
}
