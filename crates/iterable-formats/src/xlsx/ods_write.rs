//! The OpenDocument spreadsheet writer. The rows' cells are written as
//! `content.xml` markup to an anonymous temporary file as they come; on `aclose`,
//! when every column is known, the document is put together (the `mimetype` member
//! first and stored, as ODF asks; the manifest; `content.xml` with the header row,
//! then the spooled rows) in a second temporary file and copied to the output. Memory
//! stays flat whatever the row count.

use std::collections::HashMap;
use std::io::{BufWriter, Seek, Write};

use iterable_core::{BoxIterable, Error, Result, Row, Value};
use tokio::io::AsyncWrite;
use zip::write::SimpleFileOptions;

use super::imp::{EXACT_IN_FLOAT, check_row_count, sheet_to_write};
use crate::WriteContext;
use crate::blocking::{bridge_writer, write_error};
use crate::blocking_bridge::{RowWriter, SyncOutput};

const MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"#;

/// The start of `content.xml` up to the table: namespaces, and the cell styles of
/// dates (`date`) and date-times (`datetime`).
const CONTENT_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" office:version="1.3"><office:automatic-styles><number:date-style style:name="N1"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style><number:date-style style:name="N2"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/><number:text>:</number:text><number:seconds number:style="long"/></number:date-style><style:style style:name="date" style:family="table-cell" style:data-style-name="N1"/><style:style style:name="datetime" style:family="table-cell" style:data-style-name="N2"/></office:automatic-styles><office:body><office:spreadsheet>"#;

const CONTENT_TAIL: &str =
    "</table:table></office:spreadsheet></office:body></office:document-content>\n";

/// Opens an ODS writer over `writer` (option: the sheet's name, default `Sheet1`).
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let location = ctx.info.location.clone();
    let sheet = sheet_to_write(&ctx);
    if sheet.is_empty() || sheet.contains(['[', ']', '*', '?', ':', '/', '\\']) {
        return Err(Error::InvalidOption(format!(
            "sheet name {sheet:?}: a sheet's name is not empty and has none of []*?:/\\"
        )));
    }
    let spool = tempfile::tempfile().map_err(|e| Error::io(&location, e))?;
    Ok(bridge_writer(writer, ctx, move |out| {
        Ok(OdsWriter {
            out,
            location,
            sheet,
            columns: HashMap::new(),
            names: Vec::new(),
            rows: BufWriter::new(spool),
            cells: Vec::new(),
            markup: String::new(),
        })
    }))
}

struct OdsWriter {
    out: SyncOutput,
    location: String,
    sheet: String,
    columns: HashMap<String, usize>,
    /// The column names, in the order they came.
    names: Vec<String>,
    /// The rows' markup so far.
    rows: BufWriter<std::fs::File>,
    /// A row's values by column (reused).
    cells: Vec<Option<Value>>,
    /// A row's markup (reused).
    markup: String,
}

impl RowWriter for OdsWriter {
    fn write_row(&mut self, row: &Row, number: u64) -> Result<()> {
        check_row_count(&self.location, number)?;
        self.cells.clear();
        for (key, value) in row.iter() {
            let column = *self.columns.entry(key.to_owned()).or_insert_with(|| {
                self.names.push(key.to_owned());
                self.names.len() - 1
            });
            if self.cells.len() <= column {
                self.cells.resize(column + 1, None);
            }
            self.cells[column] = Some(value.clone());
        }
        self.markup.clear();
        self.markup.push_str("<table:table-row>");
        for (column, value) in self.cells.iter().enumerate() {
            cell(value.as_ref().unwrap_or(&Value::Null), &mut self.markup).map_err(|m| {
                write_error(
                    &self.location,
                    number,
                    format!("column {:?}: {m}", self.names[column]),
                )
            })?;
        }
        self.markup.push_str("</table:table-row>");
        self.rows
            .write_all(self.markup.as_bytes())
            .map_err(|e| Error::io(&self.location, e))
    }

    fn finish(self) -> Result<SyncOutput> {
        let Self {
            mut out,
            location,
            sheet,
            names,
            rows,
            ..
        } = self;
        let io = |e: std::io::Error| Error::io(&location, e);
        let zip_error = |e: zip::result::ZipError| io(std::io::Error::other(e.to_string()));
        let mut rows = rows.into_inner().map_err(|e| io(e.into_error()))?;
        rows.rewind().map_err(io)?;

        let document = tempfile::tempfile().map_err(io)?;
        let mut zip = zip::ZipWriter::new(BufWriter::new(document));
        let stored =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let deflated =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("mimetype", stored).map_err(zip_error)?;
        zip.write_all(MIMETYPE.as_bytes()).map_err(io)?;
        zip.start_file("META-INF/manifest.xml", deflated)
            .map_err(zip_error)?;
        zip.write_all(MANIFEST.as_bytes()).map_err(io)?;
        zip.start_file("content.xml", deflated).map_err(zip_error)?;
        let mut head = String::from(CONTENT_HEAD);
        head.push_str("<table:table table:name=\"");
        escape_into(&sheet, &mut head);
        head.push_str("\">");
        if !names.is_empty() {
            head.push_str("<table:table-row>");
            for name in &names {
                cell(&Value::from(name.as_str()), &mut head)
                    .map_err(|m| write_error(&location, 0, format!("column name {name:?}: {m}")))?;
            }
            head.push_str("</table:table-row>");
        }
        zip.write_all(head.as_bytes()).map_err(io)?;
        std::io::copy(&mut rows, &mut zip).map_err(io)?;
        zip.write_all(CONTENT_TAIL.as_bytes()).map_err(io)?;
        let mut document = zip
            .finish()
            .map_err(zip_error)?
            .into_inner()
            .map_err(|e| io(e.into_error()))?;
        document.rewind().map_err(io)?;
        std::io::copy(&mut document, &mut out).map_err(io)?;
        Ok(out)
    }
}

/// Appends the markup of a cell holding `value`: numbers, booleans, dates and
/// date-times typed (an integer past 2^53 and every other value as text, as the XLSX
/// writer does); null an empty cell.
fn cell(value: &Value, out: &mut String) -> std::result::Result<(), String> {
    use std::fmt::Write as _;
    let typed = |out: &mut String, attributes: &str, text: &str| {
        let _ = write!(out, "<table:table-cell {attributes}><text:p>");
        escape_into(text, out);
        out.push_str("</text:p></table:table-cell>");
    };
    match value {
        Value::Null => out.push_str("<table:table-cell/>"),
        Value::Bool(b) => typed(
            out,
            &format!(r#"office:value-type="boolean" office:boolean-value="{b}""#),
            if *b { "TRUE" } else { "FALSE" },
        ),
        Value::Int(i) if i.unsigned_abs() <= EXACT_IN_FLOAT as u64 => typed(
            out,
            &format!(r#"office:value-type="float" office:value="{i}""#),
            &i.to_string(),
        ),
        Value::Float(f) if f.is_finite() => typed(
            out,
            &format!(r#"office:value-type="float" office:value="{f}""#),
            &f.to_string(),
        ),
        Value::Date(d) => typed(
            out,
            &format!(r#"office:value-type="date" office:date-value="{d}" table:style-name="date""#),
            &d.to_string(),
        ),
        Value::Timestamp(t) => {
            let at = t.datetime.format("%Y-%m-%dT%H:%M:%S%.f");
            typed(
                out,
                &format!(
                    r#"office:value-type="date" office:date-value="{at}" table:style-name="datetime""#
                ),
                &t.datetime.format("%Y-%m-%d %H:%M:%S").to_string(),
            )
        }
        other => {
            let text = match other {
                Value::String(s) => s.as_str().to_owned(),
                other => other.to_string(),
            };
            if let Some(c) = text.chars().find(|c| is_not_xml(*c)) {
                return Err(format!("{c:?} cannot be written in an XML document"));
            }
            out.push_str(r#"<table:table-cell office:value-type="string"><text:p>"#);
            paragraph_text(&text, out);
            out.push_str("</text:p></table:table-cell>");
        }
    }
    Ok(())
}

/// A character XML 1.0 does not allow.
fn is_not_xml(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0B' | '\x0C' | '\x0E'..='\x1F' | '\u{FFFE}' | '\u{FFFF}')
}

/// Text of a paragraph, kept exactly as ODF readers read it: a run of spaces after
/// its first (and a space at the start) as `<text:s/>`, tabs as `<text:tab/>`, line
/// ends as `<text:line-break/>`.
fn paragraph_text(text: &str, out: &mut String) {
    let mut spaces = 0usize;
    let mut at_start = true;
    let flush = |spaces: &mut usize, at_start: bool, out: &mut String| {
        if *spaces == 0 {
            return;
        }
        let mut extra = *spaces;
        if !at_start {
            out.push(' ');
            extra -= 1;
        }
        match extra {
            0 => {}
            1 => out.push_str("<text:s/>"),
            n => out.push_str(&format!(r#"<text:s text:c="{n}"/>"#)),
        }
        *spaces = 0;
    };
    let mut run_starts_paragraph = true;
    for c in text.chars() {
        if c == ' ' {
            if spaces == 0 {
                run_starts_paragraph = at_start;
            }
            spaces += 1;
            continue;
        }
        flush(&mut spaces, run_starts_paragraph, out);
        at_start = false;
        match c {
            '\t' => out.push_str("<text:tab/>"),
            '\n' => out.push_str("<text:line-break/>"),
            '\r' => out.push_str("&#13;"),
            c => escape_char(c, out),
        }
    }
    flush(&mut spaces, run_starts_paragraph, out);
}

fn escape_char(c: char, out: &mut String) {
    match c {
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        '"' => out.push_str("&quot;"),
        c => out.push(c),
    }
}

fn escape_into(text: &str, out: &mut String) {
    text.chars().for_each(|c| escape_char(c, out));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut out = String::new();
        paragraph_text(s, &mut out);
        out
    }

    #[test]
    fn spaces_tabs_and_line_ends_are_kept_as_odf_says() {
        assert_eq!(text("a b"), "a b");
        assert_eq!(text("a   b"), r#"a <text:s text:c="2"/>b"#);
        assert_eq!(text(" a"), "<text:s/>a");
        assert_eq!(text("a  "), "a <text:s/>");
        assert_eq!(
            text("x\ty\nz<&>"),
            "x<text:tab/>y<text:line-break/>z&lt;&amp;&gt;"
        );
    }

    #[test]
    fn cells_are_typed() {
        let mut out = String::new();
        cell(&Value::Int(3), &mut out).unwrap();
        assert!(
            out.contains(r#"office:value-type="float" office:value="3""#),
            "{out}"
        );
        out.clear();
        cell(&Value::Int(1 << 60), &mut out).unwrap();
        assert!(out.contains(r#"office:value-type="string""#), "{out}");
        assert!(cell(&Value::from("bell\u{7}"), &mut out).is_err());
    }
}
