//! Encoding record batches on a thread of its own: the writer's task hands each batch
//! to the thread (a bounded queue), the thread encodes it (Parquet, ORC) into bytes
//! gathered in [`Chunks`] of [`CHUNK_BYTES`], and the task writes the chunks it is
//! handed back to the byte sink, which it alone holds. So encoding and compressing run
//! beside whatever makes the batches (a parser, a decoder), and dropping the writer
//! drops the sink at once (an atomic file sink then deletes its temporary file). The
//! encoder is made on the thread, once the schema is known, so it need not be `Send`
//! (orc-rust's is not). An `EncodeThread` is the [`BatchSink`] of Parquet and ORC: each
//! gives only how its encoder is made ([`MakeEncoder`]).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures_core::future::BoxFuture;
use iterable_core::{Error, Result};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::batch_writer::BatchSink;

/// Batches waiting for the encoder.
const QUEUED_BATCHES: usize = 2;
/// The size of the chunks of encoded bytes the encoder hands back.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks waiting to be written to the sink (two keep the writer busy; four held 2 MiB
/// more for no speed).
const QUEUED_CHUNKS: usize = 2;

/// An encoder of record batches, living on the encoder thread.
pub(crate) trait ThreadEncoder {
    /// Encodes one batch (its bytes may be held until a row group or stripe closes).
    fn write(&mut self, batch: &RecordBatch) -> Result<()>;
    /// Bytes encoded so far, written and held (an estimate).
    fn encoded_bytes(&self) -> u64;
    /// Writes what is held and the footer, and gives the output back.
    fn finish(self: Box<Self>) -> Result<Chunks>;
}

/// How a format's encoder is made on the encoder thread, from the file's schema and the
/// output (an error is the error of the next write or of `finish`).
pub(crate) type MakeEncoder =
    Box<dyn FnOnce(SchemaRef, Chunks) -> Result<Box<dyn ThreadEncoder>> + Send>;

/// What the writer's task tells the encoder thread.
enum Message {
    Batch(RecordBatch),
    /// Write the footer, hand back the last bytes and stop.
    Finish,
}

/// The encoder thread, once started.
struct Running {
    batches: mpsc::Sender<Message>,
    chunks: mpsc::Receiver<Vec<u8>>,
    done: tokio::task::JoinHandle<Result<()>>,
}

/// The writer task's end of an encoder thread over the byte sink `W`.
pub(crate) struct EncodeThread<W: AsyncWrite + Send + Unpin + 'static> {
    location: String,
    /// The format, for errors ("Parquet", "ORC").
    format: &'static str,
    writer: W,
    /// Until started.
    make: Option<MakeEncoder>,
    running: Option<Running>,
    /// Bytes encoded so far (written, and held by the encoder).
    encoded: Arc<AtomicU64>,
    /// Bytes written to the sink.
    sent: u64,
}

impl<W: AsyncWrite + Send + Unpin + 'static> EncodeThread<W> {
    /// Nothing started yet: [`BatchSink::start`] does, with the schema.
    pub(crate) fn new(writer: W, location: &str, format: &'static str, make: MakeEncoder) -> Self {
        EncodeThread {
            location: location.to_owned(),
            format,
            writer,
            make: Some(make),
            running: None,
            encoded: Arc::default(),
            sent: 0,
        }
    }

    /// Starts the thread, which makes its encoder for `schema`.
    fn start_thread(&mut self, schema: SchemaRef) -> Result<()> {
        let make = self
            .make
            .take()
            .ok_or_else(|| Error::unsupported(&self.location, "the writer was started twice"))?;
        let (chunk_sender, chunks) = mpsc::channel(QUEUED_CHUNKS);
        let out = Chunks {
            buf: Vec::with_capacity(CHUNK_BYTES),
            out: chunk_sender,
        };
        let (batches, receiver) = mpsc::channel(QUEUED_BATCHES);
        let (location, encoded) = (self.location.clone(), self.encoded.clone());
        let done = tokio::task::spawn_blocking(move || {
            let encoder = make(schema, out)?;
            encode(encoder, receiver, &encoded, &location)
        });
        self.running = Some(Running {
            batches,
            chunks,
            done,
        });
        Ok(())
    }

    /// Hands `batch` to the encoder (waiting while its queue is full), writing the
    /// chunks it hands back meanwhile.
    async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.send(Message::Batch(batch.clone())).await
    }

    /// Has the footer written, writes every byte left and shuts the sink down (which
    /// publishes the file).
    async fn finish(&mut self) -> Result<()> {
        self.send(Message::Finish).await?;
        self.stop().await?;
        // What was written is now the whole count, not the encoder's estimate.
        self.encoded.store(0, Ordering::Relaxed);
        let io = |e| Error::io(&self.location, e);
        self.writer.flush().await.map_err(io)?;
        self.writer.shutdown().await.map_err(io)
    }

    async fn send(&mut self, message: Message) -> Result<()> {
        let Some(running) = self.running.as_mut() else {
            return Err(Error::unsupported(
                &self.location,
                "the writer is not started",
            ));
        };
        let sent = loop {
            tokio::select! {
                biased;
                chunk = running.chunks.recv() => match chunk {
                    Some(chunk) => {
                        self.writer
                            .write_all(&chunk)
                            .await
                            .map_err(|e| Error::io(&self.location, e))?;
                        self.sent += chunk.len() as u64;
                    }
                    // The encoder stopped: its result says why.
                    None => break false,
                },
                permit = running.batches.reserve() => match permit {
                    Ok(permit) => {
                        permit.send(message);
                        break true;
                    }
                    Err(_) => break false,
                },
            }
        };
        if sent {
            return Ok(());
        }
        Err(match self.stop().await {
            Err(e) => e,
            Ok(()) => Error::unsupported(
                &self.location,
                format!("the {} encoder stopped", self.format),
            ),
        })
    }

    /// Writes every chunk the encoder still hands back, then its result.
    async fn stop(&mut self) -> Result<()> {
        let Some(mut running) = self.running.take() else {
            return Ok(());
        };
        while let Some(chunk) = running.chunks.recv().await {
            self.writer
                .write_all(&chunk)
                .await
                .map_err(|e| Error::io(&self.location, e))?;
            self.sent += chunk.len() as u64;
        }
        drop(running.batches);
        match running.done.await {
            Ok(result) => result,
            Err(e) => Err(Error::unsupported(
                &self.location,
                format!("the {} encoder failed: {e}", self.format),
            )),
        }
    }
}

impl<W: AsyncWrite + Send + Unpin + 'static> BatchSink for EncodeThread<W> {
    fn start(&mut self, schema: SchemaRef) -> BoxFuture<'_, Result<()>> {
        let started = self.start_thread(schema);
        Box::pin(async move { started })
    }

    fn write<'a>(&'a mut self, batch: &'a RecordBatch) -> BoxFuture<'a, Result<()>> {
        Box::pin(EncodeThread::write(self, batch))
    }

    fn finish(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(EncodeThread::finish(self))
    }

    /// Encoded bytes: written to the sink, or (before the end) the encoder's count.
    fn bytes_written(&self) -> u64 {
        self.sent.max(self.encoded.load(Ordering::Relaxed))
    }
}

/// The encoder's output: bytes gathered into chunks handed back to the writer's task.
pub(crate) struct Chunks {
    buf: Vec<u8>,
    out: mpsc::Sender<Vec<u8>>,
}

impl Chunks {
    /// Hands back what is gathered.
    pub(crate) fn hand_back(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES));
        self.out
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the writer is gone"))
    }
}

impl Write for Chunks {
    /// Takes what fits in the chunk being gathered (at least one byte of `data`, so
    /// `write_all` goes on): a column chunk of several megabytes written in one call
    /// becomes several chunks, and the buffer never grows past [`CHUNK_BYTES`].
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let taken = data.len().min(CHUNK_BYTES - self.buf.len());
        self.buf.extend_from_slice(&data[..taken]);
        if self.buf.len() >= CHUNK_BYTES {
            self.hand_back()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.hand_back()
    }
}

/// The encoder thread: batches in until `Finish` (then the footer) or until the
/// writer's task is gone (then it stops, and nothing more is written).
fn encode(
    mut encoder: Box<dyn ThreadEncoder>,
    mut batches: mpsc::Receiver<Message>,
    encoded: &AtomicU64,
    location: &str,
) -> Result<()> {
    while let Some(message) = batches.blocking_recv() {
        match message {
            Message::Batch(batch) => {
                encoder.write(&batch)?;
                encoded.store(encoder.encoded_bytes(), Ordering::Relaxed);
            }
            Message::Finish => {
                let mut out = encoder.finish()?;
                out.hand_back().map_err(|e| Error::io(location, e))?;
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_write_is_handed_back_in_chunks_that_never_grow() {
        let (out, mut chunks) = mpsc::channel(8);
        let mut sink = Chunks {
            buf: Vec::with_capacity(CHUNK_BYTES),
            out,
        };
        let data: Vec<u8> = (0..CHUNK_BYTES * 3 + CHUNK_BYTES / 2)
            .map(|i| (i % 251) as u8)
            .collect();
        sink.write_all(&data[..100]).unwrap();
        sink.write_all(&data[100..]).unwrap();
        sink.flush().unwrap();
        drop(sink);
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        while let Some(chunk) = chunks.blocking_recv() {
            assert!(chunk.capacity() <= CHUNK_BYTES, "a chunk grew");
            sizes.push(chunk.len());
            got.extend_from_slice(&chunk);
        }
        assert_eq!(
            sizes,
            [CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES / 2]
        );
        assert!(got == data, "the chunks are the bytes written, in order");
    }
}
