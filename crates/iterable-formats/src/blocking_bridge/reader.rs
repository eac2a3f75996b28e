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
    spawn_producer(bytes, setup, move |input, rows| {
        for row in open(input)? {
            if !rows.send(row?) {
                break;
            }
        }
        Ok(())
    })
}

/// Like [`spawn_reader`], for parsers that push rows rather than being iterated
/// (their iterator would borrow the input): `produce` parses the [`SyncInput`] and
/// hands each row to [`RowSender::send`], stopping when it returns `false` (the
/// reader is gone). Returning `Err` ends the stream with that error after the rows
/// sent before it.
pub fn spawn_producer<R, F>(bytes: R, setup: ReaderSetup, produce: F) -> BlockingReader
where
    R: AsyncRead + Send + Unpin + 'static,
    F: FnOnce(SyncInput, &mut RowSender) -> Result<()> + Send + 'static,
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
    let target = FIRST_BATCH.min(batch_rows);
    let mut sender = RowSender {
        tx,
        stop: stop.clone(),
        batch: Vec::with_capacity(target),
        target,
        batch_rows,
        gone: false,
    };
    let task = tokio::task::spawn_blocking(move || {
        let outcome = produce(input, &mut sender);
        sender.end(outcome);
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

/// The blocking thread's end of the channel: gathers rows into batches and sends
/// them, blocking while the channel is full.
pub struct RowSender {
    tx: mpsc::Sender<Message>,
    stop: Arc<AtomicBool>,
    batch: Vec<Row>,
    target: usize,
    batch_rows: usize,
    gone: bool,
}

impl std::fmt::Debug for RowSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowSender")
            .field("batched", &self.batch.len())
            .field("gone", &self.gone)
            .finish_non_exhaustive()
    }
}

impl RowSender {
    /// Queues one row; `false` when the reader is gone and the parser should stop.
    pub fn send(&mut self, row: Row) -> bool {
        if self.gone || self.stop.load(Ordering::Relaxed) {
            self.gone = true;
            return false;
        }
        self.batch.push(row);
        if self.batch.len() >= self.target {
            self.target = (self.target * 2).min(self.batch_rows);
            let full = std::mem::replace(&mut self.batch, Vec::with_capacity(self.target));
            return self.push(Message::Rows(full));
        }
        true
    }

    fn push(&mut self, message: Message) -> bool {
        if self.tx.blocking_send(message).is_err() {
            self.gone = true;
        }
        !self.gone
    }

    /// Sends the last rows, then the end or the error.
    fn end(mut self, outcome: Result<()>) {
        if self.gone {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        if !batch.is_empty() && !self.push(Message::Rows(batch)) {
            return;
        }
        self.push(match outcome {
            Ok(()) => Message::End,
            Err(e) => Message::Failed(e),
        });
    }
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
