//! MySQL/MariaDB servers as locations, against a real MariaDB server started for these
//! tests (see `servers/mariadb.rs`): every type read as its value, rows written and
//! read back, the table modes, a failed or dropped write leaving the table as it was,
//! a killed connection, Parquet round trips, and errors without the password.

use crate::servers;

use iterable::arrow;
use iterable::{
    ConvertOptions, Decimal, IterableOptions, Row, Timestamp, Value, aconvert, aopen_iterable, row,
};
use iterable_tests::{assert_rows, read_all as read, write_all};
use mysql_async::prelude::Queryable;
use servers::mariadb::{Mariadb, PASSWORD};

macro_rules! server {
    () => {
        match Mariadb::get() {
            Some(server) => server,
            None => return,
        }
    };
}

fn at(date: (i32, u32, u32), time: (u32, u32, u32)) -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(date.0, date.1, date.2)
        .unwrap()
        .and_hms_opt(time.0, time.1, time.2)
        .unwrap()
}

#[tokio::test]
async fn every_type_reads_as_its_value() {
    let server = server!();
    let url = server.database("every_type").await;
    let mut conn = server.conn(Some("every_type")).await;
    conn.query_drop(
        "CREATE TABLE every (
            yes BOOLEAN, i1 TINYINT, i2 SMALLINT, i4 INT, i8 BIGINT, u8 BIGINT UNSIGNED,
            f4 FLOAT, f8 DOUBLE, exact DECIMAL(20, 6), t VARCHAR(40), c CHAR(3), long_text LONGTEXT,
            b VARBINARY(10), blob_col BLOB, d DATE, dt DATETIME(3), ts TIMESTAMP NULL, tm TIME,
            y YEAR, e ENUM('sad', 'happy'), bits BIT(10), j JSON
        ) CHARACTER SET utf8mb4",
    )
    .await
    .unwrap();
    conn.query_drop(
        "SET time_zone = '+02:00';
         INSERT INTO every VALUES (
            TRUE, -128, -32768, 2147483647, -9223372036854775808, 18446744073709551615,
            1.5, 0.1, 12345678901234.123456, 'Zürich 東京 \"q\"', 'ab', REPEAT('x', 70000),
            X'00FF10', X'0A0B', '2024-02-29', '2024-05-01 10:00:00.250', '2024-05-01 12:00:00', '-01:02:03',
            2024, 'happy', b'1000000001', '{\"k\": [1, 2.5, null]}'
         );
         INSERT INTO every () VALUES ();",
    )
    .await
    .unwrap();
    let full = row! {
        "yes" => true,
        "i1" => -128,
        "i2" => -32768,
        "i4" => 2147483647,
        "i8" => i64::MIN,
        "u8" => Decimal { unscaled: u64::MAX as i128, scale: 0 },
        "f4" => 1.5,
        "f8" => 0.1,
        "exact" => Decimal { unscaled: 12345678901234123456, scale: 6 },
        "t" => "Zürich 東京 \"q\"",
        "c" => "ab",
        "long_text" => "x".repeat(70000),
        "b" => Value::Bytes(vec![0, 255, 16]),
        "blob_col" => Value::Bytes(vec![10, 11]),
        "d" => Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
        "dt" => Value::Timestamp(Timestamp {
            datetime: at((2024, 5, 1), (10, 0, 0)) + chrono::Duration::milliseconds(250),
            tz: None,
        }),
        "ts" => Value::Timestamp(Timestamp { datetime: at((2024, 5, 1), (10, 0, 0)), tz: Some("UTC".into()) }),
        "tm" => "-01:02:03",
        "y" => 2024,
        "e" => "happy",
        "bits" => 513,
        // MariaDB's JSON is text with a check; MySQL's own JSON type reads as values.
        "j" => "{\"k\": [1, 2.5, null]}",
    };
    let empty = Row::from_parts(
        full.header().clone(),
        vec![Value::Null; full.values().len()],
    );
    assert_rows(
        &read(&format!("{url}?table=every")).await,
        &[full.clone(), empty.clone()],
    );
    // The database's only table reads without being named.
    assert_rows(&read(&url).await, &[full, empty]);
    let query = format!(
        "{url}?query=SELECT%20i4,%20t%20AS%20name%20FROM%20every%20WHERE%20i4%20IS%20NOT%20NULL"
    );
    assert_eq!(
        read(&query).await,
        [row! { "i4" => 2147483647, "name" => "Zürich 東京 \"q\"" }]
    );
}

fn typed_rows(n: i64) -> Vec<Row> {
    (0..n)
        .map(|i| {
            row! {
                "id" => i,
                "name" => format!("name {i}\t'Zürich'\n東京 \\ \"q\""),
                "score" => i as f64 / 4.0,
                "price" => Decimal { unscaled: i as i128 * 101, scale: 2 },
                "ok" => i % 2 == 0,
                "day" => Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 1, 1 + (i % 28) as u32).unwrap()),
                "local" => Value::Timestamp(Timestamp { datetime: at((1999, 12, 31), (23, 59, (i % 60) as u32)), tz: None }),
                "blob" => Value::Bytes(vec![0, 255, i as u8, b'\\', b'\'']),
                "note" => if i % 3 == 0 { Value::Null } else { Value::from("x") },
            }
        })
        .collect()
}

#[tokio::test]
async fn rows_written_are_read_back_with_their_types() {
    let server = server!();
    let url = server.database("written_rows").await;
    let rows = typed_rows(2500);
    write_all(
        &format!("{url}?table=people&mode=create"),
        &IterableOptions::write(),
        &rows,
    )
    .await
    .unwrap();
    let mut back = read(&format!("{url}?table=people")).await;
    // Decimals come back at the column's scale; the rest as written.
    for row in &mut back {
        if let Some(Value::Decimal(d)) = row.get_mut("price") {
            assert_eq!(d.scale, 2);
        }
    }
    assert_rows(&back, &rows);
    // Zoned timestamps are kept in UTC, and read back without their zone.
    let zoned = [
        row! { "at" => Value::Timestamp(Timestamp { datetime: at((2024, 5, 1), (10, 0, 0)), tz: Some("UTC".into()) }) },
    ];
    write_all(
        &format!("{url}?table=zoned"),
        &IterableOptions::write(),
        &zoned,
    )
    .await
    .unwrap();
    assert_eq!(
        read(&format!("{url}?table=zoned")).await,
        [
            row! { "at" => Value::Timestamp(Timestamp { datetime: at((2024, 5, 1), (10, 0, 0)), tz: None }) }
        ]
    );
    // Lists and maps are JSON text.
    let nested = [row! { "tags" => vec![Value::from("a"), Value::Int(1)] }];
    write_all(
        &format!("{url}?table=nested"),
        &IterableOptions::write(),
        &nested,
    )
    .await
    .unwrap();
    assert_eq!(
        read(&format!("{url}?table=nested")).await,
        [row! { "tags" => "[\"a\",1]" }]
    );
}

#[tokio::test]
async fn table_modes_create_append_replace_and_upsert() {
    let server = server!();
    let url = server.database("table_modes").await;
    let at = |mode: &str| format!("{url}?table=people&mode={mode}");
    let people = |pairs: &[(i64, &str)]| -> Vec<Row> {
        pairs
            .iter()
            .map(|(id, name)| row! { "id" => *id, "name" => *name })
            .collect()
    };
    let write = IterableOptions::write();
    write_all(&at("create"), &write, &people(&[(1, "Ana"), (2, "Ben")]))
        .await
        .unwrap();
    let err = write_all(&at("create"), &write, &people(&[(3, "Cy")]))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the table \"people\" exists already (mode create)"),
        "{err}"
    );
    assert!(!err.contains(PASSWORD), "{err}");
    write_all(&at("append"), &write, &people(&[(3, "Cy")]))
        .await
        .unwrap();
    assert_eq!(
        read(&at("append")).await,
        people(&[(1, "Ana"), (2, "Ben"), (3, "Cy")])
    );
    write_all(&at("replace"), &write, &people(&[(9, "Zed")]))
        .await
        .unwrap();
    assert_eq!(read(&at("append")).await, people(&[(9, "Zed")]));
    // A replace that fails (the table made from the first row lacks `nom`) leaves the
    // old table.
    let bad = [
        row! { "id" => 10, "name" => "ok" },
        row! { "id" => 11, "nom" => "bad" },
    ];
    let one_row_decides = IterableOptions::write().schema_scan_rows(1);
    let err = write_all(&at("replace"), &one_row_decides, &bad)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("row 2") && err.contains("\"nom\" is not in the table"),
        "{err}"
    );
    assert_eq!(read(&at("append")).await, people(&[(9, "Zed")]));

    let up = format!("{url}?table=u&mode=upsert&key=id");
    write_all(&up, &write, &people(&[(1, "Ana"), (2, "Ben")]))
        .await
        .unwrap();
    write_all(&up, &write, &people(&[(2, "Bea"), (3, "Cy"), (3, "Cyd")]))
        .await
        .unwrap();
    let sorted = format!("{url}?query=SELECT%20*%20FROM%20u%20ORDER%20BY%20id");
    assert_eq!(
        read(&sorted).await,
        people(&[(1, "Ana"), (2, "Bea"), (3, "Cyd")])
    );

    // Appending rows without a column keeps its default.
    let mut conn = server.conn(Some("table_modes")).await;
    conn.query_drop(
        "CREATE TABLE serial (id BIGINT AUTO_INCREMENT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .await
    .unwrap();
    let names: Vec<Row> = ["x", "y"].iter().map(|n| row! { "name" => *n }).collect();
    write_all(&format!("{url}?table=serial"), &write, &names)
        .await
        .unwrap();
    assert_eq!(
        read(&format!("{url}?table=serial")).await,
        [
            row! { "id" => 1, "name" => "x" },
            row! { "id" => 2, "name" => "y" }
        ]
    );
}

#[tokio::test]
async fn a_write_that_fails_at_row_500001_leaves_the_table_as_it_was() {
    let server = server!();
    let url = server.database("failed_write").await;
    let table = format!("{url}?table=n");
    write_all(
        &table,
        &IterableOptions::write(),
        &[row! { "id" => 0, "name" => "kept" }],
    )
    .await
    .unwrap();
    // Appending streams by LOAD DATA LOCAL; an upsert goes by INSERTs.
    for written in [table.clone(), format!("{url}?table=n&mode=upsert&key=id")] {
        let mut out = IterableOptions::write().open(&written).await.unwrap();
        let chunk: Vec<Row> = (1..=10_000)
            .map(|i| row! { "id" => i, "name" => "new" })
            .collect();
        let mut failure = None;
        for _ in 0..50 {
            if let Err(e) = out.awrite_bulk(&chunk).await {
                failure = Some(e);
                break;
            }
        }
        if failure.is_none() {
            failure = out
                .awrite(&row! { "id" => "not a number", "name" => "bad" })
                .await
                .err();
        }
        let failure = match failure {
            Some(e) => e,
            None => out.aclose().await.unwrap_err(),
        };
        let text = failure.to_string();
        assert!(text.contains("row 500001"), "{text}");
        assert!(
            text.contains("`id`") && text.contains("not a number"),
            "{text}"
        );
        assert!(!text.contains(PASSWORD), "{text}");
        assert_eq!(read(&table).await, [row! { "id" => 0, "name" => "kept" }]);
    }
}

#[tokio::test]
async fn a_dropped_writer_leaves_nothing_behind() {
    let server = server!();
    let url = server.database("dropped_writer").await;
    {
        let mut out = IterableOptions::write()
            .open(&format!("{url}?table=t"))
            .await
            .unwrap();
        let rows: Vec<Row> = (0..5000).map(|i| row! { "id" => i }).collect();
        out.awrite_bulk(&rows).await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let err = match aopen_iterable(&format!("{url}?table=t")).await {
        Ok(_) => panic!("the table was left behind"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("doesn't exist"), "{err}");
}

#[tokio::test]
async fn a_killed_connection_mid_read_is_an_error_not_a_short_read() {
    let server = server!();
    let url = server.database("killed_read").await;
    let mut conn = server.conn(Some("killed_read")).await;
    conn.query_drop(
        "CREATE TABLE big (id BIGINT, pad TEXT);
         INSERT INTO big SELECT seq, REPEAT('x', 200) FROM seq_1_to_300000",
    )
    .await
    .unwrap();
    let mut src = aopen_iterable(&format!("{url}?table=big")).await.unwrap();
    assert_eq!(src.aread_bulk(100).await.unwrap().len(), 100);
    let ids: Vec<u64> = conn
        .query("SELECT id FROM information_schema.processlist WHERE db = 'killed_read' AND id <> CONNECTION_ID()")
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    conn.query_drop(format!("KILL {}", ids[0])).await.unwrap();
    let mut rows = 100;
    let err = loop {
        match src.aread_bulk(10_000).await {
            Ok(batch) if batch.is_empty() => panic!("the read ended quietly after {rows} rows"),
            Ok(batch) => rows += batch.len(),
            Err(e) => break e.to_string(),
        }
    };
    assert!(rows < 300_000, "{rows}");
    assert!(
        err.contains("MySQL") && err.contains("killed_read"),
        "{err}"
    );
    assert!(!err.contains(PASSWORD), "{err}");
}

#[tokio::test]
async fn bad_sql_a_missing_table_and_a_wrong_password_are_clear_errors() {
    let server = server!();
    let url = server.database("clear_errors").await;
    let open_err = |location: String| async move {
        match aopen_iterable(&location).await {
            Ok(_) => panic!("{location} opened"),
            Err(e) => e.to_string(),
        }
    };
    let err = open_err(format!("{url}?table=nope")).await;
    assert!(err.contains("clear_errors.nope' doesn't exist"), "{err}");
    assert!(
        err.contains(":***@127.0.0.1") && !err.contains(PASSWORD),
        "{err}"
    );
    let err = open_err(format!("{url}?query=SELEC%201")).await;
    assert!(
        err.contains("You have an error in your SQL syntax"),
        "{err}"
    );
    let err = open_err(format!("{}?table=t", url.replace(PASSWORD, "wrong-pw"))).await;
    assert!(err.contains("Access denied"), "{err}");
    assert!(!err.contains("wrong-pw"), "{err}");
    let err = open_err(url.clone()).await;
    assert!(err.contains("the database has no table to read"), "{err}");
}

#[tokio::test]
async fn tables_convert_to_parquet_and_back() {
    let server = server!();
    let url = server.database("parquet_round_trip").await;
    let rows = typed_rows(3000);
    write_all(
        &format!("{url}?table=src"),
        &IterableOptions::write(),
        &rows,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("people.parquet");
    let parquet = parquet.to_str().unwrap();
    let report = aconvert(
        &format!("{url}?table=src"),
        parquet,
        &ConvertOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.rows_written, 3000);
    assert_rows(&read(parquet).await, &rows);
    aconvert(
        parquet,
        &format!("{url}?table=back&mode=create"),
        &ConvertOptions::default(),
    )
    .await
    .unwrap();
    assert_rows(&read(&format!("{url}?table=back")).await, &rows);
}

#[tokio::test]
async fn the_schema_comes_from_the_catalog() {
    let server = server!();
    let url = server.database("schema_catalog").await;
    let mut conn = server.conn(Some("schema_catalog")).await;
    conn.query_drop(
        "CREATE TABLE t (id BIGINT NOT NULL, amount DECIMAL(12, 2), name TEXT, at TIMESTAMP NULL, ok BOOLEAN, big BIGINT UNSIGNED);
         INSERT INTO t (id) VALUES (1)",
    )
    .await
    .unwrap();
    let schema = arrow::aschema(&format!("{url}?table=t"), &IterableOptions::read())
        .await
        .unwrap();
    let text: Vec<String> = arrow::schema_to_text(&schema)
        .into_iter()
        .map(|(name, ty)| format!("{name}: {ty}"))
        .collect();
    assert_eq!(
        text,
        [
            "id: non-null Int64",
            "amount: Decimal128(12, 2)",
            "name: Utf8",
            "at: Timestamp(µs, \"UTC\")",
            "ok: Boolean",
            // Only its values could type it, and it has none.
            "big: Utf8"
        ]
    );
}

/// Whether the connection of a query location runs over TLS, as the server sees it.
async fn over_tls(url: &str) -> iterable::Result<bool> {
    let sep = if url.contains('?') { '&' } else { '?' };
    let query = "SHOW SESSION STATUS LIKE 'Ssl_cipher'";
    let location = format!("{url}{sep}query={}", query.replace(' ', "%20"));
    let rows = iterable_tests::collect(iterable::aopen_iterable(&location).await?).await?;
    Ok(rows[0]["Value"] != Value::from(""))
}

#[tokio::test]
async fn tls_is_used_as_ssl_mode_asks_and_certificates_are_checked() {
    let server = server!();
    let url = server.database("tls").await;
    let root = server.root_certificate();
    let root = root.to_str().unwrap();
    let other = server.other_root_certificate();
    let other = other.to_str().unwrap();
    let localhost = url.replace("@127.0.0.1:", "@localhost:");

    // The default (PREFERRED) takes the TLS the server offers; DISABLED does not.
    assert!(over_tls(&url).await.unwrap());
    assert!(!over_tls(&format!("{url}?ssl-mode=DISABLED")).await.unwrap());
    assert!(over_tls(&format!("{url}?ssl-mode=REQUIRED")).await.unwrap());
    // The certificate names localhost: connected by that name, both modes that check
    // it verify; by 127.0.0.1, VERIFY_IDENTITY refuses, and VERIFY_CA says that the
    // driver cannot skip the name check.
    let ca = format!("ssl-ca={root}");
    for mode in ["VERIFY_CA", "VERIFY_IDENTITY"] {
        let tls = over_tls(&format!("{localhost}?ssl-mode={mode}&{ca}")).await;
        assert!(tls.unwrap(), "{mode}");
    }
    let err = over_tls(&format!("{url}?ssl-mode=VERIFY_IDENTITY&{ca}"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("MySQL, connecting") && err.contains("not valid for name \"127.0.0.1\""),
        "{err}"
    );
    assert!(!err.contains(PASSWORD), "{err}");
    let err = over_tls(&format!("{url}?ssl-mode=VERIFY_CA&{ca}"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("connect by a name the certificate holds"),
        "{err}"
    );
    // Another root: the chain does not verify.
    let err = over_tls(&format!("{localhost}?ssl-mode=VERIFY_CA&ssl-ca={other}"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("UnknownIssuer"), "{err}");
    // A mode or a file that is not there is refused before connecting.
    let err = over_tls(&format!("{url}?ssl-mode=sometimes"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ssl-mode=sometimes is not one of DISABLED"),
        "{err}"
    );
    let err = over_tls(&format!("{url}?ssl-mode=VERIFY_CA&ssl-ca=/nonexistent.pem"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ssl-ca /nonexistent.pem: no such file"),
        "{err}"
    );
    // Rows go both ways over TLS.
    let tls = format!("{localhost}?ssl-mode=VERIFY_IDENTITY&{ca}&table=people&mode=create");
    write_all(
        &tls,
        &IterableOptions::write(),
        &[row! { "id" => 1, "name" => "Ana" }],
    )
    .await
    .unwrap();
    assert_eq!(
        read(&tls.replace("&mode=create", "")).await,
        [row! { "id" => 1, "name" => "Ana" }]
    );
}
