//! CSV read as Arrow record batches: `iterable::arrow::aopen_batches` (the columnar road:
//! fields gathered by column, straight into arrays) beside arrow-csv's own
//! `ReaderBuilder` on the same file (100k rows x 8 columns), both on one thread,
//! typed (each inferring its schema from the first 10,000 rows, as part of the
//! measured read) and as text.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use iterable::IterableOptions;

const ROWS: usize = 100_000;
const BATCH: usize = 8192;

fn arrow_csv_rows(path: &str, schema: Option<Arc<Schema>>) -> usize {
    let schema = schema.unwrap_or_else(|| {
        let file = std::fs::File::open(path).unwrap();
        let (schema, _) = arrow_csv::reader::Format::default()
            .with_header(true)
            .infer_schema(file, Some(10_000))
            .unwrap();
        Arc::new(schema)
    });
    let file = std::fs::File::open(path).unwrap();
    let reader = arrow_csv::ReaderBuilder::new(schema)
        .with_header(true)
        .with_batch_size(BATCH)
        .build(file)
        .unwrap();
    reader.map(|batch| batch.unwrap().num_rows()).sum()
}

async fn iterable_rows(path: &str, typed: bool) -> usize {
    let options = IterableOptions::read().infer_types(typed).batch_size(BATCH);
    let mut batches = iterable::arrow::aopen_batches(path, &options)
        .await
        .unwrap();
    let mut n = 0;
    while let Some(batch) = batches.next().await {
        n += batch.unwrap().num_rows();
    }
    n
}

fn batches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    let path = path.to_str().unwrap().to_owned();
    rt.block_on(async {
        let mut dst = IterableOptions::write().open(&path).await.unwrap();
        dst.awrite_bulk(&iterable_benches::rows(ROWS))
            .await
            .unwrap();
        dst.aclose().await.unwrap();
    });
    let text_schema = {
        let header = std::fs::read_to_string(&path).unwrap();
        let names = header.lines().next().unwrap().split(',');
        let fields: Vec<Field> = names.map(|n| Field::new(n, DataType::Utf8, true)).collect();
        Arc::new(Schema::new(fields))
    };

    let mut group = c.benchmark_group("csv_batches");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    group.bench_function("arrow_csv/typed", |b| {
        b.iter(|| assert_eq!(arrow_csv_rows(&path, None), ROWS))
    });
    group.bench_function("iterable/typed", |b| {
        b.to_async(&rt)
            .iter(|| async { assert_eq!(iterable_rows(&path, true).await, ROWS) })
    });
    group.bench_function("arrow_csv/text", |b| {
        b.iter(|| assert_eq!(arrow_csv_rows(&path, Some(text_schema.clone())), ROWS))
    });
    group.bench_function("iterable/text", |b| {
        b.to_async(&rt)
            .iter(|| async { assert_eq!(iterable_rows(&path, false).await, ROWS) })
    });
    group.finish();
}

criterion_group!(benches, batches);
criterion_main!(benches);
