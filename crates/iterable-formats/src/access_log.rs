//! Web server access logs (`.log`): Apache's and Nginx's common and combined log
//! formats, one row a line; or any log, one row a line of text.
//!
//! # Reading
//!
//! Natively async on the shared line reader. `log_format` says how a line is read:
//!
//! - `combined`: `host ident user [time] "request" status bytes "referer" "agent"`;
//! - `common`: the same without the referer and agent;
//! - `lines`: no parsing: one column, `line`;
//! - `auto` (the default): the first line decides: `combined` when it parses as that,
//!   else `common` when it parses as that, else `lines`.
//!
//! Columns of the parsed formats: `remote_host`, `ident`, `user`, `time` (a timestamp
//! in UTC with the line's offset as its zone), `request` (the request line as
//! written), `method`, `path` and `protocol` (the request line's three parts, null
//! when it has not three), `status` and `bytes` (integers), and for combined
//! `referer` and `user_agent`. A `-` is null. A line that does not parse in the
//! chosen format (a field missing, text after the last one, a bad date) is a bad
//! record: the error policy applies and the error names the line and byte. Quoted
//! fields take `\"` and `\\` escapes, as Apache writes them.
//!
//! # Writing
//!
//! The same layout back, from the same columns (`combined` unless `log_format` says
//! `common`, `lines` writes the `line` column): a null or missing value is `-`,
//! `time` is written in its zone (`[10/Oct/2000:13:55:36 -0700]`), `request` is
//! written as it is (or made of `method`, `path` and `protocol` when missing), and
//! quotes and backslashes in quoted fields are escaped. A value holding a line end
//! cannot be written: an error naming the row.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use iterable_core::{BoxIterable, Format, Header, Result, Row, Timestamp, Value};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::line_records::{LineParser, LineRecords};
use crate::record_writer::{RecordEncoder, RecordWriter};
use crate::registry::options::{self as opt, OptionSpec};
use crate::registry::{Builders, Capabilities, FormatSpec, Values};
use crate::{ReadContext, WriteContext};

/// Access logs' format name.
pub const ACCESS_LOG_FORMAT: Format = Format::new("log");

/// `--log-format combined`.
pub static LOG_FORMAT: OptionSpec = OptionSpec::text(
    "log_format",
    "FORMAT",
    "logs: auto (default), combined, common or lines (one `line` column)",
);

/// The registry's description of access logs.
pub static ACCESS_LOG: FormatSpec = FormatSpec {
    aliases: &["access_log", "access-log", "accesslog"],
    capabilities: Capabilities {
        values: Values::Typed,
        nested: false,
        ..Capabilities::TEXT
    },
    read_options: &[&LOG_FORMAT, &opt::MAX_RECORD_BYTES, &opt::ENCODING],
    write_options: &[&LOG_FORMAT],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_reader(r, ctx))),
        writer: Some(|w, ctx| Box::pin(open_writer(w, ctx))),
        ..Builders::NONE
    }),
    sample_rows: Some(sample_rows),
    ..FormatSpec::new(
        ACCESS_LOG_FORMAT,
        "access logs (common, combined) or any log, one row a line",
        &["log"],
    )
};

/// How a line is read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Auto,
    Combined,
    Common,
    Lines,
}

fn layout(ctx_options: &iterable_core::Options) -> Result<Layout> {
    match ctx_options
        .format_options
        .get("log_format")
        .map(|s| s.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("auto") => Ok(Layout::Auto),
        Some("combined") => Ok(Layout::Combined),
        Some("common") => Ok(Layout::Common),
        Some("lines" | "line") => Ok(Layout::Lines),
        Some(other) => Err(iterable_core::Error::InvalidOption(format!(
            "log_format {other:?}: expected auto, combined, common or lines"
        ))),
    }
}

/// Opens an access log reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let parser = LogParser {
        layout: layout(&ctx.options)?,
        headers: [None, None, None],
    };
    Ok(Box::new(LineRecords::new(reader, parser, ctx)))
}

/// Opens an access log writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let layout = match layout(&ctx.options)? {
        Layout::Auto => Layout::Combined,
        other => other,
    };
    Ok(Box::new(RecordWriter::new(
        writer,
        LogEncoder { layout },
        ctx,
    )))
}

const COMMON: [&str; 10] = [
    "remote_host",
    "ident",
    "user",
    "time",
    "request",
    "method",
    "path",
    "protocol",
    "status",
    "bytes",
];

struct LogParser {
    layout: Layout,
    /// The headers of combined, common and lines rows, made once.
    headers: [Option<Arc<Header>>; 3],
}

impl LogParser {
    fn header(&mut self, layout: Layout) -> Arc<Header> {
        let (slot, names): (usize, Vec<&str>) = match layout {
            Layout::Combined => (
                0,
                COMMON
                    .iter()
                    .copied()
                    .chain(["referer", "user_agent"])
                    .collect(),
            ),
            Layout::Common => (1, COMMON.to_vec()),
            _ => (2, vec!["line"]),
        };
        self.headers[slot]
            .get_or_insert_with(|| {
                Arc::new(Header::new(names.into_iter().map(str::to_owned).collect()))
            })
            .clone()
    }
}

impl LineParser for LogParser {
    fn parse(&mut self, line: &str) -> std::result::Result<Row, String> {
        if self.layout == Layout::Auto {
            self.layout = if parse_fields(line, true).is_ok() {
                Layout::Combined
            } else if parse_fields(line, false).is_ok() {
                Layout::Common
            } else {
                Layout::Lines
            };
        }
        let layout = self.layout;
        let values = match layout {
            Layout::Lines => vec![Value::from(line)],
            _ => parse_fields(line, layout == Layout::Combined)?,
        };
        Ok(Row::from_parts(self.header(layout), values))
    }
}

/// The text of a field: a `-` is null.
fn text(field: &str) -> Value {
    if field == "-" {
        Value::Null
    } else {
        Value::from(field)
    }
}

/// A cursor over one line.
struct Fields<'a> {
    rest: &'a str,
}

impl<'a> Fields<'a> {
    fn space(&mut self) {
        self.rest = self.rest.trim_start_matches(' ');
    }

    /// A field up to the next space.
    fn bare(&mut self, what: &str) -> std::result::Result<&'a str, String> {
        self.space();
        let end = self.rest.find(' ').unwrap_or(self.rest.len());
        if end == 0 {
            return Err(format!("no {what}"));
        }
        let (field, rest) = self.rest.split_at(end);
        self.rest = rest;
        Ok(field)
    }

    /// A field between `open` and `close`, with `\"` and `\\` escapes when quoted.
    fn enclosed(
        &mut self,
        open: char,
        close: char,
        what: &str,
    ) -> std::result::Result<String, String> {
        self.space();
        let Some(body) = self.rest.strip_prefix(open) else {
            return Err(format!("no {what} (expected {open})"));
        };
        let mut out = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' if close == '"' => match chars.next() {
                    Some((_, e)) => out.push(e),
                    None => break,
                },
                c if c == close => {
                    self.rest = &body[i + c.len_utf8()..];
                    return Ok(out);
                }
                c => out.push(c),
            }
        }
        Err(format!("the {what} has no closing {close}"))
    }
}

fn parse_fields(line: &str, combined: bool) -> std::result::Result<Vec<Value>, String> {
    let mut f = Fields { rest: line };
    let host = f.bare("remote host")?;
    let ident = f.bare("ident")?;
    let user = f.bare("user")?;
    let time = f.enclosed('[', ']', "time")?;
    let time = DateTime::parse_from_str(&time, "%d/%b/%Y:%H:%M:%S %z")
        .map_err(|e| format!("the time [{time}] is not dd/Mon/yyyy:hh:mm:ss +zzzz: {e}"))?;
    let request = f.enclosed('"', '"', "request")?;
    let status = f.bare("status")?;
    let status: i64 = status
        .parse()
        .map_err(|_| format!("the status {status:?} is not a number"))?;
    let bytes = f.bare("bytes")?;
    let bytes = match bytes {
        "-" => Value::Null,
        b => Value::Int(
            b.parse()
                .map_err(|_| format!("the size {b:?} is not a number"))?,
        ),
    };
    let parts: Vec<&str> = request.split(' ').collect();
    let (method, path, protocol) = match parts[..] {
        [m, p, v] => (Value::from(m), Value::from(p), Value::from(v)),
        _ => (Value::Null, Value::Null, Value::Null),
    };
    let mut values = vec![
        text(host),
        text(ident),
        text(user),
        timestamp(time),
        if request == "-" {
            Value::Null
        } else {
            Value::from(request.as_str())
        },
        method,
        path,
        protocol,
        Value::Int(status),
        bytes,
    ];
    if combined {
        let referer = f.enclosed('"', '"', "referer")?;
        let agent = f.enclosed('"', '"', "user agent")?;
        values.push(text(&referer));
        values.push(text(&agent));
    }
    f.space();
    if !f.rest.is_empty() {
        return Err(format!(
            "text after the last field of the {} format: {:?}",
            if combined { "combined" } else { "common" },
            f.rest.chars().take(40).collect::<String>()
        ));
    }
    Ok(values)
}

fn timestamp(time: DateTime<FixedOffset>) -> Value {
    Value::Timestamp(Timestamp {
        datetime: time.naive_utc(),
        tz: Some(Arc::from(time.offset().to_string())),
    })
}

struct LogEncoder {
    layout: Layout,
}

/// A value as log text: `-` for null.
fn field(row: &Row, name: &str) -> std::result::Result<String, String> {
    let text = match row.get(name) {
        None | Some(Value::Null) => return Ok("-".to_owned()),
        Some(v) => v.to_string(),
    };
    if text.contains(['\r', '\n']) {
        return Err(format!("{name} holds a line end, which a log line cannot"));
    }
    Ok(if text.is_empty() {
        "-".to_owned()
    } else {
        text
    })
}

fn quoted(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push(b'\\');
        }
        let mut b = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
    }
    out.push(b'"');
}

fn log_time(row: &Row) -> std::result::Result<String, String> {
    match row.get("time") {
        None | Some(Value::Null) => Ok("-".to_owned()),
        Some(Value::Timestamp(t)) => {
            let offset =
                t.tz.as_deref()
                    .and_then(|z| {
                        if z == "UTC" {
                            Some(FixedOffset::east_opt(0)?)
                        } else {
                            z.parse().ok()
                        }
                    })
                    .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero is an offset"));
            let local: NaiveDateTime = t.datetime + offset;
            Ok(format!(
                "{} {}",
                local.format("%d/%b/%Y:%H:%M:%S"),
                offset_text(offset)
            ))
        }
        Some(other) => field(row, "time").map(|_| other.to_string()),
    }
}

fn offset_text(offset: FixedOffset) -> String {
    let secs = offset.local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.unsigned_abs() / 60;
    format!("{sign}{:02}{:02}", m / 60, m % 60)
}

impl RecordEncoder for LogEncoder {
    fn encode(&mut self, row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        if self.layout == Layout::Lines {
            out.extend_from_slice(field(row, "line")?.as_bytes());
            out.push(b'\n');
            return Ok(());
        }
        let request = match row.get("request") {
            Some(v) if !v.is_null() => field(row, "request")?,
            _ => {
                let parts = [
                    field(row, "method")?,
                    field(row, "path")?,
                    field(row, "protocol")?,
                ];
                if parts.iter().all(|p| p == "-") {
                    "-".to_owned()
                } else {
                    parts.join(" ")
                }
            }
        };
        let line = format!(
            "{} {} {} [{}] ",
            field(row, "remote_host")?,
            field(row, "ident")?,
            field(row, "user")?,
            log_time(row)?
        );
        out.extend_from_slice(line.as_bytes());
        quoted(out, &request);
        out.extend_from_slice(
            format!(" {} {}", field(row, "status")?, field(row, "bytes")?).as_bytes(),
        );
        if self.layout == Layout::Combined {
            out.push(b' ');
            quoted(out, &field(row, "referer")?);
            out.push(b' ');
            quoted(out, &field(row, "user_agent")?);
        }
        out.push(b'\n');
        Ok(())
    }
}

/// Three combined lines as the reader gives them.
fn sample_rows() -> Vec<Row> {
    let line = |l: &str| {
        let mut p = LogParser {
            layout: Layout::Combined,
            headers: [None, None, None],
        };
        p.parse(l).expect("a combined line")
    };
    vec![
        line(
            r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
        ),
        line(
            r#"::1 - - [03/Dec/2026:10:00:00 +0000] "POST /api?q=\"x\" HTTP/1.1" 404 - "-" "curl/8.5""#,
        ),
        line(r#"10.0.0.2 - - [03/Dec/2026:10:00:01 +0530] "-" 400 0 "-" "-""#),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_combined_line_has_typed_fields() {
        let rows = sample_rows();
        let r = &rows[0];
        assert_eq!(r["remote_host"], Value::from("127.0.0.1"));
        assert_eq!(r["ident"], Value::Null);
        assert_eq!(r["method"], Value::from("GET"));
        assert_eq!(r["status"], Value::Int(200));
        assert_eq!(r["bytes"], Value::Int(2326));
        let Value::Timestamp(t) = &r["time"] else {
            panic!()
        };
        assert_eq!(t.datetime.to_string(), "2000-10-10 20:55:36");
        assert_eq!(t.tz.as_deref(), Some("-07:00"));
        assert_eq!(rows[1]["path"], Value::from("/api?q=\"x\""));
        assert_eq!(rows[1]["bytes"], Value::Null);
        assert_eq!(rows[2]["request"], Value::Null);
    }

    #[test]
    fn written_lines_are_the_lines_read() {
        let mut enc = LogEncoder {
            layout: Layout::Combined,
        };
        let mut out = Vec::new();
        enc.encode(&sample_rows()[0], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326 \"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\"\n"
        );
    }
}
