//! Encoding behind the writer: the format writes into a chunk buffer, full chunks go
//! over a small bounded channel to a task that runs the encoder and writes the file,
//! so on a multi-threaded runtime serialising rows and compressing them use two cores.
//! Memory stays bounded by [`BEHIND_CHUNKS`] x [`CHUNK_SIZE`].
//!
//! Flush and shutdown travel through the same channel, in order, and are answered once
//! the encoder has done them; an error of the encoder task comes back at the next
//! write, flush or shutdown. Dropping the writer ends the task.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::PollSender;

use iterable_core::Codec;

use crate::codec::{ByteWriter, compress_member, encoder, has_members};

/// Bytes per chunk handed to the encoder (and per member, for codecs with members).
const CHUNK_SIZE: usize = 1024 * 1024;
/// Members being compressed at once, at most.
const MEMBERS_IN_FLIGHT: usize = 3;
/// Chunks waiting for the encoder at most.
const BEHIND_CHUNKS: usize = 2;

enum Command {
    Data(Bytes),
    Flush(oneshot::Sender<io::Result<()>>),
    Shutdown(oneshot::Sender<io::Result<()>>),
}

/// The write end; see the module docs.
pub(crate) struct EncodeBehind {
    tx: PollSender<Command>,
    buf: BytesMut,
    /// The answer awaited for a flush or shutdown already sent.
    answer: Option<oneshot::Receiver<io::Result<()>>>,
    /// The first error of the encoder task, shared with it.
    failure: Arc<Mutex<Option<io::Error>>>,
}

/// Moves encoding with `codec` into `out` onto its own task when a tokio runtime is
/// current; without one, hands `out` back. Codecs with independent members (gzip,
/// zstd, bzip2, xz, lz4) compress each chunk as a complete member on a task of its
/// own, up to [`MEMBERS_IN_FLIGHT`] at once, and write the members in order: the
/// concatenation is one valid stream for every reader of those formats. Other codecs
/// run one streaming encoder.
pub(crate) fn encode_behind(
    codec: Codec,
    level: Option<i32>,
    out: ByteWriter,
) -> Result<EncodeBehind, ByteWriter> {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return Err(out);
    };
    let target = if has_members(codec) {
        Target::Members {
            out,
            codec,
            level,
            in_flight: VecDeque::new(),
            wrote_any: false,
        }
    } else {
        Target::Stream(encoder(codec, out, level))
    };
    let (tx, rx) = mpsc::channel(BEHIND_CHUNKS);
    let failure = Arc::new(Mutex::new(None));
    runtime.spawn(run(target, rx, failure.clone()));
    Ok(EncodeBehind {
        tx: PollSender::new(tx),
        buf: BytesMut::new(),
        answer: None,
        failure,
    })
}

/// Where the chunks go.
enum Target {
    /// One streaming encoder.
    Stream(ByteWriter),
    /// Independent members compressed in parallel, written in order to `out`.
    Members {
        out: ByteWriter,
        codec: Codec,
        level: Option<i32>,
        in_flight: VecDeque<JoinHandle<io::Result<Vec<u8>>>>,
        wrote_any: bool,
    },
}

impl Target {
    async fn data(&mut self, bytes: Bytes) -> io::Result<()> {
        match self {
            Target::Stream(w) => w.write_all(&bytes).await,
            Target::Members {
                codec,
                level,
                in_flight,
                ..
            } => {
                let (codec, level) = (*codec, *level);
                in_flight.push_back(tokio::spawn(async move {
                    compress_member(codec, level, &bytes).await
                }));
                while self.members_in_flight() > MEMBERS_IN_FLIGHT {
                    self.write_next_member().await?;
                }
                Ok(())
            }
        }
    }

    fn members_in_flight(&self) -> usize {
        match self {
            Target::Members { in_flight, .. } => in_flight.len(),
            Target::Stream(_) => 0,
        }
    }

    /// Writes the oldest member in flight, if any; `false` when none was.
    async fn write_next_member(&mut self) -> io::Result<bool> {
        let Target::Members {
            out,
            in_flight,
            wrote_any,
            ..
        } = self
        else {
            return Ok(false);
        };
        let Some(job) = in_flight.pop_front() else {
            return Ok(false);
        };
        let member = job
            .await
            .map_err(|e| io::Error::other(format!("compression task failed: {e}")))??;
        out.write_all(&member).await?;
        *wrote_any = true;
        Ok(true)
    }

    async fn flush(&mut self) -> io::Result<()> {
        while self.write_next_member().await? {}
        match self {
            Target::Stream(w) | Target::Members { out: w, .. } => w.flush().await,
        }
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        while self.write_next_member().await? {}
        match self {
            Target::Stream(w) => w.shutdown().await,
            Target::Members {
                out,
                codec,
                level,
                wrote_any,
                ..
            } => {
                if !*wrote_any {
                    // An empty stream is still one (empty) member, as a streaming encoder writes.
                    out.write_all(&compress_member(*codec, *level, &[]).await?)
                        .await?;
                }
                out.shutdown().await
            }
        }
    }
}

async fn run(
    mut target: Target,
    mut rx: mpsc::Receiver<Command>,
    failure: Arc<Mutex<Option<io::Error>>>,
) {
    while let Some(command) = rx.recv().await {
        let (result, reply) = match command {
            Command::Data(bytes) => (target.data(bytes).await, None),
            Command::Flush(reply) => (target.flush().await, Some(reply)),
            Command::Shutdown(reply) => (target.shutdown().await, Some(reply)),
        };
        match (result, reply) {
            (Ok(()), Some(reply)) => {
                let _ = reply.send(Ok(()));
            }
            (Ok(()), None) => {}
            (Err(e), reply) => {
                let copy = io::Error::new(e.kind(), e.to_string());
                *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                if let Some(reply) = reply {
                    let _ = reply.send(Err(copy));
                }
                return; // dropping `rx` fails the writer's next send
            }
        }
    }
}

impl EncodeBehind {
    fn failure(&self) -> io::Error {
        match &*self.failure.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => io::Error::new(e.kind(), e.to_string()),
            None => io::Error::other("the encoder task ended"),
        }
    }

    fn poll_send(
        &mut self,
        cx: &mut Context<'_>,
        command: impl FnOnce(&mut Self) -> Command,
    ) -> Poll<io::Result<()>> {
        if ready!(self.tx.poll_reserve(cx)).is_err() {
            return Poll::Ready(Err(self.failure()));
        }
        let command = command(self);
        if self.tx.send_item(command).is_err() {
            return Poll::Ready(Err(self.failure()));
        }
        Poll::Ready(Ok(()))
    }

    /// Sends the buffered bytes, if any.
    fn poll_send_buffer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.buf.is_empty() {
            return Poll::Ready(Ok(()));
        }
        self.poll_send(cx, |this| Command::Data(this.buf.split().freeze()))
    }

    /// Sends the buffer, then a flush or shutdown, then waits for its answer.
    fn poll_command(
        &mut self,
        cx: &mut Context<'_>,
        make: fn(oneshot::Sender<io::Result<()>>) -> Command,
    ) -> Poll<io::Result<()>> {
        if self.answer.is_none() {
            ready!(self.poll_send_buffer(cx))?;
            let (reply, answer) = oneshot::channel();
            ready!(self.poll_send(cx, |_| make(reply)))?;
            self.answer = Some(answer);
        }
        let answer = self.answer.as_mut().expect("an answer is awaited");
        let result = ready!(Pin::new(answer).poll(cx));
        self.answer = None;
        Poll::Ready(result.unwrap_or_else(|_| Err(self.failure())))
    }
}

impl AsyncWrite for EncodeBehind {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buf.len() >= CHUNK_SIZE {
            ready!(this.poll_send_buffer(cx))?;
        }
        if this.buf.capacity() == 0 {
            this.buf.reserve(CHUNK_SIZE);
        }
        let n = data.len().min(CHUNK_SIZE - this.buf.len());
        this.buf.extend_from_slice(&data[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_command(cx, Command::Flush)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_command(cx, Command::Shutdown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what reaches it; fails every write once `fail_after` bytes are in.
    struct Recorder {
        seen: Arc<Mutex<Vec<u8>>>,
        fail_after: usize,
        shut: Arc<Mutex<bool>>,
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            data: &[u8],
        ) -> Poll<io::Result<usize>> {
            let mut seen = self.seen.lock().unwrap();
            if seen.len() >= self.fail_after {
                return Poll::Ready(Err(io::Error::other("disk full")));
            }
            seen.extend_from_slice(data);
            Poll::Ready(Ok(data.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            *self.shut.lock().unwrap() = true;
            Poll::Ready(Ok(()))
        }
    }

    type Shared<T> = Arc<Mutex<T>>;

    fn recorder(fail_after: usize) -> (ByteWriter, Shared<Vec<u8>>, Shared<bool>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shut = Arc::new(Mutex::new(false));
        let w = Recorder {
            seen: seen.clone(),
            fail_after,
            shut: shut.clone(),
        };
        (Box::new(w), seen, shut)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bytes_arrive_in_order_and_shutdown_reaches_the_encoder() {
        let (inner, seen, shut) = recorder(usize::MAX);
        let mut w = encode_behind(Codec::None, None, inner).ok().unwrap();
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        for piece in data.chunks(7919) {
            w.write_all(piece).await.unwrap();
        }
        w.flush().await.unwrap();
        assert_eq!(seen.lock().unwrap().len(), data.len());
        w.shutdown().await.unwrap();
        assert!(*shut.lock().unwrap());
        assert_eq!(*seen.lock().unwrap(), data);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_encoder_error_comes_back_to_the_writer() {
        let (inner, _, shut) = recorder(1000);
        let mut w = encode_behind(Codec::None, None, inner).ok().unwrap();
        let chunk = vec![b'x'; CHUNK_SIZE];
        let mut failed = None;
        for _ in 0..8 {
            if let Err(e) = w.write_all(&chunk).await {
                failed = Some(e);
                break;
            }
        }
        let err = match failed {
            Some(e) => e,
            None => w.shutdown().await.unwrap_err(),
        };
        assert_eq!(err.to_string(), "disk full");
        assert!(
            !*shut.lock().unwrap(),
            "a failed stream is never shut down as if complete"
        );
    }

    async fn decode(codec: Codec, bytes: Vec<u8>) -> Vec<u8> {
        use tokio::io::AsyncReadExt;
        let mut out = Vec::new();
        crate::codec::decoder(codec, std::io::Cursor::new(bytes))
            .read_to_end(&mut out)
            .await
            .unwrap();
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn members_compressed_in_parallel_read_back_as_one_stream() {
        let data: Vec<u8> = (0..3_500_000u32)
            .map(|i| b"abcdefghij,\n"[(i % 7 + i / 1000 % 5) as usize])
            .collect();
        for codec in [
            Codec::Gzip,
            Codec::Zstd,
            Codec::Bzip2,
            Codec::Xz,
            Codec::Lz4,
        ] {
            let (inner, seen, shut) = recorder(usize::MAX);
            let mut w = encode_behind(codec, None, inner).ok().unwrap();
            for piece in data.chunks(100_003) {
                w.write_all(piece).await.unwrap();
            }
            w.shutdown().await.unwrap();
            assert!(*shut.lock().unwrap());
            let compressed = seen.lock().unwrap().clone();
            assert!(compressed.len() < data.len() / 2, "{codec}");
            assert_eq!(decode(codec, compressed).await, data, "{codec}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_empty_stream_is_one_empty_member() {
        for codec in [Codec::Gzip, Codec::Zstd] {
            let (inner, seen, _) = recorder(usize::MAX);
            let mut w = encode_behind(codec, None, inner).ok().unwrap();
            w.shutdown().await.unwrap();
            let compressed = seen.lock().unwrap().clone();
            assert!(!compressed.is_empty(), "{codec}");
            assert_eq!(Codec::sniff(&compressed), Some(codec));
            assert!(decode(codec, compressed).await.is_empty());
        }
    }
}
