//! The WARC writer: each row a record (see the module's documentation for the columns).

use std::io::Write;

use iterable_core::{BoxIterable, Codec, Result, Row, Value};
use tokio::io::AsyncWrite;

use super::{HTTP_HEADERS, HTTP_START_LINE, HTTP_STATUS, PAYLOAD, VERSION};
use crate::WriteContext;
use crate::record_writer::{RecordEncoder, RecordWriter};

/// Opens a WARC writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    // `.warc.gz`: the sink is plain (the registry entry says WARC compresses its
    // records) and each record is a gzip member of its own.
    let gzip = (ctx.info.codec == Codec::Gzip).then(|| {
        let level = ctx.options.compression_level.unwrap_or(6).clamp(0, 9);
        flate2::Compression::new(level as u32)
    });
    Ok(Box::new(RecordWriter::new(
        writer,
        WarcEncoder {
            gzip,
            record: Vec::new(),
        },
        ctx,
    )))
}

struct WarcEncoder {
    /// The level of each record's gzip member, when the file is `.warc.gz`.
    gzip: Option<flate2::Compression>,
    /// The record being made, before it is compressed.
    record: Vec<u8>,
}

/// A value as header text: no line breaks.
fn header_text(name: &str, value: &Value) -> std::result::Result<String, String> {
    let text = value.to_string();
    if text.contains(['\r', '\n']) {
        return Err(format!(
            "the value of {name:?} holds a line break, which a header cannot"
        ));
    }
    if name.is_empty() || name.contains([':', '\r', '\n', ' ']) {
        return Err(format!("{name:?} cannot be a header name"));
    }
    Ok(text)
}

fn header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// The record's block: the HTTP message's head when the row has a start line, then
/// the payload.
fn block(row: &Row) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    if let Some(line) = row.get(HTTP_START_LINE).filter(|v| !v.is_null()) {
        out.extend_from_slice(header_text(HTTP_START_LINE, line)?.as_bytes());
        out.extend_from_slice(b"\r\n");
        match row.get(HTTP_HEADERS) {
            None | Some(Value::Null) => {}
            Some(Value::Map(headers)) => {
                for (name, value) in headers.iter() {
                    let values = match value {
                        Value::List(items) => items.iter().collect(),
                        one => vec![one],
                    };
                    for v in values {
                        header(&mut out, name, &header_text(name, v)?);
                    }
                }
            }
            Some(other) => {
                return Err(format!(
                    "{HTTP_HEADERS} is a {}, not a map of headers",
                    other.type_name()
                ));
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    match row.get(PAYLOAD) {
        None | Some(Value::Null) => {}
        Some(Value::Bytes(b)) => out.extend_from_slice(b),
        Some(Value::String(s)) => out.extend_from_slice(s.as_str().as_bytes()),
        Some(other) => {
            return Err(format!(
                "{PAYLOAD} is a {}, not bytes or text",
                other.type_name()
            ));
        }
    }
    Ok(out)
}

impl RecordEncoder for WarcEncoder {
    fn encode(&mut self, row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        let Some(level) = self.gzip else {
            return encode_record(row, out);
        };
        self.record.clear();
        encode_record(row, &mut self.record)?;
        let mut member = flate2::write::GzEncoder::new(out, level);
        member
            .write_all(&self.record)
            .and_then(|()| member.try_finish())
            .map_err(|e| format!("cannot compress the record: {e}"))
    }
}

/// Appends `row` as one WARC record.
fn encode_record(row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String> {
    let block = block(row)?;
    let mut head = Vec::new();
    let version = match row.get(VERSION) {
        None | Some(Value::Null) => "WARC/1.0".to_owned(),
        Some(v) => header_text(VERSION, v)?,
    };
    if !version.starts_with("WARC/") {
        return Err(format!("{VERSION} {version:?} is not a WARC version line"));
    }
    head.extend_from_slice(version.as_bytes());
    head.extend_from_slice(b"\r\n");
    let has = |name: &str| row.get(name).is_some_and(|v| !v.is_null());
    if !has("WARC-Type") {
        header(&mut head, "WARC-Type", "resource");
    }
    if !has("WARC-Record-ID") {
        header(&mut head, "WARC-Record-ID", &new_record_id());
    }
    if !has("WARC-Date") {
        header(&mut head, "WARC-Date", &now());
    }
    let length = block.len().to_string();
    let mut wrote_length = false;
    for (name, value) in row.iter() {
        if matches!(
            name,
            VERSION | HTTP_START_LINE | HTTP_STATUS | HTTP_HEADERS | PAYLOAD
        ) || value.is_null()
        {
            continue;
        }
        if name.eq_ignore_ascii_case("Content-Length") {
            header(&mut head, name, &length);
            wrote_length = true;
        } else {
            header(&mut head, name, &header_text(name, value)?);
        }
    }
    if !wrote_length {
        header(&mut head, "Content-Length", &length);
    }
    out.extend_from_slice(&head);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&block);
    out.extend_from_slice(b"\r\n\r\n");
    Ok(())
}

/// A new record id: a random (version 4) UUID as a URN.
fn new_record_id() -> String {
    let mut b: [u8; 16] = fastrand::u128(..).to_le_bytes();
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The current time as WARC writes it (`2026-12-03T10:00:00Z`).
fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_ids_have_their_shape() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_425), (2025, 12, 3));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        let id = new_record_id();
        assert_eq!(id.len(), "<urn:uuid:>".len() + 36, "{id}");
        assert_eq!(&id[24..25], "4", "{id}");
        assert_ne!(id, new_record_id());
    }
}
