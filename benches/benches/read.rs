//! Readers on generated data (100k rows x 8 columns), each beside the raw parser floor:
//! `csv::ByteRecord` iteration, `serde_json` into `IgnoredAny`, and the parquet crate's
//! own synchronous reader decoding record batches, which build no rows. Parquet and
//! Arrow IPC are also read as record batches (`iterable::arrow::aopen_batches`).
//!
//! The global allocator is the system's; with the `mimalloc` feature it is mimalloc,
//! the CLI's (`cargo bench -p iterable-benches --bench read --features mimalloc`).

use std::io::BufRead;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use iterable::{IterableOptions, aopen_iterable};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROWS: usize = 100_000;
/// Every text format plain, in gzip and in zstd; bzip2 once; the columnar formats; Avro;
/// XLSX.
const FILES: [&str; 17] = [
    "data.csv",
    "data.tsv",
    "data.jsonl",
    "data.json",
    "data.csv.gz",
    "data.tsv.gz",
    "data.jsonl.gz",
    "data.json.gz",
    "data.csv.zst",
    "data.tsv.zst",
    "data.jsonl.zst",
    "data.json.zst",
    "data.csv.bz2",
    "data.parquet",
    "data.arrow",
    "data.avro",
    "data.xlsx",
];

fn write_inputs(dir: &Path, rt: &tokio::runtime::Runtime) {
    let rows = iterable_benches::rows(ROWS);
    rt.block_on(async {
        for name in FILES {
            let path = dir.join(name);
            let mut dst = IterableOptions::write()
                .open(path.to_str().unwrap())
                .await
                .unwrap();
            dst.awrite_bulk(&rows).await.unwrap();
            dst.aclose().await.unwrap();
        }
    });
}

fn count_byte_records(path: &Path, delimiter: u8) -> usize {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_path(path)
        .unwrap();
    let mut record = csv::ByteRecord::new();
    let mut n = 0;
    while reader.read_byte_record(&mut record).unwrap() {
        n += 1;
    }
    n
}

fn count_json_lines(path: &Path) -> usize {
    let file = std::io::BufReader::with_capacity(64 * 1024, std::fs::File::open(path).unwrap());
    let mut n = 0;
    for line in file.split(b'\n') {
        let line = line.unwrap();
        if !line.is_empty() {
            serde_json::from_slice::<serde::de::IgnoredAny>(&line).unwrap();
            n += 1;
        }
    }
    n
}

fn read(c: &mut Criterion) {
    let rt = iterable_benches::runtime();
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path(), &rt);

    let mut group = c.benchmark_group("read");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);

    let csv = dir.path().join("data.csv");
    group.bench_function("raw/csv_byterecord", |b| {
        b.iter(|| assert_eq!(count_byte_records(&csv, b','), ROWS))
    });
    let jsonl = dir.path().join("data.jsonl");
    group.bench_function("raw/jsonl_ignored_any", |b| {
        b.iter(|| assert_eq!(count_json_lines(&jsonl), ROWS))
    });

    let parquet = dir.path().join("data.parquet");
    group.bench_function("raw/parquet_arrow_batches", |b| {
        b.iter(|| {
            let file = std::fs::File::open(&parquet).unwrap();
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 8192)
                    .unwrap();
            let n: usize = reader.map(|batch| batch.unwrap().num_rows()).sum();
            assert_eq!(n, ROWS);
        })
    });
    for name in ["data.parquet", "data.arrow"] {
        let path = dir.path().join(name).to_str().unwrap().to_owned();
        group.bench_with_input(BenchmarkId::new("batches", name), &path, |b, path| {
            b.to_async(&rt).iter(|| async {
                let options = IterableOptions::read();
                let mut batches = iterable::arrow::aopen_batches(path, &options)
                    .await
                    .unwrap();
                let mut n = 0;
                while let Some(batch) = batches.next().await {
                    n += batch.unwrap().num_rows();
                }
                assert_eq!(n, ROWS);
            })
        });
    }

    for name in FILES {
        let path = dir.path().join(name).to_str().unwrap().to_owned();
        group.bench_with_input(BenchmarkId::new("stream", name), &path, |b, path| {
            b.to_async(&rt).iter(|| async {
                let mut src = aopen_iterable(path).await.unwrap();
                let mut n = 0;
                while let Some(row) = src.next().await {
                    row.unwrap();
                    n += 1;
                }
                assert_eq!(n, ROWS);
            })
        });
    }
    // The same streams parsed in blocks on one thread per core (opt-in).
    for name in ["data.csv", "data.jsonl"] {
        let path = dir.path().join(name).to_str().unwrap().to_owned();
        group.bench_with_input(
            BenchmarkId::new("stream_in_blocks", name),
            &path,
            |b, path| {
                b.to_async(&rt).iter(|| async {
                    let options = IterableOptions::read().parse_threads(0);
                    let mut src = options.open(path).await.unwrap();
                    let mut n = 0;
                    while let Some(row) = src.next().await {
                        row.unwrap();
                        n += 1;
                    }
                    assert_eq!(n, ROWS);
                })
            },
        );
    }
    for (name, n) in [
        ("data.csv", 1024),
        ("data.csv", 4096),
        ("data.jsonl", 1024),
        ("data.jsonl", 4096),
    ] {
        let path = dir.path().join(name).to_str().unwrap().to_owned();
        let id = BenchmarkId::new(format!("bulk_{n}"), name);
        group.bench_with_input(id, &path, |b, path| {
            b.to_async(&rt).iter(|| async {
                let mut src = aopen_iterable(path).await.unwrap();
                let mut rows_read = 0;
                loop {
                    let rows = src.aread_bulk(n).await.unwrap();
                    if rows.is_empty() {
                        break;
                    }
                    rows_read += rows.len();
                }
                assert_eq!(rows_read, ROWS);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);
