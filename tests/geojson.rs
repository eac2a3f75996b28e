//! GeoJSON: a FeatureCollection streamed feature by feature, newline-delimited
//! features and text sequences; properties as columns and the geometry as a map in
//! `geometry`; bad features through the error policy with their position; writes
//! that read back the same rows, in every layout and under a codec.

use iterable::{ErrorPolicy, IterableOptions, Row, Value, row};
use iterable_tests::{collect, write_all};

fn point(x: i64, y: i64) -> Value {
    Value::Map(row! { "type" => "Point", "coordinates" => vec![Value::from(x), Value::from(y)] })
}

async fn read(path: &std::path::Path, options: IterableOptions) -> iterable::Result<Vec<Row>> {
    collect(options.open(path.to_str().unwrap()).await?).await
}

const COLLECTION: &str = r#"{"type": "FeatureCollection", "name": "places",
 "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
 "features": [
  {"type": "Feature", "id": 7, "properties": {"name": "Zürich", "tags": ["lake", "old"], "pop": 421878},
   "geometry": {"type": "Point", "coordinates": [8, 47]}},
  {"type": "Feature", "properties": null, "geometry": null},
  {"type": "Feature", "properties": {"name": "line", "pop": null}, "bbox": [0, 0, 1, 1],
   "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}
 ]}"#;

#[tokio::test]
async fn a_feature_collection_gives_one_row_a_feature() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("places.geojson");
    std::fs::write(&path, COLLECTION).unwrap();
    let rows = read(&path, IterableOptions::read()).await.unwrap();
    let line = Value::Map(row! {
        "type" => "LineString",
        "coordinates" => vec![
            Value::from(vec![Value::from(0), Value::from(0)]),
            Value::from(vec![Value::from(1), Value::from(1)]),
        ],
    });
    assert_eq!(
        rows,
        [
            row! {
                "name" => "Zürich",
                "tags" => vec![Value::from("lake"), Value::from("old")],
                "pop" => 421878,
                "id" => 7,
                "geometry" => point(8, 47),
            },
            row! { "geometry" => Value::Null },
            row! { "name" => "line", "pop" => Value::Null, "geometry" => line },
        ]
    );
    // Found by its content too, under a name that says nothing.
    let bare = dir.path().join("places");
    std::fs::write(&bare, COLLECTION).unwrap();
    assert_eq!(read(&bare, IterableOptions::read()).await.unwrap(), rows);
}

#[tokio::test]
async fn lines_and_text_sequences_read_the_same_features() {
    let dir = tempfile::tempdir().unwrap();
    let feature = |n: i64| {
        format!(
            r#"{{"type":"Feature","properties":{{"n":{n}}},"geometry":{{"type":"Point","coordinates":[{n},{n}]}}}}"#
        )
    };
    let expected: Vec<Row> = (1..=3)
        .map(|n| row! { "n" => n, "geometry" => point(n, n) })
        .collect();
    let lines = dir.path().join("f.geojsonl");
    std::fs::write(
        &lines,
        format!("{}\n\n{}\r\n{}", feature(1), feature(2), feature(3)),
    )
    .unwrap();
    assert_eq!(
        read(&lines, IterableOptions::read()).await.unwrap(),
        expected
    );
    let seq = dir.path().join("f.geojsons");
    std::fs::write(
        &seq,
        format!(
            "\x1e{}\n\x1e{}\n\x1e{}\n",
            feature(1),
            feature(2),
            feature(3)
        ),
    )
    .unwrap();
    assert_eq!(read(&seq, IterableOptions::read()).await.unwrap(), expected);
    // A sequence is recognised by its first byte.
    let bare = dir.path().join("features");
    std::fs::copy(&seq, &bare).unwrap();
    assert_eq!(
        read(&bare, IterableOptions::read()).await.unwrap(),
        expected
    );
}

#[tokio::test]
async fn a_bad_feature_is_a_bad_record_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.geojson");
    let text = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"a":1},"geometry":null},
{"type":"Polygon","coordinates":[]},
{"type":"Feature","properties":[1],"geometry":null},
{"type":"Feature","properties":{"geometry":1},"geometry":null},
{"type":"Feature","properties":{"a":2},"geometry":"POINT (1 1)"},
{"type":"Feature","properties":{"a":3},"geometry":null}
]}"#;
    std::fs::write(&path, text).unwrap();
    let err = read(&path, IterableOptions::read())
        .await
        .unwrap_err()
        .to_string();
    let second = text.find(r#"{"type":"Polygon""#).unwrap();
    assert!(
        err.contains(path.to_str().unwrap())
            && err.contains("record 2")
            && err.contains(&format!("byte {second}"))
            && err.contains(r#"not "Feature""#),
        "{err}"
    );
    let src = IterableOptions::read()
        .errors(ErrorPolicy::Skip)
        .open(path.to_str().unwrap())
        .await
        .unwrap();
    let rows = collect(src).await.unwrap();
    assert_eq!(
        rows,
        [
            row! { "a" => 1, "geometry" => Value::Null },
            row! { "a" => 3, "geometry" => Value::Null },
        ]
    );
    // Cut short: an error naming the file, not fewer features.
    let cut = dir.path().join("cut.geojson");
    std::fs::write(&cut, &COLLECTION[..COLLECTION.len() - 30]).unwrap();
    let err = read(&cut, IterableOptions::read())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(cut.to_str().unwrap()), "{err}");
    // No features array at all.
    let none = dir.path().join("none.geojson");
    std::fs::write(
        &none,
        r#"{"type":"Feature","properties":{},"geometry":null}"#,
    )
    .unwrap();
    let err = read(&none, IterableOptions::read())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("features"), "{err}");
}

#[tokio::test]
async fn writes_read_back_in_every_layout_and_codec() {
    let dir = tempfile::tempdir().unwrap();
    let rows = vec![
        row! { "id" => 1, "name" => "Anna", "geometry" => point(0, 0) },
        row! { "id" => 2, "name" => "Ben \"B\"", "geometry" => Value::Null },
    ];
    for name in [
        "out.geojson",
        "out.geojsonl",
        "out.geojsons",
        "out.geojson.gz",
        "out.geojsonl.zst",
    ] {
        let path = dir.path().join(name);
        write_all(path.to_str().unwrap(), &IterableOptions::write(), &rows)
            .await
            .unwrap();
        assert_eq!(
            read(&path, IterableOptions::read()).await.unwrap(),
            rows,
            "{name}"
        );
    }
    let text = std::fs::read_to_string(dir.path().join("out.geojson")).unwrap();
    assert!(
        text.starts_with(r#"{"type":"FeatureCollection","features":["#),
        "{text}"
    );
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["features"][0]["properties"]["name"], "Anna");
    assert_eq!(parsed["features"][1]["geometry"], serde_json::Value::Null);
    // Zero rows: an empty collection, valid JSON.
    let empty = dir.path().join("empty.geojson");
    write_all(empty.to_str().unwrap(), &IterableOptions::write(), &[])
        .await
        .unwrap();
    let parsed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&empty).unwrap()).unwrap();
    assert_eq!(parsed["features"], serde_json::json!([]));
}

#[tokio::test]
async fn a_geometry_from_text_is_embedded_and_one_that_is_not_geojson_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("points.csv");
    std::fs::write(
        &csv,
        "name,geometry\nA,\"{\"\"type\"\":\"\"Point\"\",\"\"coordinates\"\":[1,2]}\"\n",
    )
    .unwrap();
    let out = dir.path().join("points.geojson");
    iterable::aconvert(
        csv.to_str().unwrap(),
        out.to_str().unwrap(),
        &iterable::ConvertOptions::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        read(&out, IterableOptions::read()).await.unwrap(),
        [row! { "name" => "A", "geometry" => point(1, 2) }]
    );
    let bad = dir.path().join("bad.geojson");
    let err = write_all(
        bad.to_str().unwrap(),
        &IterableOptions::write(),
        &[row! { "name" => "A", "geometry" => "POINT (1 2)" }],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("not a GeoJSON object") && err.contains("POINT (1 2)"),
        "{err}"
    );
    assert!(!bad.exists());
}
