//! [`BlockingReader`]: a synchronous row iterator on the blocking pool, seen from the
//! async side as an [`AsyncIterable`].

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{AsyncIterable, Error, IterableInfo, Progress, Result, Row};
use tokio::io::AsyncRead;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{BridgeConfig, SyncInput};

/// The first batch is this small, so the first rows arrive early; batches then double.
const FIRST_BATCH: usize = 16;

/// What the blocking thread sends.
enum Message {
    Rows(Vec<Row>),
    /// The error that ends the stream (after the rows sent before it).
    Failed(Error),
    /// The iterator ended normally.
    End,
}

/// What a bridged reader is and how it counts.
#[derive(Debug, Clone)]
pub struct ReaderSetup {
    /// Location, format, codec; `mode` is `Read`.
    pub info: IterableInfo,
    /// Bytes consumed from the source, kept by the byte layer (for `progress()`).
    pub bytes_read: Arc<AtomicU64>,
    /// The source's size, when known.
    pub bytes_total: Option<u64>,
    /// Batch size and channel depth.
    pub config: BridgeConfig,
}

impl ReaderSetup {
    /// A setup without byte accounting.
    pub fn new(info: IterableInfo, config: BridgeConfig) -> Self {
        ReaderSetup {
            info,
            bytes_read: Arc::default(),
            bytes_total: None,
            config,
        }
    }
}

/// Rows produced by a synchronous iterator on a blocking thread. Dropping it stops
/// the thread; see the [module docs](super).
pub struct BlockingReader {
    info: IterableInfo,
    rx: mpsc::Receiver<Message>,
    batch: std::vec::IntoIter<Row>,
    stop: Arc<AtomicBool>,
    task: Option<JoinHandle<()>>,
    done: bool,
    rows: u64,
    bytes_read: Arc<AtomicU64>,
    bytes_total: Option<u64>,
}

impl std::fmt::Debug for BlockingReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingReader")
            .field("info", &self.info)
            .field("rows", &self.rows)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Runs `open` on a blocking thread: it gets the source's bytes as a [`SyncInput`]
/// and returns the format's row iterator, which the thread drives, sending rows in
/// batches. An error from `open` or from the iterator ends the stream after the rows
/// before it. Must be called within a tokio runtime.
pub fn spawn_reader<R, F, I>(bytes: R, setup: ReaderSetup, open: F) -> BlockingReader
where
    R: AsyncRead + Send + Unpin + 'static,
    F: FnOnce(SyncInput) -> Result<I> + Send + 'static,
    I: Iterator<Item = Result<Row>>,
{
    let ReaderSetup {
        info,
        bytes_read,
        bytes_total,
        config,
    } = setup;
    let (tx, rx) = mpsc::channel(config.batches_ahead());
    let stop = Arc::new(AtomicBool::new(false));
    let input = SyncInput::new(
        Box::new(bytes),
        tokio::runtime::Handle::current(),
        stop.clone(),
        &info.location,
    );
    let batch_rows = config.batch_rows();
    let thread_stop = stop.clone();
    let task = tokio::task::spawn_blocking(move || {
        produce(input, open, &tx, &thread_stop, batch_rows);
    });
    BlockingReader {
        info,
        rx,
        batch: Vec::new().into_iter(),
        stop,
        task: Some(task),
        done: false,
        rows: 0,
        bytes_read,
        bytes_total,
    }
}

/// The blocking thread's loop. Returns when the rows end, on an error, or as soon as
/// the reader is gone (a send fails or the stop flag is up).
fn produce<F, I>(
    input: SyncInput,
    open: F,
    tx: &mpsc::Sender<Message>,
    stop: &AtomicBool,
    batch_rows: usize,
) where
    F: FnOnce(SyncInput) -> Result<I>,
    I: Iterator<Item = Result<Row>>,
{
    let rows = match open(input) {
        Ok(rows) => rows,
        Err(e) => {
            let _ = tx.blocking_send(Message::Failed(e));
            return;
        }
    };
    let mut target = FIRST_BATCH.min(batch_rows);
    let mut batch = Vec::with_capacity(target);
    for row in rows {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        match row {
            Ok(row) => {
                batch.push(row);
                if batch.len() >= target {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(target));
                    if tx.blocking_send(Message::Rows(full)).is_err() {
                        return;
                    }
                    target = (target * 2).min(batch_rows);
                }
            }
            Err(e) => {
                if !batch.is_empty() && tx.blocking_send(Message::Rows(batch)).is_err() {
                    return;
                }
                let _ = tx.blocking_send(Message::Failed(e));
                return;
            }
        }
    }
    if !batch.is_empty() && tx.blocking_send(Message::Rows(batch)).is_err() {
        return;
    }
    let _ = tx.blocking_send(Message::End);
}

impl BlockingReader {
    fn poll_row(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        loop {
            if let Some(row) = self.batch.next() {
                self.rows += 1;
                return Poll::Ready(Some(Ok(row)));
            }
            if self.done {
                return Poll::Ready(None);
            }
            match ready!(self.rx.poll_recv(cx)) {
                Some(Message::Rows(rows)) => self.batch = rows.into_iter(),
                Some(Message::Failed(e)) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Some(Message::End) => self.done = true,
                None => {
                    self.done = true;
                    return Poll::Ready(Some(Err(Error::Io {
                        location: self.info.location.clone(),
                        source: std::io::Error::other(
                            "the format's reader thread stopped before the end (it panicked)",
                        ),
                    })));
                }
            }
        }
    }

    /// Stops the thread: raises the stop flag and closes the channel.
    fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.rx.close();
        self.batch = Vec::new().into_iter();
        self.done = true;
    }
}

impl Stream for BlockingReader {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        self.get_mut().poll_row(cx)
    }
}

impl AsyncIterable for BlockingReader {
    /// Stops the blocking thread and waits until it has ended.
    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        self.stop();
        let task = self.task.take();
        Box::pin(async move {
            if let Some(task) = task {
                // Unblock a thread waiting to send: drain what it still pushes.
                while self.rx.recv().await.is_some() {}
                let _ = task.await;
            }
            Ok(())
        })
    }

    fn info(&self) -> &IterableInfo {
        &self.info
    }

    fn progress(&self) -> Progress {
        Progress {
            rows: self.rows,
            bytes: self.bytes_read.load(Ordering::Relaxed),
            bytes_total: self.bytes_total,
            skipped: 0,
        }
    }
}

impl Drop for BlockingReader {
    fn drop(&mut self) {
        self.stop();
    }
}
