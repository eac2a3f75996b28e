//! DBF: a real table written with the dbase crate, read back with its field types, in
//! field order, with nulls; a cut table is an error naming the file; the code page
//! can be given.

use dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use iterable::{IterableOptions, Row, Value, row};
use iterable_tests::collect;

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
