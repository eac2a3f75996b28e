//! A table of 1,000,000 rows streams from PostgreSQL in flat memory: the process's
//! peak resident size grows by far less than the rows would take. Alone in its test
//! binary, so that no other test's memory is counted.

mod servers;

use futures::StreamExt;
use iterable::aopen_iterable;
use servers::postgres::Postgres;

/// The process's peak resident size (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test]
async fn a_million_rows_stream_in_flat_memory() {
    let Some(server) = Postgres::get() else {
        return;
    };
    let url = server.database("flat_memory").await;
    server
        .client("flat_memory")
        .await
        .batch_execute(
            "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS name, repeat('p', 100) AS pad, \
             g * 0.5 AS half FROM generate_series(1, 1000000) g",
        )
        .await
        .unwrap();
    // About 200 bytes of text a row: 200 MB if the rows were held.
    let before = peak_rss();
    let mut src = aopen_iterable(&format!("{url}?table=big")).await.unwrap();
    let mut count = 0u64;
    let mut last_id = 0;
    while let Some(row) = src.next().await {
        let row = row.unwrap();
        count += 1;
        last_id = row.get("id").and_then(|v| v.as_i64()).unwrap();
    }
    assert_eq!((count, last_id), (1_000_000, 1_000_000));
    let grown = peak_rss().saturating_sub(before);
    assert!(grown < 48 << 20, "peak memory grew by {} MiB", grown >> 20);
}
