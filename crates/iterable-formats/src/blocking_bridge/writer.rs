//! [`BlockingWriter`]: a synchronous row writer on the blocking pool, fed from the
//! async side in batches.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{AsyncIterable, Error, IterableInfo, Progress, Result, Row, unsupported_read};
use tokio::io::AsyncWrite;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{BridgeConfig, SyncOutput};

/// A format's synchronous writer, driven by the bridge on a blocking thread.
pub trait RowWriter {
    /// Writes one row (the bridge numbers rows from 1 in `row_number`, for errors).
    fn write_row(&mut self, row: &Row, row_number: u64) -> Result<()>;

    /// Writes what remains (trailers, footers) and hands the output back; the bridge
    /// then flushes and shuts it down.
    fn finish(self) -> Result<SyncOutput>;
}

/// What the async side sends.
enum Message {
    Rows(Vec<Row>),
    /// `aclose`: finish the file.
    Finish,
}

/// Rows written by a synchronous writer on a blocking thread. See the
/// [module docs](super).
pub struct BlockingWriter {
    info: IterableInfo,
    tx: Option<mpsc::Sender<Message>>,
    task: Option<JoinHandle<Result<()>>>,
    batch: Vec<Row>,
    batch_rows: usize,
    rows: u64,
    written: Arc<AtomicU64>,
    closed: bool,
    refused_read: bool,
}

impl std::fmt::Debug for BlockingWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingWriter")
            .field("info", &self.info)
            .field("rows", &self.rows)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

/// Runs `open` on a blocking thread with a [`SyncOutput`] over `sink`; the
/// [`RowWriter`] it returns gets every row written to the [`BlockingWriter`].
/// Must be called within a tokio runtime.
pub fn spawn_writer<W, F, T>(
    sink: W,
    info: IterableInfo,
    config: BridgeConfig,
    open: F,
) -> BlockingWriter
where
    W: AsyncWrite + Send + Unpin + 'static,
    F: FnOnce(SyncOutput) -> Result<T> + Send + 'static,
    T: RowWriter,
{
    spawn_consumer(sink, info, config, move |output, rows| {
        let mut writer = open(output)?;
        while let Some((number, row)) = rows.next_row() {
            writer.write_row(&row, number)?;
        }
        if rows.finished() {
            writer.finish()
        } else {
            Err(dropped(rows.location()))
        }
    })
}

/// Like [`spawn_writer`], for writers that borrow state of their own (a schema) and
/// so cannot be a [`RowWriter`]: `consume` pulls the rows with
/// [`RowReceiver::next_row`] until it returns `None` and hands the output back; the
/// bridge then flushes and shuts it down, but only when `aclose` was called (a
/// dropped writer never publishes). An `Err` fails the writer: `awrite` or `aclose`
/// returns it, and nothing is published.
pub fn spawn_consumer<W, F>(
    sink: W,
    info: IterableInfo,
    config: BridgeConfig,
    consume: F,
) -> BlockingWriter
where
    W: AsyncWrite + Send + Unpin + 'static,
    F: FnOnce(SyncOutput, &mut RowReceiver) -> Result<SyncOutput> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(config.batches_ahead());
    let written = Arc::new(AtomicU64::new(0));
    let output = SyncOutput::new(
        Box::new(sink),
        tokio::runtime::Handle::current(),
        written.clone(),
    );
    let location = info.location.clone();
    let task = tokio::task::spawn_blocking(move || {
        let mut rows = RowReceiver {
            rx,
            batch: Vec::new().into_iter(),
            number: 0,
            finished: false,
            location,
        };
        let output = consume(output, &mut rows)?;
        if !rows.finished() {
            return Err(dropped(&rows.location));
        }
        output.close().map_err(|e| Error::io(&rows.location, e))
    });
    BlockingWriter {
        info,
        tx: Some(tx),
        task: Some(task),
        batch: Vec::new(),
        batch_rows: config.batch_rows(),
        rows: 0,
        written,
        closed: false,
        refused_read: false,
    }
}

fn dropped(location: &str) -> Error {
    Error::unsupported(
        location,
        "the writer was dropped without aclose; nothing was published",
    )
}

/// The blocking thread's end of a writer: the rows written, in order.
pub struct RowReceiver {
    rx: mpsc::Receiver<Message>,
    batch: std::vec::IntoIter<Row>,
    number: u64,
    finished: bool,
    location: String,
}

impl std::fmt::Debug for RowReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReceiver")
            .field("location", &self.location)
            .field("number", &self.number)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl RowReceiver {
    /// The next row and its 1-based number, blocking until it comes; `None` after the
    /// last row (`aclose` was called: [`finished`](Self::finished) is true) or when
    /// the writer was dropped (it is false).
    pub fn next_row(&mut self) -> Option<(u64, Row)> {
        loop {
            if let Some(row) = self.batch.next() {
                self.number += 1;
                return Some((self.number, row));
            }
            if self.finished {
                return None;
            }
            match self.rx.blocking_recv() {
                Some(Message::Rows(rows)) => self.batch = rows.into_iter(),
                Some(Message::Finish) => self.finished = true,
                None => return None,
            }
        }
    }

    /// Whether `aclose` was called and every row has been taken.
    pub fn finished(&self) -> bool {
        self.finished && self.batch.len() == 0
    }

    /// The location written, for errors.
    pub fn location(&self) -> &str {
        &self.location
    }
}

impl BlockingWriter {
    fn closed_error(&self) -> Error {
        Error::unsupported(&self.info.location, "the writer is closed")
    }

    /// Sends the pending batch. When the thread is gone (it failed), its error.
    async fn send(&mut self, message: Message) -> Result<()> {
        let Some(tx) = self.tx.as_ref() else {
            return Err(self.closed_error());
        };
        if tx.send(message).await.is_ok() {
            return Ok(());
        }
        self.tx = None;
        Err(self
            .outcome()
            .await
            .err()
            .unwrap_or_else(|| self.closed_error()))
    }

    /// Waits for the thread and returns its result.
    async fn outcome(&mut self) -> Result<()> {
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| {
                Err(Error::Io {
                    location: self.info.location.clone(),
                    source: std::io::Error::other(format!(
                        "the format's writer thread failed: {e}"
                    )),
                })
            }),
            None => Err(self.closed_error()),
        }
    }

    async fn flush_batch(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_rows));
        self.send(Message::Rows(batch)).await
    }
}

impl Stream for BlockingWriter {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        let this = self.get_mut();
        if this.refused_read {
            return Poll::Ready(None);
        }
        this.refused_read = true;
        Poll::Ready(Some(Err(unsupported_read(&this.info))))
    }
}

impl AsyncIterable for BlockingWriter {
    fn aread(&mut self) -> BoxFuture<'_, Result<Option<Row>>> {
        let err = unsupported_read(&self.info);
        Box::pin(async move { Err(err) })
    }

    fn aread_bulk(&mut self, _n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        let err = unsupported_read(&self.info);
        Box::pin(async move { Err(err) })
    }

    fn awrite<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if self.closed {
                return Err(self.closed_error());
            }
            self.batch.push(row.clone());
            self.rows += 1;
            if self.batch.len() >= self.batch_rows {
                self.flush_batch().await?;
            }
            Ok(())
        })
    }

    fn awrite_bulk<'a>(&'a mut self, rows: &'a [Row]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            for row in rows {
                self.awrite(row).await?;
            }
            Ok(())
        })
    }

    /// Sends the last rows, finishes the file and shuts the sink down; waits for it.
    /// Closing twice is fine.
    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            if self.closed {
                return Ok(());
            }
            self.closed = true;
            self.flush_batch().await?;
            self.send(Message::Finish).await?;
            self.tx = None;
            self.outcome().await
        })
    }

    fn info(&self) -> &IterableInfo {
        &self.info
    }

    fn progress(&self) -> Progress {
        Progress {
            rows: self.rows,
            bytes: self.written.load(Ordering::Relaxed),
            bytes_total: None,
            skipped: 0,
        }
    }
}
