//! The `iterable` binary, run as a user runs it.

use std::path::PathBuf;
use std::process::{Command, Output};

fn testdata(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn iterable(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iterable"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// `iterable cat -` with `input` on its stdin.
fn cat_stdin(input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_iterable"))
        .args(["cat", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn cat_writes_json_lines_typed_as_read() {
    let text = stdout(&iterable(&["cat", &testdata("people.jsonl.zst")]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        r#"{"id":1,"name":"Anna","tags":["a","b"],"address":{"city":"Berlin","zip":"10115"},"score":9.5,"active":true}"#
    );
}

#[test]
fn cat_to_csv_quotes_what_needs_quoting() {
    let text = stdout(&iterable(&[
        "cat",
        "--to",
        "csv",
        &testdata("people.csv.bz2"),
    ]));
    assert!(text.starts_with("id,name,city,note\n1,Anna,Berlin,plain\n2,\"Smith, Ben\",Paris,\"has \"\"quotes\"\"\"\n"), "{text}");
    assert!(text.contains("\"crlf\r\ninside\""), "{text}");
    assert!(text.ends_with("5,Eve,,\n"), "{text}");
}

#[test]
fn head_stops_after_n_rows() {
    let text = stdout(&iterable(&["head", "-n", "2", &testdata("people.csv")]));
    assert_eq!(text.lines().count(), 2);
    assert!(
        text.starts_with(r#"{"id":"1","name":"Anna","city":"Berlin","note":"plain"}"#),
        "{text}"
    );
}

#[test]
fn count_prints_the_total_last_and_reads_several_files() {
    let text = stdout(&iterable(&["count", &testdata("people.csv.xz")]));
    assert_eq!(text.trim(), "5");
    let text = stdout(&iterable(&[
        "count",
        &testdata("people.csv.gz"),
        &testdata("people.jsonl.gz"),
    ]));
    assert_eq!(text.lines().last(), Some("8"));
    assert!(text.lines().next().unwrap().starts_with("5\t"), "{text}");
}

#[test]
fn convert_detects_both_sides_from_the_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("people.jsonl.gz");
    let out = out.to_str().unwrap();
    stdout(&iterable(&["convert", &testdata("people.csv.zst"), out]));
    let text = stdout(&iterable(&["cat", out]));
    assert_eq!(text.lines().count(), 5);
    assert!(text.contains(r#""note":"crlf\r\ninside""#), "{text}");
}

#[test]
fn errors_name_the_location_and_position_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"a\":1}\nnot json\n").unwrap();
    let out = iterable(&["count", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl: line 2, record 2, byte 8"), "{err}");

    // `cat` writes the rows before the bad one, then reports it.
    let out = iterable(&["cat", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\"a\":1}\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.jsonl: line 2"));

    let out = iterable(&["count", "--skip-errors", bad.to_str().unwrap()]);
    assert_eq!(stdout(&out).trim(), "1");
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped 1 bad record"));

    let out = iterable(&["cat", "missing.csv"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.csv: not found"));
}

#[test]
fn stdin_is_read_with_the_format_sniffed() {
    let out = cat_stdin(&std::fs::read(testdata("people.csv.gz")).unwrap());
    assert_eq!(stdout(&out).lines().count(), 5);
}

#[test]
fn convert_to_parquet_and_back_keeps_inferred_types() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("people.parquet");
    let parquet = parquet.to_str().unwrap();
    stdout(&iterable(&[
        "convert",
        "--infer-types",
        &testdata("people.csv.gz"),
        parquet,
        "--compression",
        "zstd",
        "--row-group-size",
        "2",
    ]));
    let text = stdout(&iterable(&["cat", parquet]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[0],
        r#"{"id":1,"name":"Anna","city":"Berlin","note":"plain"}"#
    );
    assert_eq!(lines[4], r#"{"id":5,"name":"Eve","city":null,"note":null}"#);
    let text = stdout(&iterable(&[
        "cat",
        "--row-groups",
        "2",
        "--columns",
        "name,id",
        parquet,
    ]));
    assert_eq!(text, "{\"name\":\"Eve\",\"id\":5}\n");
}

#[test]
fn schema_prints_columns_and_types_of_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let arrow = dir.path().join("people.arrow");
    let arrow = arrow.to_str().unwrap();
    stdout(&iterable(&[
        "convert",
        &testdata("people.jsonl.zst"),
        arrow,
    ]));
    let expected = "id: Int64\nname: Utf8\ntags: List(Utf8)\naddress: Struct(\"city\": Utf8, \"zip\": Utf8)\nscore: Float64\nactive: Boolean\n";
    assert_eq!(stdout(&iterable(&["schema", arrow])), expected);
    assert_eq!(
        stdout(&iterable(&["schema", &testdata("people.jsonl.zst")])),
        expected
    );
    assert_eq!(
        stdout(&iterable(&["schema", &testdata("people.csv")])),
        "id: Utf8\nname: Utf8\ncity: Utf8\nnote: Utf8\n"
    );
    assert_eq!(
        stdout(&iterable(&[
            "schema",
            "--infer-types",
            &testdata("people.csv")
        ])),
        "id: Int64\nname: Utf8\ncity: Utf8\nnote: Utf8\n"
    );
}

#[test]
fn schema_with_infer_types_prints_what_convert_writes() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("events.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\": 1, \"at\": \"2024-05-01T10:00:00Z\", \"day\": \"2024-05-01\", \"code\": \"007\"}\n\
         {\"id\": 2, \"at\": \"2024-05-01T10:00:01+02:00\", \"day\": null, \"code\": \"42\"}\n",
    )
    .unwrap();
    let jsonl = jsonl.to_str().unwrap();
    assert_eq!(
        stdout(&iterable(&["schema", jsonl])),
        "id: Int64\nat: Utf8\nday: Utf8\ncode: Utf8\n",
        "without the flag, strings stay strings"
    );
    let inferred = stdout(&iterable(&["schema", "--infer-types", jsonl]));
    assert_eq!(
        inferred,
        "id: Int64\nat: Timestamp(µs, \"UTC\")\nday: Date32\ncode: Utf8\n"
    );
    for input in [jsonl.to_owned(), testdata("people.csv")] {
        let out = dir.path().join("out.parquet");
        let out = out.to_str().unwrap();
        stdout(&iterable(&["convert", &input, out]));
        assert_eq!(
            stdout(&iterable(&["schema", out])),
            stdout(&iterable(&["schema", "--infer-types", &input])),
            "{input}"
        );
    }
}

#[test]
fn columnar_to_columnar_keeps_the_source_types() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a.parquet");
    let first = first.to_str().unwrap();
    let second = dir.path().join("b.arrows");
    let second = second.to_str().unwrap();
    stdout(&iterable(&["convert", &testdata("people.jsonl"), first]));
    stdout(&iterable(&[
        "convert",
        first,
        second,
        "--columns",
        "score,id",
        "--compression",
        "lz4",
    ]));
    assert_eq!(
        stdout(&iterable(&["schema", second])),
        "score: Float64\nid: Int64\n"
    );
    let out = iterable(&["convert", first, second, "--compression", "snappy"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Arrow IPC compresses with lz4 or zstd"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn schema_lists_the_sheets_of_a_workbook_and_reads_any_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.csv");
    std::fs::write(&first, "id,name\n1,Anna\n2,Ben\n").unwrap();
    let book = dir.path().join("book.xlsx");
    let book = book.to_str().unwrap();
    stdout(&iterable(&["convert", first.to_str().unwrap(), book]));
    assert_eq!(stdout(&iterable(&["schema", book, "--sheets"])), "Sheet1\n");
    assert_eq!(
        stdout(&iterable(&["cat", book, "--sheet", "Sheet1"])),
        "{\"id\":1,\"name\":\"Anna\"}\n{\"id\":2,\"name\":\"Ben\"}\n"
    );
    // Asked to, the CSV's text stays text in the workbook.
    let text_book = dir.path().join("text.xlsx");
    let text_book = text_book.to_str().unwrap();
    stdout(&iterable(&[
        "convert",
        first.to_str().unwrap(),
        text_book,
        "--keep-text",
    ]));
    assert_eq!(
        stdout(&iterable(&["head", text_book, "-n", "1"])),
        "{\"id\":\"1\",\"name\":\"Anna\"}\n"
    );
    // `--no-infer` says the same.
    let parquet = dir.path().join("text.parquet");
    let parquet = parquet.to_str().unwrap();
    stdout(&iterable(&[
        "convert",
        first.to_str().unwrap(),
        parquet,
        "--no-infer",
    ]));
    assert_eq!(
        stdout(&iterable(&["schema", parquet])),
        "id: Utf8\nname: Utf8\n"
    );
    let missing = iterable(&["cat", book, "--sheet-index", "3"]);
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("the workbook has no sheet at index 3; its sheets: [\"Sheet1\"]"),
        "{err}"
    );
    let not_a_book = iterable(&["schema", first.to_str().unwrap(), "--sheets"]);
    assert!(!not_a_book.status.success());
}

#[test]
fn decimals_are_exact_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("money.csv");
    std::fs::write(&csv, "item,price\npen,0.10\nbook,12.5\n").unwrap();
    let csv = csv.to_str().unwrap();
    let exact = dir.path().join("exact.parquet");
    let exact = exact.to_str().unwrap();
    stdout(&iterable(&["convert", csv, exact, "--decimals"]));
    assert_eq!(
        stdout(&iterable(&["schema", exact])),
        "item: Utf8\nprice: Decimal128(38, 2)\n"
    );
    assert_eq!(
        stdout(&iterable(&["cat", exact])),
        // JSON Lines writes a decimal as its exact text.
        "{\"item\":\"pen\",\"price\":\"0.10\"}\n{\"item\":\"book\",\"price\":\"12.50\"}\n"
    );
    let floats = dir.path().join("floats.parquet");
    let floats = floats.to_str().unwrap();
    stdout(&iterable(&["convert", csv, floats]));
    assert_eq!(
        stdout(&iterable(&["schema", floats])),
        "item: Utf8\nprice: Float64\n"
    );
    let both = iterable(&["convert", csv, floats, "--decimals", "--keep-text"]);
    assert!(!both.status.success());
}

#[test]
fn parquet_on_stdin_is_sniffed_and_spooled() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("people.parquet");
    let parquet = parquet.to_str().unwrap();
    stdout(&iterable(&["convert", &testdata("people.jsonl"), parquet]));
    let out = Command::new(env!("CARGO_BIN_EXE_iterable"))
        .args(["cat", "-"])
        .stdin(std::fs::File::open(parquet).unwrap())
        .output()
        .unwrap();
    let text = stdout(&out);
    let direct = stdout(&iterable(&["cat", &testdata("people.jsonl")]));
    assert_eq!(text.lines().count(), 3, "{text}");
    assert_eq!(text, direct);
}

#[test]
fn count_and_cat_take_globs() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("people.csv.gz", "2024-01.csv.gz"),
        ("people.csv.gz", "2024-02.csv.gz"),
        ("people.jsonl.gz", "2023-12.csv.gz"),
    ] {
        std::fs::copy(testdata(from), dir.path().join(to)).unwrap();
    }
    let d = dir.path().to_str().unwrap();
    let text = stdout(&iterable(&[
        "count",
        "--file-concurrency",
        "1",
        &format!("{d}/2024-*.csv.gz"),
    ]));
    assert_eq!(
        text,
        format!("5\t{d}/2024-01.csv.gz\n5\t{d}/2024-02.csv.gz\n10\n")
    );

    let text = stdout(&iterable(&[
        "cat",
        "--location-column",
        "file",
        &format!("{d}/2024-*.csv.gz"),
    ]));
    let files: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["file"].to_string())
        .collect();
    assert_eq!(files.len(), 10);
    assert!(files[..5].iter().all(|f| f.contains("2024-01")), "{text}");
    assert!(files[5..].iter().all(|f| f.contains("2024-02")), "{text}");

    let out = iterable(&["count", &format!("{d}/1999-*.csv")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1999-*.csv (no file matches): not found"),
        "{err}"
    );
}

/// The replayed corpus (testdata/hostile/): inputs that once made a decoder panic or
/// abort. Each one is an ordinary failure (exit 1) with one line naming the file, no
/// crash report, and a convert of it publishes nothing. Most are now refused by a check
/// before decoding; some still panic inside a decoder, caught as an error.
#[test]
fn inputs_that_made_a_decoder_panic_fail_cleanly_and_publish_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = PathBuf::from(testdata("hostile"));
    let mut inputs: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 7, "{inputs:?}");
    let mut caught_panics = 0;
    for input in inputs {
        let path = input.to_str().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_iterable"))
            .args(["count", path])
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{path}: {err}");
        assert_eq!(err.lines().count(), 1, "{path}: {err}");
        assert!(
            err.starts_with(&format!("iterable: {path}: ")),
            "{path}: {err}"
        );
        assert!(!err.contains("stack backtrace"), "{err}");
        caught_panics += usize::from(err.contains("panicked"));

        let target = dir.path().join("out.jsonl");
        let out = iterable(&["convert", path, target.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{path}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{path}: convert left {left:?}");
    }
    // The path from a caught panic to one line stays exercised (the Parquet inputs that
    // still panic do so on an overflow check of parquet's decoder, on in test builds).
    assert!(
        caught_panics > 0,
        "no corpus input panics inside a decoder any more"
    );
}

/// Our errors quote their source: the printed message says each thing once.
#[test]
fn error_messages_do_not_repeat_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.csv.gz");
    let full = {
        let src = dir.path().join("full.csv.gz");
        let out = iterable(&["convert", &testdata("people.csv"), src.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(&src).unwrap()
    };
    std::fs::write(&cut, &full[..full.len() - 4]).unwrap();
    let out = iterable(&["count", cut.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert!(!out.status.success());
    let body = err.trim_start_matches("iterable: ");
    let (_, message) = body.split_once(": ").unwrap();
    assert_eq!(body.matches(message).count(), 1, "{err}");
}

/// `SIGINT` or `SIGTERM` during a convert removes the output's temporary file (and
/// publishes nothing), and the exit code is the shell's 128 + the signal's number.
#[cfg(unix)]
#[test]
fn a_stop_signal_mid_convert_leaves_no_temporary_file() {
    use std::io::Write;
    use std::os::unix::process::ExitStatusExt;
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let dir = tempfile::tempdir().unwrap();
        let out_path = dir.path().join("out.jsonl");
        let mut child = Command::new(env!("CARGO_BIN_EXE_iterable"))
            .args([
                "convert",
                "--format",
                "csv",
                "-",
                out_path.to_str().unwrap(),
            ])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The input stays open: the convert is under way until the signal.
        let mut stdin = child.stdin.take().unwrap();
        // Enough for the codec and format sniffing to have decided.
        let mut rows = String::from("a,b\n");
        for i in 0..20_000 {
            rows.push_str(&format!("{i},x\n"));
        }
        stdin.write_all(rows.as_bytes()).unwrap();
        stdin.flush().unwrap();
        let listing = || -> Vec<String> {
            std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        };
        let started = std::time::Instant::now();
        while !listing().iter().any(|n| n.ends_with(".tmp")) {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "no temporary file appeared: {:?}",
                listing()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // The shell's own `kill` (a minimal system may have no kill program).
        let killed = Command::new("sh")
            .args(["-c", &format!("kill -{signal} {}", child.id())])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{signal}: {:?}",
            out.status.signal()
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("stopped by a signal; the unfinished output was removed"),
            "{stderr}"
        );
        assert_eq!(listing(), Vec::<String>::new(), "{signal}");
    }
}

/// Text on stdin that starts like a magic number is read as the text it is, and YAML
/// without `---` is YAML.
#[test]
fn stdin_text_that_starts_like_a_magic_number_is_text() {
    let cases: [(&str, &str); 4] = [
        (
            "x^2,y\n1,2\n3,4\n5,6\n7,8\n9,10\n11,12\n",
            "{\"x^2\":\"1\",\"y\":\"2\"}",
        ),
        (
            "ORCID,name\n0000-0002-1825-0097,Ana\n",
            "{\"ORCID\":\"0000-0002-1825-0097\",\"name\":\"Ana\"}",
        ),
        ("BZh9,name\n1,Ana\n", "{\"BZh9\":\"1\",\"name\":\"Ana\"}"),
        ("a: 1\nb: two\n", "{\"a\":1,\"b\":\"two\"}"),
    ];
    for (input, first) in cases {
        let text = stdout(&cat_stdin(input.as_bytes()));
        assert_eq!(text.lines().next(), Some(first), "{input:?}");
    }
}

#[test]
fn convert_with_a_pattern_converts_each_file_and_names_the_ones_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "id\n1\n2\n").unwrap();
    std::fs::write(dir.path().join("b.csv"), "id\n3\n").unwrap();
    std::fs::write(dir.path().join("c.jsonl"), "{\"id\":1}\n{oops\n").unwrap();
    let pattern = dir.path().join("out/{stem}.parquet");
    let glob = dir.path().join("*.csv");
    stdout(&iterable(&[
        "convert",
        glob.to_str().unwrap(),
        pattern.to_str().unwrap(),
    ]));
    let a = dir.path().join("out/a.parquet");
    assert_eq!(
        stdout(&iterable(&["cat", a.to_str().unwrap()])),
        "{\"id\":1}\n{\"id\":2}\n"
    );
    assert!(dir.path().join("out/b.parquet").exists());

    let all = dir.path().join("*");
    let out = iterable(&[
        "convert",
        all.to_str().unwrap(),
        dir.path().join("again/{name}.jsonl").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("c.jsonl") && err.contains("line 2"), "{err}");
    assert!(
        err.contains("1 of 3 files failed; the others were converted"),
        "{err}"
    );
    let mut made: Vec<String> = std::fs::read_dir(dir.path().join("again"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    made.sort();
    assert_eq!(made, ["a.csv.jsonl", "b.csv.jsonl"]);
}

#[test]
fn flatten_on_writing_and_unflatten_on_reading() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":1,\"user\":{\"name\":\"Ana\",\"tags\":[\"a\",\"b\"]}}\n",
    )
    .unwrap();
    let csv = dir.path().join("out.csv");
    stdout(&iterable(&[
        "convert",
        input.to_str().unwrap(),
        csv.to_str().unwrap(),
        "--flatten",
    ]));
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        "id,user.name,user.tags.0,user.tags.1\n1,Ana,a,b\n"
    );
    assert_eq!(
        stdout(&iterable(&["cat", csv.to_str().unwrap(), "--unflatten"])),
        "{\"id\":\"1\",\"user\":{\"name\":\"Ana\",\"tags\":[\"a\",\"b\"]}}\n"
    );
    let strict = iterable(&[
        "convert",
        input.to_str().unwrap(),
        dir.path().join("strict.csv").to_str().unwrap(),
        "--nested-error",
    ]);
    assert!(!strict.status.success());
    let err = String::from_utf8_lossy(&strict.stderr);
    assert!(err.contains("row 1: column \"user\" holds a map"), "{err}");
    assert!(!dir.path().join("strict.csv").exists());
}

#[test]
fn sqlite_tables_are_locations_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "id,city\n1,Oslo\n2,Rome\n3,Oslo\n").unwrap();
    let url = format!(
        "sqlite://{}?table=cities",
        dir.path().join("c.db").display()
    );
    stdout(&iterable(&["convert", csv.to_str().unwrap(), &url]));
    assert_eq!(
        stdout(&iterable(&["cat", &url])),
        "{\"id\":1,\"city\":\"Oslo\"}\n{\"id\":2,\"city\":\"Rome\"}\n{\"id\":3,\"city\":\"Oslo\"}\n"
    );
    let query = format!(
        "sqlite://{}?query=SELECT%20city,%20count(*)%20AS%20n%20FROM%20cities%20GROUP%20BY%20city",
        dir.path().join("c.db").display()
    );
    assert_eq!(
        stdout(&iterable(&["cat", &query])),
        "{\"city\":\"Oslo\",\"n\":2}\n{\"city\":\"Rome\",\"n\":1}\n"
    );
    assert_eq!(stdout(&iterable(&["count", &url])).trim_end(), "3");
    assert_eq!(
        stdout(&iterable(&["schema", &url])),
        "id: Int64\ncity: Utf8\n"
    );
    let again = iterable(&[
        "convert",
        csv.to_str().unwrap(),
        &format!("{url}&mode=create"),
    ]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("exists already (mode create)"), "{err}");
}

/// A CSV that is not UTF-8 is read in the encoding detected, with a note on stderr
/// that names it; `--encoding` chooses, and silences the note.
#[test]
fn a_legacy_encoding_is_detected_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("firms.csv");
    // "id,name\n1,Общество «Вектор»\n2,Москва\n" in windows-1251.
    let mut bytes = b"id,name\n1,".to_vec();
    bytes.extend_from_slice(&[
        0xCE, 0xE1, 0xF9, 0xE5, 0xF1, 0xF2, 0xE2, 0xEE, 0x20, 0xAB, 0xC2, 0xE5, 0xEA, 0xF2, 0xEE,
        0xF0, 0xBB,
    ]);
    bytes.extend_from_slice(b"\n2,");
    bytes.extend_from_slice(&[0xCC, 0xEE, 0xF1, 0xEA, 0xE2, 0xE0]);
    bytes.push(b'\n');
    std::fs::write(&path, &bytes).unwrap();
    let path = path.to_str().unwrap();
    let out = iterable(&["cat", path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout(&out),
        "{\"id\":\"1\",\"name\":\"Общество «Вектор»\"}\n{\"id\":\"2\",\"name\":\"Москва\"}\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("firms.csv: not UTF-8; read as windows-1251 (detected"),
        "{err}"
    );
    let out = iterable(&["cat", "--encoding", "windows-1251", path]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A reader that closes our stdout early (`iterable count big.csv | true`) ends every
/// command quietly with exit 0: no panic, nothing on stderr.
#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.csv");
    let mut text = String::from("id,name\n");
    for i in 0..200_000 {
        text.push_str(&format!("{i},name {i}\n"));
    }
    std::fs::write(&big, text).unwrap();
    let big = big.to_str().unwrap();
    for args in [
        vec!["count", big, big],
        vec!["cat", big],
        vec!["schema", big],
        vec!["head", big, "-n", "100000"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_iterable"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reading end closes before anything is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {:?}", out.status);
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

/// A float far from one is written with an exponent, not as hundreds of digits.
#[test]
fn big_and_small_floats_are_written_with_an_exponent() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("floats.jsonl");
    std::fs::write(
        &jsonl,
        "{\"big\": 1e300, \"small\": 2.5e-7, \"plain\": 1234.5}\n",
    )
    .unwrap();
    let csv = dir.path().join("floats.csv");
    stdout(&iterable(&[
        "convert",
        jsonl.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]));
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        "big,small,plain\n1e300,2.5e-7,1234.5\n"
    );
}

/// `--columns` picks and orders columns in every format, not only the columnar ones,
/// and a column the input lacks is an error naming it.
#[test]
fn columns_pick_and_order_columns_in_every_format() {
    for name in ["people.csv", "people.jsonl", "people.csv.gz"] {
        let out = stdout(&iterable(&[
            "head",
            &testdata(name),
            "-n",
            "2",
            "--columns",
            "name,id",
        ]));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{name}: {out}");
        assert!(
            lines[0].starts_with("{\"name\":\"Anna\",\"id\":"),
            "{name}: {out}"
        );
        assert!(!lines[0].contains("city"), "{name}: {out}");
    }
    let missing = iterable(&["cat", &testdata("people.csv"), "--columns", "name,age"]);
    assert_eq!(missing.status.code(), Some(1));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("column \"age\" (asked for by `columns`) is not in the input; its columns: id, name, city, note"),
        "{err}"
    );
}

/// `cat` and `head` take several inputs, each in its own format, one after the other.
#[test]
fn cat_and_head_take_several_inputs_in_their_own_formats() {
    let (csv, jsonl) = (testdata("people.csv"), testdata("people.jsonl"));
    let one = |name: &str| stdout(&iterable(&["cat", name]));
    let both = stdout(&iterable(&["cat", &csv, &jsonl]));
    assert_eq!(both, format!("{}{}", one(&csv), one(&jsonl)));
    let csv_rows = one(&csv).lines().count();
    let head = stdout(&iterable(&[
        "head",
        "-n",
        &(csv_rows + 1).to_string(),
        &csv,
        &jsonl,
    ]));
    let lines: Vec<&str> = head.lines().collect();
    assert_eq!(lines.len(), csv_rows + 1);
    assert_eq!(lines[csv_rows], one(&jsonl).lines().next().unwrap());
}

/// `convert` says nothing on a stderr that is not a terminal unless `--progress` asks:
/// then a one-line summary with rows, time, rate and bytes. `--quiet` says nothing.
#[test]
fn convert_prints_a_summary_when_asked_and_nothing_in_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let input = testdata("people.csv");
    let rows = stdout(&iterable(&["count", &input])).trim().to_owned();
    let out = dir.path().join("out.jsonl");
    let out = out.to_str().unwrap();
    let quiet_by_default = iterable(&["convert", &input, out]);
    assert!(quiet_by_default.status.success());
    assert_eq!(String::from_utf8_lossy(&quiet_by_default.stderr), "");
    let asked = iterable(&["convert", &input, out, "--progress"]);
    assert!(asked.status.success());
    let err = String::from_utf8_lossy(&asked.stderr);
    let expected = format!("iterable: {rows} rows from {input} to {out} in ");
    assert!(err.starts_with(&expected), "{err}");
    assert!(
        err.contains(" rows/s; ") && err.contains(" read, ") && err.ends_with(" written)\n"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let quiet = iterable(&["convert", &input, out, "--quiet"]);
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
    let both = iterable(&["convert", &input, out, "--quiet", "--progress"]);
    assert!(!both.status.success());
}

/// On a terminal (a pseudo-terminal made by `script`, from util-linux), `convert` draws
/// its status line (cleared at the end) and prints the summary without being asked.
#[test]
fn on_a_terminal_convert_shows_progress_and_a_summary() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: no `script` (util-linux) to make a pseudo-terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.parquet");
    let command = format!(
        "{} convert {} {}",
        env!("CARGO_BIN_EXE_iterable"),
        testdata("people.csv"),
        out.display()
    );
    let run = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let screen = String::from_utf8_lossy(&run.stdout);
    assert!(screen.contains("\r\x1b[2K"), "{screen:?}");
    assert!(screen.contains("iterable: 5 rows from "), "{screen:?}");
    assert!(out.exists());
}

/// A binary format is not written to a terminal (in a pseudo-terminal made by
/// `script`), but it is to a pipe.
#[test]
fn a_binary_format_is_refused_on_a_terminal_and_written_to_a_pipe() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: no `script` (util-linux) to make a pseudo-terminal");
        return;
    }
    let command = format!(
        "{} cat {} --to parquet",
        env!("CARGO_BIN_EXE_iterable"),
        testdata("people.csv")
    );
    let run = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .unwrap();
    assert!(!run.status.success(), "{run:?}");
    let screen = String::from_utf8_lossy(&run.stdout);
    assert!(
        screen.contains("parquet is binary: it is not written to a terminal; redirect the output (> out.parquet)"),
        "{screen:?}"
    );
    assert!(!screen.contains("PAR1"), "{screen:?}");
    let piped = iterable(&["cat", &testdata("people.csv"), "--to", "parquet"]);
    assert!(piped.status.success());
    assert!(piped.stdout.starts_with(b"PAR1"));
}

/// `convert --schema FILE` takes the columns and types `iterable schema` prints: text
/// is typed by it; a bad line is an error naming the file and the line; the hint of a
/// typing error names the flags.
#[test]
fn convert_takes_a_schema_file_as_schema_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(
        &csv,
        "id,zip,when\n1,12345,2021-03-04T05:06:07Z\n2,99999,\n",
    )
    .unwrap();
    let csv = csv.to_str().unwrap();
    let schema = dir.path().join("schema.txt");
    std::fs::write(
        &schema,
        "# columns\nid: Utf8\nzip: Int64\nwhen: Timestamp(µs, \"UTC\")\n",
    )
    .unwrap();
    let out = dir.path().join("out.parquet");
    let out = out.to_str().unwrap();
    stdout(&iterable(&[
        "convert",
        csv,
        out,
        "--schema",
        schema.to_str().unwrap(),
    ]));
    assert_eq!(
        stdout(&iterable(&["schema", out])),
        "id: Utf8\nzip: Int64\nwhen: Timestamp(µs, \"UTC\")\n"
    );
    assert_eq!(
        stdout(&iterable(&["head", out, "-n", "1"])),
        "{\"id\":\"1\",\"zip\":12345,\"when\":\"2021-03-04T05:06:07Z\"}\n"
    );

    // A value the schema's type cannot hold says to change the schema.
    std::fs::write(csv, "id,zip,when\n1,01234,\n").unwrap();
    let zip = iterable(&["convert", csv, out, "--schema", schema.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&zip.stderr);
    assert!(
        err.contains(
            "row 1: column \"zip\": \"01234\" is not an integer as the schema typed it; change the schema"
        ),
        "{err}"
    );
    std::fs::write(&schema, "id Utf8\n").unwrap();
    let bad = iterable(&["convert", csv, out, "--schema", schema.to_str().unwrap()]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("line 1: \"id Utf8\" is not `name: type`"),
        "{err}"
    );

    let mut text = String::from("n\n");
    for i in 0..10_000 {
        text.push_str(&format!("{i}\n"));
    }
    text.push_str("n/a\n");
    std::fs::write(dir.path().join("late.csv"), text).unwrap();
    let late = iterable(&[
        "convert",
        dir.path().join("late.csv").to_str().unwrap(),
        out,
    ]);
    let err = String::from_utf8_lossy(&late.stderr);
    assert!(
        err.contains(
            "raise schema_scan_rows (CLI: --schema-rows N) or give a schema (CLI: --schema FILE)"
        ),
        "{err}"
    );
}

/// Each command's help groups its options under headings and ends with examples.
#[test]
fn help_groups_options_under_headings_with_examples() {
    let help = stdout(&iterable(&["convert", "--help"]));
    let headings: Vec<&str> = help
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .collect();
    assert_eq!(
        headings,
        [
            "Arguments:",
            "Options:",
            "Input:",
            "Bad records:",
            "Many files:",
            "Nested values:",
            "Object stores:",
            "Format options (reading):",
            "Format options (writing):",
            "Examples:"
        ]
    );
    for command in ["cat", "count"] {
        let help = stdout(&iterable(&[command, "--help"]));
        assert!(
            help.contains(&format!("Examples:\n  iterable {command} ")),
            "{help}"
        );
    }
}

#[test]
fn documents_are_read_by_the_command_line_pdf_included() {
    let pdf = testdata("documents/report.pdf");
    let text = stdout(&iterable(&["cat", "--columns", "page,text", &pdf]));
    assert_eq!(
        text,
        "{\"page\":1,\"text\":\"Q3 sales\\n\\nSales rose 12% in Lyon.\"}\n\
         {\"page\":3,\"text\":\"Costs fell in Paris.\"}\n"
    );
    let text = stdout(&iterable(&["count", &testdata("documents/mailbox.mbox")]));
    assert_eq!(text, "3\n");
    let text = stdout(&iterable(&[
        "cat",
        "--columns",
        "title",
        &testdata("documents/report.docx"),
    ]));
    assert_eq!(text, "{\"title\":\"Quarterly report\"}\n");
}

#[test]
fn tail_writes_the_last_rows_in_the_asked_format() {
    let text = stdout(&iterable(&[
        "tail",
        "-n",
        "2",
        "--to",
        "csv",
        &testdata("people.csv"),
    ]));
    assert_eq!(
        text,
        "id,name,city,note\n4,Dmitri,Москва,\"crlf\r\ninside\"\n5,Eve,,\n"
    );
    // Several inputs are one stream: the last row of the two files is the second's.
    let both = stdout(&iterable(&[
        "tail",
        "-n",
        "1",
        &testdata("people.csv"),
        &testdata("people.jsonl"),
    ]));
    assert!(both.starts_with("{\"id\":9007199254740993,"), "{both}");
}

#[test]
fn sample_draws_the_asked_number_of_rows_again_with_a_seed() {
    let args = |seed: &str| {
        stdout(&iterable(&[
            "sample",
            "-n",
            "3",
            "--seed",
            seed,
            &testdata("people.csv"),
        ]))
    };
    let first = args("42");
    assert_eq!(first.lines().count(), 3);
    assert_eq!(first, args("42"), "a seed draws the same rows");
    let ids: Vec<u32> = first
        .lines()
        .map(|l| l.split('"').nth(3).unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "input order: {ids:?}");
    // More rows asked than there are: all of them.
    let all = stdout(&iterable(&["sample", "-n", "50", &testdata("people.csv")]));
    assert_eq!(all.lines().count(), 5);
}

#[test]
fn select_picks_orders_and_renames_columns() {
    let text = stdout(&iterable(&[
        "select",
        "name:who,id",
        "--to",
        "csv",
        &testdata("people.csv"),
    ]));
    assert_eq!(
        text.lines().take(3).collect::<Vec<_>>(),
        ["who,id", "Anna,1", "\"Smith, Ben\",2"]
    );
    let out = iterable(&["select", "id,nope", &testdata("people.csv")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("has no column \"nope\" (it has: id, name, city, note)"),
        "{err}"
    );
}

#[test]
fn frequency_counts_each_value_of_the_picked_columns() {
    let text = stdout(&iterable(&[
        "frequency",
        "--columns",
        "city",
        "--to",
        "csv",
        &testdata("people.csv"),
    ]));
    assert_eq!(
        text,
        "column,value,count,percent\ncity,,1,20\ncity,Berlin,1,20\ncity,Paris,1,20\ncity,Zürich,1,20\ncity,Москва,1,20\n"
    );
    let top = stdout(&iterable(&[
        "frequency",
        "-l",
        "1",
        "--columns",
        "name",
        &testdata("people.csv"),
    ]));
    assert_eq!(top.lines().count(), 1);
}

#[test]
fn table_aligns_columns_and_cuts_long_values() {
    let text = stdout(&iterable(&[
        "table",
        "--width",
        "6",
        "-n",
        "3",
        &testdata("people.csv"),
    ]));
    assert_eq!(
        text,
        "id  name    city    note\n--  ------  ------  ------\n1   Anna    Berlin  plain\n2   Smith…  Paris   has \"…\n3   Chloé   Zürich  two l…\n"
    );
}

#[test]
fn filter_keeps_the_rows_that_pass_with_text_read_as_numbers() {
    let text = stdout(&iterable(&[
        "filter",
        "id >= 2 and (city ~ '^[PZ]' or city is null or city = '')",
        "--to",
        "csv",
        "--columns",
        "id,city",
        &testdata("people.csv"),
    ]));
    assert_eq!(text, "id,city\n2,Paris\n3,Zürich\n5,\n");
    // JSON values keep their types: a nested path and a boolean.
    let json = stdout(&iterable(&[
        "filter",
        "address.city = 'Berlin' and active = true",
        &testdata("people.jsonl"),
    ]));
    assert_eq!(json.lines().count(), 1);
    assert!(json.starts_with("{\"id\":1,"), "{json}");

    let out = iterable(&["filter", "id > ", &testdata("people.csv")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "iterable: filter: at character 6: expected a column or a value, found the end\n"
    );
}

#[test]
fn stats_summarize_each_column_typed_as_convert_types_text() {
    let text = stdout(&iterable(&[
        "stats",
        "--to",
        "csv",
        "--columns",
        "id,city",
        &testdata("people.csv"),
    ]));
    assert_eq!(
        text,
        "column,type,count,nulls,distinct,distinct_estimated,min,max,mean,stddev,p25,median,p75,top\n\
         id,integer,5,0,5,false,1,5,3,1.5811388300841898,2,3,4,\"1 (1), 2 (1), 3 (1)\"\n\
         city,text,4,1,4,false,Berlin,Москва,,,,,,\"Berlin (1), Paris (1), Zürich (1)\"\n"
    );
}

#[test]
fn validate_writes_each_failure_and_exits_3_when_rows_do_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("person.schema.json");
    std::fs::write(
        &schema,
        r#"{"type": "object", "required": ["id", "name"],
            "properties": {"id": {"type": "integer", "minimum": 2}, "name": {"type": "string", "maxLength": 8}}}"#,
    )
    .unwrap();
    let schema = schema.to_str().unwrap();
    let out = iterable(&[
        "validate",
        schema,
        "--infer-types",
        "--to",
        "csv",
        &testdata("people.csv"),
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "row,path,keyword,message\n1,/id,minimum,1 is less than the minimum of 2\n2,/name,maxLength,\"\"\"Smith, Ben\"\" is longer than 8 characters\"\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.ends_with(&format!(
            "people.csv: 2 of 5 row(s) do not fit {schema} (2 error(s))\n"
        )),
        "{err}"
    );

    // Every row fits: no output, exit 0.
    let loose = dir.path().join("loose.json");
    std::fs::write(&loose, r#"{"type": "object", "required": ["id"]}"#).unwrap();
    let fits = iterable(&["validate", loose.to_str().unwrap(), &testdata("people.csv")]);
    assert_eq!(fits.status.code(), Some(0));
    assert!(fits.stdout.is_empty());

    // A schema that is not one.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"type": "nonsense"}"#).unwrap();
    let out = iterable(&["validate", bad.to_str().unwrap(), &testdata("people.csv")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json: not a JSON Schema this validator takes"),
        "{err}"
    );
}

#[test]
fn completions_and_the_manual_page_cover_every_command_and_registry_flag() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&iterable(&["completions", shell]));
        for word in [
            "convert",
            "validate",
            "frequency",
            "to-delimiter",
            "schema-rows",
        ] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
    }
    // The bash script parses.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iterable.bash");
    std::fs::write(&path, stdout(&iterable(&["completions", "bash"]))).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let page = stdout(&iterable(&["man"]));
    assert!(page.contains(".TH iterable 1"), "{page}");
    for command in [
        "cat", "tail", "sample", "select", "filter", "stats", "validate", "table",
    ] {
        assert!(
            page.contains(&format!("iterable\\-{command}(1)")),
            "{command}"
        );
    }
    let out = iterable(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

/// `cat` and `count` tell their progress and a summary on stderr when it is a terminal
/// (a pseudo-terminal made by `script`) and stdout is not; nothing in a pipe unless
/// asked; nothing with rows going to the terminal itself.
#[test]
fn reading_commands_show_progress_and_a_summary_on_a_terminal_only() {
    let input = testdata("people.csv");
    let piped = iterable(&["cat", &input]);
    assert!(piped.status.success());
    assert_eq!(String::from_utf8_lossy(&piped.stderr), "");
    let asked = iterable(&["sample", "-n", "2", "--progress", &input]);
    let err = String::from_utf8_lossy(&asked.stderr);
    assert!(
        err.starts_with(&format!("iterable: 5 rows from {input} in ")) && err.ends_with(" read)\n"),
        "{err}"
    );
    let count = iterable(&["count", "--progress", &input, &input]);
    let err = String::from_utf8_lossy(&count.stderr);
    assert!(
        err.starts_with("iterable: 10 rows in 2 file(s) in "),
        "{err}"
    );
    assert_eq!(
        String::from_utf8_lossy(&count.stdout).lines().last(),
        Some("10")
    );

    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping the terminal half: no `script` (util-linux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.jsonl");
    let bin = env!("CARGO_BIN_EXE_iterable");
    let on_terminal = |command: String| {
        let run = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .output()
            .unwrap();
        assert!(run.status.success(), "{run:?}");
        String::from_utf8_lossy(&run.stdout).into_owned()
    };
    let screen = on_terminal(format!("{bin} cat {input} > {}", out.display()));
    assert!(screen.contains("iterable: 5 rows from "), "{screen:?}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 5);
    let screen = on_terminal(format!("{bin} cat {input}"));
    assert!(
        !screen.contains("rows from"),
        "rows on the terminal: no summary {screen:?}"
    );
    let screen = on_terminal(format!("{bin} count {input}"));
    assert!(
        screen.contains("iterable: 5 rows in 1 file(s)"),
        "{screen:?}"
    );
    let screen = on_terminal(format!("{bin} count -q {input}"));
    assert!(!screen.contains("iterable:"), "{screen:?}");
}

#[test]
fn a_key_outside_the_csv_header_names_the_flags_that_change_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("keys.jsonl");
    std::fs::write(&input, "{\"a\":1}\n{\"a\":2,\"b\":3}\n").unwrap();
    let input = input.to_str().unwrap();
    let out = dir.path().join("keys.csv");
    let out = out.to_str().unwrap();
    let failed = iterable(&["convert", input, out]);
    assert_eq!(failed.status.code(), Some(1));
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(
        err.ends_with(
            "row 2: key \"b\" is not in the CSV header (a); the header comes from the first 1 row(s): \
             set header_scan_rows (CLI: --header-scan-rows N) to see more rows first or extra_keys = Ignore \
             (CLI: --extra-keys ignore) to drop such values\n"
        ),
        "{err}"
    );
    assert!(
        stdout(&iterable(&[
            "convert",
            input,
            out,
            "--extra-keys",
            "ignore"
        ]))
        .is_empty()
    );
    assert_eq!(std::fs::read_to_string(out).unwrap(), "a\n1\n2\n");
    let wide = stdout(&iterable(&[
        "cat",
        input,
        "--to",
        "csv",
        "--header-scan-rows",
        "2",
    ]));
    assert_eq!(wide, "a,b\n1,\n2,3\n");
    let bad = iterable(&["convert", input, out, "--extra-keys", "widen"]);
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("extra_keys: \"widen\" is not one of error, ignore")
    );
}

#[test]
fn convert_takes_several_inputs_into_one_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.jsonl");
    let out = out.to_str().unwrap();
    let input = testdata("people.csv");
    let zipped = testdata("people.csv.gz");
    let done = iterable(&["convert", &input, &zipped, out, "--progress"]);
    assert!(done.status.success(), "{done:?}");
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(
        err.starts_with(&format!(
            "iterable: 10 rows from {input}, {zipped} to {out} in "
        )),
        "{err}"
    );
    let text = std::fs::read_to_string(out).unwrap();
    assert_eq!(text.lines().count(), 10);
    assert!(
        text.lines()
            .nth(5)
            .unwrap()
            .starts_with("{\"id\":\"1\",\"name\":\"Anna\"")
    );
    // With a pattern, each input to its own output.
    let pattern = dir.path().join("{name}.jsonl");
    let each = iterable(&["convert", &input, &zipped, pattern.to_str().unwrap()]);
    assert!(each.status.success(), "{each:?}");
    assert!(dir.path().join("people.csv.jsonl").exists());
    assert!(dir.path().join("people.csv.gz.jsonl").exists());
}

#[test]
fn head_and_tail_take_a_count_as_unix_writes_it() {
    let head = stdout(&iterable(&["head", "-2", &testdata("people.csv")]));
    assert_eq!(head.lines().count(), 2);
    let tail = stdout(&iterable(&[
        "tail",
        "-1",
        "--to",
        "csv",
        &testdata("people.csv"),
    ]));
    assert_eq!(tail, "id,name,city,note\n5,Eve,,\n");
}

#[test]
fn a_csv_of_a_header_and_no_rows_keeps_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("header.csv");
    std::fs::write(&input, "id,name\n").unwrap();
    let input = input.to_str().unwrap();
    let out = dir.path().join("copy.tsv");
    stdout(&iterable(&["convert", input, out.to_str().unwrap()]));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "id\tname\n");
    assert_eq!(
        stdout(&iterable(&["cat", input, "--to", "csv"])),
        "id,name\n"
    );
    let none = stdout(&iterable(&[
        "filter",
        "id = 'x'",
        "--to",
        "csv",
        &testdata("people.csv"),
    ]));
    assert_eq!(
        none, "id,name,city,note\n",
        "no row passes: the header stays"
    );
}

#[test]
fn a_flag_that_does_not_apply_to_the_format_is_an_error_and_one_that_does_works() {
    let csv = testdata("people.csv");
    let cases: [(&[&str], &str); 3] = [
        (
            &["cat", "--row-groups", "0"],
            "iterable: --row-groups does not apply to ",
        ),
        (
            &["count", "--sheet", "x"],
            "iterable: --sheet does not apply to ",
        ),
        (
            &["cat", "--to", "jsonl", "--to-delimiter", "tab"],
            "iterable: --to-delimiter does not apply to - (jsonl): it is for csv, tsv, psv, ssv",
        ),
    ];
    for (args, wanted) in cases {
        let mut all = args.to_vec();
        all.push(&csv);
        let out = iterable(&all);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with(wanted), "{args:?}: {err}");
    }
    // A location column on one file, as on many.
    let text = stdout(&iterable(&[
        "head",
        "-1",
        "--location-column",
        "file",
        &csv,
    ]));
    assert!(
        text.ends_with(&format!(
            ",\"file\":{}}}\n",
            serde_json::to_string(&csv).unwrap()
        )),
        "{text}"
    );
}

#[test]
fn sql_queries_quoted_locations_and_named_tables() {
    let dir = tempfile::tempdir().unwrap();
    let sales = dir.path().join("sales.csv");
    std::fs::write(
        &sales,
        "city,amount,day\nOslo,10,2024-01-02\nRome,5,2024-01-03\nOslo,2.5,\n",
    )
    .unwrap();
    let sales = sales.to_str().unwrap();
    let people = testdata("people.jsonl.zst");

    // Quoted locations, typed text, JSON Lines on stdout.
    let text = stdout(&iterable(&[
        "sql",
        &format!(
            "SELECT city, sum(amount) AS total, max(day) AS last FROM '{sales}' \
             GROUP BY city ORDER BY city"
        ),
    ]));
    assert_eq!(
        text,
        "{\"city\":\"Oslo\",\"total\":12.5,\"last\":\"2024-01-02\"}\n\
         {\"city\":\"Rome\",\"total\":5.0,\"last\":\"2024-01-03\"}\n"
    );

    // A named table, a join with another format, CSV on stdout.
    let text = stdout(&iterable(&[
        "sql",
        &format!("SELECT p.name, s.amount FROM s JOIN '{people}' p ON p.id = 1 ORDER BY s.amount"),
        "--table",
        &format!("s={sales}"),
        "--to",
        "csv",
    ]));
    assert_eq!(text, "name,amount\nAnna,2.5\nAnna,5\nAnna,10\n");

    // Text kept as text.
    let text = stdout(&iterable(&[
        "sql",
        &format!("SELECT amount FROM '{sales}' ORDER BY amount"),
        "--keep-text",
    ]));
    assert_eq!(
        text,
        "{\"amount\":\"10\"}\n{\"amount\":\"2.5\"}\n{\"amount\":\"5\"}\n"
    );

    // To an output location, its format from the name.
    let out = dir.path().join("totals.parquet");
    let out = out.to_str().unwrap();
    stdout(&iterable(&[
        "sql",
        &format!("SELECT city, count(*) AS n FROM '{sales}' GROUP BY city ORDER BY n DESC"),
        out,
    ]));
    let schema = stdout(&iterable(&["schema", out]));
    assert_eq!(schema, "city: Utf8\nn: non-null Int64\n");
    assert_eq!(
        stdout(&iterable(&["cat", out])),
        "{\"city\":\"Oslo\",\"n\":2}\n{\"city\":\"Rome\",\"n\":1}\n"
    );
}

#[test]
fn sql_errors_name_the_location_or_the_query() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.csv");
    let out = iterable(&["sql", &format!("SELECT * FROM '{}'", missing.display())]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing.csv: not found"), "{err}");

    let sales = dir.path().join("sales.csv");
    std::fs::write(&sales, "city,amount\nOslo,10\n").unwrap();
    let out = iterable(&["sql", &format!("SELECT price FROM '{}'", sales.display())]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("price") && err.contains("amount"), "{err}");

    let out = iterable(&["sql", "SELECT 1", "--table", "no-equals-sign"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("give NAME=LOCATION"), "{err}");
}
