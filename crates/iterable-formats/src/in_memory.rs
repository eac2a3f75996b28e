//! A reader over rows already parsed: for formats whose documents are parsed whole
//! (TOML), and for format implementers outside this crate.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use iterable_core::{AsyncIterable, BoxFuture, BoxIterable, IterableInfo, Progress, Result, Row};

use crate::ReadContext;

/// An iterable that hands out `rows` in order. An error is handed out in its place
/// and ends the stream; `aread_bulk` returns the rows before it and the error on the
/// next read. `progress().bytes` is the context's byte counter.
pub fn rows_iterable<I>(ctx: ReadContext, rows: I) -> BoxIterable
where
    I: IntoIterator<Item = Result<Row>>,
    I::IntoIter: Send + 'static,
{
    Box::new(RowsIterable {
        rows: Box::new(rows.into_iter()),
        ctx,
        done: false,
        count: 0,
        pending_error: None,
    })
}

struct RowsIterable {
    rows: Box<dyn Iterator<Item = Result<Row>> + Send>,
    ctx: ReadContext,
    done: bool,
    count: u64,
    pending_error: Option<iterable_core::Error>,
}

impl RowsIterable {
    fn next_item(&mut self) -> Option<Result<Row>> {
        if let Some(err) = self.pending_error.take() {
            self.done = true;
            return Some(Err(err));
        }
        if self.done {
            return None;
        }
        match self.rows.next() {
            Some(Ok(row)) => {
                self.count += 1;
                Some(Ok(row))
            }
            Some(Err(e)) => {
                self.done = true;
                Some(Err(e))
            }
            None => {
                self.done = true;
                None
            }
        }
    }
}

impl Stream for RowsIterable {
    type Item = Result<Row>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.get_mut().next_item())
    }
}

impl AsyncIterable for RowsIterable {
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(n.min(4096));
            while out.len() < n {
                match self.next_item() {
                    Some(Ok(row)) => out.push(row),
                    Some(Err(e)) if out.is_empty() => return Err(e),
                    Some(Err(e)) => {
                        self.pending_error = Some(e);
                        self.done = false;
                        break;
                    }
                    None => break,
                }
            }
            Ok(out)
        })
    }

    fn info(&self) -> &IterableInfo {
        &self.ctx.info
    }

    fn progress(&self) -> Progress {
        Progress {
            rows: self.count,
            bytes: self
                .ctx
                .bytes_read
                .load(std::sync::atomic::Ordering::Relaxed),
            bytes_total: self.ctx.bytes_total,
            skipped: self.ctx.errors.skipped(),
        }
    }
}
