//! Options every reader and writer takes. The facade's `IterableOptions` builder
//! fills an [`Options`]; formats read the part that concerns them.

use crate::{Codec, FilesOptions, Format, Limits, Mode, StoreOptions};

/// What a reader does with a record it cannot parse.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ErrorPolicy {
    /// Yield the error and end the stream (the default).
    #[default]
    Fail,
    /// Skip the record and go on; skipped records are counted in `progress()`.
    Skip,
    /// Skip the record and append it, raw and with its position and error, as one JSON
    /// line to this file.
    DeadLetter(String),
}

/// What a reader does with a key repeated within one record (JSON, JSON Lines, BSON,
/// MessagePack: the record's own keys, not those of maps nested in it; YAML: every
/// mapping, since YAML forbids repeated keys in any).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicateKeys {
    /// The last value wins, in the key's first place (the default: what JavaScript,
    /// Python's `json` and serde_json do).
    #[default]
    Last,
    /// The first value wins; later ones are dropped.
    First,
    /// A repeated key makes the record bad: the error policy applies.
    Error,
}

impl std::str::FromStr for DuplicateKeys {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "last" => Ok(DuplicateKeys::Last),
            "first" => Ok(DuplicateKeys::First),
            "error" => Ok(DuplicateKeys::Error),
            _ => Err(crate::Error::InvalidOption(format!(
                "--duplicate-keys takes last, first or error, not {s:?}"
            ))),
        }
    }
}

impl DuplicateKeys {
    /// The message of a repeated key under [`DuplicateKeys::Error`].
    pub fn message(key: &str) -> String {
        format!(
            "the key {key:?} is repeated in the record (--duplicate-keys last or first reads it)"
        )
    }
}

/// What a CSV writer does with a row that has a key its header lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExtraKeys {
    /// An error that names the key (the default): nothing is dropped silently.
    #[default]
    Error,
    /// Drop the value, on purpose.
    Ignore,
}

/// Options of the delimited text formats (CSV, TSV, PSV).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsvOptions {
    /// The field delimiter; sniffed from the first lines when `None` and the name is
    /// `.csv` (`,` `;` tab `|`), tab for `.tsv`, `|` for `.psv`.
    pub delimiter: Option<u8>,
    /// The quote character (default `"`). A quote inside a quoted field is doubled.
    pub quote: u8,
    /// An escape character (as in `\"`) instead of doubled quotes, if any.
    pub escape: Option<u8>,
    /// Lines starting with this byte are comments, skipped.
    pub comment: Option<u8>,
    /// Whether the first record names the columns (default true). Without a header the
    /// columns are named `column_1`, `column_2`, ...
    pub has_header: bool,
    /// The text encoding label (WHATWG names: `windows-1251`, `latin1`, `utf-16le`, ...);
    /// UTF-8 when `None`. A UTF-8 BOM is always stripped.
    pub encoding: Option<String>,
    /// Turn fields that look like integers, floats and booleans into typed values, and
    /// empty fields into null (default false: every field is a string).
    pub infer_types: bool,
    /// Writing: how many rows to look at before writing the header; the header is the
    /// union of their keys in first-seen order (default 1: the first row's keys).
    pub header_scan_rows: usize,
    /// Writing: what to do with a key the header lacks.
    pub extra_keys: ExtraKeys,
    /// Writing: the line terminator (default `\n`).
    pub crlf: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: None,
            quote: b'"',
            escape: None,
            comment: None,
            has_header: true,
            encoding: None,
            infer_types: false,
            header_scan_rows: 1,
            extra_keys: ExtraKeys::Error,
            crlf: false,
        }
    }
}

/// Options of JSON and JSON Lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct JsonOptions {
    /// JSON: the key of the top-level object that holds the array of rows. Without it the
    /// top level must be an array (or one object, read as one row).
    pub tagname: Option<String>,
    /// JSON writing: indent the output.
    pub pretty: bool,
}

/// How a columnar writer compresses its pages (Parquet) or buffers (Arrow IPC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnarCompression {
    /// No compression.
    None,
    /// Snappy (Parquet and ORC).
    Snappy,
    /// Zstandard (Parquet, ORC and Arrow IPC; Parquet's and ORC's default here); the
    /// level comes from `compression_level` (Parquet; ORC writes zstd's default level).
    Zstd,
    /// Gzip (Parquet; ORC's zlib); the level comes from `compression_level` (Parquet).
    Gzip,
    /// LZ4 (Parquet: LZ4_RAW; ORC: LZ4 blocks; Arrow IPC: LZ4 frame).
    Lz4,
    /// Brotli (Parquet only); the level comes from `compression_level`.
    Brotli,
}

impl ColumnarCompression {
    /// The name, as [`FromStr`](std::str::FromStr) reads it.
    pub fn name(self) -> &'static str {
        match self {
            ColumnarCompression::None => "none",
            ColumnarCompression::Snappy => "snappy",
            ColumnarCompression::Zstd => "zstd",
            ColumnarCompression::Gzip => "gzip",
            ColumnarCompression::Lz4 => "lz4",
            ColumnarCompression::Brotli => "brotli",
        }
    }
}

impl std::str::FromStr for ColumnarCompression {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "none" | "uncompressed" => ColumnarCompression::None,
            "snappy" => ColumnarCompression::Snappy,
            "zstd" => ColumnarCompression::Zstd,
            "gzip" | "gz" => ColumnarCompression::Gzip,
            "lz4" | "lz4_raw" => ColumnarCompression::Lz4,
            "brotli" | "br" => ColumnarCompression::Brotli,
            other => {
                return Err(crate::Error::InvalidOption(format!(
                    "unknown columnar compression {other:?}; known: none, snappy, zstd, gzip, lz4, brotli"
                )));
            }
        })
    }
}

/// Options of the columnar formats (Parquet, Arrow IPC).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ColumnarOptions {
    /// Reading: only these columns, in this order (all columns when `None`). Parquet
    /// reads only their column chunks; a name the file lacks is an error.
    pub columns: Option<Vec<String>>,
    /// Parquet reading: only these row groups (0-based), in the order given.
    pub row_groups: Option<Vec<usize>>,
    /// Writing: the schema, as `(column, type)` pairs where the type is Arrow's text
    /// form (`Int64`, `Utf8`, `Timestamp(µs, "UTC")`, `List(Int64)`, ... as
    /// `iterable schema` prints it). When `None` the schema is inferred from the first
    /// [`schema_scan_rows`](Self::schema_scan_rows) rows.
    pub schema: Option<Vec<(String, String)>>,
    /// Writing: how many rows decide the inferred schema, and the types of text typed
    /// by column (default 10,000: thousands, as polars and duckdb sample).
    pub schema_scan_rows: usize,
    /// Parquet writing: the most rows in one row group (default 1,048,576; a row group
    /// is also closed once the writer holds 4 MiB of it).
    pub row_group_size: usize,
    /// Writing: the compression; `None` is the format's default (Parquet: zstd at
    /// level 1; ORC: zstd; Arrow IPC: none).
    pub compression: Option<ColumnarCompression>,
    /// Arrow IPC writing: the stream form instead of the file form (also chosen by a
    /// `.arrows` name).
    pub ipc_stream: bool,
}

impl Default for ColumnarOptions {
    fn default() -> Self {
        ColumnarOptions {
            columns: None,
            row_groups: None,
            schema: None,
            schema_scan_rows: 10_000,
            row_group_size: 1 << 20,
            compression: None,
            ipc_stream: false,
        }
    }
}

/// How the readers of line-based text (CSV, TSV, PSV, JSON Lines) use the machine's
/// cores. The input is cut into blocks at record boundaries; blocks are parsed on
/// blocking threads, a few at a time, and their rows come out in input order, with the
/// error policy applied in that order too, so the result is exactly that of parsing on
/// one thread. A block whose end turns out not to be a record boundary (a quote the
/// cheap boundary scan misread) makes the reader go on with one thread from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parallelism {
    /// Parsing threads: 1 (the default) parses on the task that polls the reader, with
    /// no thread of its own; 0 means one per core. On the 2-core machine the benchmarks
    /// run on, blocks cost more than they save (rows made on one thread and freed on
    /// another; see BENCHMARKS.md), so they are opt-in.
    pub threads: usize,
    /// The size of a block, in bytes (default 256 KiB). A block holds whole records, so
    /// one longer record makes its block longer. At most `threads + 1` blocks, and
    /// their rows, are held at a time.
    pub block_bytes: usize,
}

impl Default for Parallelism {
    fn default() -> Self {
        Parallelism {
            threads: 1,
            block_bytes: 256 << 10,
        }
    }
}

impl Parallelism {
    /// One thread: parse where the reader is polled.
    pub fn sequential() -> Self {
        Parallelism {
            threads: 1,
            ..Default::default()
        }
    }

    /// The number of parsing threads this asks for on this machine (at least 1).
    pub fn resolved_threads(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

/// Options of XML.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct XmlOptions {
    /// Reading: the name of the elements that are rows, at any depth (`book`); without
    /// it, every child element of the root is a row. Writing: the element of each row
    /// (default `item`).
    pub tagname: Option<String>,
    /// Reading: drop namespace prefixes from element and attribute names (`dc:title`
    /// becomes `title`) and drop the `xmlns` declarations (default false: names are
    /// kept as written).
    pub strip_namespaces: bool,
    /// Writing: the root element (default `root`).
    pub root: String,
}

impl Default for XmlOptions {
    fn default() -> Self {
        XmlOptions {
            tagname: None,
            strip_namespaces: false,
            root: "root".to_owned(),
        }
    }
}

/// Which sheet of a workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sheet {
    /// The sheet with this name.
    Name(String),
    /// The sheet at this 0-based position.
    Index(usize),
}

/// Options of Excel workbooks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct XlsxOptions {
    /// Reading: the sheet to read (default the first). Writing: a [`Sheet::Name`] names
    /// the one sheet written (default `Sheet1`).
    pub sheet: Option<Sheet>,
    /// Reading: whether the first row of the sheet names the columns (default true).
    /// Without a header the columns are `column_1`, `column_2`, ...
    pub has_header: bool,
}

impl Default for XlsxOptions {
    fn default() -> Self {
        XlsxOptions {
            sheet: None,
            has_header: true,
        }
    }
}

/// The compression inside an Avro container file (each block is compressed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AvroCodec {
    /// No compression (the default).
    #[default]
    Null,
    /// Deflate.
    Deflate,
    /// Snappy (with the CRC32 trailer the spec asks for).
    Snappy,
    /// Zstandard.
    Zstd,
}

/// Options of Avro.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AvroOptions {
    /// Writing: the codec of the container's blocks. Reading takes it from the file.
    pub codec: AvroCodec,
}

/// How a writer treats the table it writes to (databases).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TableMode {
    /// Adds the rows; the table is created (from the rows' types) when missing (the
    /// default).
    #[default]
    Append,
    /// Creates the table from the rows' types; an error when it exists.
    Create,
    /// Drops the table and creates it again from the rows.
    Replace,
    /// Inserts the rows, and a row whose key columns match one already there replaces
    /// its other columns ([`DatabaseOptions::keys`]).
    Upsert,
}

/// Options of databases as locations (`sqlite://file.db?table=t`, `.sqlite`, `.db`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DatabaseOptions {
    /// The table read or written.
    pub table: Option<String>,
    /// Reading: a query instead of a table.
    pub query: Option<String>,
    /// Writing: what happens to the table.
    pub mode: TableMode,
    /// Writing: the key columns of [`TableMode::Upsert`] (and the primary key of a
    /// table it creates).
    pub keys: Vec<String>,
    /// The schema (namespace) of the table, for servers that have them (PostgreSQL);
    /// `None`: the server's search path. A table named `sales.orders` with no schema
    /// given is the table `orders` of the schema `sales`.
    pub schema: Option<String>,
    /// Reading a table: only these columns, in this order (empty: all of them).
    pub columns: Vec<String>,
}

/// What a writer does with nested values (lists and maps).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NestedValues {
    /// Formats that nest keep them; the flat ones (CSV, TSV, PSV, LTSV, XLSX) write each
    /// as its JSON text in one column (the default).
    #[default]
    Json,
    /// Every writer gets them flattened into columns named by their path joined with
    /// this separator: `{"a": {"b": 1}, "l": [5, 6]}` becomes `a.b`, `l.0`, `l.1` (an
    /// empty list or map becomes null).
    Flatten(String),
    /// A flat format refuses them: an error naming the row and the column.
    Fail,
}

/// How nested values meet formats whose columns are flat.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct NestedOptions {
    /// Writing: what happens to lists and maps.
    pub write: NestedValues,
    /// Reading: columns whose names hold this separator are nested back (`a.b` into a
    /// map `a`, `l.0`, `l.1` into a list `l`), the reverse of
    /// [`NestedValues::Flatten`].
    pub unflatten: Option<String>,
}

/// All the options of one open call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Read (the default) or write.
    pub mode: Mode,
    /// The format, when not to be detected.
    pub format: Option<Format>,
    /// The codec, when not to be detected (`Some(Codec::None)` forces none).
    pub codec: Option<Codec>,
    /// CSV/TSV/PSV options.
    pub csv: CsvOptions,
    /// JSON and JSON Lines options.
    pub json: JsonOptions,
    /// Parquet and Arrow IPC options.
    pub columnar: ColumnarOptions,
    /// XML options.
    pub xml: XmlOptions,
    /// Excel workbook options.
    pub xlsx: XlsxOptions,
    /// Avro options.
    pub avro: AvroOptions,
    /// What readers do with a bad record.
    pub errors: ErrorPolicy,
    /// How much one record may take.
    pub limits: Limits,
    /// What readers do with a key repeated within a record.
    pub duplicate_keys: DuplicateKeys,
    /// Rows per batch for bulk reads and columnar formats (default 8192).
    pub batch_size: usize,
    /// The member of a zip archive to read, when it holds several.
    pub zip_member: Option<String>,
    /// The compression level for writing (codec-specific; `None`: the codec's default).
    pub compression_level: Option<i32>,
    /// How line-based text readers spread parsing over cores.
    pub parallel: Parallelism,
    /// How to reach object stores (`s3://`, `gs://`, `az://`, `http(s)://`).
    pub store: StoreOptions,
    /// Reads over many files: concurrency, order, the location column.
    pub files: FilesOptions,
    /// Nested values and flat formats: flatten, unflatten, or refuse.
    pub nested: NestedOptions,
    /// Databases: the table or query, and how a table is written.
    pub database: DatabaseOptions,
    /// Options of formats that have no field above (a registered format's own
    /// options, by key: `widths` → `3,10`). The registry's option descriptions put
    /// them here; the format reads them back by key.
    pub format_options: std::collections::BTreeMap<String, String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::Read,
            format: None,
            codec: None,
            csv: CsvOptions::default(),
            json: JsonOptions::default(),
            columnar: ColumnarOptions::default(),
            xml: XmlOptions::default(),
            xlsx: XlsxOptions::default(),
            avro: AvroOptions::default(),
            errors: ErrorPolicy::Fail,
            limits: Limits::default(),
            duplicate_keys: DuplicateKeys::default(),
            batch_size: 8192,
            zip_member: None,
            compression_level: None,
            parallel: Parallelism::default(),
            store: StoreOptions::default(),
            files: FilesOptions::default(),
            nested: NestedOptions::default(),
            database: DatabaseOptions::default(),
            format_options: Default::default(),
        }
    }
}
