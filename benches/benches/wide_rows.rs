//! One record with 100,000 keys, read through each format whose records are keyed
//! maps: the cost of building a row is linear in its keys (a hashed key index past a
//! dozen keys), where it was once quadratic (12-16 s a record).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use futures::StreamExt;
use iterable::{IterableOptions, Row, aopen_iterable};

const KEYS: usize = 100_000;

fn wide_rows(c: &mut Criterion) {
    let rt = iterable_benches::runtime();
    let dir = tempfile::tempdir().unwrap();
    let row: Row = (0..KEYS).map(|i| (format!("key{i}"), i as i64)).collect();
    let mut group = c.benchmark_group("wide_rows");
    group.sample_size(10);
    for ext in ["jsonl", "msgpack", "bson", "xml", "yaml"] {
        let path = dir.path().join(format!("wide.{ext}"));
        let path = path.to_str().unwrap().to_owned();
        rt.block_on(async {
            let mut dst = IterableOptions::write().open(&path).await.unwrap();
            dst.awrite_bulk(std::slice::from_ref(&row)).await.unwrap();
            dst.aclose().await.unwrap();
        });
        group.bench_with_input(BenchmarkId::new("read_100k_keys", ext), &path, |b, path| {
            b.to_async(&rt).iter(|| async {
                let mut src = aopen_iterable(path).await.unwrap();
                let row = src.next().await.unwrap().unwrap();
                assert_eq!(row.len(), KEYS);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, wide_rows);
criterion_main!(benches);
