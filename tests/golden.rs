//! The project's golden files in `testdata/`, compressed by the standard tools in
//! every codec, read back to exactly the rows written by hand.

use iterable::{Codec, Format, IterableOptions, aopen_iterable};
use iterable_tests::{collect, read_json, testdata};
use serde_json::{Value as Json, json};

const CODEC_SUFFIXES: [(&str, Codec); 11] = [
    ("", Codec::None),
    (".gz", Codec::Gzip),
    (".zst", Codec::Zstd),
    (".bz2", Codec::Bzip2),
    (".xz", Codec::Xz),
    (".lzma", Codec::Lzma),
    (".lz4", Codec::Lz4),
    (".br", Codec::Brotli),
    (".deflate", Codec::Deflate),
    (".zz", Codec::Zlib),
    (".zip", Codec::Zip),
];

fn people_csv_rows() -> Json {
    json!([
        {"id": "1", "name": "Anna", "city": "Berlin", "note": "plain"},
        {"id": "2", "name": "Smith, Ben", "city": "Paris", "note": "has \"quotes\""},
        {"id": "3", "name": "Chloé", "city": "Zürich", "note": "two\nlines"},
        {"id": "4", "name": "Dmitri", "city": "Москва", "note": "crlf\r\ninside"},
        {"id": "5", "name": "Eve", "city": "", "note": ""},
    ])
}

fn people_jsonl_rows() -> Json {
    json!([
        {"id": 1, "name": "Anna", "tags": ["a", "b"], "address": {"city": "Berlin", "zip": "10115"}, "score": 9.5, "active": true},
        {"id": 2, "name": "Smith, \"Ben\"", "tags": [], "address": {"city": "Paris", "zip": null}, "score": -0.25, "active": false},
        {"id": 9007199254740993_i64, "name": "Chloé\nZürich", "tags": ["ü"], "address": null, "score": 1e300, "active": null},
    ])
}

fn people_json_rows() -> Json {
    json!([
        {"id": 1, "name": "Anna", "note": "bracket ] and brace } in text"},
        {"id": 2, "name": "Ben \"B\"", "note": {"nested": [1, 2, {"deep": "]"}]}},
        {"id": 3, "name": "Москва", "note": null},
    ])
}

async fn check(stem: &str, options: IterableOptions, expected: Json, format: Format) {
    for (suffix, codec) in CODEC_SUFFIXES {
        if codec == Codec::Zip && stem != "people.csv" {
            continue;
        }
        let path = testdata(&format!("{stem}{suffix}"));
        let rows = read_json(&path, &options)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(Json::Array(rows), expected, "{path}");
        let src = options.open(&path).await.unwrap();
        assert_eq!(
            (src.info().format, src.info().codec),
            (format, codec),
            "{path}"
        );
    }
}

#[tokio::test]
async fn csv_in_every_codec() {
    check(
        "people.csv",
        IterableOptions::read(),
        people_csv_rows(),
        Format::CSV,
    )
    .await;
}

#[tokio::test]
async fn jsonl_in_every_codec() {
    check(
        "people.jsonl",
        IterableOptions::read(),
        people_jsonl_rows(),
        Format::JSONL,
    )
    .await;
}

#[tokio::test]
async fn json_under_a_tagname_in_every_codec() {
    check(
        "people.json",
        IterableOptions::read().tagname("persons"),
        people_json_rows(),
        Format::JSON,
    )
    .await;
}

#[tokio::test]
async fn every_gzip_member_is_read() {
    let rows = read_json(
        &testdata("people_multimember.csv.gz"),
        &IterableOptions::read(),
    )
    .await
    .unwrap();
    assert_eq!(Json::Array(rows), people_csv_rows());
}

#[tokio::test]
async fn a_gzip_file_named_csv_is_read_as_gzip() {
    let src = aopen_iterable(&testdata("people_gzip_named.csv"))
        .await
        .unwrap();
    assert_eq!(src.info().codec, Codec::Gzip);
    let rows = collect(src).await.unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[3]["note"].as_str(), Some("crlf\r\ninside"));
}

#[tokio::test]
async fn big_integers_stay_exact() {
    let rows = collect(aopen_iterable(&testdata("people.jsonl")).await.unwrap())
        .await
        .unwrap();
    assert_eq!(rows[2]["id"], iterable::Value::Int(9_007_199_254_740_993));

    // Beyond 64 bits too, through JSON Lines and JSON and back: never a rounded float.
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{"n":123456789012345678901234567890,"m":-99999999999999999999}"#;
    let jsonl = dir.path().join("big.jsonl");
    std::fs::write(&jsonl, format!("{line}\n")).unwrap();
    let rows = collect(aopen_iterable(jsonl.to_str().unwrap()).await.unwrap())
        .await
        .unwrap();
    let json = dir.path().join("big.json");
    iterable_tests::write_all(
        json.to_str().unwrap(),
        &iterable::IterableOptions::write(),
        &rows,
    )
    .await
    .unwrap();
    let back = collect(aopen_iterable(json.to_str().unwrap()).await.unwrap())
        .await
        .unwrap();
    assert_eq!(back, rows);
    assert_eq!(serde_json::to_string(&back[0]).unwrap(), line);
}
