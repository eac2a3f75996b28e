//! Configuration files, read only: INI (`.ini`) and Java properties (`.properties`).
//! One row a key.
//!
//! A configuration file is small, so it is read whole (`whole_text.rs`: at most
//! `max_record_bytes`, 64 MiB by default) and parsed at once; values are text.
//!
//! # INI
//!
//! Columns `section`, `key`, `value`. `[name]` starts a section (keys before the first
//! one have a null section); `key = value` and `key: value` set a key (both sides
//! trimmed; a value in double quotes loses them); lines starting with `;` or `#` are
//! comments; blank lines are skipped. Nothing after a value is taken as a comment. A
//! line of another shape is an error naming the line and byte.
//!
//! # Properties
//!
//! Columns `key`, `value`, as `java.util.Properties` reads them: the key ends at the
//! first unescaped `=`, `:` or white space; a line ending in an odd number of
//! backslashes continues on the next (whose leading white space is dropped); `#` and
//! `!` start comments; `\t`, `\n`, `\r`, `\f`, `\uXXXX` and `\`+any character are
//! decoded. Files are read as UTF-8 (as Java 9 and later do); another encoding is
//! detected or given with `encoding`.

use std::sync::Arc;

use iterable_core::{BoxIterable, Format, Header, Result, Row, Value};
use tokio::io::AsyncBufRead;

use crate::ReadContext;
use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec};
use crate::whole_text::{Bad, bad_place, read_whole_text};

/// INI's format name.
pub const INI_FORMAT: Format = Format::new("ini");
/// Java properties' format name.
pub const PROPERTIES_FORMAT: Format = Format::new("properties");

const READ_ONLY: Capabilities = Capabilities {
    write: false,
    record_boundaries: false,
    marks_end: false,
    ..Capabilities::TEXT
};

/// The registry's description of INI files.
pub static INI: FormatSpec = FormatSpec {
    capabilities: READ_ONLY,
    read_options: &[&opt::MAX_RECORD_BYTES, &opt::ENCODING],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_reader(r, ctx, parse_ini))),
        ..Builders::NONE
    }),
    ..FormatSpec::new(INI_FORMAT, "INI files: one row a key (read only)", &["ini"])
};

/// The registry's description of Java properties files.
pub static PROPERTIES: FormatSpec = FormatSpec {
    capabilities: READ_ONLY,
    read_options: &[&opt::MAX_RECORD_BYTES, &opt::ENCODING],
    builders: Some(Builders {
        reader: Some(|r, ctx| Box::pin(open_reader(r, ctx, parse_properties))),
        ..Builders::NONE
    }),
    ..FormatSpec::new(
        PROPERTIES_FORMAT,
        "Java properties: one row a key (read only)",
        &["properties"],
    )
};

async fn open_reader<R>(
    reader: R,
    ctx: ReadContext,
    parse: fn(&str) -> std::result::Result<Vec<Row>, Bad>,
) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let text = read_whole_text(reader, &ctx).await?;
    let rows = parse(&text).map_err(|bad| bad_place(&ctx.info.location, bad))?;
    Ok(crate::in_memory::rows_iterable(
        ctx,
        rows.into_iter().map(Ok),
    ))
}

/// Each line of `text` with its number and byte offset, without its line end.
fn lines(text: &str) -> impl Iterator<Item = (u64, u64, &str)> {
    let mut offset = 0u64;
    text.split_inclusive('\n').enumerate().map(move |(i, raw)| {
        let at = offset;
        offset += raw.len() as u64;
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        (i as u64 + 1, at, line.strip_suffix('\r').unwrap_or(line))
    })
}

fn parse_ini(text: &str) -> std::result::Result<Vec<Row>, Bad> {
    let header = Arc::new(Header::new(vec![
        "section".into(),
        "key".into(),
        "value".into(),
    ]));
    let mut section = Value::Null;
    let mut rows = Vec::new();
    for (number, at, line) in lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            let Some(name) = name.strip_suffix(']') else {
                return Err((number, at, format!("the section {line:?} has no closing ]")));
            };
            section = Value::from(name.trim());
            continue;
        }
        let Some(split) = line.find(['=', ':']) else {
            return Err((
                number,
                at,
                format!("{line:?} is neither a [section] nor key = value"),
            ));
        };
        let key = line[..split].trim();
        if key.is_empty() {
            return Err((number, at, format!("{line:?} has an empty key")));
        }
        let value = line[split + 1..].trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        rows.push(Row::from_parts(
            header.clone(),
            vec![section.clone(), Value::from(key), Value::from(value)],
        ));
    }
    Ok(rows)
}

/// Whether `line` ends in an odd number of backslashes (it continues).
fn continues(line: &str) -> bool {
    line.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Decodes the escapes of a properties key or value.
fn unescape(text: &str, number: u64, at: u64) -> std::result::Result<String, Bad> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let c = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .and_then(char::from_u32)
                    .ok_or_else(|| (number, at, format!("\\u{hex} is not a \\uXXXX escape")))?;
                out.push(c);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

fn parse_properties(text: &str) -> std::result::Result<Vec<Row>, Bad> {
    let header = Arc::new(Header::new(vec!["key".into(), "value".into()]));
    let mut rows = Vec::new();
    let mut logical = String::new();
    let mut start: Option<(u64, u64)> = None;
    let mut all = lines(text).peekable();
    while let Some((number, at, line)) = all.next() {
        let piece = if start.is_some() {
            line.trim_start()
        } else {
            line
        };
        if start.is_none() {
            let t = piece.trim_start();
            if t.is_empty() || t.starts_with('#') || t.starts_with('!') {
                continue;
            }
        }
        let (number, at) = *start.get_or_insert((number, at));
        if continues(piece) && all.peek().is_some() {
            logical.push_str(&piece[..piece.len() - 1]);
            continue;
        }
        logical.push_str(if continues(piece) {
            &piece[..piece.len() - 1]
        } else {
            piece
        });
        let entry = std::mem::take(&mut logical);
        start = None;
        let entry = entry.trim_start();
        // The key ends at the first unescaped separator.
        let bytes = entry.as_bytes();
        let mut end = bytes.len();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 1,
                b'=' | b':' | b' ' | b'\t' | b'\x0c' => {
                    end = i;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let key = unescape(&entry[..end], number, at)?;
        let mut rest = entry[end.min(entry.len())..].trim_start_matches([' ', '\t', '\x0c']);
        if let Some(r) = rest.strip_prefix(['=', ':']) {
            rest = r.trim_start_matches([' ', '\t', '\x0c']);
        }
        let value = unescape(rest, number, at)?;
        rows.push(Row::from_parts(
            header.clone(),
            vec![Value::from(key), Value::from(value)],
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use iterable_core::row;

    #[test]
    fn ini_keys_with_their_sections() {
        let rows =
            parse_ini("top = 1\n; note\n[db]\nhost: example.org\nname = \"main db\"\n\n[empty]\n")
                .unwrap();
        assert_eq!(
            rows,
            [
                row! { "section" => Value::Null, "key" => "top", "value" => "1" },
                row! { "section" => "db", "key" => "host", "value" => "example.org" },
                row! { "section" => "db", "key" => "name", "value" => "main db" },
            ]
        );
        let err = parse_ini("a = 1\njust words\n").unwrap_err();
        assert_eq!((err.0, err.1), (2, 6));
    }

    #[test]
    fn properties_as_java_reads_them() {
        let text = "# c\n! c\nkey1=value\nkey2 : v2\nkey3 v3\nlong = one, \\\n    two\npath=c:\\\\dir\nuni=caf\\u00e9\\tx\nempty\nsp\\ ace=1\n";
        let rows = parse_properties(text).unwrap();
        let pairs: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r["key"].to_string(), r["value"].to_string()))
            .collect();
        let want = [
            ("key1", "value"),
            ("key2", "v2"),
            ("key3", "v3"),
            ("long", "one, two"),
            ("path", "c:\\dir"),
            ("uni", "café\tx"),
            ("empty", ""),
            ("sp ace", "1"),
        ];
        assert_eq!(
            pairs,
            want.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        );
        let err = parse_properties("a=1\nb=\\u12\n").unwrap_err();
        assert_eq!(err.0, 2);
    }
}
