//! Documents as rows: plain text (a row a line, or whole), Markdown, HTML, DOCX, PDF
//! and e-mail, read from real files (the binary ones made by python-docx and fpdf2:
//! testdata/documents/make.py), compressed ones and globs, with their location, title
//! and text.

use std::io::Write;

use iterable::{IterableOptions, Row, Value, row};
use iterable_tests::{collect, testdata};

async fn read(location: &str, options: IterableOptions) -> Vec<Row> {
    collect(options.open(location).await.unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_text_file_is_a_row_a_line_or_one_row_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "first line\n\nsecond, with a comma\r\nlast without end",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    assert_eq!(
        read(p, IterableOptions::read()).await,
        [
            row! {"location" => p, "text" => "first line"},
            row! {"location" => p, "text" => "second, with a comma"},
            row! {"location" => p, "text" => "last without end"},
        ]
    );
    let whole = read(p, IterableOptions::read().set("whole", "true").unwrap()).await;
    assert_eq!(
        whole,
        [row! {
            "location" => p,
            "title" => Value::Null,
            "text" => "first line\n\nsecond, with a comma\r\nlast without end"
        }]
    );
}

#[tokio::test]
async fn a_markdown_file_gives_its_title_and_text_also_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "---\ntitle: Quarterly report\nauthor: Ann\n---\n# Q3\n\nSales rose **12%** in Lyon.\n";
    let path = dir.path().join("report.md.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap();
    let p = path.to_str().unwrap();
    assert_eq!(
        read(p, IterableOptions::read()).await,
        [row! {
            "location" => p,
            "title" => "Quarterly report",
            "text" => "# Q3\n\nSales rose **12%** in Lyon."
        }]
    );
}

#[tokio::test]
async fn an_html_page_gives_its_title_and_visible_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.html");
    std::fs::write(
        &path,
        "<!doctype html><html><head><title>Storm &amp; floods</title>\
         <script>track()</script></head><body><h1>Storm</h1>\
         <p>Two hurt in <a href=\"/lyon\">Lyon</a>.</p><ul><li>roads closed</li></ul></body></html>",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    assert_eq!(
        read(p, IterableOptions::read()).await,
        [row! {
            "location" => p,
            "title" => "Storm & floods",
            "text" => "Storm\nTwo hurt in Lyon.\n- roads closed"
        }]
    );
}

#[tokio::test]
async fn a_folder_of_documents_is_a_row_a_document_by_glob() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [("b.md", "# Beta\nb"), ("a.md", "# Alpha\na"), ("c.md", "")] {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let pattern = format!("{}/*.md", dir.path().display());
    let rows = read(&pattern, IterableOptions::read().concurrency(1)).await;
    let titles: Vec<_> = rows.iter().map(|r| r["title"].clone()).collect();
    assert_eq!(
        titles,
        [Value::from("Alpha"), Value::from("Beta")],
        "an empty file is no row"
    );
    assert!(rows[0]["location"].as_str().unwrap().ends_with("a.md"));
}

#[tokio::test]
async fn a_document_that_is_not_utf8_names_the_file_line_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.md");
    std::fs::write(&path, b"# Title\nok\n\xff\xfe broken").unwrap();
    let err = error_of(
        path.to_str().unwrap(),
        IterableOptions::read().encoding("utf-8"),
    )
    .await;
    assert!(
        err.contains("bad.md")
            && err.contains("line 3")
            && err.contains("byte 11")
            && err.contains("not UTF-8"),
        "{err}"
    );
    let html = dir.path().join("page.html");
    std::fs::write(&html, "<p>x</p>").unwrap();
    for name in ["out.html", "out.md", "out.txt"] {
        let err = match IterableOptions::write()
            .open(dir.path().join(name).to_str().unwrap())
            .await
        {
            Ok(_) => panic!("{name}: documents are read only"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains("read only") || err.contains("cannot be written"),
            "{err}"
        );
    }
}

/// The error `location` gives, opening or reading.
async fn error_of(location: &str, options: IterableOptions) -> String {
    match options.open(location).await {
        Ok(src) => collect(src).await.unwrap_err(),
        Err(e) => e,
    }
    .to_string()
}

/// A copy of testdata/documents/`name` in `dir`, compressed with gzip when `gzip`.
fn copy_fixture(dir: &std::path::Path, name: &str, gzip: bool) -> String {
    let bytes = std::fs::read(testdata(&format!("documents/{name}"))).unwrap();
    let path = dir.join(if gzip {
        format!("{name}.gz")
    } else {
        name.to_owned()
    });
    if gzip {
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(&bytes).unwrap();
        gz.finish().unwrap();
    } else {
        std::fs::write(&path, bytes).unwrap();
    }
    path.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_word_document_gives_its_title_paragraphs_and_tables() {
    let p = testdata("documents/report.docx");
    assert_eq!(
        read(&p, IterableOptions::read()).await,
        [row! {
            "location" => p.as_str(),
            "title" => "Quarterly report",
            "text" => "Q3 sales\nSales rose 12% in Lyon.\nParis\tflat\nnext line\ncity\tsales\nLyon\t12\nThe end."
        }]
    );
    // Without a title of its own, the first heading is the title; compressed too.
    let dir = tempfile::tempdir().unwrap();
    let p = copy_fixture(dir.path(), "minutes.docx", true);
    assert_eq!(
        read(&p, IterableOptions::read()).await,
        [
            row! {"location" => p.as_str(), "title" => "Minutes", "text" => "Minutes\nNothing decided."}
        ]
    );
}

#[tokio::test]
async fn a_pdf_is_a_row_a_page_with_text_or_one_row_whole() {
    let p = testdata("documents/report.pdf");
    assert_eq!(
        read(&p, IterableOptions::read()).await,
        [
            row! {"location" => p.as_str(), "page" => 1, "title" => "Quarterly report",
            "text" => "Q3 sales\n\nSales rose 12% in Lyon."},
            // Page 2 is blank: no row.
            row! {"location" => p.as_str(), "page" => 3, "title" => "Quarterly report",
            "text" => "Costs fell in Paris."},
        ]
    );
    assert_eq!(
        read(&p, IterableOptions::read().set("whole", "true").unwrap()).await,
        [
            row! {"location" => p.as_str(), "title" => "Quarterly report",
            "text" => "Q3 sales\n\nSales rose 12% in Lyon.\n\nCosts fell in Paris."}
        ]
    );
    let p = testdata("documents/untitled.pdf");
    assert_eq!(
        read(&p, IterableOptions::read()).await,
        [
            row! {"location" => p.as_str(), "page" => 1, "title" => Value::Null, "text" => "Only one page."}
        ]
    );
}

#[tokio::test]
async fn an_email_gives_its_decoded_headers_text_and_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_fixture(dir.path(), "notice.eml", true);
    let rows = read(&p, IterableOptions::read()).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        serde_json::to_value(row).unwrap(),
        serde_json::json!({
            "location": p,
            "message_id": "q3-notice@example.org",
            "date": "2026-12-01T09:30:00+01:00",
            "from": "Renée Durand <renee@example.org>",
            "to": "Ann <ann@example.org>, bob@example.org",
            "cc": "Team <team@example.org>",
            "subject": "Q3 sales — Leon",
            "text": "Sales rose 12% in Lyon — see the minutes.",
            "attachments": ["minutes.txt"],
        })
    );
}

#[tokio::test]
async fn a_mailbox_is_a_row_a_message() {
    let p = testdata("documents/mailbox.mbox");
    let rows = read(&p, IterableOptions::read()).await;
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r["subject"].as_str().unwrap().to_owned(),
                r["from"].as_str().unwrap().to_owned(),
                r["text"].as_str().unwrap().to_owned(),
                r["date"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Agenda".to_owned(),
                "Ann <ann@example.org>".to_owned(),
                // mboxrd: a body line quoted as ">From " loses its quote.
                "Lyon first.\nFrom the minutes: nothing decided.".to_owned(),
                false
            ),
            // A Latin-1 HTML-only message: its visible text, decoded.
            (
                "Café".to_owned(),
                "bob@example.org".to_owned(),
                "Café at noon.".to_owned(),
                false
            ),
            (
                "No date".to_owned(),
                "carl@example.org".to_owned(),
                "Body only.".to_owned(),
                true
            ),
        ]
    );
    assert_eq!(rows[1]["message_id"], Value::from("2@example.org"));
    assert_eq!(rows[2]["to"], Value::Null);
}

#[tokio::test]
async fn a_glob_of_mixed_documents_reads_each_by_its_name() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["report.docx", "untitled.pdf", "notice.eml"] {
        copy_fixture(dir.path(), name, false);
    }
    let pattern = format!("{}/*", dir.path().display());
    let rows = read(&pattern, IterableOptions::read().concurrency(1)).await;
    let texts: Vec<_> = rows
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(
        texts[0].starts_with("Sales rose 12% in Lyon"),
        "notice.eml first: {texts:?}"
    );
    assert!(texts[1].starts_with("Q3 sales"), "{texts:?}");
    assert_eq!(texts[2], "Only one page.");
}

#[tokio::test]
async fn broken_documents_are_errors_naming_the_file_and_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let not_zip = write("letter.docx", b"plain text, not a zip");
    let err = error_of(&not_zip, IterableOptions::read()).await;
    assert!(
        err.contains("letter.docx") && err.contains("not a DOCX file"),
        "{err}"
    );

    // A zip that is not a Word document.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("hello.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"hi").unwrap();
    let no_body = write("other.docx", &zip.finish().unwrap().into_inner());
    let err = error_of(&no_body, IterableOptions::read()).await;
    assert!(
        err.contains("other.docx") && err.contains("no word/document.xml"),
        "{err}"
    );

    // A document whose body XML is cut short.
    let bytes = std::fs::read(testdata("documents/report.docx")).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut content).unwrap();
        if name == "word/document.xml" {
            content.truncate(content.len() - 40);
            content.extend_from_slice(b"</w:r></w:body>");
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&content).unwrap();
    }
    let cut = write("cut.docx", &out.finish().unwrap().into_inner());
    let err = error_of(&cut, IterableOptions::read()).await;
    assert!(
        err.contains("cut.docx")
            && err.contains("word/document.xml")
            && err.contains("malformed XML")
            && err.contains("byte"),
        "{err}"
    );

    let garbage = write("scan.pdf", b"%PDF-1.7\nthis is not a PDF body at all");
    let err = error_of(&garbage, IterableOptions::read()).await;
    assert!(
        err.contains("scan.pdf") && err.contains("not a readable PDF"),
        "{err}"
    );

    // A truncated PDF loses its cross-reference table: an error, not an empty read.
    let pdf = std::fs::read(testdata("documents/report.pdf")).unwrap();
    let cut_pdf = write("cut.pdf", &pdf[..pdf.len() / 2]);
    let err = error_of(&cut_pdf, IterableOptions::read()).await;
    assert!(err.contains("cut.pdf"), "{err}");

    let not_mbox = write("notes.mbox", b"\nSubject: no From line\n\nbody\n");
    let err = error_of(&not_mbox, IterableOptions::read()).await;
    assert!(
        err.contains("notes.mbox") && err.contains("not a mailbox") && err.contains("byte 1"),
        "{err}"
    );

    let big = write(
        "big.mbox",
        format!(
            "From a@b Mon Nov 30 08:00:00 2026\nSubject: x\n\n{}\n",
            "y\n".repeat(2000)
        )
        .as_bytes(),
    );
    let err = error_of(&big, IterableOptions::read().max_record_bytes(1000)).await;
    assert!(
        err.contains("big.mbox") && err.contains("record 1") && err.contains("message"),
        "{err}"
    );
}
