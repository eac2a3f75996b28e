//! Every codec through `open_sink` -> `open_source`: round trips (detected by name and by
//! magic), multi-member streams, truncated and corrupt input.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use iterable_core::{Codec, Error};
use iterable_io::{open_sink, open_source};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every codec that compresses and can be written (not `None`, not zip).
fn codecs() -> impl Iterator<Item = Codec> {
    Codec::all().filter(|c| !matches!(c, Codec::None | Codec::Zip))
}

/// About 190 KB of text that compresses to a few tens of KB.
fn payload() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0u64..20_000 {
        out.extend_from_slice(format!("{i},{},row {}\n", i * 7919 % 10007, i % 13).as_bytes());
    }
    out
}

async fn write(path: &Path, codec: Codec, data: &[u8]) {
    let mut sink = open_sink(path.to_str().unwrap(), codec, None)
        .await
        .unwrap();
    sink.write_all(data).await.unwrap();
    sink.shutdown().await.unwrap();
}

async fn read(path: &Path, codec: Option<Codec>) -> Result<(Codec, Vec<u8>), String> {
    let source = open_source(path.to_str().unwrap(), codec, None)
        .await
        .map_err(|e| e.to_string())?;
    let used = source.codec;
    let mut out = Vec::new();
    source
        .into_reader()
        .read_to_end(&mut out)
        .await
        .map_err(|e| e.to_string())?;
    Ok((used, out))
}

fn named(dir: &Path, codec: Codec) -> PathBuf {
    dir.join(format!("data.csv.{}", codec.extension()))
}

#[tokio::test]
async fn round_trip_every_codec_detected_by_name_and_by_magic() {
    let dir = tempfile::tempdir().unwrap();
    let data = payload();
    for codec in codecs() {
        let path = named(dir.path(), codec);
        write(&path, codec, &data).await;
        let compressed = std::fs::read(&path).unwrap();
        assert!(
            compressed.len() < data.len() * 2 / 3,
            "{codec}: {} bytes",
            compressed.len()
        );

        // By name (brotli and deflate have no magic, the name is all there is).
        let (used, out) = read(&path, None).await.unwrap();
        assert_eq!(used, codec, "{codec}");
        assert!(
            out == data,
            "{codec}: {} bytes back of {}",
            out.len(),
            data.len()
        );

        // By magic, under a name that says nothing about the codec.
        let plain = dir.path().join(format!("{}-as.csv", codec.name()));
        std::fs::write(&plain, &compressed).unwrap();
        let result = read(&plain, None).await.unwrap();
        if matches!(codec, Codec::Brotli | Codec::Deflate) {
            assert_eq!(
                result,
                (Codec::None, compressed.clone()),
                "{codec} has no magic"
            );
        } else {
            assert_eq!(result.0, codec, "{codec}");
            assert!(result.1 == data, "{codec} by magic");
        }

        // Forced.
        let (used, out) = read(&plain, Some(codec)).await.unwrap();
        assert_eq!(used, codec);
        assert!(out == data, "{codec} forced");
        let (used, out) = read(&path, Some(Codec::None)).await.unwrap();
        assert_eq!(
            (used, out),
            (Codec::None, compressed),
            "{codec}: forced none"
        );
    }
}

#[tokio::test]
async fn explicit_levels_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for (codec, level) in [
        (Codec::Gzip, 1),
        (Codec::Zstd, 19),
        (Codec::Brotli, 11),
        (Codec::Xz, 0),
        (Codec::Lz4, 9),
    ] {
        let path = named(dir.path(), codec);
        let mut sink = open_sink(path.to_str().unwrap(), codec, Some(level))
            .await
            .unwrap();
        sink.write_all(b"level test\n").await.unwrap();
        sink.shutdown().await.unwrap();
        assert_eq!(
            read(&path, None).await.unwrap(),
            (codec, b"level test\n".to_vec()),
            "{codec}"
        );
    }
}

#[tokio::test]
async fn concatenated_streams_read_whole_in_every_codec() {
    let dir = tempfile::tempdir().unwrap();
    for codec in codecs().filter(|c| c.spec().writes) {
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        write(&a, codec, b"first member\n").await;
        write(&b, codec, b"second member\n").await;
        let mut both = std::fs::read(&a).unwrap();
        both.extend(std::fs::read(&b).unwrap());
        let path = named(dir.path(), codec);
        std::fs::write(&path, &both).unwrap();
        let (used, out) = read(&path, None)
            .await
            .unwrap_or_else(|e| panic!("{codec}: {e}"));
        assert_eq!(used, codec);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "first member\nsecond member\n",
            "{codec}"
        );
    }
}

#[tokio::test]
async fn bytes_after_the_last_stream_are_an_error_in_every_codec() {
    let dir = tempfile::tempdir().unwrap();
    for codec in codecs().filter(|c| c.spec().writes) {
        for tail in [&b"GARBAGE"[..], b"\n", b"\0\0\0\0", b"id,name\n1,x\n"] {
            if codec == Codec::Xz && tail == b"\0\0\0\0" {
                continue; // xz's stream padding: zero bytes in fours after a stream are valid
            }
            let path = named(dir.path(), codec);
            write(&path, codec, &payload()).await;
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend_from_slice(tail);
            std::fs::write(&path, &bytes).unwrap();
            match read(&path, None).await {
                // The byte layer's read errors name the codec; the format reading
                // them adds the file and the position.
                Err(e) => assert!(
                    e.contains(&format!("{codec} ")) && e.contains("truncated or corrupt"),
                    "{codec} + {tail:?}: {e}"
                ),
                Ok((_, out)) => panic!(
                    "{codec} + {tail:?}: read {} bytes without an error (wrote {})",
                    out.len(),
                    payload().len()
                ),
            }
        }
    }
}

#[tokio::test]
async fn truncated_input_is_an_error_for_every_codec() {
    let dir = tempfile::tempdir().unwrap();
    let data = payload();
    for codec in codecs() {
        let path = named(dir.path(), codec);
        write(&path, codec, &data).await;
        let full = std::fs::read(&path).unwrap();
        for cut in [
            full.len() / 4,
            full.len() / 2,
            full.len() * 3 / 4,
            full.len() - 1,
        ] {
            let short = dir.path().join(format!("short.csv.{}", codec.extension()));
            std::fs::write(&short, &full[..cut]).unwrap();
            let err = read(&short, None)
                .await
                .expect_err(&format!("{codec} cut at {cut} of {}", full.len()));
            assert!(
                err.contains("truncated or corrupt"),
                "{codec} cut at {cut}: {err}"
            );
            assert!(err.contains(codec.name()), "{codec}: {err}");
        }
    }
}

#[tokio::test]
async fn garbage_after_gzip_magic_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(
        &path,
        b"\x1f\x8bthis is not deflate data at all, just text\n",
    )
    .unwrap();
    let err = read(&path, None).await.unwrap_err();
    assert!(err.contains("gzip stream is truncated or corrupt"), "{err}");

    // A good member followed by garbage is not silently cut short either.
    let good = dir.path().join("good.gz");
    write(&good, Codec::Gzip, b"ok\n").await;
    let mut bytes = std::fs::read(&good).unwrap();
    bytes.extend_from_slice(b"trailing garbage");
    std::fs::write(&path, bytes).unwrap();
    // The error says where: after the good member's 3 bytes.
    let err = read(&path, None).await.unwrap_err();
    assert!(
        err.contains("gzip stream is truncated or corrupt after 3 decoded bytes"),
        "{err}"
    );
}

#[tokio::test]
async fn the_error_through_open_and_peek_names_the_location() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv.gz");
    std::fs::write(&path, b"\x1f\x8b\x08\x00garbage garbage garbage").unwrap();
    let location = path.to_str().unwrap();
    let mut source = open_source(location, None, None).await.unwrap();
    let err = source.peek(10).await.unwrap_err();
    match &err {
        Error::Io {
            location: l,
            source,
        } => {
            assert_eq!(l, location);
            assert!(
                source
                    .to_string()
                    .contains("gzip stream is truncated or corrupt"),
                "{source}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn gzip_named_csv_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("x.gz");
    write(&gz, Codec::Gzip, b"id,name\n1,Anna\n").await;
    let csv = dir.path().join("x.csv");
    std::fs::copy(&gz, &csv).unwrap();
    assert_eq!(
        read(&csv, None).await.unwrap(),
        (Codec::Gzip, b"id,name\n1,Anna\n".to_vec())
    );
}

#[tokio::test]
async fn a_name_that_says_gzip_over_plain_text_reads_plain() {
    // Magic decides when it names a codec; text under a .gz name is read as gzip (the
    // name's codec) and is an error, not garbage rows.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv.gz");
    std::fs::write(&path, b"id,name\n").unwrap();
    let err = read(&path, None).await.unwrap_err();
    assert!(err.contains("gzip stream is truncated or corrupt"), "{err}");
}

#[tokio::test]
async fn an_empty_file_is_empty_text_or_a_truncated_stream() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["empty.csv", "empty"] {
        let path = dir.path().join(name);
        std::fs::write(&path, b"").unwrap();
        let mut source = open_source(path.to_str().unwrap(), None, None)
            .await
            .unwrap();
        assert_eq!(source.codec, Codec::None);
        assert_eq!(source.bytes_total, Some(0));
        assert_eq!(source.peek(10).await.unwrap(), b"");
        let mut out = Vec::new();
        source.into_reader().read_to_end(&mut out).await.unwrap();
        assert!(out.is_empty());
    }
    // Under a codec's name, zero bytes are a cut-short file (gzip and xz say so too).
    for codec in Codec::all().filter(|c| *c != Codec::None) {
        let path = dir.path().join(format!("empty.csv.{}", codec.extension()));
        std::fs::write(&path, b"").unwrap();
        let err = read(&path, None).await.unwrap_err();
        assert!(
            err.starts_with(path.to_str().unwrap())
                && err.contains(&format!("{codec} "))
                && err.contains("truncated or corrupt: the file is empty"),
            "{err}"
        );
    }
    // A codec given explicitly, over an empty file with a plain name, likewise.
    let plain = dir.path().join("empty.csv");
    let err = read(&plain, Some(Codec::Zstd)).await.unwrap_err();
    assert!(err.contains("zstd stream is truncated or corrupt"), "{err}");
}

#[tokio::test]
async fn peek_with_growing_n_then_read_all() {
    let dir = tempfile::tempdir().unwrap();
    let data = payload();
    let path = dir.path().join("p.csv.zst");
    write(&path, Codec::Zstd, &data).await;
    let mut source = open_source(path.to_str().unwrap(), None, None)
        .await
        .unwrap();
    assert_eq!(source.peek(2).await.unwrap(), b"0,");
    assert_eq!(source.peek(8).await.unwrap(), &data[..8]);
    assert_eq!(source.peek(100_000).await.unwrap(), &data[..100_000]);
    assert_eq!(source.peek(5).await.unwrap(), &data[..5]);
    let too_many = data.len() + 10;
    assert_eq!(source.peek(too_many).await.unwrap(), &data[..]);
    let mut out = Vec::new();
    source.into_reader().read_to_end(&mut out).await.unwrap();
    assert!(out == data);
}

#[tokio::test]
async fn bytes_read_counts_raw_bytes_and_total_is_the_file_size() {
    let dir = tempfile::tempdir().unwrap();
    let data = payload();
    let path = dir.path().join("c.csv.gz");
    write(&path, Codec::Gzip, &data).await;
    let size = std::fs::metadata(&path).unwrap().len();
    let source = open_source(path.to_str().unwrap(), None, None)
        .await
        .unwrap();
    assert_eq!(source.bytes_total, Some(size));
    let counter = source.bytes_read.clone();
    assert!(counter.load(Ordering::Relaxed) <= size);
    let mut out = Vec::new();
    source.into_reader().read_to_end(&mut out).await.unwrap();
    assert_eq!(counter.load(Ordering::Relaxed), size);
    assert_eq!(out.len(), data.len());
}

#[tokio::test]
async fn file_url_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u.csv");
    std::fs::write(&path, b"a\n").unwrap();
    let url = format!("file://{}", path.display());
    assert_eq!(
        read(Path::new(&url), None).await.unwrap(),
        (Codec::None, b"a\n".to_vec())
    );

    let missing = dir.path().join("missing.csv");
    let err = open_source(missing.to_str().unwrap(), None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { location } if location == missing.to_str().unwrap()),
        "{err:?}"
    );
}

#[tokio::test]
async fn every_cut_point_of_a_small_stream_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = payload().into_iter().take(3000).collect();
    let mut silent = Vec::new();
    for codec in codecs() {
        let path = named(dir.path(), codec);
        write(&path, codec, &data).await;
        let full = std::fs::read(&path).unwrap();
        let short = dir.path().join(format!("cut.csv.{}", codec.extension()));
        for cut in 1..full.len() {
            std::fs::write(&short, &full[..cut]).unwrap();
            if let Ok((_, out)) = read(&short, None).await {
                silent.push(format!(
                    "{codec} cut at {cut} of {} gave {} bytes",
                    full.len(),
                    out.len()
                ));
            }
        }
    }
    assert!(silent.is_empty(), "{silent:#?}");
}

/// A pipe whose writer hands over the first bytes one at a time: the codec is still
/// detected from the magic (the raw stream is peeked until 6 bytes or the end).
#[cfg(unix)]
#[tokio::test]
async fn magic_split_over_tiny_reads_of_a_pipe() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("x.gz");
    write(&gz, Codec::Gzip, b"id\n1\n").await;
    let compressed = std::fs::read(&gz).unwrap();
    let fifo = dir.path().join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .unwrap();
        for byte in &compressed[..3] {
            pipe.write_all(&[*byte]).unwrap();
            pipe.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(30));
        }
        pipe.write_all(&compressed[3..]).unwrap();
    });
    let source = open_source(fifo.to_str().unwrap(), None, None)
        .await
        .unwrap();
    assert_eq!(source.codec, Codec::Gzip);
    assert_eq!(source.bytes_total, None);
    let mut out = Vec::new();
    source.into_reader().read_to_end(&mut out).await.unwrap();
    writer.join().unwrap();
    assert_eq!(out, b"id\n1\n");
}

/// A reader dropped in the middle of a compressed file ends its decoding thread: the
/// runtime then shuts down at once (a decoder left running would hold the shutdown
/// for the whole of the bound below).
#[test]
fn a_dropped_reader_ends_its_decoder() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let data: Vec<u8> = payload().repeat(40); // ~7.6 MB decoded, many chunks
    for codec in [Codec::Gzip, Codec::Zstd] {
        let path = named(dir.path(), codec);
        rt.block_on(async {
            write(&path, codec, &data).await;
            let source = open_source(path.to_str().unwrap(), None, None)
                .await
                .unwrap();
            let mut reader = source.into_reader();
            let mut first = [0u8; 1024];
            reader.read_exact(&mut first).await.unwrap();
            assert_eq!(&first[..], &data[..1024]);
            // The decoder is ahead by a few chunks, blocked on the full channel.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        });
    }
    let started = std::time::Instant::now();
    rt.shutdown_timeout(std::time::Duration::from_secs(20));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "a decoder kept the runtime from shutting down"
    );
}
