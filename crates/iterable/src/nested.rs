//! Nested values and flat formats: [`flatten_row`] and [`unflatten_row`], and the
//! wrappers that apply them (and [`NestedValues::Fail`]) to what
//! [`IterableOptions::open`](crate::IterableOptions::open) hands out.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use iterable_core::{
    AsyncIterable, BoxIterable, Error, IterableInfo, NestedValues, Options, Progress, Result, Row,
    Value,
};

/// `row` with its lists and maps spread into columns named by their path, joined with
/// `separator`; an empty list or map becomes null. Rows without nested values come
/// back as they are.
///
/// ```
/// use iterable::{flatten_row, row, Value};
///
/// let nested = row! {
///     "id" => 1,
///     "user" => Value::Map(row! { "name" => "Ana", "langs" => vec![Value::from("pt"), Value::from("en")] }),
/// };
/// assert_eq!(
///     flatten_row(nested, "."),
///     row! { "id" => 1, "user.name" => "Ana", "user.langs.0" => "pt", "user.langs.1" => "en" },
/// );
/// ```
pub fn flatten_row(row: Row, separator: &str) -> Row {
    if !has_nested(&row) {
        return row;
    }
    let mut out = Row::new();
    for (name, value) in row.iter() {
        spread(&mut out, name.to_owned(), value, separator);
    }
    out
}

fn has_nested(row: &Row) -> bool {
    row.values()
        .iter()
        .any(|v| matches!(v, Value::List(_) | Value::Map(_)))
}

fn spread(out: &mut Row, path: String, value: &Value, separator: &str) {
    match value {
        Value::Map(inner) if !inner.is_empty() => {
            for (name, value) in inner.iter() {
                spread(out, format!("{path}{separator}{name}"), value, separator);
            }
        }
        Value::List(items) if !items.is_empty() => {
            for (i, value) in items.iter().enumerate() {
                spread(out, format!("{path}{separator}{i}"), value, separator);
            }
        }
        Value::Map(_) | Value::List(_) => {
            out.insert(path, Value::Null);
        }
        other => {
            out.insert(path, other.clone());
        }
    }
}

/// The reverse of [`flatten_row`]: columns whose names hold `separator` are nested
/// back, a map a prefix, and a map whose keys are `0`, `1`, ... in order a list. A name
/// that clashes with a value already there (`a` and `a.b`) stays as it is.
///
/// ```
/// use iterable::{unflatten_row, row, Value};
///
/// let flat = row! { "id" => 1, "user.name" => "Ana", "user.langs.0" => "pt", "user.langs.1" => "en" };
/// assert_eq!(
///     unflatten_row(flat, "."),
///     row! {
///         "id" => 1,
///         "user" => Value::Map(row! { "name" => "Ana", "langs" => vec![Value::from("pt"), Value::from("en")] }),
///     },
/// );
/// ```
pub fn unflatten_row(row: Row, separator: &str) -> Row {
    if separator.is_empty() || !row.keys().any(|k| k.contains(separator)) {
        return row;
    }
    let (header, values) = row.into_parts();
    let mut out = Row::new();
    for (name, value) in header.names().iter().zip(values) {
        let parts: Vec<&str> = name.split(separator).collect();
        if parts.iter().any(|p| p.is_empty()) || !place(&mut out, &parts, value.clone()) {
            out.insert(name.clone(), value);
        }
    }
    for value in out.values_mut() {
        lists_back(value);
    }
    out
}

/// Puts `value` at `path` under `row`; false when something else is in the way.
fn place(row: &mut Row, path: &[&str], value: Value) -> bool {
    let (first, rest) = match path.split_first() {
        Some(split) => split,
        None => return false,
    };
    if rest.is_empty() {
        if row.contains_key(first) {
            return false;
        }
        row.insert(*first, value);
        return true;
    }
    if !row.contains_key(first) {
        row.insert(*first, Value::Map(Row::new()));
    }
    match row.get_mut(first) {
        Some(Value::Map(inner)) => place(inner, rest, value),
        _ => false,
    }
}

/// Maps keyed `0`, `1`, ... in order become lists, inside out.
fn lists_back(value: &mut Value) {
    let Value::Map(map) = value else {
        return;
    };
    for inner in map.values_mut() {
        lists_back(inner);
    }
    let numbered = map
        .keys()
        .enumerate()
        .all(|(i, k)| k.parse::<usize>().is_ok_and(|n| n == i));
    if numbered && !map.is_empty() {
        let items = std::mem::replace(map, Row::new()).into_parts().1;
        *value = Value::List(items);
    }
}

/// `opened`, with the nested-value options of `options` applied: flattened or refused
/// on writing, nested back on reading.
pub(crate) fn apply(opened: BoxIterable, options: &Options) -> BoxIterable {
    match options.mode {
        iterable_core::Mode::Read => match &options.nested.unflatten {
            Some(separator) => Box::new(MapReads {
                inner: opened,
                separator: separator.clone(),
            }),
            None => opened,
        },
        iterable_core::Mode::Write => match &options.nested.write {
            NestedValues::Flatten(separator) => Box::new(CheckedWrites {
                inner: opened,
                rule: WriteRule::Flatten(separator.clone()),
                rows: 0,
            }),
            NestedValues::Fail if is_flat(opened.info()) => Box::new(CheckedWrites {
                inner: opened,
                rule: WriteRule::Refuse,
                rows: 0,
            }),
            _ => opened,
        },
    }
}

/// Whether the format cannot hold nested values.
fn is_flat(info: &IterableInfo) -> bool {
    crate::registry::spec(info.format).is_some_and(|s| !s.capabilities.nested)
}

/// Rows nested back as they are read.
struct MapReads {
    inner: BoxIterable,
    separator: String,
}

impl Stream for MapReads {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(row))) => {
                Poll::Ready(Some(Ok(unflatten_row(row, &this.separator))))
            }
            other => other,
        }
    }
}

impl AsyncIterable for MapReads {
    fn aread_bulk(&mut self, n: usize) -> BoxFuture<'_, Result<Vec<Row>>> {
        Box::pin(async move {
            let rows = self.inner.aread_bulk(n).await?;
            Ok(rows
                .into_iter()
                .map(|row| unflatten_row(row, &self.separator))
                .collect())
        })
    }

    fn areset(&mut self) -> BoxFuture<'_, Result<()>> {
        self.inner.areset()
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        self.inner.aclose()
    }

    fn info(&self) -> &IterableInfo {
        self.inner.info()
    }

    fn progress(&self) -> Progress {
        self.inner.progress()
    }
}

enum WriteRule {
    Flatten(String),
    Refuse,
}

/// Rows flattened, or refused when nested, on their way to a writer.
struct CheckedWrites {
    inner: BoxIterable,
    rule: WriteRule,
    /// Rows taken so far, to name the one refused.
    rows: u64,
}

impl CheckedWrites {
    /// `rows` as the writer gets them: `None` when they go as they are.
    fn prepare(&mut self, rows: &[Row]) -> Result<Option<Vec<Row>>> {
        let first = self.rows;
        self.rows += rows.len() as u64;
        match &self.rule {
            WriteRule::Flatten(separator) => Ok(rows.iter().any(has_nested).then(|| {
                rows.iter()
                    .map(|r| flatten_row(r.clone(), separator))
                    .collect()
            })),
            WriteRule::Refuse => {
                for (i, row) in rows.iter().enumerate() {
                    if let Some((name, value)) = row
                        .iter()
                        .find(|(_, v)| matches!(v, Value::List(_) | Value::Map(_)))
                    {
                        return Err(Error::Write {
                            location: self.inner.info().location.clone(),
                            row: first + i as u64 + 1,
                            message: format!(
                                "column {name:?} holds a {}, which {} cannot hold (nested values are refused; flatten them or write them as JSON text)",
                                value.type_name(),
                                self.inner.info().format.name().to_uppercase()
                            ),
                        });
                    }
                }
                Ok(None)
            }
        }
    }
}

impl Stream for CheckedWrites {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Row>>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

impl AsyncIterable for CheckedWrites {
    fn awrite<'a>(&'a mut self, row: &'a Row) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match self.prepare(std::slice::from_ref(row))? {
                Some(rows) => self.inner.awrite(&rows[0]).await,
                None => self.inner.awrite(row).await,
            }
        })
    }

    fn awrite_bulk<'a>(&'a mut self, rows: &'a [Row]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            match self.prepare(rows)? {
                Some(prepared) => self.inner.awrite_bulk(&prepared).await,
                None => self.inner.awrite_bulk(rows).await,
            }
        })
    }

    fn areset(&mut self) -> BoxFuture<'_, Result<()>> {
        self.inner.areset()
    }

    fn aclose(&mut self) -> BoxFuture<'_, Result<()>> {
        self.inner.aclose()
    }

    fn awrite_columns<'a>(
        &'a mut self,
        columns: &'a iterable_core::Header,
    ) -> BoxFuture<'a, Result<()>> {
        self.inner.awrite_columns(columns)
    }
    fn info(&self) -> &IterableInfo {
        self.inner.info()
    }

    fn progress(&self) -> Progress {
        self.inner.progress()
    }
}
