//! Zip archives: one member, several members (chosen by name), errors that list names.

use std::io::Write;
use std::path::Path;

use iterable_core::{Codec, Error};
use iterable_io::open_source;
use tokio::io::AsyncReadExt;
use zip::write::SimpleFileOptions;

fn write_zip(path: &Path, members: &[(&str, &[u8])], with_dir: bool) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    if with_dir {
        zip.add_directory("folder/", SimpleFileOptions::default())
            .unwrap();
    }
    for (name, data) in members {
        zip.start_file(*name, SimpleFileOptions::default()).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

async fn read_all(
    location: &str,
    member: Option<&str>,
) -> iterable_core::Result<(Option<String>, String)> {
    let source = open_source(location, None, member).await?;
    assert_eq!(source.codec, Codec::Zip);
    let name = source.member_name.clone();
    let mut text = String::new();
    source
        .into_reader()
        .read_to_string(&mut text)
        .await
        .map_err(|e| Error::io(location, e))?;
    Ok((name, text))
}

#[tokio::test]
async fn one_member_is_read_and_directories_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.zip");
    write_zip(&path, &[("folder/rows.csv", b"id,name\n1,Anna\n")], true);
    let got = read_all(path.to_str().unwrap(), None).await.unwrap();
    assert_eq!(
        got,
        (
            Some("folder/rows.csv".to_owned()),
            "id,name\n1,Anna\n".to_owned()
        )
    );
}

#[tokio::test]
async fn a_large_member_streams_whole_and_counts_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin"); // detected by magic
    let data: Vec<u8> = (0..2_000_000u32)
        .flat_map(|i| format!("{i}\n").into_bytes())
        .collect();
    write_zip(&path, &[("big.txt", &data)], false);
    let size = std::fs::metadata(&path).unwrap().len();
    let source = open_source(path.to_str().unwrap(), None, None)
        .await
        .unwrap();
    assert_eq!(source.codec, Codec::Zip);
    assert_eq!(source.bytes_total, Some(size));
    let counter = source.bytes_read.clone();
    let mut out = Vec::new();
    source.into_reader().read_to_end(&mut out).await.unwrap();
    assert!(out == data, "{} of {} bytes", out.len(), data.len());
    let counted = counter.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        counted >= size / 2 && counted <= 2 * size,
        "{counted} of {size}"
    );
}

#[tokio::test]
async fn several_members_need_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.csv.zip");
    write_zip(&path, &[("a.csv", b"a\n1\n"), ("b.csv", b"b\n2\n")], false);
    let location = path.to_str().unwrap();
    let err = read_all(location, None).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("invalid option: {location}: zip archive has 2 members, choose one: a.csv, b.csv")
    );
    assert_eq!(
        read_all(location, Some("b.csv")).await.unwrap(),
        (Some("b.csv".to_owned()), "b\n2\n".to_owned())
    );
    let err = read_all(location, Some("c.csv")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "invalid option: {location}: zip archive has no member \"c.csv\"; members: a.csv, b.csv"
        )
    );
}

#[tokio::test]
async fn dropping_the_reader_early_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.zip");
    let data = vec![b'z'; 5_000_000];
    write_zip(&path, &[("z.txt", &data)], false);
    let mut source = open_source(path.to_str().unwrap(), None, None)
        .await
        .unwrap();
    assert_eq!(source.peek(3).await.unwrap(), b"zzz");
    drop(source); // the blocking task sees the closed channel and ends
    let again = read_all(path.to_str().unwrap(), None).await.unwrap();
    assert_eq!(again.1.len(), data.len());
}

#[tokio::test]
async fn corrupt_zip_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.zip");
    write_zip(&path, &[("a.csv", b"hello\n")], false);
    let full = std::fs::read(&path).unwrap();
    std::fs::write(&path, &full[..full.len() / 2]).unwrap();
    let location = path.to_str().unwrap();
    let err = open_source(location, None, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Io { location: l, .. } if l == location),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("zip archive is truncated or corrupt"),
        "{err}"
    );
}

/// The byte layer knows no format: a workbook is kept whole when its caller (who
/// knows the format is a container of its own) forces no codec.
#[tokio::test]
async fn a_zip_is_kept_whole_when_no_codec_is_forced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    write_zip(&path, &[("xl/workbook.xml", b"<workbook/>")], false);
    let source = open_source(path.to_str().unwrap(), Some(Codec::None), None)
        .await
        .unwrap();
    assert_eq!(source.codec, Codec::None);
    assert_eq!(source.member_name, None);
}

#[tokio::test]
async fn zip_from_stdin_is_unsupported() {
    let err = open_source("-", Some(Codec::Zip), None).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "-: reading a zip archive from stdin is not supported (zip needs a seekable file)"
    );
}

#[tokio::test]
async fn a_corrupt_member_is_an_error_not_a_short_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crc.zip");
    let data = vec![b'a'; 10_000];
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("a.txt", stored).unwrap();
    zip.write_all(&data).unwrap();
    zip.finish().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes
        .windows(100)
        .position(|w| w.iter().all(|&b| b == b'a'))
        .unwrap()
        + 5000;
    bytes[at] = b'b';
    std::fs::write(&path, bytes).unwrap();
    let err = read_all(path.to_str().unwrap(), None).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("zip archive is truncated or corrupt"),
        "{err}"
    );
}

/// An archive with no file in it (only a folder, or nothing) is an error that says so,
/// not an "invalid option".
#[tokio::test]
async fn an_archive_without_files_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for (name, with_dir) in [("empty.zip", false), ("folder-only.zip", true)] {
        let path = dir.path().join(name);
        write_zip(&path, &[], with_dir);
        let err = read_all(path.to_str().unwrap(), None).await.unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.starts_with(path.to_str().unwrap()) && text.contains("zip archive holds no file"),
            "{text}"
        );
    }
}
