//! JSON-LD: node objects from lines, an array, `@graph` (streamed, the document's
//! `@context` not a row) or one node; written as an array that reads back.

use iterable::{IterableOptions, Row, Value, row};
use iterable_tests::{collect, write_all};

async fn read(path: &std::path::Path) -> iterable::Result<Vec<Row>> {
    collect(IterableOptions::read().open(path.to_str().unwrap()).await?).await
}

#[tokio::test]
async fn every_layout_gives_its_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let node = |n: i64| row! { "@id" => format!("urn:n:{n}"), "@type" => "Person", "n" => n };
    let expected: Vec<Row> = (1..=3).map(node).collect();
    // @graph after a long @context: found in the first 4 KiB all the same.
    let context = format!(
        r#"{{"@vocab": "http://example.org/", "pad": "{}"}}"#,
        "x".repeat(3000)
    );
    let graph = format!(
        "{{\n \"@context\": {context},\n \"@graph\": [\n{}\n]\n}}",
        (1..=3)
            .map(|n| format!(r#"  {{"@id": "urn:n:{n}", "@type": "Person", "n": {n}}}"#))
            .collect::<Vec<_>>()
            .join(",\n")
    );
    let path = dir.path().join("graph.jsonld");
    std::fs::write(&path, graph).unwrap();
    assert_eq!(read(&path).await.unwrap(), expected);

    let one = dir.path().join("one.jsonld");
    std::fs::write(
        &one,
        "{\n  \"@context\": \"https://schema.org\",\n  \"@id\": \"urn:x\",\n  \"name\": [\"a\", \"b\"]\n}\n",
    )
    .unwrap();
    assert_eq!(
        read(&one).await.unwrap(),
        [row! {
            "@context" => "https://schema.org",
            "@id" => "urn:x",
            "name" => vec![Value::from("a"), Value::from("b")],
        }]
    );

    let out = dir.path().join("out.jsonld");
    write_all(out.to_str().unwrap(), &IterableOptions::write(), &expected)
        .await
        .unwrap();
    assert!(std::fs::read_to_string(&out).unwrap().starts_with('['));
    assert_eq!(read(&out).await.unwrap(), expected);

    // Cut inside @graph: an error naming the file.
    let cut = dir.path().join("cut.jsonld");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&cut, &text[..text.len() - 10]).unwrap();
    let err = read(&cut).await.unwrap_err().to_string();
    assert!(
        err.contains(cut.to_str().unwrap()) && err.contains("byte"),
        "{err}"
    );
}
