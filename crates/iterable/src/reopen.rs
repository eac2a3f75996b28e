//! [`Reopening`]: gives any reader `areset` by opening its location again.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{
    AsyncIterable, BoxIterable, Error, IterableInfo, Options, Progress, Result, Row,
};

/// A reader plus what it takes to open it again. Every method forwards to the reader
/// except `areset`, which closes it and opens the location anew (a URL is fetched
/// again). The readers it wraps keep `aread_bulk`'s promise themselves
/// ([`iterable_formats::KeepsRows`]).
pub(crate) struct Reopening {
    inner: BoxIterable,
    location: String,
    options: Options,
}

impl Reopening {
    pub(crate) fn new(inner: BoxIterable, location: &str, options: Options) -> Self {
        Reopening {
            inner,
            location: location.to_owned(),
            options,
        }
    }
}

impl Stream for Reopening {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

#[deny(clippy::missing_trait_methods)]
impl AsyncIterable for Reopening {
    fn aread(&mut self) -> BoxFuture<'_, Result<Option<Row>>> {
        self.inner.aread()
    }
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        self.inner.aread_bulk(n)
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
            self.inner.aclose().await?;
            self.inner = crate::open::open_read_once(&self.location, &self.options).await?;
            Ok(())
        })
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
