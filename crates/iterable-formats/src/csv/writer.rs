//! The CSV writer: rows formatted into a buffer, written out 64 KiB at a time.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{
    AsyncIterable, Error, ExtraKeys, Header, IterableInfo, Progress, Result, Row, Value,
};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::WriteContext;
use crate::read_refusal::{ReadRefusal, refuse};

/// The buffer is written out when it holds this much.
const FLUSH_AT: usize = 64 * 1024;

/// A native async CSV/TSV/PSV writer; see the [module docs](super) for its policies.
pub struct CsvWriter<W> {
    writer: W,
    info: IterableInfo,
    style: Style,
    has_header: bool,
    scan_rows: usize,
    extra_keys: ExtraKeys,
    /// The columns written, once known.
    columns: Option<Arc<Header>>,
    /// Rows held back until the header is known.
    held: Vec<Row>,
    /// The header of the last row written and, per column, where its value sits in
    /// such a row.
    last: Option<(Arc<Header>, Vec<Option<usize>>)>,
    buf: Vec<u8>,
    scratch: String,
    rows: u64,
    flushed: u64,
    closed: bool,
    reads: ReadRefusal,
}

impl<W> std::fmt::Debug for CsvWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvWriter")
            .field("location", &self.info.location)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

/// How fields are written.
struct Style {
    delimiter: u8,
    quote: u8,
    escape: Option<u8>,
    comment: Option<u8>,
    terminator: &'static [u8],
}

impl Style {
    /// Appends one field, quoted when it must be. `first` says it starts a line (where
    /// the comment byte would make the line a comment); `alone` that it is the only
    /// column (where an empty field would read back as a blank line).
    fn field(&self, out: &mut Vec<u8>, bytes: &[u8], first: bool, alone: bool) {
        let needs_quotes = match (bytes.first(), bytes.last()) {
            (None, _) | (_, None) => alone,
            (Some(&a), Some(&z)) => {
                a == b' '
                    || z == b' '
                    || (first && Some(a) == self.comment)
                    || bytes.iter().any(|&b| {
                        b == self.delimiter || b == self.quote || b == b'\n' || b == b'\r'
                    })
            }
        };
        if !needs_quotes {
            out.extend_from_slice(bytes);
            return;
        }
        out.push(self.quote);
        for &b in bytes {
            if b == self.quote {
                out.push(self.escape.unwrap_or(self.quote));
            } else if Some(b) == self.escape {
                out.push(b);
            }
            out.push(b);
        }
        out.push(self.quote);
    }

    fn value(
        &self,
        out: &mut Vec<u8>,
        scratch: &mut String,
        value: &Value,
        first: bool,
        alone: bool,
    ) {
        match value {
            Value::String(s) => self.field(out, s.as_bytes(), first, alone),
            other => {
                scratch.clear();
                other.write_text(scratch);
                self.field(out, scratch.as_bytes(), first, alone);
            }
        }
    }
}

impl<W: AsyncWrite + Unpin> CsvWriter<W> {
    /// A writer over `writer` with the options of `ctx`.
    pub fn new(writer: W, ctx: WriteContext) -> Self {
        let csv = &ctx.options.csv;
        let style = Style {
            delimiter: super::delimiter_of(&ctx.options, ctx.info.format),
            quote: csv.quote,
            escape: csv.escape,
            comment: csv.comment,
            terminator: if csv.crlf { b"\r\n" } else { b"\n" },
        };
        CsvWriter {
            writer,
            style,
            has_header: csv.has_header,
            scan_rows: csv.header_scan_rows.max(1),
            extra_keys: csv.extra_keys,
            columns: None,
            held: Vec::new(),
            last: None,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            scratch: String::new(),
            rows: 0,
            flushed: 0,
            closed: false,
            reads: ReadRefusal::default(),
            info: ctx.info,
        }
    }

    async fn write_one(&mut self, row: &Row) -> Result<()> {
        if self.closed {
            return Err(Error::unsupported(
                &self.info.location,
                "the writer is closed: cannot write more rows",
            ));
        }
        if self.columns.is_some() {
            self.encode(row)?;
        } else {
            self.held.push(row.clone());
            if self.held.len() >= self.scan_rows {
                self.fix_header()?;
            }
        }
        if self.buf.len() >= FLUSH_AT {
            self.write_out().await?;
        }
        Ok(())
    }

    /// Settles the header from the held rows and writes it and them.
    fn fix_header(&mut self) -> Result<()> {
        let mut names: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for row in &self.held {
            for key in row.keys() {
                if !seen.contains(key) {
                    seen.insert(key.to_owned());
                    names.push(key.to_owned());
                }
            }
        }
        let header = Arc::new(Header::new(names));
        if self.has_header {
            let alone = header.len() == 1;
            for (i, name) in header.names().iter().enumerate() {
                if i > 0 {
                    self.buf.push(self.style.delimiter);
                }
                self.style
                    .field(&mut self.buf, name.as_bytes(), i == 0, alone);
            }
            self.buf.extend_from_slice(self.style.terminator);
        }
        self.columns = Some(header);
        for row in std::mem::take(&mut self.held) {
            self.encode(&row)?;
        }
        Ok(())
    }

    /// Formats one row into the buffer.
    fn encode(&mut self, row: &Row) -> Result<()> {
        let Some(columns) = &self.columns else {
            return Ok(());
        };
        let same = matches!(&self.last, Some((h, _)) if Arc::ptr_eq(h, row.header()));
        if !same {
            let map = columns
                .names()
                .iter()
                .map(|name| row.header().position(name))
                .collect();
            if self.extra_keys == ExtraKeys::Error
                && row.keys().any(|k| columns.position(k).is_none())
            {
                let key = row
                    .keys()
                    .find(|k| columns.position(k).is_none())
                    .unwrap_or_default();
                return Err(self.extra_key_error(key, columns));
            }
            self.last = Some((row.header().clone(), map));
        }
        let Some((_, map)) = &self.last else {
            return Ok(());
        };
        let alone = map.len() == 1;
        let values = row.values();
        for (j, slot) in map.iter().enumerate() {
            if j > 0 {
                self.buf.push(self.style.delimiter);
            }
            match slot {
                Some(i) => {
                    self.style
                        .value(&mut self.buf, &mut self.scratch, &values[*i], j == 0, alone)
                }
                None => self.style.field(&mut self.buf, b"", j == 0, alone),
            }
        }
        self.buf.extend_from_slice(self.style.terminator);
        self.rows += 1;
        Ok(())
    }

    fn extra_key_error(&self, key: &str, columns: &Header) -> Error {
        const SHOWN: usize = 20;
        let mut list = columns
            .names()
            .iter()
            .take(SHOWN)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        if columns.len() > SHOWN {
            list.push_str(", ...");
        }
        Error::Write {
            location: self.info.location.clone(),
            row: self.rows + 1,
            message: format!(
                "key \"{key}\" is not in the CSV header ({list}); the header comes from the first {} row(s): \
                 set header_scan_rows to see more rows first or extra_keys = Ignore to drop such values",
                self.scan_rows
            ),
        }
    }

    /// Hands the buffer to the sink.
    async fn write_out(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.writer
            .write_all(&self.buf)
            .await
            .map_err(|e| Error::io(&self.info.location, e))?;
        self.flushed += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    async fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        if self.columns.is_none() && !self.held.is_empty() {
            self.fix_header()?;
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

/// Reading a writer: one `Unsupported` error, then the end. (`aread` and `aread_bulk`
/// answer `Unsupported` every time.)
impl<W: AsyncWrite + Unpin> Stream for CsvWriter<W> {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.reads.poll_next(&this.info)
    }
}

impl<W: AsyncWrite + Send + Unpin> AsyncIterable for CsvWriter<W> {
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

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.close())
    }

    fn info(&self) -> &IterableInfo {
        &self.info
    }

    fn progress(&self) -> Progress {
        Progress {
            rows: self.rows,
            bytes: self.flushed + self.buf.len() as u64,
            bytes_total: None,
            skipped: 0,
        }
    }
}
