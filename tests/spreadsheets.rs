//! The spreadsheets iterable reads but does not write: OpenDocument (`.ods`), Excel
//! binary (`.xlsb`) and Excel 97-2003 (`.xls`) workbooks, built here as real files.
//! Typed cells, sheet choice by name and index, `sheet_names`, the kind told by the
//! bytes (a misnamed workbook opens), and the hostile workbook that would lay out
//! billions of cells refused by name before anything is laid out.

#[path = "spreadsheets/files.rs"]
mod files;

use files::Cell::{Bool, Number, Text};
use iterable::{IterableOptions, Row, Value, row};
use iterable_tests::collect;

fn people<'a>() -> [&'a [files::Cell<'a>]; 3] {
    [
        &[Text("id"), Text("name"), Text("member")],
        &[Number(1.0), Text("Zoë"), Bool(true)],
        &[Number(2.5), Text("Mary & Co"), Bool(false)],
    ]
}

fn expected() -> Vec<Row> {
    vec![
        row! { "id" => 1, "name" => "Zoë", "member" => true },
        row! { "id" => 2.5, "name" => "Mary & Co", "member" => false },
    ]
}

/// The same people as placed cells, for the builders that take positions.
fn placed<T: From<u8> + Copy>() -> Vec<((T, T), files::Cell<'static>)> {
    let p = |r: u8, c: u8| (T::from(r), T::from(c));
    vec![
        (p(0, 0), Text("id")),
        (p(0, 1), Text("name")),
        (p(0, 2), Text("member")),
        (p(1, 0), Number(1.0)),
        (p(1, 1), Text("Zoë")),
        (p(1, 2), Bool(true)),
        (p(2, 0), Number(2.5)),
        (p(2, 1), Text("Mary & Co")),
        (p(2, 2), Bool(false)),
    ]
}

async fn read(path: &std::path::Path, options: IterableOptions) -> iterable::Result<Vec<Row>> {
    collect(options.open(path.to_str().unwrap()).await?).await
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test]
async fn ods_cells_keep_their_types_and_sheets_are_chosen_by_name_or_index() {
    let dir = tempfile::tempdir().unwrap();
    let rows = people();
    let other: [&[files::Cell]; 2] = [&[Text("k")], &[Text("second")]];
    // The repeated empty rows an office suite writes below the data are not rows.
    let tail = r#"<table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
    let path = write(
        &dir,
        "book.ods",
        &files::ods(&[("People", &rows), ("Other", &other)], tail),
    );
    assert_eq!(
        read(&path, IterableOptions::read()).await.unwrap(),
        expected()
    );
    let second = vec![row! { "k" => "second" }];
    assert_eq!(
        read(&path, IterableOptions::read().sheet("Other"))
            .await
            .unwrap(),
        second
    );
    assert_eq!(
        read(&path, IterableOptions::read().sheet_index(1))
            .await
            .unwrap(),
        second
    );
    assert_eq!(
        iterable::sheet_names(path.to_str().unwrap()).await.unwrap(),
        ["People", "Other"]
    );
    let err = read(&path, IterableOptions::read().sheet("Missing"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(r#"no sheet named "Missing""#) && err.contains("People"),
        "{err}"
    );
}

#[tokio::test]
async fn xlsb_and_xls_cells_keep_their_types() {
    let dir = tempfile::tempdir().unwrap();
    let xlsb = write(
        &dir,
        "book.xlsb",
        &files::xlsb(&[
            ("First", placed::<u32>()),
            ("Second", vec![((0, 0), Text("k"))]),
        ]),
    );
    assert_eq!(
        read(&xlsb, IterableOptions::read()).await.unwrap(),
        expected()
    );
    assert_eq!(
        iterable::sheet_names(xlsb.to_str().unwrap()).await.unwrap(),
        ["First", "Second"]
    );
    let xls = write(
        &dir,
        "book.xls",
        &files::xls(&[("Empty", vec![]), ("People", placed::<u16>())]),
    );
    assert_eq!(
        read(&xls, IterableOptions::read().sheet_index(1))
            .await
            .unwrap(),
        expected()
    );
    assert_eq!(
        read(&xls, IterableOptions::read().sheet("People"))
            .await
            .unwrap(),
        expected()
    );
    assert_eq!(read(&xls, IterableOptions::read()).await.unwrap(), []);
    assert_eq!(
        iterable::sheet_names(xls.to_str().unwrap()).await.unwrap(),
        ["Empty", "People"]
    );
}

#[tokio::test]
async fn a_workbook_opens_as_what_its_bytes_are_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let rows = people();
    // An XLSX workbook named .xls (as many are), an ODS named .xlsx, an XLS with no
    // extension at all (found by its magic number).
    let xlsx = dir.path().join("made.xlsx");
    iterable_tests::write_all(
        xlsx.to_str().unwrap(),
        &IterableOptions::write(),
        &expected(),
    )
    .await
    .unwrap();
    let misnamed = write(&dir, "really-xlsx.xls", &std::fs::read(&xlsx).unwrap());
    let ods = write(&dir, "really-ods.xlsx", &files::ods(&[("S", &rows)], ""));
    let bare = write(&dir, "workbook", &files::xls(&[("S", placed::<u16>())]));
    let ods_bare = write(&dir, "sheet", &files::ods(&[("S", &rows)], ""));
    for path in [misnamed, ods, bare, ods_bare] {
        let got = read(&path, IterableOptions::read()).await;
        assert_eq!(got.unwrap(), expected(), "{}", path.display());
    }
}

#[tokio::test]
async fn a_workbook_that_would_lay_out_billions_of_cells_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    // Two cells, A1 and the last cell Excel has: a few hundred bytes spanning 17
    // billion cells (65,536 x 65,536 in BIFF8's 16-bit rows and columns).
    let xls = write(
        &dir,
        "far.xls",
        &files::xls(&[(
            "Far",
            vec![((0, 0), Number(1.0)), ((u16::MAX, u16::MAX), Number(2.0))],
        )]),
    );
    let xlsb = write(
        &dir,
        "far.xlsb",
        &files::xlsb(&[(
            "Far",
            vec![((0, 0), Number(1.0)), ((1_048_575, 16_383), Number(2.0))],
        )]),
    );
    // One valued cell repeated over a million rows and all columns.
    let tail = r#"<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16000" office:value-type="float" office:value="7"/></table:table-row>"#;
    let rows = people();
    let ods = write(&dir, "far.ods", &files::ods(&[("Far", &rows)], tail));
    for path in [&xls, &xlsb, &ods] {
        let err = read(path, IterableOptions::read())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(path.to_str().unwrap())
                && err.contains("spans")
                && err.contains("max-unpacked-bytes"),
            "{err}"
        );
    }
    // The limit is max_unpacked_bytes': a lower one refuses a smaller box.
    let near = write(
        &dir,
        "near.xls",
        &files::xls(&[("Near", vec![((0, 0), Number(1.0)), ((99, 99), Number(2.0))])]),
    );
    assert_eq!(
        read(&near, IterableOptions::read()).await.unwrap().len(),
        99
    );
    let err = read(
        &near,
        IterableOptions::read().max_unpacked_bytes(32 * 9_999),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains(r#"sheet "Near" spans 10000 cells"#), "{err}");
}

#[tokio::test]
async fn a_cut_workbook_is_an_error_naming_the_file_and_writing_xls_or_xlsb_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rows = people();
    for (name, bytes) in [
        ("cut.ods", files::ods(&[("S", &rows)], "")),
        ("cut.xlsb", files::xlsb(&[("S", placed::<u32>())])),
        ("cut.xls", files::xls(&[("S", placed::<u16>())])),
    ] {
        let path = write(&dir, name, &bytes[..bytes.len() / 2]);
        let err = read(&path, IterableOptions::read())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(path.to_str().unwrap()), "{name}: {err}");
        if name.ends_with(".ods") {
            continue; // written: see below
        }
        let out = dir.path().join(format!("out-{name}"));
        let err = match IterableOptions::write().open(out.to_str().unwrap()).await {
            Ok(_) => panic!("{name}: a read-only format opened for writing"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains("cannot be written") || err.contains("read only"),
            "{name}: {err}"
        );
        assert!(!out.exists(), "{name}");
    }
    // Not a workbook at all.
    let path = write(&dir, "text.ods", b"id,name\n1,John\n");
    let err = read(&path, IterableOptions::read())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a readable ODS workbook"), "{err}");
    let _ = Value::Null;
}

#[tokio::test]
async fn rows_written_as_ods_read_back_with_their_types_and_exact_text() {
    let dir = tempfile::tempdir().unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
    let at = Value::Timestamp(iterable::Timestamp {
        datetime: day.and_hms_opt(7, 8, 9).unwrap(),
        tz: None,
    });
    let rows = vec![
        iterable::row! { "id" => 1, "price" => 2.5, "ok" => true, "day" => day, "at" => at.clone(),
        "text" => "  two  spaces\tand a tab\nnext line <&> \"q\"" },
        // A column that comes later gets its header; a missing value is an empty cell.
        iterable::row! { "id" => 2, "ok" => false, "late" => "new column", "big" => 1i64 << 60 },
    ];
    let path = dir.path().join("out.ods");
    let options = IterableOptions::write().sheet("Data & more");
    iterable_tests::write_all(path.to_str().unwrap(), &options, &rows)
        .await
        .unwrap();
    let back = read(&path, IterableOptions::read()).await.unwrap();
    assert_eq!(
        back,
        vec![
            iterable::row! { "id" => 1, "price" => 2.5, "ok" => true, "day" => day, "at" => at,
            "text" => "  two  spaces\tand a tab\nnext line <&> \"q\"",
            "late" => Value::Null, "big" => Value::Null },
            iterable::row! { "id" => 2, "price" => Value::Null, "ok" => false, "day" => Value::Null,
            "at" => Value::Null, "text" => Value::Null, "late" => "new column",
            "big" => (1i64 << 60).to_string() },
        ]
    );
    assert_eq!(
        iterable::sheet_names(path.to_str().unwrap()).await.unwrap(),
        ["Data & more"]
    );
    // ODF's first member: `mimetype`, stored, so the bytes say what the file is even
    // under another name.
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[30..38], b"mimetype");
    assert_eq!(
        &bytes[38..38 + 46],
        b"application/vnd.oasis.opendocument.spreadsheet"
    );
    let misnamed = write(&dir, "misnamed.xlsx", &bytes);
    assert_eq!(
        read(&misnamed, IterableOptions::read()).await.unwrap(),
        back
    );
}

#[tokio::test]
async fn a_character_xml_cannot_hold_is_an_error_naming_row_and_column_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.ods");
    let rows = [
        iterable::row! { "id" => 1, "note" => "fine" },
        iterable::row! { "id" => 2, "note" => "bell \u{7}" },
    ];
    let err = iterable_tests::write_all(path.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: row 2: column \"note\": '\\u{{7}}' cannot be written in an XML document",
            path.to_str().unwrap()
        )
    );
    assert!(!path.exists());
}
