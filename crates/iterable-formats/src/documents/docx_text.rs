//! The text of a WordprocessingML document (`word/document.xml`): the paragraphs of
//! the body in order, a line each (`w:t` text, `w:tab` as a tab, `w:br` and `w:cr`
//! as line breaks); a table a line a row, its cells separated by tabs (a cell's
//! paragraphs joined by spaces). Deleted text (`w:delText`), field codes
//! (`w:instrText`) and the fallback copy of drawings (`mc:Fallback`, a repeat of
//! what `mc:Choice` holds) are left out; empty paragraphs are no line.

use std::collections::HashMap;

use quick_xml::NsReader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};

/// WordprocessingML's namespace.
const W: &[u8] = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main";
/// Markup compatibility's namespace (`mc:AlternateContent`).
const MC: &[u8] = b"http://schemas.openxmlformats.org/markup-compatibility/2006";

/// What a body gives: its text, and the first paragraph styled as a title or as a
/// first-level heading (the document's title when its properties have none).
#[derive(Debug, Default, PartialEq)]
pub(super) struct BodyText {
    pub text: String,
    pub title: Option<String>,
    pub heading: Option<String>,
}

/// A byte offset in the part and what is wrong there.
pub(super) type XmlError = (u64, String);

/// The names of the paragraph styles (`w:styleId` to `w:name`, lower case) that
/// `word/styles.xml` declares.
pub(super) fn style_names(xml: &[u8]) -> Result<HashMap<String, String>, XmlError> {
    let mut names = HashMap::new();
    let mut reader = NsReader::from_reader(xml);
    let mut buf = Vec::new();
    let mut style: Option<String> = None;
    loop {
        let at = reader.buffer_position();
        let (ns, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(|e| (at, format!("malformed XML: {e}")))?;
        match event {
            Event::Start(e) if is(&ns, W) && e.local_name().as_ref() == b"style" => {
                style = attribute(&e, b"styleId");
            }
            Event::Start(e) | Event::Empty(e)
                if is(&ns, W) && e.local_name().as_ref() == b"name" =>
            {
                if let (Some(id), Some(name)) = (&style, attribute(&e, b"val")) {
                    names.insert(id.clone(), name.to_lowercase());
                }
            }
            Event::End(e) if is(&ns, W) && e.local_name().as_ref() == b"style" => style = None,
            Event::Eof => return Ok(names),
            _ => {}
        }
        buf.clear();
    }
}

/// The text of `xml`, a `word/document.xml`; `styles` names the paragraph styles.
pub(super) fn body_text(
    xml: &[u8],
    styles: &HashMap<String, String>,
) -> Result<BodyText, XmlError> {
    let mut walk = Walk::default();
    let mut reader = NsReader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        let at = reader.buffer_position();
        let (ns, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(|e| (at, format!("malformed XML: {e}")))?;
        let word = is(&ns, W);
        match event {
            Event::Eof => break,
            _ if walk.skipping > 0 => match event {
                Event::Start(_) => walk.skipping += 1,
                Event::End(_) => walk.skipping -= 1,
                _ => {}
            },
            Event::Start(e) if is(&ns, MC) && e.local_name().as_ref() == b"Fallback" => {
                walk.skipping = 1;
            }
            Event::Start(e) if word => walk.start(&e, false, styles),
            Event::Empty(e) if word => walk.start(&e, true, styles),
            Event::End(e) if word => walk.end(e.local_name().as_ref()),
            Event::Text(t) if walk.in_text => {
                let text = t
                    .xml_content()
                    .map_err(|e| (at, format!("bad text: {e}")))?;
                walk.push(&text);
            }
            Event::GeneralRef(r) if walk.in_text => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => {
                        let name = r
                            .decode()
                            .map_err(|e| (at, format!("bad reference: {e}")))?;
                        resolve_predefined_entity(&name).map(str::to_owned)
                    }
                };
                match resolved {
                    Some(text) => walk.push(&text),
                    None => return Err((at, "an unknown entity in the text".to_owned())),
                }
            }
            Event::CData(t) if walk.in_text => walk.push(&String::from_utf8_lossy(&t)),
            _ => {}
        }
        buf.clear();
    }
    Ok(walk.finish())
}

/// The text a character or predefined entity reference stands for (`&#233;`,
/// `&amp;`); `None` for any other.
pub(super) fn reference_text(r: &BytesRef) -> Option<String> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Some(c.to_string()),
        _ => resolve_predefined_entity(&r.decode().ok()?).map(str::to_owned),
    }
}

/// Whether a resolved name is in `namespace`.
fn is(ns: &ResolveResult, namespace: &[u8]) -> bool {
    matches!(ns, ResolveResult::Bound(Namespace(n)) if *n == namespace)
}

/// The value of the attribute whose local name is `name`.
fn attribute(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// A paragraph being read.
#[derive(Default)]
struct Paragraph {
    text: String,
    /// The style's name (lower case), if it has one.
    style: Option<String>,
}

/// A table being read: the cells of the row so far and the cell being read.
#[derive(Default)]
struct Table {
    cells: Vec<String>,
    cell: Option<String>,
}

#[derive(Default)]
struct Walk {
    lines: Vec<String>,
    paragraphs: Vec<Paragraph>,
    tables: Vec<Table>,
    /// Inside a `w:r` (a run): its tabs and breaks are text.
    runs: usize,
    /// Inside a `w:t`.
    in_text: bool,
    /// Depth inside an element whose content is left out.
    skipping: usize,
    title: Option<String>,
    heading: Option<String>,
}

impl Walk {
    fn start(&mut self, e: &BytesStart, empty: bool, styles: &HashMap<String, String>) {
        match e.local_name().as_ref() {
            b"p" if !empty => self.paragraphs.push(Paragraph::default()),
            b"pStyle" => {
                if let Some(p) = self.paragraphs.last_mut() {
                    p.style = attribute(e, b"val").and_then(|id| styles.get(&id).cloned());
                }
            }
            b"r" if !empty => self.runs += 1,
            b"t" if !empty => self.in_text = true,
            b"tab" if self.runs > 0 => self.push("\t"),
            b"br" | b"cr" if self.runs > 0 => self.push("\n"),
            b"noBreakHyphen" if self.runs > 0 => self.push("-"),
            b"tbl" if !empty => self.tables.push(Table::default()),
            b"tc" if !empty => {
                if let Some(t) = self.tables.last_mut() {
                    t.cell = Some(String::new());
                }
            }
            // Left out: deleted text and field codes.
            b"delText" | b"instrText" if !empty => self.skipping = 1,
            _ => {}
        }
    }

    fn end(&mut self, name: &[u8]) {
        match name {
            b"p" => {
                if let Some(p) = self.paragraphs.pop() {
                    self.paragraph(p);
                }
            }
            b"r" => self.runs = self.runs.saturating_sub(1),
            b"t" => self.in_text = false,
            b"tc" => {
                if let Some(t) = self.tables.last_mut()
                    && let Some(cell) = t.cell.take()
                {
                    t.cells.push(cell);
                }
            }
            b"tr" => {
                if let Some(t) = self.tables.last_mut() {
                    let cells = std::mem::take(&mut t.cells);
                    if cells.iter().any(|c| !c.is_empty()) {
                        // The row is a line of the table's surroundings.
                        let table = self.tables.pop();
                        self.line(cells.join("\t"));
                        self.tables.extend(table);
                    }
                }
            }
            b"tbl" => {
                self.tables.pop();
            }
            _ => {}
        }
    }

    fn push(&mut self, text: &str) {
        if let Some(p) = self.paragraphs.last_mut() {
            p.text.push_str(text);
        }
    }

    fn paragraph(&mut self, p: Paragraph) {
        let text = p.text.trim();
        if text.is_empty() {
            return;
        }
        match p.style.as_deref() {
            Some("title") if self.title.is_none() => self.title = Some(text.to_owned()),
            Some("heading 1") if self.heading.is_none() => self.heading = Some(text.to_owned()),
            _ => {}
        }
        self.line(text.to_owned());
    }

    /// A line of text where the walk stands: in a table cell, or in the body.
    fn line(&mut self, text: String) {
        match self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            Some(cell) => {
                if !cell.is_empty() {
                    cell.push(' ');
                }
                cell.push_str(&text);
            }
            None => self.lines.push(text),
        }
    }

    fn finish(self) -> BodyText {
        BodyText {
            text: self.lines.join("\n"),
            title: self.title,
            heading: self.heading,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>"#;

    fn text_of(body: &str) -> BodyText {
        let styles = HashMap::from([("T".to_owned(), "title".to_owned())]);
        body_text(
            format!("{HEAD}{body}</w:body></w:document>").as_bytes(),
            &styles,
        )
        .unwrap()
    }

    #[test]
    fn deleted_text_field_codes_and_fallbacks_are_left_out() {
        let got = text_of(
            "<w:p><w:r><w:t>kept</w:t></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del>\
             <w:r><w:instrText>PAGE</w:instrText></w:r><w:r><w:t xml:space=\"preserve\"> &amp; more</w:t></w:r></w:p>\
             <w:p><mc:AlternateContent><mc:Choice><w:p><w:r><w:t>box</w:t></w:r></w:p></mc:Choice>\
             <mc:Fallback><w:p><w:r><w:t>box</w:t></w:r></w:p></mc:Fallback></mc:AlternateContent></w:p>",
        );
        assert_eq!(got.text, "kept & more\nbox");
    }

    #[test]
    fn a_title_styled_paragraph_is_the_title_and_nested_tables_stay_in_their_cell() {
        let got = text_of(
            "<w:p><w:pPr><w:pStyle w:val=\"T\"/><w:tabs><w:tab w:val=\"left\"/></w:tabs></w:pPr><w:r><w:t>Report</w:t></w:r></w:p>\
             <w:tbl><w:tr><w:tc><w:p><w:r><w:t>a</w:t></w:r></w:p>\
             <w:tbl><w:tr><w:tc><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>y</w:t></w:r></w:p></w:tc></w:tr></w:tbl>\
             </w:tc><w:tc><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc></w:tr></w:tbl>",
        );
        assert_eq!(got.title.as_deref(), Some("Report"));
        assert_eq!(got.text, "Report\na x\ty\tb");
    }

    #[test]
    fn malformed_xml_is_an_error_with_its_offset() {
        let bad = format!("{HEAD}<w:p><w:r><w:t>cut</w:r></w:p></w:body></w:document>");
        let (at, message) = body_text(bad.as_bytes(), &HashMap::new()).unwrap_err();
        assert!(message.starts_with("malformed XML"), "{message}");
        assert!(at > HEAD.len() as u64, "{at}");
    }
}
