//! `remove_temporary_files` (what a program stopped by a signal calls) removes the
//! temporary file of an output still being written, so it is never published. In a
//! test binary of its own: it removes every open output's temporary file in the
//! process.

use iterable_io::remove_temporary_files;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn an_open_output_s_temporary_file_is_removed_and_the_output_never_appears() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.csv");
    let mut sink =
        iterable_io::open_sink(target.to_str().unwrap(), iterable_core::Codec::None, None)
            .await
            .unwrap();
    sink.write_all(b"a,b\n1,2\n").await.unwrap();
    sink.flush().await.unwrap();
    let temps = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count()
    };
    assert_eq!(temps(), 1);
    assert_eq!(remove_temporary_files(), 1);
    assert_eq!(temps(), 0);
    // Closing now fails: the file it would publish is gone.
    assert!(sink.shutdown().await.is_err());
    assert!(!target.exists());
    // A published output is no longer listed.
    let mut sink =
        iterable_io::open_sink(target.to_str().unwrap(), iterable_core::Codec::None, None)
            .await
            .unwrap();
    sink.write_all(b"a\n").await.unwrap();
    sink.shutdown().await.unwrap();
    assert_eq!(remove_temporary_files(), 0);
    assert_eq!(std::fs::read(&target).unwrap(), b"a\n");
}
