//! What every fuzz target does: the bytes are written to a file named `input.<ext>`
//! and read whole through `aopen_iterable`, as a user's file would be (name and magic
//! detection, the codec, the format's reader). An error is a fine outcome; a crash,
//! a hang, or a panic is a finding.
//!
//! libFuzzer's panic hook aborts on every panic, including those the library catches
//! on a decoding thread and turns into an error naming the file: those are bugs of a
//! decoder (worth reporting upstream) that `tests/hostile_input.rs` checks never reach
//! a user as anything but an error.

use std::sync::OnceLock;

use futures::StreamExt;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

fn folder() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"))
        .path()
}

/// Reads `data` as a file with extension `ext` to its end or its first error.
pub fn read_all(ext: &str, data: &[u8]) {
    let path = folder().join(format!("input.{ext}"));
    std::fs::write(&path, data).expect("the input is written");
    let path = path.to_str().expect("a UTF-8 path");
    runtime().block_on(async {
        let Ok(mut rows) = iterable::aopen_iterable(path).await else {
            return;
        };
        while let Some(row) = rows.next().await {
            if row.is_err() {
                break;
            }
        }
    });
}
