//! The columnar road of `aconvert` for JSON Lines (flat records appended straight to
//! column buffers, anything else by rows) against the row road (`by_rows`): the same
//! columns, types, rows, counts and errors on every JSON Lines file of testdata/ and
//! the shared conformance sets, on crafted edge cases (nested values, keys out of
//! order, escapes, repeated keys, values that do not fit), with rows by both ways mixed
//! in one batch, and under each error policy; and the strings typed as dates and
//! timestamps on both roads.

use futures::StreamExt;
use iterable::arrow::{self, RecordBatch};
use iterable::{ConvertOptions, ErrorPolicy, IterableOptions, Row, Value};

use crate::text_columnar::{case, every_file_by_both_roads};

#[tokio::test]
async fn every_json_lines_file_converts_the_same_by_both_roads() {
    let (converted, files) = every_file_by_both_roads(&[".jsonl", ".ndjson"]).await;
    assert!(files >= 4, "{files} files");
    assert!(converted >= 4, "{converted} of {files}");
}

#[tokio::test]
async fn flat_records_keep_json_types_and_strings_of_dates_become_dates() {
    let jsonl = concat!(
        "{\"id\": 1, \"name\": \"Anna\", \"score\": 2.5, \"ok\": true, \"zip\": \"01234\", \"n\": \"42\", \"at\": \"2021-03-04T05:06:07+02:00\", \"day\": \"2021-03-04\"}\n",
        "{\"id\": 2, \"name\": \"B\\u00e9n \\\"B\\\"\", \"score\": 3, \"ok\": false, \"zip\": \"99999\", \"n\": \"7\", \"at\": \"2021-03-05T00:00:00\\u005a\", \"day\": \"2021\\u002d03-05\"}\n",
        "\n",
        "{\"day\": null, \"at\": \"\", \"id\": null, \"name\": null}\r\n",
        "{\"id\": -3, \"score\": -0, \"name\": \"\", \"zip\": \"x\", \"n\": \"\", \"ok\": null}",
    );
    let (columns, rows, counts) = case("flat.jsonl", jsonl.as_bytes(), ConvertOptions::new())
        .await
        .unwrap();
    let types: Vec<(&str, &str)> = columns
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        types,
        [
            ("id", "Int64"),
            ("name", "Utf8"),
            ("score", "Float64"),
            ("ok", "Boolean"),
            ("zip", "Utf8"),
            ("n", "Utf8"),
            ("at", "Timestamp(µs, \"UTC\")"),
            ("day", "Date32"),
        ]
    );
    assert_eq!(counts, [4, 4, 0]);
    assert_eq!(rows[0]["at"].to_string(), "2021-03-04T03:06:07Z");
    assert_eq!(rows[1]["name"], Value::from("Bén \"B\""));
    assert_eq!(
        (rows[1]["at"].to_string(), rows[1]["day"].to_string()),
        ("2021-03-05T00:00:00Z".to_owned(), "2021-03-05".to_owned()),
        "escapes in date strings, after an escaped name on the same line"
    );
    assert_eq!(rows[1]["score"], Value::Float(3.0));
    assert_eq!(
        rows[0]["n"],
        Value::from("42"),
        "a number in a string stays one"
    );
    assert!(
        rows[2]["at"].is_null(),
        "an empty string in a date column is null"
    );
    assert!(rows[2]["score"].is_null(), "a missing key is null");
    assert_eq!(rows[3]["name"], Value::from(""));
    assert_eq!(rows[3]["score"], Value::Float(-0.0));
}

#[tokio::test]
async fn records_the_sink_leaves_go_by_rows_in_order() {
    // Two rows decide the schema; then keys out of order, an escaped key, a repeated
    // key, a big integer into a float column and a nested value in a text column's
    // place: each of those lines goes by rows, in its place among the others.
    let options = ConvertOptions::new()
        .write(IterableOptions::write().schema_scan_rows(2))
        .read(IterableOptions::read().batch_size(3));
    let mut jsonl =
        String::from("{\"a\": 1, \"b\": \"x\", \"f\": 1.5}\n{\"a\": 2, \"b\": \"y\", \"f\": 2}\n");
    for i in 3..40 {
        let line = match i % 5 {
            0 => format!("{{\"f\": {i}.5, \"b\": \"out of order\", \"a\": {i}}}\n"),
            1 => format!("{{\"\\u0061\": {i}, \"b\": \"escaped key\"}}\n"),
            2 => format!("{{\"a\": {i}, \"a\": {}, \"b\": \"twice\"}}\n", i * 10),
            _ => format!("{{\"a\": {i}, \"b\": \"plain {i}\", \"f\": {i}}}\n"),
        };
        jsonl.push_str(&line);
    }
    let (columns, rows, counts) = case("mixed.jsonl", jsonl.as_bytes(), options)
        .await
        .unwrap();
    assert_eq!(columns.len(), 3);
    assert_eq!(counts, [39, 39, 0]);
    let a: Vec<i64> = rows.iter().map(|r| r["a"].as_i64().unwrap()).collect();
    let mut expected: Vec<i64> = vec![1, 2];
    expected.extend((3..40).map(|i| if i % 5 == 2 { i * 10 } else { i }));
    assert_eq!(
        a, expected,
        "repeated keys keep the last value, rows stay in order"
    );
}

#[tokio::test]
async fn a_value_that_does_not_fit_is_the_same_error_on_both_roads() {
    let options = || ConvertOptions::new().write(IterableOptions::write().schema_scan_rows(2));
    let cases: [(&str, &str); 5] = [
        ("{\"q\": 1}\n{\"q\": 2}\n{\"q\": 2.5}\n", "row 3"),
        ("{\"q\": 1}\n{\"q\": 2}\n{\"q\": \"3\"}\n", "row 3"),
        (
            "{\"q\": 1}\n{\"q\": 2}\n{\"q\": 3, \"extra\": 1}\n",
            "the schema has no such column",
        ),
        ("{\"q\": 1}\n{\"q\": 2}\n{\"q\": [1]}\n", "row 3"),
        (
            "{\"d\": \"2021-01-01\"}\n{\"d\": \"2021-01-02\"}\n{\"d\": \"2021-02-30\"}\n",
            "row 3: column \"d\": \"2021-02-30\" is not a date as the first 2 rows typed it",
        ),
    ];
    for (jsonl, wanted) in cases {
        let err = case("bad.jsonl", jsonl.as_bytes(), options())
            .await
            .unwrap_err();
        assert!(err.contains(wanted), "{jsonl:?}: {err}");
    }
}

#[tokio::test]
async fn bad_lines_follow_the_error_policy_the_same() {
    let mut jsonl = String::new();
    for i in 0..5_000 {
        if i % 1_001 == 1_000 {
            jsonl.push_str("{\"id\": oops}\n");
        } else {
            jsonl.push_str(&format!(
                "{{\"id\": {i}, \"name\": \"n{i}\", \"at\": \"2024-01-{:02}T10:00:00Z\"}}\n",
                i % 28 + 1
            ));
        }
    }
    let skip = ConvertOptions::new().read(IterableOptions::read().errors(ErrorPolicy::Skip));
    let (_, rows, counts) = case("many.jsonl", jsonl.as_bytes(), skip).await.unwrap();
    assert_eq!(counts, [4_996, 4_996, 4]);
    assert_eq!(rows[1_000]["id"], Value::Int(1_001));

    let err = case("many.jsonl", jsonl.as_bytes(), ConvertOptions::new())
        .await
        .unwrap_err();
    assert!(err.contains("line 1001"), "{err}");
}

#[tokio::test]
async fn nested_columns_and_an_empty_file_go_the_same() {
    let nested = "{\"id\": 1, \"tags\": [\"a\", \"b\"], \"m\": {\"k\": 1}}\n{\"id\": 2, \"tags\": [], \"m\": null}\n";
    let (columns, rows, _) = case("nested.jsonl", nested.as_bytes(), ConvertOptions::new())
        .await
        .unwrap();
    assert_eq!(columns[1].1, "List(Utf8)");
    assert_eq!(rows[0]["tags"], Value::List(vec!["a".into(), "b".into()]));

    let (columns, rows, counts) = case("empty.jsonl", b"", ConvertOptions::new())
        .await
        .unwrap();
    assert!(columns.is_empty() && rows.is_empty());
    assert_eq!(counts, [0, 0, 0]);
}

#[tokio::test]
async fn typing_off_keeps_json_strings_as_strings() {
    let jsonl = "{\"at\": \"2021-03-04T05:06:07Z\"}\n";
    let options = ConvertOptions::new().type_text(false);
    let (columns, rows, _) = case("off.jsonl", jsonl.as_bytes(), options).await.unwrap();
    assert_eq!(columns[0].1, "Utf8");
    assert_eq!(rows[0]["at"], Value::from("2021-03-04T05:06:07Z"));
}

/// The rows of every batch of `batches`, the batches' schema (the same for all) and
/// each batch's rows.
async fn rows_of(mut batches: arrow::BatchStream) -> (Vec<Row>, Vec<(String, String)>, Vec<usize>) {
    let mut rows = Vec::new();
    let mut schema = Vec::new();
    let mut sizes = Vec::new();
    while let Some(batch) = batches.next().await {
        let batch: RecordBatch = batch.unwrap();
        sizes.push(batch.num_rows());
        let s = batch.schema();
        schema = arrow::schema_to_text(&s);
        let header = iterable::Header::new(s.fields().iter().map(|f| f.name().clone()).collect());
        rows.extend(arrow::record_batch_to_rows(&batch, &std::sync::Arc::new(header)).unwrap());
    }
    (rows, schema, sizes)
}

#[tokio::test]
async fn open_batches_on_json_lines_gives_the_rows_of_the_row_road() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.jsonl");
    let mut jsonl = String::new();
    for i in 0..3_000 {
        jsonl.push_str(&match i % 100 {
            // A repeated key: this line goes by rows, among lines that do not.
            7 => format!("{{\"id\": 0, \"id\": {i}, \"name\": null}}\n"),
            8 => format!("{{\"name\": \"\\u00e9\", \"id\": {i}}}\n"),
            _ => format!(
                "{{\"id\": {i}, \"name\": \"n\\t{i}\", \"at\": \"2024-01-01T00:00:00Z\"}}\n"
            ),
        });
    }
    std::fs::write(&path, jsonl).unwrap();
    let path = path.to_str().unwrap();
    let options = IterableOptions::read().batch_size(700);
    let by_batches = rows_of(arrow::aopen_batches(path, &options).await.unwrap()).await;
    let rows = iterable::aopen_iterable(path).await.unwrap();
    let by_rows = rows_of(arrow::batches(rows, &options).unwrap()).await;
    assert_eq!(by_batches.1, by_rows.1);
    assert_eq!(by_batches.0.len(), 3_000);
    assert_eq!(by_batches.0, by_rows.0);
    // Strings stay strings here, as for any row format.
    assert!(by_batches.1.contains(&("at".to_owned(), "Utf8".to_owned())));
}

/// Over 3 MiB of JSON Lines (blocks of 1 MiB on the columnar road): flat records, with
/// lines the sink leaves (a repeated key, an escaped key) and a bad line every 4,001.
fn long_jsonl() -> String {
    let mut jsonl = String::new();
    for i in 0..30_000 {
        jsonl.push_str(&match i % 4_001 {
            4_000 => "{\"id\": oops}\n".to_owned(),
            77 => format!("{{\"id\": 0, \"id\": {i}, \"name\": null}}\n"),
            78 => format!("{{\"n\\u0061me\": \"escaped\", \"id\": {i}}}\n"),
            _ => format!(
                "{{\"id\": {i}, \"name\": \"name number {i} with some words to fill the line up\", \"score\": {}.25, \"at\": \"2024-01-{:02}T10:00:{:02}Z\"}}\n",
                i % 977,
                i % 28 + 1,
                i % 60
            ),
        });
    }
    assert!(jsonl.len() > 3 << 20, "{}", jsonl.len());
    jsonl
}

/// [`long_jsonl`] read into batches by one parsing thread and by two, under `options`
/// (and the Skip policy): what [`rows_of`] gives for each.
async fn long_jsonl_by_threads(
    options: IterableOptions,
) -> [(Vec<Row>, Vec<(String, String)>, Vec<usize>); 2] {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.jsonl");
    std::fs::write(&path, long_jsonl()).unwrap();
    let path = path.to_str().unwrap();
    let read = |threads| {
        options
            .clone()
            .errors(ErrorPolicy::Skip)
            .parse_threads(threads)
    };
    let one = rows_of(arrow::aopen_batches(path, &read(1)).await.unwrap()).await;
    let two = rows_of(arrow::aopen_batches(path, &read(2)).await.unwrap()).await;
    [one, two]
}

/// A text of [`long_jsonl`]'s lines with line 20,001 made not UTF-8 (a 0xFF byte for
/// the first of its name) and line 20,002 holding non-ASCII text; the bytes, and where
/// the bad byte is.
fn with_bad_bytes(long_jsonl: String) -> (Vec<u8>, usize) {
    let text = long_jsonl.replace("name number 20001 ", "name número 20001 ");
    let mut bytes = text.into_bytes();
    let at = bytes
        .windows(18)
        .position(|w| w == b"name number 20000 ")
        .unwrap();
    bytes[at] = 0xFF;
    (bytes, at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_not_utf8_is_the_same_error_by_one_thread_and_two() {
    let (jsonl, _) = with_bad_bytes(long_jsonl());
    for threads in [1, 2] {
        let read = |policy| {
            ConvertOptions::new().read(
                IterableOptions::read()
                    .errors(policy)
                    .parse_threads(threads),
            )
        };
        let (_, rows, counts) = case("long.jsonl", &jsonl, read(ErrorPolicy::Skip))
            .await
            .unwrap();
        assert_eq!(counts, [29_992, 29_992, 8], "{threads} threads");
        let next = rows.iter().position(|r| r["id"] == Value::Int(20_001));
        let next = &rows[next.unwrap()];
        assert_eq!(
            next["name"],
            Value::from("name número 20001 with some words to fill the line up")
        );
        assert!(rows.iter().all(|r| r["id"] != Value::Int(20_000)));
        let err = case("long.jsonl", &jsonl, read(ErrorPolicy::Fail))
            .await
            .unwrap_err();
        assert!(err.contains("line 4001"), "{threads} threads: {err}");
    }
    // Without the earlier bad lines, the first error is the bad byte's line.
    let (bytes, at) = with_bad_bytes(long_jsonl().replace("{\"id\": oops}", "{\"id\": 1}"));
    let err = case("long.jsonl", &bytes, ConvertOptions::new())
        .await
        .unwrap_err();
    let line_start = bytes[..at].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    assert!(
        err.contains(&format!("line 20001, record 20001, byte {line_start}:")),
        "{err}"
    );
    assert!(
        err.contains("invalid unicode code point at column 24"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parsing_threads_give_the_batches_of_one_thread() {
    let [one, (rows, _, sizes)] =
        long_jsonl_by_threads(IterableOptions::read().batch_size(3_000)).await;
    assert_eq!(one.0.len(), 30_000 - 7, "the seven bad lines skipped");
    assert_eq!(rows, one.0);
    assert!(sizes.iter().all(|&n| n <= 3_000), "{sizes:?}");
    assert!(sizes.len() > 7, "{sizes:?}");
    assert_eq!(
        rows[77]["id"],
        Value::Int(77),
        "a repeated key keeps the last"
    );
    assert_eq!(rows[78]["name"], Value::from("escaped"));
    assert_eq!(rows[4_001]["id"], Value::Int(4_002), "line 4,001 skipped");
    let last = rows.last().unwrap();
    assert_eq!(last["id"], Value::Int(29_999));
    assert_eq!(last["at"].to_string(), "2024-01-12T10:00:59Z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parsing_threads_convert_the_same_and_stop_at_the_same_bad_line() {
    let jsonl = long_jsonl();
    let threads = |policy| {
        ConvertOptions::new().read(IterableOptions::read().errors(policy).parse_threads(2))
    };
    let (columns, rows, counts) = case("long.jsonl", jsonl.as_bytes(), threads(ErrorPolicy::Skip))
        .await
        .unwrap();
    assert_eq!(counts, [29_993, 29_993, 7]);
    assert_eq!(
        columns[3],
        ("at".to_owned(), "Timestamp(µs, \"UTC\")".to_owned())
    );
    assert_eq!(rows[4_000]["id"], Value::Int(4_001));
    let err = case("long.jsonl", jsonl.as_bytes(), threads(ErrorPolicy::Fail))
        .await
        .unwrap_err();
    assert!(err.contains("line 4001"), "{err}");
}

#[tokio::test]
async fn infer_types_types_date_strings_in_batches_and_schema_as_convert_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let mut jsonl = String::new();
    for i in 0..50 {
        jsonl.push_str(&format!(
            "{{\"id\": {i}, \"at\": \"2024-05-01T10:00:{:02}Z\", \"zip\": \"0{i}\"}}\n",
            i % 60
        ));
    }
    std::fs::write(&path, jsonl).unwrap();
    let path = path.to_str().unwrap();
    let typed = IterableOptions::read().infer_types(true);
    let schema = arrow::aschema(path, &typed).await.unwrap();
    let expected = [
        ("id", "Int64"),
        ("at", "Timestamp(µs, \"UTC\")"),
        ("zip", "Utf8"),
    ]
    .map(|(n, t)| (n.to_owned(), t.to_owned()));
    assert_eq!(arrow::schema_to_text(&schema), expected);
    let (rows, batch_schema, _) = rows_of(arrow::aopen_batches(path, &typed).await.unwrap()).await;
    assert_eq!(batch_schema, expected);
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[49]["at"].to_string(), "2024-05-01T10:00:49Z");
    assert_eq!(rows[7]["zip"], Value::from("07"));
    // Without the option the strings stay strings, as for any row format.
    let plain = arrow::aschema(path, &IterableOptions::read())
        .await
        .unwrap();
    assert_eq!(arrow::schema_to_text(&plain)[1].1, "Utf8");
    // And `convert` writes what the typed schema says.
    let (columns, _, _) = case(
        "events.jsonl",
        &std::fs::read(path).unwrap(),
        ConvertOptions::new(),
    )
    .await
    .unwrap();
    assert_eq!(columns, expected);
}

#[tokio::test]
async fn every_json_array_file_converts_the_same_by_both_roads() {
    let (converted, files) = every_file_by_both_roads(&[".json"]).await;
    assert!(files >= 3, "{files} files");
    assert!(converted >= 2, "{converted} of {files}");
}

#[tokio::test]
async fn a_json_array_takes_the_columnar_road_element_by_element() {
    // Elements over several lines, one nested, one with a repeated key, and a bad one:
    // the flat ones go to the columns, the rest by rows, all in their places.
    let mut json = String::from("[\n");
    for i in 0..3_000 {
        if i > 0 {
            json.push_str(",\n");
        }
        json.push_str(&match i % 500 {
            7 => format!("{{\"id\": 0, \"id\": {i}, \"at\": null}}"),
            8 => format!("{{\n  \"id\": {i},\n  \"name\": \"two\\nlines\",\n  \"at\": \"2024-02-01T00:00:00Z\"\n}}"),
            499 => "{\"id\": oops}".to_owned(),
            _ => format!(
                "{{\"id\": {i}, \"name\": \"n{i}\", \"at\": \"2024-01-{:02}T10:00:00Z\"}}",
                i % 28 + 1
            ),
        });
    }
    json.push_str("\n]\n");
    let skip = ConvertOptions::new().read(IterableOptions::read().errors(ErrorPolicy::Skip));
    let (columns, rows, counts) = case("events.json", json.as_bytes(), skip).await.unwrap();
    assert_eq!(counts, [2_994, 2_994, 6]);
    assert_eq!(
        columns[2],
        ("at".to_owned(), "Timestamp(µs, \"UTC\")".to_owned())
    );
    assert_eq!(
        rows[7]["id"],
        Value::Int(7),
        "a repeated key keeps the last"
    );
    assert_eq!(rows[8]["name"], Value::from("two\nlines"));
    assert_eq!(rows[498]["id"], Value::Int(498));
    assert_eq!(rows[499]["id"], Value::Int(500), "the bad element skipped");

    let err = case("events.json", json.as_bytes(), ConvertOptions::new())
        .await
        .unwrap_err();
    assert!(err.contains("line 505, record 500"), "{err}");

    // The array under a key (`tagname`), read into batches.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrapped.json");
    let wrapped = "{\"meta\": {\"n\": 2}, \"items\": [{\"id\": 1, \"at\": \"2024-01-01T00:00:00Z\"}, {\"id\": 2, \"at\": null}]}";
    std::fs::write(&path, wrapped).unwrap();
    let options = IterableOptions::read().tagname("items").infer_types(true);
    let (rows, schema, _) = rows_of(
        arrow::aopen_batches(path.to_str().unwrap(), &options)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        schema[1],
        ("at".to_owned(), "Timestamp(µs, \"UTC\")".to_owned())
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["id"], Value::Int(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parsing_threads_skip_the_same_over_long_lines() {
    // Lines run 118-126 bytes: a limit of 122 makes many of them too long, in every
    // block, among the bad and repeated-key lines.
    let [one, two] = long_jsonl_by_threads(IterableOptions::read().max_record_bytes(122)).await;
    assert!(
        one.0.len() > 1_000 && one.0.len() < 29_000,
        "{} rows",
        one.0.len()
    );
    assert_eq!(two.0, one.0);
    assert_eq!(two.1, one.1);
}
