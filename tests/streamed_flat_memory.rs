//! The formats that stream (GeoJSON, newline-delimited GeoJSON, WARC, access logs,
//! fixed width, the line protocol, CBOR sequences) read a 100 MB file, generated in the test's
//! temporary folder, in flat memory: the process's peak resident size grows by far
//! less than the file. Alone in its test binary, one format after the other, so that
//! nothing else's memory is counted.

use std::io::Write;

use futures::StreamExt;
use iterable::{Value, aopen_iterable};

/// The process's peak resident size (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

const SIZE: u64 = 100 << 20;

/// A file to generate: its name, the column holding each record's number, what comes
/// before and after the records, and the record of each number (and whether first).
type Case<'a> = (
    &'static str,
    &'static str,
    String,
    String,
    Box<dyn Fn(u64, bool) -> Vec<u8> + 'a>,
);

/// A record maker of text.
fn text<'a>(record: impl Fn(u64, bool) -> String + 'a) -> Box<dyn Fn(u64, bool) -> Vec<u8> + 'a> {
    Box::new(move |n, first| record(n, first).into_bytes())
}

/// `{"n": n, "pad": pad}` as a CBOR map (pad shorter than 256 bytes).
fn cbor_record(n: u64, pad: &str) -> Vec<u8> {
    let mut out = vec![0xa2, 0x61, b'n', 0x1b];
    out.extend(n.to_be_bytes());
    out.extend([
        0x63,
        b'p',
        b'a',
        b'd',
        0x78,
        u8::try_from(pad.len()).unwrap(),
    ]);
    out.extend(pad.as_bytes());
    out
}
const LIMIT: u64 = 48 << 20;

/// Writes records numbered from 1 with `record` (and `head`/`tail` around them) until
/// the file holds 100 MB; returns how many.
fn generate(
    path: &std::path::Path,
    head: &str,
    tail: &str,
    record: impl Fn(u64, bool) -> Vec<u8>,
) -> u64 {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(head.as_bytes()).unwrap();
    let (mut n, mut written) = (0u64, head.len() as u64);
    while written < SIZE {
        n += 1;
        let r = record(n, n == 1);
        written += r.len() as u64;
        out.write_all(&r).unwrap();
    }
    out.write_all(tail.as_bytes()).unwrap();
    out.flush().unwrap();
    n
}

/// Streams `path`, checking every row's number, and returns how far the peak resident
/// size grew.
async fn stream_all(path: &std::path::Path, column: &str, expected: u64) -> u64 {
    let before = peak_rss();
    let mut src = aopen_iterable(path.to_str().unwrap()).await.unwrap();
    let mut count = 0u64;
    while let Some(row) = src.next().await {
        let row = row.unwrap();
        count += 1;
        let n = match &row[column] {
            Value::Int(i) => *i as u64,
            Value::String(s) => s.as_str().trim().parse().unwrap(),
            Value::Bytes(b) => {
                std::str::from_utf8(&b[..b.iter().position(|&c| c == b' ').unwrap()])
                    .unwrap()
                    .parse()
                    .unwrap()
            }
            other => panic!("{}: {column} is {other:?}", path.display()),
        };
        assert_eq!(n, count, "{}", path.display());
    }
    assert_eq!(count, expected, "{}", path.display());
    peak_rss().saturating_sub(before)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_streamed_format_reads_100_mb_in_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let pad = "p".repeat(60);
    let feature = |n: u64| {
        format!(
            r#"{{"type":"Feature","properties":{{"n":{n},"pad":"{pad}"}},"geometry":{{"type":"Point","coordinates":[{n},{n}]}}}}"#
        )
    };
    let cases: Vec<Case<'_>> = vec![
        (
            "big.geojson",
            "n",
            r#"{"type":"FeatureCollection","features":["#.to_owned() + "\n",
            "\n]}\n".to_owned(),
            text(move |n, first| format!("{}{}", if first { "" } else { ",\n" }, feature(n))),
        ),
        (
            "big.geojsonl",
            "n",
            String::new(),
            String::new(),
            text(move |n, _| format!("{}\n", feature(n))),
        ),
        (
            "big.warc",
            "payload",
            String::new(),
            String::new(),
            text(|n, _| {
                let payload = format!("{n} {}", "w".repeat(1000));
                format!(
                    "WARC/1.0\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:{n}>\r\nContent-Length: {}\r\n\r\n{payload}\r\n\r\n",
                    payload.len()
                )
            }),
        ),
        (
            "big.log",
            "bytes",
            String::new(),
            String::new(),
            text(|n, _| {
                format!(
                    "10.0.0.1 - - [03/Dec/2026:10:00:00 +0000] \"GET /item/{n} HTTP/1.1\" 200 {n} \"-\" \"bench/1.0\"\n"
                )
            }),
        ),
        (
            "big.fwf",
            "n",
            format!("{:<12}{:<70}\n", "n", "pad"),
            String::new(),
            text(move |n, _| format!("{n:<12}{:<70}\n", "fixed width padding")),
        ),
        (
            "big.lp",
            "n",
            String::new(),
            String::new(),
            text(|n, _| {
                format!(
                    "bench,host=h{} n={n}i,pad=\"{}\" {}\n",
                    n % 8,
                    "q".repeat(40),
                    n * 1000
                )
            }),
        ),
        (
            "big.cbor",
            "n",
            String::new(),
            String::new(),
            Box::new(|n, _| cbor_record(n, &"c".repeat(80))),
        ),
    ];
    for (name, column, head, tail, record) in cases {
        let path = dir.path().join(name);
        let n = generate(&path, &head, &tail, record);
        let grown = stream_all(&path, column, n).await;
        assert!(
            grown < LIMIT,
            "{name}: peak memory grew by {} MiB over {n} records",
            grown >> 20
        );
        println!("{name}: {n} records, peak grew by {} MiB", grown >> 20);
        std::fs::remove_file(&path).unwrap();
    }
}
