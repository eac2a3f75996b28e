//! JSON Lines reader tests. Every case runs over the whole input at once, one byte at a
//! time with `Pending` between reads, and five bytes at a time: the results must agree.

mod common;

mod jsonl {
    use std::io::Cursor;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use futures::StreamExt;
    use iterable_core::policy::ErrorHandler;
    use iterable_core::{
        AsyncIterable, BoxIterable, Decimal, Error, Format, IterableInfo, Mode, Options, Progress,
        Row, Value, row,
    };

    use crate::common::{self, FEEDS, Feed, MemSink, Outcome, drain, reader_info};
    use iterable_formats::{ReadContext, jsonl};
    use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

    fn info() -> IterableInfo {
        reader_info(Format::JSONL)
    }

    async fn open(data: &[u8], options: Options, errors: ErrorHandler, feed: Feed) -> BoxIterable {
        common::open(Format::JSONL, data, options, errors, feed).await
    }

    /// Reads `data` with every feed; asserts they agree; returns the outcome.
    async fn read_with(
        data: &[u8],
        options: Options,
        errors: fn() -> ErrorHandler,
    ) -> (Outcome, Progress) {
        common::read_with(Format::JSONL, data, options, errors).await
    }

    async fn read(data: &[u8]) -> Outcome {
        read_with(data, Options::default(), ErrorHandler::fail)
            .await
            .0
    }

    #[tokio::test]
    async fn jsonl_nested_values_are_kept() {
        let got =
            read(b"{\"a\":{\"b\":[1,2.5,{\"c\":null}],\"t\":true},\"d\":\"x\\u00e9\\n\"}\n").await;
        let want = row! {
            "a" => row! { "b" => vec![Value::Int(1), Value::Float(2.5), Value::Map(row! { "c" => Value::Null })], "t" => true },
            "d" => "xé\n",
        };
        assert_eq!(got, vec![Ok(want)]);
    }

    #[tokio::test]
    async fn jsonl_blank_lines_crlf_bom_and_no_final_newline() {
        let data = b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n   \n\t\n{\"a\":2}\r\n\n{\"a\":3}";
        let (got, progress) = read_with(data, Options::default(), ErrorHandler::fail).await;
        assert_eq!(
            got,
            vec![
                Ok(row! { "a" => 1 }),
                Ok(row! { "a" => 2 }),
                Ok(row! { "a" => 3 })
            ]
        );
        assert_eq!(
            progress,
            Progress {
                rows: 3,
                bytes: data.len() as u64,
                bytes_total: None,
                skipped: 0
            }
        );
    }

    #[tokio::test]
    async fn jsonl_empty_input_gives_no_rows() {
        assert_eq!(read(b"").await, vec![]);
        assert_eq!(read(b"\n\n  \r\n").await, vec![]);
        assert_eq!(read(b"\xEF\xBB\xBF").await, vec![]);
    }

    #[tokio::test]
    async fn jsonl_a_broken_bom_is_part_of_the_line() {
        let got = read(b"\xEF\xBB{\"a\":1}\n").await;
        assert_eq!(got.len(), 1);
        let err = got[0].as_ref().unwrap_err();
        assert!(
            err.starts_with("data.jsonl: line 1, record 1, byte 0: line is not a JSON object"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn jsonl_big_integers_are_exact() {
        let got = read(b"{\"a\":9007199254740993,\"b\":18446744073709551615,\"c\":-9223372036854775808,\"d\":1.5}\n")
            .await;
        let row = got[0].as_ref().unwrap();
        assert_eq!(row["a"], Value::Int(9_007_199_254_740_993));
        assert_eq!(
            row["b"],
            Value::Decimal(Decimal {
                unscaled: 18_446_744_073_709_551_615,
                scale: 0
            })
        );
        assert_eq!(row["c"], Value::Int(i64::MIN));
        assert_eq!(
            serde_json::to_string(row)
                .unwrap()
                .split(",\"d\"")
                .next()
                .unwrap(),
            "{\"a\":9007199254740993,\"b\":18446744073709551615,\"c\":-9223372036854775808"
        );
    }

    #[tokio::test]
    async fn jsonl_invalid_line_names_location_line_and_byte() {
        let got = read(b"{\"a\":1}\n\n{oops}\n{\"a\":3}\n").await;
        assert_eq!(
            got,
            vec![
                Ok(row! { "a" => 1 }),
                Err("data.jsonl: line 3, record 2, byte 9: key must be a string at column 2 (near \"{oops}\")".into()),
            ]
        );
    }

    #[tokio::test]
    async fn jsonl_non_objects_and_trailing_characters_are_errors() {
        let got = read(b"[1,2]\n").await;
        assert_eq!(
            got,
            vec![Err(
                "data.jsonl: line 1, record 1, byte 0: line is not a JSON object (near \"[1,2]\")"
                    .into()
            )]
        );
        let got = read(b"  5\r\n").await;
        assert_eq!(
            got,
            vec![Err(
                "data.jsonl: line 1, record 1, byte 0: line is not a JSON object (near \"  5\")"
                    .into()
            )]
        );
        let got = read(b"{\"a\":1} x\n").await;
        assert_eq!(
            got,
            vec![Err("data.jsonl: line 1, record 1, byte 0: trailing characters at column 9 (near \"{\\\"a\\\":1} x\")".into())]
        );
    }

    #[tokio::test]
    async fn jsonl_error_is_a_parse_error_with_position_and_source() {
        let mut it = open(
            b"{\"a\":1}\n{\"a\":}\n",
            Options::default(),
            ErrorHandler::fail(),
            Feed::Whole,
        )
        .await;
        it.next().await.unwrap().unwrap();
        let err = it.next().await.unwrap().unwrap_err();
        let parse = err.as_parse().expect("a parse error");
        assert_eq!(
            (
                parse.position.line,
                parse.position.record,
                parse.position.byte
            ),
            (2, 2, 8)
        );
        assert_eq!(parse.snippet, "{\"a\":}");
        assert!(std::error::Error::source(parse).is_some());
        assert!(it.next().await.is_none(), "fail policy ends the stream");
    }

    #[tokio::test]
    async fn jsonl_skip_policy_counts_and_goes_on() {
        let data = b"{\"a\":1}\nbad\n[1]\n\n{\"a\":2}\n{\"a\":\n";
        let (got, progress) = read_with(data, Options::default(), ErrorHandler::skip).await;
        assert_eq!(got, vec![Ok(row! { "a" => 1 }), Ok(row! { "a" => 2 })]);
        assert_eq!(progress.skipped, 3);
        assert_eq!(progress.rows, 2);
    }

    #[tokio::test]
    async fn jsonl_dead_letter_sink_receives_the_raw_line() {
        for feed in FEEDS {
            let sink = MemSink::default();
            let errors = ErrorHandler::dead_letter(Box::new(sink.clone()));
            let data = b"{\"a\":1}\r\nnot json\r\n{\"a\":2}\n[3]";
            let (got, progress) = drain(open(data, Options::default(), errors, feed).await).await;
            assert_eq!(
                got,
                vec![Ok(row! { "a" => 1 }), Ok(row! { "a" => 2 })],
                "{feed:?}"
            );
            assert_eq!(progress.skipped, 2);
            let letters = sink.0.lock().unwrap().clone();
            assert_eq!(
                letters,
                vec![
                    ("line 2, record 2, byte 9".to_string(), b"not json".to_vec()),
                    ("line 4, record 4, byte 27".to_string(), b"[3]".to_vec()),
                ],
                "{feed:?}"
            );
        }
    }

    fn max_10() -> Options {
        let mut options = Options::default();
        options.limits.max_record_bytes = 10;
        options
    }

    #[tokio::test]
    async fn jsonl_max_record_bytes_is_an_error() {
        let data = b"{\"a\":1}\n{\"b\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}\n{\"c\":3}\n";
        let (got, _) = read_with(data, max_10(), ErrorHandler::fail).await;
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], Ok(row! { "a" => 1 }));
        let err = got[1].as_ref().unwrap_err();
        assert!(
            err.starts_with(
                "data.jsonl: line 2, record 2, byte 8: line longer than max_record_bytes (10 bytes); raise --max-record-bytes to read it"
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn jsonl_max_record_bytes_then_continue_under_skip() {
        // Exactly 10 bytes is fine; 11 is not; the last over-long line has no newline.
        let data = b"{\"a\":1}\n{\"b\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n{\"c\":\"12\"}\n{\"d\":\"123\"}\n{\"e\":5}\n{\"f\":\"yyyyyyyyyyyy\"}";
        let (got, progress) = read_with(data, max_10(), ErrorHandler::skip).await;
        assert_eq!(
            got,
            vec![
                Ok(row! { "a" => 1 }),
                Ok(row! { "c" => "12" }),
                Ok(row! { "e" => 5 })
            ]
        );
        assert_eq!(progress.skipped, 3);
        assert_eq!(progress.bytes, data.len() as u64);
    }

    #[tokio::test]
    async fn jsonl_over_long_line_positions_stay_right() {
        for feed in FEEDS {
            let sink = MemSink::default();
            let errors = ErrorHandler::dead_letter(Box::new(sink.clone()));
            let data = b"{\"b\":\"xxxxxxxxxxxxxxxxxxxx\"}\n\n{\"c\":}\n";
            let (got, _) = drain(open(data, max_10(), errors, feed).await).await;
            assert_eq!(got, vec![]);
            let letters = sink.0.lock().unwrap().clone();
            assert_eq!(letters[0].0, "line 1, record 1, byte 0");
            assert_eq!(letters[0].1, b"{\"b\":\"xxxx", "{feed:?}");
            assert_eq!(
                letters[1],
                (
                    "line 3, record 2, byte 30".to_string(),
                    b"{\"c\":}".to_vec()
                ),
                "{feed:?}"
            );
        }
    }

    #[tokio::test]
    async fn jsonl_rows_with_the_same_keys_share_the_header() {
        let got =
            read(b"{\"a\":1,\"b\":2}\n{\"a\":3,\"b\":4}\n{\"a\":5,\"c\":6}\n{\"a\":7,\"c\":8}\n")
                .await;
        let rows: Vec<Row> = got.into_iter().map(Result::unwrap).collect();
        assert!(Arc::ptr_eq(rows[0].header(), rows[1].header()));
        assert!(!Arc::ptr_eq(rows[1].header(), rows[2].header()));
        assert!(Arc::ptr_eq(rows[2].header(), rows[3].header()));
        assert_eq!(rows[3], row! { "a" => 7, "c" => 8 });
    }

    #[tokio::test]
    async fn jsonl_aread_bulk_equals_the_stream() {
        let data: String = (0..25).map(|i| format!("{{\"i\":{i}}}\n")).collect();
        let streamed = read(data.as_bytes()).await;
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
            let mut it = open(
                data.as_bytes(),
                Options::default(),
                ErrorHandler::fail(),
                feed,
            )
            .await;
            assert_eq!(it.aread().await.unwrap(), Some(row! { "i" => 0 }));
        }
    }

    #[tokio::test]
    async fn jsonl_writing_a_reader_is_unsupported() {
        let mut it = open(
            b"{\"a\":1}\n",
            Options::default(),
            ErrorHandler::fail(),
            Feed::Whole,
        )
        .await;
        let err = it.awrite(&row! { "a" => 1 }).await.unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        assert_eq!(it.info().mode, Mode::Read);
    }

    /// Gives some bytes, then fails.
    struct Failing {
        data: Cursor<Vec<u8>>,
    }

    impl AsyncRead for Failing {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            unreachable!()
        }
    }

    impl AsyncBufRead for Failing {
        fn poll_fill_buf(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<std::io::Result<&[u8]>> {
            let this = self.get_mut();
            let pos = this.data.position() as usize;
            let all = this.data.get_ref();
            if pos < all.len() {
                Poll::Ready(Ok(&all[pos..]))
            } else {
                Poll::Ready(Err(std::io::Error::other("disk on fire")))
            }
        }
        fn consume(self: Pin<&mut Self>, amt: usize) {
            let this = self.get_mut();
            this.data.set_position(this.data.position() + amt as u64);
        }
    }

    #[tokio::test]
    async fn jsonl_io_error_is_yielded_and_ends_the_stream() {
        let ctx = ReadContext::new(info(), Options::default());
        let reader = Failing {
            data: Cursor::new(b"{\"a\":1}\n{\"a\"".to_vec()),
        };
        let (got, _) = drain(jsonl::open_reader(reader, ctx).await.unwrap()).await;
        assert_eq!(
            got,
            vec![
                Ok(row! { "a" => 1 }),
                Err("data.jsonl: disk on fire".into())
            ]
        );
    }

    #[tokio::test]
    async fn jsonl_progress_prefers_the_byte_counter() {
        let ctx = ReadContext {
            bytes_total: Some(99),
            ..ReadContext::new(info(), Options::default())
        };
        ctx.bytes_read
            .store(42, std::sync::atomic::Ordering::Relaxed);
        let (_, progress) = drain(
            jsonl::open_reader(Cursor::new(b"{}\n".to_vec()), ctx)
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            progress,
            Progress {
                rows: 1,
                bytes: 42,
                bytes_total: Some(99),
                skipped: 0
            }
        );
    }
}
