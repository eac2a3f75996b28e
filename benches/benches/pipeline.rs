//! A pipeline's stages beside the loop a user would write by hand, on the same file
//! (100k rows x 8 columns of JSON Lines): a `map` that adds a column, then a `filter`
//! and a `map`, each read in bulk to the end. The bound is a `map` stage within
//! 10% of the hand-written loop; the loop is measured both dropping each mapped row at
//! once and handing each batch of mapped rows on (what a stage does).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iterable::{IterableOptions, Row, Value, aopen_iterable, apipeline};

const ROWS: usize = 100_000;

fn tag(mut row: Row) -> Row {
    row.insert("seen", true);
    row
}

fn keep(row: &Row) -> bool {
    row.get("qty")
        .and_then(Value::as_i64)
        .is_some_and(|q| q % 2 == 0)
}

fn pipeline(c: &mut Criterion) {
    let rt = iterable_benches::runtime();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.jsonl");
    let path = path.to_str().unwrap().to_owned();
    rt.block_on(async {
        let mut dst = IterableOptions::write().open(&path).await.unwrap();
        dst.awrite_bulk(&iterable_benches::rows(ROWS))
            .await
            .unwrap();
        dst.aclose().await.unwrap();
    });
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));

    group.bench_function("map/hand_loop", |b| {
        b.to_async(&rt).iter(|| async {
            let mut src = aopen_iterable(&path).await.unwrap();
            let mut n = 0;
            loop {
                let rows = src.aread_bulk(4096).await.unwrap();
                if rows.is_empty() {
                    break;
                }
                for row in rows {
                    std::hint::black_box(tag(row));
                    n += 1;
                }
            }
            assert_eq!(n, ROWS);
        })
    });
    // The same loop handing each batch of mapped rows on, as a pipeline stage does.
    group.bench_function("map/hand_loop_batched", |b| {
        b.to_async(&rt).iter(|| async {
            let mut src = aopen_iterable(&path).await.unwrap();
            let mut n = 0;
            loop {
                let rows = src.aread_bulk(4096).await.unwrap();
                if rows.is_empty() {
                    break;
                }
                let mapped: Vec<Row> = rows.into_iter().map(tag).collect();
                for row in mapped {
                    std::hint::black_box(row);
                    n += 1;
                }
            }
            assert_eq!(n, ROWS);
        })
    });
    group.bench_function("map/pipeline", |b| {
        b.to_async(&rt).iter(|| async {
            let src = aopen_iterable(&path).await.unwrap();
            let n = apipeline(src)
                .map(tag)
                .fold(0usize, |n, row| {
                    std::hint::black_box(row);
                    n + 1
                })
                .await
                .unwrap();
            assert_eq!(n, ROWS);
        })
    });
    group.bench_function("filter_map/hand_loop", |b| {
        b.to_async(&rt).iter(|| async {
            let mut src = aopen_iterable(&path).await.unwrap();
            let mut n = 0;
            loop {
                let rows = src.aread_bulk(4096).await.unwrap();
                if rows.is_empty() {
                    break;
                }
                for row in rows.into_iter().filter(keep) {
                    std::hint::black_box(tag(row));
                    n += 1;
                }
            }
            std::hint::black_box(n);
        })
    });
    group.bench_function("filter_map/pipeline", |b| {
        b.to_async(&rt).iter(|| async {
            let src = aopen_iterable(&path).await.unwrap();
            let n = apipeline(src)
                .filter(keep)
                .map(tag)
                .fold(0usize, |n, row| {
                    std::hint::black_box(row);
                    n + 1
                })
                .await
                .unwrap();
            std::hint::black_box(n);
        })
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
