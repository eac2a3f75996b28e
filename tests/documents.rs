//! Documents as rows: plain text (a row a line, or whole), Markdown and HTML, read from
//! real files, compressed ones and globs, with their location, title and text.

use std::io::Write;

use iterable::{IterableOptions, Row, Value, row};
use iterable_tests::collect;

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
    let err = match IterableOptions::read()
        .encoding("utf-8")
        .open(path.to_str().unwrap())
        .await
    {
        Ok(src) => collect(src).await.unwrap_err(),
        Err(e) => e,
    }
    .to_string();
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
