//! LTSV, Labeled Tab-separated Values (`.ltsv`): one record a line, fields separated
//! by tabs, each field `label:value`.
//!
//! # Reading
//!
//! Natively async over the bytes, on the shared line reader (`line_records.rs`): a
//! field's label is everything before its first `:` (the value may hold more); the
//! row's columns are the labels in line order, and every value is text. Rows share
//! one header while the labels stay the same. A field without `:`, an empty label or
//! a label that appears twice in one line is a bad record: the error policy applies
//! (skip and dead-letter go on with the next line), and the error names the line, the
//! record and its byte offset. Empty fields (two tabs) and blank lines are skipped; a
//! line longer than `max_record_bytes` is a bad record.
//!
//! # Writing
//!
//! `label:value` joined by tabs, one row a line, in the row's column order. Values are
//! written as text (null as an empty value). A label with `:`, a tab or a line end, or
//! a value with a tab or a line end, cannot be written in LTSV: it is an error naming
//! the row and the key, never silently changed.

use std::sync::Arc;

use iterable_core::{BoxIterable, Format, Header, Result, Row, Text, Value};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::line_records::{LineParser, LineRecords};
use crate::record_writer::{RecordEncoder, RecordWriter};
use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};
use crate::{ReadContext, WriteContext};

/// LTSV's format name.
pub const LTSV_FORMAT: Format = Format::new("ltsv");

/// The registry's description of LTSV.
pub static LTSV: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: looks_like_ltsv,
    }),
    capabilities: Capabilities::TEXT,
    read_options: &[&opt::MAX_RECORD_BYTES, &opt::ENCODING],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_reader(r, ctx))),
        writer: Some(|w, ctx| Box::pin(open_writer(w, ctx))),
        ..Builders::NONE
    }),
    ..FormatSpec::new(
        LTSV_FORMAT,
        "Labeled Tab-separated Values: label:value fields",
        &["ltsv"],
    )
};

/// Opens an LTSV reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    Ok(Box::new(LineRecords::new(
        reader,
        LtsvParser::default(),
        ctx,
    )))
}

/// Opens an LTSV writer over `writer`; `aclose` flushes and shuts it down.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    Ok(Box::new(RecordWriter::new(
        writer,
        LtsvEncoder::default(),
        ctx,
    )))
}

/// Whether every complete line of the sample (at least one, at most 10) is made of
/// `label:value` fields with plain labels (letters, digits, `_`, `.`, `-`), and some
/// line has a tab or every line has the same one label.
fn looks_like_ltsv(head: &[u8]) -> bool {
    let Some(text) = crate::registry::text_start(head) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(
        &text[..text
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(text.len(), |i| i + 1)],
    ) else {
        return false;
    };
    let mut lines = 0;
    let mut tabs = false;
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(10) {
        for field in line
            .trim_end_matches('\r')
            .split('\t')
            .filter(|f| !f.is_empty())
        {
            let Some((label, _)) = field.split_once(':') else {
                return false;
            };
            if label.is_empty()
                || !label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            {
                return false;
            }
        }
        tabs |= line.contains('\t');
        lines += 1;
    }
    lines > 0 && tabs
}

/// Parses lines into rows, sharing the header while the labels stay the same.
#[derive(Default)]
struct LtsvParser {
    header: Option<Arc<Header>>,
    labels: Vec<String>,
}

impl LineParser for LtsvParser {
    fn parse(&mut self, line: &str) -> std::result::Result<Row, String> {
        self.labels.clear();
        let mut values = Vec::new();
        for (i, field) in line.split('\t').enumerate() {
            if field.is_empty() {
                continue;
            }
            let Some((label, value)) = field.split_once(':') else {
                return Err(format!("field {} has no label (no ':'): {field:?}", i + 1));
            };
            if label.is_empty() {
                return Err(format!("field {} has an empty label", i + 1));
            }
            if self.labels.iter().any(|l| l == label) {
                return Err(format!("label {label:?} appears twice in the record"));
            }
            self.labels.push(label.to_owned());
            values.push(Value::String(Text::from(value)));
        }
        let header = match &self.header {
            Some(h) if h.names() == self.labels.as_slice() => h.clone(),
            _ => {
                let h = Arc::new(Header::new(self.labels.clone()));
                self.header = Some(h.clone());
                h
            }
        };
        Ok(Row::from_parts(header, values))
    }
}

/// Writes rows as LTSV lines.
#[derive(Default)]
struct LtsvEncoder {
    scratch: String,
}

impl RecordEncoder for LtsvEncoder {
    fn encode(&mut self, row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        for (i, (key, value)) in row.iter().enumerate() {
            if key.is_empty() || key.contains([':', '\t', '\n', '\r']) {
                return Err(format!(
                    "key {key:?} cannot be an LTSV label (empty, or holds ':', a tab or a line end)"
                ));
            }
            self.scratch.clear();
            value.write_text(&mut self.scratch);
            if self.scratch.contains(['\t', '\n', '\r']) {
                return Err(format!(
                    "the value of {key:?} holds a tab or a line end, which LTSV cannot hold"
                ));
            }
            if i > 0 {
                out.push(b'\t');
            }
            out.extend_from_slice(key.as_bytes());
            out.push(b':');
            out.extend_from_slice(self.scratch.as_bytes());
        }
        out.push(b'\n');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_labelled_fields() {
        assert!(looks_like_ltsv(b"id:1\tname:Alice\nid:2\tname:Bob\n"));
        assert!(looks_like_ltsv(
            b"host:127.0.0.1\ttime:[10/Oct/2000:13:55:36]\treq:GET /"
        ));
        assert!(!looks_like_ltsv(b"id,name\n1,x\n"));
        assert!(!looks_like_ltsv(b"key: value\n"));
        assert!(
            !looks_like_ltsv(b"time:12\n"),
            "one column, no tab: CSV is likelier"
        );
    }

    #[test]
    fn values_may_hold_colons_and_bad_fields_are_errors() {
        let mut p = LtsvParser::default();
        let row = p.parse("time:10:55:36\turl:http://x/").unwrap();
        assert_eq!(row["time"], Value::from("10:55:36"));
        assert_eq!(row["url"], Value::from("http://x/"));
        assert!(
            p.parse("a:1\tb")
                .unwrap_err()
                .contains("field 2 has no label")
        );
        assert!(p.parse("a:1\ta:2").unwrap_err().contains("appears twice"));
        assert!(p.parse(":x").unwrap_err().contains("empty label"));
    }
}
