//! Nested values and flat formats: JSON text by default, flattened into path columns or
//! refused by option, and nested back on reading.

use iterable::{
    ConvertOptions, IterableOptions, NestedValues, Row, Value, aconvert, aopen_iterable, row,
};
use iterable_tests::{collect, names_in, write_all};

fn orders() -> Vec<Row> {
    vec![
        row! {
            "id" => 1,
            "customer" => Value::Map(row! { "name" => "Ana", "city" => "Porto" }),
            "items" => vec![Value::from("tea"), Value::from("cake")],
        },
        row! {
            "id" => 2,
            "customer" => Value::Map(row! { "name" => "Ben", "city" => "Oslo" }),
            "items" => vec![Value::from("coffee"), Value::from("bun")],
        },
    ]
}

async fn read(location: &str, options: &IterableOptions) -> Vec<Row> {
    collect(options.open(location).await.unwrap())
        .await
        .unwrap()
}

/// By default a flat format gets each list or map as its JSON text, in one column.
#[tokio::test]
async fn flat_formats_get_json_text_by_default() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["o.csv", "o.tsv", "o.ltsv", "o.xlsx"] {
        let path = dir.path().join(name);
        let path = path.to_str().unwrap();
        write_all(path, &IterableOptions::write(), &orders())
            .await
            .unwrap();
        let back = collect(aopen_iterable(path).await.unwrap()).await.unwrap();
        assert_eq!(
            back[0].get("customer").map(|v| v.to_string()),
            Some("{\"name\":\"Ana\",\"city\":\"Porto\"}".to_owned()),
            "{name}"
        );
        assert_eq!(
            back[1].get("items").map(|v| v.to_string()),
            Some("[\"coffee\",\"bun\"]".to_owned()),
            "{name}"
        );
    }
}

/// Flattened into path columns and nested back on reading: through JSON Lines the rows
/// come back equal, through CSV as text.
#[tokio::test]
async fn flattened_columns_nest_back_on_reading() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("o.csv");
    let csv = csv.to_str().unwrap();
    write_all(csv, &IterableOptions::write().flatten("."), &orders())
        .await
        .unwrap();
    let text = std::fs::read_to_string(csv).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "id,customer.name,customer.city,items.0,items.1"
    );
    assert_eq!(text.lines().nth(1).unwrap(), "1,Ana,Porto,tea,cake");
    let back = read(csv, &IterableOptions::read().unflatten(".")).await;
    assert_eq!(
        back[1],
        row! {
            "id" => "2",
            "customer" => Value::Map(row! { "name" => "Ben", "city" => "Oslo" }),
            "items" => vec![Value::from("coffee"), Value::from("bun")],
        }
    );

    let jsonl = dir.path().join("flat.jsonl.gz");
    let jsonl = jsonl.to_str().unwrap();
    write_all(jsonl, &IterableOptions::write().flatten("__"), &orders())
        .await
        .unwrap();
    let flat = read(jsonl, &IterableOptions::read()).await;
    assert!(flat[0].contains_key("customer__city"), "{:?}", flat[0]);
    assert_eq!(
        read(jsonl, &IterableOptions::read().unflatten("__")).await,
        orders()
    );
    // Rewinding keeps nesting back.
    let mut src = IterableOptions::read()
        .unflatten("__")
        .open(jsonl)
        .await
        .unwrap();
    src.aread_bulk(1).await.unwrap();
    src.areset().await.unwrap();
    assert_eq!(collect(src).await.unwrap(), orders());
}

/// Asked to, a flat format refuses nested values with an error naming the row and the
/// column, and publishes nothing; a format that nests takes them as they are.
#[tokio::test]
async fn nested_values_can_be_refused_by_flat_formats() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = vec![row! { "id" => 0, "customer" => "walk-in", "items" => "none" }];
    rows.extend(orders());
    let strict = IterableOptions::write().nested(NestedValues::Fail);
    let csv = dir.path().join("o.csv");
    let err = write_all(csv.to_str().unwrap(), &strict, &rows)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("row 2: column \"customer\" holds a map, which CSV cannot hold"),
        "{err}"
    );
    assert!(
        names_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );

    let jsonl = dir.path().join("o.jsonl");
    write_all(jsonl.to_str().unwrap(), &strict, &rows)
        .await
        .unwrap();
    assert_eq!(
        read(jsonl.to_str().unwrap(), &IterableOptions::read()).await,
        rows
    );
}

/// `aconvert` with a flattening write and a nesting read: JSON Lines to CSV and back.
#[tokio::test]
async fn convert_flattens_and_nests_back() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write_all(
        input.to_str().unwrap(),
        &IterableOptions::write(),
        &orders(),
    )
    .await
    .unwrap();
    let csv = dir.path().join("mid.csv.gz");
    aconvert(
        input.to_str().unwrap(),
        csv.to_str().unwrap(),
        &ConvertOptions::new().write(IterableOptions::write().flatten(".")),
    )
    .await
    .unwrap();
    let back = dir.path().join("back.jsonl");
    aconvert(
        csv.to_str().unwrap(),
        back.to_str().unwrap(),
        &ConvertOptions::new().read(IterableOptions::read().unflatten(".").infer_types(true)),
    )
    .await
    .unwrap();
    assert_eq!(
        read(back.to_str().unwrap(), &IterableOptions::read()).await,
        orders()
    );
}
