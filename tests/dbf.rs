//! DBF: a real table written with the dbase crate, read back with its field types, in
//! field order, with nulls; a cut table is an error naming the file; the code page
//! can be given.

use dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use iterable::{IterableOptions, Row, Value, row};
use iterable_tests::{collect, write_all};

fn name(n: &str) -> FieldName {
    FieldName::try_from(n).unwrap()
}

fn write_table(path: &std::path::Path, encoding: Option<&'static encoding_rs::Encoding>) {
    let mut builder = TableWriterBuilder::new();
    if let Some(e) = encoding {
        builder = TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(e));
    }
    let writer = builder
        .add_character_field(name("NAME"), 20)
        .add_numeric_field(name("ID"), 5, 0)
        .add_numeric_field(name("PRICE"), 8, 2)
        .add_logical_field(name("ACTIVE"))
        .add_date_field(name("SINCE"))
        .build_with_file_dest(path)
        .unwrap();
    let record = |n: Option<&str>, id: f64, price: Option<f64>, active: Option<bool>, since| {
        let mut r = Record::default();
        r.insert("NAME".into(), FieldValue::Character(n.map(str::to_owned)));
        r.insert("ID".into(), FieldValue::Numeric(Some(id)));
        r.insert("PRICE".into(), FieldValue::Numeric(price));
        r.insert("ACTIVE".into(), FieldValue::Logical(active));
        r.insert("SINCE".into(), FieldValue::Date(since));
        r
    };
    writer
        .write_records(&[
            record(
                Some("Москва Zoë"),
                1.0,
                Some(3.0),
                Some(true),
                Some(dbase::Date::new(3, 12, 2026).unwrap()),
            ),
            record(None, 22.0, None, None, None),
        ])
        .unwrap();
}

fn expected() -> Vec<Row> {
    vec![
        row! {
            "NAME" => "Москва Zoë", "ID" => 1, "PRICE" => 3.0, "ACTIVE" => true,
            "SINCE" => Value::Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()),
        },
        row! {
            "NAME" => Value::Null, "ID" => 22, "PRICE" => Value::Null, "ACTIVE" => Value::Null,
            "SINCE" => Value::Null,
        },
    ]
}

async fn read(path: &std::path::Path, options: IterableOptions) -> iterable::Result<Vec<Row>> {
    collect(options.open(path.to_str().unwrap()).await?).await
}

#[tokio::test]
async fn a_table_reads_with_its_types_in_field_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shops.dbf");
    write_table(&path, None);
    assert_eq!(
        read(&path, IterableOptions::read()).await.unwrap(),
        expected()
    );
    // Compressed: spooled to a temporary file, the same rows.
    let gz = dir.path().join("shops.dbf.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &std::fs::read(&path).unwrap()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    assert_eq!(
        read(&gz, IterableOptions::read()).await.unwrap(),
        expected()
    );
    // Cut short: an error naming the file, not fewer records.
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.dbf");
    std::fs::write(&cut, &bytes[..bytes.len() - 20]).unwrap();
    let err = read(&cut, IterableOptions::read())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("cut.dbf") && err.contains("record 2"), "{err}");
}

#[tokio::test]
async fn a_legacy_code_page_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("legacy.dbf");
    write_table(&path, Some(encoding_rs::WINDOWS_1251));
    // Zoë has no place in windows-1251: written as the encoder's replacement.
    let rows = read(&path, IterableOptions::read().encoding("windows-1251"))
        .await
        .unwrap();
    let Value::String(name) = &rows[0]["NAME"] else {
        panic!("{rows:?}")
    };
    assert!(name.as_str().starts_with("Москва Zo"), "{name:?}");
    assert_eq!(rows[1], expected()[1]);
}

fn timestamp(text: &str) -> Value {
    Value::Timestamp(iterable::Timestamp {
        datetime: text.parse().unwrap(),
        tz: None,
    })
}

fn decimal(text: &str) -> Value {
    let (whole, fraction) = text.split_once('.').unwrap();
    Value::Decimal(iterable::Decimal {
        unscaled: format!("{whole}{fraction}").parse().unwrap(),
        scale: fraction.len() as i8,
    })
}

/// The field descriptors of a table as the dbase crate reads them: name, type,
/// length.
fn fields_of(path: &std::path::Path) -> Vec<(String, dbase::FieldType, u8)> {
    let reader = dbase::Reader::from_path(path).unwrap();
    reader
        .fields()
        .iter()
        .filter(|f| f.name() != "DeletionFlag")
        .map(|f| (f.name().to_owned(), f.field_type(), f.length()))
        .collect()
}

#[tokio::test]
async fn rows_are_written_as_a_table_with_a_field_type_for_each_column() {
    let dir = tempfile::tempdir().unwrap();
    let since = chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
    let rows = vec![
        row! {
            "id" => 1, "price" => 0.5, "amount" => decimal("12.50"), "name" => "Москва Zoë",
            "active" => true, "since" => since, "at" => timestamp("2026-12-03T10:20:30"),
            "tags" => vec![Value::from("a"), Value::from(1)], "mixed" => 7, "none" => Value::Null,
        },
        row! {
            "id" => -22, "price" => 12.25, "amount" => decimal("-3.75"), "name" => Value::Null,
            "active" => Value::Null, "since" => Value::Null, "at" => since,
            "tags" => Value::Null, "mixed" => "seven", "none" => Value::Null,
        },
    ];
    for name in ["out.dbf", "out.dbf.gz"] {
        let path = dir.path().join(name);
        write_all(path.to_str().unwrap(), &IterableOptions::write(), &rows)
            .await
            .unwrap();
        let back = read(&path, IterableOptions::read()).await.unwrap();
        assert_eq!(
            back,
            vec![
                row! {
                    "id" => 1, "price" => 0.5, "amount" => 12.5, "name" => "Москва Zoë",
                    "active" => true, "since" => since, "at" => timestamp("2026-12-03T10:20:30"),
                    "tags" => r#"["a",1]"#, "mixed" => "7", "none" => Value::Null,
                },
                row! {
                    "id" => -22, "price" => 12.25, "amount" => -3.75, "name" => Value::Null,
                    "active" => Value::Null, "since" => Value::Null,
                    "at" => timestamp("2026-12-03T00:00:00"),
                    "tags" => Value::Null, "mixed" => "seven", "none" => Value::Null,
                },
            ],
            "{name}"
        );
    }
    use dbase::FieldType::*;
    let fields = fields_of(&dir.path().join("out.dbf"));
    let expected = [
        ("id", Numeric, 3),
        ("price", Numeric, 5),
        ("amount", Numeric, 5),
        ("name", Character, 17),
        ("active", Logical, 1),
        ("since", Date, 8),
        ("at", DateTime, 8),
        ("tags", Character, 7),
        ("mixed", Character, 5),
        ("none", Character, 1),
    ];
    let expected: Vec<(String, dbase::FieldType, u8)> = expected
        .into_iter()
        .map(|(n, t, l)| (n.to_owned(), t, l))
        .collect();
    assert_eq!(fields, expected);
    // The header names UTF-8 (the mark dbase reads as UTF-8).
    assert_eq!(std::fs::read(dir.path().join("out.dbf")).unwrap()[29], 0xF0);
}

#[tokio::test]
async fn long_names_are_cut_to_ten_bytes_and_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.dbf");
    let rows =
        [row! { "description_one" => "a", "description_two" => "b", "Description_three" => "c" }];
    write_all(path.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let back = read(&path, IterableOptions::read()).await.unwrap();
    assert_eq!(
        back,
        [row! { "descriptio" => "a", "descript_2" => "b", "Descript_3" => "c" }]
    );
}

#[tokio::test]
async fn a_value_no_field_can_hold_is_an_error_naming_row_and_column_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            Value::from("x".repeat(255)),
            "longer than a DBF character field (254 bytes)",
        ),
        (Value::Bytes(vec![1, 2]), "DBF has no field type for bytes"),
        (Value::Float(f64::NAN), "NaN has no DBF number"),
    ];
    for (i, (bad, says)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.dbf"));
        let rows = [
            row! { "id" => 1, "note" => "fine" },
            row! { "id" => 2, "note" => "fine" },
            row! { "id" => 3, "note" => bad },
        ];
        let err = write_all(path.to_str().unwrap(), &IterableOptions::write(), &rows)
            .await
            .unwrap_err()
            .to_string();
        let at = format!("{}: row 3: column \"note\": ", path.to_str().unwrap());
        assert!(err.starts_with(&at) && err.contains(says), "{err}");
        assert!(!path.exists(), "{err}");
    }
}

#[tokio::test]
async fn a_code_page_is_written_and_named_so_the_table_reads_back_without_options() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cp1251.dbf");
    let rows = [row! { "city" => "Москва", "n" => 1 }];
    let options = IterableOptions::write().encoding("windows-1251");
    write_all(path.to_str().unwrap(), &options, &rows)
        .await
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes[29], 0xC9, "the language driver of code page 1251");
    assert!(
        bytes
            .windows(6)
            .any(|w| w == [0xCC, 0xEE, 0xF1, 0xEA, 0xE2, 0xE0]),
        "Москва in windows-1251"
    );
    assert_eq!(read(&path, IterableOptions::read()).await.unwrap(), rows);

    let err = write_all(
        dir.path().join("tokyo.dbf").to_str().unwrap(),
        &options,
        &[row! { "city" => "東京" }],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(
            "row 1: column \"city\": \"東京\" has characters that windows-1251 cannot hold"
        ),
        "{err}"
    );
}
