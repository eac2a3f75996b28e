//! The WARC reader, on the blocking bridge: one record at a time.

use std::io::{BufRead, Read};

use iterable_core::limits::record_too_large;
use iterable_core::{BoxIterable, Error, Result, Row, Value};
use tokio::io::AsyncBufRead;

use super::{HTTP_HEADERS, HTTP_START_LINE, HTTP_STATUS, PAYLOAD, VERSION};
use crate::ReadContext;
use crate::blocking::{bridge_producer, record_error};
use crate::blocking_bridge::SyncInput;

/// Opens a WARC reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let max_record = ctx.options.limits.max_record_bytes;
    Ok(bridge_producer(reader, ctx, move |mut input, rows| {
        let location = input.location().to_owned();
        let mut record = 0u64;
        loop {
            // The line ends after each block (two, or more) come before the next.
            match skip_line_ends(&mut input) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => return Err(Error::io(&location, e)),
            }
            record += 1;
            let start = input.offset();
            let fail = |message: String| record_error(&location, record, start, message, b"");
            match read_record(&mut input, max_record) {
                Ok(Some(row)) => {
                    if !rows.send(row) {
                        return Ok(());
                    }
                }
                Ok(None) => return Ok(()),
                Err(Bad::Io(e)) => return Err(Error::io(&location, e)),
                Err(Bad::Record(message)) => return Err(fail(message)),
            }
        }
    }))
}

/// Consumes line ends; `false` at the end of input.
fn skip_line_ends(input: &mut SyncInput) -> std::io::Result<bool> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        let n = buf
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        if n < buf.len() {
            input.consume(n);
            return Ok(true);
        }
        input.consume(n);
    }
}

enum Bad {
    Io(std::io::Error),
    Record(String),
}

impl From<std::io::Error> for Bad {
    fn from(e: std::io::Error) -> Self {
        Bad::Io(e)
    }
}

/// One line without its line end (`\n` or `\r\n`), at most `max` bytes; `None` at
/// the end of input before any byte.
fn line(input: &mut SyncInput, max: usize) -> std::result::Result<Option<Vec<u8>>, Bad> {
    let mut out = Vec::new();
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok((!out.is_empty()).then_some(out));
        }
        let (take, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if out.len() + take > max {
            return Err(Bad::Record(record_too_large("header", max)));
        }
        out.extend_from_slice(&buf[..take]);
        input.consume(take);
        if done {
            out.pop();
            if out.last() == Some(&b'\r') {
                out.pop();
            }
            return Ok(Some(out));
        }
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `Name: value` lines up to a blank line (a line starting with a space or tab
/// continues the one before), as (name, value) pairs.
fn headers(
    lines: &mut impl FnMut() -> std::result::Result<Option<Vec<u8>>, Bad>,
) -> std::result::Result<Vec<(String, String)>, Bad> {
    let mut out: Vec<(String, String)> = Vec::new();
    loop {
        let Some(l) = lines()? else {
            return Err(Bad::Record(
                "the input ends inside the record's headers: the WARC is truncated".to_owned(),
            ));
        };
        if l.is_empty() {
            return Ok(out);
        }
        if matches!(l[0], b' ' | b'\t')
            && let Some(last) = out.last_mut()
        {
            last.1.push(' ');
            last.1.push_str(text(l).trim());
            continue;
        }
        let l = text(l);
        let Some((name, value)) = l.split_once(':') else {
            return Err(Bad::Record(format!("{l:?} is not a header (Name: value)")));
        };
        out.push((name.trim().to_owned(), value.trim().to_owned()));
    }
}

fn read_record(input: &mut SyncInput, max: usize) -> std::result::Result<Option<Row>, Bad> {
    let Some(version) = line(input, max)?.map(text) else {
        return Ok(None);
    };
    if !version.starts_with("WARC/") {
        return Err(Bad::Record(format!(
            "{:?} is not a WARC version line (WARC/1.0)",
            version.chars().take(40).collect::<String>()
        )));
    }
    let warc_headers = headers(&mut || line(input, max))?;
    let length = warc_headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
        .ok_or_else(|| Bad::Record("the record has no Content-Length".to_owned()))?
        .1
        .parse::<u64>()
        .map_err(|_| Bad::Record("its Content-Length is not a number".to_owned()))?;
    if length > max as u64 {
        return Err(Bad::Record(record_too_large("record", max)));
    }
    let mut block = Vec::with_capacity(length as usize);
    input.by_ref().take(length).read_to_end(&mut block)?;
    if (block.len() as u64) < length {
        return Err(Bad::Record(format!(
            "the record declares {length} bytes and the input ends after {}: the WARC is truncated",
            block.len()
        )));
    }
    let mut row = Row::new();
    row.insert(VERSION, version);
    let mut is_http = false;
    for (name, value) in warc_headers {
        if name.eq_ignore_ascii_case("Content-Type") {
            is_http = value.to_ascii_lowercase().starts_with("application/http");
        }
        row.insert(name, value);
    }
    let payload = if is_http {
        match http_message(&block) {
            Some((start, status, headers, body)) => {
                row.insert(HTTP_START_LINE, start);
                if let Some(status) = status {
                    row.insert(HTTP_STATUS, status);
                }
                row.insert(HTTP_HEADERS, Value::Map(headers));
                body.to_vec()
            }
            None => block,
        }
    } else {
        block
    };
    row.insert(PAYLOAD, Value::Bytes(payload));
    Ok(Some(row))
}

/// An HTTP message's start line, status (of a response), headers and body; `None`
/// when the block is not one.
fn http_message(block: &[u8]) -> Option<(String, Option<i64>, Row, &[u8])> {
    let end = memchr::memmem::find(block, b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| memchr::memmem::find(block, b"\n\n").map(|i| (i, i + 2)))?;
    let head = std::str::from_utf8(&block[..end.0]).ok()?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start = lines.next()?.to_owned();
    let status = if start.starts_with("HTTP/") {
        Some(start.split_whitespace().nth(1)?.parse::<i64>().ok()?)
    } else if start
        .split_whitespace()
        .nth(2)
        .is_some_and(|v| v.starts_with("HTTP/"))
    {
        None
    } else {
        return None;
    };
    let mut headers = Row::new();
    for l in lines {
        let (name, value) = l.split_once(':')?;
        let (name, value) = (name.trim(), Value::from(value.trim()));
        match headers.get_mut(name) {
            Some(Value::List(items)) => items.push(value),
            Some(one) => {
                let first = std::mem::replace(one, Value::Null);
                *one = Value::List(vec![first, value]);
            }
            None => {
                headers.insert(name, value);
            }
        }
    }
    Some((start, status, headers, &block[end.1..]))
}
