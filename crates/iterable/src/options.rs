//! [`IterableOptions`]: the builder for everything beyond a plain read.

use std::time::Duration;

use crate::progress::{ProgressEvent, ProgressEvery, ProgressHook};
use iterable_core::{
    AvroCodec, BoxIterable, Codec, ColumnarCompression, ErrorPolicy, ExtraKeys, FileOrder, Format,
    Mode, NestedValues, Options, Result, Sheet, TableMode,
};

/// Options of one open call, built fluently, then [`open`](Self::open)ed.
///
/// ```no_run
/// # async fn f() -> iterable::Result<()> {
/// use iterable::{ErrorPolicy, IterableOptions};
///
/// // A semicolon CSV in windows-1251, bad records to a dead-letter file.
/// let src = IterableOptions::read()
///     .delimiter(b';')
///     .encoding("windows-1251")
///     .errors(ErrorPolicy::DeadLetter("bad.jsonl".into()))
///     .open("export.csv.gz")
///     .await?;
/// // Write JSON with the rows under a key, whatever the name says.
/// let dst = IterableOptions::write().format(iterable::Format::JSON).tagname("items").open("-").await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IterableOptions {
    options: Options,
    progress: Option<ProgressHook>,
}

impl IterableOptions {
    /// Options to read (the default).
    pub fn read() -> Self {
        Self::default()
    }

    /// Options to write.
    pub fn write() -> Self {
        let mut o = Self::default();
        o.options.mode = Mode::Write;
        o
    }

    /// Wraps options already filled in.
    pub fn from_options(options: Options) -> Self {
        IterableOptions {
            options,
            progress: None,
        }
    }

    /// The options as they stand.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The options, to change fields that have no builder method.
    pub fn options_mut(&mut self) -> &mut Options {
        &mut self.options
    }

    /// Read or write.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.options.mode = mode;
        self
    }

    /// The format, instead of detecting it.
    pub fn format(mut self, format: Format) -> Self {
        self.options.format = Some(format);
        self
    }

    /// The codec, instead of detecting it (`Codec::None` forces no compression).
    pub fn codec(mut self, codec: Codec) -> Self {
        self.options.codec = Some(codec);
        self
    }

    /// The compression level for writing.
    pub fn compression_level(mut self, level: i32) -> Self {
        self.options.compression_level = Some(level);
        self
    }

    /// CSV: the field delimiter (otherwise sniffed for `.csv`, tab for `.tsv`).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.options.csv.delimiter = Some(delimiter);
        self
    }

    /// CSV: the quote character.
    pub fn quote(mut self, quote: u8) -> Self {
        self.options.csv.quote = quote;
        self
    }

    /// CSV: an escape character used instead of doubled quotes.
    pub fn escape(mut self, escape: u8) -> Self {
        self.options.csv.escape = Some(escape);
        self
    }

    /// CSV: lines starting with this byte are comments.
    pub fn comment(mut self, comment: u8) -> Self {
        self.options.csv.comment = Some(comment);
        self
    }

    /// CSV: whether the first record is a header (default true).
    pub fn has_header(mut self, has_header: bool) -> Self {
        self.options.csv.has_header = has_header;
        self
    }

    /// CSV: the text encoding (`windows-1251`, `latin1`, `utf-16le`, ...).
    pub fn encoding(mut self, label: impl Into<String>) -> Self {
        self.options.csv.encoding = Some(label.into());
        self
    }

    /// CSV: infer integers, floats, booleans and nulls instead of strings. JSON Lines
    /// read into record batches (`arrow::aopen_batches`, `arrow::aschema`): strings
    /// that are dates or date-times become them, as `convert` types them.
    pub fn infer_types(mut self, infer: bool) -> Self {
        self.options.csv.infer_types = infer;
        self
    }

    /// CSV writing: how many rows decide the header (their union of keys).
    pub fn header_scan_rows(mut self, rows: usize) -> Self {
        self.options.csv.header_scan_rows = rows.max(1);
        self
    }

    /// CSV writing: what to do with keys the header lacks.
    pub fn extra_keys(mut self, extra: ExtraKeys) -> Self {
        self.options.csv.extra_keys = extra;
        self
    }

    /// JSON: the key that holds the array of rows. XML: the name of the elements that
    /// are rows (reading) or of each row's element (writing). TOML: the array of
    /// tables that holds the rows (and that rows are written as).
    pub fn tagname(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        self.options.json.tagname = Some(key.clone());
        self.options.xml.tagname = Some(key.clone());
        self.options
            .format_options
            .insert("tagname".to_owned(), key);
        self
    }

    /// Sets a format option by its registry key, as the command line's flag names it
    /// (`delimiter`, `no_header`, `sheet`, a registered format's own `widths`):
    /// every format that takes the key in this mode gets the value. A key no format
    /// takes, or a value that does not parse, is [`Error::InvalidOption`](crate::Error).
    ///
    /// ```
    /// let options = iterable::IterableOptions::read().set("delimiter", "tab")?;
    /// assert_eq!(options.options().csv.delimiter, Some(b'\t'));
    /// # Ok::<(), iterable::Error>(())
    /// ```
    pub fn set(mut self, key: &str, value: &str) -> crate::Result<Self> {
        let mode = self.options.mode;
        iterable_formats::registry::apply_option(&mut self.options, mode, key, value)?;
        Ok(self)
    }

    /// XML reading: drop namespace prefixes (`dc:title` is read as `title`) and the
    /// `xmlns` declarations.
    pub fn strip_namespaces(mut self, strip: bool) -> Self {
        self.options.xml.strip_namespaces = strip;
        self
    }

    /// XML writing: the root element (default `root`).
    pub fn xml_root(mut self, name: impl Into<String>) -> Self {
        self.options.xml.root = name.into();
        self
    }

    /// Excel: the sheet to read by name (or the name of the sheet written).
    pub fn sheet(mut self, name: impl Into<String>) -> Self {
        self.options.xlsx.sheet = Some(Sheet::Name(name.into()));
        self
    }

    /// Excel reading: the sheet to read by its 0-based position.
    pub fn sheet_index(mut self, index: usize) -> Self {
        self.options.xlsx.sheet = Some(Sheet::Index(index));
        self
    }

    /// Excel reading: whether the first row names the columns (default true).
    pub fn sheet_has_header(mut self, has_header: bool) -> Self {
        self.options.xlsx.has_header = has_header;
        self
    }

    /// Avro writing: the codec of the container's blocks (default none).
    pub fn avro_codec(mut self, codec: AvroCodec) -> Self {
        self.options.avro.codec = codec;
        self
    }

    /// The largest record accepted, in bytes (default 64 MiB): a CSV record, a JSON
    /// Lines or LTSV line, a JSON array element, an XML row element's text, a YAML
    /// document. See [`Limits`](iterable_core::Limits) for what happens at the limit.
    pub fn max_record_bytes(mut self, bytes: usize) -> Self {
        self.options.limits.max_record_bytes = bytes;
        self
    }

    /// JSON, JSON Lines, BSON, MessagePack: what a key repeated in a record does
    /// (default: the last value wins, in the key's first place).
    pub fn duplicate_keys(mut self, rule: iterable_core::DuplicateKeys) -> Self {
        self.options.duplicate_keys = rule;
        self
    }

    /// XLSX: the most bytes a workbook may unpack to (default 1 GiB), by its members'
    /// declared sizes; Arrow IPC: the most a message's LZ4 or ZSTD buffers may unpack
    /// to, by the lengths they declare.
    pub fn max_unpacked_bytes(mut self, bytes: u64) -> Self {
        self.options.limits.max_unpacked_bytes = bytes;
        self
    }

    /// JSON writing: indent the output.
    pub fn pretty(mut self, pretty: bool) -> Self {
        self.options.json.pretty = pretty;
        self
    }

    /// What readers do with bad records.
    pub fn errors(mut self, policy: ErrorPolicy) -> Self {
        self.options.errors = policy;
        self
    }

    /// Rows per batch for bulk and columnar work.
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.options.batch_size = rows.max(1);
        self
    }

    /// Threads that parse CSV/TSV/PSV and JSON Lines in blocks: 1 (the default) none
    /// (parse where the reader is polled), 0 one per core. Rows come out in input order
    /// either way; see [`Parallelism`](iterable_core::Parallelism).
    pub fn parse_threads(mut self, threads: usize) -> Self {
        self.options.parallel.threads = threads;
        self
    }

    /// The size of the blocks parsed on other threads (default 256 KiB; at least 1 MiB
    /// where text is read straight into record batches, so that a block makes a batch).
    pub fn parse_block_bytes(mut self, bytes: usize) -> Self {
        self.options.parallel.block_bytes = bytes.max(1);
        self
    }

    /// The member of a zip archive to read.
    pub fn zip_member(mut self, name: impl Into<String>) -> Self {
        self.options.zip_member = Some(name.into());
        self
    }

    /// Parquet, Arrow IPC and database reading: only these columns, in this order
    /// (Parquet reads only their column chunks; a database selects only them).
    pub fn columns<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.options.columnar.columns = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Parquet reading: only these row groups (0-based).
    pub fn row_groups(mut self, groups: impl IntoIterator<Item = usize>) -> Self {
        self.options.columnar.row_groups = Some(groups.into_iter().collect());
        self
    }

    /// Parquet and Arrow IPC writing: the schema as `(column, Arrow type)` pairs
    /// (`("id", "Int64")`, `("at", "Timestamp(µs, \"UTC\")")`, `("n", "non-null Int32")`),
    /// instead of inferring it.
    pub fn schema<N: Into<String>, T: Into<String>>(
        mut self,
        columns: impl IntoIterator<Item = (N, T)>,
    ) -> Self {
        self.options.columnar.schema = Some(
            columns
                .into_iter()
                .map(|(n, t)| (n.into(), t.into()))
                .collect(),
        );
        self
    }

    /// Parquet and Arrow IPC writing: how many rows decide the inferred schema.
    pub fn schema_scan_rows(mut self, rows: usize) -> Self {
        self.options.columnar.schema_scan_rows = rows.max(1);
        self
    }

    /// Parquet writing: the most rows in one row group.
    pub fn row_group_size(mut self, rows: usize) -> Self {
        self.options.columnar.row_group_size = rows.max(1);
        self
    }

    /// Parquet and Arrow IPC writing: the compression (Parquet's default is snappy).
    pub fn columnar_compression(mut self, compression: ColumnarCompression) -> Self {
        self.options.columnar.compression = Some(compression);
        self
    }

    /// Arrow IPC writing: the stream form instead of the file form.
    pub fn ipc_stream(mut self, stream: bool) -> Self {
        self.options.columnar.ipc_stream = stream;
        self
    }

    /// Object stores: the region (S3).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.options.store.region = Some(region.into());
        self
    }

    /// Object stores: the endpoint of an S3-compatible server or emulator
    /// (`http://127.0.0.1:9000`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.options.store.endpoint = Some(endpoint.into());
        self
    }

    /// Object stores: allow a plain `http://` endpoint.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.options.store.allow_http = allow;
        self
    }

    /// Object stores: unsigned requests (public buckets), no credentials looked up.
    pub fn anonymous(mut self, anonymous: bool) -> Self {
        self.options.store.anonymous = anonymous;
        self
    }

    /// Object stores: a backend setting by its name (`aws_access_key_id`,
    /// `aws_secret_access_key`, `google_service_account`, `azure_storage_account_key`,
    /// ...); an unknown name fails the open.
    pub fn store_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.store.config.push((key.into(), value.into()));
        self
    }

    /// Object stores: retries of a transient failure (0: none; default 10).
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.options.store.max_retries = retries;
        self
    }

    /// Object stores: the first wait before a retry (doubling after each) and the
    /// longest wait.
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.options.store.initial_backoff = initial;
        self.options.store.max_backoff = max;
        self
    }

    /// Object stores, writing: the multipart upload part size in bytes (default 8 MiB).
    pub fn part_size(mut self, bytes: usize) -> Self {
        self.options.store.part_size = bytes.max(1);
        self
    }

    /// Many files: how many are read at the same time (default 4).
    pub fn concurrency(mut self, files: usize) -> Self {
        self.options.files.concurrency = files.max(1);
        self
    }

    /// Many files: rows in file order (the default) or as they arrive.
    pub fn order(mut self, order: FileOrder) -> Self {
        self.options.files.order = order;
        self
    }

    /// Local folders and globs: follow links to directories (default false). Each real
    /// directory is walked once, so a link loop (`self -> .`) ends.
    pub fn follow_links(mut self, follow: bool) -> Self {
        self.options.files.follow_links = follow;
        self
    }

    /// Add a column of this name holding each row's file location (many files, or
    /// one: the same column either way).
    pub fn location_column(mut self, name: impl Into<String>) -> Self {
        self.options.files.location_column = Some(name.into());
        self
    }

    /// Opens `location` with these options: a path, a `file://` path, `-` for
    /// stdin/stdout, an object store URL, or for reading a glob, prefix or folder.
    pub async fn open(&self, location: &str) -> Result<BoxIterable> {
        let opened = match self.options.mode {
            Mode::Read => crate::open::open_read(location, &self.options).await?,
            Mode::Write => crate::open::open_write(location, &self.options).await?,
        };
        Ok(self.reported(crate::nested::apply(opened, &self.options)))
    }

    /// Databases: the table to read or write.
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.options.database.table = Some(table.into());
        self
    }

    /// Databases: the query to read instead of a table.
    pub fn query(mut self, sql: impl Into<String>) -> Self {
        self.options.database.query = Some(sql.into());
        self
    }

    /// Databases, writing: create, append (the default), replace or upsert the table.
    pub fn table_mode(mut self, mode: TableMode) -> Self {
        self.options.database.mode = mode;
        self
    }

    /// Databases, writing: the key columns of an upsert (and the primary key of a table
    /// created).
    pub fn keys<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.options.database.keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Databases: the schema (namespace) of the table, for servers that have them
    /// (PostgreSQL); without it the server's search path finds the table.
    pub fn table_schema(mut self, schema: impl Into<String>) -> Self {
        self.options.database.schema = Some(schema.into());
        self
    }

    /// Writing: what becomes of lists and maps (default [`NestedValues::Json`]: kept by
    /// the formats that nest, JSON text in one column in the flat ones).
    pub fn nested(mut self, nested: NestedValues) -> Self {
        self.options.nested.write = nested;
        self
    }

    /// Writing: lists and maps spread into columns named by their path joined with
    /// `separator` (`user.name`, `tags.0`), for any format; see
    /// [`flatten_row`](crate::flatten_row).
    pub fn flatten(self, separator: &str) -> Self {
        self.nested(NestedValues::Flatten(separator.to_owned()))
    }

    /// Reading: columns whose names hold `separator` nested back into maps and lists;
    /// see [`unflatten_row`](crate::unflatten_row).
    pub fn unflatten(mut self, separator: &str) -> Self {
        self.options.nested.unflatten = Some(separator.to_owned());
        self
    }

    /// Calls `callback` every `every` as what is opened is read (or written), and once
    /// at its end; see [`with_progress`](crate::with_progress).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use iterable::{IterableOptions, ProgressEvery};
    ///
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let path = dir.path().join("in.csv");
    /// # std::fs::write(&path, "a\n1\n2\n3\n").unwrap();
    /// let mut src = IterableOptions::read()
    ///     .on_progress(ProgressEvery::Rows(2), |p| {
    ///         eprintln!("{} rows, {:?}% of {:?} bytes", p.rows_read, p.percent(), p.bytes_total)
    ///     })
    ///     .open(path.to_str().unwrap())
    ///     .await?;
    /// assert_eq!(src.aread_bulk(10).await?.len(), 3);
    /// # Ok::<(), iterable::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn on_progress(
        mut self,
        every: ProgressEvery,
        callback: impl Fn(&ProgressEvent) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(ProgressHook::new(every, callback));
        self
    }

    /// `opened`, reported to the progress callback when one is set.
    fn reported(&self, opened: BoxIterable) -> BoxIterable {
        match &self.progress {
            Some(hook) => hook.wrap(opened),
            None => opened,
        }
    }

    /// Reads several locations as one iterable, in the order given (a glob among them
    /// adds its files, sorted, at its place). Each file is detected on its own.
    pub async fn open_many<S: AsRef<str>>(&self, locations: &[S]) -> Result<BoxIterable> {
        if self.options.mode == Mode::Write {
            return Err(iterable_core::Error::InvalidOption(
                "several locations can only be read, not written".to_owned(),
            ));
        }
        let mut files = Vec::new();
        for location in locations {
            let location = location.as_ref();
            if iterable_io::names_many(location).await {
                files.extend(
                    iterable_io::expand_with(location, &self.options.store, &self.options.files)
                        .await?,
                );
            } else {
                files.push(location.to_owned());
            }
        }
        // Passwords of database URLs masked: the name shows in errors and progress.
        let named: Vec<String> = locations
            .iter()
            .map(|l| iterable_db::mask_password(l.as_ref()))
            .collect();
        let opened = crate::many::open_files(&named.join(", "), files, &self.options).await?;
        Ok(self.reported(crate::nested::apply(opened, &self.options)))
    }
}
