//! LTSV and TOML, the formats added through the registry: bad input is an error with
//! the line, record and byte; the skip policy goes on at the next LTSV line; values
//! a format cannot hold are write errors that publish nothing.

use futures::StreamExt;
use iterable::{ErrorPolicy, IterableOptions, Value, aopen_iterable, row};
use iterable_tests::{collect, write_all};

#[tokio::test]
async fn a_bad_ltsv_line_names_its_position_and_skip_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.ltsv");
    std::fs::write(
        &path,
        "host:a\tstatus:200\n\nno label here\nhost:b\tstatus:404\r\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();

    let mut src = aopen_iterable(path).await.unwrap();
    assert_eq!(
        src.next().await.unwrap().unwrap()["status"],
        Value::from("200")
    );
    let err = src.next().await.unwrap().unwrap_err();
    let parse = err.as_parse().expect("a parse error");
    assert_eq!(
        (
            parse.position.line,
            parse.position.record,
            parse.position.byte
        ),
        (3, 2, 19)
    );
    assert!(err.to_string().contains("has no label"), "{err}");
    assert!(err.to_string().contains(path), "{err}");
    assert!(src.next().await.is_none(), "fail ends the stream");

    let src = IterableOptions::read()
        .errors(ErrorPolicy::Skip)
        .open(path)
        .await
        .unwrap();
    let rows = collect(src).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["host"], Value::from("b"));
    assert_eq!(
        rows[1]["status"],
        Value::from("404"),
        "CR before LF is dropped"
    );
}

#[tokio::test]
async fn values_ltsv_cannot_hold_are_write_errors_and_nothing_is_published() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.ltsv");
    let path = path.to_str().unwrap();
    let err = write_all(
        path,
        &IterableOptions::write(),
        &[row! { "a" => "fine" }, row! { "a" => "tab\there" }],
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row 2"), "{err}");
    assert!(err.to_string().contains("tab or a line end"), "{err}");
    assert!(
        !std::path::Path::new(path).exists(),
        "no output after a failed write"
    );
}

#[tokio::test]
async fn toml_keeps_types_picks_arrays_by_tagname_and_reports_syntax_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.toml");
    std::fs::write(
        &path,
        "title = \"x\"\n[[people]]\nid = 1\nname = \"Anna\"\nborn = 1990-05-01\nseen = 2024-01-02T03:04:05Z\n\n[[pets]]\nname = \"Rex\"\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let err = aopen_iterable(path).await.unwrap_err().to_string();
    assert!(
        err.contains("several arrays of tables (people, pets)"),
        "{err}"
    );
    let rows = collect(
        IterableOptions::read()
            .tagname("people")
            .open(path)
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], Value::Int(1));
    assert!(
        matches!(rows[0]["born"], Value::Date(_)),
        "{:?}",
        rows[0]["born"]
    );
    assert!(matches!(&rows[0]["seen"], Value::Timestamp(t) if t.tz.as_deref() == Some("UTC")));
    assert_eq!(
        rows[0].keys().collect::<Vec<_>>(),
        ["id", "name", "born", "seen"]
    );

    std::fs::write(dir.path().join("bad.toml"), "[[item]]\nid = 1\nname = \n").unwrap();
    let err = aopen_iterable(dir.path().join("bad.toml").to_str().unwrap())
        .await
        .unwrap_err();
    let parse = err.as_parse().expect("a parse error");
    assert_eq!(parse.position.line, 3, "{err}");

    // Written back under its tagname; a null leaves its key out (TOML has no null).
    let out = dir.path().join("out.toml");
    let out = out.to_str().unwrap();
    let with_null = row! { "id" => 2, "gone" => Value::Null };
    write_all(
        out,
        &IterableOptions::write().tagname("people"),
        &[rows[0].clone(), with_null],
    )
    .await
    .unwrap();
    let text = std::fs::read_to_string(out).unwrap();
    assert!(text.starts_with("[[people]]\n"), "{text}");
    assert!(!text.contains("gone"), "{text}");
    let back = collect(aopen_iterable(out).await.unwrap()).await.unwrap();
    assert_eq!(back[0], rows[0]);
    assert_eq!(back[1], row! { "id" => 2 });
}

#[tokio::test]
async fn a_null_inside_a_list_is_a_toml_write_error_not_an_empty_string() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.toml");
    let path = path.to_str().unwrap();
    let err = write_all(
        path,
        &IterableOptions::write(),
        &[row! { "xs" => vec![Value::from(1), Value::Null] }],
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("a list holds a null"), "{err}");
    assert!(!std::path::Path::new(path).exists());
}

/// `.ssv` is CSV with semicolons (a decimal comma stays in its field), both ways.
#[tokio::test]
async fn semicolon_separated_values_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prices.ssv");
    std::fs::write(&path, "item;price\nTee;3,50\n\"a;b\";1\n").unwrap();
    let path = path.to_str().unwrap();
    let rows = iterable_tests::read_all(path).await;
    let expected = vec![
        iterable::row! { "item" => "Tee", "price" => "3,50" },
        iterable::row! { "item" => "a;b", "price" => "1" },
    ];
    assert_eq!(rows, expected);
    let out = dir.path().join("out.ssv.gz");
    let out = out.to_str().unwrap();
    iterable_tests::write_all(out, &iterable::IterableOptions::write(), &expected)
        .await
        .unwrap();
    assert_eq!(iterable_tests::read_all(out).await, expected);
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(out).unwrap()),
        &mut plain,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(plain).unwrap(),
        "item;price\nTee;3,50\n\"a;b\";1\n"
    );
}

/// INI and properties files: one row a key; a bad line names the file, line and byte;
/// a latin-1 properties file is detected and decoded; neither is written.
#[tokio::test]
async fn config_files_give_one_row_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let ini = dir.path().join("app.ini");
    std::fs::write(&ini, "[server]\nport = 8080\n[paths]\nroot: /srv\n").unwrap();
    assert_eq!(
        iterable_tests::read_all(ini.to_str().unwrap()).await,
        [
            row! { "section" => "server", "key" => "port", "value" => "8080" },
            row! { "section" => "paths", "key" => "root", "value" => "/srv" },
        ]
    );
    let props = dir.path().join("messages.properties");
    std::fs::write(
        &props,
        b"greeting=Gr\xfc\xdfe aus K\xf6ln und M\xfcnchen\nbye : Tsch\xfc\xdf\n",
    )
    .unwrap();
    let src = IterableOptions::read()
        .open(props.to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(src.info().encoding, Some("windows-1252"));
    assert_eq!(
        collect(src).await.unwrap(),
        [
            row! { "key" => "greeting", "value" => "Grüße aus Köln und München" },
            row! { "key" => "bye", "value" => "Tschüß" },
        ]
    );
    let bad = dir.path().join("bad.ini");
    std::fs::write(&bad, "[a]\nx = 1\nnot a pair\n").unwrap();
    let err = match IterableOptions::read().open(bad.to_str().unwrap()).await {
        Ok(src) => collect(src).await.unwrap_err(),
        Err(e) => e,
    }
    .to_string();
    assert!(
        err.contains("bad.ini") && err.contains("line 3") && err.contains("byte 10"),
        "{err}"
    );
    let out = dir.path().join("out.ini");
    assert!(
        IterableOptions::write()
            .open(out.to_str().unwrap())
            .await
            .is_err()
    );
}
