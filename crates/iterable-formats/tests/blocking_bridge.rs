//! The blocking bridge: rows in order and in batches, errors after the rows before
//! them, back-pressure on a stalled consumer, prompt stop on drop, a panicking thread
//! reported, and writers that publish only on `aclose`.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use iterable_core::{
    AsyncIterable, Codec, Error, Format, IterableInfo, Mode, ParseError, Position, Result, Row, row,
};
use iterable_formats::blocking_bridge::{
    BridgeConfig, ReaderSetup, RowWriter, SyncOutput, spawn_reader, spawn_writer,
};

fn info(location: &str, mode: Mode) -> IterableInfo {
    IterableInfo {
        encoding: None,
        location: location.into(),
        format: Format::JSONL,
        codec: Codec::None,
        mode,
    }
}

fn small(batch_rows: usize, batches_ahead: usize) -> BridgeConfig {
    BridgeConfig {
        batch_rows,
        batches_ahead,
    }
}

/// Counts the rows it makes, forever, and raises `ended` when dropped (which happens
/// when the blocking thread returns).
struct Endless {
    made: Arc<AtomicU64>,
    ended: Arc<AtomicBool>,
}

impl Iterator for Endless {
    type Item = Result<Row>;
    fn next(&mut self) -> Option<Result<Row>> {
        let n = self.made.fetch_add(1, Ordering::SeqCst) + 1;
        Some(Ok(row! { "n" => n }))
    }
}

impl Drop for Endless {
    fn drop(&mut self) {
        self.ended.store(true, Ordering::SeqCst);
    }
}

async fn wait_for(flag: &AtomicBool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !flag.load(Ordering::SeqCst) {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_arrive_in_order_across_batches() {
    let text: String = (1..=5000).map(|i| format!("{i}\n")).collect();
    let bytes = std::io::Cursor::new(text.into_bytes());
    let setup = ReaderSetup::new(info("numbers.txt", Mode::Read), small(100, 2));
    let mut rows = spawn_reader(bytes, setup, |input| {
        Ok(input.lines().map(|l| {
            let n: i64 = l.unwrap().parse().unwrap();
            Ok(row! { "n" => n })
        }))
    });
    let mut seen = Vec::new();
    while let Some(row) = rows.next().await {
        seen.push(row.unwrap()["n"].as_i64().unwrap());
    }
    assert_eq!(seen, (1..=5000).collect::<Vec<_>>());
    assert_eq!(rows.progress().rows, 5000);
    assert!(rows.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_comes_after_the_rows_before_it_with_its_position() {
    let bytes: &'static [u8] = b"1\n2\nthree\n4\n";
    let setup = ReaderSetup::new(info("numbers.txt", Mode::Read), small(100, 2));
    let mut rows = spawn_reader(bytes, setup, |mut input| {
        let mut record = 0;
        Ok(std::iter::from_fn(move || {
            let start = input.offset();
            let mut line = String::new();
            if input.read_line(&mut line).unwrap() == 0 {
                return None;
            }
            record += 1;
            Some(match line.trim().parse::<i64>() {
                Ok(n) => Ok(row! { "n" => n }),
                Err(e) => Err(ParseError::new(
                    input.location(),
                    Position {
                        line: record,
                        record,
                        byte: start,
                    },
                    format!("not a number: {e}"),
                    line.as_bytes(),
                )
                .into()),
            })
        }))
    });
    assert_eq!(rows.next().await.unwrap().unwrap()["n"], 1.into());
    assert_eq!(rows.next().await.unwrap().unwrap()["n"], 2.into());
    let err = rows.next().await.unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "numbers.txt: line 3, record 3, byte 4: not a number: invalid digit found in string (near \"three\\n\")"
    );
    assert!(rows.next().await.is_none(), "an error ends the stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_consumer_holds_the_producer_to_a_few_batches() {
    let made = Arc::new(AtomicU64::new(0));
    let ended = Arc::new(AtomicBool::new(false));
    let (batch_rows, batches_ahead) = (10, 2);
    let setup = ReaderSetup::new(
        info("endless", Mode::Read),
        small(batch_rows, batches_ahead),
    );
    let iter = Endless {
        made: made.clone(),
        ended: ended.clone(),
    };
    let mut rows = spawn_reader(tokio::io::empty(), setup, move |_| Ok(iter));
    assert_eq!(rows.next().await.unwrap().unwrap()["n"], 1.into());
    // The consumer stalls. The producer fills the channel, then blocks on its next
    // send: wait until its count has run ahead and then stays put for a while.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut last, mut still) = (0, 0);
    while Instant::now() < deadline && still < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let now = made.load(Ordering::SeqCst);
        still = if now == last && now > batch_rows as u64 {
            still + 1
        } else {
            0
        };
        last = now;
    }
    // One batch in the consumer's hands, `batches_ahead` in the channel, one being
    // sent, and the row that made it full.
    let bound = (batch_rows * (batches_ahead + 2) + 1) as u64;
    assert!(
        last <= bound,
        "{last} rows made ahead of a stalled consumer (bound {bound})"
    );
    assert!(last > batch_rows as u64, "the producer ran ahead: {last}");
    drop(rows);
    assert!(wait_for(&ended).await, "the thread did not end after drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_reader_ends_a_thread_busy_reading() {
    // A parser that never finds the end of its first record: it reads forever from an
    // endless source, and must stop once the reader is dropped.
    let ended = Arc::new(AtomicBool::new(false));
    let read = Arc::new(AtomicU64::new(0));
    let (thread_ended, thread_read) = (ended.clone(), read.clone());
    let setup = ReaderSetup::new(info("endless", Mode::Read), BridgeConfig::default());
    let mut rows = spawn_reader(tokio::io::repeat(b'x'), setup, move |mut input| {
        // Skips bytes looking for a newline that never comes.
        let outcome = loop {
            match input.fill_buf() {
                Ok(chunk) if chunk.contains(&b'\n') => break Ok(()),
                Ok(chunk) => {
                    let n = chunk.len();
                    input.consume(n);
                }
                Err(e) => break Err(e),
            }
        };
        thread_read.store(input.offset(), Ordering::SeqCst);
        thread_ended.store(true, Ordering::SeqCst);
        let err = outcome.unwrap_err();
        Err::<std::iter::Empty<Result<Row>>, _>(Error::io("endless", err))
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!ended.load(Ordering::SeqCst));
    rows.aclose().await.unwrap();
    assert!(
        ended.load(Ordering::SeqCst),
        "aclose returns once the thread has ended"
    );
    assert!(read.load(Ordering::SeqCst) > 0);
    assert!(rows.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_reader_ends_the_thread() {
    let made = Arc::new(AtomicU64::new(0));
    let ended = Arc::new(AtomicBool::new(false));
    let iter = Endless {
        made: made.clone(),
        ended: ended.clone(),
    };
    let setup = ReaderSetup::new(info("endless", Mode::Read), BridgeConfig::default());
    let mut rows = spawn_reader(tokio::io::empty(), setup, move |_| Ok(iter));
    for expected in 1..=3000 {
        assert_eq!(
            rows.next().await.unwrap().unwrap()["n"],
            (expected as u64).into()
        );
    }
    drop(rows);
    assert!(wait_for(&ended).await, "the thread did not end after drop");
    let after = made.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        made.load(Ordering::SeqCst),
        after,
        "no rows made after the end"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_thread_is_an_error_not_a_short_read() {
    let setup = ReaderSetup::new(info("bad", Mode::Read), small(1, 1));
    let mut rows = spawn_reader(tokio::io::empty(), setup, |_| {
        let mut n = 0;
        Ok(std::iter::from_fn(move || {
            n += 1;
            assert!(n < 3, "parser bug");
            Some(Ok(row! { "n" => n }))
        }))
    });
    assert!(rows.next().await.unwrap().is_ok());
    assert!(rows.next().await.unwrap().is_ok());
    let err = rows.next().await.unwrap().unwrap_err();
    assert!(err.to_string().contains("panicked"), "{err}");
}

/// Writes `n=<value>` lines; fails on a row whose `n` is 0.
struct Lines {
    out: SyncOutput,
}

impl RowWriter for Lines {
    fn write_row(&mut self, row: &Row, number: u64) -> Result<()> {
        if row["n"] == 0.into() {
            return Err(Error::Write {
                location: "out.txt".into(),
                row: number,
                message: "zero is not allowed".into(),
            });
        }
        writeln!(self.out, "n={}", row["n"]).map_err(|e| Error::io("out.txt", e))
    }
    fn finish(mut self) -> Result<SyncOutput> {
        writeln!(self.out, "end").map_err(|e| Error::io("out.txt", e))?;
        Ok(self.out)
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn lines_writer(
    path: &str,
    codec: Codec,
) -> iterable_formats::blocking_bridge::BlockingWriter {
    let sink = iterable_io::open_sink(path, codec, None).await.unwrap();
    spawn_writer(sink, info(path, Mode::Write), small(7, 2), |out| {
        Ok(Lines { out })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_publishes_on_aclose_through_a_codec() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt.gz");
    let path = path.to_str().unwrap();
    let mut w = lines_writer(path, Codec::Gzip).await;
    for n in 1..=100 {
        w.awrite(&row! { "n" => n }).await.unwrap();
    }
    assert!(w.aread().await.is_err(), "a writer refuses reads");
    w.aclose().await.unwrap();
    w.aclose().await.unwrap();
    assert_eq!(w.progress().rows, 100);
    assert!(w.awrite(&row! { "n" => 1 }).await.is_err());
    let source = iterable_io::open_source(path, None, None).await.unwrap();
    let mut text = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut source.into_reader(), &mut text)
        .await
        .unwrap();
    let expected: String = (1..=100).map(|n| format!("n={n}\n")).collect::<String>() + "end\n";
    assert_eq!(text, expected);
    assert_eq!(names(dir.path()), ["out.txt.gz"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_writer_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    let mut w = lines_writer(path.to_str().unwrap(), Codec::None).await;
    for n in 1..=100 {
        w.awrite(&row! { "n" => n }).await.unwrap();
    }
    drop(w);
    assert!(!path.exists());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !names(dir.path()).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(names(dir.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_writer_reports_the_row_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    let mut w = lines_writer(path.to_str().unwrap(), Codec::None).await;
    let mut outcome = Ok(());
    for n in [
        1, 2, 0, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
    ] {
        outcome = w.awrite(&row! { "n" => n }).await;
        if outcome.is_err() {
            break;
        }
    }
    let err = match outcome {
        Err(e) => e,
        Ok(()) => w.aclose().await.unwrap_err(),
    };
    assert_eq!(err.to_string(), "out.txt: row 3: zero is not allowed");
    assert!(w.aclose().await.is_err() || !path.exists());
    assert!(!path.exists());
    assert_eq!(names(dir.path()), Vec::<String>::new());
}
