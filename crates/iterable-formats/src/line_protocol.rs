//! InfluxDB line protocol (`.lp`, `.ilp`): one point a line,
//! `measurement,tag=v field=v,field=v timestamp`.
//!
//! # Reading
//!
//! Natively async on the shared line reader. One row a point: `measurement`, each tag
//! as a text column, each field as a column of its type (`1i` and `1u` integers,
//! `1.5` and `1` floats, `t`/`true`/`F`/... booleans, `"..."` text), then `time` (a
//! UTC timestamp from the nanoseconds since the epoch; absent when the line has
//! none). Backslash escapes (`\,` `\=` `\ ` and in strings `\"` `\\`) are decoded.
//! Lines starting with `#` are comments. A line without a field, with a tag or field
//! named twice, a bad value or a bad timestamp is a bad record (the error policy
//! applies; the error names the line and byte).
//!
//! # Writing
//!
//! Each row a point: `measurement` (required), the columns named by the `tags` option
//! (comma separated; none by default) as tags, every other column but `time` as a
//! field: integers with `i`, floats as the shortest text that reads back the same,
//! booleans, text quoted; a null is left out. `time` (a timestamp, or integer
//! nanoseconds) ends the line. A row without measurement or without any field, a
//! NaN or infinite float, or a value with a line end cannot be written: an error
//! naming the row.

use std::sync::Arc;

use iterable_core::{BoxIterable, Format, Header, Result, Row, Timestamp, Value};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::line_records::{LineParser, LineRecords};
use crate::record_writer::{RecordEncoder, RecordWriter};
use crate::registry::options::{self as opt, OptionSpec};
use crate::registry::{Builders, Capabilities, FormatSpec, Values};
use crate::{ReadContext, WriteContext};

/// The line protocol's format name.
pub const LINE_PROTOCOL_FORMAT: Format = Format::new("lp");

/// `--tags host,region`.
pub static TAGS: OptionSpec = OptionSpec::text(
    "tags",
    "A,B",
    "line protocol: the columns written as tags (the others are fields)",
);

/// The registry's description of the line protocol.
pub static LINE_PROTOCOL: FormatSpec = FormatSpec {
    aliases: &["ilp", "influx", "line_protocol", "line-protocol"],
    capabilities: Capabilities {
        values: Values::Typed,
        nulls: false,
        nested: false,
        ..Capabilities::TEXT
    },
    read_options: &[&opt::MAX_RECORD_BYTES],
    write_options: &[&TAGS],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_reader(r, ctx))),
        writer: Some(|w, ctx| Box::pin(open_writer(w, ctx))),
        ..Builders::NONE
    }),
    sample_rows: Some(sample_rows),
    ..FormatSpec::new(
        LINE_PROTOCOL_FORMAT,
        "InfluxDB line protocol: one point a line",
        &["lp", "ilp"],
    )
};

/// Opens a line protocol reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    Ok(Box::new(LineRecords::new(
        reader,
        PointParser::default(),
        ctx,
    )))
}

/// Opens a line protocol writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let tags = ctx
        .options
        .format_options
        .get("tags")
        .map(|t| {
            t.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(Box::new(RecordWriter::new(
        writer,
        PointEncoder { tags },
        ctx,
    )))
}

#[derive(Default)]
struct PointParser {
    header: Option<Arc<Header>>,
}

/// Splits `text` at the first `sep` that is not escaped (outside quotes when
/// `quotes`), returning the part before and the rest after it.
fn split_unescaped(text: &str, sep: u8, quotes: bool) -> (&str, Option<&str>) {
    let bytes = text.as_bytes();
    let (mut i, mut quoted) = (0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' if quotes => quoted = !quoted,
            b if b == sep && !quoted => return (&text[..i], Some(&text[i + 1..])),
            _ => {}
        }
        i += 1;
    }
    (text, None)
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(e @ (',' | '=' | ' ' | '"' | '\\')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The comma-separated `key=value` pairs of `text`.
fn pairs(text: &str, quotes: bool) -> std::result::Result<Vec<(String, &str)>, String> {
    let mut out = Vec::new();
    let mut rest = Some(text);
    while let Some(part) = rest {
        let (pair, next) = split_unescaped(part, b',', quotes);
        rest = next;
        let (key, value) = split_unescaped(pair, b'=', false);
        let Some(value) = value else {
            return Err(format!("{pair:?} is not key=value"));
        };
        if key.is_empty() {
            return Err(format!("{pair:?} has an empty key"));
        }
        out.push((unescape(key), value));
    }
    Ok(out)
}

fn field_value(text: &str) -> std::result::Result<Value, String> {
    if let Some(body) = text.strip_prefix('"') {
        let Some(body) = body.strip_suffix('"') else {
            return Err(format!("the string {text:?} has no closing quote"));
        };
        return Ok(Value::from(unescape(body)));
    }
    match text {
        "t" | "T" | "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "f" | "F" | "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let bad = || format!("{text:?} is not a field value");
    if let Some(int) = text.strip_suffix('i') {
        return int.parse::<i64>().map(Value::Int).map_err(|_| bad());
    }
    if let Some(uint) = text.strip_suffix('u') {
        let u: u64 = uint.parse().map_err(|_| bad())?;
        return Ok(i64::try_from(u).map_or_else(|_| Value::Float(u as f64), Value::Int));
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Value::Float)
        .ok_or_else(bad)
}

fn time_of(nanos: &str) -> std::result::Result<Value, String> {
    let n: i64 = nanos
        .parse()
        .map_err(|_| format!("the timestamp {nanos:?} is not integer nanoseconds"))?;
    let datetime = chrono::DateTime::from_timestamp_nanos(n).naive_utc();
    Ok(Value::Timestamp(Timestamp {
        datetime,
        tz: Some(Arc::from("UTC")),
    }))
}

impl LineParser for PointParser {
    fn parse(&mut self, line: &str) -> std::result::Result<Row, String> {
        unreachable!("parse_line reads every line: {line}")
    }

    fn parse_line(&mut self, line: &str) -> std::result::Result<Option<Row>, String> {
        let line = line.trim_start();
        if line.starts_with('#') {
            return Ok(None);
        }
        let (series, rest) = split_unescaped(line, b' ', false);
        let Some(rest) = rest else {
            return Err("a point without fields".to_owned());
        };
        let (fields, time) = split_unescaped(rest.trim_start(), b' ', true);
        let (measurement, tags) = split_unescaped(series, b',', false);
        if measurement.is_empty() {
            return Err("a point without a measurement".to_owned());
        }
        let mut names = vec!["measurement".to_owned()];
        let mut values = vec![Value::from(unescape(measurement))];
        if let Some(tags) = tags {
            for (key, value) in pairs(tags, false)? {
                names.push(key);
                values.push(Value::from(unescape(value)));
            }
        }
        if fields.is_empty() {
            return Err("a point without fields".to_owned());
        }
        for (key, value) in pairs(fields, true)? {
            values.push(field_value(value).map_err(|e| format!("field {key:?}: {e}"))?);
            names.push(key);
        }
        if let Some(time) = time.map(str::trim).filter(|t| !t.is_empty()) {
            names.push("time".to_owned());
            values.push(time_of(time)?);
        }
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(format!("{name:?} is named twice in the point"));
            }
        }
        let header = match &self.header {
            Some(h) if h.matches(&names) => h.clone(),
            _ => {
                let h = Arc::new(Header::new(names));
                self.header = Some(h.clone());
                h
            }
        };
        Ok(Some(Row::from_parts(header, values)))
    }
}

struct PointEncoder {
    tags: Vec<String>,
}

fn escape(out: &mut String, text: &str, specials: &[char]) -> std::result::Result<(), String> {
    for c in text.chars() {
        if matches!(c, '\n' | '\r') {
            return Err(format!("{text:?} holds a line end, which a point cannot"));
        }
        if specials.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(())
}

const KEY: &[char] = &[',', '=', ' '];

impl RecordEncoder for PointEncoder {
    fn encode(&mut self, row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        let mut line = String::new();
        match row.get("measurement") {
            Some(Value::Null) | None => return Err("a point needs a measurement".to_owned()),
            Some(m) => escape(&mut line, &m.to_string(), &[',', ' '])?,
        }
        for (name, value) in row.iter() {
            if self.tags.iter().any(|t| t == name) && !value.is_null() {
                line.push(',');
                escape(&mut line, name, KEY)?;
                line.push('=');
                escape(&mut line, &value.to_string(), KEY)?;
            }
        }
        let mut first = true;
        for (name, value) in row.iter() {
            if matches!(name, "measurement" | "time")
                || self.tags.iter().any(|t| t == name)
                || value.is_null()
            {
                continue;
            }
            line.push(if first { ' ' } else { ',' });
            first = false;
            escape(&mut line, name, KEY)?;
            line.push('=');
            match value {
                Value::Int(i) => line.push_str(&format!("{i}i")),
                Value::Float(f) if f.is_finite() => line.push_str(&format!("{f:?}")),
                Value::Float(f) => {
                    return Err(format!("field {name:?} is {f}, which a point cannot hold"));
                }
                Value::Bool(b) => line.push_str(if *b { "true" } else { "false" }),
                other => {
                    line.push('"');
                    escape(&mut line, &other.to_string(), &['"', '\\'])?;
                    line.push('"');
                }
            }
        }
        if first {
            return Err("a point needs a field".to_owned());
        }
        match row.get("time") {
            None | Some(Value::Null) => {}
            Some(Value::Timestamp(t)) => {
                let nanos = t.datetime.and_utc().timestamp_nanos_opt().ok_or_else(|| {
                    format!("the time {} is out of the nanosecond range", t.datetime)
                })?;
                line.push_str(&format!(" {nanos}"));
            }
            Some(Value::Int(n)) => line.push_str(&format!(" {n}")),
            Some(other) => return Err(format!("the time {other} is not a timestamp")),
        }
        line.push('\n');
        out.extend_from_slice(line.as_bytes());
        Ok(())
    }
}

/// Three points as the reader gives them.
fn sample_rows() -> Vec<Row> {
    let mut p = PointParser::default();
    [
        r#"weather,city=Z\ rich temp=21.5,ok=true,note="say \"hi\"" 1733220000000000000"#,
        "weather,city=Oslo temp=-3,count=7i 1733220001000000000",
        r#"cpu\,load,host=a\=b usage=0.25"#,
    ]
    .iter()
    .map(|l| p.parse_line(l).expect("a point").expect("not a comment"))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_have_their_tags_fields_and_time() {
        let rows = sample_rows();
        assert_eq!(rows[0]["city"], Value::from("Z rich"));
        assert_eq!(rows[0]["note"], Value::from("say \"hi\""));
        assert_eq!(rows[1]["temp"], Value::Float(-3.0));
        assert_eq!(rows[1]["count"], Value::Int(7));
        assert_eq!(rows[2]["measurement"], Value::from("cpu,load"));
        assert_eq!(rows[2]["host"], Value::from("a=b"));
        let Value::Timestamp(t) = &rows[0]["time"] else {
            panic!()
        };
        assert_eq!(t.datetime.to_string(), "2024-12-03 10:00:00");
    }

    #[test]
    fn tags_are_written_as_tags() {
        let mut enc = PointEncoder {
            tags: vec!["city".into()],
        };
        let mut out = Vec::new();
        enc.encode(&sample_rows()[0], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "weather,city=Z\\ rich temp=21.5,ok=true,note=\"say \\\"hi\\\"\" 1733220000000000000\n"
        );
    }
}
