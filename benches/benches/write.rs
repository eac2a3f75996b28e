//! Writers on generated data (100k rows x 8 columns): every row through `awrite_bulk`,
//! then `aclose` (which finishes the codec, or writes the Parquet/Arrow footer, and
//! renames the file into place). Parquet is written with its defaults (schema inferred
//! from the first 1000 rows, snappy).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use iterable::IterableOptions;

const ROWS: usize = 100_000;

fn write(c: &mut Criterion) {
    let rt = iterable_benches::runtime();
    let dir = tempfile::tempdir().unwrap();
    let rows = iterable_benches::rows(ROWS);

    let mut group = c.benchmark_group("write");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    // Every text format plain, in gzip and in zstd; the columnar formats.
    for name in [
        "out.csv",
        "out.tsv",
        "out.jsonl",
        "out.json",
        "out.csv.gz",
        "out.tsv.gz",
        "out.jsonl.gz",
        "out.json.gz",
        "out.csv.zst",
        "out.tsv.zst",
        "out.jsonl.zst",
        "out.json.zst",
        "out.parquet",
        "out.arrow",
    ] {
        let path = dir.path().join(name).to_str().unwrap().to_owned();
        group.bench_with_input(BenchmarkId::from_parameter(name), &path, |b, path| {
            b.to_async(&rt).iter(|| async {
                let mut dst = IterableOptions::write().open(path).await.unwrap();
                dst.awrite_bulk(&rows).await.unwrap();
                dst.aclose().await.unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, write);
criterion_main!(benches);
