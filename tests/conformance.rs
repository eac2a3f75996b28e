//! The peer's fixtures (`../shared/conformance/iterabledata/expected.jsonl`): every
//! case whose format this build reads must give exactly the expected rows (binary values
//! compared by length, as the cases write them); a case of a format not built here must
//! fail with an error naming the cargo feature.
//!
//! The second set (`iterabledata-formats/`) holds formats and codecs still being added:
//! every case must pass except those listed in [`NOT_YET`] with the reason, and a
//! listed case that starts passing fails the test until it is taken off the list.

use iterable::{Error, IterableOptions};
use iterable_tests::{collect, read_case_json, shared_conformance, shared_conformance_set};
use serde_json::Value as Json;

/// The format features of the default build: their cases must run, not be skipped.
const ON_BY_DEFAULT: [&str; 10] = [
    "parquet", "arrow", "bson", "msgpack", "yaml", "xml", "xlsx", "avro", "dbf", "warc",
];

#[tokio::test]
async fn peer_cases_give_the_expected_rows() {
    let Some(dir) = shared_conformance() else {
        println!(
            "SKIPPED: ../shared/conformance/iterabledata is absent; conformance cases not run"
        );
        return;
    };
    let text = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
    let (mut passed, mut not_built) = (0, Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Json = serde_json::from_str(line).unwrap();
        let file = case["file"].as_str().unwrap();
        let path = dir.join(file).to_string_lossy().into_owned();
        let mut options = IterableOptions::read();
        if let Some(tag) = case["options"]["tagname"].as_str() {
            options = options.tagname(tag);
        }
        if let Some(enc) = case["options"]["encoding"].as_str() {
            options = options.encoding(enc);
        }
        match read_case_json(&path, &options).await {
            Ok(rows) => {
                assert_eq!(
                    rows.len() as u64,
                    case["count"].as_u64().unwrap(),
                    "{file}: row count"
                );
                assert_eq!(Json::Array(rows), case["rows"], "{file}: rows");
                passed += 1;
            }
            Err(Error::FeatureDisabled { feature, .. }) => {
                not_built.push(format!("{file} (feature `{feature}`)"))
            }
            Err(e) => panic!("{file}: {e}"),
        }
    }
    println!(
        "conformance: {passed} cases passed; not built in this build: {}",
        not_built.join(", ")
    );
    assert!(passed >= 20, "only {passed} conformance cases ran");
    for feature in ON_BY_DEFAULT {
        assert!(
            !not_built
                .iter()
                .any(|c| c.contains(&format!("feature `{feature}`"))),
            "the `{feature}` feature is on by default, yet its cases did not run: {not_built:?}"
        );
    }
}

/// The cases of `iterabledata-formats/` this build does not read yet, and why.
const NOT_YET: &[(&str, &str)] = &[];

#[tokio::test]
async fn peer_format_cases_pass_or_are_declared_not_yet() {
    let Some(dir) = shared_conformance_set("iterabledata-formats") else {
        println!("SKIPPED: ../shared/conformance/iterabledata-formats is absent; cases not run");
        return;
    };
    let text = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
    let (mut passed, mut not_yet) = (Vec::new(), Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Json = serde_json::from_str(line).unwrap();
        let file = case["file"].as_str().unwrap();
        let path = dir.join(file).to_string_lossy().into_owned();
        let result = run_case(&path, &case).await;
        let declared = NOT_YET.iter().find(|(f, _)| *f == file);
        match (result, declared) {
            (Ok(()), None) => passed.push(file.to_owned()),
            (Ok(()), Some(_)) => panic!("{file} passes now: take it off NOT_YET"),
            (Err(_), Some((_, why))) => not_yet.push(format!("{file}: {why}")),
            (Err(e), None) => panic!("{file}: {e}"),
        }
    }
    println!(
        "conformance (formats): {} cases passed ({}); not supported yet: {}",
        passed.len(),
        passed.join(", "),
        not_yet.join("; ")
    );
    for must in [
        "2cols6rows.ltsv",
        "2cols6rows.toml",
        "2cols6rows.csv.snappy",
    ] {
        assert!(passed.iter().any(|p| p == must), "{must} did not run");
    }
}

/// One case: its options through the registry's option names, then the rows (or, for
/// `"expect": "count"`, the count) must be as expected.
async fn run_case(path: &str, case: &Json) -> Result<(), String> {
    let mut options = IterableOptions::read();
    for (key, value) in case["options"].as_object().into_iter().flatten() {
        let value = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        options = options.set(key, &value).map_err(|e| e.to_string())?;
    }
    if case["expect"] == "count" {
        let src = options.open(path).await.map_err(|e| e.to_string())?;
        let rows = collect(src).await.map_err(|e| e.to_string())?;
        if rows.len() as u64 != case["count"].as_u64().unwrap() {
            return Err(format!("{} rows, expected {}", rows.len(), case["count"]));
        }
        return Ok(());
    }
    let rows = read_case_json(path, &options)
        .await
        .map_err(|e| e.to_string())?;
    if Json::Array(rows.clone()) != case["rows"] {
        return Err(format!("rows differ: got {}", Json::Array(rows)));
    }
    Ok(())
}
