//! The CSV reader: exact rows for tricky input, every case also fed one byte at a
//! time, with `Pending` between reads, and seven bytes at a time.

/// Named so that `cargo test -p iterable-formats csv` picks these tests.
mod csv_read {

    use std::sync::{Arc, Mutex};

    use futures::StreamExt;
    use iterable_core::policy::{DeadLetterSink, ErrorHandler};
    use iterable_core::{
        AsyncIterable, Codec, CsvOptions, Error, Format, IterableInfo, Mode, Options, Parallelism,
        ParseError, Value,
    };
    use iterable_formats::testing::ChunkedReader;
    use iterable_formats::{ReadContext, csv};

    /// One read's outcome: rows as `(name, value)` pairs, an error as its text.
    type Outcome = Vec<Result<Vec<(String, Value)>, String>>;

    fn info(format: Format) -> IterableInfo {
        IterableInfo {
            encoding: None,
            location: format!("test.{format}"),
            format,
            codec: Codec::None,
            mode: Mode::Read,
        }
    }

    /// A context that parses on the polling task.
    fn context(format: Format, csv: &CsvOptions, errors: ErrorHandler) -> ReadContext {
        context_with(format, csv, errors, Parallelism::sequential())
    }

    /// Parsing in blocks of `block_bytes` on two threads.
    fn in_blocks(block_bytes: usize) -> Parallelism {
        let mut parallel = Parallelism::default();
        parallel.threads = 2;
        parallel.block_bytes = block_bytes;
        parallel
    }

    /// Block sizes that cut records everywhere: inside quotes, between CR and LF, ...
    const BLOCK_SIZES: [usize; 5] = [1, 3, 8, 29, 1 << 20];

    fn context_with(
        format: Format,
        csv: &CsvOptions,
        errors: ErrorHandler,
        parallel: Parallelism,
    ) -> ReadContext {
        let mut options = Options::default();
        options.csv = csv.clone();
        options.parallel = parallel;
        let mut ctx = ReadContext::new(info(format), options);
        ctx.errors = errors;
        ctx
    }

    async fn drain(mut it: iterable_core::BoxIterable) -> Outcome {
        let mut out = Vec::new();
        while let Some(item) = it.next().await {
            out.push(
                item.map(|row| row.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect())
                    .map_err(|e| e.to_string()),
            );
        }
        // The stream stays ended.
        assert!(it.next().await.is_none());
        out
    }

    /// Reads `data` whole, then in chunks of 1 and 7 bytes with and without `Pending`
    /// between reads, then in blocks of several sizes on two threads; asserts all agree
    /// and returns the outcome.
    async fn read_with(data: &[u8], format: Format, csv: &CsvOptions) -> Outcome {
        let whole = drain(
            csv::open_reader(
                std::io::Cursor::new(data.to_vec()),
                context(format, csv, ErrorHandler::fail()),
            )
            .await
            .unwrap(),
        )
        .await;
        for (chunk, pending) in [
            (1, true),
            (1, false),
            (7, true),
            (7, false),
            (2, true),
            (3, false),
        ] {
            let reader = ChunkedReader::new(data.to_vec(), chunk, pending);
            let got = drain(
                csv::open_reader(reader, context(format, csv, ErrorHandler::fail()))
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(got, whole, "chunk {chunk}, pending {pending}");
        }
        for block in BLOCK_SIZES {
            for (chunk, pending) in [(1 << 30, false), (1, true), (5, false)] {
                let reader = ChunkedReader::new(data.to_vec(), chunk, pending);
                let ctx = context_with(format, csv, ErrorHandler::fail(), in_blocks(block));
                let got = drain(csv::open_reader(reader, ctx).await.unwrap()).await;
                assert_eq!(
                    got, whole,
                    "blocks of {block}, chunk {chunk}, pending {pending}"
                );
            }
        }
        whole
    }

    async fn read(data: &str) -> Outcome {
        read_with(data.as_bytes(), Format::CSV, &CsvOptions::default()).await
    }

    fn row(pairs: &[(&str, Value)]) -> Result<Vec<(String, Value)>, String> {
        Ok(pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect())
    }

    fn s(text: &str) -> Value {
        Value::from(text)
    }

    #[tokio::test]
    async fn plain_rows() {
        let got = read("id,name\n1,Anna\n2,Ben\n").await;
        assert_eq!(
            got,
            [
                row(&[("id", s("1")), ("name", s("Anna"))]),
                row(&[("id", s("2")), ("name", s("Ben"))])
            ]
        );
    }

    #[tokio::test]
    async fn quoted_fields_keep_delimiters_quotes_and_line_ends() {
        let data = "a,b,c\r\n\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n\"crlf\r\ninside\",\"\",plain\r\n";
        let got = read(data).await;
        assert_eq!(
            got,
            [
                row(&[
                    ("a", s("x,y")),
                    ("b", s("say \"hi\"")),
                    ("c", s("two\nlines"))
                ]),
                row(&[("a", s("crlf\r\ninside")), ("b", s("")), ("c", s("plain"))]),
            ]
        );
    }

    #[tokio::test]
    async fn last_record_without_line_end_and_cr_only_lines() {
        assert_eq!(
            read("a,b\n1,2").await,
            [row(&[("a", s("1")), ("b", s("2"))])]
        );
        assert_eq!(
            read("a,b\r1,2\r3,4\r").await,
            [
                row(&[("a", s("1")), ("b", s("2"))]),
                row(&[("a", s("3")), ("b", s("4"))])
            ]
        );
    }

    #[tokio::test]
    async fn utf8_bom_is_stripped() {
        let got = read("\u{feff}id,näme\n1,€uro\n").await;
        assert_eq!(got, [row(&[("id", s("1")), ("näme", s("€uro"))])]);
        // Bytes that only start like a BOM are data.
        let got = read_with(b"\xef\xbb,x\n1,2\n", Format::CSV, &CsvOptions::default()).await;
        assert_eq!(got.len(), 1);
        assert!(
            got[0].as_ref().unwrap_err().contains("not valid UTF-8"),
            "{got:?}"
        );
        assert_eq!(read("i\n1\n").await, [row(&[("i", s("1"))])]);
    }

    #[tokio::test]
    async fn multibyte_characters_split_across_reads() {
        let got = read("ключ,値\n€€€,😀x\n").await;
        assert_eq!(got, [row(&[("ключ", s("€€€")), ("値", s("😀x"))])]);
    }

    #[tokio::test]
    async fn no_header_names_columns() {
        let mut options = CsvOptions::default();
        options.has_header = false;
        let got = read_with(b"1,2,3\n4,5\n", Format::CSV, &options).await;
        assert_eq!(
            got,
            [
                row(&[
                    ("column_1", s("1")),
                    ("column_2", s("2")),
                    ("column_3", s("3"))
                ]),
                row(&[
                    ("column_1", s("4")),
                    ("column_2", s("5")),
                    ("column_3", Value::Null)
                ]),
            ]
        );
    }

    #[tokio::test]
    async fn duplicate_and_empty_header_names() {
        let got = read("a,a,,a\n1,2,3,4\n").await;
        assert_eq!(
            got,
            [row(&[
                ("a", s("1")),
                ("a_2", s("2")),
                ("column_3", s("3")),
                ("a_3", s("4"))
            ])]
        );
    }

    #[tokio::test]
    async fn short_rows_are_padded_with_null_and_blank_lines_skipped() {
        let got = read("a,b,c\n\n1\n\r\n\"\"\n2,,\n").await;
        assert_eq!(
            got,
            [
                row(&[("a", s("1")), ("b", Value::Null), ("c", Value::Null)]),
                row(&[("a", s("2")), ("b", s("")), ("c", s(""))]),
            ]
        );
    }

    #[tokio::test]
    async fn rows_share_one_header() {
        let mut it = csv::open_reader(
            &b"a\n1\n2\n"[..],
            context(Format::CSV, &CsvOptions::default(), ErrorHandler::fail()),
        )
        .await
        .unwrap();
        let r1 = it.next().await.unwrap().unwrap();
        let r2 = it.next().await.unwrap().unwrap();
        assert!(Arc::ptr_eq(r1.header(), r2.header()));
    }

    const LONG: &str = "a,b\n1,2\n\"x\ny\",3\n4,5,6\n7,8\n";

    #[tokio::test]
    async fn long_row_fails_with_its_position() {
        let got = read(LONG).await;
        assert_eq!(
        got,
        [
            row(&[("a", s("1")), ("b", s("2"))]),
            row(&[("a", s("x\ny")), ("b", s("3"))]),
            Err("test.csv: line 5, record 3, byte 16: record has 3 fields, header has 2 (near \"4,5,6\")".into()),
        ]
    );
    }

    #[tokio::test]
    async fn doubled_quotes_and_line_ends_in_the_header_and_records() {
        let got = read("\"say \"\"hi\"\"\",\"b\nc\"\n1,\"x\ny\"\"\"\n2,3,4\n").await;
        assert_eq!(
        got,
        [
            row(&[("say \"hi\"", s("1")), ("b\nc", s("x\ny\""))]),
            Err("test.csv: line 5, record 2, byte 29: record has 3 fields, header has 2 (near \"2,3,4\")".into()),
        ]
    );
    }

    #[tokio::test]
    async fn long_row_error_is_a_parse_error_with_fields() {
        let mut it = csv::open_reader(
            LONG.as_bytes(),
            context(Format::CSV, &CsvOptions::default(), ErrorHandler::fail()),
        )
        .await
        .unwrap();
        it.next().await.unwrap().unwrap();
        it.next().await.unwrap().unwrap();
        let err = it.next().await.unwrap().unwrap_err();
        let parse = err.as_parse().expect("a parse error");
        assert_eq!(
            (
                parse.position.line,
                parse.position.record,
                parse.position.byte
            ),
            (5, 3, 16)
        );
        assert_eq!(parse.snippet, "4,5,6");
        assert!(it.next().await.is_none());
    }

    #[tokio::test]
    async fn long_row_skipped_and_counted() {
        let runs = [(1000, false), (1, true), (7, true)]
            .map(|(chunk, pending)| (chunk, pending, Parallelism::sequential()))
            .into_iter()
            .chain(BLOCK_SIZES.map(|block| (3, true, in_blocks(block))));
        for (chunk, pending, parallel) in runs {
            let reader = ChunkedReader::new(LONG.as_bytes().to_vec(), chunk, pending);
            let ctx = context_with(
                Format::CSV,
                &CsvOptions::default(),
                ErrorHandler::skip(),
                parallel,
            );
            let mut it = csv::open_reader(reader, ctx).await.unwrap();
            let rows = it.aread_bulk(100).await.unwrap();
            assert_eq!(rows.len(), 3);
            assert_eq!(rows[2]["a"], s("7"));
            let progress = it.progress();
            assert_eq!(
                (progress.rows, progress.skipped, progress.bytes),
                (3, 1, LONG.len() as u64)
            );
        }
    }

    /// What a dead-letter sink got: the error text and the raw record.
    type Letters = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

    /// A dead-letter sink that keeps what it gets, and counts its flushes.
    #[derive(Clone, Default)]
    struct Kept(Letters, Arc<Mutex<u32>>);

    impl DeadLetterSink for Kept {
        fn write(&mut self, error: &ParseError, raw: &[u8]) -> std::io::Result<()> {
            self.0
                .lock()
                .unwrap()
                .push((error.to_string(), raw.to_vec()));
            Ok(())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            *self.1.lock().unwrap() += 1;
            Ok(())
        }
    }

    #[tokio::test]
    async fn long_row_goes_to_the_dead_letter_sink() {
        for parallel in [Parallelism::sequential()]
            .into_iter()
            .chain(BLOCK_SIZES.map(in_blocks))
        {
            dead_letters_of_long_rows(parallel).await;
        }
    }

    async fn dead_letters_of_long_rows(parallel: Parallelism) {
        let data = "a,b\r\n1,2\r\n3,4,5\r\n6,7,8,9\r\n10,11\r\n";
        let kept = Kept::default();
        let handler = ErrorHandler::dead_letter(Box::new(kept.clone()));
        let reader = ChunkedReader::new(data.as_bytes().to_vec(), 1, true);
        let ctx = context_with(Format::CSV, &CsvOptions::default(), handler, parallel);
        let it = csv::open_reader(reader, ctx).await.unwrap();
        let got = drain(it).await;
        assert_eq!(
            got,
            [
                row(&[("a", s("1")), ("b", s("2"))]),
                row(&[("a", s("10")), ("b", s("11"))])
            ]
        );
        let letters = kept.0.lock().unwrap().clone();
        assert_eq!(
        letters,
        [
            ("test.csv: line 3, record 2, byte 10: record has 3 fields, header has 2 (near \"3,4,5\")".to_owned(), b"3,4,5".to_vec()),
            (
                "test.csv: line 4, record 3, byte 17: record has 4 fields, header has 2 (near \"6,7,8,9\")".to_owned(),
                b"6,7,8,9".to_vec()
            ),
        ]
    );
        assert_eq!(*kept.1.lock().unwrap(), 1, "the sink is flushed at the end");
    }

    #[tokio::test]
    async fn unterminated_quote_is_an_error() {
        let got = read("a,b\n1,\"open\n2,3\n").await;
        assert_eq!(
        got,
        [Err("test.csv: line 2, record 1, byte 4: unterminated quoted field at the end of the input (near \"1,\\\"open\\n2,3\")".into())]
    );
        // A quote inside an unquoted field is no quote.
        assert_eq!(read("a\n5\"\n").await, [row(&[("a", s("5\""))])]);
        // A closed quote at the very end is fine.
        assert_eq!(
            read("a,b\n1,\"x\"\"\"").await,
            [row(&[("a", s("1")), ("b", s("x\""))])]
        );
    }

    #[tokio::test]
    async fn invalid_utf8_names_the_field_and_the_encoding_option() {
        let got = read_with(
            b"a,b\n1,caf\xe9\n2,ok\n",
            Format::CSV,
            &CsvOptions::default(),
        )
        .await;
        assert_eq!(got.len(), 1);
        let err = got[0].as_ref().unwrap_err();
        assert!(
            err.starts_with("test.csv: line 2, record 1, byte 4: field 2 is not valid UTF-8"),
            "{err}"
        );
        assert!(err.contains("`encoding` option"), "{err}");
        // Split so that the record is valid UTF-8 but a field is not.
        let got = read_with(b"a,b\n\xc3,\xa9\n", Format::CSV, &CsvOptions::default()).await;
        assert!(
            got[0]
                .as_ref()
                .unwrap_err()
                .contains("field 1 is not valid UTF-8"),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn other_delimiters() {
        let want = [row(&[("a", s("1,5")), ("b", s("x y"))])];
        assert_eq!(
            read_with(b"a\tb\n1,5\tx y\n", Format::TSV, &CsvOptions::default()).await,
            want
        );
        assert_eq!(
            read_with(b"a|b\n1,5|x y\n", Format::PSV, &CsvOptions::default()).await,
            want
        );
        let mut options = CsvOptions::default();
        options.delimiter = Some(b';');
        assert_eq!(
            read_with(b"a;b\n1,5;x y\n", Format::CSV, &options).await,
            want
        );
    }

    #[tokio::test]
    async fn comments_and_escapes() {
        let mut options = CsvOptions::default();
        options.comment = Some(b'#');
        options.escape = Some(b'\\');
        let got = read_with(
            b"# note\na,b\n#skip,me\n\"q\\\"x\",2\n",
            Format::CSV,
            &options,
        )
        .await;
        assert_eq!(got, [row(&[("a", s("q\"x")), ("b", s("2"))])]);
    }

    /// Quotes inside unquoted fields fool the quote count that cuts blocks; the reader
    /// notices the unfinished record and goes on with one thread, losing nothing.
    #[tokio::test]
    async fn stray_quotes_and_quoted_line_ends_read_the_same_in_blocks() {
        let mut data = String::from("size,note\n");
        for i in 0..40 {
            match i % 4 {
                0 => data.push_str(&format!("{i}\",\"a\nb\"\n")),
                1 => data.push_str(&format!("{i},\"x\"\"y\"\n")),
                2 => data.push_str(&format!("{i}\"\"\",\"\n\n\"\n")),
                _ => data.push_str(&format!("{i},plain\r\n")),
            }
        }
        let got = read(&data).await;
        assert_eq!(got.len(), 40);
        assert_eq!(got[0], row(&[("size", s("0\"")), ("note", s("a\nb"))]));
        assert_eq!(got[1], row(&[("size", s("1")), ("note", s("x\"y"))]));
        assert_eq!(got[2], row(&[("size", s("2\"\"\"")), ("note", s("\n\n"))]));
        assert_eq!(got[39], row(&[("size", s("39")), ("note", s("plain"))]));
    }

    /// Plain lines (no quotes) take a fast path; lines read a byte at a time go through
    /// csv-core: `read` checks both agree on empty fields, trailing delimiters, lone CRs
    /// (a record terminator), CRLF, multibyte text and ragged rows.
    #[tokio::test]
    async fn plain_lines_split_like_the_full_parser() {
        let data = "a,b,c\n,,\n1,2,\n,x,\r\nfoo,bar\rbaz,qux,quux\n\u{e9}t\u{e9},\u{1f600},z\nonly\n\n\r\n4,5,6\r";
        let got = read(data).await;
        let abc = |a: &str, b: &str, c: Option<&str>| {
            row(&[("a", s(a)), ("b", s(b)), ("c", c.map_or(Value::Null, s))])
        };
        assert_eq!(
            got,
            [
                abc("", "", Some("")),
                abc("1", "2", Some("")),
                abc("", "x", Some("")),
                abc("foo", "bar", None),
                abc("baz", "qux", Some("quux")),
                abc("\u{e9}t\u{e9}", "\u{1f600}", Some("z")),
                abc("only", "", None).map(|mut r| {
                    r[1].1 = Value::Null;
                    r
                }),
                abc("4", "5", Some("6")),
            ]
        );
        // Whole quoted fields take the fast path too; the rest goes to csv-core.
        let got = read("a,b,c\n\"q,1\",\"\",z\n\"a\"x,\"b\"\"c\",y\n\"e\",f,\"\"\n").await;
        assert_eq!(
            got,
            [
                abc("q,1", "", Some("z")),
                abc("ax", "b\"c", Some("y")),
                abc("e", "f", Some("")),
            ]
        );
        // Delimiters and a CR inside quotes, a trailing delimiter after a closing quote,
        // a quote that closes early: one pass over the line must find the same fields.
        let got = read("a,b,c\n\"x,,y\",\"1\",\n\"c\rr\",\",\",\"\"\"\"\nz,\"w\" ,v\n").await;
        assert_eq!(
            got,
            [
                abc("x,,y", "1", Some("")),
                abc("c\rr", ",", Some("\"")),
                abc("z", "w ", Some("v")),
            ]
        );
        let mut escaped = CsvOptions::default();
        escaped.escape = Some(b'\\');
        let got = read_with(b"a,b\n\"x\\\"y\",\"p,q\"\n", Format::CSV, &escaped).await;
        assert_eq!(got, [row(&[("a", s("x\"y")), ("b", s("p,q"))])]);
        let mut tsv = CsvOptions::default();
        tsv.delimiter = Some(b'\t');
        let got = read_with(b"a\tb\n1\t\n\t2\n", Format::TSV, &tsv).await;
        assert_eq!(
            got,
            [
                row(&[("a", s("1")), ("b", s(""))]),
                row(&[("a", s("")), ("b", s("2"))])
            ]
        );
    }

    #[tokio::test]
    async fn infer_types() {
        let mut options = CsvOptions::default();
        options.infer_types = true;
        let got = read_with(
            b"i,f,b,s,n,z\n42,-1.5e2,TRUE,007,,0\n",
            Format::CSV,
            &options,
        )
        .await;
        assert_eq!(
            got,
            [row(&[
                ("i", Value::Int(42)),
                ("f", Value::Float(-150.0)),
                ("b", Value::Bool(true)),
                ("s", s("007")),
                ("n", Value::Null),
                ("z", Value::Int(0)),
            ])]
        );
    }

    #[tokio::test]
    async fn empty_inputs() {
        assert_eq!(read("").await, []);
        assert_eq!(read("a,b\n").await, []);
        assert_eq!(read("\u{feff}").await, []);
        assert_eq!(read("\n\n").await, []);
    }

    #[tokio::test]
    async fn long_fields_and_many_columns_grow_the_buffers() {
        let names: Vec<String> = (0..300).map(|i| format!("c{i}")).collect();
        let big = "x".repeat(20_000);
        let values: Vec<String> = (0..300)
            .map(|i| {
                if i == 7 {
                    format!("\"{big}\"")
                } else {
                    i.to_string()
                }
            })
            .collect();
        let data = format!("{}\n{}\n", names.join(","), values.join(","));
        let got = read_with(data.as_bytes(), Format::CSV, &CsvOptions::default()).await;
        let r = got[0].as_ref().unwrap();
        assert_eq!(r.len(), 300);
        assert_eq!(r[7].1, s(&big));
        assert_eq!(r[299], ("c299".to_owned(), s("299")));
    }

    #[tokio::test]
    async fn aread_bulk_equals_the_stream() {
        let data: String = std::iter::once("a,b\n".to_owned())
            .chain((0..1000).map(|i| format!("{i},\"v{i}\"\n")))
            .collect();
        let streamed = read(&data).await;
        let mut it = csv::open_reader(
            std::io::Cursor::new(data.clone().into_bytes()),
            context(Format::CSV, &CsvOptions::default(), ErrorHandler::fail()),
        )
        .await
        .unwrap();
        let mut bulk = Vec::new();
        loop {
            let rows = it.aread_bulk(333).await.unwrap();
            if rows.is_empty() {
                break;
            }
            bulk.extend(
                rows.into_iter()
                    .map(|r| Ok(r.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect())),
            );
        }
        assert_eq!(bulk, streamed);
        assert_eq!(it.progress().rows, 1000);
        let one = csv::open_reader(
            std::io::Cursor::new(data.clone().into_bytes()),
            context(Format::CSV, &CsvOptions::default(), ErrorHandler::fail()),
        )
        .await
        .unwrap()
        .aread()
        .await
        .unwrap()
        .unwrap();
        assert_eq!(one["b"], s("v0"));
    }

    #[tokio::test]
    async fn io_error_is_yielded_once_then_the_stream_ends() {
        use std::pin::Pin;
        use std::task::{Context, Poll};
        use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

        struct Broken(bool);
        impl AsyncRead for Broken {
            fn poll_read(
                self: Pin<&mut Self>,
                _: &mut Context<'_>,
                _: &mut ReadBuf<'_>,
            ) -> Poll<std::io::Result<()>> {
                unreachable!()
            }
        }
        impl AsyncBufRead for Broken {
            fn poll_fill_buf(
                self: Pin<&mut Self>,
                _: &mut Context<'_>,
            ) -> Poll<std::io::Result<&[u8]>> {
                let this = self.get_mut();
                if this.0 {
                    Poll::Ready(Err(std::io::Error::other("disk on fire")))
                } else {
                    Poll::Ready(Ok(b"a\n1\n2"))
                }
            }
            fn consume(self: Pin<&mut Self>, _: usize) {
                self.get_mut().0 = true;
            }
        }
        let it = csv::open_reader(
            Broken(false),
            context(Format::CSV, &CsvOptions::default(), ErrorHandler::fail()),
        )
        .await
        .unwrap();
        let got = drain(it).await;
        assert_eq!(
            got,
            [row(&[("a", s("1"))]), Err("test.csv: disk on fire".into())]
        );
    }

    #[tokio::test]
    async fn writing_a_reader_is_unsupported() {
        let mut it = csv::open_reader(
            &b"a\n1\n"[..],
            context(Format::CSV, &CsvOptions::default(), ErrorHandler::fail()),
        )
        .await
        .unwrap();
        let err = it
            .awrite(&iterable_core::row! { "a" => 1 })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        assert_eq!(it.info().format, Format::CSV);
    }
}
