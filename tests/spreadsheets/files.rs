//! Real workbooks of the kinds iterable reads but does not write (ODS, XLSB, XLS),
//! built here byte by byte from their specifications: the OpenDocument XML in a zip,
//! XLSB's binary records (MS-XLSB) in a zip, and XLS's BIFF8 records (MS-XLS) in a
//! compound file.

use std::io::{Cursor, Write};

/// One cell of a built sheet.
#[derive(Clone, Copy)]
pub enum Cell<'a> {
    Text(&'a str),
    Number(f64),
    Bool(bool),
}

/// A sheet: its name and its rows from A1.
pub type Sheet<'a> = (&'a str, &'a [&'a [Cell<'a>]]);

/// A sheet of placed cells: its name and each cell at its `(row, column)`.
pub type PlacedSheet<'a, T> = (&'a str, Vec<((T, T), Cell<'a>)>);

fn zip(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in members {
        let method = if *name == "mimetype" {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        out.start_file(
            *name,
            zip::write::SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// An OpenDocument spreadsheet. `tail` is raw XML appended to each table's rows (the
/// repeated empty rows office suites write, or a hostile repeat).
pub fn ods(sheets: &[Sheet<'_>], tail: &str) -> Vec<u8> {
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>"#,
    );
    for (name, rows) in sheets {
        content.push_str(&format!(r#"<table:table table:name="{}">"#, escape(name)));
        for row in *rows {
            content.push_str("<table:table-row>");
            for cell in *row {
                content.push_str(&match cell {
                    Cell::Text(t) => format!(
                        r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                        escape(t)
                    ),
                    Cell::Number(n) => format!(
                        r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{n}</text:p></table:table-cell>"#
                    ),
                    Cell::Bool(b) => format!(
                        r#"<table:table-cell office:value-type="boolean" office:boolean-value="{b}"><text:p>{b}</text:p></table:table-cell>"#
                    ),
                });
            }
            // The run of empty cells to the sheet's edge that office suites write.
            content.push_str(r#"<table:table-cell table:number-columns-repeated="1020"/>"#);
            content.push_str("</table:table-row>");
        }
        content.push_str(tail);
        content.push_str("</table:table>");
    }
    content.push_str("</office:spreadsheet></office:body></office:document-content>");
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    zip(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet".to_vec(),
        ),
        ("content.xml", content.into_bytes()),
        ("META-INF/manifest.xml", manifest.as_bytes().to_vec()),
    ])
}

/// One XLSB record: its type and length as 7-bit varints, then its data.
fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    if typ < 0x80 {
        out.push(typ as u8);
    } else {
        out.push((typ & 0x7F) as u8 | 0x80);
        out.push((typ >> 7) as u8);
    }
    let mut len = data.len();
    loop {
        let byte = (len & 0x7F) as u8;
        len >>= 7;
        if len == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(data);
}

fn wide(text: &str) -> Vec<u8> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut out = (units.len() as u32).to_le_bytes().to_vec();
    for u in units {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

/// An Excel binary workbook. Cells are placed at `(row, col)`, so a test can put one
/// far away.
pub fn xlsb(sheets: &[PlacedSheet<'_, u32>]) -> Vec<u8> {
    let mut book = Vec::new();
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    let mut members = Vec::new();
    for (i, (name, cells)) in sheets.iter().enumerate() {
        let id = format!("rId{}", i + 1);
        rels.push_str(&format!(
            r#"<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{}.bin"/>"#,
            i + 1
        ));
        let mut bundle = 0u32.to_le_bytes().to_vec(); // visible
        bundle.extend_from_slice(&(i as u32 + 1).to_le_bytes());
        bundle.extend(wide(&id));
        bundle.extend(wide(name));
        record(&mut book, 0x009C, &bundle); // BrtBundleSh
        let mut sheet = Vec::new();
        record(&mut sheet, 0x0081, &[]); // BrtBeginSheet
        record(&mut sheet, 0x0094, &[0; 16]); // BrtWsDim
        record(&mut sheet, 0x0091, &[]); // BrtBeginSheetData
        let mut row = None;
        for ((r, c), cell) in cells {
            if row != Some(*r) {
                let mut hdr = r.to_le_bytes().to_vec();
                hdr.extend_from_slice(&[0; 13]);
                record(&mut sheet, 0x0000, &hdr); // BrtRowHdr
                row = Some(*r);
            }
            let mut data = c.to_le_bytes().to_vec();
            data.extend_from_slice(&0u32.to_le_bytes()); // style 0
            match cell {
                Cell::Text(t) => {
                    data.extend(wide(t));
                    record(&mut sheet, 0x0006, &data); // BrtCellSt
                }
                Cell::Number(n) => {
                    data.extend_from_slice(&n.to_le_bytes());
                    record(&mut sheet, 0x0005, &data); // BrtCellReal
                }
                Cell::Bool(b) => {
                    data.push(u8::from(*b));
                    record(&mut sheet, 0x0004, &data); // BrtCellBool
                }
            }
        }
        record(&mut sheet, 0x0092, &[]); // BrtEndSheetData
        record(&mut sheet, 0x0082, &[]); // BrtEndSheet
        members.push((format!("xl/worksheets/sheet{}.bin", i + 1), sheet));
    }
    record(&mut book, 0x0090, &[]); // BrtEndBundleShs
    record(&mut book, 0x0084, &[]); // BrtEndBook
    rels.push_str("</Relationships>");
    let mut all = vec![
        ("[Content_Types].xml".to_owned(), br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#.to_vec()),
        ("xl/workbook.bin".to_owned(), book),
        ("xl/_rels/workbook.bin.rels".to_owned(), rels.into_bytes()),
    ];
    all.extend(members);
    let refs: Vec<(&str, Vec<u8>)> = all.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    zip(&refs)
}

fn biff(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

fn bof(out: &mut Vec<u8>, kind: u16) {
    let mut data = 0x0600u16.to_le_bytes().to_vec(); // BIFF8
    data.extend_from_slice(&kind.to_le_bytes());
    data.extend_from_slice(&[0; 12]);
    biff(out, 0x0809, &data);
}

/// An Excel 97-2003 workbook (BIFF8 in a compound file). Cells are placed at
/// `(row, col)` (16-bit each, as BIFF8 stores them).
pub fn xls(sheets: &[PlacedSheet<'_, u16>]) -> Vec<u8> {
    // The sheets' substreams, then the globals with each sheet's offset.
    let mut bodies = Vec::new();
    for (_, cells) in sheets {
        let mut body = Vec::new();
        bof(&mut body, 0x0010); // worksheet
        for ((r, c), cell) in cells {
            let mut data = r.to_le_bytes().to_vec();
            data.extend_from_slice(&c.to_le_bytes());
            data.extend_from_slice(&0u16.to_le_bytes()); // XF 0
            match cell {
                Cell::Text(t) => {
                    // XLUnicodeString: character count, flags (1: UTF-16), characters.
                    let units: Vec<u16> = t.encode_utf16().collect();
                    data.extend_from_slice(&(units.len() as u16).to_le_bytes());
                    data.push(1);
                    for u in units {
                        data.extend_from_slice(&u.to_le_bytes());
                    }
                    biff(&mut body, 0x0204, &data); // Label
                }
                Cell::Number(n) => {
                    data.extend_from_slice(&n.to_le_bytes());
                    biff(&mut body, 0x0203, &data); // Number
                }
                Cell::Bool(b) => {
                    data.extend_from_slice(&[u8::from(*b), 0]);
                    biff(&mut body, 0x0205, &data); // BoolErr
                }
            }
        }
        biff(&mut body, 0x000A, &[]);
        bodies.push(body);
    }
    let boundsheet = |pos: u32, name: &str| {
        let mut data = pos.to_le_bytes().to_vec();
        data.extend_from_slice(&[0, 0]); // visible worksheet
        data.push(name.len() as u8);
        data.push(0); // compressed (Latin-1) characters
        data.extend_from_slice(name.as_bytes());
        data
    };
    let mut globals_len = 0;
    let mut globals = Vec::new();
    for pass in 0..2 {
        globals.clear();
        bof(&mut globals, 0x0005); // workbook globals
        let mut pos = globals_len as u32;
        for ((name, _), body) in sheets.iter().zip(&bodies) {
            biff(&mut globals, 0x0085, &boundsheet(pos, name));
            pos += body.len() as u32;
        }
        biff(&mut globals, 0x000A, &[]);
        if pass == 0 {
            globals_len = globals.len();
        }
    }
    let mut stream = globals;
    for body in bodies {
        stream.extend(body);
    }
    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    file.create_stream("/Workbook")
        .unwrap()
        .write_all(&stream)
        .unwrap();
    file.flush().unwrap();
    file.into_inner().into_inner()
}
