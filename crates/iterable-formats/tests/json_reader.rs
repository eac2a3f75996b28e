//! JSON (streamed array) reader tests. Every case runs over the whole input at once, one
//! byte at a time with `Pending` between reads, and five bytes at a time: the results
//! must agree.

mod common;

mod json {
    use std::io::Cursor;
    use std::sync::Arc;

    use iterable_core::policy::ErrorHandler;
    use iterable_core::{
        AsyncIterable, BoxIterable, Error, Format, IterableInfo, Options, Progress, Row, Value, row,
    };

    use crate::common::{self, FEEDS, Feed, MemSink, Outcome, drain, reader_info};
    use iterable_formats::{ReadContext, json};

    fn info() -> IterableInfo {
        reader_info(Format::JSON)
    }

    fn tagged(tag: &str) -> Options {
        let mut options = Options::default();
        options.json.tagname = Some(tag.into());
        options
    }

    async fn open(data: &[u8], options: Options, errors: ErrorHandler, feed: Feed) -> BoxIterable {
        common::open(Format::JSON, data, options, errors, feed).await
    }

    /// Reads `data` with every feed; asserts they agree; returns the outcome.
    async fn read_with(
        data: &[u8],
        options: Options,
        errors: fn() -> ErrorHandler,
    ) -> (Outcome, Progress) {
        common::read_with(Format::JSON, data, options, errors).await
    }

    async fn read(data: &[u8]) -> Outcome {
        read_with(data, Options::default(), ErrorHandler::fail)
            .await
            .0
    }

    async fn read_tagged(data: &[u8], tag: &str) -> Outcome {
        read_with(data, tagged(tag), ErrorHandler::fail).await.0
    }

    fn ok(rows: Vec<Row>) -> Outcome {
        rows.into_iter().map(Ok).collect()
    }

    #[tokio::test]
    async fn json_top_level_array() {
        let data = b" \r\n[\n  {\"a\": 1, \"b\": [1, {\"x\": \"]\"}]},\n  {\"a\": 2, \"b\": {\"c\": null}}\t]\n\n";
        let (got, progress) = read_with(data, Options::default(), ErrorHandler::fail).await;
        assert_eq!(
            got,
            ok(vec![
                row! { "a" => 1, "b" => vec![Value::Int(1), Value::Map(row! { "x" => "]" })] },
                row! { "a" => 2, "b" => row! { "c" => Value::Null } },
            ])
        );
        assert_eq!(
            progress,
            Progress {
                rows: 2,
                bytes: data.len() as u64,
                bytes_total: None,
                skipped: 0
            }
        );
    }

    #[tokio::test]
    async fn json_empty_array_gives_no_rows() {
        assert_eq!(read(b"[]").await, vec![]);
        assert_eq!(read(b"\xEF\xBB\xBF [ \n ] \n").await, vec![]);
        assert_eq!(read_tagged(b"{\"rows\": []}", "rows").await, vec![]);
    }

    #[tokio::test]
    async fn json_bom_is_stripped() {
        assert_eq!(
            read(b"\xEF\xBB\xBF[{\"a\":1}]").await,
            ok(vec![row! { "a" => 1 }])
        );
    }

    #[tokio::test]
    async fn json_strings_with_brackets_and_escapes() {
        let data =
            br#"[{"s":"]}","t":"\\","u":"\"]}\\\"","v":"[{","w":"\u005d"},{"s":"{\"a\":[1,"}]"#;
        assert_eq!(
            read(data).await,
            ok(vec![
                row! { "s" => "]}", "t" => "\\", "u" => "\"]}\\\"", "v" => "[{", "w" => "]" },
                row! { "s" => "{\"a\":[1," },
            ])
        );
    }

    #[tokio::test]
    async fn json_tagname_streams_the_named_array() {
        let data = br#"{
  "meta": {"list": [1, 2, [3, "]"]], "s": "a\"]", "o": {"rows": [{"no": 1}]}},
  "note": "}]{[\"rows\"",
  "rows": [ {"a": 1}, {"a": 2, "n": [1, [2]]} ],
  "after": [{"z": "\"]}"}, [], {}],
  "rows2": [{"no": 2}],
  "n": 5
}"#;
        assert_eq!(
            read_tagged(data, "rows").await,
            ok(vec![
                row! { "a" => 1 },
                row! { "a" => 2, "n" => vec![Value::Int(1), Value::List(vec![Value::Int(2)])] }
            ])
        );
    }

    #[tokio::test]
    async fn json_tagname_first_key_wins_and_escaped_keys_match() {
        let data = br#"{"r\u006fws": [{"a": 1}], "rows": [{"a": 2}]}"#;
        assert_eq!(read_tagged(data, "rows").await, ok(vec![row! { "a" => 1 }]));
    }

    #[tokio::test]
    async fn json_tagname_missing_is_an_error() {
        let got = read_tagged(br#"{"data": [{"a": 1}], "x": "rows"}"#, "rows").await;
        assert_eq!(
            got,
            vec![Err("data.json: line 1, byte 32: key \"rows\" not found in the top-level object (near \"}\")"
                .into())]
        );
        let got = read_tagged(b"{}", "rows").await;
        assert!(
            got[0]
                .as_ref()
                .unwrap_err()
                .contains("key \"rows\" not found"),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn json_tagname_on_an_array_or_a_non_array_value_is_an_error() {
        let got = read_tagged(br#"[{"a": 1}]"#, "rows").await;
        assert_eq!(
            got,
            vec![Err("data.json: line 1, byte 0: expected a top-level object holding the key \"rows\", found an array (near \"[\")".into())]
        );
        let got = read_tagged(br#"{"rows": {"a": 1}}"#, "rows").await;
        assert!(
            got[0]
                .as_ref()
                .unwrap_err()
                .contains("the value of the key \"rows\" is not an array"),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn json_single_object_is_one_row() {
        let got = read(b"\n {\"a\": 1, \"b\": [\"]\"]} \n").await;
        assert_eq!(got, ok(vec![row! { "a" => 1, "b" => vec!["]"] }]));
    }

    #[tokio::test]
    async fn json_truncated_array_is_an_error() {
        let got = read(b"[{\"a\":1},\n{\"a\":2").await;
        assert_eq!(
            got,
            vec![
                Ok(row! { "a" => 1 }),
                Err("data.json: line 2, record 2, byte 16: unexpected end of input inside the array (truncated document?)"
                    .into()),
            ]
        );
        for data in [&b"[{\"a\":1},"[..], b"[{\"a\":1}", b"[", b"[{\"a\":\"x]"] {
            let got = read(data).await;
            let err = got.last().unwrap().as_ref().unwrap_err();
            assert!(
                err.contains("unexpected end of input inside the array"),
                "{data:?}: {err}"
            );
        }
        let got = read_tagged(b"{\"rows\": [{\"a\":1}], \"b\": [1,", "rows").await;
        assert_eq!(got[0], Ok(row! { "a" => 1 }));
        assert!(
            got[1]
                .as_ref()
                .unwrap_err()
                .contains("unexpected end of input inside the top-level object")
        );
        let got = read(b"{\"a\": 1").await;
        assert!(
            got[0]
                .as_ref()
                .unwrap_err()
                .contains("unexpected end of input inside the object"),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn json_malformed_documents_are_errors() {
        let cases: [(&[u8], &str); 6] = [
            (
                b"",
                "data.json: line 1, byte 0: empty document: expected a JSON array or object",
            ),
            (
                b" \n ",
                "data.json: line 2, byte 3: empty document: expected a JSON array or object",
            ),
            (
                b"5",
                "data.json: line 1, byte 0: expected a JSON array or object at the top level (near \"5\")",
            ),
            (
                b"[{\"a\":1},]",
                "data.json: line 1, record 1, byte 9: trailing comma in the array (near \"]\")",
            ),
            (
                b"[{\"a\":1} {\"a\":2}]",
                "data.json: line 1, record 1, byte 9: expected ',' or ']' after an array element (near \"{\")",
            ),
            (
                b"[{\"a\":1}]\n x",
                "data.json: line 2, record 1, byte 11: unexpected data after the end of the document (near \"x\")",
            ),
        ];
        for (data, want) in cases {
            let got = read(data).await;
            assert_eq!(got.last().unwrap().as_ref().unwrap_err(), want);
        }
        let got = read(b"[,]").await;
        assert!(
            got[0]
                .as_ref()
                .unwrap_err()
                .contains("expected a value, found ','"),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn json_non_object_element_is_an_error() {
        let data = b"[{\"a\":1}, 5, \"s\", [1], null, {\"a\":2}]";
        let got = read(data).await;
        assert_eq!(
            got,
            vec![
                Ok(row! { "a" => 1 }),
                Err("data.json: line 1, record 2, byte 10: array element is not a JSON object (near \"5\")".into()),
            ]
        );
        let (got, progress) = read_with(data, Options::default(), ErrorHandler::skip).await;
        assert_eq!(got, ok(vec![row! { "a" => 1 }, row! { "a" => 2 }]));
        assert_eq!((progress.rows, progress.skipped), (2, 4));
    }

    #[tokio::test]
    async fn json_invalid_element_positions_and_skip() {
        let data = b"[\n  {\"a\":1},\n  {\"b\":\n   },\n  {\"c\":3}\n]\n";
        let got = read(data).await;
        assert_eq!(
            got,
            vec![
                Ok(row! { "a" => 1 }),
                Err("data.json: line 3, record 2, byte 15: expected value at line 4 column 4 (near \"{\\\"b\\\":\\n   }\")"
                    .into()),
            ]
        );
        let got = read(b"[{\"a\":1},{\"b\":}]").await;
        assert_eq!(
            got[1],
            Err("data.json: line 1, record 2, byte 9: expected value at byte 14 (near \"{\\\"b\\\":}\")".into())
        );
        let (got, progress) = read_with(data, Options::default(), ErrorHandler::skip).await;
        assert_eq!(got, ok(vec![row! { "a" => 1 }, row! { "c" => 3 }]));
        assert_eq!(progress.skipped, 1);
    }

    #[tokio::test]
    async fn json_dead_letter_receives_the_element() {
        for feed in FEEDS {
            let sink = MemSink::default();
            let errors = ErrorHandler::dead_letter(Box::new(sink.clone()));
            let data = b"[{\"a\":1},\n [2, \"]\"],\n{\"a\":2}]";
            let (got, _) = drain(open(data, Options::default(), errors, feed).await).await;
            assert_eq!(got, ok(vec![row! { "a" => 1 }, row! { "a" => 2 }]));
            let letters = sink.0.lock().unwrap().clone();
            assert_eq!(
                letters,
                vec![(
                    "line 2, record 2, byte 11".to_string(),
                    b"[2, \"]\"]".to_vec()
                )],
                "{feed:?}"
            );
        }
    }

    #[tokio::test]
    async fn json_over_long_element_is_an_error() {
        let mut options = Options::default();
        options.limits.max_record_bytes = 10;
        let (got, _) = read_with(
            b"[{\"a\":1},{\"b\":\"xxxxxxxxxxxxxxxx\"}]",
            options,
            ErrorHandler::skip,
        )
        .await;
        assert_eq!(got[0], Ok(row! { "a" => 1 }));
        assert!(got[1].as_ref().unwrap_err().starts_with(
            "data.json: line 1, record 2, byte 9: element longer than max_record_bytes (10 bytes); raise --max-record-bytes to read it"
        ));
        assert_eq!(got.len(), 2);
    }

    #[tokio::test]
    async fn json_big_integers_are_exact() {
        let got = read(b"[{\"a\":9007199254740993,\"b\":18446744073709551615}]").await;
        let row = got[0].as_ref().unwrap();
        assert_eq!(row["a"], Value::Int(9_007_199_254_740_993));
        assert_eq!(
            serde_json::to_string(row).unwrap(),
            "{\"a\":9007199254740993,\"b\":18446744073709551615}"
        );
    }

    #[tokio::test]
    async fn json_rows_with_the_same_keys_share_the_header() {
        let got = read(b"[{\"a\":1,\"b\":2},{\"a\":3,\"b\":4}]").await;
        let (a, b) = (got[0].as_ref().unwrap(), got[1].as_ref().unwrap());
        assert!(Arc::ptr_eq(a.header(), b.header()));
    }

    #[tokio::test]
    async fn json_aread_bulk_equals_the_stream() {
        let data = format!(
            "[{}]",
            (0..25)
                .map(|i| format!("{{\"i\":{i}}}"))
                .collect::<Vec<_>>()
                .join(",\n")
        );
        let streamed = read(data.as_bytes()).await;
        assert_eq!(streamed.len(), 25);
        for feed in FEEDS {
            let mut it = open(
                data.as_bytes(),
                Options::default(),
                ErrorHandler::fail(),
                feed,
            )
            .await;
            let mut bulk = Vec::new();
            loop {
                let batch = it.aread_bulk(7).await.unwrap();
                if batch.is_empty() {
                    break;
                }
                bulk.extend(batch.into_iter().map(Ok));
            }
            assert_eq!(bulk, streamed);
        }
    }

    #[tokio::test]
    async fn json_writing_a_reader_is_unsupported() {
        let mut it = open(b"[]", Options::default(), ErrorHandler::fail(), Feed::Whole).await;
        let err = it.awrite(&row! { "a" => 1 }).await.unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    }

    #[tokio::test]
    async fn json_a_large_array_streams_in_small_reads() {
        // 20k rows through an 8 KiB buffer: elements span reads all the time.
        let mut data = b"[".to_vec();
        for i in 0..20_000 {
            if i > 0 {
                data.extend_from_slice(b",\n");
            }
            data.extend_from_slice(
                format!("{{\"i\":{i},\"s\":\"{}\\\"]\"}}", "x".repeat(i % 50)).as_bytes(),
            );
        }
        data.extend_from_slice(b"]");
        let reader = tokio::io::BufReader::with_capacity(8192, Cursor::new(data));
        let it = json::open_reader(reader, ReadContext::new(info(), Options::default()))
            .await
            .unwrap();
        let (got, progress) = drain(it).await;
        assert_eq!(got.len(), 20_000);
        assert_eq!(got[19_999].as_ref().unwrap()["i"], Value::Int(19_999));
        assert_eq!(
            got[49].as_ref().unwrap()["s"],
            Value::from(format!("{}\"]", "x".repeat(49)))
        );
        assert_eq!(progress.rows, 20_000);
    }
}
