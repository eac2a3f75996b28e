//! The CSV writer: header policy, quoting, round trips through the reader.

/// Named so that `cargo test -p iterable-formats csv` picks these tests.
mod common;

mod csv_write {

    use std::sync::Arc;

    use futures::StreamExt;
    use iterable_core::{
        AsyncIterable, Codec, CsvOptions, Error, ExtraKeys, Format, Header, IterableInfo, Mode,
        Options, Row, Value, row,
    };
    use iterable_formats::testing::ChunkedReader;
    use iterable_formats::{ReadContext, WriteContext, csv};

    use crate::common::Sink;

    fn info(format: Format, mode: Mode) -> IterableInfo {
        IterableInfo {
            encoding: None,
            location: format!("out.{format}"),
            format,
            codec: Codec::None,
            mode,
        }
    }

    async fn writer(format: Format, csv: &CsvOptions) -> (iterable_core::BoxIterable, Sink) {
        let mut options = Options::default();
        options.csv = csv.clone();
        let sink = Sink::default();
        let ctx = WriteContext {
            info: info(format, Mode::Write),
            options,
        };
        (csv::open_writer(sink.clone(), ctx).await.unwrap(), sink)
    }

    async fn write(rows: &[Row], format: Format, csv: &CsvOptions) -> String {
        let (mut w, sink) = writer(format, csv).await;
        w.awrite_bulk(rows).await.unwrap();
        w.aclose().await.unwrap();
        sink.text()
    }

    async fn read_back(text: &str, format: Format, csv: &CsvOptions, chunk: usize) -> Vec<Row> {
        let mut options = Options::default();
        options.csv = csv.clone();
        let reader = ChunkedReader::new(text.as_bytes().to_vec(), chunk, chunk < 10);
        let mut it = csv::open_reader(reader, ReadContext::new(info(format, Mode::Read), options))
            .await
            .unwrap();
        let mut rows = Vec::new();
        while let Some(row) = it.next().await {
            rows.push(row.unwrap());
        }
        rows
    }

    #[tokio::test]
    async fn writes_header_and_rows() {
        let rows = [
            row! { "id" => 1, "name" => "Anna" },
            row! { "id" => 2, "name" => "Ben" },
        ];
        assert_eq!(
            write(&rows, Format::CSV, &CsvOptions::default()).await,
            "id,name\n1,Anna\n2,Ben\n"
        );
    }

    #[tokio::test]
    async fn quoting_rules() {
        let rows = [row! {
            "plain" => "x",
            "comma" => "a,b",
            "quote" => "say \"hi\"",
            "lf" => "two\nlines",
            "cr" => "a\rb",
            "space" => " padded ",
            "empty" => "",
            "null" => Value::Null,
        }];
        assert_eq!(
            write(&rows, Format::CSV, &CsvOptions::default()).await,
            "plain,comma,quote,lf,cr,space,empty,null\nx,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"a\rb\",\" padded \",,\n"
        );
    }

    #[tokio::test]
    async fn values_as_text_and_other_delimiters() {
        let rows = [row! { "i" => -3, "f" => 1.5, "b" => true, "l" => vec![1, 2], "t" => "a\tb" }];
        assert_eq!(
            write(&rows, Format::TSV, &CsvOptions::default()).await,
            "i\tf\tb\tl\tt\n-3\t1.5\ttrue\t[1,2]\t\"a\tb\"\n"
        );
        assert_eq!(
            write(&rows, Format::PSV, &CsvOptions::default()).await,
            "i|f|b|l|t\n-3|1.5|true|[1,2]|a\tb\n"
        );
        let mut options = CsvOptions::default();
        options.delimiter = Some(b';');
        options.crlf = true;
        assert_eq!(
            write(&rows, Format::CSV, &options).await,
            "i;f;b;l;t\r\n-3;1.5;true;[1,2];a\tb\r\n"
        );
    }

    #[tokio::test]
    async fn no_header_row_when_asked() {
        let mut options = CsvOptions::default();
        options.has_header = false;
        let rows = [row! { "a" => 1, "b" => 2 }];
        assert_eq!(write(&rows, Format::CSV, &options).await, "1,2\n");
    }

    #[tokio::test]
    async fn extra_key_is_an_error_that_says_what_to_do() {
        let (mut w, _) = writer(Format::CSV, &CsvOptions::default()).await;
        w.awrite(&row! { "a" => 1, "b" => 2, "c" => 3 })
            .await
            .unwrap();
        w.awrite(&row! { "a" => 1, "b" => 2, "c" => 3 })
            .await
            .unwrap();
        let err = w.awrite(&row! { "a" => 1, "x" => 2 }).await.unwrap_err();
        assert!(matches!(err, Error::Write { row: 3, .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "out.csv: row 3: key \"x\" is not in the CSV header (a, b, c); the header comes from the first 1 row(s): \
         set header_scan_rows (CLI: --header-scan-rows N) to see more rows first or extra_keys = Ignore \
         (CLI: --extra-keys ignore) to drop such values"
        );
    }

    #[tokio::test]
    async fn after_a_failed_row_nothing_more_is_taken_and_nothing_is_published() {
        let (mut w, sink) = writer(Format::CSV, &CsvOptions::default()).await;
        w.awrite(&row! { "a" => 1 }).await.unwrap();
        w.awrite(&row! { "x" => 2 }).await.unwrap_err();
        let err = w.awrite(&row! { "a" => 3 }).await.unwrap_err();
        assert!(err.to_string().contains("an earlier row failed"), "{err}");
        let err = w.aclose().await.unwrap_err();
        assert!(err.to_string().contains("nothing is published"), "{err}");
        assert_eq!(*sink.shutdowns.lock().unwrap(), 0);
    }

    #[tokio::test]
    async fn extra_keys_ignored_and_missing_keys_empty() {
        let mut options = CsvOptions::default();
        options.extra_keys = ExtraKeys::Ignore;
        let rows = [
            row! { "a" => 1, "b" => 2 },
            row! { "b" => 3, "x" => 9, "a" => 4 },
            row! { "b" => 5 },
        ];
        assert_eq!(
            write(&rows, Format::CSV, &options).await,
            "a,b\n1,2\n4,3\n,5\n"
        );
    }

    #[tokio::test]
    async fn header_is_the_union_of_the_scanned_rows() {
        let mut options = CsvOptions::default();
        options.header_scan_rows = 3;
        let rows = [
            row! { "a" => 1 },
            row! { "b" => 2, "a" => 3 },
            row! { "c" => 4 },
            row! { "c" => 5, "a" => 6 },
        ];
        assert_eq!(
            write(&rows, Format::CSV, &options).await,
            "a,b,c\n1,,\n3,2,\n,,4\n6,,5\n"
        );
        // Fewer rows than the scan: the header comes at close.
        assert_eq!(
            write(&rows[..2], Format::CSV, &options).await,
            "a,b\n1,\n3,2\n"
        );
    }

    #[tokio::test]
    async fn shared_header_fast_path() {
        let header = Arc::new(Header::new(vec!["x".into(), "y".into()]));
        let rows: Vec<Row> = (0..3)
            .map(|i| {
                Row::from_parts(
                    header.clone(),
                    vec![Value::Int(i), Value::from(format!("v{i}"))],
                )
            })
            .collect();
        assert_eq!(
            write(&rows, Format::CSV, &CsvOptions::default()).await,
            "x,y\n0,v0\n1,v1\n2,v2\n"
        );
    }

    #[tokio::test]
    async fn zero_rows_write_nothing_and_close_is_idempotent() {
        let (mut w, sink) = writer(Format::CSV, &CsvOptions::default()).await;
        w.aclose().await.unwrap();
        w.aclose().await.unwrap();
        assert_eq!(sink.text(), "");
        assert_eq!(*sink.shutdowns.lock().unwrap(), 1);
        let err = w.awrite(&row! { "a" => 1 }).await.unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    }

    #[tokio::test]
    async fn output_is_buffered_until_close_and_progress_counts() {
        let (mut w, sink) = writer(Format::CSV, &CsvOptions::default()).await;
        w.awrite(&row! { "a" => "x" }).await.unwrap();
        assert_eq!(sink.text(), "", "small output stays in the buffer");
        assert_eq!((w.progress().rows, w.progress().bytes), (1, 4));
        let many: Vec<Row> = (0..20_000).map(|i| row! { "a" => i }).collect();
        w.awrite_bulk(&many).await.unwrap();
        assert!(!sink.text().is_empty(), "a full buffer is written out");
        w.aclose().await.unwrap();
        let text = sink.text();
        assert_eq!(w.progress().bytes, text.len() as u64);
        assert_eq!(w.progress().rows, 20_001);
        assert_eq!(text.lines().count(), 20_002);
    }

    #[tokio::test]
    async fn reading_a_writer_is_unsupported() {
        let (mut w, _) = writer(Format::CSV, &CsvOptions::default()).await;
        let err = w.next().await.unwrap().unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        assert!(w.next().await.is_none());
        assert!(matches!(w.aread().await, Err(Error::Unsupported { .. })));
        assert!(matches!(
            w.aread_bulk(10).await,
            Err(Error::Unsupported { .. })
        ));
        assert_eq!(w.info().mode, Mode::Write);
    }

    fn tricky_rows() -> Vec<Row> {
        let values = [
            "plain",
            "",
            "a,b",
            "\"quoted\"",
            "\"",
            "two\nlines",
            "crlf\r\ninside",
            "lone\rcr",
            " lead",
            "trail ",
            "tab\there",
            "ünïcødé €😀",
            "#not a comment",
            "a;b|c",
            "\\back\\slash",
            "back\\slash, \"quoted\"\\",
        ];
        let mut rows: Vec<Row> = values
            .iter()
            .enumerate()
            .map(|(i, v)| row! { "id" => i.to_string(), "text" => *v, "last" => "end" })
            .collect();
        rows.push(row! { "id" => "#first", "text" => "x", "last" => "" });
        rows.push(row! { "id" => "", "text" => "", "last" => "" });
        rows
    }

    #[tokio::test]
    async fn round_trip_of_tricky_values() {
        let rows = tricky_rows();
        let variants: Vec<(Format, CsvOptions)> = {
            let mut semi = CsvOptions::default();
            semi.delimiter = Some(b';');
            semi.crlf = true;
            let mut escaped = CsvOptions::default();
            escaped.escape = Some(b'\\');
            escaped.comment = Some(b'#');
            vec![
                (Format::CSV, CsvOptions::default()),
                (Format::TSV, CsvOptions::default()),
                (Format::PSV, CsvOptions::default()),
                (Format::CSV, semi),
                (Format::CSV, escaped),
            ]
        };
        for (format, options) in variants {
            let text = write(&rows, format, &options).await;
            for chunk in [1, 7, 4096] {
                let back = read_back(&text, format, &options, chunk).await;
                assert_eq!(back, rows, "{format} {options:?} chunk {chunk}:\n{text}");
            }
        }
    }

    #[tokio::test]
    async fn round_trip_of_one_column_with_empty_values() {
        let rows = [
            row! { "only" => "" },
            row! { "only" => "x" },
            row! { "only" => "" },
        ];
        let text = write(&rows, Format::CSV, &CsvOptions::default()).await;
        assert_eq!(text, "only\n\"\"\nx\n\"\"\n");
        assert_eq!(
            read_back(&text, Format::CSV, &CsvOptions::default(), 1).await,
            rows
        );
    }

    #[tokio::test]
    async fn round_trip_with_inferred_types() {
        let rows = [row! { "i" => 7, "f" => 2.5, "b" => false, "s" => "007", "n" => Value::Null }];
        let mut options = CsvOptions::default();
        options.infer_types = true;
        let text = write(&rows, Format::CSV, &options).await;
        assert_eq!(read_back(&text, Format::CSV, &options, 3).await, rows);
    }
}
