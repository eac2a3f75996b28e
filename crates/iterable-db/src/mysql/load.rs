//! Rows into a table by `LOAD DATA LOCAL INFILE`, the server reading the rows as a
//! stream the client makes up (no file): tab-separated text with backslash escapes,
//! `\N` for null. The server parses each field as its column's type; in strict mode a
//! value that does not fit is an error naming its row.
//!
//! A thread of its own turns the rows into text while the calling thread runs the
//! statement, so encoding and the server's work overlap.

use std::io::Write;

use bytes::Bytes;
use iterable_core::{Error, Result, Row, Value};
use iterable_formats::blocking_bridge::RowReceiver;
use mysql_async::Conn;
use mysql_async::prelude::Queryable;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use crate::layout::Layout;

/// Bytes of text gathered before they are handed to the connection.
const CHUNK: usize = 256 * 1024;

/// Whether the server takes `LOAD DATA LOCAL` (MariaDB does by default; MySQL 8 not).
pub(crate) fn local_infile_allowed(handle: &Handle, conn: &mut Conn) -> bool {
    let on: Option<i64> = handle
        .block_on(conn.query_first("SELECT @@GLOBAL.local_infile"))
        .ok()
        .flatten();
    on == Some(1)
}

/// What a load needs to know for its messages.
pub(crate) struct Target<'a> {
    pub location: &'a str,
    pub table_label: &'a str,
    pub into: &'a str,
    pub columns: &'a [String],
}

/// Loads `first`, then the rest of `rows`, into `target.into`; `Ok(false)` when the
/// writer was dropped before it was closed (the caller rolls back).
pub(crate) fn load(
    handle: &Handle,
    conn: &mut Conn,
    rows: &mut RowReceiver,
    first: Vec<(u64, Row)>,
    target: &Target<'_>,
) -> Result<bool> {
    let (tx, mut rx) = mpsc::channel::<std::io::Result<Bytes>>(4);
    let data = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    conn.set_infile_handler(async move { Ok(Box::pin(data) as mysql_async::InfileData) });
    let names: Vec<String> = target.columns.iter().map(|c| super::quoted(c)).collect();
    // A real tab, one backslash and a real newline: the session has
    // NO_BACKSLASH_ESCAPES, so the statement's strings take no escapes.
    let sql = format!(
        "LOAD DATA LOCAL INFILE 'iterable-rows' INTO TABLE {} CHARACTER SET binary \
         FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' ({})",
        target.into,
        names.join(", ")
    );
    std::thread::scope(|scope| {
        let encoder = scope.spawn(move || encode(rows, first, target, tx));
        let loaded = handle.block_on(conn.query_drop(sql.as_str()));
        // A handler the server never asked for still holds the channel: drop it, so
        // that the encoder stops.
        conn.set_infile_handler(async { Err(mysql_async::Error::Other("no rows".into())) });
        let encoded = encoder.join().expect("the encoder does not panic");
        // The encoder's own error (a row the table has no column for) comes first.
        let finished = encoded?;
        loaded.map_err(|e| row_error(target, &e.to_string()))?;
        if finished && conn.get_warnings() > 0 {
            // With LOCAL the server cannot stop the stream, so a value that does not fit
            // is a warning (the value changed): the write fails on the first of them.
            let first: Option<(String, u32, String)> = handle
                .block_on(conn.query_first("SHOW WARNINGS LIMIT 1"))
                .map_err(|e| super::my_error(target.location, "reading the load's warnings", &e))?;
            if let Some((_, code, message)) = first {
                return Err(row_error(target, &format!("warning {code}: {message}")));
            }
        }
        Ok(finished)
    })
}

/// The rows as text, sent in chunks; `Ok(false)` when the writer was dropped.
fn encode(
    rows: &mut RowReceiver,
    first: Vec<(u64, Row)>,
    target: &Target<'_>,
    tx: mpsc::Sender<std::io::Result<Bytes>>,
) -> Result<bool> {
    let mut layout = Layout::default();
    let mut buffer = Vec::with_capacity(CHUNK + 4096);
    let mut pending = first.into_iter();
    loop {
        let next = match pending.next() {
            Some(row) => Some(row),
            None => rows.next_row(),
        };
        let Some((number, row)) = next else { break };
        // On a row that does not fit, the stream ends as if the rows had (the
        // connection stays sound for the rollback) and the error is the write's.
        let places = layout.places(
            &row,
            target.columns,
            target.table_label,
            target.location,
            number,
        )?;
        for (i, place) in places.iter().enumerate() {
            if i > 0 {
                buffer.push(b'\t');
            }
            match place {
                Some(at) => field(&row.values()[*at], &mut buffer),
                None => buffer.extend_from_slice(b"\\N"),
            }
        }
        buffer.push(b'\n');
        if buffer.len() >= CHUNK {
            let chunk = Bytes::from(std::mem::replace(
                &mut buffer,
                Vec::with_capacity(CHUNK + 4096),
            ));
            if tx.blocking_send(Ok(chunk)).is_err() {
                // The statement ended (it failed): its error says why.
                return Ok(true);
            }
        }
    }
    if !rows.finished() {
        return Ok(false);
    }
    if !buffer.is_empty() {
        let _ = tx.blocking_send(Ok(Bytes::from(buffer)));
    }
    Ok(true)
}

/// One field as LOAD DATA reads it.
fn field(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"\\N"),
        Value::Bool(b) => out.push(if *b { b'1' } else { b'0' }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        // Debug is the shortest text that reads back as the same float.
        Value::Float(x) => {
            let _ = write!(out, "{x:?}");
        }
        Value::String(s) => escaped(s.as_bytes(), out),
        Value::Bytes(b) => escaped(b, out),
        Value::Date(d) => {
            let _ = write!(out, "{}", d.format("%Y-%m-%d"));
        }
        // Zoned timestamps are kept in UTC, the session's zone.
        Value::Timestamp(t) => {
            let _ = write!(out, "{}", t.datetime.format("%Y-%m-%d %H:%M:%S%.6f"));
        }
        Value::Decimal(d) => {
            let _ = write!(out, "{d}");
        }
        Value::List(_) | Value::Map(_) => escaped(
            &serde_json::to_vec(value).expect("values serialize to JSON"),
            out,
        ),
    }
}

/// Text escaped for the server's text format.
fn escaped(text: &[u8], out: &mut Vec<u8>) {
    crate::text_escape::escaped(text, true, out);
}

/// A failed load: the row the server names (`at row N`, the row's own number), in the
/// server's words.
fn row_error(target: &Target<'_>, text: &str) -> Error {
    let row = text
        .rsplit_once(" at row ")
        .and_then(|(_, n)| n.trim().trim_end_matches('\'').parse::<u64>().ok());
    match row {
        Some(row) => Error::Write {
            location: target.location.to_owned(),
            row,
            message: format!("MySQL, loading into {}: {text}", target.table_label),
        },
        None => Error::Io {
            location: target.location.to_owned(),
            source: std::io::Error::other(format!("MySQL, loading the rows: {text}")),
        },
    }
}
