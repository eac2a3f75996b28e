//! Reading Arrow IPC, file form (`ARROW1` magic, footer at the end) and stream form,
//! from any byte stream: the messages are framed here (continuation marker, metadata
//! length, the flatbuffer's body length) and decoded by arrow-ipc's `StreamDecoder`.
//! The file form is read front to back like a stream up to its end-of-stream marker; its
//! footer is not needed, but it must be there, whole, and end in the closing magic (a
//! file cut short in its footer is an error). The stream form must end at its
//! end-of-stream marker. LZ4 and ZSTD compressed buffers are read.

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::reader::StreamDecoder;
use arrow_schema::SchemaRef;
use futures_util::StreamExt;
use iterable_core::{BoxIterable, Error, Result};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

use super::BatchStream;
use super::batch_rows::BatchRowsReader;
use super::ipc_check::check_message;
use crate::ReadContext;
use crate::panic_guard::{guard_future, guard_stream};

const CONTINUATION: [u8; 4] = [0xff; 4];
const FILE_MAGIC: &[u8] = b"ARROW1";
/// The most a file form's footer may take (it lists the blocks: 24 bytes a batch).
const MAX_FOOTER: usize = 64 << 20;
/// The most reserved for a message body before its bytes arrive.
const MAX_PREALLOCATION: usize = 16 << 20;

/// Opens a reader of the rows of an Arrow IPC file or stream. `columnar.columns`
/// selects and orders columns (the whole file is still read).
pub async fn open_ipc_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let (location, columns) = (
        ctx.info.location.clone(),
        ctx.options.columnar.columns.clone(),
    );
    let max_unpacked = ctx.options.limits.max_unpacked_bytes;
    let (schema, batches) = open(reader, &location, columns.as_deref(), max_unpacked).await?;
    Ok(Box::new(BatchRowsReader::for_context(
        batches, &schema, ctx,
    )))
}

/// The record batches of an Arrow IPC file or stream, as decoded (columns selected by
/// `columnar.columns`).
pub async fn ipc_batches<R>(reader: R, ctx: ReadContext) -> Result<BatchStream>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let columns = ctx.options.columnar.columns.clone();
    let max_unpacked = ctx.options.limits.max_unpacked_bytes;
    Ok(
        open(reader, &ctx.info.location, columns.as_deref(), max_unpacked)
            .await?
            .1,
    )
}

/// The schema of an Arrow IPC file or stream (reads only its first message).
pub async fn ipc_schema<R>(reader: R, location: &str) -> Result<SchemaRef>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let max_unpacked = iterable_core::Limits::default().max_unpacked_bytes;
    Ok(open(reader, location, None, max_unpacked).await?.0)
}

async fn open<R>(
    reader: R,
    location: &str,
    columns: Option<&[String]>,
    max_unpacked: u64,
) -> Result<(SchemaRef, BatchStream)>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let mut messages = Messages::new(reader, location, max_unpacked).await?;
    let schema = guard_future(messages.schema(), location, "the Arrow IPC decoder").await?;
    let projection = match columns {
        None => None,
        Some(names) => Some(
            names
                .iter()
                .map(|n| {
                    schema.index_of(n).map_err(|_| {
                        Error::InvalidOption(format!(
                            "{location}: no column {n:?} to select; the file has: {}",
                            schema
                                .fields()
                                .iter()
                                .map(|f| f.name().as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        ),
    };
    let schema = match &projection {
        Some(p) => std::sync::Arc::new(schema.project(p).map_err(|e| messages.invalid(e))?),
        None => schema,
    };
    let stream = futures_util::stream::unfold(Some(messages), move |state| {
        let projection = projection.clone();
        async move {
            let mut messages = state?;
            match messages.next_batch().await {
                Ok(None) => None,
                Ok(Some(batch)) => {
                    let batch = match &projection {
                        Some(p) => batch.project(p).map_err(|e| messages.invalid(e)),
                        None => Ok(batch),
                    };
                    Some((batch, Some(messages)))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    })
    .boxed();
    Ok((
        schema,
        guard_stream(stream, location, "the Arrow IPC decoder").boxed(),
    ))
}

/// The framed messages of one IPC file or stream.
struct Messages<R> {
    reader: R,
    location: String,
    decoder: StreamDecoder,
    file_form: bool,
    ended: bool,
    /// The most a message's compressed buffers may unpack to.
    max_unpacked: u64,
    /// Bytes already taken from the reader (while telling the file form from the
    /// stream form, or looking past padding) and not yet decoded.
    pending: Vec<u8>,
    /// Bytes of the input taken so far (`pending` aside), for error positions.
    consumed: u64,
    /// The message being read (1-based; 0 before the first) and where it starts.
    message: u64,
    message_start: u64,
}

impl<R: AsyncBufRead + Send + Unpin> Messages<R> {
    async fn new(mut reader: R, location: &str, max_unpacked: u64) -> Result<Self> {
        // The first bytes (as many as the file magic, fewer at the end), gathered
        // across reads however small.
        let mut prefix = Vec::with_capacity(FILE_MAGIC.len());
        while prefix.len() < FILE_MAGIC.len() {
            let head = reader
                .fill_buf()
                .await
                .map_err(|e| Error::io(location, e))?;
            if head.is_empty() {
                break;
            }
            let n = head.len().min(FILE_MAGIC.len() - prefix.len());
            prefix.extend_from_slice(&head[..n]);
            reader.consume(n);
        }
        let file_form = prefix == FILE_MAGIC;
        let consumed = if file_form { prefix.len() as u64 } else { 0 };
        let pending = if file_form { Vec::new() } else { prefix };
        let mut messages = Messages {
            reader,
            location: location.to_owned(),
            decoder: StreamDecoder::new(),
            file_form,
            ended: false,
            max_unpacked,
            consumed,
            pending,
            message: 0,
            message_start: 0,
        };
        if file_form {
            // The magic and its padding to 8 bytes; some writers pad the header further
            // (arrow-rs to 64 bytes): zero words before the first message are padding.
            let mut magic_padding = [0u8; 2];
            messages.read_exact(&mut magic_padding).await?;
            // Read word by word (a word may span two reads of the source).
            loop {
                let head = messages
                    .reader
                    .fill_buf()
                    .await
                    .map_err(|e| Error::io(location, e))?;
                if head.is_empty() {
                    break;
                }
                let mut word = [0u8; 4];
                messages.read_exact(&mut word).await?;
                if word != [0; 4] {
                    messages.pending = word.to_vec();
                    messages.consumed -= 4; // taken again with the first message
                    break;
                }
            }
        }
        Ok(messages)
    }

    fn invalid(&self, e: impl std::fmt::Display) -> Error {
        let message = match self.message {
            0 => format!("not valid Arrow IPC data: {e}"),
            n => format!(
                "not valid Arrow IPC data in message {n} (at byte {}): {e}",
                self.message_start
            ),
        };
        Error::Io {
            location: self.location.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, message),
        }
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        let taken = self.pending.len().min(buf.len());
        buf[..taken].copy_from_slice(&self.pending[..taken]);
        self.pending.drain(..taken);
        self.consumed += buf.len() as u64;
        let buf = &mut buf[taken..];
        if buf.is_empty() {
            return Ok(());
        }
        self.reader.read_exact(buf).await.map(|_| ()).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                self.invalid("the data ends inside a message (truncated)")
            } else {
                Error::io(&self.location, e)
            }
        })
    }

    /// `len` bytes, in a buffer that grows as they arrive (a length read from hostile
    /// input is not an allocation); `what` names them in the truncation error.
    async fn read_growing(&mut self, len: usize, what: &str) -> Result<Vec<u8>> {
        let taken = self.pending.len().min(len);
        let mut out: Vec<u8> = self.pending.drain(..taken).collect();
        out.reserve(len.min(MAX_PREALLOCATION) - taken.min(len.min(MAX_PREALLOCATION)));
        (&mut self.reader)
            .take((len - taken) as u64)
            .read_to_end(&mut out)
            .await
            .map_err(|e| Error::io(&self.location, e))?;
        if out.len() < len {
            return Err(self.invalid(format!(
                "the data ends inside a {what} ({} of {len} bytes; truncated)",
                out.len()
            )));
        }
        self.consumed += len as u64;
        Ok(out)
    }

    /// After the end-of-stream marker: the file form's footer and closing magic must
    /// follow, whole; the stream form must end.
    async fn check_end(&mut self) -> Result<()> {
        let mut rest = std::mem::take(&mut self.pending);
        (&mut self.reader)
            .take(MAX_FOOTER as u64 + 1)
            .read_to_end(&mut rest)
            .await
            .map_err(|e| Error::io(&self.location, e))?;
        if !self.file_form {
            if rest.is_empty() {
                return Ok(());
            }
            return Err(self.invalid(format!(
                "{} bytes after the end-of-stream marker",
                rest.len()
            )));
        }
        if rest.len() > MAX_FOOTER {
            return Err(self.invalid("more than 64 MiB after the end-of-stream marker"));
        }
        let tail = FILE_MAGIC.len() + 4;
        if rest.len() < tail || !rest.ends_with(FILE_MAGIC) {
            return Err(self.invalid(
                "the file ends inside its footer, before the closing ARROW1 magic (truncated)",
            ));
        }
        let at = rest.len() - tail;
        let footer_len = i32::from_le_bytes(rest[at..at + 4].try_into().expect("4 bytes"));
        if usize::try_from(footer_len).ok() != Some(at) {
            return Err(self.invalid(format!(
                "the footer's length says {footer_len} bytes, {at} are there (truncated or corrupt)"
            )));
        }
        Ok(())
    }

    /// Reads messages until the schema is known.
    async fn schema(&mut self) -> Result<SchemaRef> {
        loop {
            if let Some(schema) = self.decoder.schema() {
                return Ok(schema);
            }
            match self.next_message().await? {
                Some(Some(_)) => return Err(self.invalid("a record batch before the schema")),
                Some(None) => continue,
                None => return Err(self.invalid("no schema (empty, or not Arrow IPC)")),
            }
        }
    }

    async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            match self.next_message().await? {
                Some(Some(batch)) => return Ok(Some(batch)),
                Some(None) => continue,
                None => return Ok(None),
            }
        }
    }

    /// One message: `None` at the end, `Some(None)` for a schema or dictionary,
    /// `Some(Some(batch))` for a record batch.
    async fn next_message(&mut self) -> Result<Option<Option<RecordBatch>>> {
        if self.ended {
            return Ok(None);
        }
        let available = self
            .reader
            .fill_buf()
            .await
            .map_err(|e| Error::io(&self.location, e))?;
        if available.is_empty() && self.pending.is_empty() {
            self.ended = true;
            if self.file_form {
                return Err(self.invalid(
                    "the file ends before its end-of-stream marker and footer (truncated)",
                ));
            }
            return Ok(None);
        }
        self.message += 1;
        self.message_start = self.consumed;
        let mut word = [0u8; 4];
        self.read_exact(&mut word).await?;
        if word == CONTINUATION {
            self.read_exact(&mut word).await?;
        }
        let meta_len = u32::from_le_bytes(word) as usize;
        if meta_len == 0 {
            self.ended = true;
            self.check_end().await?;
            return Ok(None);
        }
        let meta = self.read_growing(meta_len, "message header").await?;
        let message = arrow_ipc::root_as_message(&meta)
            .map_err(|e| self.invalid(format!("bad message header: {e}")))?;
        let body_len = message.bodyLength();
        let body_len = usize::try_from(body_len)
            .map_err(|_| self.invalid(format!("bad body length {body_len}")))?;
        // The decoder gets `length, metadata, body, marker`: the trailing continuation
        // marker makes it finish a message whose body is empty (a schema) in this call
        // rather than wait for more bytes; it reads the next length without a marker.
        let mut frame = Vec::with_capacity(4 + meta_len + body_len.min(MAX_PREALLOCATION) + 4);
        frame.extend_from_slice(&(meta_len as u32).to_le_bytes());
        frame.extend_from_slice(&meta);
        // The body grows as its bytes arrive: a header that claims more than the input
        // holds ends in the truncation error, not in a huge allocation.
        let start = frame.len();
        let read = (&mut self.reader)
            .take(body_len as u64)
            .read_to_end(&mut frame)
            .await
            .map_err(|e| Error::io(&self.location, e))?;
        if read < body_len {
            return Err(self.invalid(format!(
                "the data ends inside a message body ({read} of {body_len} bytes; truncated)"
            )));
        }
        debug_assert_eq!(frame.len(), start + body_len);
        self.consumed += read as u64;
        // Checked before arrow-ipc decodes it: what its decoder would panic on, or
        // allocate without bound for, is an error saying what is wrong.
        let schema = self.decoder.schema();
        check_message(
            &message,
            &frame[start..],
            schema.as_deref(),
            self.max_unpacked,
        )
        .map_err(|e| self.invalid(e))?;
        frame.extend_from_slice(&CONTINUATION);
        let mut buffer = Buffer::from_vec(frame);
        let batch = self
            .decoder
            .decode(&mut buffer)
            .map_err(|e| self.invalid(e))?;
        Ok(Some(batch))
    }
}
