//! The xml reader and writer, compiled with the `xml` feature (the format's description is in `mod.rs`).

use std::io::Write;
use std::sync::Arc;

use crate::blocking_bridge::{Metered, RecordMeter, RowSender, RowWriter, SyncInput, SyncOutput};
use iterable_core::MAX_NESTING_DEPTH;
use iterable_core::limits::record_too_large;
use iterable_core::{BoxIterable, Error, HeaderBuilder, Result, Row, Value};
use quick_xml::Reader;
use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::{BytesStart, Event};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::blocking::{bridge_producer, bridge_writer, record_error, write_error};
use crate::{ReadContext, WriteContext};

/// Opens an XML reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    open_reshaped_reader(reader, ctx, None).await
}

/// A step after a row element is read (KML: a Placemark into its row): the row, or
/// why the element cannot be one (an error naming the record, which ends the stream).
pub(crate) type Reshape = fn(Row) -> std::result::Result<Row, String>;

/// Opens an XML reader whose rows go through `reshape`, for formats built on XML.
pub(crate) async fn open_reshaped_reader<R>(
    reader: R,
    ctx: ReadContext,
    reshape: Option<Reshape>,
) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let tagname = ctx.options.xml.tagname.clone();
    let strip = ctx.options.xml.strip_namespaces;
    let max_record = ctx.options.limits.max_record_bytes;
    Ok(bridge_producer(reader, ctx, move |input, rows| {
        read_rows(input, rows, tagname.as_deref(), strip, max_record, reshape)
    }))
}

/// Opens an XML writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let location = ctx.info.location.clone();
    let root = ctx.options.xml.root.clone();
    let tag = ctx
        .options
        .xml
        .tagname
        .clone()
        .unwrap_or_else(|| "item".to_owned());
    for name in [&root, &tag] {
        if !is_xml_name(name) {
            return Err(Error::InvalidOption(format!(
                "{name:?} is not a valid XML element name"
            )));
        }
    }
    Ok(bridge_writer(writer, ctx, move |mut out| {
        write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root}>\n"
        )
        .map_err(|e| Error::io(&location, e))?;
        Ok(XmlWriter {
            out,
            location,
            root,
            tag,
            buf: String::new(),
        })
    }))
}

/// An element being read: its attributes (as `@name`) and then its child elements,
/// one column each (a repeated child becomes a list), and its text.
struct Frame {
    name: String,
    keys: HeaderBuilder,
    values: Vec<Value>,
    text: String,
}

impl Frame {
    fn add_child(&mut self, name: String, value: Value) {
        match self.keys.add(name.into()) {
            Some(at) => match &mut self.values[at] {
                Value::List(items) => items.push(value),
                existing => {
                    let first = std::mem::take(existing);
                    *existing = Value::List(vec![first, value]);
                }
            },
            None => self.values.push(value),
        }
    }

    fn into_row(mut self) -> Row {
        let text = self.text.trim();
        if !text.is_empty() {
            // `#` starts no element or attribute name: the column is new.
            self.keys.add("#text".into());
            self.values.push(Value::from(text));
        }
        Row::from_parts(Arc::new(self.keys.into_header()), self.values)
    }

    fn into_value(self) -> Value {
        if self.keys.is_empty() {
            let text = self.text.trim();
            return if text.is_empty() {
                Value::Null
            } else {
                Value::from(text)
            };
        }
        Value::Map(self.into_row())
    }
}

struct Names {
    strip: bool,
}

impl Names {
    fn element(&self, e: &BytesStart<'_>) -> String {
        let name = if self.strip {
            e.local_name().into_inner()
        } else {
            e.name().into_inner()
        };
        String::from_utf8_lossy(name).into_owned()
    }

    /// A frame holding the element's attributes. A repeated attribute is malformed
    /// XML; with prefixes stripped, `a:x` and `b:x` are both `@x` and the last wins.
    fn frame(&self, e: &BytesStart<'_>) -> std::result::Result<Frame, String> {
        let mut keys = HeaderBuilder::new();
        let mut values = Vec::new();
        // The parser's own duplicate check scans every earlier attribute (quadratic in
        // their number); the key index below does it in constant time.
        for attr in e.attributes().with_checks(false) {
            let attr = attr.map_err(|e| format!("bad attribute: {e}"))?;
            let key = attr.key;
            if self.strip
                && (key.as_ref() == b"xmlns"
                    || key.prefix().is_some_and(|p| p.as_ref() == b"xmlns"))
            {
                continue;
            }
            let name = if self.strip {
                key.local_name().into_inner()
            } else {
                key.into_inner()
            };
            let value = attr
                .unescape_value()
                .map_err(|e| format!("bad attribute value: {e}"))?;
            let value = Value::String(value.into());
            let name = format!("@{}", String::from_utf8_lossy(name));
            match keys.position(&name) {
                None => {
                    keys.add(name.into());
                    values.push(value);
                }
                Some(at) if self.strip => values[at] = value,
                Some(_) => return Err(format!("attribute {:?} is repeated", &name[1..])),
            }
        }
        Ok(Frame {
            name: self.element(e),
            keys,
            values,
            text: String::new(),
        })
    }
}

fn read_rows(
    input: SyncInput,
    rows: &mut RowSender,
    tagname: Option<&str>,
    strip: bool,
    max_record: usize,
    reshape: Option<Reshape>,
) -> Result<()> {
    let location = input.location().to_owned();
    let names = Names { strip };
    // Counts a row element's bytes (from its start tag on), or one event's outside rows:
    // a text node or a row of any size cannot take more than `max_record` bytes.
    let meter = RecordMeter::new(max_record);
    let input = super::encoding::utf8_input(input)
        .map_err(|message| record_error(&location, 1, 0, message, b""))?;
    let mut reader = Reader::from_reader(Metered::new(input, meter.clone()));
    let mut buf = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    // Depth of open elements outside the row being built.
    let mut depth = 0usize;
    let mut record = 1u64;
    let mut row_start = 0u64;
    let mut row_line = 1u64;
    // Set once the root element is closed: nothing but comments may follow.
    let mut root_closed = false;
    loop {
        let at = reader.buffer_position();
        let line = meter.lines() + 1;
        if stack.is_empty() {
            meter.restart();
        }
        let event = reader.read_event_into(&mut buf).map_err(|e| match e {
            quick_xml::Error::Io(_) if meter.exceeded() => {
                let (line, byte) = if stack.is_empty() {
                    (line, at)
                } else {
                    (row_line, row_start)
                };
                xml_error(
                    &location,
                    (line, record, byte),
                    record_too_large("element", meter.max()),
                )
            }
            quick_xml::Error::Io(io) => {
                Error::io(&location, std::io::Error::new(io.kind(), io.to_string()))
            }
            e => xml_error(
                &location,
                (line, record, reader.error_position()),
                format!("malformed XML: {e}"),
            ),
        })?;
        let fail = |message: String| xml_error(&location, (line, record, at), message);
        let (start, end) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::End(_) => (None, true),
            Event::Text(t) if stack.is_empty() && depth == 0 => {
                // Outside the root element only white space may stand.
                if !t.iter().all(u8::is_ascii_whitespace) {
                    let place = if root_closed { "after" } else { "before" };
                    return Err(fail(format!(
                        "text {place} the root element: an XML document is one element"
                    )));
                }
                (None, false)
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(
                        &t.xml_content()
                            .map_err(|e| fail(format!("bad text: {e}")))?,
                    );
                }
                (None, false)
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text
                        .push_str(&t.decode().map_err(|e| fail(format!("bad CDATA: {e}")))?);
                }
                (None, false)
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = r
                        .decode()
                        .map_err(|e| fail(format!("bad reference: {e}")))?;
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => top.text.push(c),
                        _ => match resolve_predefined_entity(&name) {
                            Some(text) => top.text.push_str(text),
                            None => return Err(fail(format!("unknown entity &{name};"))),
                        },
                    }
                }
                (None, false)
            }
            Event::Eof => {
                return match stack.first().map(|f| f.name.clone()) {
                    Some(name) => Err(xml_error(
                        &location,
                        (row_line, record, row_start),
                        format!("the input ends inside <{name}>: the XML is truncated"),
                    )),
                    None if depth > 0 => Err(fail(
                        "the input ends before the root element is closed: the XML is truncated"
                            .to_owned(),
                    )),
                    None => Ok(()),
                };
            }
            _ => (None, false),
        };
        if let (Some(e), true) = (start, root_closed) {
            return Err(fail(format!(
                "a second root element <{}>: an XML document has one",
                names.element(e)
            )));
        }
        if let Some(e) = start {
            if stack.len() + depth >= MAX_NESTING_DEPTH {
                return Err(fail(format!(
                    "elements nested deeper than {MAX_NESTING_DEPTH} levels (the limit of every format)"
                )));
            }
            if !stack.is_empty() {
                stack.push(names.frame(e).map_err(fail)?);
            } else {
                let name = names.element(e);
                let is_row = match tagname {
                    Some(tag) => name == tag,
                    None => depth == 1,
                };
                if is_row {
                    row_start = at;
                    row_line = line;
                    stack.push(names.frame(e).map_err(fail)?);
                } else {
                    depth += 1;
                }
            }
        }
        if end {
            match stack.pop() {
                Some(frame) if stack.is_empty() => {
                    let row = match reshape {
                        Some(reshape) => reshape(frame.into_row()).map_err(|message| {
                            xml_error(&location, (row_line, record, row_start), message)
                        })?,
                        None => frame.into_row(),
                    };
                    if !rows.send(row) {
                        return Ok(());
                    }
                    record += 1;
                }
                Some(frame) => {
                    let name = frame.name.clone();
                    let value = frame.into_value();
                    if let Some(parent) = stack.last_mut() {
                        parent.add_child(name, value);
                    }
                }
                None => depth = depth.saturating_sub(1),
            }
            if stack.is_empty() && depth == 0 {
                root_closed = true;
            }
        }
        buf.clear();
    }
}

/// An error at `(line, record, byte)` of the XML input.
fn xml_error(location: &str, (line, record, byte): (u64, u64, u64), message: String) -> Error {
    iterable_core::ParseError::new(
        location,
        iterable_core::Position { line, record, byte },
        message,
        b"",
    )
    .into()
}

/// Whether `name` can be an XML element or attribute name (letters, digits, `_`, `-`,
/// `.`, `:`; not starting with a digit, `-` or `.`).
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' || c == ':' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

struct XmlWriter {
    out: SyncOutput,
    location: String,
    root: String,
    tag: String,
    buf: String,
}

impl RowWriter for XmlWriter {
    fn write_row(&mut self, row: &Row, number: u64) -> Result<()> {
        self.buf.clear();
        self.buf.push_str("  ");
        write_element(&mut self.buf, &self.tag, row)
            .map_err(|m| write_error(&self.location, number, m))?;
        self.buf.push('\n');
        self.out
            .write_all(self.buf.as_bytes())
            .map_err(|e| Error::io(&self.location, e))
    }

    fn finish(mut self) -> Result<SyncOutput> {
        writeln!(self.out, "</{}>", self.root).map_err(|e| Error::io(&self.location, e))?;
        Ok(self.out)
    }
}

fn check_name(name: &str) -> std::result::Result<(), String> {
    if is_xml_name(name) {
        Ok(())
    } else {
        Err(format!("column {name:?} is not a valid XML name"))
    }
}

/// `text` escaped for XML; a character XML 1.0 cannot hold at all, even as a character
/// reference (control characters other than tab, line feed and carriage return;
/// U+FFFE, U+FFFF), is an error: the output would not be well-formed.
fn xml_text(text: &str) -> std::result::Result<std::borrow::Cow<'_, str>, String> {
    let bad = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}');
    if let Some(c) = text.chars().find(|&c| bad(c)) {
        return Err(format!(
            "a value holds U+{:04X}, which XML 1.0 cannot hold, even escaped",
            c as u32
        ));
    }
    Ok(escape(text))
}

/// Writes `<name @attributes>children #text</name>` for a row or map.
fn write_element(out: &mut String, name: &str, row: &Row) -> std::result::Result<(), String> {
    out.push('<');
    out.push_str(name);
    for (key, value) in row.iter() {
        if let Some(attr) = key.strip_prefix('@') {
            check_name(attr)?;
            out.push(' ');
            out.push_str(attr);
            out.push_str("=\"");
            out.push_str(&xml_text(&value.to_string())?);
            out.push('"');
        }
    }
    let mut body = String::new();
    for (key, value) in row.iter() {
        if key == "#text" {
            body.push_str(&xml_text(&value.to_string())?);
        } else if !key.starts_with('@') {
            check_name(key)?;
            write_value(&mut body, key, value)?;
        }
    }
    if body.is_empty() {
        out.push_str("/>");
    } else {
        out.push('>');
        out.push_str(&body);
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    Ok(())
}

fn write_value(out: &mut String, name: &str, value: &Value) -> std::result::Result<(), String> {
    match value {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::Map(row) => write_element(out, name, row)?,
        Value::List(items) => {
            for item in items {
                write_value(out, name, item)?;
            }
        }
        other => {
            let text = other.to_string();
            out.push('<');
            out.push_str(name);
            out.push('>');
            out.push_str(&xml_text(&text)?);
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
    }
    Ok(())
}
