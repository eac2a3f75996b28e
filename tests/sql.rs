//! SQL over locations (iterable-datafusion): each format gives the rows that reading
//! and filtering by hand gives, globs of compressed files are read a partition a file,
//! columns and limits reach the readers, and errors name the location.

use std::time::Duration;

use iterable::{IterableOptions, Row, Value, row};
use iterable_datafusion::datafusion::arrow::array::RecordBatch;
use iterable_datafusion::datafusion::arrow::datatypes::DataType;
use iterable_datafusion::datafusion::physical_plan::{ExecutionPlanProperties, displayable};
use iterable_datafusion::datafusion::prelude::SessionContext;
use iterable_datafusion::{LocationTable, TableOptions, register_location, session_context};
use iterable_tests::collect;

use crate::servers::http::HttpServer;
use crate::servers::s3::S3Server;

const CITIES: [&str; 4] = ["Oslo", "Rome", "Lima", "Kyiv"];

fn sales(n: usize) -> Vec<Row> {
    (0..n)
        .map(|i| {
            row! {
                "id" => i as i64,
                "city" => CITIES[i % CITIES.len()],
                "amount" => i as f64 * 1.25 + 0.5,
                "note" => format!("sale number {i}"),
            }
        })
        .collect()
}

async fn write(location: &str, rows: &[Row]) {
    let mut dst = IterableOptions::write().open(location).await.unwrap();
    dst.awrite_bulk(rows).await.unwrap();
    dst.aclose().await.unwrap();
}

/// The rows of a query's result.
async fn query(ctx: &SessionContext, sql: &str) -> Vec<Row> {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    rows_of(&batches)
}

fn rows_of(batches: &[RecordBatch]) -> Vec<Row> {
    let mut rows = Vec::new();
    for batch in batches {
        let names: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let header = std::sync::Arc::new(iterable::Header::new(names));
        rows.extend(iterable::arrow::record_batch_to_rows(batch, &header).unwrap());
    }
    rows
}

/// A value read as text (a CSV field) or typed, as a number.
fn number(value: &Value) -> f64 {
    match value {
        Value::Int(n) => *n as f64,
        Value::Float(f) => *f,
        Value::String(s) => s.as_str().parse().unwrap(),
        other => panic!("not a number: {other:?}"),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.as_str().to_owned(),
        other => panic!("not text: {other:?}"),
    }
}

/// (id, city, amount) of a row, whatever types its format gave.
fn sale(row: &Row) -> (i64, String, f64) {
    (
        number(&row["id"]) as i64,
        text(&row["city"]),
        number(&row["amount"]),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_format_gives_the_rows_read_and_filtered_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let rows = sales(3_000);
    let ctx = session_context(TableOptions::new());
    for name in [
        "sales.csv",
        "sales.jsonl",
        "sales.xlsx",
        "sales.parquet",
        "sales.tsv.gz",
    ] {
        let path = dir.path().join(name);
        let path = path.to_str().unwrap();
        write(path, &rows).await;

        let got: Vec<_> = query(
            &ctx,
            &format!(
                "SELECT id, city, amount FROM '{path}' \
                 WHERE amount > 1000 AND city IN ('Oslo', 'Lima') ORDER BY id"
            ),
        )
        .await
        .iter()
        .map(sale)
        .collect();

        let mut by_hand: Vec<_> = collect(iterable::aopen_iterable(path).await.unwrap())
            .await
            .unwrap()
            .iter()
            .map(sale)
            .filter(|(_, city, amount)| *amount > 1000.0 && (city == "Oslo" || city == "Lima"))
            .collect();
        by_hand.sort_by_key(|s| s.0);
        assert_eq!(got, by_hand, "{name}");
        assert_eq!(got.len(), 1_100, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_glob_of_compressed_files_is_a_partition_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let rows = sales(9_000);
    for (i, codec) in ["gz", "zst", "bz2"].iter().enumerate() {
        let path = dir.path().join(format!("part-{i}.csv.{codec}"));
        write(path.to_str().unwrap(), &rows[i * 3_000..(i + 1) * 3_000]).await;
    }
    let glob = format!("{}/part-*.csv.*", dir.path().display());

    let table = LocationTable::open(&glob, &TableOptions::new())
        .await
        .unwrap();
    assert_eq!(table.files().count(), 3);
    let ctx = SessionContext::new();
    let plan = iterable_datafusion::datafusion::catalog::TableProvider::scan(
        &table,
        &ctx.state(),
        None,
        &[],
        None,
    )
    .await
    .unwrap();
    assert_eq!(plan.output_partitioning().partition_count(), 3);

    register_location(&ctx, "sales", &glob, &TableOptions::new())
        .await
        .unwrap();
    let got = query(
        &ctx,
        "SELECT city, count(*) AS n, sum(amount) AS total FROM sales GROUP BY city ORDER BY city",
    )
    .await;
    let all: Vec<_> = collect(iterable::aopen_iterable(&glob).await.unwrap())
        .await
        .unwrap()
        .iter()
        .map(sale)
        .collect();
    assert_eq!(all.len(), 9_000);
    let mut cities: Vec<&str> = CITIES.to_vec();
    cities.sort();
    let by_hand: Vec<(String, i64, f64)> = cities
        .iter()
        .map(|city| {
            let of_city: Vec<_> = all.iter().filter(|s| s.1 == *city).collect();
            (
                city.to_string(),
                of_city.len() as i64,
                of_city.iter().map(|s| s.2).sum(),
            )
        })
        .collect();
    let got: Vec<(String, i64, f64)> = got
        .iter()
        .map(|r| {
            (
                text(&r["city"]),
                number(&r["n"]) as i64,
                number(&r["total"]),
            )
        })
        .collect();
    assert_eq!(got, by_hand);
}

/// A glob of compressed objects on an S3-compatible server, registered by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_store_glob_is_registered_by_name() {
    let s3 = S3Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let rows = sales(2_000);
    for (i, name) in ["2024/a.csv.gz", "2024/b.csv.zst", "2023/c.csv.gz"]
        .iter()
        .enumerate()
    {
        let local = dir.path().join(format!("{i}-{}", name.replace('/', "-")));
        let local = local.to_str().unwrap();
        write(local, &rows[i * 500..(i + 1) * 500]).await;
        s3.put_file(name, &std::fs::read(local).unwrap());
    }
    let options = TableOptions::new().read(s3.options(IterableOptions::read()));
    let ctx = SessionContext::new();
    register_location(&ctx, "t", &s3.url("2024/*.csv.*"), &options)
        .await
        .unwrap();
    let got = query(
        &ctx,
        "SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM t",
    )
    .await;
    assert_eq!(
        got,
        vec![row! { "n" => 1_000i64, "lo" => 0i64, "hi" => 999i64 }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_typed_differently_in_two_files_widens() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "n,tag\n1,x\n2,y\n").unwrap();
    std::fs::write(dir.path().join("b.csv"), "n,extra\n2.5,true\n").unwrap();
    let glob = format!("{}/*.csv", dir.path().display());
    let table = LocationTable::open(&glob, &TableOptions::new())
        .await
        .unwrap();
    let schema = iterable_datafusion::datafusion::catalog::TableProvider::schema(&table);
    let types: Vec<(&str, &DataType)> = schema
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f.data_type()))
        .collect();
    assert_eq!(
        types,
        vec![
            ("n", &DataType::Float64),
            ("tag", &DataType::Utf8),
            ("extra", &DataType::Boolean)
        ]
    );
    let ctx = session_context(TableOptions::new());
    let got = query(
        &ctx,
        &format!("SELECT sum(n) AS s, count(tag) AS tags, count(extra) AS extras FROM '{glob}'"),
    )
    .await;
    assert_eq!(
        got,
        vec![row! { "s" => 5.5, "tags" => 2i64, "extras" => 1i64 }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_stays_text_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.csv");
    std::fs::write(&path, "n\n007\n10\n").unwrap();
    let ctx = session_context(TableOptions::new().type_text(false));
    let got = query(
        &ctx,
        &format!("SELECT n FROM '{}' ORDER BY n", path.display()),
    )
    .await;
    assert_eq!(got, vec![row! { "n" => "007" }, row! { "n" => "10" }]);
}

/// A schema given for the table types every file by it (as the `schema` reading option
/// reads it), `count(*)` included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_given_schema_types_every_file() {
    use iterable_datafusion::datafusion::arrow::datatypes::{Field, Schema};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "code,n\n007,1\n010,2\n").unwrap();
    std::fs::write(dir.path().join("b.csv"), "code,n\n011,3\n").unwrap();
    let glob = format!("{}/*.csv", dir.path().display());
    let schema = std::sync::Arc::new(Schema::new(vec![
        Field::new("code", DataType::Utf8, true),
        Field::new("n", DataType::Float64, true),
    ]));
    let ctx = session_context(TableOptions::new().schema(schema));
    let got = query(
        &ctx,
        &format!("SELECT min(code) AS lo, sum(n) AS s, count(*) AS rows FROM '{glob}'"),
    )
    .await;
    assert_eq!(
        got,
        vec![row! { "lo" => "007", "s" => 6.0, "rows" => 3i64 }]
    );
    let got = query(&ctx, &format!("SELECT count(*) AS rows FROM '{glob}'")).await;
    assert_eq!(got, vec![row! { "rows" => 3i64 }]);
}

/// Parquet over HTTP: a query that needs one column fetches that column's chunks and
/// the footer, not the rest. The server counts the body bytes it sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_columns_a_query_needs_are_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("wide.parquet");
    let local = local.to_str().unwrap();
    // Text that does not compress, beside the id column.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut noise = || {
        (0..4)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                format!("{seed:016x}")
            })
            .collect::<String>()
    };
    let rows: Vec<Row> = (0..20_000)
        .map(|i| row! { "id" => i as i64, "a" => noise(), "b" => noise() })
        .collect();
    write(local, &rows).await;
    let bytes = std::fs::read(local).unwrap();
    let http = HttpServer::start().await;
    http.put("wide.parquet", bytes.clone());
    let url = http.url("wide.parquet");

    let ctx = session_context(TableOptions::new());
    let got = query(
        &ctx,
        &format!("SELECT sum(id) AS s, count(*) AS n FROM '{url}'"),
    )
    .await;
    assert_eq!(
        got,
        vec![row! { "s" => (0..20_000i64).sum::<i64>(), "n" => 20_000i64 }]
    );
    let served = http.bytes_served();
    assert!(
        served < bytes.len() as u64 / 4,
        "served {served} of {} bytes",
        bytes.len()
    );
}

/// A limit reaches each file's scan, and the rows come while the rest of the file is
/// still held back by the server (nothing waits for the whole file).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_reaches_the_scan_and_rows_come_before_the_file_ends() {
    let mut csv = String::from("id,text\n");
    for i in 0..400_000 {
        csv.push_str(&format!("{i},row number {i}\n"));
    }
    let http = HttpServer::start().await;
    http.put("big.csv", csv.clone());
    let _held = http.hold_after("big.csv", 1 << 20);
    let url = http.url("big.csv");
    let options = TableOptions::new().read(IterableOptions::read().schema_scan_rows(100));
    let ctx = session_context(options);
    let sql = format!("SELECT id FROM '{url}' LIMIT 3");
    let frame = ctx.sql(&sql).await.unwrap();
    let plan = frame.clone().create_physical_plan().await.unwrap();
    let shown = displayable(plan.as_ref()).indent(true).to_string();
    assert!(shown.contains("LocationScan: files=["), "{shown}");
    assert!(shown.contains("columns=[id], limit=3"), "{shown}");
    let batches = tokio::time::timeout(Duration::from_secs(20), frame.collect())
        .await
        .expect("the limited read waited for the held rest of the file")
        .unwrap();
    assert_eq!(
        rows_of(&batches),
        vec![
            row! { "id" => 0i64 },
            row! { "id" => 1i64 },
            row! { "id" => 2i64 }
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_is_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/shop.sqlite", dir.path().display());
    write(&format!("{db}?table=sales&mode=create"), &sales(500)).await;
    let ctx = session_context(TableOptions::new());
    let got = query(
        &ctx,
        &format!(
            "SELECT count(*) AS n, max(amount) AS top FROM '{db}?table=sales' WHERE city = 'Rome'"
        ),
    )
    .await;
    assert_eq!(
        got,
        vec![row! { "n" => 125i64, "top" => 497.0 * 1.25 + 0.5 }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_the_location() {
    let dir = tempfile::tempdir().unwrap();
    let ctx =
        session_context(TableOptions::new().read(IterableOptions::read().schema_scan_rows(5)));

    let missing = dir.path().join("missing.csv");
    let err = ctx
        .sql(&format!("SELECT * FROM '{}'", missing.display()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing.csv") && err.contains("not found"),
        "{err}"
    );

    // A value after the rows the types were decided from that does not fit its column.
    let bad = dir.path().join("bad.csv");
    let mut csv = String::from("n\n");
    for i in 0..8 {
        csv.push_str(&format!("{i}\n"));
    }
    csv.push_str("eight\n");
    std::fs::write(&bad, csv).unwrap();
    // It is met when the types are decided (the first batch) or later, by the scan.
    let err = match ctx
        .sql(&format!("SELECT sum(n) FROM '{}'", bad.display()))
        .await
    {
        Ok(frame) => frame.collect().await.unwrap_err(),
        Err(e) => e,
    }
    .to_string();
    assert!(
        err.contains("bad.csv: row 9") && err.contains(r#"column "n": "eight" is not an integer"#),
        "{err}"
    );

    // Stdin cannot be read twice (the schema, then the rows).
    let err = LocationTable::open("-", &TableOptions::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("stdin (-) cannot be a table"), "{err}");

    // A folder is a table of the files in it; a name that is not a location stays a
    // table that is not found.
    let folder = dir.path().join("parts");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("x.csv"), "n\n1\n2\n").unwrap();
    let got = query(
        &ctx,
        &format!("SELECT sum(n) AS s FROM '{}'", folder.display()),
    )
    .await;
    assert_eq!(got, vec![row! { "s" => 3i64 }]);
    let err = ctx
        .sql("SELECT * FROM nowhere")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("nowhere") && err.contains("not found"),
        "{err}"
    );
}

/// A scan sent to another process as bytes (as a distributed engine's codec sends it)
/// reads the same rows there: the files, the columns, the limit and the format options
/// given by `TableOptions::set` travel with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_travels_as_bytes_and_reads_the_same_rows() {
    use iterable_datafusion::LocationScan;
    use iterable_datafusion::datafusion::catalog::TableProvider;
    use iterable_datafusion::datafusion::physical_plan::{ExecutionPlan, collect_partitioned};

    let dir = tempfile::tempdir().unwrap();
    for part in 0..2 {
        let mut text = String::from("id;city;amount\n");
        for i in 0..50 {
            text.push_str(&format!("{};{};{}.5\n", part * 50 + i, CITIES[i % 4], i));
        }
        std::fs::write(dir.path().join(format!("part-{part}.csv")), text).unwrap();
    }
    let glob = format!("{}/part-*.csv", dir.path().display());
    let options = TableOptions::new().set("delimiter", ";").unwrap();
    let table = LocationTable::open(&glob, &options).await.unwrap();
    let ctx = SessionContext::new();
    let plan = table
        .scan(&ctx.state(), Some(&vec![2, 0]), &[], Some(30))
        .await
        .unwrap();
    let scan = (plan.as_ref() as &dyn std::any::Any)
        .downcast_ref::<LocationScan>()
        .unwrap();
    let bytes = scan.to_bytes().unwrap();
    let there: std::sync::Arc<dyn ExecutionPlan> =
        std::sync::Arc::new(LocationScan::from_bytes(&bytes).unwrap());
    assert_eq!(there.schema(), plan.schema());
    assert_eq!(there.output_partitioning().partition_count(), 2);

    // Partition by partition: their batches are merged in no set order.
    let here = collect_partitioned(plan, ctx.task_ctx()).await.unwrap();
    let sent = collect_partitioned(there, ctx.task_ctx()).await.unwrap();
    let here = rows_of(&here.concat());
    let sent = rows_of(&sent.concat());
    assert_eq!(sent, here);
    assert_eq!(sent.len(), 60);
    assert_eq!(sent[0], row! { "amount" => 0.5, "id" => 0i64 });
    assert_eq!(sent[30], row! { "amount" => 0.5, "id" => 50i64 });

    // Options that cannot travel make an error here, not a different read there.
    let local = TableOptions::new().read(IterableOptions::read().delimiter(b';'));
    let table = LocationTable::open(&glob, &local).await.unwrap();
    let plan = table.scan(&ctx.state(), None, &[], None).await.unwrap();
    let scan = (plan.as_ref() as &dyn std::any::Any)
        .downcast_ref::<LocationScan>()
        .unwrap();
    let err = scan.to_bytes().unwrap_err().to_string();
    assert!(err.contains("TableOptions::set"), "{err}");
}
