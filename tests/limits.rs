//! Records that are hostile by their shape rather than their bytes: a row with a
//! hundred thousand keys (read in linear time: a hashed key index past a dozen keys)
//! and one value larger than the record size limit (an error naming the file and the
//! position, not gigabytes of memory).

use iterable::{IterableOptions, Row, Value, aopen_iterable, row};
use iterable_tests::{collect, write_all};

/// Keys in the wide row: at the quadratic cost this once had, reading it took 12-16 s
/// in a release build (minutes in a debug one).
const WIDE: usize = 100_000;

fn wide_row() -> Row {
    (0..WIDE).map(|i| (format!("k{i}"), i as i64)).collect()
}

#[tokio::test]
async fn a_row_with_100k_keys_round_trips_through_every_keyed_format() {
    let dir = tempfile::tempdir().unwrap();
    let row = wide_row();
    assert_eq!(row.len(), WIDE);
    for ext in ["jsonl", "json", "msgpack", "bson", "yaml"] {
        let path = dir.path().join(format!("wide.{ext}"));
        let path = path.to_str().unwrap();
        write_all(path, &IterableOptions::write(), std::slice::from_ref(&row))
            .await
            .unwrap();
        let rows = collect(aopen_iterable(path).await.unwrap()).await.unwrap();
        assert_eq!(rows.len(), 1, "{ext}");
        let back = &rows[0];
        assert_eq!(back.len(), WIDE, "{ext}");
        assert_eq!(back.get("k77777"), Some(&Value::Int(77_777)), "{ext}");
        assert_eq!(back.keys().last(), Some("k99999"), "{ext}");
    }
}

#[tokio::test]
async fn a_repeated_key_among_100k_keeps_its_first_place_and_the_last_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("{");
    for i in 0..WIDE {
        text.push_str(&format!("\"k{i}\":{i},"));
    }
    text.push_str("\"k5\":\"again\"}\n");
    for ext in ["jsonl", "json"] {
        let path = dir.path().join(format!("repeat.{ext}"));
        std::fs::write(&path, &text).unwrap();
        let rows = collect(aopen_iterable(path.to_str().unwrap()).await.unwrap())
            .await
            .unwrap();
        let row = &rows[0];
        assert_eq!(row.len(), WIDE, "{ext}");
        assert_eq!(row.keys().nth(5), Some("k5"), "{ext}");
        assert_eq!(row["k5"], Value::from("again"), "{ext}");
    }
}

#[tokio::test]
async fn xml_with_100k_children_or_attributes_reads_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut children = String::from("<root><item>");
    let mut attributes = String::from("<root><item");
    for i in 0..WIDE {
        children.push_str(&format!("<c{i}>{i}</c{i}>"));
        attributes.push_str(&format!(" a{i}=\"{i}\""));
    }
    // A repeated child becomes a list, in order.
    children.push_str("<c7>again</c7></item></root>");
    attributes.push_str("/></root>");

    let path = dir.path().join("children.xml");
    std::fs::write(&path, children).unwrap();
    let rows = collect(aopen_iterable(path.to_str().unwrap()).await.unwrap())
        .await
        .unwrap();
    assert_eq!(rows[0].len(), WIDE);
    assert_eq!(rows[0]["c99999"], Value::from("99999"));
    assert_eq!(
        rows[0]["c7"],
        Value::List(vec![Value::from("7"), Value::from("again")])
    );

    let path = dir.path().join("attributes.xml");
    std::fs::write(&path, attributes).unwrap();
    let rows = collect(aopen_iterable(path.to_str().unwrap()).await.unwrap())
        .await
        .unwrap();
    assert_eq!(rows[0].len(), WIDE);
    assert_eq!(rows[0]["@a4242"], Value::from("4242"));
}

#[tokio::test]
async fn a_repeated_xml_attribute_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("twice.xml");
    std::fs::write(&path, "<root><item a=\"1\" b=\"2\" a=\"3\"/></root>").unwrap();
    let path = path.to_str().unwrap();
    let err = collect(aopen_iterable(path).await.unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("attribute \"a\" is repeated"), "{err}");
    assert!(err.contains("twice.xml"), "{err}");
}

/// The limit the record-size tests use: 1 MiB.
const LIMIT: usize = 1 << 20;

fn limited() -> IterableOptions {
    IterableOptions::read().max_record_bytes(LIMIT)
}

async fn read_with(
    options: &IterableOptions,
    path: &std::path::Path,
) -> iterable::Result<Vec<Row>> {
    collect(options.open(path.to_str().unwrap()).await?).await
}

#[tokio::test]
async fn a_csv_field_past_the_record_limit_is_an_error_at_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let big = "x".repeat(3 * LIMIT);
    std::fs::write(&path, format!("id,text\n1,short\n2,\"{big}\"\n3,after\n")).unwrap();
    let err = read_with(&limited(), &path).await.unwrap_err().to_string();
    assert!(
        err.contains("big.csv: line 3, record 2, byte 16: record longer than max_record_bytes (1048576 bytes)"),
        "{err}"
    );
    // Under `skip` the record is passed over whole and the rows around it are kept.
    let rows = read_with(&limited().errors(iterable::ErrorPolicy::Skip), &path)
        .await
        .unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["1", "3"]);
    // Raising the limit reads it.
    let rows = read_with(&IterableOptions::read().max_record_bytes(4 * LIMIT), &path)
        .await
        .unwrap();
    assert_eq!(rows[1]["text"].as_str().map(str::len), Some(3 * LIMIT));
}

#[tokio::test]
async fn a_small_record_over_a_small_limit_is_refused_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.csv");
    std::fs::write(&path, "a,b\n1,2\n333333,444444\n5,6\n").unwrap();
    let options = IterableOptions::read()
        .max_record_bytes(10)
        .errors(iterable::ErrorPolicy::Skip);
    let rows = read_with(&options, &path).await.unwrap();
    assert_eq!(rows.len(), 2);
    let err = read_with(&IterableOptions::read().max_record_bytes(10), &path)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 3, record 2, byte 8: record longer than max_record_bytes (10 bytes)"),
        "{err}"
    );
}

#[tokio::test]
async fn gzipped_nul_bytes_read_as_csv_are_an_error_not_zero_rows() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nuls.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&vec![0u8; 4 * LIMIT]).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let err = read_with(&limited(), &path).await.unwrap_err().to_string();
    assert!(err.contains("nuls.csv.gz"), "{err}");
    assert!(err.contains("record longer than max_record_bytes"), "{err}");
}

#[tokio::test]
async fn an_xml_text_node_or_row_past_the_limit_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("text.xml");
    let big = "y".repeat(3 * LIMIT);
    std::fs::write(
        &text,
        format!("<root><item><a>1</a></item><item><b>{big}</b></item></root>"),
    )
    .unwrap();
    let err = read_with(&limited(), &text).await.unwrap_err().to_string();
    assert!(
        err.contains(
            "text.xml: line 1, record 2, byte 27: element longer than max_record_bytes (1048576 bytes)"
        ),
        "{err}"
    );
    // Many small children add up to one row past the limit.
    let children = dir.path().join("children.xml");
    let mut xml = String::from("<root><item>");
    while xml.len() < 2 * LIMIT {
        xml.push_str("<c>0123456789</c>");
    }
    xml.push_str("</item></root>");
    std::fs::write(&children, xml).unwrap();
    let err = read_with(&limited(), &children)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("record 1, byte 6: element longer than max_record_bytes"),
        "{err}"
    );
    assert_eq!(
        read_with(&IterableOptions::read(), &children)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_yaml_document_past_the_limit_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    let big = "z".repeat(3 * LIMIT);
    std::fs::write(&path, format!("a: 1\n---\na: {big}\n")).unwrap();
    let err = read_with(&limited(), &path).await.unwrap_err().to_string();
    assert!(err.contains("big.yaml"), "{err}");
    assert!(err.contains("record 2"), "{err}");
    assert!(
        err.contains("document longer than max_record_bytes (1048576 bytes)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_yaml_sequence_of_50k_rows_in_one_document_reads_whole() {
    // 50,000 rows of 8 keys: 850,000 nodes in one document, past the parser's own
    // default node budget; the record size limit is what bounds a document.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.yaml");
    let mut yaml = String::new();
    for i in 0..50_000 {
        yaml.push_str(&format!(
            "- {{a: {i}, b: x, c: y, d: z, e: 1, f: 2, g: 3, h: 4}}\n"
        ));
    }
    std::fs::write(&path, yaml).unwrap();
    let rows = read_with(&IterableOptions::read(), &path).await.unwrap();
    assert_eq!(rows.len(), 50_000);
    assert_eq!(rows[49_999]["a"], Value::Int(49_999));
}

#[tokio::test]
async fn a_msgpack_string_past_the_limit_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.msgpack");
    let mut bytes = vec![0x81, 0xa1, b'k', 0xdb]; // {"k": str32}
    bytes.extend_from_slice(&((3 * LIMIT) as u32).to_be_bytes());
    bytes.extend(std::iter::repeat_n(b'w', 3 * LIMIT));
    std::fs::write(&path, bytes).unwrap();
    let err = read_with(&limited(), &path).await.unwrap_err().to_string();
    assert!(
        err.contains(
            "big.msgpack: record 1, byte 0: value longer than max_record_bytes (1048576 bytes)"
        ),
        "{err}"
    );
    let rows = read_with(&IterableOptions::read(), &path).await.unwrap();
    assert_eq!(rows[0]["k"].as_str().map(str::len), Some(3 * LIMIT));
}

#[tokio::test]
async fn an_avro_record_past_the_limit_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.avro");
    let rows = [
        row! { "k" => "small" },
        row! { "k" => "w".repeat(3 * LIMIT) },
    ];
    write_all(path.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let err = read_with(&limited(), &path).await.unwrap_err().to_string();
    assert!(
        err.contains("big.avro: record 2, byte ")
            && err.ends_with(": record longer than max_record_bytes (1048576 bytes); raise --max-record-bytes to read it"),
        "{err}"
    );
    let back = read_with(&IterableOptions::read(), &path).await.unwrap();
    assert_eq!(back, rows);
}

#[tokio::test]
async fn a_toml_document_past_the_limit_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.toml");
    let big = "v".repeat(3 * LIMIT);
    std::fs::write(&path, format!("[[item]]\na = \"{big}\"\n")).unwrap();
    let err = read_with(&limited(), &path).await.unwrap_err().to_string();
    assert!(err.contains("big.toml"), "{err}");
    assert!(
        err.contains("document longer than max_record_bytes (1048576 bytes)"),
        "{err}"
    );
}

/// `good` (an XLSX our writer made) with `extra` cells added to its sheet.
fn workbook_with(good: &[u8], extra: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(good)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains("</sheetData>"), "{text}");
            bytes = text
                .replace("</sheetData>", &format!("{extra}</sheetData>"))
                .into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[tokio::test]
async fn an_xlsx_cell_far_away_or_beyond_excel_is_an_error_not_gigabytes() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.xlsx");
    let rows: Vec<Row> = (0..3)
        .map(|i| iterable::row! { "id" => i as i64, "name" => "x" })
        .collect();
    write_all(good.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let good = std::fs::read(&good).unwrap();
    for (name, extra, expected) in [
        (
            "far.xlsx",
            r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
            "spans 17179869184 cells from its first cell to row 1048576, column 16384 (at most 33554432 are laid out: max_unpacked_bytes / 32 bytes a cell; raise --max-unpacked-bytes to read it)",
        ),
        (
            "beyond.xlsx",
            r#"<row r="99999999"><c r="ZZZZZZ99999999"><v>1</v></c></row>"#,
            "beyond Excel's 1048576 rows and 16384 columns",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, workbook_with(&good, extra)).unwrap();
        let err = read_with(&IterableOptions::read(), &path)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(name) && err.contains(expected),
            "{name}: {err}"
        );
    }
    // A few cells further out, within the limit, still read.
    let path = dir.path().join("wider.xlsx");
    std::fs::write(
        &path,
        workbook_with(&good, r#"<row r="10"><c r="E10"><v>7</v></c></row>"#),
    )
    .unwrap();
    let rows = read_with(&IterableOptions::read(), &path).await.unwrap();
    assert_eq!(rows.len(), 9);
    assert_eq!(rows[8]["column_5"], Value::Int(7));
}

#[tokio::test]
async fn an_xlsx_that_unpacks_past_the_limit_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    let rows: Vec<Row> = (0..2000)
        .map(|i| iterable::row! { "id" => i as i64, "text" => "the same words again and again" })
        .collect();
    write_all(path.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let err = read_with(&IterableOptions::read().max_unpacked_bytes(10_000), &path)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("book.xlsx"), "{err}");
    assert!(
        err.contains(
            "more than max_unpacked_bytes (10000 bytes); raise --max-unpacked-bytes to read it"
        ),
        "{err}"
    );
    assert_eq!(
        read_with(&IterableOptions::read(), &path)
            .await
            .unwrap()
            .len(),
        2000
    );
}
