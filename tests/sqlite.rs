//! SQLite files as locations: written and read back with their types, queries, the
//! table modes, one transaction a write (a failed or dropped writer leaves the database
//! as it was), conversions to and from files, and clear errors.

use iterable::{
    ConvertOptions, IterableOptions, Row, TableMode, Timestamp, Value, aconvert, aopen_iterable,
    row,
};
use iterable_tests::{collect, names_in, write_all};

fn typed_rows(n: i64) -> Vec<Row> {
    (0..n)
        .map(|i| {
            row! {
                "id" => i,
                "name" => format!("name {i} — Zürich 東京"),
                "score" => i as f64 / 4.0,
                "ok" => i % 2 == 0,
                "day" => Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 1, 1 + (i % 28) as u32).unwrap()),
                "at" => Value::Timestamp(Timestamp {
                    datetime: chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap().and_hms_opt(10, 0, (i % 60) as u32).unwrap(),
                    tz: Some("UTC".into()),
                }),
                "blob" => Value::Bytes(vec![0, 255, i as u8]),
                "tags" => vec![Value::from("a"), Value::Int(i)],
                "note" => if i % 3 == 0 { Value::Null } else { Value::from("x") },
            }
        })
        .collect()
}

async fn read(location: &str) -> Vec<Row> {
    collect(aopen_iterable(location).await.unwrap())
        .await
        .unwrap_or_else(|e| panic!("{location}: {e}"))
}

#[tokio::test]
async fn every_type_round_trips_through_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?table=t", dir.path().join("a.db").display());
    let rows = typed_rows(2500);
    write_all(&url, &IterableOptions::write(), &rows)
        .await
        .unwrap();
    assert_eq!(read(&url).await, rows);
    // A file named .db with one table reads that table; rewinding re-runs the query.
    let path = dir.path().join("a.db");
    let mut src = aopen_iterable(path.to_str().unwrap()).await.unwrap();
    assert_eq!(src.aread_bulk(3).await.unwrap(), rows[..3]);
    src.areset().await.unwrap();
    assert_eq!(collect(src).await.unwrap(), rows);
}

#[tokio::test]
async fn queries_read_what_they_select() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.sqlite");
    let url = format!("sqlite://{}?table=t", db.display());
    write_all(&url, &IterableOptions::write(), &typed_rows(100))
        .await
        .unwrap();
    let query = format!(
        "sqlite://{}?query=SELECT%20id,%20score%20*%202%20AS%20twice%20FROM%20t%20WHERE%20ok%20AND%20id%20%3C%205",
        db.display()
    );
    assert_eq!(
        read(&query).await,
        [
            row! { "id" => 0, "twice" => 0.0 },
            row! { "id" => 2, "twice" => 1.0 },
            row! { "id" => 4, "twice" => 2.0 },
        ]
    );
    // The same through the options.
    let by_options = IterableOptions::read()
        .query("SELECT count(*) AS n FROM t")
        .open(db.to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(collect(by_options).await.unwrap(), [row! { "n" => 100 }]);
    // Only the columns asked, in their order.
    let some = IterableOptions::read()
        .table("t")
        .columns(["score", "id"])
        .open(db.to_str().unwrap())
        .await
        .unwrap();
    let some = collect(some).await.unwrap();
    assert_eq!(some[1], row! { "score" => 0.25, "id" => 1 });
}

#[tokio::test]
async fn table_modes_create_append_replace_and_upsert() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let at = |mode: &str| format!("sqlite://{}?table=people&mode={mode}", db.display());
    let people = |pairs: &[(i64, &str)]| -> Vec<Row> {
        pairs
            .iter()
            .map(|(id, name)| row! { "id" => *id, "name" => *name })
            .collect()
    };
    write_all(
        &at("create"),
        &IterableOptions::write(),
        &people(&[(1, "Ana"), (2, "Ben")]),
    )
    .await
    .unwrap();
    let err = write_all(
        &at("create"),
        &IterableOptions::write(),
        &people(&[(3, "Cy")]),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("the table \"people\" exists already (mode create)"),
        "{err}"
    );
    write_all(
        &at("append"),
        &IterableOptions::write(),
        &people(&[(3, "Cy")]),
    )
    .await
    .unwrap();
    assert_eq!(
        read(&at("append")).await,
        people(&[(1, "Ana"), (2, "Ben"), (3, "Cy")])
    );
    write_all(
        &at("replace"),
        &IterableOptions::write(),
        &people(&[(9, "Zed")]),
    )
    .await
    .unwrap();
    assert_eq!(read(&at("append")).await, people(&[(9, "Zed")]));

    // Upsert by key: a table made for it has the key as its primary key.
    let up = format!("sqlite://{}?table=u&mode=upsert&key=id", db.display());
    write_all(
        &up,
        &IterableOptions::write(),
        &people(&[(1, "Ana"), (2, "Ben")]),
    )
    .await
    .unwrap();
    write_all(
        &up,
        &IterableOptions::write(),
        &people(&[(2, "Bea"), (3, "Cy")]),
    )
    .await
    .unwrap();
    assert_eq!(
        read(&up).await,
        people(&[(1, "Ana"), (2, "Bea"), (3, "Cy")])
    );
    let options = IterableOptions::write()
        .table("u")
        .table_mode(TableMode::Upsert);
    let err = write_all(db.to_str().unwrap(), &options, &people(&[(4, "Di")]))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("mode upsert needs its key columns"), "{err}");
}

/// A write that fails at row 500,001 leaves the table as it was; so does a writer
/// dropped unclosed; and a new file is not left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_or_dropped_write_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tx.db");
    let url = format!("sqlite://{}?table=t", db.display());
    let before: Vec<Row> = (0..10).map(|i| row! { "id" => i }).collect();
    write_all(&url, &IterableOptions::write(), &before)
        .await
        .unwrap();

    let mut big: Vec<Row> = (0..500_000).map(|i| row! { "id" => 100 + i }).collect();
    big.push(row! { "id" => 1, "extra" => "no such column" });
    let err = write_all(&url, &IterableOptions::write(), &big)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("row 500001: the column \"extra\" is not in the table \"t\""),
        "{err}"
    );
    assert_eq!(read(&url).await, before);

    let mut dropped = IterableOptions::write().open(&url).await.unwrap();
    dropped.awrite_bulk(&big[..1000]).await.unwrap();
    drop(dropped);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(read(&url).await, before);

    let fresh = format!("sqlite://{}?table=t", dir.path().join("new.db").display());
    let mut never = IterableOptions::write().open(&fresh).await.unwrap();
    never.awrite_bulk(&before).await.unwrap();
    drop(never);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(names_in(dir.path()), ["tx.db"]);
}

/// Files into a table and a table into files, by `aconvert`.
#[tokio::test]
async fn convert_between_files_and_tables() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv.gz");
    let text: Vec<Row> = (0..300)
        .map(|i| row! { "id" => i.to_string(), "city" => if i % 2 == 0 { "Oslo" } else { "Rome" } })
        .collect();
    write_all(csv.to_str().unwrap(), &IterableOptions::write(), &text)
        .await
        .unwrap();
    let url = format!(
        "sqlite://{}?table=cities",
        dir.path().join("c.db").display()
    );
    let report = aconvert(csv.to_str().unwrap(), &url, &ConvertOptions::new())
        .await
        .unwrap();
    assert_eq!(report.rows_written, 300);
    let parquet = dir.path().join("out.parquet");
    aconvert(&url, parquet.to_str().unwrap(), &ConvertOptions::new())
        .await
        .unwrap();
    // Text is typed by column on its way into the table, as into Parquet.
    let typed: Vec<Row> = (0..300)
        .map(|i| row! { "id" => i, "city" => if i % 2 == 0 { "Oslo" } else { "Rome" } })
        .collect();
    assert_eq!(read(parquet.to_str().unwrap()).await, typed);
    // Unless asked to keep it text.
    let kept = format!("sqlite://{}?table=kept", dir.path().join("c.db").display());
    aconvert(
        csv.to_str().unwrap(),
        &kept,
        &ConvertOptions::new().type_text(false),
    )
    .await
    .unwrap();
    assert_eq!(read(&kept).await, text);
}

#[tokio::test]
async fn bad_sql_missing_tables_and_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    for table in ["a", "b"] {
        let url = format!("sqlite://{}?table={table}", db.display());
        write_all(&url, &IterableOptions::write(), &[row! { "x" => 1 }])
            .await
            .unwrap();
    }
    let err_of = |location: String| async move {
        aopen_iterable(&location)
            .await
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    let err = err_of(db.to_str().unwrap().to_owned()).await;
    assert!(
        err.contains("the database has 2 tables (a, b); name one with ?table="),
        "{err}"
    );
    let err = err_of(format!("sqlite://{}?table=nope", db.display())).await;
    assert!(
        err.contains("?table=nope") && err.contains("no such table: nope"),
        "{err}"
    );
    let err = err_of(format!("sqlite://{}?query=SELEC%20x", db.display())).await;
    assert!(
        err.contains("SQLite, the query") && err.contains("syntax error"),
        "{err}"
    );
    let err = err_of(format!(
        "sqlite://{}/missing.db?table=t",
        dir.path().display()
    ))
    .await;
    assert!(
        err.contains("missing.db") && err.contains("not found"),
        "{err}"
    );
}

/// A file whose name tells no format is read as SQLite by its header; several
/// database URLs read as one iterable (their `?` is no glob).
#[tokio::test]
async fn sqlite_files_are_known_by_their_header_and_read_many_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let url = format!("sqlite://{}?table=t", db.display());
    write_all(
        &url,
        &IterableOptions::write(),
        &[row! { "x" => 1 }, row! { "x" => 2 }],
    )
    .await
    .unwrap();
    let unnamed = dir.path().join("export.bin");
    std::fs::copy(&db, &unnamed).unwrap();
    assert_eq!(
        read(unnamed.to_str().unwrap()).await,
        [row! { "x" => 1 }, row! { "x" => 2 }]
    );

    let both = IterableOptions::read()
        .open_many(&[url.clone(), url])
        .await
        .unwrap();
    assert_eq!(collect(both).await.unwrap().len(), 4);
}
