//! SQLite as a location (100k rows x 8 columns): a table read to its end, and the rows
//! written into a table (created, one transaction). The database is left at
//! `target/sqlite-bench/data.db`, so that `benches/sqlite_peer.py` times Python's
//! `sqlite3` on the same file and the same work.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use iterable::{IterableOptions, aopen_iterable};

const ROWS: usize = 100_000;

fn sqlite(c: &mut Criterion) {
    let rt = iterable_benches::runtime();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/sqlite-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("data.db");
    let _ = std::fs::remove_file(&db);
    let rows = iterable_benches::rows(ROWS);
    let table = format!("sqlite://{}?table=data", db.display());
    rt.block_on(async {
        let mut dst = IterableOptions::write().open(&table).await.unwrap();
        dst.awrite_bulk(&rows).await.unwrap();
        dst.aclose().await.unwrap();
    });

    let mut group = c.benchmark_group("sqlite");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    group.bench_function("read/table", |b| {
        b.to_async(&rt).iter(|| async {
            let mut src = aopen_iterable(&table).await.unwrap();
            let mut n = 0;
            while let Some(row) = src.next().await {
                row.unwrap();
                n += 1;
            }
            assert_eq!(n, ROWS);
        })
    });
    let copy = format!("sqlite://{}?table=copy&mode=replace", db.display());
    group.bench_function("write/table", |b| {
        b.to_async(&rt).iter(|| async {
            let mut dst = IterableOptions::write().open(&copy).await.unwrap();
            dst.awrite_bulk(&rows).await.unwrap();
            dst.aclose().await.unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, sqlite);
criterion_main!(benches);
