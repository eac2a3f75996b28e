//! The columnar road out of Parquet and Arrow IPC (record batches written as CSV, TSV
//! or JSON Lines with no row made a record) against the row road (`by_rows`): the same
//! bytes, counts and errors, on the shared conformance files and on a file of every
//! common type with the values that make text writers quote, escape or fall back.

use iterable::{ConvertOptions, IterableOptions};
use iterable_tests::shared_conformance_set;

/// Converts `input` into `name` (in `dir`) by both roads, checks that they agree, and
/// returns the columnar road's output text.
async fn both_roads(input: &str, dir: &std::path::Path, name: &str) -> Result<String, String> {
    let mut outcomes = Vec::new();
    for by_rows in [false, true] {
        let output = dir.join(format!(
            "{}-{name}",
            if by_rows { "rows" } else { "batches" }
        ));
        let options = ConvertOptions::new().by_rows(by_rows);
        let outcome = iterable::aconvert(input, output.to_str().unwrap(), &options)
            .await
            .map(|report| {
                let mut bytes = std::fs::read(&output).unwrap();
                if name.ends_with(".gz") {
                    let mut plain = Vec::new();
                    std::io::Read::read_to_end(
                        &mut flate2::read::GzDecoder::new(&bytes[..]),
                        &mut plain,
                    )
                    .unwrap();
                    bytes = plain;
                }
                (
                    String::from_utf8(bytes).unwrap(),
                    [report.rows_read, report.rows_written, report.rows_skipped],
                )
            })
            .map_err(|e| {
                e.to_string().replace(
                    &format!("{}-", if by_rows { "rows" } else { "batches" }),
                    "",
                )
            });
        outcomes.push(outcome);
    }
    let rows = outcomes.pop().unwrap();
    let batches = outcomes.pop().unwrap();
    assert_eq!(batches, rows, "{input} -> {name}: the roads differ");
    batches.map(|(text, _)| text)
}

/// A Parquet file of every common type, from JSON Lines (by the row road).
async fn rich_parquet(dir: &std::path::Path) -> String {
    let jsonl = concat!(
        "{\"id\": 1, \"name\": \"plain\", \"score\": 2.5, \"ok\": true, \"at\": \"2021-03-04T05:06:07Z\", \"day\": \"2021-03-04\", \"tags\": [\"a\", \"b\"], \"m\": {\"k\": 1}, \"big\": 1}\n",
        "{\"id\": 2, \"name\": \"a, \\\"quoted\\\"\\nline\", \"score\": 1e300, \"ok\": false, \"at\": \"2021-03-05T00:00:00.123456Z\", \"day\": \"2021-03-05\", \"tags\": [], \"m\": null, \"big\": 2}\n",
        "{\"id\": null, \"name\": \" lead\", \"score\": -0.0, \"ok\": null, \"at\": null, \"day\": null, \"tags\": null, \"m\": {\"k\": 2}, \"big\": 3}\n",
        "{\"id\": -9223372036854775808, \"name\": \"\", \"score\": 0.1, \"ok\": true, \"at\": \"1969-12-31T23:59:59Z\", \"day\": \"1900-01-01\", \"tags\": [\"tab\\there\"], \"m\": {\"k\": 3}, \"big\": 4}\n",
        "{\"id\": 5, \"name\": \"#comment-like, unicode \u{e9}\u{1f600}\", \"score\": 3, \"ok\": true, \"at\": \"2021-03-06T01:02:03Z\", \"day\": \"2021-03-06\", \"tags\": [\"x\"], \"m\": {\"k\": 4}, \"big\": 5}\n",
    );
    let input = dir.join("rich.jsonl");
    std::fs::write(&input, jsonl).unwrap();
    let output = dir.join("rich.parquet");
    let options = ConvertOptions::new().by_rows(true);
    iterable::aconvert(input.to_str().unwrap(), output.to_str().unwrap(), &options)
        .await
        .unwrap();
    output.to_string_lossy().into_owned()
}

#[tokio::test]
async fn every_type_writes_the_same_bytes_as_csv_tsv_and_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = rich_parquet(dir.path()).await;
    let csv = both_roads(&parquet, dir.path(), "out.csv").await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("id,name,score,ok,at,day,tags,m,big"));
    assert!(csv.contains("\"a, \"\"quoted\"\"\nline\""), "{csv}");
    assert!(csv.contains("\" lead\""), "{csv}");
    both_roads(&parquet, dir.path(), "out.tsv").await.unwrap();
    both_roads(&parquet, dir.path(), "out.csv.gz")
        .await
        .unwrap_or_default();
    let jsonl = both_roads(&parquet, dir.path(), "out.jsonl").await.unwrap();
    assert_eq!(jsonl.lines().count(), 5);
    assert!(
        jsonl.starts_with("{\"id\":1,\"name\":\"plain\",\"score\":2.5,\"ok\":true,"),
        "{jsonl}"
    );

    // The same batches from Arrow IPC.
    let arrow = dir.path().join("rich.arrow");
    iterable::aconvert(&parquet, arrow.to_str().unwrap(), &ConvertOptions::new())
        .await
        .unwrap();
    let from_arrow = both_roads(arrow.to_str().unwrap(), dir.path(), "again.csv")
        .await
        .unwrap();
    assert_eq!(from_arrow, csv);
}

#[tokio::test]
async fn one_column_with_an_empty_string_and_other_delimiters_write_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("one.jsonl");
    std::fs::write(&input, "{\"v\": \"\"}\n{\"v\": \"x|y;z\"}\n{\"v\": null}\n").unwrap();
    let parquet = dir.path().join("one.parquet");
    iterable::aconvert(
        input.to_str().unwrap(),
        parquet.to_str().unwrap(),
        &ConvertOptions::new(),
    )
    .await
    .unwrap();
    let parquet = parquet.to_str().unwrap();
    let csv = both_roads(parquet, dir.path(), "one.csv").await.unwrap();
    assert_eq!(csv, "v\n\"\"\nx|y;z\n\"\"\n");
    both_roads(parquet, dir.path(), "one.psv").await.unwrap();
    both_roads(parquet, dir.path(), "one.ssv").await.unwrap();

    // A file of columns and no rows.
    let header_only = dir.path().join("header.csv");
    std::fs::write(&header_only, "a,b\n").unwrap();
    let empty = dir.path().join("empty.parquet");
    let options = ConvertOptions::new();
    iterable::aconvert(
        header_only.to_str().unwrap(),
        empty.to_str().unwrap(),
        &options,
    )
    .await
    .unwrap();
    let csv = both_roads(empty.to_str().unwrap(), dir.path(), "empty.csv").await;
    assert_eq!(csv.unwrap(), "");
}

#[tokio::test]
async fn the_shared_parquet_and_arrow_files_write_the_same() {
    let mut converted = 0;
    for set in ["iterabledata", "iterabledata-formats"] {
        let Some(folder) = shared_conformance_set(set) else {
            continue;
        };
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.ends_with(".parquet") || name.ends_with(".arrow")) {
                continue;
            }
            let dir = tempfile::tempdir().unwrap();
            for out in ["out.csv", "out.jsonl"] {
                if both_roads(path.to_str().unwrap(), dir.path(), out)
                    .await
                    .is_ok()
                {
                    converted += 1;
                }
            }
        }
    }
    if shared_conformance_set("iterabledata").is_some() {
        assert!(converted >= 4, "{converted}");
    }
}

#[tokio::test]
async fn options_that_need_rows_keep_the_row_road() {
    // `columns` picks columns on the read side: the row road, the same bytes as asked.
    let dir = tempfile::tempdir().unwrap();
    let parquet = rich_parquet(dir.path()).await;
    let output = dir.path().join("two.csv");
    let options = ConvertOptions::new().read(IterableOptions::read().columns(["name", "id"]));
    iterable::aconvert(&parquet, output.to_str().unwrap(), &options)
        .await
        .unwrap();
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(text.starts_with("name,id\nplain,1\n"), "{text}");
}
