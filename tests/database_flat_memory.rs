//! A table of 1,000,000 rows streams from PostgreSQL and from MariaDB in flat memory:
//! the process's peak resident size grows by far less than the rows would take. Alone
//! in its test binary, one server after the other, so that nothing else's memory is
//! counted.

mod servers;

use futures::StreamExt;
use iterable::aopen_iterable;
use mysql_async::prelude::Queryable;
use servers::mariadb::Mariadb;
use servers::postgres::Postgres;

/// The process's peak resident size (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Reads all of `location` (1,000,000 rows numbered from 1 in `id`) and returns how
/// far the peak resident size grew.
async fn stream_all(location: &str) -> u64 {
    let before = peak_rss();
    let mut src = aopen_iterable(location).await.unwrap();
    let (mut count, mut last_id) = (0u64, 0);
    while let Some(row) = src.next().await {
        let row = row.unwrap();
        count += 1;
        last_id = row.get("id").and_then(|v| v.as_i64()).unwrap();
    }
    assert_eq!((count, last_id), (1_000_000, 1_000_000), "{location}");
    peak_rss().saturating_sub(before)
}

// About 200 bytes of text a row: 200 MB if the rows were held.
const LIMIT: u64 = 48 << 20;

#[tokio::test]
async fn a_million_rows_stream_in_flat_memory() {
    if let Some(server) = Postgres::get() {
        let url = server.database("flat_memory").await;
        server
            .client("flat_memory")
            .await
            .batch_execute(
                "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS name, repeat('p', 100) AS pad, \
                 g * 0.5 AS half FROM generate_series(1, 1000000) g ORDER BY g",
            )
            .await
            .unwrap();
        let grown = stream_all(&format!(
            "{url}?query=SELECT%20*%20FROM%20big%20ORDER%20BY%20id"
        ))
        .await;
        assert!(
            grown < LIMIT,
            "PostgreSQL: peak memory grew by {} MiB",
            grown >> 20
        );
    }
    if let Some(server) = Mariadb::get() {
        let url = server.database("flat_memory").await;
        let mut conn = server.conn(Some("flat_memory")).await;
        conn.query_drop(
            "CREATE TABLE big AS SELECT seq AS id, md5(seq) AS name, REPEAT('p', 100) AS pad, \
             seq * 0.5 AS half FROM seq_1_to_1000000",
        )
        .await
        .unwrap();
        let grown = stream_all(&format!(
            "{url}?query=SELECT%20*%20FROM%20big%20ORDER%20BY%20id"
        ))
        .await;
        assert!(
            grown < LIMIT,
            "MariaDB: peak memory grew by {} MiB",
            grown >> 20
        );
    }
}
