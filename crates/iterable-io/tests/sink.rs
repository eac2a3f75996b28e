//! Atomic local writes: only a successful shutdown publishes the file.

use std::path::Path;

use iterable_core::{Codec, Error};
use iterable_io::open_sink;
use tokio::io::AsyncWriteExt;

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn dropped_without_shutdown_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.csv.gz");
    for codec in [Codec::None, Codec::Gzip] {
        let mut sink = open_sink(target.to_str().unwrap(), codec, None)
            .await
            .unwrap();
        sink.write_all(&vec![b'x'; 200_000]).await.unwrap();
        sink.flush().await.unwrap();
        let during = names(dir.path());
        assert_eq!(during.len(), 1, "{during:?}");
        assert!(
            during[0].starts_with(".out.csv.gz.") && during[0].ends_with(".tmp"),
            "{during:?}"
        );
        drop(sink);
        assert_eq!(names(dir.path()), Vec::<String>::new(), "{codec}");
    }
}

#[tokio::test]
async fn shutdown_publishes_exactly_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.csv");
    std::fs::write(&target, b"old contents\n").unwrap();
    let mut sink = open_sink(target.to_str().unwrap(), Codec::None, None)
        .await
        .unwrap();
    sink.write_all(b"id\n1\n").await.unwrap();
    assert_eq!(
        std::fs::read(&target).unwrap(),
        b"old contents\n",
        "not replaced before shutdown"
    );
    sink.shutdown().await.unwrap();
    assert_eq!(names(dir.path()), ["out.csv"]);
    assert_eq!(std::fs::read(&target).unwrap(), b"id\n1\n");
    // Shutting down again is fine; writing after shutdown is an error.
    sink.shutdown().await.unwrap();
    assert!(sink.write_all(b"more").await.is_err());
    drop(sink);
    assert_eq!(names(dir.path()), ["out.csv"]);
    assert_eq!(std::fs::read(&target).unwrap(), b"id\n1\n");
}

#[tokio::test]
async fn relative_name_in_the_current_folder_and_file_url() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("u.txt");
    let url = format!("file://{}", target.display());
    let mut sink = open_sink(&url, Codec::None, None).await.unwrap();
    sink.write_all(b"via url").await.unwrap();
    sink.shutdown().await.unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"via url");
    assert_eq!(names(dir.path()), ["u.txt"]);
}

#[tokio::test]
async fn missing_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("no/such/folder/out.csv");
    let location = target.to_str().unwrap();
    let err = open_sink(location, Codec::None, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Io { location: l, .. } if l == location),
        "{err:?}"
    );
    let folder = dir.path().join("no/such/folder");
    assert_eq!(
        err.to_string(),
        format!("{location}: folder {} does not exist", folder.display())
    );
}

#[tokio::test]
async fn writing_zip_is_unsupported() {
    let err = open_sink("out.csv.zip", Codec::Zip, None)
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "out.csv.zip: writing zip archives is not supported; use .gz or .zst"
    );
}

#[tokio::test]
async fn unknown_url_schemes_are_unsupported() {
    let err = open_sink("ftp://host/out.csv", Codec::None, None)
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Unsupported { .. }), "{err:?}");
    assert!(
        err.to_string().contains("`ftp://` URLs are not supported"),
        "{err}"
    );
}

#[cfg(not(feature = "aws"))]
#[tokio::test]
async fn s3_urls_name_the_feature_that_reads_them() {
    let err = open_sink("s3://bucket/out.csv", Codec::None, None)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "s3:// URLs support is not compiled in: enable the cargo feature `aws`"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn replacing_a_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("private.csv");
    std::fs::write(&target, "old\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut sink = open_sink(target.to_str().unwrap(), Codec::None, None)
        .await
        .unwrap();
    sink.write_all(b"new\n").await.unwrap();
    sink.shutdown().await.unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new\n");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
