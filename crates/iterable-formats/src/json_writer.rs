//! The writer of JSON Lines and of JSON arrays: rows serialized with `serde_json` into a
//! buffer of about 64 KiB, handed to the sink when full and on `aclose`.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{AsyncIterable, Error, IterableInfo, Progress, Result, Row};
use serde::Serialize;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::WriteContext;
use crate::read_refusal::{ReadRefusal, refuse};

/// How much output is buffered before it goes to the sink.
const WRITE_BUFFER: usize = 64 * 1024;

/// How rows are laid out.
pub(crate) enum Framing {
    /// JSON Lines: one row per line.
    Lines,
    /// A JSON array, optionally under a key, optionally indented.
    Array {
        /// The key of the wrapping object.
        tag: Option<String>,
        /// Indent the output.
        pretty: bool,
    },
}

/// Writes rows as JSON Lines or as a JSON array.
pub(crate) struct JsonWriter<W> {
    writer: W,
    info: IterableInfo,
    framing: Framing,
    buf: Vec<u8>,
    /// How much of `buf` the sink already took.
    flushed: usize,
    scratch: Vec<u8>,
    rows: u64,
    bytes: u64,
    trailer_written: bool,
    closed: bool,
    reads: ReadRefusal,
}

impl<W: AsyncWrite + Send + Unpin> JsonWriter<W> {
    pub(crate) fn new(writer: W, ctx: WriteContext, framing: Framing) -> Self {
        let mut buf = Vec::with_capacity(WRITE_BUFFER + WRITE_BUFFER / 4);
        if let Framing::Array { tag, pretty } = &framing {
            if let Some(tag) = tag {
                buf.extend_from_slice(if *pretty { b"{\n  " } else { b"{" });
                serde_json::to_writer(&mut buf, tag).expect("a string serializes");
                buf.extend_from_slice(if *pretty { b": [" } else { b":[" });
            } else {
                buf.push(b'[');
            }
        }
        JsonWriter {
            writer,
            info: ctx.info,
            framing,
            buf,
            flushed: 0,
            scratch: Vec::new(),
            rows: 0,
            bytes: 0,
            trailer_written: false,
            closed: false,
            reads: ReadRefusal::default(),
        }
    }

    /// Serializes one row into the buffer.
    fn push(&mut self, row: &Row) -> Result<()> {
        if self.trailer_written {
            return Err(Error::unsupported(
                &self.info.location,
                "the writer is closed",
            ));
        }
        let mark = self.buf.len();
        let result = match &self.framing {
            Framing::Lines => {
                serde_json::to_writer(&mut self.buf, row).map(|()| self.buf.push(b'\n'))
            }
            Framing::Array { tag, pretty } => {
                self.buf
                    .extend_from_slice(if self.rows == 0 { b"\n" } else { b",\n" });
                if *pretty {
                    let indent: &[u8] = if tag.is_some() { b"    " } else { b"  " };
                    self.scratch.clear();
                    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
                    let mut ser =
                        serde_json::Serializer::with_formatter(&mut self.scratch, formatter);
                    row.serialize(&mut ser).map(|()| {
                        // Strings hold no raw newline, so every newline is the formatter's.
                        self.buf.extend_from_slice(indent);
                        for line in self.scratch.split_inclusive(|&b| b == b'\n') {
                            self.buf.extend_from_slice(line);
                            if line.ends_with(b"\n") {
                                self.buf.extend_from_slice(indent);
                            }
                        }
                    })
                } else {
                    serde_json::to_writer(&mut self.buf, row)
                }
            }
        };
        match result {
            Ok(()) => {
                self.rows += 1;
                Ok(())
            }
            Err(e) => {
                self.buf.truncate(mark);
                Err(Error::Write {
                    location: self.info.location.clone(),
                    row: self.rows + 1,
                    message: e.to_string(),
                })
            }
        }
    }

    /// Appends the closing brackets.
    fn push_trailer(&mut self) {
        if let Framing::Array { tag, pretty } = &self.framing {
            let trailer: &[u8] = match (tag.is_some(), *pretty, self.rows > 0) {
                (false, _, false) => b"]\n",
                (false, _, true) => b"\n]\n",
                (true, false, false) => b"]}\n",
                (true, false, true) => b"\n]}\n",
                (true, true, false) => b"]\n}\n",
                (true, true, true) => b"\n  ]\n}\n",
            };
            self.buf.extend_from_slice(trailer);
        }
        self.trailer_written = true;
    }

    /// Hands the whole buffer to the sink. Safe to cancel and call again.
    async fn flush_buf(&mut self) -> Result<()> {
        while self.flushed < self.buf.len() {
            let n = self
                .writer
                .write(&self.buf[self.flushed..])
                .await
                .map_err(|e| Error::io(&self.info.location, e))?;
            if n == 0 {
                let e = std::io::Error::new(
                    std::io::ErrorKind::WriteZero,
                    "the sink accepts no more bytes",
                );
                return Err(Error::io(&self.info.location, e));
            }
            self.flushed += n;
            self.bytes += n as u64;
        }
        self.buf.clear();
        self.flushed = 0;
        Ok(())
    }
}

impl<W: AsyncWrite + Send + Unpin> Stream for JsonWriter<W> {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.reads.poll_next(&this.info)
    }
}

impl<W: AsyncWrite + Send + Unpin> AsyncIterable for JsonWriter<W> {
    fn aread(&mut self) -> BoxFuture<'_, Result<Option<Row>>> {
        refuse(&self.info)
    }

    fn aread_bulk(&mut self, _n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        refuse(&self.info)
    }

    fn awrite<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.push(row)?;
            if self.buf.len() >= WRITE_BUFFER {
                self.flush_buf().await?;
            }
            Ok(())
        })
    }

    fn awrite_bulk<'a>(&'a mut self, rows: &'a [Row]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            for row in rows {
                self.push(row)?;
                if self.buf.len() >= WRITE_BUFFER {
                    self.flush_buf().await?;
                }
            }
            Ok(())
        })
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            if self.closed {
                return Ok(());
            }
            if !self.trailer_written {
                self.push_trailer();
            }
            self.flush_buf().await?;
            self.writer
                .shutdown()
                .await
                .map_err(|e| Error::io(&self.info.location, e))?;
            self.closed = true;
            Ok(())
        })
    }

    fn info(&self) -> &IterableInfo {
        &self.info
    }

    fn progress(&self) -> Progress {
        Progress {
            rows: self.rows,
            bytes: self.bytes,
            bytes_total: None,
            skipped: 0,
        }
    }
}
