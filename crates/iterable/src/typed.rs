//! Typed rows both ways: any iterable read as a stream of your own `Deserialize` type,
//! and your `Serialize` values written as rows ([`TypedRows`]).

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{AsyncIterable, Error, Result, Row};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reading rows as `T` and writing `T` as rows, on every iterable (`use
/// iterable::TypedRows`).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use futures::StreamExt;
/// use iterable::{IterableOptions, TypedRows, aopen_iterable};
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Sale { id: u32, item: String, price: f64 }
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("sales.parquet");
/// let path = path.to_str().unwrap();
/// let mut out = IterableOptions::write().open(path).await?;
/// out.awrite_serialize(&Sale { id: 1, item: "tea".into(), price: 2.5 }).await?;
/// out.awrite_serialize(&Sale { id: 2, item: "cake".into(), price: 4.0 }).await?;
/// out.aclose().await?;
///
/// let mut sales = aopen_iterable(path).await?.deserialize::<Sale>();
/// let first = sales.next().await.unwrap()?;
/// assert_eq!(first, Sale { id: 1, item: "tea".into(), price: 2.5 });
/// # Ok::<(), iterable::Error>(())
/// # }).unwrap();
/// ```
pub trait TypedRows: AsyncIterable + Sized {
    /// The rows as `T`, in order: a stream of `Result<T>`. A row that does not fit `T`
    /// is an error naming the location and the row's number; reading goes on after it
    /// (the error is one item, as a bad record under the `Skip` policy would be one
    /// skipped row).
    fn deserialize<T: DeserializeOwned>(self) -> Deserialized<Self, T> {
        Deserialized {
            inner: self,
            rows: 0,
            _type: PhantomData,
        }
    }

    /// Writes `value` as one row ([`Row::from_serialize`]).
    fn awrite_serialize<'a, T: Serialize + ?Sized>(
        &'a mut self,
        value: &T,
    ) -> BoxFuture<'a, Result<()>> {
        let row = Row::from_serialize(value);
        Box::pin(async move { self.awrite(&row?).await })
    }

    /// Writes each of `values` as a row, in bulk.
    fn awrite_serialize_bulk<'a, T: Serialize>(
        &'a mut self,
        values: &[T],
    ) -> BoxFuture<'a, Result<()>> {
        let rows: Result<Vec<Row>> = values.iter().map(Row::from_serialize).collect();
        Box::pin(async move { self.awrite_bulk(&rows?).await })
    }
}

impl<I: AsyncIterable + Sized> TypedRows for I {}

/// The rows of an iterable as `T` (see [`TypedRows::deserialize`]).
pub struct Deserialized<I, T> {
    inner: I,
    rows: u64,
    _type: PhantomData<fn() -> T>,
}

impl<I: AsyncIterable, T> Deserialized<I, T> {
    /// The iterable underneath (for its `progress()` or `info()`).
    pub fn get_ref(&self) -> &I {
        &self.inner
    }

    /// The iterable back.
    pub fn into_inner(self) -> I {
        self.inner
    }
}

impl<I, T> std::fmt::Debug for Deserialized<I, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deserialized")
            .field("rows", &self.rows)
            .field("type", &std::any::type_name::<T>())
            .finish()
    }
}

impl<I: AsyncIterable, T: DeserializeOwned> Stream for Deserialized<I, T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(row))) => {
                this.rows += 1;
                Poll::Ready(Some(row.deserialize::<T>().map_err(|e| {
                    let message = match e {
                        Error::Deserialize(m) => m,
                        other => other.to_string(),
                    };
                    Error::Deserialize(format!(
                        "{}: row {}: {message}",
                        this.inner.info().location,
                        this.rows
                    ))
                })))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
