//! Typed rows both ways over real files: structs written with `awrite_serialize` in
//! several formats and codecs, read back with `deserialize::<T>()`, and the errors that
//! name the row.

use futures::StreamExt;
use iterable::{Error, IterableOptions, Row, TypedRows, Value, aopen_iterable, row};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Sale {
    id: u32,
    item: String,
    price: f64,
    paid: bool,
    note: Option<String>,
}

fn sales(n: u32) -> Vec<Sale> {
    (0..n)
        .map(|i| Sale {
            id: i,
            item: format!("item {i}"),
            price: f64::from(i) * 1.5,
            paid: i % 2 == 0,
            note: (i % 3 == 0).then(|| format!("n{i}")),
        })
        .collect()
}

#[tokio::test]
async fn structs_round_trip_through_typed_formats_and_codecs() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "s.parquet",
        "s.jsonl.gz",
        "s.json.zst",
        "s.arrow",
        "s.avro",
        "s.msgpack",
    ] {
        let path = dir.path().join(name);
        let path = path.to_str().unwrap();
        let mut out = IterableOptions::write().open(path).await.unwrap();
        let all = sales(500);
        out.awrite_serialize(&all[0]).await.unwrap();
        out.awrite_serialize_bulk(&all[1..]).await.unwrap();
        out.aclose().await.unwrap();

        let mut typed = aopen_iterable(path).await.unwrap().deserialize::<Sale>();
        let mut back = Vec::new();
        while let Some(sale) = typed.next().await {
            back.push(sale.unwrap_or_else(|e| panic!("{name}: {e}")));
        }
        assert_eq!(back, all, "{name}");
        assert_eq!(typed.get_ref().progress().rows, 500, "{name}");
    }
}

/// CSV holds text: numbers and booleans are parsed into the struct's fields.
#[tokio::test]
async fn csv_text_deserializes_into_typed_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.csv.gz");
    let path = path.to_str().unwrap();
    let mut out = IterableOptions::write().open(path).await.unwrap();
    out.awrite_serialize_bulk(&sales(20)).await.unwrap();
    out.aclose().await.unwrap();
    let back: Vec<Sale> = aopen_iterable(path)
        .await
        .unwrap()
        .deserialize::<Sale>()
        .map(|s| s.unwrap())
        .collect()
        .await;
    // An empty CSV field reads as empty text, not as None.
    let expected: Vec<Sale> = sales(20)
        .into_iter()
        .map(|mut s| {
            s.note = Some(s.note.unwrap_or_default());
            s
        })
        .collect();
    assert_eq!(back, expected);
}

/// A row that does not fit is an error naming the file and the row; the rows after
/// it still come.
#[tokio::test]
async fn a_row_that_does_not_fit_names_its_place_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.jsonl");
    std::fs::write(
        &path,
        "{\"id\":1,\"item\":\"a\",\"price\":1.0,\"paid\":true}\n\
         {\"id\":\"two\",\"item\":\"b\",\"price\":2.0,\"paid\":true}\n\
         {\"id\":3,\"item\":\"c\",\"price\":3.0,\"paid\":false}\n",
    )
    .unwrap();
    let location = path.to_str().unwrap();
    let items: Vec<Result<Sale, Error>> = aopen_iterable(location)
        .await
        .unwrap()
        .deserialize::<Sale>()
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].as_ref().unwrap().id, 1);
    let err = items[1].as_ref().unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("cannot deserialize row: {location}: row 2: ")),
        "{err}"
    );
    assert!(err.contains("two"), "{err}");
    assert_eq!(items[2].as_ref().unwrap().id, 3);
}

#[test]
fn values_that_are_not_rows_are_serialize_errors() {
    #[derive(serde::Serialize)]
    struct Big {
        n: u64,
    }
    let err = Row::from_serialize(&Big { n: u64::MAX })
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "cannot serialize row: the integer 18446744073709551615 is past i64::MAX"
    );
    let err = Row::from_serialize(&[1, 2]).unwrap_err().to_string();
    assert_eq!(
        err,
        "cannot serialize row: a row is made from a struct or a map, not a sequence"
    );

    #[derive(serde::Serialize)]
    enum Kind {
        Plain,
        Sized { w: u8 },
    }
    #[derive(serde::Serialize)]
    struct Thing {
        a: Kind,
        b: Kind,
        bytes: serde_bytes_like::Bytes,
    }
    mod serde_bytes_like {
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }
    let row = Row::from_serialize(&Thing {
        a: Kind::Plain,
        b: Kind::Sized { w: 3 },
        bytes: serde_bytes_like::Bytes(vec![0, 255]),
    })
    .unwrap();
    assert_eq!(
        row,
        row! { "a" => "Plain", "b" => Value::Map(row! { "Sized" => Value::Map(row! { "w" => 3 }) }), "bytes" => Value::Bytes(vec![0, 255]) }
    );
}
