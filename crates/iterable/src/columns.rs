//! The `columns` option for every reader: a format that does not pick columns itself
//! (only Parquet and Arrow IPC read just the columns asked, and databases select them)
//! has its rows cut down to those columns, in that order. A column the first row does
//! not have is an error naming it and the columns there are; a later row without one
//! gets a null there (JSON Lines rows need not share their keys).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use iterable_core::{
    AsyncIterable, BoxFuture, BoxIterable, Error, Header, IterableInfo, Options, Progress, Result,
    Row, Value,
};

/// `opened` with only the `columns` of `options`, when its format does not pick them.
pub(crate) fn select(opened: BoxIterable, options: &Options) -> BoxIterable {
    let Some(columns) = &options.columnar.columns else {
        return opened;
    };
    let native = crate::registry::spec(opened.info().format)
        .is_some_and(|spec| spec.read_options.iter().any(|o| o.key == "columns"));
    if native {
        return opened;
    }
    Box::new(SelectedColumns {
        inner: opened,
        header: Arc::new(Header::new(columns.clone())),
        checked: false,
    })
}

struct SelectedColumns {
    inner: BoxIterable,
    /// The columns asked for, in order.
    header: Arc<Header>,
    /// Whether the first row has been checked for them.
    checked: bool,
}

impl SelectedColumns {
    fn cut(&mut self, mut row: Row) -> Result<Row> {
        if !self.checked {
            self.checked = true;
            if let Some(missing) = self.header.names().iter().find(|n| row.get(n).is_none()) {
                let there: Vec<&str> = row.keys().collect();
                return Err(Error::InvalidOption(format!(
                    "{}: column {missing:?} (asked for by `columns`) is not in the input; its columns: {}",
                    self.inner.info().location,
                    there.join(", ")
                )));
            }
        }
        let values = self
            .header
            .names()
            .iter()
            .map(|name| row.remove(name).unwrap_or(Value::Null))
            .collect();
        Ok(Row::from_parts(self.header.clone(), values))
    }
}

impl Stream for SelectedColumns {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(row))) => Poll::Ready(Some(this.cut(row))),
            other => other,
        }
    }
}

impl AsyncIterable for SelectedColumns {
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        Box::pin(async move {
            let rows = self.inner.aread_bulk(n).await?;
            rows.into_iter().map(|row| self.cut(row)).collect()
        })
    }

    fn areset(&mut self) -> BoxFuture<'_, Result<()>> {
        self.checked = false;
        self.inner.areset()
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        self.inner.aclose()
    }

    /// The picked columns the source declares, in the picked order.
    fn columns(&self) -> Option<std::sync::Arc<iterable_core::Header>> {
        let declared = self.inner.columns()?;
        let kept: Vec<String> = self
            .header
            .names()
            .iter()
            .filter(|n| declared.position(n).is_some())
            .cloned()
            .collect();
        Some(std::sync::Arc::new(iterable_core::Header::new(kept)))
    }
    fn info(&self) -> &IterableInfo {
        self.inner.info()
    }

    fn progress(&self) -> Progress {
        self.inner.progress()
    }
}
