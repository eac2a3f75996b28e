//! Decoders that panic on corrupt input (a library's `unwrap` on a bad length, an
//! unchecked index) must not crash the caller or end a stream as if the input were
//! whole: [`guard_stream`] turns a panic while polling a stream into one error that
//! names the location, and [`guard_future`] does the same for a future.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use iterable_core::{Error, Result};

/// `stream`, with a panic while it is polled given as an [`Error::panicked`] naming
/// `location` and `what`, after which the stream ends.
#[allow(dead_code)] // only some feature sets use it
pub(crate) fn guard_stream<S, T>(stream: S, location: &str, what: &'static str) -> GuardedStream<S>
where
    S: Stream<Item = Result<T>> + Unpin,
{
    GuardedStream {
        inner: Some(stream),
        location: location.to_owned(),
        what,
    }
}

/// A stream whose panics become errors (see [`guard_stream`]).
pub(crate) struct GuardedStream<S> {
    inner: Option<S>,
    location: String,
    what: &'static str,
}

impl<S, T> Stream for GuardedStream<S>
where
    S: Stream<Item = Result<T>> + Unpin,
{
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll_next(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                // The inner stream may be in any state now: never poll it again.
                this.inner = None;
                Poll::Ready(Some(Err(Error::panicked(
                    &this.location,
                    this.what,
                    payload.as_ref(),
                ))))
            }
        }
    }
}

/// Awaits `future`, giving a panic inside it as an [`Error::panicked`].
#[allow(dead_code)] // only some feature sets use it
pub(crate) async fn guard_future<F, T>(future: F, location: &str, what: &'static str) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(Error::panicked(location, what, payload.as_ref()))),
        },
    )
    .await
}

/// A panic caught by a joined task (`JoinError`) as an [`Error::panicked`]; a task
/// cancelled as an I/O error.
#[allow(dead_code)] // only some feature sets use it
pub(crate) fn join_error(location: &str, what: &'static str, e: tokio::task::JoinError) -> Error {
    match e.try_into_panic() {
        Ok(payload) => Error::panicked(location, what, payload.as_ref()),
        Err(e) => Error::io(location, std::io::Error::other(e)),
    }
}
