//! Writing an object by multipart upload: parts go up while rows are still being
//! written, the upload completes on shutdown, and it is aborted on failure or drop,
//! so no partial object ever appears.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_util::future::BoxFuture;
use iterable_core::{Result, StoreOptions};
use object_store::{MultipartUpload, ObjectStoreExt, PutPayload};
use tokio::io::AsyncWrite;
use tokio::task::JoinSet;

use super::config::build_store;
use super::store_error;
use super::url::StoreUrl;

/// How many parts may be in flight at once; a writer waits for one to finish before
/// starting more (back pressure, bounded memory: this many parts plus one buffer).
const PARTS_IN_FLIGHT: usize = 4;

/// An [`AsyncWrite`] into one object, by multipart upload.
pub(crate) struct MultipartSink {
    location: String,
    state: State,
}

enum State {
    Writing(Upload),
    Finishing(BoxFuture<'static, io::Result<()>>),
    Done,
    Failed,
}

/// An upload in progress: the buffered part and the parts in flight. Dropped before
/// [`Upload::finish`] succeeds, it aborts the upload on the runtime it runs on.
struct Upload {
    location: String,
    upload: Option<Box<dyn MultipartUpload>>,
    buffer: Vec<u8>,
    part_size: usize,
    in_flight: JoinSet<object_store::Result<()>>,
}

impl fmt::Debug for MultipartSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultipartSink")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// Starts a multipart upload to `url`.
pub(crate) async fn open_multipart(
    location: &str,
    url: &StoreUrl,
    options: &StoreOptions,
) -> Result<MultipartSink> {
    let store = build_store(location, url, options)?;
    let upload = store
        .put_multipart(&url.path)
        .await
        .map_err(|e| store_error(location, e))?;
    let part_size = options.part_size.max(1);
    Ok(MultipartSink {
        location: location.to_owned(),
        state: State::Writing(Upload {
            location: location.to_owned(),
            upload: Some(upload),
            buffer: Vec::with_capacity(part_size.min(1 << 20)),
            part_size,
            in_flight: JoinSet::new(),
        }),
    })
}

impl Upload {
    fn failed(&self, e: object_store::Error) -> io::Error {
        io::Error::other(format!("{}: upload failed: {e}", self.location))
    }

    /// Waits until fewer than `limit` parts are in flight; a failed part fails here.
    fn poll_in_flight(&mut self, cx: &mut Context<'_>, limit: usize) -> Poll<io::Result<()>> {
        while !self.in_flight.is_empty() && self.in_flight.len() >= limit.max(1) {
            match ready!(self.in_flight.poll_join_next(cx)) {
                Some(Ok(Ok(()))) | None => {}
                Some(Ok(Err(e))) => return Poll::Ready(Err(self.failed(e))),
                Some(Err(join)) => return Poll::Ready(Err(io::Error::other(join))),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Sends the buffer as the next part.
    fn send_part(&mut self) {
        let part = std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(self.part_size.min(1 << 20)),
        );
        if let Some(upload) = self.upload.as_mut() {
            self.in_flight
                .spawn(upload.put_part(PutPayload::from(part)));
        }
    }

    /// Sends the last part, waits for every part, completes the upload. On failure it
    /// aborts the upload before returning the error.
    async fn finish(mut self) -> io::Result<()> {
        if !self.buffer.is_empty() || self.in_flight.is_empty() {
            // An empty object still needs one (empty) part.
            self.send_part();
        }
        let waited = std::future::poll_fn(|cx| self.poll_in_flight(cx, 0)).await;
        let location = self.location.clone();
        let result = match (waited, self.upload.as_mut()) {
            (Ok(()), Some(upload)) => upload.complete().await.map(drop).map_err(|e| {
                io::Error::other(format!("{location}: completing the upload failed: {e}"))
            }),
            (Ok(()), None) => Err(MultipartSink::closed()),
            (Err(e), _) => Err(e),
        };
        match result {
            Ok(()) => {
                self.upload = None; // complete: nothing to abort
                Ok(())
            }
            Err(e) => {
                settle(&mut self.in_flight).await;
                if let Some(mut upload) = self.upload.take() {
                    let _ = upload.abort().await;
                }
                Err(e)
            }
        }
    }
}

/// Waits for the parts in flight to end, whatever their outcome. Aborting their tasks
/// instead would leave requests the server is still handling, whose parts could land
/// after the abort.
async fn settle(in_flight: &mut JoinSet<object_store::Result<()>>) {
    while in_flight.join_next().await.is_some() {}
}

impl Drop for Upload {
    fn drop(&mut self) {
        let Some(mut upload) = self.upload.take() else {
            return;
        };
        let mut in_flight = std::mem::take(&mut self.in_flight);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                settle(&mut in_flight).await;
                let _ = upload.abort().await;
            });
        }
    }
}

impl MultipartSink {
    fn closed() -> io::Error {
        io::Error::other("the upload is finished or failed; nothing more can be written")
    }

    /// Fails the sink; dropping the upload aborts it.
    fn fail(&mut self, e: io::Error) -> Poll<io::Result<usize>> {
        self.state = State::Failed;
        Poll::Ready(Err(e))
    }
}

impl AsyncWrite for MultipartSink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let State::Writing(upload) = &mut this.state else {
            return Poll::Ready(Err(Self::closed()));
        };
        if upload.buffer.len() >= upload.part_size {
            if let Err(e) = ready!(upload.poll_in_flight(cx, PARTS_IN_FLIGHT)) {
                return this.fail(e);
            }
            upload.send_part();
        }
        let room = upload.part_size - upload.buffer.len();
        let n = buf.len().min(room);
        upload.buffer.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Parts have a minimum size: bytes wait in the buffer until a part is full or
        // the upload completes.
        match self.state {
            State::Failed => Poll::Ready(Err(Self::closed())),
            _ => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Writing(_) => {
                    let State::Writing(upload) = std::mem::replace(&mut this.state, State::Failed)
                    else {
                        unreachable!()
                    };
                    this.state = State::Finishing(Box::pin(upload.finish()));
                }
                State::Finishing(finish) => {
                    let result = ready!(finish.as_mut().poll(cx));
                    this.state = if result.is_ok() {
                        State::Done
                    } else {
                        State::Failed
                    };
                    return Poll::Ready(result);
                }
                State::Done => return Poll::Ready(Ok(())),
                State::Failed => return Poll::Ready(Err(Self::closed())),
            }
        }
    }
}
