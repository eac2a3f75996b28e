//! WARC: the peer's crawl (gzip, one member a record) read record by record with its
//! HTTP messages parsed; records written and read back plain and gzipped; cut and
//! malformed records errors naming the record and its byte offset.

use iterable::{IterableOptions, Row, Value, row};
use iterable_tests::{collect, shared_conformance_set, write_all};

async fn read(path: &std::path::Path) -> iterable::Result<Vec<Row>> {
    collect(IterableOptions::read().open(path.to_str().unwrap()).await?).await
}

#[tokio::test]
async fn a_real_crawl_reads_record_by_record_with_http_parsed() {
    let Some(dir) = shared_conformance_set("iterabledata-formats") else {
        println!("no shared conformance folder: skipped");
        return;
    };
    let rows = read(&dir.join("sample.warc.gz")).await.unwrap();
    assert_eq!(rows.len(), 18);
    assert_eq!(rows[0]["WARC-Type"], Value::from("warcinfo"));
    assert_eq!(rows[0]["warc_version"], Value::from("WARC/1.0"));
    let response = rows
        .iter()
        .find(|r| r.get("WARC-Type") == Some(&Value::from("response")))
        .expect("a response record");
    assert!(
        matches!(response["http_status"], Value::Int(100..=599)),
        "{response:?}"
    );
    assert!(matches!(response["http_headers"], Value::Map(_)));
    let Value::Bytes(payload) = &response["payload"] else {
        panic!("payload is not bytes")
    };
    let Value::String(length) = &response["Content-Length"] else {
        panic!()
    };
    assert!(payload.len() < length.as_str().parse::<usize>().unwrap());
}

fn records() -> Vec<Row> {
    let mut headers = Row::new();
    headers.insert("Content-Type", "text/plain");
    vec![
        row! {
            "warc_version" => "WARC/1.1",
            "WARC-Type" => "resource",
            "WARC-Record-ID" => "<urn:uuid:00000000-0000-4000-8000-000000000001>",
            "WARC-Date" => "2026-12-03T10:00:00Z",
            "WARC-Target-URI" => "file:///notes.txt",
            "Content-Length" => "5",
            "payload" => Value::Bytes(b"notes".to_vec()),
        },
        row! {
            "warc_version" => "WARC/1.0",
            "WARC-Type" => "response",
            "WARC-Record-ID" => "<urn:uuid:00000000-0000-4000-8000-000000000002>",
            "WARC-Date" => "2026-12-03T10:00:01Z",
            "Content-Type" => "application/http;msgtype=response",
            "Content-Length" => "58",
            "http_start_line" => "HTTP/1.1 404 Not Found",
            "http_status" => 404,
            "http_headers" => Value::Map(headers),
            "payload" => Value::Bytes(b"gone\r\n".to_vec()),
        },
    ]
}

#[tokio::test]
async fn records_round_trip_plain_and_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["out.warc", "out.warc.gz"] {
        let path = dir.path().join(name);
        write_all(
            path.to_str().unwrap(),
            &IterableOptions::write(),
            &records(),
        )
        .await
        .unwrap();
        assert_eq!(read(&path).await.unwrap(), records(), "{name}");
    }
    // `.warc.gz` holds one gzip member a record: each decompresses on its own to
    // exactly one record.
    let gz = std::fs::read(dir.path().join("out.warc.gz")).unwrap();
    let mut rest = &gz[..];
    let mut members = Vec::new();
    while !rest.is_empty() {
        let mut member = String::new();
        let mut decoder = flate2::bufread::GzDecoder::new(&mut rest);
        std::io::Read::read_to_string(&mut decoder, &mut member).unwrap();
        members.push(member);
    }
    assert_eq!(members.len(), records().len());
    for member in &members {
        assert!(member.starts_with("WARC/1."), "{member}");
        assert_eq!(member.matches("WARC-Record-ID: ").count(), 1, "{member}");
        assert!(member.ends_with("\r\n\r\n"));
    }
    // Content-Length is the block's, whatever the row said; the missing headers made.
    let path = dir.path().join("made.warc");
    let rows = [row! { "Content-Length" => "999", "payload" => "hello" }];
    write_all(path.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    let back = read(&path).await.unwrap();
    assert_eq!(back[0]["Content-Length"], Value::from("5"));
    assert_eq!(back[0]["WARC-Type"], Value::from("resource"));
    assert!(
        matches!(&back[0]["WARC-Record-ID"], Value::String(s) if s.as_str().starts_with("<urn:uuid:"))
    );
    assert!(matches!(&back[0]["WARC-Date"], Value::String(s) if s.as_str().ends_with('Z')));
    // A header cannot hold a line break: nothing is published.
    let bad = dir.path().join("bad.warc");
    let err = write_all(
        bad.to_str().unwrap(),
        &IterableOptions::write(),
        &[row! { "WARC-Target-URI" => "http://x/\r\nInjected: 1" }],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("line break") && err.contains("WARC-Target-URI"),
        "{err}"
    );
    assert!(!bad.exists());
}

#[tokio::test]
async fn cut_and_malformed_records_are_errors_naming_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.warc");
    write_all(
        whole.to_str().unwrap(),
        &IterableOptions::write(),
        &records(),
    )
    .await
    .unwrap();
    let bytes = std::fs::read(&whole).unwrap();
    let second = bytes.windows(8).rposition(|w| w == b"WARC/1.0").unwrap();
    let cut = dir.path().join("cut.warc");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let err = read(&cut).await.unwrap_err().to_string();
    assert!(
        err.contains("cut.warc")
            && err.contains("record 2")
            && err.contains(&format!("byte {second}"))
            && err.contains("truncated"),
        "{err}"
    );
    let bad = dir.path().join("bad.warc");
    std::fs::write(
        &bad,
        b"WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: lots\r\n\r\n",
    )
    .unwrap();
    let err = read(&bad).await.unwrap_err().to_string();
    assert!(
        err.contains("record 1") && err.contains("Content-Length is not a number"),
        "{err}"
    );
    let junk = dir.path().join("junk.warc");
    std::fs::write(
        &junk,
        [&bytes[..second], b"HTTP/1.1 200 OK\r\n\r\n"].concat(),
    )
    .unwrap();
    let err = read(&junk).await.unwrap_err().to_string();
    assert!(
        err.contains("record 2") && err.contains("not a WARC version line"),
        "{err}"
    );
}
