//! Corrupt input never crashes a reader and never reads as a clean, shorter file: a
//! panic inside a decoder (on a decoding thread or in the caller's task) becomes an
//! error that names the file. Deterministic mutants (fixed seeds) of files our own
//! writers made are read whole; a panic hook counts the panics raised while each one
//! is read, and every read that panicked must have ended in such an error.

#[path = "support/matrix.rs"]
mod matrix;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use iterable::{IterableOptions, Value, aopen_iterable, row};
use iterable_tests::{collect, deep_avro, testdata, write_all};

/// Panics raised in this test process (on any thread) since it started.
static PANICS: AtomicUsize = AtomicUsize::new(0);

/// A small deterministic generator (xorshift64*), so every run makes the same mutants.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `bytes` with one to four bytes overwritten, or cut short, or a run duplicated.
    fn mutate(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        match self.next() % 8 {
            0 => out.truncate((self.next() as usize) % out.len()),
            1 => {
                let at = (self.next() as usize) % out.len();
                let len = ((self.next() as usize) % 64).min(out.len() - at);
                let run = out[at..at + len].to_vec();
                out.splice(at..at, run);
            }
            _ => {
                for _ in 0..=(self.next() % 4) {
                    let at = (self.next() as usize) % out.len();
                    out[at] = self.next() as u8;
                }
            }
        }
        out
    }
}

/// Reads every mutant of `good` (named `name.N.ext` in `dir`); returns how many reads
/// panicked inside (all of them having ended in an error naming the file).
async fn read_mutants(
    dir: &std::path::Path,
    good: &[u8],
    ext: &str,
    seed: u64,
    count: usize,
) -> usize {
    let mut mutator = Mutator(seed);
    let mut panicked = 0;
    for n in 0..count {
        let path = dir.join(format!("mutant{n}.{ext}"));
        std::fs::write(&path, mutator.mutate(good)).unwrap();
        let path = path.to_str().unwrap();
        let before = PANICS.load(Ordering::SeqCst);
        let read = async {
            match aopen_iterable(path).await {
                Ok(src) => collect(src).await.map(|rows| rows.len()),
                Err(e) => Err(e),
            }
        };
        let result = tokio::time::timeout(Duration::from_secs(20), read)
            .await
            .unwrap_or_else(|_| panic!("{path}: reading took over 20 s"));
        // A decoding thread may still be unwinding: let it finish counting.
        tokio::time::sleep(Duration::from_millis(2)).await;
        if PANICS.load(Ordering::SeqCst) == before {
            continue;
        }
        panicked += 1;
        // HOSTILE_SAVE=folder keeps the inputs that panicked (for the replayed corpus).
        if let Some(keep) = std::env::var_os("HOSTILE_SAVE") {
            let name = format!("{ext}-seed{seed:x}-{n}.{ext}");
            std::fs::copy(path, std::path::Path::new(&keep).join(name)).unwrap();
        }
        match result {
            Ok(rows) => {
                panic!("{path}: a decoder panicked, yet the read gave {rows} rows and no error")
            }
            Err(e) => {
                let text = e.to_string();
                assert!(
                    text.starts_with(path) && text.contains("panicked"),
                    "{path}: the error of a panicking decoder: {text}"
                );
            }
        }
        std::fs::remove_file(path).unwrap();
    }
    panicked
}

/// Held by each test that counts panics: the count is the process's, so two such tests
/// at once would see each other's panics.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Counts every panic of the process in [`PANICS`] (once per process, whichever test
/// comes first); `HOSTILE_SHOW_PANICS` prints them as well.
fn count_panics() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            if std::env::var_os("HOSTILE_SHOW_PANICS").is_some() {
                default_hook(info);
            }
        }));
    });
}

/// A longer campaign, on the stable toolchain: `HOSTILE_ROUNDS=N` reads N times as many
/// mutants, and `HOSTILE_SEED=S` shifts every seed (so each run meets new mutants).
fn campaign(count: usize, seed: u64) -> (usize, u64) {
    let rounds: usize = std::env::var("HOSTILE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let shift: u64 = std::env::var("HOSTILE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (
        count * rounds.max(1),
        seed.wrapping_add(shift.wrapping_mul(0x9E37_79B9)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_columnar_files_are_errors_never_crashes_or_short_reads() {
    let _alone = ONE_AT_A_TIME.lock().await;
    count_panics();
    let dir = tempfile::tempdir().unwrap();
    // Repeated text (dictionary pages), numbers, nulls, lists: many decoders.
    let rows: Vec<_> = (0..300)
        .map(|i| {
            row! {
                "id" => i as i64,
                "city" => ["Oslo", "Lima", "Pune"][i % 3],
                "score" => if i % 7 == 0 { Value::Null } else { Value::from(i as f64 / 3.0) },
                "tags" => vec![Value::from("a"), Value::from(format!("t{}", i % 5))],
            }
        })
        .collect();
    let mut report = Vec::new();
    let mut total = 0;
    for (ext, seed) in [
        ("parquet", 0x5EED_0001),
        ("arrow", 0x5EED_0002),
        ("arrows", 0x5EED_0003),
    ] {
        let good = dir.path().join(format!("good.{ext}"));
        write_all(good.to_str().unwrap(), &IterableOptions::write(), &rows)
            .await
            .unwrap();
        let bytes = std::fs::read(&good).unwrap();
        let (count, seed) = campaign(if ext == "parquet" { 3000 } else { 300 }, seed);
        let panicked = read_mutants(dir.path(), &bytes, ext, seed, count).await;
        total += panicked;
        report.push(format!(
            "{ext}: {panicked} of {count} mutants panicked inside, each one an error"
        ));
    }
    println!("{}", report.join("\n"));
    // The seeds are fixed: some mutants do make a decoder panic, so the path that turns
    // a panic into an error is exercised, not only the clean errors. If a dependency
    // update makes none panic, pick seeds that do.
    assert!(
        total > 0,
        "no mutant made a decoder panic:\n{}",
        report.join("\n")
    );
}

/// Arrow IPC messages are checked against their bodies before arrow-ipc decodes them,
/// so no mutant reaches a panic inside the decoder: every Arrow type of the matrix
/// (dictionaries, views, lists, maps, structs), plain and in both compressions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrow_ipc_mutants_are_refused_before_the_decoder_panics() {
    use arrow_ipc::CompressionType;
    use arrow_ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
    let _alone = ONE_AT_A_TIME.lock().await;
    count_panics();
    let dir = tempfile::tempdir().unwrap();
    let batch = matrix::type_matrix();
    let mut report = Vec::new();
    let mut total = 0;
    for (ext, codec, seed) in [
        ("arrow", None, 0x5EED_0101),
        ("arrows", Some(CompressionType::LZ4_FRAME), 0x5EED_0102),
        ("arrows", Some(CompressionType::ZSTD), 0x5EED_0103),
    ] {
        let options = IpcWriteOptions::default()
            .try_with_compression(codec)
            .unwrap();
        let mut bytes = Vec::new();
        if ext == "arrow" {
            let mut w =
                FileWriter::try_new_with_options(&mut bytes, &batch.schema(), options).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
        } else {
            let mut w =
                StreamWriter::try_new_with_options(&mut bytes, &batch.schema(), options).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
        }
        let (count, seed) = campaign(400, seed);
        let panicked = read_mutants(dir.path(), &bytes, ext, seed, count).await;
        total += panicked;
        report.push(format!(
            "{ext} {codec:?}: {panicked} of {count} mutants panicked inside"
        ));
    }
    assert_eq!(total, 0, "{}", report.join("\n"));
}

/// Input nested far deeper than any real data (a few kilobytes each) is an error naming
/// the file and the limit, in every format with nesting: never a stack overflow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_is_an_error_in_every_format_never_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    // BSON: 2,000 documents, each the only field `d` of the one around it.
    let mut bson = vec![5u8, 0, 0, 0, 0];
    for _ in 0..2_000 {
        let mut body = vec![0x03, b'd', 0];
        body.extend_from_slice(&bson);
        body.push(0);
        let mut doc = ((body.len() + 4) as i32).to_le_bytes().to_vec();
        doc.extend_from_slice(&body);
        bson = doc;
    }
    // MessagePack: {"a": [[[...nil...]]]}, 5,000 arrays deep.
    let mut msgpack = vec![0x81, 0xa1, b'a'];
    msgpack.extend(std::iter::repeat_n(0x91, 5_000));
    msgpack.push(0xc0);
    // XML: 50,000 elements deep inside one row.
    let xml = format!(
        "<rows><row>{}x{}</row></rows>",
        "<a>".repeat(50_000),
        "</a>".repeat(50_000)
    );
    // JSON Lines: 100,000 arrays deep.
    let jsonl = format!(
        "{{\"a\":{}1{}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    // Avro: a recursive record, 100,000 levels (one byte each) below the top.
    let avro = deep_avro(100_000);
    for (name, bytes) in [
        ("deep.avro", avro),
        ("deep.bson", bson),
        ("deep.msgpack", msgpack),
        ("deep.xml", xml.into_bytes()),
        ("deep.jsonl", jsonl.into_bytes()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let path = path.to_str().unwrap();
        let err = collect(aopen_iterable(path).await.unwrap())
            .await
            .expect_err(name);
        let text = err.to_string();
        assert!(
            text.starts_with(path)
                && (text.contains("deeper than 128 levels") || text.contains("recursion limit")),
            "{name}: {text}"
        );
    }
}

/// Mutants of every other format our writers make (text, bridged and container
/// formats, plain and compressed): each read ends, in rows or in an error, within the
/// time limit, and a panic inside a decoder is an error naming the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_files_of_every_format_end_in_rows_or_an_error() {
    let _alone = ONE_AT_A_TIME.lock().await;
    count_panics();
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<_> = (0..60)
        .map(|i| {
            row! {
                "id" => i as i64,
                "name" => ["Ana", "Bo \"B\"", "Zoë, Jr."][i % 3],
                "score" => i as f64 / 4.0,
                "ok" => i % 2 == 0,
            }
        })
        .collect();
    let mut report = Vec::new();
    for (n, ext) in [
        "csv",
        "tsv",
        "jsonl",
        "json",
        "xml",
        "yaml",
        "toml",
        "ltsv",
        "bson",
        "msgpack",
        "avro",
        "xlsx",
        "csv.gz",
        "jsonl.zst",
        "json.bz2",
        "csv.xz",
        "csv.lz4",
        "jsonl.br",
    ]
    .into_iter()
    .enumerate()
    {
        let good = dir.path().join(format!("good.{ext}"));
        write_all(good.to_str().unwrap(), &IterableOptions::write(), &rows)
            .await
            .unwrap();
        let bytes = std::fs::read(&good).unwrap();
        let (count, seed) = campaign(120, 0xF0F0_0000 + n as u64);
        let panicked = read_mutants(dir.path(), &bytes, ext, seed, count).await;
        report.push(format!(
            "{ext}: {panicked} of {count} mutants panicked inside"
        ));
    }
    println!("{}", report.join("\n"));
}

/// Mutants of the document fixtures made by python-docx and fpdf2 (and the e-mail
/// ones): each read ends, in rows or in an error naming the file, and a panic inside
/// the PDF or DOCX decoders is such an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_documents_end_in_rows_or_an_error() {
    let _alone = ONE_AT_A_TIME.lock().await;
    count_panics();
    let dir = tempfile::tempdir().unwrap();
    let mut report = Vec::new();
    for (n, name) in ["report.pdf", "report.docx", "notice.eml", "mailbox.mbox"]
        .into_iter()
        .enumerate()
    {
        let bytes = std::fs::read(testdata(&format!("documents/{name}"))).unwrap();
        let ext = name.rsplit('.').next().unwrap();
        let (count, seed) = campaign(120, 0xD0C0_0000 + n as u64);
        let panicked = read_mutants(dir.path(), &bytes, ext, seed, count).await;
        report.push(format!(
            "{name}: {panicked} of {count} mutants panicked inside"
        ));
    }
    println!("{}", report.join("\n"));
}
