//! A writer for formats that write each row as it comes (JSON Lines, JSON, LTSV,
//! TOML): buffering, flushing, refusing reads, closing and progress are done here once;
//! a format only encodes one row ([`RecordEncoder`]).
//!
//! Output is buffered (64 KiB) before it goes to the sink. A row that does not fit the
//! format is an [`Error::Write`] naming the row, and the writer refuses everything
//! after it, so a failed write never ends in a complete-looking file. `aclose` writes
//! the format's ending, flushes and shuts the sink down (which publishes an atomic
//! file); closing twice is fine.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use iterable_core::{AsyncIterable, BoxFuture, Error, IterableInfo, Progress, Result, Row};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::WriteContext;
use crate::read_refusal::{ReadRefusal, refuse};

/// Bytes gathered before they go to the sink.
const FLUSH_AT: usize = 64 << 10;

/// Encodes rows of one format.
pub trait RecordEncoder: Send + Unpin + 'static {
    /// Appends `row` to `out`; a message when the row cannot be written in the format.
    fn encode(&mut self, row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String>;

    /// Takes the columns declared before any row (see
    /// [`AsyncIterable::awrite_columns`]); nothing by default.
    fn declare_columns(
        &mut self,
        _columns: &iterable_core::Header,
        _out: &mut Vec<u8>,
    ) -> std::result::Result<(), String> {
        Ok(())
    }

    /// Appends what the format writes after its last row (a closing bracket, a
    /// trailer); nothing by default. Called once, by `aclose`.
    fn finish(&mut self, _out: &mut Vec<u8>) -> std::result::Result<(), String> {
        Ok(())
    }
}

/// Encodes whole record batches (the columnar road out to text), with the rows a
/// [`RecordEncoder`] would make of them, byte for byte.
#[cfg(feature = "arrow")]
pub trait BatchEncoder: RecordEncoder {
    /// Appends `batch`'s records to `out`: `Ok(false)` when this encoder cannot take
    /// batches as they are now (the writer then makes rows of it); `Err` with the
    /// 0-based row of the batch and the message when a record cannot be written.
    fn encode_batch(
        &mut self,
        batch: &arrow_array::RecordBatch,
        out: &mut Vec<u8>,
    ) -> std::result::Result<bool, (usize, String)>;
}

/// Rows to a sink through a [`RecordEncoder`].
pub struct RecordWriter<W, E> {
    writer: W,
    encoder: E,
    info: IterableInfo,
    buf: Vec<u8>,
    rows: u64,
    /// Bytes the sink took.
    flushed: u64,
    /// How much of `buf` the sink took already (a write cancelled half way resumes).
    sent: usize,
    closed: bool,
    failed: bool,
    reads: ReadRefusal,
}

impl<W: AsyncWrite + Send + Unpin, E: RecordEncoder> RecordWriter<W, E> {
    /// A writer of `encoder`'s rows to `writer`; `ctx` names the output in errors.
    pub fn new(writer: W, encoder: E, ctx: WriteContext) -> Self {
        RecordWriter {
            writer,
            encoder,
            info: ctx.info,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            rows: 0,
            flushed: 0,
            sent: 0,
            closed: false,
            failed: false,
            reads: ReadRefusal::default(),
        }
    }

    /// An error when the writer is closed or failed.
    fn check_writable(&self) -> Result<()> {
        if self.closed || self.failed {
            return Err(Error::unsupported(
                &self.info.location,
                if self.failed {
                    "an earlier row failed: the writer takes no more rows"
                } else {
                    "the writer is closed: cannot write more rows"
                },
            ));
        }
        Ok(())
    }

    async fn write_one(&mut self, row: &Row) -> Result<()> {
        self.check_writable()?;
        let start = self.buf.len();
        if let Err(message) = self.encoder.encode(row, &mut self.buf) {
            self.buf.truncate(start);
            self.failed = true;
            return Err(Error::Write {
                location: self.info.location.clone(),
                row: self.rows + 1,
                message,
            });
        }
        self.rows += 1;
        if self.buf.len() >= FLUSH_AT {
            self.write_out().await?;
        }
        Ok(())
    }

    /// Writes the records of `batch`, with no row made where the encoder takes batches
    /// (`BatchEncoder`); the output is what writing its rows one by one gives.
    #[cfg(feature = "arrow")]
    pub async fn write_batch(&mut self, batch: &arrow_array::RecordBatch) -> Result<()>
    where
        E: BatchEncoder,
    {
        self.check_writable()?;
        let start = self.buf.len();
        match self.encoder.encode_batch(batch, &mut self.buf) {
            Ok(true) => {
                self.rows += batch.num_rows() as u64;
                if self.buf.len() >= FLUSH_AT {
                    self.write_out().await?;
                }
                Ok(())
            }
            Ok(false) => {
                self.buf.truncate(start);
                let header = crate::columnar::header_of(batch.schema_ref());
                let rows = crate::columnar::record_batch_to_rows(batch, &header).map_err(|e| {
                    self.failed = true;
                    Error::Write {
                        location: self.info.location.clone(),
                        row: self.rows + 1,
                        message: e.to_string(),
                    }
                })?;
                for row in &rows {
                    self.write_one(row).await?;
                }
                Ok(())
            }
            Err((row, message)) => {
                self.buf.truncate(start);
                self.failed = true;
                Err(Error::Write {
                    location: self.info.location.clone(),
                    row: self.rows + row as u64 + 1,
                    message,
                })
            }
        }
    }

    /// Hands the buffer to the sink. Safe to cancel and call again: what the sink took
    /// is not handed over twice.
    async fn write_out(&mut self) -> Result<()> {
        while self.sent < self.buf.len() {
            let n = match self.writer.write(&self.buf[self.sent..]).await {
                Ok(0) => Err(std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    "the sink accepts no more bytes",
                )),
                other => other,
            };
            match n {
                Ok(n) => {
                    self.sent += n;
                    self.flushed += n as u64;
                }
                Err(e) => {
                    self.failed = true;
                    return Err(Error::io(&self.info.location, e));
                }
            }
        }
        self.buf.clear();
        self.sent = 0;
        Ok(())
    }

    async fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        if self.failed {
            return Err(Error::unsupported(
                &self.info.location,
                "an earlier row failed: nothing is published",
            ));
        }
        if let Err(message) = self.encoder.finish(&mut self.buf) {
            self.failed = true;
            return Err(Error::Write {
                location: self.info.location.clone(),
                row: self.rows,
                message,
            });
        }
        self.write_out().await?;
        let location = &self.info.location;
        self.writer
            .flush()
            .await
            .map_err(|e| Error::io(location, e))?;
        self.writer
            .shutdown()
            .await
            .map_err(|e| Error::io(location, e))?;
        self.closed = true;
        Ok(())
    }
}

impl<W: AsyncWrite + Send + Unpin, E: RecordEncoder> Stream for RecordWriter<W, E> {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.reads.poll_next(&this.info)
    }
}

impl<W: AsyncWrite + Send + Unpin, E: RecordEncoder> AsyncIterable for RecordWriter<W, E> {
    fn aread(&mut self) -> BoxFuture<'_, Result<Option<Row>>> {
        refuse(&self.info)
    }

    fn aread_bulk(&mut self, _n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        refuse(&self.info)
    }

    fn awrite<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.write_one(row))
    }

    fn awrite_bulk<'a>(&'a mut self, rows: &'a [Row]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            for row in rows {
                self.write_one(row).await?;
            }
            Ok(())
        })
    }

    fn awrite_columns<'a>(
        &'a mut self,
        columns: &'a iterable_core::Header,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.check_writable()?;
            if self.rows == 0
                && let Err(message) = self.encoder.declare_columns(columns, &mut self.buf)
            {
                self.failed = true;
                return Err(Error::Write {
                    location: self.info.location.clone(),
                    row: 1,
                    message,
                });
            }
            Ok(())
        })
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.close())
    }

    fn info(&self) -> &IterableInfo {
        &self.info
    }

    fn progress(&self) -> Progress {
        Progress {
            rows: self.rows,
            bytes: self.flushed + (self.buf.len() - self.sent) as u64,
            bytes_total: None,
            skipped: 0,
        }
    }
}
