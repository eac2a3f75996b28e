//! The formats on the blocking bridge, over in-memory bytes: input handed over one
//! byte at a time with `Pending` between reads gives the same rows as whole input,
//! the writer shuts its sink down exactly once on `aclose`, and Avro's logical types
//! written by another writer read as the mapping table says.
#![cfg(all(
    feature = "avro",
    feature = "bson",
    feature = "msgpack",
    feature = "xml",
    feature = "yaml"
))]

mod common;

use common::Sink;
use futures::StreamExt;
use iterable_core::{
    AsyncIterable, Codec, Decimal, Format, IterableInfo, Mode, Options, Row, Timestamp, Value, row,
};
use iterable_formats::testing::ChunkedReader;
use iterable_formats::{ReadContext, WriteContext, open_reader, open_writer};

fn info(format: Format, mode: Mode) -> IterableInfo {
    IterableInfo {
        encoding: None,
        location: format!("data.{format}"),
        format,
        codec: Codec::None,
        mode,
    }
}

fn options() -> Options {
    let mut o = Options::default();
    o.xml.tagname = Some("row".into());
    o
}

async fn write(format: Format, rows: &[Row]) -> Vec<u8> {
    let sink = Sink::default();
    let ctx = WriteContext {
        info: info(format, Mode::Write),
        options: options(),
    };
    let mut w = open_writer(sink.clone(), ctx).await.unwrap();
    w.awrite_bulk(rows).await.unwrap();
    w.aclose().await.unwrap();
    assert_eq!(*sink.shutdowns.lock().unwrap(), 1, "{format}");
    sink.bytes.lock().unwrap().clone()
}

async fn read(format: Format, bytes: Vec<u8>, chunk: usize, pending: bool) -> Vec<Row> {
    let reader = ChunkedReader::new(bytes, chunk, pending);
    let ctx = ReadContext::new(info(format, Mode::Read), options());
    let mut src = open_reader(reader, ctx).await.unwrap();
    let mut rows = Vec::new();
    while let Some(row) = src.next().await {
        rows.push(row.unwrap_or_else(|e| panic!("{format}: {e}")));
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_byte_reads_give_the_same_rows() {
    let rows: Vec<Row> = (0..50)
        .map(|i| row! { "id" => i.to_string(), "text" => "a <b> & 'c' \"d\" Zürich", "nested" => row! { "k" => format!("v{i}") } })
        .collect();
    for format in [
        Format::AVRO,
        Format::BSON,
        Format::MSGPACK,
        Format::XML,
        Format::YAML,
    ] {
        let bytes = write(format, &rows).await;
        let whole = bytes.len();
        assert_eq!(
            read(format, bytes.clone(), whole, false).await,
            rows,
            "{format}"
        );
        assert_eq!(
            read(format, bytes.clone(), 1, true).await,
            rows,
            "{format}: 1 byte"
        );
        assert_eq!(
            read(format, bytes, 7, false).await,
            rows,
            "{format}: 7 bytes"
        );
    }
}

/// A timestamp value from its text and zone.
fn ts(text: &str, tz: Option<&str>) -> Value {
    Value::Timestamp(Timestamp {
        datetime: text.parse().unwrap(),
        tz: tz.map(Into::into),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_logical_types_map_to_values() {
    use apache_avro::types::Value as A;
    let schema = apache_avro::Schema::parse_str(
        r#"{"type": "record", "name": "r", "fields": [
            {"name": "d", "type": {"type": "int", "logicalType": "date"}},
            {"name": "tm", "type": {"type": "int", "logicalType": "time-millis"}},
            {"name": "tu", "type": {"type": "long", "logicalType": "time-micros"}},
            {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "lt", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
            {"name": "dec", "type": {"type": "fixed", "name": "f", "size": 8, "logicalType": "decimal", "precision": 10, "scale": 3}},
            {"name": "color", "type": {"type": "enum", "name": "c", "symbols": ["red", "green"]}},
            {"name": "tags", "type": {"type": "map", "values": "long"}},
            {"name": "maybe", "type": ["null", "string"]}
        ]}"#,
    )
    .unwrap();
    let mut out = Vec::new();
    {
        let mut w = apache_avro::Writer::new(&schema, &mut out).unwrap();
        let mut tags = std::collections::HashMap::new();
        tags.insert("b".to_owned(), A::Long(2));
        tags.insert("a".to_owned(), A::Long(1));
        w.append_value(A::Record(vec![
            ("d".into(), A::Date(19_782)),
            ("tm".into(), A::TimeMillis(45_296_789)),
            ("tu".into(), A::TimeMicros(45_296_789_012)),
            ("ts".into(), A::TimestampMillis(1_709_209_801_123)),
            ("lt".into(), A::LocalTimestampMicros(-14_182_940_000_000)),
            (
                "dec".into(),
                A::Decimal(apache_avro::Decimal::from(
                    (-1_234_567i64).to_be_bytes().to_vec(),
                )),
            ),
            ("color".into(), A::Enum(1, "green".into())),
            ("tags".into(), A::Map(tags)),
            (
                "maybe".into(),
                A::Union(1, Box::new(A::String("yes".into()))),
            ),
        ]))
        .unwrap();
        w.flush().unwrap();
    }
    let rows = read(Format::AVRO, out, 3, true).await;
    assert_eq!(
        rows,
        [row! {
            "d" => Value::Date("2024-02-29".parse().unwrap()),
            "tm" => "12:34:56.789",
            "tu" => "12:34:56.789012",
            "ts" => ts("2024-02-29T12:30:01.123", Some("UTC")),
            "lt" => ts("1969-07-20T20:17:40", None),
            "dec" => Decimal { unscaled: -1_234_567, scale: 3 },
            "color" => "green",
            "tags" => row! { "a" => 1, "b" => 2 },
            "maybe" => "yes"
        }]
    );
}

/// The rest of Avro's types, written by apache-avro itself in snappy blocks: a named
/// type used twice (a reference), a recursive list, arrays of records, fixed, bytes,
/// uuid, duration, big-decimal, floats and the other timestamps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_named_types_and_nested_values_map_to_values() {
    use apache_avro::types::Value as A;
    let schema = apache_avro::Schema::parse_str(
        r#"{"type": "record", "name": "r", "fields": [
            {"name": "home", "type": {"type": "record", "name": "point", "fields": [
                {"name": "x", "type": "double"}, {"name": "y", "type": "float"}]}},
            {"name": "stops", "type": {"type": "array", "items": "point"}},
            {"name": "list", "type": {"type": "record", "name": "cell", "fields": [
                {"name": "v", "type": "int"}, {"name": "next", "type": ["null", "cell"]}]}},
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "raw", "type": "bytes"},
            {"name": "four", "type": {"type": "fixed", "name": "four", "size": 4}},
            {"name": "ok", "type": "boolean"},
            {"name": "span", "type": {"type": "fixed", "name": "span", "size": 12, "logicalType": "duration"}},
            {"name": "big", "type": {"type": "bytes", "logicalType": "big-decimal"}},
            {"name": "tn", "type": {"type": "long", "logicalType": "timestamp-nanos"}},
            {"name": "lm", "type": {"type": "long", "logicalType": "local-timestamp-millis"}}
        ]}"#,
    )
    .unwrap();
    let point =
        |x: f64, y: f32| A::Record(vec![("x".into(), A::Double(x)), ("y".into(), A::Float(y))]);
    let cell = |v: i32, next: Option<A>| {
        A::Record(vec![
            ("v".into(), A::Int(v)),
            (
                "next".into(),
                match next {
                    None => A::Union(0, Box::new(A::Null)),
                    Some(n) => A::Union(1, Box::new(n)),
                },
            ),
        ])
    };
    let uuid = "6a2f41a3-c54c-fce8-32d2-0324e1c32e22";
    let record = A::Record(vec![
        ("home".into(), point(1.5, 2.5)),
        (
            "stops".into(),
            A::Array(vec![point(0.0, -1.0), point(3.25, 4.0)]),
        ),
        ("list".into(), cell(1, Some(cell(2, Some(cell(3, None)))))),
        ("id".into(), A::Uuid(uuid.parse().unwrap())),
        ("raw".into(), A::Bytes(vec![0, 255])),
        ("four".into(), A::Fixed(4, b"abcd".to_vec())),
        ("ok".into(), A::Boolean(true)),
        (
            "span".into(),
            A::Duration(apache_avro::Duration::new(
                apache_avro::Months::new(1),
                apache_avro::Days::new(2),
                apache_avro::Millis::new(3),
            )),
        ),
        ("big".into(), A::BigDecimal("-12.345".parse().unwrap())),
        ("tn".into(), A::TimestampNanos(1_709_209_801_123_456_789)),
        ("lm".into(), A::LocalTimestampMillis(-1)),
    ]);
    let mut out = Vec::new();
    {
        let mut w =
            apache_avro::Writer::with_codec(&schema, &mut out, apache_avro::Codec::Snappy).unwrap();
        for _ in 0..3 {
            w.append_value(record.clone()).unwrap();
            w.flush().unwrap();
        }
    }
    let rows = read(Format::AVRO, out, 5, true).await;
    let want = row! {
        "home" => row! { "x" => 1.5, "y" => 2.5 },
        "stops" => vec![
            Value::Map(row! { "x" => 0.0, "y" => -1.0 }),
            Value::Map(row! { "x" => 3.25, "y" => 4.0 }),
        ],
        "list" => row! { "v" => 1, "next" => row! { "v" => 2, "next" => row! { "v" => 3, "next" => Value::Null } } },
        "id" => uuid,
        "raw" => Value::Bytes(vec![0, 255]),
        "four" => Value::Bytes(b"abcd".to_vec()),
        "ok" => true,
        "span" => row! { "months" => 1, "days" => 2, "millis" => 3 },
        "big" => Decimal { unscaled: -12_345, scale: 3 },
        "tn" => ts("2024-02-29T12:30:01.123456789", Some("UTC")),
        "lm" => ts("1969-12-31T23:59:59.999", None)
    };
    assert_eq!(rows, vec![want; 3]);
}

/// YAML scalars follow the 1.2 core schema: only `true`/`false` are booleans, and the
/// non-finite floats the writer writes read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yaml_reads_the_core_schema_and_its_own_non_finite_floats() {
    let text = b"a: NO\nb: yes\nc: True\nd: .inf\ne: -.inf\nf: .nan\ng: '017'\n".to_vec();
    let rows = read(Format::YAML, text, 4096, false).await;
    let r = &rows[0];
    assert_eq!(r["a"], Value::from("NO"));
    assert_eq!(r["b"], Value::from("yes"));
    assert_eq!(r["c"], Value::Bool(true));
    assert_eq!(r["d"], Value::Float(f64::INFINITY));
    assert_eq!(r["e"], Value::Float(f64::NEG_INFINITY));
    assert!(matches!(r["f"], Value::Float(f) if f.is_nan()));
    assert_eq!(r["g"], Value::from("017"));

    // The core schema's integers, exact past 64 bits; anchors, merges, !!binary, UTF-16.
    let text = "a: 017\nb: 123456789012345678901234567890\nc: -9223372036854775809\n\
                d: 0x1f\ne: !!str 5\nf: !!binary aGk=\nbase: &b {x: 1}\nrow: {<<: *b, y: 2}\n";
    let rows = read(Format::YAML, text.as_bytes().to_vec(), 5, false).await;
    let r = &rows[0];
    assert_eq!(r["a"], Value::Int(17));
    assert_eq!(
        r["b"],
        Value::Decimal(Decimal {
            unscaled: 123_456_789_012_345_678_901_234_567_890,
            scale: 0
        })
    );
    assert_eq!(
        r["c"],
        Value::Decimal(Decimal {
            unscaled: -9_223_372_036_854_775_809,
            scale: 0
        })
    );
    assert_eq!(r["d"], Value::Int(31));
    assert_eq!(r["e"], Value::from("5"));
    assert_eq!(r["f"], Value::Bytes(b"hi".to_vec()));
    assert_eq!(r["row"], Value::Map(row! { "y" => 2, "x" => 1 }));
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain("name: Zoë\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let rows = read(Format::YAML, utf16, 3, false).await;
    assert_eq!(rows, [row! { "name" => "Zoë" }]);

    let written = write(
        Format::YAML,
        &[row! { "inf" => f64::INFINITY, "nan" => f64::NAN }],
    )
    .await;
    let back = read(Format::YAML, written, 4096, false).await;
    assert_eq!(back[0]["inf"], Value::Float(f64::INFINITY));
    assert!(matches!(back[0]["nan"], Value::Float(f) if f.is_nan()));
}

async fn read_all(format: Format, bytes: &[u8]) -> Result<Vec<Row>, String> {
    let reader = ChunkedReader::new(bytes.to_vec(), 4096, false);
    let ctx = ReadContext::new(info(format, Mode::Read), Options::default());
    let mut src = open_reader(reader, ctx).await.map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    while let Some(row) = src.next().await {
        rows.push(row.map_err(|e| e.to_string())?);
    }
    Ok(rows)
}

/// An XML document is one element: a second root, or text before or after it, is an
/// error naming the place (comments and white space around it are fine).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_with_two_roots_or_text_outside_the_root_is_an_error() {
    let fine = b"<?xml version=\"1.0\"?>\n<!-- a -->\n<root><r><a>1</a></r></root>\n<!-- b -->\n";
    assert_eq!(read_all(Format::XML, fine).await.unwrap().len(), 1);
    let two = b"<root><r><a>1</a></r></root><root><r><a>2</a></r></root>";
    let err = read_all(Format::XML, two).await.unwrap_err();
    assert!(err.contains("data.xml: "), "{err}");
    assert!(
        err.contains("a second root element <root>: an XML document has one"),
        "{err}"
    );
    let trailing = b"<root><r><a>1</a></r></root>GARBAGE";
    let err = read_all(Format::XML, trailing).await.unwrap_err();
    assert!(err.contains("text after the root element"), "{err}");
    let leading = b"junk<root><r><a>1</a></r></root>";
    let err = read_all(Format::XML, leading).await.unwrap_err();
    assert!(err.contains("text before the root element"), "{err}");
}

/// The encoding an XML document declares (or its byte order mark says) is honoured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_in_latin1_or_utf16_reads_as_its_text() {
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<root><r><city>Z\xfcrich</city></r></root>\n";
    let rows = read_all(Format::XML, latin1).await.unwrap();
    assert_eq!(rows[0]["city"], Value::from("Zürich"));
    let text =
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<root><r><city>Zoë</city></r></root>\n";
    let mut utf16: Vec<u8> = vec![0xff, 0xfe];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let rows = read_all(Format::XML, &utf16).await.unwrap();
    assert_eq!(rows[0]["city"], Value::from("Zoë"));
}
