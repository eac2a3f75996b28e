//! The peer's fixtures (`../shared/conformance/iterabledata/expected.jsonl`): every
//! case whose format this build reads must give exactly the expected rows (binary values
//! compared by length, as the cases write them); a case of a format not built here must
//! fail with an error naming the cargo feature.

use iterable::{Error, IterableOptions};
use iterable_tests::{read_case_json, shared_conformance};
use serde_json::Value as Json;

/// The format features of the default build: their cases must run, not be skipped.
const ON_BY_DEFAULT: [&str; 8] = [
    "parquet", "arrow", "bson", "msgpack", "yaml", "xml", "xlsx", "avro",
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
