//! PostgreSQL servers as locations, against a real server started for these tests
//! (see `servers/postgres.rs`): every type read as its value, rows written and read
//! back, the table modes, one transaction a write, Parquet round trips, a killed
//! connection, and errors that name the location without its password.

use crate::servers;

use iterable::{
    ConvertOptions, Decimal, IterableOptions, Row, TableMode, Timestamp, Value, aconvert,
    aopen_iterable, arrow, row,
};
use iterable_tests::{assert_rows, collect, read_all as read, write_all};
use servers::postgres::{PASSWORD, Postgres};

macro_rules! server {
    () => {
        match Postgres::get() {
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

const EVERY_TYPE: &str = "
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE TABLE every (
        i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
        exact numeric(20, 6), free numeric, yes boolean, t text, v varchar(10), c char(3),
        b bytea, d date, tm time, ts timestamp, tstz timestamptz, iv interval, u uuid,
        j json, jb jsonb, ints integer[], texts text[], grid integer[][], m mood, ip inet
    );
    SET TIME ZONE 'Europe/Paris';
    INSERT INTO every VALUES (
        -32768, 2147483647, -9223372036854775808, 1.5, 0.1,
        12345678901234.123456, 0.000000000000000000001, true, 'Zürich 東京 \"q\"', 'short', 'ab',
        '\\x00ff10', '2024-02-29', '23:59:59.5', '2024-05-01 10:00:00', '2024-05-01 12:00:00+02',
        '1 year 2 months 3 days 04:05:06.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '{\"k\": [1, 2.5, null]}', '{\"b\": true, \"a\": \"x\"}', '{1, NULL, 3}', '{\"a,b\", \"c\"}',
        '{{1, 2}, {3, 4}}', 'happy', '192.168.0.1/24'
    );
    INSERT INTO every VALUES (
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    );
";

fn expected_every_type() -> Vec<Row> {
    let full = row! {
        "i2" => -32768,
        "i4" => 2147483647,
        "i8" => i64::MIN,
        "f4" => 1.5,
        "f8" => 0.1,
        "exact" => Decimal { unscaled: 12345678901234123456, scale: 6 },
        "free" => Decimal { unscaled: 1, scale: 21 },
        "yes" => true,
        "t" => "Zürich 東京 \"q\"",
        "v" => "short",
        "c" => "ab ",
        "b" => Value::Bytes(vec![0, 255, 16]),
        "d" => Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
        "tm" => "23:59:59.500",
        "ts" => Value::Timestamp(Timestamp { datetime: at((2024, 5, 1), (10, 0, 0)), tz: None }),
        "tstz" => Value::Timestamp(Timestamp { datetime: at((2024, 5, 1), (10, 0, 0)), tz: Some("UTC".into()) }),
        "iv" => "P1Y2M3DT4H5M6.5S",
        "u" => "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "j" => Value::Map(row! { "k" => vec![Value::Int(1), Value::Float(2.5), Value::Null] }),
        "jb" => Value::Map(row! { "a" => "x", "b" => true }),
        "ints" => vec![Value::Int(1), Value::Null, Value::Int(3)],
        "texts" => vec![Value::from("a,b"), Value::from("c")],
        "grid" => vec![
            Value::List(vec![Value::Int(1), Value::Int(2)]),
            Value::List(vec![Value::Int(3), Value::Int(4)]),
        ],
        "m" => "happy",
        "ip" => "192.168.0.1/24",
    };
    let empty = Row::from_parts(
        full.header().clone(),
        vec![Value::Null; full.values().len()],
    );
    vec![full, empty]
}

#[tokio::test]
async fn every_type_reads_as_its_value() {
    let server = server!();
    let url = server.database("every_type").await;
    server
        .client("every_type")
        .await
        .batch_execute(EVERY_TYPE)
        .await
        .unwrap();
    let rows = read(&format!("{url}?table=every")).await;
    assert_rows(&rows, &expected_every_type());
    // A database of one table reads it without naming it; a query reads what it selects.
    assert_eq!(read(&url).await, expected_every_type());
    let query = format!(
        "{url}?query=SELECT%20i4,%20t%20AS%20name%20FROM%20every%20WHERE%20i4%20IS%20NOT%20NULL;"
    );
    assert_eq!(
        read(&query).await,
        [row! { "i4" => 2147483647, "name" => "Zürich 東京 \"q\"" }]
    );
    // Only the columns asked, in their order.
    let some = IterableOptions::read()
        .table("every")
        .columns(["u", "i2"])
        .open(&url)
        .await
        .unwrap();
    let some = collect(some).await.unwrap();
    assert_eq!(
        some[0],
        row! { "u" => "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "i2" => -32768 }
    );
}

/// Batches come straight from the binary COPY (no row made); they are the batches the
/// rows make, on every type, nulls, infinities named as errors, across batches.
#[tokio::test]
async fn batches_straight_from_the_copy_are_the_rows_batches() {
    use futures::StreamExt;
    let server = server!();
    let url = server.database("columnar_road").await;
    let client = server.client("columnar_road").await;
    client.batch_execute(EVERY_TYPE).await.unwrap();
    client
        .batch_execute(
            "INSERT INTO every (i4, t, d, ts) SELECT g, 'row ' || g, DATE '2024-01-01' + g, \
             TIMESTAMP '2024-01-01' + g * INTERVAL '1 hour' FROM generate_series(1, 5000) g",
        )
        .await
        .unwrap();
    let location = format!("{url}?table=every");
    // The JSON and array columns are typed from the first 100 rows.
    let options = IterableOptions::read()
        .batch_size(1000)
        .schema_scan_rows(100);
    let schema = arrow::aschema(&location, &options).await.unwrap();
    let straight: Vec<arrow::RecordBatch> = arrow::aopen_batches(&location, &options)
        .await
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
        .await;
    let typed = options.clone().schema(arrow::schema_to_text(&schema));
    let rows = options.open(&location).await.unwrap();
    let by_rows: Vec<arrow::RecordBatch> = arrow::batches(rows, &typed)
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
        .await;
    assert_eq!(straight.iter().map(|b| b.num_rows()).sum::<usize>(), 5002);
    assert!(straight.iter().all(|b| b.num_rows() <= 1000));
    let concat = |batches: &[arrow::RecordBatch]| {
        arrow_select::concat::concat_batches(&schema, batches).unwrap()
    };
    assert_eq!(concat(&straight), concat(&by_rows));

    // `infinity` has no place in a Date32 column: an error naming the row and column.
    client
        .batch_execute("INSERT INTO every (d) VALUES ('infinity')")
        .await
        .unwrap();
    let mut batches = arrow::aopen_batches(&location, &options).await.unwrap();
    let err = loop {
        match batches.next().await {
            Some(Ok(_)) => continue,
            Some(Err(e)) => break e.to_string(),
            None => panic!("no error"),
        }
    };
    assert!(
        err.contains("row 5003, column \"d\"") && err.contains("infinity"),
        "{err}"
    );
    // Typed from rows that disagree, the error names the location, its password masked.
    let err = arrow::aschema(&location, &IterableOptions::read())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("columnar_road?table=every"), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
}

#[tokio::test]
async fn the_schema_comes_from_the_catalog() {
    let server = server!();
    let url = server.database("schema_catalog").await;
    server
        .client("schema_catalog")
        .await
        .batch_execute(
            "CREATE TABLE t (id bigint NOT NULL, amount numeric(12, 2), name text, at timestamptz, ok boolean);
             INSERT INTO t VALUES (1, NULL, NULL, NULL, NULL)",
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
            "ok: Boolean"
        ]
    );
}

fn typed_rows(n: i64) -> Vec<Row> {
    (0..n)
        .map(|i| {
            row! {
                "id" => i,
                "name" => format!("name {i}\tZürich\n東京 \\ \"q\""),
                "score" => i as f64 / 4.0,
                "price" => Decimal { unscaled: i as i128 * 101, scale: 2 },
                "ok" => i % 2 == 0,
                "day" => Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 1, 1 + (i % 28) as u32).unwrap()),
                "at" => Value::Timestamp(Timestamp { datetime: at((2024, 5, 1), (10, 0, (i % 60) as u32)), tz: Some("UTC".into()) }),
                "local" => Value::Timestamp(Timestamp { datetime: at((1999, 12, 31), (23, 59, (i % 60) as u32)), tz: None }),
                "blob" => Value::Bytes(vec![0, 255, i as u8, b'\\', b'\n']),
                "tags" => vec![Value::from("a\"b"), Value::from(format!("{i}")), Value::Null],
                "mixed" => vec![Value::from("a"), Value::Int(i)],
                "meta" => Value::Map(row! { "k" => i, "nested" => vec![Value::Bool(true)] }),
                "note" => if i % 3 == 0 { Value::Null } else { Value::from("x") },
            }
        })
        .collect()
}

#[tokio::test]
async fn rows_written_are_read_back_with_their_types() {
    let server = server!();
    let url = server.database("written_rows").await;
    let table = format!("{url}?table=people&mode=create");
    let rows = typed_rows(2500);
    write_all(&table, &IterableOptions::write(), &rows)
        .await
        .unwrap();
    assert_rows(&read(&format!("{url}?table=people")).await, &rows);
    // The table's columns were made from the rows' types.
    let types: Vec<(String, String)> = server
        .client("written_rows")
        .await
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_name = 'people' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let types: Vec<String> = types.into_iter().map(|(c, t)| format!("{c} {t}")).collect();
    assert_eq!(
        types,
        [
            "id bigint",
            "name text",
            "score double precision",
            "price numeric",
            "ok boolean",
            "day date",
            "at timestamp with time zone",
            "local timestamp without time zone",
            "blob bytea",
            "tags ARRAY",
            "mixed jsonb",
            "meta jsonb",
            "note text",
        ]
    );
    // Rewinding re-runs the query.
    let mut src = aopen_iterable(&format!("{url}?table=people"))
        .await
        .unwrap();
    assert_eq!(src.aread_bulk(3).await.unwrap(), rows[..3]);
    src.areset().await.unwrap();
    assert_eq!(collect(src).await.unwrap().len(), rows.len());
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

    // Upsert by key, the last row of a key winning, in the table's own schema.
    let admin = server.client("table_modes").await;
    admin.batch_execute("CREATE SCHEMA sales").await.unwrap();
    let up = format!("{url}?schema=sales&table=u&mode=upsert&key=id");
    write_all(&up, &write, &people(&[(1, "Ana"), (2, "Ben")]))
        .await
        .unwrap();
    write_all(&up, &write, &people(&[(2, "Bea"), (3, "Cy"), (3, "Cyd")]))
        .await
        .unwrap();
    let by_name = format!("{url}?query=SELECT%20*%20FROM%20sales.u%20ORDER%20BY%20id");
    assert_eq!(
        read(&by_name).await,
        people(&[(1, "Ana"), (2, "Bea"), (3, "Cyd")])
    );

    // Appending rows without a column keeps the column's default.
    admin
        .batch_execute("CREATE TABLE serial (id bigserial PRIMARY KEY, name text NOT NULL)")
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
    let err = write_all(
        &format!("{url}?table=serial"),
        &write,
        &[row! { "nom" => "z" }],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("row 1") && err.contains("\"nom\" is not in the table"),
        "{err}"
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
    let mut out = IterableOptions::write().open(&table).await.unwrap();
    let mut failure = None;
    let chunk: Vec<Row> = (1..=10_000)
        .map(|i| row! { "id" => i, "name" => "new" })
        .collect();
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
        text.contains("column id") && text.contains("not a number"),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");
    assert_eq!(read(&table).await, [row! { "id" => 0, "name" => "kept" }]);
}

#[tokio::test]
async fn a_dropped_writer_leaves_the_table_as_it_was() {
    let server = server!();
    let url = server.database("dropped_writer").await;
    let table = format!("{url}?table=t");
    write_all(&table, &IterableOptions::write(), &[row! { "id" => 1 }])
        .await
        .unwrap();
    {
        let mut out = IterableOptions::write().open(&table).await.unwrap();
        let rows: Vec<Row> = (2..5000).map(|i| row! { "id" => i }).collect();
        out.awrite_bulk(&rows).await.unwrap();
        // Dropped without aclose.
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(read(&table).await, [row! { "id" => 1 }]);
}

#[tokio::test]
async fn a_killed_connection_mid_read_is_an_error_not_a_short_read() {
    let server = server!();
    let url = server.database("killed_read").await;
    let query = format!(
        "{url}?query=SELECT%20g%20AS%20id,%20repeat('x',%20200)%20AS%20pad%20FROM%20generate_series(1,%202000000)%20g"
    );
    let mut src = aopen_iterable(&query).await.unwrap();
    let first = src.aread_bulk(100).await.unwrap();
    assert_eq!(first.len(), 100);
    let admin = server.client("killed_read").await;
    let killed: i64 = admin
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = 'killed_read' AND pid <> pg_backend_pid()) k",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(killed, 1);
    let mut rows = first.len();
    let err = loop {
        match src.aread_bulk(10_000).await {
            Ok(batch) if batch.is_empty() => panic!("the read ended quietly after {rows} rows"),
            Ok(batch) => rows += batch.len(),
            Err(e) => break e.to_string(),
        }
    };
    assert!(rows < 2_000_000, "{rows}");
    assert!(
        err.contains("PostgreSQL") && err.contains("killed_read"),
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
    assert!(err.contains("relation \"nope\" does not exist"), "{err}");
    assert!(
        err.contains(":***@127.0.0.1") && !err.contains(PASSWORD),
        "{err}"
    );
    let err = open_err(format!("{url}?query=SELEC%201")).await;
    assert!(err.contains("syntax error at or near \"SELEC\""), "{err}");
    let wrong = url.replace(PASSWORD, "wrong-pw");
    let err = open_err(format!("{wrong}?table=t")).await;
    assert!(err.contains("password authentication failed"), "{err}");
    assert!(!err.contains("wrong-pw"), "{err}");
    let err = open_err(url.clone()).await;
    assert!(err.contains("the database has no table to read"), "{err}");
    let err = open_err(format!("{url}?colour=red")).await;
    assert!(err.contains("\"colour\" is not one of table"), "{err}");
}

#[tokio::test]
async fn tables_convert_to_parquet_and_back() {
    let server = server!();
    let url = server.database("parquet_round_trip").await;
    // Parquet's lists hold one type: the mixed list stays behind.
    let rows: Vec<Row> = typed_rows(3000)
        .into_iter()
        .map(|mut row| {
            row.remove("mixed");
            row
        })
        .collect();
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
    assert!(
        report.input.contains(":***@") && !report.input.contains(PASSWORD),
        "{}",
        report.input
    );
    assert_rows(&read(parquet).await, &rows);
    // ORC by the same batches: the same rows, its text columns for the types orc-rust
    // cannot encode (see the ORC module docs).
    let orc = dir.path().join("people.orc");
    let orc = orc.to_str().unwrap();
    let report = aconvert(&format!("{url}?table=src"), orc, &ConvertOptions::default())
        .await
        .unwrap();
    assert_eq!(report.rows_written, 3000);
    let from_orc = read(orc).await;
    assert_eq!(from_orc.len(), 3000);
    for column in ["id", "name", "score", "ok"] {
        assert_eq!(from_orc[2999][column], rows[2999][column], "{column}");
    }
    aconvert(
        parquet,
        &format!("{url}?table=back&mode=create"),
        &ConvertOptions::default(),
    )
    .await
    .unwrap();
    assert_rows(&read(&format!("{url}?table=back")).await, &rows);
    // Record batches straight from the server.
    let mut batches = arrow::aopen_batches(&format!("{url}?table=src"), &IterableOptions::read())
        .await
        .unwrap();
    let mut count = 0;
    while let Some(batch) = futures::StreamExt::next(&mut batches).await {
        count += batch.unwrap().num_rows();
    }
    assert_eq!(count, 3000);
}

#[tokio::test]
async fn table_modes_are_options_too() {
    let server = server!();
    let url = server.database("mode_options").await;
    let options = IterableOptions::write()
        .table("t")
        .table_mode(TableMode::Create);
    let mut out = options.open(&url).await.unwrap();
    out.awrite(&row! { "a" => 1 }).await.unwrap();
    out.aclose().await.unwrap();
    let mut again = options.open(&url).await.unwrap();
    again.awrite(&row! { "a" => 2 }).await.unwrap();
    let err = again.aclose().await.unwrap_err().to_string();
    assert!(err.contains("exists already"), "{err}");
}

#[tokio::test]
async fn many_tables_read_concurrently_as_one_iterable() {
    let server = server!();
    let url = server.database("many_tables").await;
    let admin = server.client("many_tables").await;
    for (table, from) in [("a", 1), ("b", 1001), ("c", 2001)] {
        admin
            .batch_execute(&format!(
                "CREATE TABLE {table} AS SELECT g AS id FROM generate_series({from}, {from} + 999) g"
            ))
            .await
            .unwrap();
    }
    let locations: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|t| format!("{url}?table={t}"))
        .collect();
    let src = IterableOptions::read()
        .concurrency(3)
        .location_column("from")
        .open_many(&locations)
        .await
        .unwrap();
    assert!(
        !src.info().location.contains(PASSWORD),
        "{}",
        src.info().location
    );
    let rows = collect(src).await.unwrap();
    let mut ids: Vec<i64> = rows
        .iter()
        .map(|r| r.get("id").unwrap().as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=3000).collect::<Vec<i64>>());
    let from = rows[0].get("from").unwrap().to_string();
    assert!(from.contains(":***@") && !from.contains(PASSWORD), "{from}");
}

/// Whether the connection of a query location runs over TLS, as the server sees it.
async fn over_tls(url: &str) -> iterable::Result<bool> {
    let sep = if url.contains('?') { '&' } else { '?' };
    let query = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    let location = format!("{url}{sep}query={}", query.replace(' ', "%20"));
    let rows = collect(aopen_iterable(&location).await?).await?;
    Ok(rows[0]["ssl"] == Value::Bool(true))
}

#[tokio::test]
async fn tls_is_used_as_sslmode_asks_and_certificates_are_checked() {
    let server = server!();
    let url = server.database("tls").await;
    let root = server.root_certificate();
    let root = root.to_str().unwrap();
    let other = server.other_root_certificate();
    let other = other.to_str().unwrap();
    let localhost = url.replace("@127.0.0.1:", "@localhost:");

    // The default (prefer) takes the TLS the server offers; disable does not.
    assert!(over_tls(&url).await.unwrap());
    assert!(!over_tls(&format!("{url}?sslmode=disable")).await.unwrap());
    assert!(over_tls(&format!("{url}?sslmode=require")).await.unwrap());
    // The chain checked against the root that signed the server's certificate: the
    // certificate names localhost, so verify-full needs that name, verify-ca not.
    let ca = format!("sslrootcert={root}");
    assert!(
        over_tls(&format!("{url}?sslmode=verify-ca&{ca}"))
            .await
            .unwrap()
    );
    assert!(
        over_tls(&format!("{localhost}?sslmode=verify-full&{ca}"))
            .await
            .unwrap()
    );
    let err = over_tls(&format!("{url}?sslmode=verify-full&{ca}"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "connecting: error performing TLS handshake: invalid peer certificate: \
             certificate not valid for name \"127.0.0.1\""
        ),
        "{err}"
    );
    assert!(!err.contains(PASSWORD), "{err}");
    // Another root: the chain does not verify, whatever the mode that checks it.
    for mode in ["verify-ca", "require"] {
        let err = over_tls(&format!("{url}?sslmode={mode}&sslrootcert={other}"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("UnknownIssuer"), "{mode}: {err}");
    }
    // Checking with nothing to check against is refused before connecting.
    let err = over_tls(&format!(
        "{url}?sslmode=verify-full&sslrootcert=/nonexistent/root.pem"
    ))
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("sslrootcert /nonexistent/root.pem"), "{err}");
    // Rows go both ways over TLS.
    let tls = format!("{localhost}?sslmode=verify-full&{ca}&table=people&mode=create");
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
