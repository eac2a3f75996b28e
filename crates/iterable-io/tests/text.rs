//! Transcoding to UTF-8 and the dead-letter file.

use iterable_core::{Error, ParseError, Position};
use iterable_io::{ByteReader, open_dead_letter, transcode_to_utf8};
use tokio::io::{AsyncReadExt, BufReader};

/// A reader that hands out one byte a read, so every multi-byte character is split.
fn one_byte_at_a_time(bytes: &'static [u8]) -> ByteReader {
    Box::new(BufReader::with_capacity(1, bytes))
}

#[tokio::test]
async fn windows_1251_to_utf8() {
    // "Привет, мир\n" in windows-1251.
    let cp1251: &'static [u8] = b"\xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0\n";
    let mut reader = transcode_to_utf8(one_byte_at_a_time(cp1251), "windows-1251").unwrap();
    let mut text = String::new();
    reader.read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "Привет, мир\n");
}

#[tokio::test]
async fn utf16le_split_across_reads_and_bom_removed() {
    // BOM + "Жa" in UTF-16LE: every code unit is split over two reads.
    let utf16: &'static [u8] = b"\xff\xfe\x16\x04a\x00";
    let mut reader = transcode_to_utf8(one_byte_at_a_time(utf16), "utf-16le").unwrap();
    let mut text = String::new();
    reader.read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "Жa");
}

#[tokio::test]
async fn latin1_and_a_large_input() {
    let mut input = Vec::new();
    for _ in 0..50_000 {
        input.extend_from_slice(b"caf\xe9;");
    }
    let input: &'static [u8] = Box::leak(input.into_boxed_slice());
    let mut reader = transcode_to_utf8(Box::new(BufReader::new(input)), "latin1").unwrap();
    let mut text = String::new();
    reader.read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "café;".repeat(50_000));
}

#[test]
fn unknown_encoding_is_an_invalid_option() {
    let err = transcode_to_utf8(Box::new(BufReader::new(&b""[..])), "klingon")
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::InvalidOption(m) if m.starts_with("unknown encoding \"klingon\"")),
        "{err:?}"
    );
}

#[test]
fn dead_letter_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    std::fs::write(&path, b"stale contents\n").unwrap();
    let mut sink = open_dead_letter(path.to_str().unwrap()).unwrap();
    let e1 = ParseError::new(
        "in.csv",
        Position {
            line: 3,
            record: 2,
            byte: 17,
        },
        "expected 3 fields, got 2",
        b"x,\"y",
    );
    sink.write(&e1, b"x,\"y").unwrap();
    let e2 = ParseError::new(
        "in.csv",
        Position {
            line: 9,
            record: 8,
            byte: 99,
        },
        "bad utf-8",
        b"\xffz",
    );
    sink.write(&e2, b"\xffz\n").unwrap();
    sink.flush().unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        concat!(
            "stale contents\n",
            r#"{"location":"in.csv","line":3,"record":2,"byte":17,"error":"expected 3 fields, got 2","raw":"x,\"y"}"#,
            "\n",
            r#"{"location":"in.csv","line":9,"record":8,"byte":99,"error":"bad utf-8","raw":"�z\n"}"#,
            "\n",
        )
    );
}

#[test]
fn a_run_without_bad_records_leaves_the_dead_letter_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("kept.jsonl");
    std::fs::write(&kept, b"an earlier run's record\n").unwrap();
    let mut sink = open_dead_letter(kept.to_str().unwrap()).unwrap();
    sink.flush().unwrap();
    drop(sink);
    assert_eq!(std::fs::read(&kept).unwrap(), b"an earlier run's record\n");
    let never = dir.path().join("never.jsonl");
    let mut sink = open_dead_letter(never.to_str().unwrap()).unwrap();
    sink.flush().unwrap();
    drop(sink);
    assert!(!never.exists());
}

#[cfg(unix)]
#[test]
fn a_dead_letter_path_that_is_a_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("precious.txt");
    std::fs::write(&target, b"keep me").unwrap();
    let link = dir.path().join("bad.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let err = open_dead_letter(link.to_str().unwrap()).err().unwrap();
    assert!(
        err.to_string().contains("symbolic link")
            && err.to_string().starts_with(link.to_str().unwrap()),
        "{err}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
}

#[test]
fn dead_letter_in_a_missing_folder_is_an_error() {
    let err = open_dead_letter("/no/such/folder/bad.jsonl").err().unwrap();
    assert!(matches!(&err, Error::NotFound { .. }), "{err:?}");
}
