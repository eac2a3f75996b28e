//! How the answer journal scales: writes N answers (each about the size of a small
//! extraction, keyed by a request of about 1 KB), reopens the journal as a resumed run
//! does, and looks every key up again. Prints the time of each step, the file size
//! and the process's peak memory.
//!
//! `cargo run --release -p iterable-enrich --example journal_scale -- 1000000`

use std::time::Instant;

use iterable_enrich::{Journal, JournalEntry};
use serde_json::json;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let prompt = "x".repeat(1000);
    let key = |i: u64| format!("{prompt} row {i}").into_bytes();
    let answer = |i: u64| json!({"name": format!("person {i}"), "age": i % 90, "city": "Lyon"});

    let started = Instant::now();
    {
        let journal = Journal::open(dir.path())?;
        for i in 0..n {
            journal.put_answer(&key(i), &answer(i)).await?;
        }
    }
    let written = started.elapsed();
    let rss_before_open = peak_rss_mib();

    let started = Instant::now();
    let journal = Journal::open(dir.path())?;
    let opened = started.elapsed();
    let rss_after_open = peak_rss_mib();

    let started = Instant::now();
    for i in 0..n {
        match journal.get(&key(i)).await? {
            Some(JournalEntry::Answer(a)) if a == answer(i) => {}
            other => return Err(format!("row {i}: {other:?}").into()),
        }
    }
    let looked_up = started.elapsed();
    let size = std::fs::metadata(journal.path())?.len();
    println!("answers            {n}");
    println!("journal file       {:.1} MiB", size as f64 / 1048576.0);
    println!(
        "write              {:.2} s ({:.1} µs an answer)",
        written.as_secs_f64(),
        written.as_secs_f64() * 1e6 / n as f64
    );
    println!("reopen (index)     {:.2} s", opened.as_secs_f64());
    println!(
        "look up every key  {:.2} s ({:.1} µs a key)",
        looked_up.as_secs_f64(),
        looked_up.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "peak RSS           {rss_before_open} MiB after writing, {rss_after_open} MiB after reopening"
    );
    Ok(())
}

/// The process's peak resident memory (Linux), in MiB; 0 elsewhere.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}
