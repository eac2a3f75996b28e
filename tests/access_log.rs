//! Access logs: combined, common or plain lines, found from the first line or given
//! with `log_format`; typed status, size and time; a bad line a bad record with its
//! position; written back line for line.

use iterable::{ErrorPolicy, IterableOptions, Row, Value, row};
use iterable_tests::{collect, write_all};

async fn read(path: &std::path::Path, options: IterableOptions) -> iterable::Result<Vec<Row>> {
    collect(options.open(path.to_str().unwrap()).await?).await
}

const COMBINED: &str = "203.0.113.9 - alice [03/Dec/2026:10:00:00 +0100] \"GET /index.html HTTP/1.1\" 200 512 \"https://example.org/\" \"Mozilla/5.0 (X11)\"\n\
198.51.100.7 - - [03/Dec/2026:10:00:02 +0100] \"HEAD / HTTP/1.1\" 304 - \"-\" \"curl/8.5\"\n";

#[tokio::test]
async fn the_first_line_decides_the_layout() {
    let dir = tempfile::tempdir().unwrap();
    let combined = dir.path().join("access.log");
    std::fs::write(&combined, COMBINED).unwrap();
    let rows = read(&combined, IterableOptions::read()).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["user"], Value::from("alice"));
    assert_eq!(rows[0]["status"], Value::Int(200));
    assert_eq!(rows[0]["user_agent"], Value::from("Mozilla/5.0 (X11)"));
    assert_eq!(rows[1]["bytes"], Value::Null);
    assert_eq!(rows[1]["referer"], Value::Null);
    let Value::Timestamp(t) = &rows[0]["time"] else {
        panic!("{rows:?}")
    };
    assert_eq!(
        (t.datetime.to_string().as_str(), t.tz.as_deref()),
        ("2026-12-03 09:00:00", Some("+01:00"))
    );

    let common = dir.path().join("common.log");
    std::fs::write(
        &common,
        "::1 - - [03/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.0\" 200 12\n",
    )
    .unwrap();
    let rows = read(&common, IterableOptions::read()).await.unwrap();
    assert_eq!(rows[0].keys().count(), 10);
    assert_eq!(rows[0]["protocol"], Value::from("HTTP/1.0"));

    let app = dir.path().join("app.log");
    std::fs::write(&app, "2026-12-03 INFO started\n2026-12-03 WARN slow\n").unwrap();
    assert_eq!(
        read(&app, IterableOptions::read()).await.unwrap(),
        [
            row! { "line" => "2026-12-03 INFO started" },
            row! { "line" => "2026-12-03 WARN slow" }
        ]
    );
}

#[tokio::test]
async fn a_bad_line_is_a_bad_record_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let text = format!("{COMBINED}garbage line\n{COMBINED}");
    std::fs::write(&path, &text).unwrap();
    let err = read(&path, IterableOptions::read())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 3") && err.contains(&format!("byte {}", COMBINED.len())),
        "{err}"
    );
    let rows = read(&path, IterableOptions::read().errors(ErrorPolicy::Skip))
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    // The common layout asked for: the referer and agent are text it does not expect.
    let err = read(
        &path,
        IterableOptions::read().set("log_format", "common").unwrap(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("text after the last field of the common format"),
        "{err}"
    );
}

#[tokio::test]
async fn rows_are_written_back_as_the_lines_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    std::fs::write(&path, COMBINED).unwrap();
    let rows = read(&path, IterableOptions::read()).await.unwrap();
    let out = dir.path().join("copy.log.gz");
    write_all(out.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    assert_eq!(read(&out, IterableOptions::read()).await.unwrap(), rows);
    let plain = dir.path().join("copy.log");
    write_all(plain.to_str().unwrap(), &IterableOptions::write(), &rows)
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), COMBINED);
}
