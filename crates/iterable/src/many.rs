//! [`ManyFiles`]: one iterable over many files (a glob, a prefix, a folder or a list
//! of locations), each detected and read on its own, several at a time.
//!
//! Every file is read by its own task into a small bounded channel of row batches;
//! at most `concurrency` files are open at once. In file order, the consumer drains
//! the oldest file's channel while the next ones fill theirs; as rows arrive, it takes
//! from whichever channel is ready. Either way a file's rows keep their order, and an
//! error from any file is handed out and ends the stream.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use futures_util::StreamExt;
use iterable_core::{
    AsyncIterable, BoxIterable, Error, FileOrder, Header, IterableInfo, Options, Progress, Result,
    Row, Value,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::open::open_read_once;

/// Row batches each file task may have waiting in its channel.
const BATCHES_AHEAD: usize = 2;
/// The most rows in one batch.
const MAX_BATCH: usize = 1024;

/// Reads `files` (already expanded, in file order) as one iterable; `location` is
/// what the user named (a pattern, a folder, or the list).
pub(crate) async fn open_files(
    location: &str,
    files: Vec<String>,
    options: &Options,
) -> Result<BoxIterable> {
    if files.is_empty() {
        return Err(Error::NotFound {
            location: format!("{location} (no file matches)"),
        });
    }
    let mut many = ManyFiles {
        location: location.to_owned(),
        files: files.into(),
        options: options.clone(),
        info: None,
        run: None,
        counters: Arc::default(),
        rows: 0,
        ended: false,
        held_error: None,
    };
    many.start().await?;
    Ok(Box::new(many))
}

/// Shared by the file tasks: what they consumed and skipped so far.
#[derive(Default)]
struct Counters {
    bytes: AtomicU64,
    skipped: AtomicU64,
}

/// One iterable over many files.
pub(crate) struct ManyFiles {
    location: String,
    files: Arc<[String]>,
    options: Options,
    /// The first file's info, with the location the user named.
    info: Option<IterableInfo>,
    run: Option<Run>,
    counters: Arc<Counters>,
    rows: u64,
    ended: bool,
    /// An error `aread_bulk` met after some rows: handed out by the next read.
    held_error: Option<iterable_core::Error>,
}

/// One pass over the files.
struct Run {
    runtime: tokio::runtime::Handle,
    tasks: JoinSet<()>,
    /// The channels of the files being read, oldest first.
    active: VecDeque<mpsc::Receiver<Result<Vec<Row>>>>,
    /// The next file to start.
    next: usize,
    /// Rows of the batch being handed out.
    batch: std::vec::IntoIter<Row>,
    /// Where an as-arrive poll starts, so no file starves.
    turn: usize,
}

impl ManyFiles {
    /// Starts the first `concurrency` files and waits until the first one is open:
    /// its errors come back at once, and its format and codec are this iterable's.
    async fn start(&mut self) -> Result<()> {
        self.counters = Arc::default();
        self.rows = 0;
        self.ended = false;
        let mut run = Run {
            runtime: tokio::runtime::Handle::current(),
            tasks: JoinSet::new(),
            active: VecDeque::new(),
            next: 0,
            batch: Vec::new().into_iter(),
            turn: 0,
        };
        let (opened_tx, opened) = oneshot::channel();
        self.spawn_file(&mut run, Some(opened_tx));
        while run.active.len() < self.concurrency() && run.next < self.files.len() {
            self.spawn_file(&mut run, None);
        }
        let mut info = match opened.await {
            Ok(result) => result?,
            Err(_) => {
                return Err(Error::Io {
                    location: self.files[0].clone(),
                    source: std::io::Error::other("the reading task ended before opening"),
                });
            }
        };
        info.location = self.location.clone();
        self.info = Some(info);
        self.run = Some(run);
        Ok(())
    }

    fn concurrency(&self) -> usize {
        self.options.files.concurrency.max(1)
    }

    /// Starts reading the next file; `opened` hears when it is open (or failed to).
    fn spawn_file(&self, run: &mut Run, opened: Option<oneshot::Sender<Result<IterableInfo>>>) {
        let location = self.files[run.next].clone();
        run.next += 1;
        let (tx, rx) = mpsc::channel(BATCHES_AHEAD);
        let task = read_file(
            location,
            opened,
            self.options.clone(),
            self.counters.clone(),
            tx,
        );
        run.tasks.spawn_on(task, &run.runtime);
        run.active.push_back(rx);
    }

    /// Ends the stream: stops every task.
    fn finish(&mut self) {
        self.ended = true;
        self.held_error = None;
        self.run = None; // dropping the JoinSet aborts the tasks
    }

    fn poll_batch(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Vec<Row>>>> {
        let order = self.options.files.order;
        loop {
            let Some(run) = self.run.as_mut() else {
                return Poll::Ready(None);
            };
            if run.active.is_empty() {
                return Poll::Ready(None);
            }
            let (index, polled) = match order {
                FileOrder::InOrder => (0, run.active[0].poll_recv(cx)),
                FileOrder::AsArrive => {
                    let n = run.active.len();
                    let mut found = None;
                    for k in 0..n {
                        let i = (run.turn + k) % n;
                        if let Poll::Ready(item) = run.active[i].poll_recv(cx) {
                            found = Some((i, item));
                            break;
                        }
                    }
                    match found {
                        Some((i, item)) => {
                            run.turn = i + 1;
                            (i, Poll::Ready(item))
                        }
                        None => (0, Poll::Pending),
                    }
                }
            };
            match polled {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(batch)) => return Poll::Ready(Some(batch)),
                Poll::Ready(None) => {
                    // That file is done: start the next one in its place.
                    run.active.remove(index);
                    if run.next < self.files.len() {
                        let run = self.run.take().expect("running");
                        let mut run = run;
                        self.spawn_file(&mut run, None);
                        self.run = Some(run);
                    }
                }
            }
        }
    }
}

/// Reads one file into `tx`, a batch at a time; an error is sent and ends it. When
/// `opened` is given, the outcome of opening goes there instead.
async fn read_file(
    location: String,
    opened: Option<oneshot::Sender<Result<IterableInfo>>>,
    options: Options,
    counters: Arc<Counters>,
    tx: mpsc::Sender<Result<Vec<Row>>>,
) {
    let mut src = match (open_read_once(&location, &options).await, opened) {
        (Ok(src), Some(opened)) => {
            let _ = opened.send(Ok(src.info().clone()));
            src
        }
        (Ok(src), None) => src,
        (Err(e), Some(opened)) => {
            let _ = opened.send(Err(e));
            return;
        }
        (Err(e), None) => {
            let _ = tx.send(Err(e)).await;
            return;
        }
    };
    let batch = options.batch_size.clamp(1, MAX_BATCH);
    let mut column = options
        .files
        .location_column
        .as_deref()
        // A database URL's password stays out of the rows.
        .map(|name| LocationColumn::new(name, &iterable_db::mask_password(&location)));
    let (mut bytes, mut skipped) = (0, 0);
    let mut rows = Vec::with_capacity(batch);
    loop {
        // Row by row (not `aread_bulk`): the good rows before an error are kept.
        let next = src.next().await;
        let done = match next {
            Some(Ok(row)) => {
                rows.push(match column.as_mut() {
                    Some(column) => column.add(row),
                    None => row,
                });
                if rows.len() < batch {
                    continue;
                }
                None
            }
            Some(Err(e)) => Some(Err(e)),
            None => Some(Ok(())),
        };
        let progress = src.progress();
        counters
            .bytes
            .fetch_add(progress.bytes.saturating_sub(bytes), Ordering::Relaxed);
        counters
            .skipped
            .fetch_add(progress.skipped.saturating_sub(skipped), Ordering::Relaxed);
        (bytes, skipped) = (progress.bytes, progress.skipped);
        let full = std::mem::replace(&mut rows, Vec::with_capacity(batch));
        if !full.is_empty() && tx.send(Ok(full)).await.is_err() {
            return; // the consumer is gone
        }
        match done {
            None => {}
            Some(Ok(())) => break,
            Some(Err(e)) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
    }
    if let Err(e) = src.aclose().await {
        let _ = tx.send(Err(e)).await;
    }
}

/// `src` (the rows of the one file at `location`) with its location in a column.
pub(crate) fn with_location_column(src: BoxIterable, name: &str, location: &str) -> BoxIterable {
    let mut column = LocationColumn::new(name, &iterable_db::mask_password(location));
    crate::pipeline::apipeline(src)
        .map(move |row| column.add(row))
        .into_iterable()
}

/// Appends the file's location to rows, sharing one extended header across the rows
/// that share a header.
struct LocationColumn {
    name: String,
    value: Value,
    last: Option<(Arc<Header>, Arc<Header>)>,
}

impl LocationColumn {
    fn new(name: &str, location: &str) -> Self {
        LocationColumn {
            name: name.to_owned(),
            value: Value::from(location),
            last: None,
        }
    }

    fn add(&mut self, row: Row) -> Row {
        let (header, mut values) = row.into_parts();
        if let Some(i) = header.position(&self.name) {
            values[i] = self.value.clone();
            return Row::from_parts(header, values);
        }
        let extended = match &self.last {
            Some((from, to)) if Arc::ptr_eq(from, &header) => to.clone(),
            _ => {
                let mut names = header.names().to_vec();
                names.push(self.name.clone());
                let to = Arc::new(Header::new(names));
                self.last = Some((header, to.clone()));
                to
            }
        };
        values.push(self.value.clone());
        Row::from_parts(extended, values)
    }
}

impl Stream for ManyFiles {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        let this = &mut *self;
        if let Some(err) = this.held_error.take() {
            return Poll::Ready(Some(Err(err)));
        }
        loop {
            if this.ended {
                return Poll::Ready(None);
            }
            if let Some(row) = this.run.as_mut().and_then(|run| run.batch.next()) {
                this.rows += 1;
                return Poll::Ready(Some(Ok(row)));
            }
            match this.poll_batch(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Err(e))) => {
                    this.finish();
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(Some(Ok(rows))) => {
                    if let Some(run) = this.run.as_mut() {
                        run.batch = rows.into_iter();
                    }
                }
            }
        }
    }
}

#[deny(clippy::missing_trait_methods)]
impl AsyncIterable for ManyFiles {
    fn aread(&mut self) -> BoxFuture<'_, Result<Option<Row>>> {
        Box::pin(async move {
            std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
                .await
                .transpose()
        })
    }
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        Box::pin(async move {
            // The rows before an error are returned; the error is the next read's.
            let mut rows = Vec::with_capacity(n.min(65536));
            while rows.len() < n {
                match std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await {
                    Some(Ok(row)) => rows.push(row),
                    Some(Err(e)) if rows.is_empty() => return Err(e),
                    Some(Err(e)) => {
                        self.held_error = Some(e);
                        break;
                    }
                    None => break,
                }
            }
            Ok(rows)
        })
    }
    fn awrite<'a>(&'a mut self, _row: &'a Row) -> BoxFuture<'a, Result<()>> {
        let err = iterable_core::unsupported_write(self.info());
        Box::pin(async move { Err(err) })
    }
    fn awrite_bulk<'a>(&'a mut self, _rows: &'a [Row]) -> BoxFuture<'a, Result<()>> {
        let err = iterable_core::unsupported_write(self.info());
        Box::pin(async move { Err(err) })
    }
    fn areset(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            self.finish();
            self.start().await
        })
    }
    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        self.finish();
        Box::pin(async { Ok(()) })
    }
    /// Files may declare different columns: only the rows say.
    fn columns(&self) -> Option<std::sync::Arc<iterable_core::Header>> {
        None
    }
    fn awrite_columns<'a>(
        &'a mut self,
        columns: &'a iterable_core::Header,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = columns;
        Box::pin(async { Ok(()) })
    }
    fn info(&self) -> &IterableInfo {
        self.info.as_ref().expect("set when opened")
    }
    fn progress(&self) -> Progress {
        Progress {
            rows: self.rows,
            bytes: self.counters.bytes.load(Ordering::Relaxed),
            bytes_total: None,
            skipped: self.counters.skipped.load(Ordering::Relaxed),
        }
    }
}
