//! The answer journal: one append-only file of JSON lines in the cache directory, a
//! line for each row's final answer (or its final failure), keyed by a 128-bit hash of
//! everything the first request of the row sends (endpoint, model, options, messages,
//! schema). A re-run with the same arguments finds each finished row by that key and
//! pays only for the rows that had not finished.
//!
//! - **Scales to millions of rows**: one file, not one file per request. Opening reads
//!   the keys once into a sorted index of 16 bytes a key (160 MB for 10 million rows);
//!   a lookup is a binary search and one positioned read of one line. What this run
//!   appends is not indexed, so a fresh run's memory stays flat: the journal answers
//!   for what earlier runs finished (a row repeated within one run is asked each time,
//!   and replayed by the next run).
//! - **Crash-safe**: a line goes out in one `write` in append mode, so a killed run
//!   leaves at most one torn last line, which the next open skips. Several processes
//!   may append to one journal.
//! - **Never a wrong answer**: the line keeps the full key; a line whose key differs
//!   (a 64-bit index collision) is a miss. Only answers that fit the schema are
//!   written, so an invalid answer is never replayed as if final.
//! - **Later lines win**: a row failed in one run and answered in a later one
//!   (`retry_failed`) has both lines; the answer is the one read.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::EnrichError;

/// The journal's file name inside the cache directory.
pub const JOURNAL_FILE: &str = "answers.jsonl";

/// The longest line the index can point at (24 bits of length).
const MAX_LINE: u64 = (1 << 24) - 1;

/// What a journal holds for one row.
#[derive(Debug, Clone, PartialEq)]
pub enum JournalEntry {
    /// The answer, as it fitted the schema.
    Answer(Value),
    /// The row failed for good in an earlier run.
    Failed {
        /// The error, as the row's error column showed it.
        error: String,
        /// What stays the same when other rows fail the same way (for the failure
        /// counts).
        kind: String,
    },
}

/// An append-only journal of row answers; see the module docs. Cheap to clone (the
/// clones share one file and one index).
#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    /// Appends (opened in append mode: each write lands whole at the end).
    appender: Mutex<File>,
    /// Positioned reads.
    reader: Mutex<File>,
    /// What the file held at open, sorted: the high 64 bits of a key's hash, and the
    /// line's offset (40 bits) and length (24); the last line of a key only.
    index: Vec<(u64, u64)>,
}

/// One line of the file.
#[derive(Serialize, Deserialize)]
struct Line {
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    answer: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
}

impl Journal {
    /// Opens (or starts) the journal in `dir`, creating the directory when missing,
    /// and reads its keys.
    pub fn open(dir: impl AsRef<Path>) -> Result<Journal, EnrichError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| journal_error(dir, e))?;
        let path = dir.join(JOURNAL_FILE);
        let mut appender = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(|e| journal_error(&path, e))?;
        let reader = File::open(&path).map_err(|e| journal_error(&path, e))?;
        let (index, torn) = read_index(&reader).map_err(|e| journal_error(&path, e))?;
        if torn {
            // A run killed mid-line: end that line so the next one starts clean.
            appender
                .write_all(b"\n")
                .map_err(|e| journal_error(&path, e))?;
        }
        Ok(Journal {
            inner: Arc::new(Inner {
                path,
                appender: Mutex::new(appender),
                reader: Mutex::new(reader),
                index,
            }),
        })
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// How many keys the journal held when it was opened.
    pub fn len(&self) -> usize {
        self.inner.index.len()
    }

    /// Whether the journal held no key when it was opened.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What the journal held for the request `key` when it was opened, if anything.
    pub async fn get(&self, key: &[u8]) -> Result<Option<JournalEntry>, EnrichError> {
        self.get_hashed(key_hash(key))
    }

    /// What the journal held for the key with this hash ([`key_hash`]).
    pub(crate) fn get_hashed(&self, hash: u128) -> Result<Option<JournalEntry>, EnrichError> {
        let Some(slot) = self.slot(hash) else {
            return Ok(None);
        };
        let inner = &self.inner;
        in_place(|| inner.read_line(slot)).map(|line| line.and_then(|l| entry_of(l, hash)))
    }

    /// Records the answer to the request `key`.
    pub async fn put_answer(&self, key: &[u8], answer: &Value) -> Result<(), EnrichError> {
        self.put_answer_hashed(key_hash(key), answer)
    }

    /// Records the answer to the request whose key has this hash ([`key_hash`]).
    pub(crate) fn put_answer_hashed(&self, hash: u128, answer: &Value) -> Result<(), EnrichError> {
        self.append(
            hash,
            Line {
                key: String::new(),
                answer: Some(answer.clone()),
                failed: None,
                kind: None,
            },
        )
    }

    /// Records that the row asked with `key` failed for good.
    pub async fn put_failure(
        &self,
        key: &[u8],
        error: &str,
        kind: &str,
    ) -> Result<(), EnrichError> {
        self.append(
            key_hash(key),
            Line {
                key: String::new(),
                answer: None,
                failed: Some(error.to_owned()),
                kind: Some(kind.to_owned()),
            },
        )
    }

    fn slot(&self, hash: u128) -> Option<u64> {
        let high = (hash >> 64) as u64;
        let index = &self.inner.index;
        let at = index.partition_point(|&(h, _)| h < high);
        index
            .get(at)
            .filter(|&&(h, _)| h == high)
            .map(|&(_, slot)| slot)
    }

    fn append(&self, hash: u128, mut line: Line) -> Result<(), EnrichError> {
        line.key = format!("{hash:032x}");
        let mut bytes = serde_json::to_vec(&line).map_err(|e| EnrichError::Cache {
            path: self.inner.path.display().to_string(),
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        let inner = &self.inner;
        in_place(|| {
            let mut file = inner.appender.lock().expect("journal appender");
            file.write_all(&bytes)
        })
    }
}

impl Inner {
    fn read_line(&self, slot: u64) -> std::io::Result<Option<Line>> {
        let (offset, len) = (slot >> 24, slot & MAX_LINE);
        let mut buf = vec![0; len as usize];
        {
            let mut file = self.reader.lock().expect("journal reader");
            file.seek(SeekFrom::Start(offset))?;
            file.read_exact(&mut buf)?;
        }
        // A line that does not parse (another version's, a damaged disk) is a miss.
        Ok(serde_json::from_slice(&buf).ok())
    }
}

fn entry_of(line: Line, hash: u128) -> Option<JournalEntry> {
    if line.key != format!("{hash:032x}") {
        return None;
    }
    match (line.answer, line.failed) {
        (Some(answer), _) => Some(JournalEntry::Answer(answer)),
        (None, Some(error)) => Some(JournalEntry::Failed {
            kind: line.kind.unwrap_or_else(|| error.clone()),
            error,
        }),
        (None, None) => None,
    }
}

/// Reads every line's key: the index, and whether the last line is torn (no newline).
fn read_index(file: &File) -> std::io::Result<(Vec<(u64, u64)>, bool)> {
    let mut index = Vec::new();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    let mut offset = 0u64;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)? as u64;
        let torn = n > 0 && line.last() != Some(&b'\n');
        if n == 0 || torn {
            return Ok((sorted(index), torn));
        }
        if n <= MAX_LINE
            && let Some(high) = key_high(&line)
        {
            index.push((high, (offset << 24) | n));
        }
        offset += n;
    }
}

/// Sorts the index by key; of the lines of one key, keeps the last (the largest
/// offset, so the highest slot).
fn sorted(mut index: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    index.sort_unstable();
    index.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            earlier.1 = later.1;
            true
        } else {
            false
        }
    });
    index.shrink_to_fit();
    index
}

/// The high 64 bits of a line's key, read from `{"key":"<32 hex digits>"`, for a
/// line that ends its object (a torn line, ended by a later open, mostly does not;
/// one that does anyway fails to parse when read, and is a miss).
fn key_high(line: &[u8]) -> Option<u64> {
    const PREFIX: &[u8] = b"{\"key\":\"";
    if !line.ends_with(b"}\n") {
        return None;
    }
    let hex = line.strip_prefix(PREFIX)?.get(..32)?;
    let hex = std::str::from_utf8(&hex[..16]).ok()?;
    u64::from_str_radix(hex, 16).ok()
}

/// Runs one read or append of a line in place, on the task. It is a system call on a
/// page the kernel holds (a few microseconds): handing it to a blocking thread costs
/// ten times more (measured with `--example journal_scale`: 25 µs an answer that way,
/// 2.5 µs in place).
fn in_place<T>(work: impl FnOnce() -> std::io::Result<T>) -> Result<T, EnrichError> {
    work().map_err(|e| EnrichError::Cache {
        path: JOURNAL_FILE.into(),
        message: e.to_string(),
    })
}

fn journal_error(path: &Path, e: std::io::Error) -> EnrichError {
    EnrichError::Cache {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// The hash a request's key is filed under (and a batch line's `custom_id` is made of).
pub(crate) fn key_hash(key: &[u8]) -> u128 {
    fnv1a_128(key)
}

/// FNV-1a, 128-bit: stable across builds and platforms (std's hashers are not).
fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u128::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_and_failures_come_back_only_for_their_key() {
        let dir = tempfile::tempdir().unwrap();
        let first_run = Journal::open(dir.path().join("c")).unwrap();
        assert_eq!(first_run.get(b"req-1").await.unwrap(), None);
        first_run
            .put_answer(b"req-1", &serde_json::json!({"a": 1}))
            .await
            .unwrap();
        first_run
            .put_failure(b"req-2", "the model refused: no", "refused")
            .await
            .unwrap();
        assert_eq!(
            first_run.get(b"req-1").await.unwrap(),
            None,
            "a run does not look up its own appends"
        );
        let journal = Journal::open(dir.path().join("c")).unwrap();
        assert_eq!(
            journal.get(b"req-1").await.unwrap(),
            Some(JournalEntry::Answer(serde_json::json!({"a": 1})))
        );
        assert_eq!(
            journal.get(b"req-2").await.unwrap(),
            Some(JournalEntry::Failed {
                error: "the model refused: no".into(),
                kind: "refused".into()
            })
        );
        assert_eq!(journal.get(b"req-3").await.unwrap(), None);
        let names: Vec<_> = std::fs::read_dir(dir.path().join("c")).unwrap().collect();
        assert_eq!(names.len(), 1, "one file, whatever the number of answers");
    }

    #[tokio::test]
    async fn a_reopened_journal_finds_what_was_written_and_the_later_line_wins() {
        let dir = tempfile::tempdir().unwrap();
        {
            let journal = Journal::open(dir.path()).unwrap();
            journal.put_failure(b"row", "cut", "cut").await.unwrap();
            journal
                .put_answer(b"row", &serde_json::json!("late"))
                .await
                .unwrap();
            journal
                .put_answer(b"other", &serde_json::json!([1, 2]))
                .await
                .unwrap();
        }
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.len(), 2);
        assert_eq!(
            journal.get(b"row").await.unwrap(),
            Some(JournalEntry::Answer(serde_json::json!("late")))
        );
        assert_eq!(
            journal.get(b"other").await.unwrap(),
            Some(JournalEntry::Answer(serde_json::json!([1, 2])))
        );
    }

    #[tokio::test]
    async fn a_torn_last_line_is_skipped_and_the_next_append_starts_clean() {
        let dir = tempfile::tempdir().unwrap();
        {
            let journal = Journal::open(dir.path()).unwrap();
            journal
                .put_answer(b"kept", &serde_json::json!(1))
                .await
                .unwrap();
        }
        let path = dir.path().join(JOURNAL_FILE);
        // A run killed in the middle of a line.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"key\":\"0123456789abcdef0123456789abcdef\",\"ans")
            .unwrap();
        drop(file);
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.len(), 1);
        assert_eq!(
            journal.get(b"kept").await.unwrap(),
            Some(JournalEntry::Answer(serde_json::json!(1)))
        );
        journal
            .put_answer(b"after", &serde_json::json!(2))
            .await
            .unwrap();
        let again = Journal::open(dir.path()).unwrap();
        assert_eq!(again.len(), 2);
        assert_eq!(
            again.get(b"kept").await.unwrap(),
            Some(JournalEntry::Answer(serde_json::json!(1)))
        );
        assert_eq!(
            again.get(b"after").await.unwrap(),
            Some(JournalEntry::Answer(serde_json::json!(2)))
        );
    }

    #[tokio::test]
    async fn a_line_with_another_key_is_a_miss_not_a_wrong_answer() {
        let dir = tempfile::tempdir().unwrap();
        Journal::open(dir.path())
            .unwrap()
            .put_answer(b"real", &serde_json::json!("right"))
            .await
            .unwrap();
        let opened = Journal::open(dir.path()).unwrap();
        let real = opened.slot(fnv1a_128(b"real")).unwrap();
        // Point "asked"'s index entry at "real"'s line, as a 64-bit collision would.
        let colliding = Journal {
            inner: Arc::new(Inner {
                path: opened.inner.path.clone(),
                appender: Mutex::new(File::open(&opened.inner.path).unwrap()),
                reader: Mutex::new(File::open(&opened.inner.path).unwrap()),
                index: vec![((fnv1a_128(b"asked") >> 64) as u64, real)],
            }),
        };
        assert_eq!(colliding.get(b"asked").await.unwrap(), None);
    }

    #[test]
    fn the_index_keeps_the_last_line_of_a_key_in_key_order() {
        let index = sorted(vec![(5, 100), (1, 7), (5, 300), (5, 200), (2, 1)]);
        assert_eq!(index, [(1, 7), (2, 1), (5, 300)]);
    }

    #[test]
    fn hash_is_the_published_fnv1a_128() {
        // The FNV-1a 128-bit value of the empty input is its offset basis.
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_ne!(fnv1a_128(b"a"), fnv1a_128(b"b"));
    }
}
