//! [`KeepsRows`]: the trait's promise for `aread_bulk`, kept once for every reader.
//! When an error comes after some rows of a batch, the batch is returned and the
//! error is the result of the next read (the trait's default, having nowhere to hold
//! the error, would drop the rows). [`open_reader`](crate::open_reader) and
//! [`open_file_reader`](crate::open_file_reader) hand out their readers wrapped in it.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use iterable_core::{
    AsyncIterable, BoxFuture, BoxIterable, Error, IterableInfo, Progress, Result, Row,
};

/// A reader whose `aread_bulk` never drops the rows before an error.
pub struct KeepsRows {
    inner: BoxIterable,
    /// An error met by `aread_bulk` after some rows, handed out by the next read.
    held: Option<Error>,
}

impl KeepsRows {
    /// Wraps `inner`.
    pub fn wrap(inner: BoxIterable) -> BoxIterable {
        Box::new(KeepsRows { inner, held: None })
    }
}

impl Stream for KeepsRows {
    type Item = Result<Row>;

    #[inline]
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        if let Some(error) = self.held.take() {
            return Poll::Ready(Some(Err(error)));
        }
        Pin::new(&mut self.inner).poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

#[deny(clippy::missing_trait_methods)]
impl AsyncIterable for KeepsRows {
    fn aread(&mut self) -> BoxFuture<'_, Result<Option<Row>>> {
        if let Some(error) = self.held.take() {
            return Box::pin(async move { Err(error) });
        }
        self.inner.aread()
    }
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        Box::pin(async move {
            if let Some(error) = self.held.take() {
                return Err(error);
            }
            let mut rows = Vec::with_capacity(n.min(65536));
            // One poll takes every row that is ready, not one await per row.
            let inner = &mut self.inner;
            let error = poll_fn(|cx| {
                while rows.len() < n {
                    match Pin::new(&mut *inner).poll_next(cx) {
                        Poll::Ready(Some(Ok(row))) => rows.push(row),
                        Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(error)),
                        Poll::Ready(None) => break,
                        Poll::Pending => return Poll::Pending,
                    }
                }
                Poll::Ready(None)
            })
            .await;
            match error {
                Some(error) if rows.is_empty() => Err(error),
                Some(error) => {
                    self.held = Some(error);
                    Ok(rows)
                }
                None => Ok(rows),
            }
        })
    }
    fn awrite<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<()>> {
        self.inner.awrite(row)
    }
    fn awrite_bulk<'a>(&'a mut self, rows: &'a [Row]) -> BoxFuture<'a, Result<()>> {
        self.inner.awrite_bulk(rows)
    }
    fn areset(&mut self) -> BoxFuture<'_, Result<()>> {
        self.held = None;
        self.inner.areset()
    }
    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        self.inner.aclose()
    }
    fn columns(&self) -> Option<std::sync::Arc<iterable_core::Header>> {
        self.inner.columns()
    }
    fn awrite_columns<'a>(
        &'a mut self,
        columns: &'a iterable_core::Header,
    ) -> BoxFuture<'a, Result<()>> {
        self.inner.awrite_columns(columns)
    }
    fn info(&self) -> &IterableInfo {
        self.inner.info()
    }
    fn progress(&self) -> Progress {
        self.inner.progress()
    }
}
