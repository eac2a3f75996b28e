//! A key repeated within a record follows `duplicate_keys`: the last value wins (the
//! default, in the key's first place), the first wins, or the record is bad (the
//! error policy applies), the same in JSON, JSON Lines, BSON, MessagePack and YAML.

use iterable::{DuplicateKeys, ErrorPolicy, IterableOptions, Row, Value};
use iterable_tests::collect;

/// `{"a": 1, "b": 2, "a": 3}` then `{"a": 4}`, in each format, written by hand (our
/// writers never repeat a key).
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let jsonl = b"{\"a\":1,\"b\":2,\"a\":3}\n{\"a\":4}\n".to_vec();
    let json = b"[{\"a\":1,\"b\":2,\"a\":3},{\"a\":4}]".to_vec();
    let mut msgpack = vec![0x83, 0xa1, b'a', 0x01, 0xa1, b'b', 0x02, 0xa1, b'a', 0x03];
    msgpack.extend([0x81, 0xa1, b'a', 0x04]);
    let bson_doc = |fields: &[(&str, i32)]| {
        let mut body = Vec::new();
        for (k, v) in fields {
            body.push(0x10); // int32
            body.extend_from_slice(k.as_bytes());
            body.push(0);
            body.extend_from_slice(&v.to_le_bytes());
        }
        body.push(0);
        let mut doc = ((body.len() + 4) as i32).to_le_bytes().to_vec();
        doc.extend(body);
        doc
    };
    let mut bson = bson_doc(&[("a", 1), ("b", 2), ("a", 3)]);
    bson.extend(bson_doc(&[("a", 4)]));
    vec![
        ("jsonl", jsonl),
        ("json", json),
        ("msgpack", msgpack),
        ("bson", bson),
        ("yaml", b"a: 1\nb: 2\na: 3\n---\na: 4\n".to_vec()),
    ]
}

async fn read(path: &std::path::Path, options: IterableOptions) -> iterable::Result<Vec<Row>> {
    collect(options.open(path.to_str().unwrap()).await?).await
}

#[tokio::test]
async fn last_first_or_error_in_every_keyed_format() {
    let dir = tempfile::tempdir().unwrap();
    for (ext, bytes) in inputs() {
        let path = dir.path().join(format!("dup.{ext}"));
        std::fs::write(&path, bytes).unwrap();
        let keys = |r: &Row| r.keys().map(str::to_owned).collect::<Vec<_>>();

        let rows = read(&path, IterableOptions::read()).await.unwrap();
        assert_eq!(keys(&rows[0]), ["a", "b"], "{ext}");
        assert_eq!(rows[0]["a"].as_i64(), Some(3), "{ext}: the last wins");

        let rows = read(
            &path,
            IterableOptions::read().duplicate_keys(DuplicateKeys::First),
        )
        .await
        .unwrap();
        assert_eq!(keys(&rows[0]), ["a", "b"], "{ext}");
        assert_eq!(rows[0]["a"].as_i64(), Some(1), "{ext}: the first wins");

        let err = read(
            &path,
            IterableOptions::read().duplicate_keys(DuplicateKeys::Error),
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains(&format!("dup.{ext}")), "{ext}: {err}");
        assert!(err.contains("record 1"), "{ext}: {err}");
        assert!(
            err.contains("the key \"a\" is repeated in the record"),
            "{ext}: {err}"
        );
    }
}

#[tokio::test]
async fn under_skip_a_record_with_a_repeated_key_is_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dup.jsonl");
    std::fs::write(&path, b"{\"a\":1,\"a\":2}\n{\"a\":3}\n").unwrap();
    let options = IterableOptions::read()
        .duplicate_keys(DuplicateKeys::Error)
        .errors(ErrorPolicy::Skip);
    let rows = read(&path, options).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["a"], Value::Int(3));
}
