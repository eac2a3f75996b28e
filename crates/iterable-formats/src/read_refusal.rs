//! How a writer answers reads: the stream gives one `Unsupported` error, then ends;
//! `aread` and `aread_bulk` answer `Unsupported` every time.

use std::task::Poll;

use futures_core::future::BoxFuture;

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

/// A writer's `aread` and `aread_bulk`: the `Unsupported` error of [`unsupported_read`],
/// every time.
pub(crate) fn refuse<T: Send + 'static>(info: &IterableInfo) -> BoxFuture<'static, Result<T>> {
    let err = unsupported_read(info);
    Box::pin(async move { Err(err) })
}
