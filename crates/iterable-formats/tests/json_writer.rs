//! JSON and JSON Lines writer tests: exact texts, round trips writer -> reader, close
//! semantics.

mod common;

mod json_writer {
    use std::io::Cursor;

    use futures::StreamExt;
    use iterable_core::{
        AsyncIterable, BoxIterable, Codec, Decimal, Error, Format, IterableInfo, Mode, Options,
        Row, Value, row,
    };
    use iterable_formats::testing::ChunkedReader;
    use iterable_formats::{ReadContext, WriteContext, json, jsonl};

    use crate::common::Sink;

    fn info(format: Format, mode: Mode) -> IterableInfo {
        let location = if format == Format::JSON {
            "out.json"
        } else {
            "out.jsonl"
        };
        IterableInfo {
            encoding: None,
            location: location.into(),
            format,
            codec: Codec::None,
            mode,
        }
    }

    fn options(tag: Option<&str>, pretty: bool) -> Options {
        let mut options = Options::default();
        options.json.tagname = tag.map(str::to_owned);
        options.json.pretty = pretty;
        options
    }

    async fn writer(format: Format, options: Options) -> (BoxIterable, Sink) {
        let sink = Sink::taking_at_most(1000);
        let ctx = WriteContext {
            info: info(format, Mode::Write),
            options,
        };
        let it = match format {
            Format::JSON => json::open_writer(sink.clone(), ctx).await.unwrap(),
            _ => jsonl::open_writer(sink.clone(), ctx).await.unwrap(),
        };
        (it, sink)
    }

    async fn write(format: Format, options: Options, rows: &[Row]) -> String {
        let (mut it, sink) = writer(format, options).await;
        it.awrite_bulk(rows).await.unwrap();
        it.aclose().await.unwrap();
        assert_eq!(*sink.shutdowns.lock().unwrap(), 1);
        sink.text()
    }

    async fn read(format: Format, options: Options, text: &str) -> Vec<Row> {
        let mut all = Vec::new();
        for chunk in [usize::MAX, 1, 5] {
            let ctx = ReadContext::new(info(format, Mode::Read), options.clone());
            let data = text.as_bytes().to_vec();
            let it = if chunk == usize::MAX {
                let reader = Cursor::new(data);
                match format {
                    Format::JSON => json::open_reader(reader, ctx).await.unwrap(),
                    _ => jsonl::open_reader(reader, ctx).await.unwrap(),
                }
            } else {
                let reader = ChunkedReader::new(data, chunk, chunk == 1);
                match format {
                    Format::JSON => json::open_reader(reader, ctx).await.unwrap(),
                    _ => jsonl::open_reader(reader, ctx).await.unwrap(),
                }
            };
            let rows: Vec<Row> = it.map(|r| r.unwrap()).collect().await;
            all.push(rows);
        }
        assert_eq!(all[0], all[1]);
        assert_eq!(all[0], all[2]);
        all.remove(0)
    }

    fn sample() -> Vec<Row> {
        vec![
            row! { "id" => 1, "name" => "Anna \"A\" ]}", "tags" => vec!["x", "y"] },
            row! {
                "id" => 9_007_199_254_740_993_i64,
                "name" => "Bén\n",
                "tags" => Value::List(vec![]),
                "nested" => row! { "deep" => row! { "n" => Value::Null, "f" => 1.5 } },
                "big" => Value::Decimal(Decimal { unscaled: 18_446_744_073_709_551_615, scale: 0 }),
                "ok" => true,
            },
            row! {},
        ]
    }

    #[tokio::test]
    async fn jsonl_writer_exact_text() {
        let rows = [
            row! { "b" => 1, "a" => "x" },
            row! { "c" => vec![Value::Null, Value::Float(2.5)] },
        ];
        let text = write(Format::JSONL, Options::default(), &rows).await;
        assert_eq!(text, "{\"b\":1,\"a\":\"x\"}\n{\"c\":[null,2.5]}\n");
    }

    #[tokio::test]
    async fn json_writer_exact_texts() {
        let rows = [row! { "b" => 1, "a" => "x" }, row! { "c" => vec![1] }];
        assert_eq!(
            write(Format::JSON, Options::default(), &rows).await,
            "[\n{\"b\":1,\"a\":\"x\"},\n{\"c\":[1]}\n]\n"
        );
        assert_eq!(
            write(Format::JSON, options(Some("rows"), false), &rows).await,
            "{\"rows\":[\n{\"b\":1,\"a\":\"x\"},\n{\"c\":[1]}\n]}\n"
        );
        assert_eq!(
            write(Format::JSON, options(None, true), &rows).await,
            "[\n  {\n    \"b\": 1,\n    \"a\": \"x\"\n  },\n  {\n    \"c\": [\n      1\n    ]\n  }\n]\n"
        );
        assert_eq!(
            write(Format::JSON, options(Some("r\"s"), true), &rows[..1]).await,
            "{\n  \"r\\\"s\": [\n    {\n      \"b\": 1,\n      \"a\": \"x\"\n    }\n  ]\n}\n"
        );
    }

    #[tokio::test]
    async fn json_writer_zero_rows_is_valid_json() {
        assert_eq!(write(Format::JSON, Options::default(), &[]).await, "[]\n");
        assert_eq!(
            write(Format::JSON, options(Some("rows"), false), &[]).await,
            "{\"rows\":[]}\n"
        );
        assert_eq!(
            write(Format::JSON, options(Some("rows"), true), &[]).await,
            "{\n  \"rows\": []\n}\n"
        );
        assert_eq!(write(Format::JSON, options(None, true), &[]).await, "[]\n");
        assert_eq!(write(Format::JSONL, Options::default(), &[]).await, "");
        for opts in [
            options(None, false),
            options(Some("rows"), false),
            options(Some("rows"), true),
        ] {
            let text = write(Format::JSON, opts.clone(), &[]).await;
            assert_eq!(read(Format::JSON, opts, &text).await, vec![]);
        }
    }

    #[tokio::test]
    async fn json_writer_non_finite_floats_become_null() {
        let rows = [row! { "a" => f64::NAN, "b" => f64::INFINITY, "c" => 0.5 }];
        assert_eq!(
            write(Format::JSONL, Options::default(), &rows).await,
            "{\"a\":null,\"b\":null,\"c\":0.5}\n"
        );
    }

    #[tokio::test]
    async fn jsonl_round_trip() {
        let rows = sample();
        let text = write(Format::JSONL, Options::default(), &rows).await;
        assert_eq!(read(Format::JSONL, Options::default(), &text).await, rows);
    }

    #[tokio::test]
    async fn json_round_trips_plain_tagged_and_pretty() {
        let rows = sample();
        for opts in [
            options(None, false),
            options(None, true),
            options(Some("rows"), false),
            options(Some("rows"), true),
        ] {
            let text = write(Format::JSON, opts.clone(), &rows).await;
            let _: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(
                read(Format::JSON, opts.clone(), &text).await,
                rows,
                "{opts:?}\n{text}"
            );
        }
    }

    #[tokio::test]
    async fn json_round_trip_beyond_the_write_buffer() {
        let rows: Vec<Row> = (0..5000)
            .map(|i: u32| row! { "i" => i, "s" => "y".repeat(i as usize % 40) })
            .collect();
        for format in [Format::JSON, Format::JSONL] {
            let (mut it, sink) = writer(format, Options::default()).await;
            for row in &rows {
                it.awrite(row).await.unwrap();
            }
            assert!(
                !sink.bytes.lock().unwrap().is_empty(),
                "flushed before close"
            );
            it.aclose().await.unwrap();
            let text = sink.text();
            let progress = it.progress();
            assert_eq!((progress.rows, progress.bytes), (5000, text.len() as u64));
            assert_eq!(read(format, Options::default(), &text).await, rows);
        }
    }

    #[tokio::test]
    async fn json_writer_close_is_idempotent_and_final() {
        for format in [Format::JSON, Format::JSONL] {
            let (mut it, sink) = writer(format, Options::default()).await;
            it.awrite(&row! { "a" => 1 }).await.unwrap();
            it.aclose().await.unwrap();
            let text = sink.text();
            it.aclose().await.unwrap();
            assert_eq!(sink.text(), text);
            assert_eq!(*sink.shutdowns.lock().unwrap(), 1);
            let err = it.awrite(&row! { "a" => 2 }).await.unwrap_err();
            assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        }
    }

    #[tokio::test]
    async fn json_reading_a_writer_is_unsupported() {
        for format in [Format::JSON, Format::JSONL] {
            let (mut it, _) = writer(format, Options::default()).await;
            let err = it.next().await.unwrap().unwrap_err();
            assert!(matches!(err, Error::Unsupported { .. }), "{err}");
            assert!(it.next().await.is_none());
            assert!(
                matches!(it.aread().await, Err(Error::Unsupported { .. })),
                "aread refuses every time"
            );
            assert_eq!(it.info().mode, Mode::Write);
        }
    }
}
