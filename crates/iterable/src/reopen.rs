//! [`Reopening`]: gives any reader `areset` by opening its location again.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{
    AsyncIterable, BoxIterable, Error, IterableInfo, Options, Progress, Result, Row,
};

/// A reader plus what it takes to open it again. Every method forwards to the reader
/// except `areset`, which closes it and opens the location anew (a URL is fetched again),
/// and `aread_bulk`, which never drops rows: when an error comes after some rows of a
/// batch, the batch is returned and the error is held for the next read.
pub(crate) struct Reopening {
    inner: BoxIterable,
    location: String,
    options: Options,
    /// An error met by `aread_bulk` after some rows, handed out by the next read.
    held: Option<Error>,
}

impl Reopening {
    pub(crate) fn new(inner: BoxIterable, location: &str, options: Options) -> Self {
        Reopening {
            inner,
            location: location.to_owned(),
            options,
            held: None,
        }
    }
}

impl Stream for Reopening {
    type Item = Result<Row>;

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
impl AsyncIterable for Reopening {
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
        Box::pin(async move {
            if self.location == "-" {
                return Err(Error::unsupported("-", "standard input cannot be rewound"));
            }
            self.held = None;
            self.inner.aclose().await?;
            self.inner = crate::open::open_read_once(&self.location, &self.options).await?;
            Ok(())
        })
    }
    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        self.inner.aclose()
    }
    fn info(&self) -> &IterableInfo {
        self.inner.info()
    }
    fn progress(&self) -> Progress {
        self.inner.progress()
    }
}
