//! The TOML reader and writer, compiled with the `toml` feature (the format's
//! description is in `mod.rs`).

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use iterable_core::{
    BoxIterable, Error, Header, ParseError, Position, Result, Row, Timestamp, Value,
};
use tokio::io::{AsyncBufRead, AsyncReadExt, AsyncWrite};
use toml::value::{Datetime, Table};

use crate::record_writer::{RecordEncoder, RecordWriter};
use crate::{ReadContext, WriteContext, rows_iterable};

/// Opens a TOML reader over `reader`: the document is read and parsed whole.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let location = ctx.info.location.clone();
    // The document is parsed whole: it is the record that `max_record_bytes` bounds.
    let max = ctx.options.limits.max_record_bytes;
    let mut bytes = Vec::new();
    reader
        .take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| Error::io(&location, e))?;
    if bytes.len() > max {
        return Err(parse_error(
            &location,
            Position::default(),
            iterable_core::limits::record_too_large("document", max),
            b"",
        ));
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let byte = e.valid_up_to() as u64;
        parse_error(
            &location,
            position_at(&bytes, byte as usize),
            "the TOML document is not UTF-8 (TOML must be)".to_owned(),
            b"",
        )
    })?;
    let document: Table = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        parse_error(
            &location,
            position_at(&bytes, at),
            e.message().to_owned(),
            snippet(text, at),
        )
    })?;
    let tagname = ctx.options.format_options.get("tagname").cloned();
    let tables = row_tables(document, tagname.as_deref(), &location)?;
    let mut header: Option<Arc<Header>> = None;
    let rows: Vec<Result<Row>> = tables
        .into_iter()
        .map(|table| Ok(table_to_row(table, &mut header)))
        .collect();
    Ok(rows_iterable(ctx, rows))
}

fn parse_error(location: &str, pos: Position, message: String, raw: &[u8]) -> Error {
    ParseError::new(location, pos, message, raw).into()
}

/// The line (1-based) and byte of offset `at`.
fn position_at(bytes: &[u8], at: usize) -> Position {
    let at = at.min(bytes.len());
    Position {
        line: 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64,
        record: 0,
        byte: at as u64,
    }
}

fn snippet(text: &str, at: usize) -> &[u8] {
    let start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    &text.as_bytes()[start..end]
}

/// The tables of the array of tables the rows come from.
fn row_tables(document: Table, tagname: Option<&str>, location: &str) -> Result<Vec<Table>> {
    let invalid = |message: String| Error::InvalidOption(format!("{location}: {message}"));
    if let Some(path) = tagname {
        let mut value = toml::Value::Table(document);
        for key in path.split('.') {
            value = match value {
                toml::Value::Table(mut t) => t
                    .remove(key)
                    .ok_or_else(|| invalid(format!("the TOML document has no key {path:?}")))?,
                _ => return Err(invalid(format!("{path:?} does not name a table's key"))),
            };
        }
        return as_tables(value)
            .ok_or_else(|| invalid(format!("{path:?} is not an array of tables")));
    }
    let names: Vec<String> = document
        .iter()
        .filter(|(_, v)| is_array_of_tables(v))
        .map(|(k, _)| k.clone())
        .collect();
    match names.as_slice() {
        [one] => {
            let mut document = document;
            let value = document.remove(one).expect("the key was just seen");
            Ok(as_tables(value).expect("checked to be an array of tables"))
        }
        [] => Err(invalid(
            "the TOML document has no top-level array of tables ([[name]]) to read rows from; \
             name a nested one with tagname"
                .to_owned(),
        )),
        several => Err(invalid(format!(
            "the TOML document has several arrays of tables ({}): choose one with tagname",
            several.join(", ")
        ))),
    }
}

fn is_array_of_tables(value: &toml::Value) -> bool {
    matches!(value, toml::Value::Array(items) if !items.is_empty() && items.iter().all(|i| i.is_table()))
}

fn as_tables(value: toml::Value) -> Option<Vec<Table>> {
    match value {
        toml::Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                toml::Value::Table(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn table_to_row(table: Table, header: &mut Option<Arc<Header>>) -> Row {
    let keys: Vec<&String> = table.keys().collect();
    let shared = match header {
        Some(h) if h.names().iter().eq(keys.iter().copied()) => h.clone(),
        _ => {
            let h = Arc::new(Header::new(keys.into_iter().cloned().collect()));
            *header = Some(h.clone());
            h
        }
    };
    let values = table.into_iter().map(|(_, v)| to_value(v)).collect();
    Row::from_parts(shared, values)
}

fn to_value(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::from(s),
        toml::Value::Integer(i) => Value::Int(i),
        toml::Value::Float(f) => Value::Float(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => datetime_value(&d),
        toml::Value::Array(items) => Value::List(items.into_iter().map(to_value).collect()),
        toml::Value::Table(t) => {
            let mut header = None;
            Value::Map(table_to_row(t, &mut header))
        }
    }
}

/// An offset date-time is a UTC timestamp in its offset's zone; a local date-time a
/// timestamp without a zone; a local date a date; a local time text.
fn datetime_value(d: &Datetime) -> Value {
    let text = d.to_string();
    if let Ok(dt) = DateTime::parse_from_rfc3339(&text.replace(' ', "T")) {
        let offset = dt.offset().local_minus_utc();
        let tz: Arc<str> = if offset == 0 && text.ends_with(['Z', 'z']) {
            Arc::from("UTC")
        } else {
            Arc::from(dt.offset().to_string())
        };
        return Value::Timestamp(Timestamp {
            datetime: dt.naive_utc(),
            tz: Some(tz),
        });
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(&text.replace(' ', "T"), "%Y-%m-%dT%H:%M:%S%.f") {
        return Value::Timestamp(Timestamp {
            datetime: dt,
            tz: None,
        });
    }
    if let Ok(date) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        return Value::Date(date);
    }
    Value::from(text)
}

/// Opens a TOML writer over `writer`: each row one `[[tagname]]` table.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let tagname = ctx
        .options
        .format_options
        .get("tagname")
        .cloned()
        .unwrap_or_else(|| "item".to_owned());
    let encoder = TomlEncoder {
        tagname,
        first: true,
    };
    Ok(Box::new(RecordWriter::new(writer, encoder, ctx)))
}

struct TomlEncoder {
    tagname: String,
    first: bool,
}

impl RecordEncoder for TomlEncoder {
    fn encode(&mut self, row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        let table = row_to_table(row)?;
        let mut wrapper = Table::new();
        wrapper.insert(
            self.tagname.clone(),
            toml::Value::Array(vec![toml::Value::Table(table)]),
        );
        let text = toml::to_string(&wrapper).map_err(|e| format!("cannot write as TOML: {e}"))?;
        if !self.first {
            out.push(b'\n');
        }
        self.first = false;
        out.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

fn row_to_table(row: &Row) -> std::result::Result<Table, String> {
    let mut table = Table::new();
    for (key, value) in row.iter() {
        if let Some(v) = to_toml(value)? {
            table.insert(key.to_owned(), v);
        }
    }
    Ok(table)
}

/// `None` for null (TOML has none: the key is left out).
fn to_toml(value: &Value) -> std::result::Result<Option<toml::Value>, String> {
    Ok(Some(match value {
        Value::Null => return Ok(None),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Int(i) => toml::Value::Integer(*i),
        Value::Float(f) => toml::Value::Float(*f),
        Value::String(s) => toml::Value::String(s.to_string()),
        Value::Date(d) => toml::Value::Datetime(
            Datetime::from_str(&d.format("%Y-%m-%d").to_string()).map_err(|e| e.to_string())?,
        ),
        Value::Timestamp(ts) => {
            let text = match &ts.tz {
                None => ts.datetime.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
                Some(_) => format!("{}Z", ts.datetime.format("%Y-%m-%dT%H:%M:%S%.f")),
            };
            toml::Value::Datetime(Datetime::from_str(&text).map_err(|e| e.to_string())?)
        }
        Value::List(items) => toml::Value::Array(
            items
                .iter()
                .map(|v| {
                    to_toml(v)?.ok_or_else(|| {
                        "a list holds a null, which TOML cannot hold (a key can be left out, \
                         an array item cannot)"
                            .to_owned()
                    })
                })
                .collect::<std::result::Result<_, _>>()?,
        ),
        Value::Map(row) => toml::Value::Table(row_to_table(row)?),
        other => {
            let mut text = String::new();
            other.write_text(&mut text);
            toml::Value::String(text)
        }
    }))
}
