//! The [`AsyncIterable`] trait: a stream of rows that can also be read in bulk,
//! written, rewound and closed.

use std::future::poll_fn;
use std::pin::Pin;

use futures_core::Stream;
use futures_core::future::BoxFuture;

use crate::{Codec, Error, Format, Result, Row};

/// Whether an iterable was opened to read or to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Rows come out.
    #[default]
    Read,
    /// Rows go in.
    Write,
}

/// What an iterable is: where, which format and codec, which way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IterableInfo {
    /// The path or URL as given (`-` for stdin/stdout).
    pub location: String,
    /// The format in use.
    pub format: Format,
    /// The codec in use.
    pub codec: Codec,
    /// Read or write.
    pub mode: Mode,
    /// The text encoding the bytes were decoded from when it is not UTF-8: the
    /// `encoding` option's (by its canonical name, `windows-1251`), or the one detected
    /// in a text file that is not valid UTF-8 and has no option. `None`: UTF-8, or a
    /// format that is not text.
    pub encoding: Option<&'static str>,
}

/// How far an iterable has come. Cheap to call at any time (e.g. for a progress bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Rows read or written so far.
    pub rows: u64,
    /// Bytes consumed from the source (compressed bytes for a compressed file), or
    /// bytes handed to the sink (before compression) for a writer.
    pub bytes: u64,
    /// The source's total size in bytes, when known.
    pub bytes_total: Option<u64>,
    /// Bad records skipped under the `Skip` or `DeadLetter` error policy.
    pub skipped: u64,
}

/// A source or sink of rows.
///
/// It is a [`Stream`] of `Result<Row>`: `while let Some(row) = it.next().await`. The
/// per-row path is `poll_next` and allocates no future. The other methods return
/// boxed futures so that the trait is object safe: `Box<dyn AsyncIterable>` is `Send`
/// and can move into `tokio::spawn`.
///
/// Contracts every implementation keeps (and the test suite checks):
/// - after an I/O or decompression error the stream ends (`None`); after a row-level
///   parse error it goes on only when the error policy says skip;
/// - [`areset`](Self::areset) rewinds to the first row (re-opening the source);
/// - a writer dropped without [`aclose`](Self::aclose) leaves no complete-looking file;
/// - reading a writer, or writing a reader, is an [`Error::Unsupported`], not a panic.
pub trait AsyncIterable: Stream<Item = Result<Row>> + Send + Unpin {
    /// The next row, or `None` at the end.
    fn aread(&mut self) -> BoxFuture<'_, Result<Option<Row>>> {
        Box::pin(async move {
            poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
                .await
                .transpose()
        })
    }

    /// Up to `n` rows; fewer only at the end or before an error; an empty vector after
    /// the end. When an error comes after some rows of the batch, the rows are returned
    /// and the error is the result of the next read: everything `iterable` opens keeps
    /// this promise. (This default, having nowhere to hold the error, returns it and
    /// drops the batch's earlier rows; a reader that can fail mid-batch overrides it.)
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        Box::pin(async move {
            let mut rows = Vec::with_capacity(n.min(65536));
            while rows.len() < n {
                match poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await {
                    Some(row) => rows.push(row?),
                    None => break,
                }
            }
            Ok(rows)
        })
    }

    /// Writes one row.
    fn awrite<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<()>> {
        let _ = row;
        let err = unsupported_write(self.info());
        Box::pin(async move { Err(err) })
    }

    /// Writes many rows.
    fn awrite_bulk<'a>(&'a mut self, rows: &'a [Row]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            for row in rows {
                self.awrite(row).await?;
            }
            Ok(())
        })
    }

    /// Rewinds to the first row.
    fn areset(&mut self) -> BoxFuture<'_, Result<()>> {
        let err = Error::unsupported(&self.info().location, "this iterable cannot be rewound");
        Box::pin(async move { Err(err) })
    }

    /// Finishes: a writer flushes, writes trailers and footers, and makes its file
    /// appear; a reader releases its source. Closing twice is fine.
    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// The columns a source declares apart from its rows (a CSV file's header line),
    /// so that a conversion of a file with a header and no rows keeps the columns;
    /// `None` (the default) when only the rows say.
    fn columns(&self) -> Option<std::sync::Arc<crate::Header>> {
        None
    }

    /// Declares the columns before any row is written, for a writer that writes them
    /// apart from its rows (a CSV header): a file of no rows then still has them. The
    /// default does nothing; a writer that has written rows already ignores it.
    fn awrite_columns<'a>(&'a mut self, columns: &'a crate::Header) -> BoxFuture<'a, Result<()>> {
        let _ = columns;
        Box::pin(async { Ok(()) })
    }

    /// Where, what format and codec, which way.
    fn info(&self) -> &IterableInfo;

    /// How far it has come.
    fn progress(&self) -> Progress;
}

/// The error for writing to an iterable opened for reading.
pub fn unsupported_write(info: &IterableInfo) -> Error {
    Error::unsupported(
        &info.location,
        "opened for reading: cannot write rows to it",
    )
}

/// The error for reading from an iterable opened for writing.
pub fn unsupported_read(info: &IterableInfo) -> Error {
    Error::unsupported(
        &info.location,
        "opened for writing: cannot read rows from it",
    )
}

/// A boxed iterable: what `aopen_iterable` returns.
pub type BoxIterable = Box<dyn AsyncIterable>;

#[deny(clippy::missing_trait_methods)]
impl<T: AsyncIterable + ?Sized> AsyncIterable for Box<T> {
    fn aread(&mut self) -> BoxFuture<'_, Result<Option<Row>>> {
        (**self).aread()
    }
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        (**self).aread_bulk(n)
    }
    fn awrite<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<()>> {
        (**self).awrite(row)
    }
    fn awrite_bulk<'a>(&'a mut self, rows: &'a [Row]) -> BoxFuture<'a, Result<()>> {
        (**self).awrite_bulk(rows)
    }
    fn areset(&mut self) -> BoxFuture<'_, Result<()>> {
        (**self).areset()
    }
    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        (**self).aclose()
    }
    fn columns(&self) -> Option<std::sync::Arc<crate::Header>> {
        (**self).columns()
    }
    fn awrite_columns<'a>(&'a mut self, columns: &'a crate::Header) -> BoxFuture<'a, Result<()>> {
        (**self).awrite_columns(columns)
    }
    fn info(&self) -> &IterableInfo {
        (**self).info()
    }
    fn progress(&self) -> Progress {
        (**self).progress()
    }
}

impl std::fmt::Debug for dyn AsyncIterable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncIterable")
            .field("info", self.info())
            .field("progress", &self.progress())
            .finish()
    }
}
