//! The columnar road of `aconvert` (delimited text read straight into record batches)
//! against the row road (`by_rows`): the same columns, types, rows, counts and errors,
//! on every delimited file of testdata/ and of the shared conformance sets, on crafted
//! edge cases, across blocks parsed on other threads, under each error policy; and
//! `aopen_batches` on CSV.

use futures::StreamExt;
use iterable::arrow::{self, RecordBatch, schema_to_text};
use iterable::{ConvertOptions, ErrorPolicy, IterableOptions, Row};
use iterable_tests::{collect, test_files};

/// What one conversion gave: the output's columns and types, its rows, and the
/// report's counts (read, written, skipped); or the error's text.
pub(crate) type Outcome = Result<(Vec<(String, String)>, Vec<Row>, [u64; 3]), String>;

async fn convert(input: &str, output: &str, options: ConvertOptions) -> Outcome {
    let report = iterable::aconvert(input, output, &options)
        .await
        .map_err(|e| e.to_string())?;
    let schema = arrow::aschema(output, &IterableOptions::read())
        .await
        .map_err(|e| e.to_string())?;
    let rows = collect(iterable::aopen_iterable(output).await.unwrap())
        .await
        .unwrap();
    let counts = [report.rows_read, report.rows_written, report.rows_skipped];
    Ok((schema_to_text(&schema), rows, counts))
}

/// Converts `input` by both roads (into `.parquet` files in `dir`) and checks they
/// agree; returns the columnar road's outcome.
pub(crate) async fn both_roads(
    input: &str,
    dir: &std::path::Path,
    options: ConvertOptions,
) -> Outcome {
    let by_batches = dir.join("by_batches.parquet");
    let by_rows = dir.join("by_rows.parquet");
    let columnar = convert(input, by_batches.to_str().unwrap(), options.clone()).await;
    let rows = convert(input, by_rows.to_str().unwrap(), options.by_rows(true)).await;
    match (&columnar, &rows) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.0, b.0, "{input}: the columns and types differ");
            assert_eq!(a.2, b.2, "{input}: the counts differ");
            assert_eq!(a.1, b.1, "{input}: the rows differ");
        }
        (Err(a), Err(b)) => {
            // Each names its own output file.
            let a = a.replace("by_batches", "OUT");
            let b = b.replace("by_rows", "OUT");
            assert_eq!(a, b, "{input}: the errors differ");
        }
        _ => panic!("{input}: one road failed: columnar {columnar:?}, rows {rows:?}"),
    }
    columnar
}

/// Whether a file's name ends with one of `extensions`, before any codec's.
pub(crate) fn named(name: &str, extensions: &[&str]) -> bool {
    let name = name.to_ascii_lowercase();
    extensions
        .iter()
        .any(|ext| name.ends_with(ext) || name.contains(&format!("{ext}.")))
}

/// Converts every test file of these extensions by both roads (which must agree);
/// how many of how many converted without an error.
pub(crate) async fn every_file_by_both_roads(extensions: &[&str]) -> (usize, usize) {
    let files = test_files(|name| named(name, extensions));
    let mut converted = 0;
    for file in &files {
        let dir = tempfile::tempdir().unwrap();
        if both_roads(file.to_str().unwrap(), dir.path(), ConvertOptions::new())
            .await
            .is_ok()
        {
            converted += 1;
        }
    }
    (converted, files.len())
}

#[tokio::test]
async fn every_delimited_file_converts_the_same_by_both_roads() {
    let (converted, files) = every_file_by_both_roads(&[".csv", ".tsv", ".psv", ".ssv"]).await;
    assert!(files >= 13, "{files} files");
    // A few peer fixtures are errors on purpose (an unknown codec), the same by both.
    assert!(converted >= 13, "{converted} of {files}");
}

/// Writes `text` to `name` in a new folder and converts it by both roads.
pub(crate) async fn case(name: &str, text: &[u8], options: ConvertOptions) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(name);
    std::fs::write(&input, text).unwrap();
    both_roads(input.to_str().unwrap(), dir.path(), options).await
}

#[tokio::test]
async fn doubled_quotes_stand_for_one_on_both_roads() {
    let csv = "id,said,note\n\
        1,\"she said \"\"hi\"\"\",plain\n\
        2,\"\"\"\",\"é\"\"ß\"\"\"\n\
        3,\"two\nlines \"\"q\"\"\",\"a,b\"\n";
    let (_, rows, counts) = case("quotes.csv", csv.as_bytes(), ConvertOptions::new())
        .await
        .unwrap();
    assert_eq!(counts, [3, 3, 0]);
    let said: Vec<&str> = rows.iter().map(|r| r["said"].as_str().unwrap()).collect();
    assert_eq!(said, ["she said \"hi\"", "\"", "two\nlines \"q\""]);
    let note: Vec<&str> = rows.iter().map(|r| r["note"].as_str().unwrap()).collect();
    assert_eq!(note, ["plain", "é\"ß\"", "a,b"]);
}

#[tokio::test]
async fn each_column_takes_one_type_and_empty_fields_are_nulls() {
    let csv = "id,name,score,when,day,flag,zip,note\n\
        1,Anna,2.5,2021-03-04T05:06:07+02:00,2021-03-04,true,01234,\n\
        2,Ben,3,2021-03-05T00:00:00Z,2021-03-05 10:00:00,FALSE,99999,x\n\
        ,,,,,,,\n\
        3,\"Cleo, Jr.\",\"4\",2021-03-06T01:02:03.123456Z,2021-03-06,true,00001\n";
    let (columns, rows, counts) = case("typed.csv", csv.as_bytes(), ConvertOptions::new())
        .await
        .unwrap();
    let types: Vec<&str> = columns.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "Int64",
            "Utf8",
            "Float64",
            "Timestamp(µs, \"UTC\")",
            "Timestamp(µs)",
            "Boolean",
            "Utf8",
            "Utf8"
        ]
    );
    assert_eq!(counts, [4, 4, 0]);
    assert_eq!(rows[0]["when"].to_string(), "2021-03-04T03:06:07Z");
    assert_eq!(rows[1]["day"].to_string(), "2021-03-05T10:00:00");
    assert!(rows[2]["id"].is_null() && rows[2]["flag"].is_null());
    assert_eq!(rows[2]["note"].as_str(), Some(""), "empty text stays text");
    assert!(
        rows[3]["note"].is_null(),
        "a field the record lacks is null"
    );
    assert_eq!(rows[3]["zip"].as_str(), Some("00001"));
}

#[tokio::test]
async fn sub_microsecond_digits_make_a_nanosecond_column() {
    let csv = "at\n2021-03-04T05:06:07.123456789\n2021-03-04T05:06:08\n";
    let (columns, rows, _) = case("ns.csv", csv.as_bytes(), ConvertOptions::new())
        .await
        .unwrap();
    assert_eq!(columns[0].1, "Timestamp(ns)");
    assert_eq!(rows[0]["at"].to_string(), "2021-03-04T05:06:07.123456789");
}

#[tokio::test]
async fn a_field_that_does_not_fit_is_the_same_error_naming_row_and_column() {
    let mut csv = String::from("id,qty\n");
    for i in 0..50 {
        csv.push_str(&format!("{i},{i}\n"));
    }
    csv.push_str("50,n/a\n");
    let options = ConvertOptions::new().write(IterableOptions::write().schema_scan_rows(10));
    let err = case("misfit.csv", csv.as_bytes(), options)
        .await
        .unwrap_err();
    assert!(
        err.ends_with(
            "by_batches.parquet: row 51: column \"qty\": \"n/a\" is not an integer as the first 10 rows typed it; raise schema_scan_rows (CLI: --schema-rows N) or give a schema (CLI: --schema FILE)"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn text_stays_text_when_typing_is_off_and_tsv_with_a_bom_and_crlf_reads() {
    let tsv = "\u{feff}id\tname\r\n1\tAnna\r\n2\tBen\r\n";
    let options = ConvertOptions::new().type_text(false);
    let (columns, rows, _) = case("plain.tsv", tsv.as_bytes(), options).await.unwrap();
    assert_eq!(
        columns,
        [
            ("id".to_owned(), "Utf8".to_owned()),
            ("name".to_owned(), "Utf8".to_owned())
        ]
    );
    assert_eq!(rows[1]["id"].as_str(), Some("2"));
}

#[tokio::test]
async fn a_header_alone_makes_a_file_of_its_columns_and_no_rows() {
    // The row road sees no row, so no column: only the columnar road keeps them.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("header.csv");
    std::fs::write(&input, "id,name\n").unwrap();
    let output = dir.path().join("header.parquet");
    let (columns, rows, counts) = convert(
        input.to_str().unwrap(),
        output.to_str().unwrap(),
        ConvertOptions::new(),
    )
    .await
    .unwrap();
    assert_eq!(columns.len(), 2);
    assert!(rows.is_empty());
    assert_eq!(counts, [0, 0, 0]);
}

/// A CSV of `rows` rows (several blocks of the parallel parser), with a record of too
/// many fields every `bad_every` rows.
fn many_rows(rows: usize, bad_every: usize) -> String {
    let mut csv = String::from("id,name,amount,when\n");
    for i in 0..rows {
        if i % bad_every == bad_every - 1 {
            csv.push_str("oops,too,many,fields,here\n");
            continue;
        }
        csv.push_str(&format!(
            "{i},\"name {i}, quoted\",{}.{:02},2024-01-{:02}T10:00:00Z\n",
            i * 3,
            i % 100,
            i % 28 + 1
        ));
    }
    csv
}

#[tokio::test]
async fn bad_records_in_many_blocks_follow_the_error_policy_the_same() {
    let csv = many_rows(60_000, 7_001);
    let skip = ConvertOptions::new().read(IterableOptions::read().errors(ErrorPolicy::Skip));
    let (_, rows, counts) = case("many.csv", csv.as_bytes(), skip).await.unwrap();
    assert_eq!(counts, [59_992, 59_992, 8]);
    assert_eq!(rows.len(), 59_992);

    let err = case("many.csv", csv.as_bytes(), ConvertOptions::new())
        .await
        .unwrap_err();
    assert!(
        err.contains("record 7001") && err.contains("record has 5 fields, header has 4"),
        "{err}"
    );
}

#[tokio::test]
async fn open_batches_on_csv_gives_batch_size_rows_typed_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("many.csv");
    std::fs::write(&input, many_rows(30_000, 1_000_000)).unwrap();
    let input = input.to_str().unwrap();

    let options = IterableOptions::read().infer_types(true).batch_size(1000);
    let batches: Vec<RecordBatch> = arrow::aopen_batches(input, &options)
        .await
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
        .await;
    assert!(batches.iter().all(|b| b.num_rows() <= 1000));
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 30_000);
    let types: Vec<String> = schema_to_text(&batches[0].schema())
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(
        types,
        ["Int64", "Utf8", "Float64", "Timestamp(µs, \"UTC\")"]
    );
    let schema = arrow::aschema(input, &options).await.unwrap();
    assert_eq!(schema, batches[0].schema());

    // Text unless asked.
    let plain = arrow::aschema(input, &IterableOptions::read())
        .await
        .unwrap();
    assert!(
        plain
            .fields()
            .iter()
            .all(|f| f.data_type() == &arrow::DataType::Utf8)
    );
}

/// `columns` on the columnar roads of CSV and JSON Lines: batches (and the schema) of
/// just those columns, in the asked order; a column the input lacks is named.
#[tokio::test]
async fn open_batches_picks_columns_of_csv_and_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("picked.csv");
    std::fs::write(&csv, "id,name,score\n1,Anna,2.5\n2,Ben,3.5\n").unwrap();
    let jsonl = dir.path().join("picked.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":1,\"name\":\"Anna\",\"score\":2.5}\n{\"id\":2,\"name\":\"Ben\",\"score\":3.5}\n",
    )
    .unwrap();
    for input in [csv.to_str().unwrap(), jsonl.to_str().unwrap()] {
        let options = IterableOptions::read()
            .infer_types(true)
            .columns(["score", "id"]);
        let batches: Vec<RecordBatch> = arrow::aopen_batches(input, &options)
            .await
            .unwrap()
            .map(|b| b.unwrap())
            .collect()
            .await;
        let rows = iterable::arrow::record_batch_to_rows(
            &batches[0],
            &std::sync::Arc::new(iterable::Header::new(vec!["score".into(), "id".into()])),
        )
        .unwrap();
        assert_eq!(
            rows,
            vec![
                iterable::row! { "score" => 2.5, "id" => 1i64 },
                iterable::row! { "score" => 3.5, "id" => 2i64 }
            ],
            "{input}"
        );
        assert_eq!(
            schema_to_text(&arrow::aschema(input, &options).await.unwrap()),
            [
                ("score".to_owned(), "Float64".to_owned()),
                ("id".to_owned(), "Int64".to_owned())
            ],
            "{input}"
        );

        let missing = IterableOptions::read().columns(["id", "age"]);
        let err = match arrow::aopen_batches(input, &missing).await {
            Ok(mut batches) => batches.next().await.unwrap().unwrap_err(),
            Err(e) => e,
        }
        .to_string();
        assert!(
            err.contains(r#"column "age" (asked for by `columns`) is not in the input; its columns: id, name, score"#),
            "{err}"
        );
    }
}

#[tokio::test]
async fn with_infer_types_an_empty_field_is_null_in_every_column() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("gaps.csv");
    std::fs::write(&input, "id,city,day\n1,,2021-03-04\n2,Oslo,\n").unwrap();
    let options = IterableOptions::read().infer_types(true);
    let mut batches = arrow::aopen_batches(input.to_str().unwrap(), &options)
        .await
        .unwrap();
    let batch = batches.next().await.unwrap().unwrap();
    let types: Vec<String> = schema_to_text(&batch.schema())
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(types, ["Int64", "Utf8", "Date32"]);
    assert_eq!(batch.column(1).null_count(), 1);
    assert_eq!(batch.column(2).null_count(), 1);
}

#[tokio::test]
async fn asked_decimals_are_exact_by_both_roads_and_more_places_later_are_an_error() {
    let csv = "id,amount,rate,big\n\
        1,0.10,1.5e3,10\n\
        2,12.5,2,20.25\n\
        3,,3,-7\n\
        4,-3,4.25,0.125\n";
    let options = ConvertOptions::new().decimals(true);
    let (columns, rows, counts) = case("money.csv", csv.as_bytes(), options.clone())
        .await
        .unwrap();
    let types: Vec<&str> = columns.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        types,
        ["Int64", "Decimal128(38, 2)", "Float64", "Decimal128(38, 3)"]
    );
    assert_eq!(counts, [4, 4, 0]);
    let amounts: Vec<String> = rows.iter().map(|r| r["amount"].to_string()).collect();
    assert_eq!(amounts, ["0.10", "12.50", "", "-3.00"]);
    assert!(rows[2]["amount"].is_null());
    assert_eq!(rows[3]["big"].to_string(), "0.125");

    // Without asking, the same text is floats.
    let (columns, ..) = case("money.csv", csv.as_bytes(), ConvertOptions::new())
        .await
        .unwrap();
    assert_eq!(columns[1].1, "Float64");

    // A field past the sample with more places is an error, never a rounded value.
    let mut csv = String::from("amount\n");
    for i in 0..20 {
        csv.push_str(&format!("{i}.5\n"));
    }
    csv.push_str("1.25\n");
    let options = options.write(IterableOptions::write().schema_scan_rows(10));
    let err = case("places.csv", csv.as_bytes(), options)
        .await
        .unwrap_err();
    assert!(
        err.ends_with(
            "by_batches.parquet: row 21: column \"amount\": \"1.25\" is not a decimal of at most 1 place and 38 digits as the first 10 rows typed it; raise schema_scan_rows (CLI: --schema-rows N) or give a schema (CLI: --schema FILE)"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_schema_decimal_column_reads_its_text_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("prices.csv");
    std::fs::write(&input, "sku,price\na,19.99\nb,0.1\nc,\n").unwrap();
    let output = dir.path().join("prices.parquet");
    let write = IterableOptions::write().schema([("sku", "Utf8"), ("price", "Decimal128(10, 2)")]);
    let options = ConvertOptions::new().write(write);
    let (columns, rows, _) = convert(input.to_str().unwrap(), output.to_str().unwrap(), options)
        .await
        .unwrap();
    assert_eq!(
        columns[1],
        ("price".to_owned(), "Decimal128(10, 2)".to_owned())
    );
    let prices: Vec<String> = rows.iter().map(|r| r["price"].to_string()).collect();
    assert_eq!(prices, ["19.99", "0.10", ""]);
}
