//! [`aconvert`]: every row of one location into another, format and codec from each
//! name, with a [`ConvertReport`] of what was done.

use std::time::{Duration, Instant};

use iterable_core::{Format, Result};

use crate::IterableOptions;
use crate::progress::{Counts, ProgressEvent, ProgressEvery, ProgressHook, ProgressTicker};
#[cfg(feature = "arrow")]
use iterable_formats::csv::ColumnType;
use iterable_formats::csv::{StringTyping, TextTypes};

/// Rows read and written at a time, by default.
pub const DEFAULT_CONVERT_BATCH: usize = 4096;

/// How [`aconvert`] reads, writes and reports.
///
/// ```
/// use iterable::{ConvertOptions, IterableOptions, ProgressEvery};
///
/// let options = ConvertOptions::new()
///     .read(IterableOptions::read().delimiter(b';'))
///     .write(IterableOptions::write().tagname("items"))
///     .on_progress(ProgressEvery::Rows(100_000), |p| eprintln!("{} rows", p.rows_read));
/// ```
#[derive(Clone)]
pub struct ConvertOptions {
    read: IterableOptions,
    write: IterableOptions,
    batch: usize,
    progress: Option<ProgressHook>,
    /// Whether text is typed by column: `None` decides by the formats.
    pub(crate) type_text: Option<bool>,
    /// Whether typed text's numbers with a fraction are exact decimals.
    pub(crate) decimals: bool,
    /// Files at a time in a bulk conversion.
    concurrency: usize,
    /// Row by row even where the columnar road applies.
    by_rows: bool,
}

impl std::fmt::Debug for ConvertOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvertOptions")
            .field("read", &self.read)
            .field("write", &self.write)
            .field("batch", &self.batch)
            .field("progress", &self.progress)
            .field("type_text", &self.type_text)
            .field("decimals", &self.decimals)
            .field("concurrency", &self.concurrency)
            .field("by_rows", &self.by_rows)
            .finish()
    }
}

impl Default for ConvertOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ConvertOptions {
    /// Default read and write options, 4096 rows at a time, no progress callback.
    pub fn new() -> Self {
        ConvertOptions {
            read: IterableOptions::read(),
            write: IterableOptions::write(),
            batch: DEFAULT_CONVERT_BATCH,
            progress: None,
            type_text: None,
            decimals: false,
            concurrency: crate::bulk::DEFAULT_BULK_CONCURRENCY,
            by_rows: false,
        }
    }

    /// How the input is read (format, codec, CSV dialect, error policy, columns, ...).
    pub fn read(mut self, options: IterableOptions) -> Self {
        self.read = options.mode(iterable_core::Mode::Read);
        self
    }

    /// How the output is written (format, codec, schema, compression, ...).
    pub fn write(mut self, options: IterableOptions) -> Self {
        self.write = options.mode(iterable_core::Mode::Write);
        self
    }

    /// Rows read and written at a time (at least 1).
    pub fn batch_rows(mut self, rows: usize) -> Self {
        self.batch = rows.max(1);
        self
    }

    /// Calls `callback` every `every` while converting, and once at the end with
    /// [`ProgressEvent::done`] set (after the output is closed). In a bulk conversion
    /// each file reports on its own (the event's `location` names it), files converting
    /// at the same time calling it from their tasks.
    pub fn on_progress(
        mut self,
        every: ProgressEvery,
        callback: impl Fn(&ProgressEvent) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(ProgressHook::new(every, callback));
        self
    }

    /// Whether the text of a text format (CSV, TSV, LTSV) is typed by column: integers,
    /// floats, booleans, dates, timestamps, and empty fields as nulls. By default it is
    /// when the output's columns are typed (Parquet, Arrow, Avro, ORC, XLSX, a database
    /// table): each column's type comes from the write options' schema, or else from the
    /// first `schema_scan_rows` rows (a column typed by them and a later field that does
    /// not fit is an error naming the row); text with a leading zero (`007`) stays text.
    /// The strings of JSON and JSON Lines, whose numbers and booleans are typed already,
    /// become dates and timestamps the same way (a column whose every sampled string is
    /// one), and nothing else: `"42"` stays a string. `true` types text for any output,
    /// `false` never.
    pub fn type_text(mut self, on: bool) -> Self {
        self.type_text = Some(on);
        self
    }

    /// Whether text typed by column (see [`type_text`](Self::type_text)) reads numbers
    /// with a fraction as exact decimals rather than floats: a column whose sampled
    /// fields are all plain numbers (no exponent) and at least one has a fraction becomes
    /// a decimal of 38 digits with as many places as the most the sample shows (Parquet
    /// and Arrow `Decimal128(38, places)`), so `0.1` stays `0.1` and sums add up to the
    /// cent. A later field with more places than that, or over 38 digits, is an error
    /// naming the row and column, never a rounded value. A decimal column of a given
    /// write schema reads its text exactly whether or not this is set. Off by default
    /// (floats, as polars and duckdb type them).
    pub fn decimals(mut self, on: bool) -> Self {
        self.decimals = on;
        self
    }

    /// Converts row by row even where the columnar road would be taken (delimited text
    /// into Parquet or Arrow IPC, read straight into record batches). Both roads give
    /// the same rows, types and errors; the columnar one is faster and holds less. Off
    /// by default.
    pub fn by_rows(mut self, on: bool) -> Self {
        self.by_rows = on;
        self
    }

    /// [`abulk_convert`](crate::abulk_convert): how many files convert at a time (at
    /// least 1; default 4).
    pub fn concurrency(mut self, files: usize) -> Self {
        self.concurrency = files.max(1);
        self
    }

    pub(crate) fn concurrency_limit(&self) -> usize {
        self.concurrency
    }

    /// The read options.
    pub fn read_options(&self) -> &IterableOptions {
        &self.read
    }

    /// The write options.
    pub fn write_options(&self) -> &IterableOptions {
        &self.write
    }
}

/// What one conversion did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConvertReport {
    /// The input location, as given (a database URL with its password masked).
    pub input: String,
    /// The output location, as given (a database URL with its password masked).
    pub output: String,
    /// Rows read from the input.
    pub rows_read: u64,
    /// Rows written to the output.
    pub rows_written: u64,
    /// Bad records skipped under the `Skip` or `DeadLetter` error policy.
    pub rows_skipped: u64,
    /// Bytes consumed from the input (compressed bytes for a compressed input).
    pub bytes_read: u64,
    /// Bytes the writer produced, before the output's codec compressed them.
    pub bytes_written: u64,
    /// From opening the input to closing the output.
    pub elapsed: Duration,
    /// The text encoding the input was read in when not UTF-8 (the `encoding` option's,
    /// or the one detected): [`IterableInfo::encoding`](crate::IterableInfo).
    pub input_encoding: Option<&'static str>,
}

/// Copies every row of `input` into `output` and says what it did.
///
/// Any location to any location: files, `-` (stdin, stdout), URLs, folders and globs
/// (read as one input, in order), format and codec from each name unless the options
/// say. Types are kept: from Parquet or Arrow into Parquet or Arrow, the input's schema
/// is the output's (widths, units, time zones), unless the write options give one;
/// into a typed format from an untyped one, the types are inferred from the first rows
/// (`schema_scan_rows`). Bad records follow the read options' error policy; the skipped
/// ones are counted in the report.
///
/// The output appears only when everything is written: an error (reading, writing,
/// closing) returns it and leaves no output file, and so does dropping the future
/// mid-way (the writer's temporary file goes with it).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use iterable::{ConvertOptions, aconvert, row, IterableOptions};
///
/// let dir = tempfile::tempdir().unwrap();
/// let csv = dir.path().join("people.csv.gz");
/// let mut out = IterableOptions::write().open(csv.to_str().unwrap()).await?;
/// out.awrite(&row! { "id" => 1, "name" => "Anna" }).await?;
/// out.awrite(&row! { "id" => 2, "name" => "Ben" }).await?;
/// out.aclose().await?;
///
/// let parquet = dir.path().join("people.parquet");
/// let report = aconvert(
///     csv.to_str().unwrap(),
///     parquet.to_str().unwrap(),
///     &ConvertOptions::new(),
/// )
/// .await?;
/// assert_eq!((report.rows_read, report.rows_written), (2, 2));
/// assert!(parquet.exists());
/// # Ok::<(), iterable::Error>(())
/// # }).unwrap();
/// ```
pub async fn aconvert(
    input: &str,
    output: &str,
    options: &ConvertOptions,
) -> Result<ConvertReport> {
    #[cfg(feature = "arrow")]
    if !options.by_rows && crate::convert_columnar::database_applies(input, output, options) {
        return crate::convert_columnar::convert_database(input, output, options).await;
    }
    #[cfg(feature = "arrow")]
    if !options.by_rows && crate::convert_columnar::applies(input, output, options).await {
        let format = options
            .read
            .options()
            .format
            .or(crate::registry::from_name(input).format)
            .unwrap_or(Format::CSV);
        let typed = wants_text_typing(format, output, &options.write, options);
        return crate::convert_columnar::convert(input, output, options, typed).await;
    }
    let started = Instant::now();
    let src = options.read.open(input).await?;
    convert_rows(src, (input, input), output, options, started).await
}

/// Copies every row of `inputs`, one after the other (each in its own format, as
/// [`IterableOptions::open_many`] reads them), into `output`, as [`aconvert`] does for
/// one input. A Parquet or Arrow output keeps the first input's types when they are
/// Parquet or Arrow too (the others must fit them). The report names the inputs
/// joined by `, `.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use iterable::{ConvertOptions, aconvert_many, row, IterableOptions};
///
/// let dir = tempfile::tempdir().unwrap();
/// let a = dir.path().join("a.csv");
/// let b = dir.path().join("b.jsonl");
/// std::fs::write(&a, "id,name\n1,Anna\n").unwrap();
/// std::fs::write(&b, "{\"id\": 2, \"name\": \"Ben\"}\n").unwrap();
/// let out = dir.path().join("all.jsonl");
/// let inputs = [a.to_str().unwrap(), b.to_str().unwrap()];
/// let report = aconvert_many(&inputs, out.to_str().unwrap(), &ConvertOptions::new()).await?;
/// assert_eq!(report.rows_written, 2);
/// # Ok::<(), iterable::Error>(())
/// # }).unwrap();
/// ```
pub async fn aconvert_many<S: AsRef<str> + Sync>(
    inputs: &[S],
    output: &str,
    options: &ConvertOptions,
) -> Result<ConvertReport> {
    match inputs {
        [] => Err(iterable_core::Error::InvalidOption(
            "convert: no input given".to_owned(),
        )),
        [one] => aconvert(one.as_ref(), output, options).await,
        many => {
            let started = Instant::now();
            let label = many
                .iter()
                .map(|i| i.as_ref())
                .collect::<Vec<_>>()
                .join(", ");
            let src = options.read.open_many(many).await?;
            convert_rows(src, (&label, many[0].as_ref()), output, options, started).await
        }
    }
}

/// The row road of a conversion: `src` read (named `input.0`; types kept from the
/// location `input.1`) into `output`.
async fn convert_rows(
    mut src: iterable_core::BoxIterable,
    (input, types_from): (&str, &str),
    output: &str,
    options: &ConvertOptions,
    started: Instant,
) -> Result<ConvertReport> {
    let input_encoding = src.info().encoding;
    let write = kept_types(types_from, output, src.info().format, options).await?;
    let mut dst = write.open(output).await?;
    let mut ticker = options.ticker(input);
    let scan = write.options().columnar.schema_scan_rows.max(1);
    let strings = string_typing(src.info().format, options.decimals);
    let mut typing = if wants_text_typing(src.info().format, output, &write, options) {
        Typing::Scanning(Vec::new())
    } else {
        Typing::Off
    };
    let mut rows_read = 0u64;
    let mut rows_out = 0u64;
    loop {
        let want = match &ticker {
            Some(t) => options.batch.min(t.rows_until_due(rows_read) as usize),
            None => options.batch,
        };
        let mut rows = src.aread_bulk(want).await?;
        let end = rows.is_empty();
        rows_read += rows.len() as u64;
        // Text waits until the first `scan` rows have decided its columns' types.
        if let Typing::Scanning(held) = &mut typing {
            held.append(&mut rows);
            if held.len() >= scan || end {
                let held = std::mem::take(held);
                let first = &held[..held.len().min(scan)];
                typing = match text_types(output, &write, first, strings)? {
                    Some(types) => Typing::On(types),
                    None => Typing::Off,
                };
                rows = held;
            }
        }
        if let Typing::On(types) = &mut typing {
            types.apply(&mut rows, rows_out + 1)?;
        }
        if !rows.is_empty() {
            rows_out += rows.len() as u64;
            dst.awrite_bulk(&rows).await?;
        }
        if end {
            break;
        }
        if let Some(t) = &mut ticker {
            let (read, written) = (&src, &dst);
            t.tick(rows_read, || Counts {
                read: read.progress(),
                rows_written: written.progress().rows,
            });
        }
    }
    if rows_out == 0 {
        // A source that declares its columns (a CSV header) and has no rows: the
        // output keeps them, where its format writes columns apart from rows.
        if let Some(columns) = src.columns() {
            dst.awrite_columns(&columns).await?;
        }
    }
    dst.aclose().await?;
    let (read, written) = (src.progress(), dst.progress());
    src.aclose().await?;
    Ok(ConvertReport::finished(
        (input, output),
        ticker.as_mut(),
        rows_read,
        (read, written),
        started,
        input_encoding,
    ))
}

impl ConvertOptions {
    /// The progress ticker of a conversion of `input`, when a callback is set.
    pub(crate) fn ticker(&self, input: &str) -> Option<ProgressTicker> {
        self.progress.as_ref().map(|hook| {
            ProgressTicker::new(
                hook.every,
                hook.callback.clone(),
                &iterable_db::mask_password(input),
            )
        })
    }
}

impl ConvertReport {
    /// The report of a finished conversion (after the last progress event is sent):
    /// `read` and `written` are the input's and the output's final progress.
    pub(crate) fn finished(
        (input, output): (&str, &str),
        ticker: Option<&mut ProgressTicker>,
        rows_read: u64,
        (read, written): (iterable_core::Progress, iterable_core::Progress),
        started: Instant,
        input_encoding: Option<&'static str>,
    ) -> ConvertReport {
        if let Some(t) = ticker {
            t.finish(Counts {
                read,
                rows_written: written.rows,
            });
        }
        ConvertReport {
            // As shown: database passwords masked.
            input: iterable_db::mask_password(input),
            output: iterable_db::mask_password(output),
            rows_read,
            rows_written: written.rows,
            rows_skipped: read.skipped,
            bytes_read: read.bytes,
            bytes_written: written.bytes,
            elapsed: started.elapsed(),
            input_encoding,
        }
    }
}

/// Whether the input's text is typed by column for the output (see
/// [`ConvertOptions::type_text`]).
fn wants_text_typing(
    input_format: Format,
    output: &str,
    write: &IterableOptions,
    options: &ConvertOptions,
) -> bool {
    let text_in = crate::registry::spec(input_format)
        .is_some_and(|s| s.capabilities.values == crate::registry::Values::Text)
        || string_typing(input_format, false) == StringTyping::Temporal;
    let output_format = write
        .options()
        .format
        .or(crate::registry::from_name(output).format);
    // A database's table has typed columns, as Parquet's do.
    let database_out = matches!(
        crate::databases::to_write(output, write.options()),
        Ok(Some(_))
    );
    let typed_out = database_out
        || output_format
            .and_then(crate::registry::spec)
            .is_some_and(|s| s.capabilities.typed_columns);
    options.type_text.unwrap_or(text_in && typed_out)
}

/// What the strings of `input_format` may become: dates and timestamps only for JSON
/// (its numbers and booleans are typed already), anything for the others (numbers with
/// a fraction as exact decimals when `decimals` asks).
pub(crate) fn string_typing(input_format: Format, decimals: bool) -> StringTyping {
    if matches!(input_format, Format::JSON | Format::JSONL) {
        StringTyping::Temporal
    } else if decimals {
        StringTyping::AnyExact
    } else {
        StringTyping::Any
    }
}

/// Where a conversion stands with typing text.
enum Typing {
    /// Text stays text.
    Off,
    /// The first rows, held until there are enough to decide the types.
    Scanning(Vec<iterable_core::Row>),
    /// The types decided.
    On(TextTypes),
}

/// The column types for `output`: by the write options' schema, or else from `first`
/// (the first `schema_scan_rows` rows); `None` when no column would change.
fn text_types(
    output: &str,
    write: &IterableOptions,
    first: &[iterable_core::Row],
    strings: StringTyping,
) -> Result<Option<TextTypes>> {
    let shown = iterable_db::mask_password(output);
    let types = match schema_types(write, &shown, strings)? {
        Some(types) => types,
        None => TextTypes::infer(first, strings, &shown),
    };
    Ok(types.changes_anything().then_some(types))
}

/// The column types of the write options' schema, when they give one.
#[cfg(feature = "arrow")]
fn schema_types(
    write: &IterableOptions,
    output: &str,
    strings: StringTyping,
) -> Result<Option<TextTypes>> {
    use crate::arrow::DataType;
    let Some(columns) = &write.options().columnar.schema else {
        return Ok(None);
    };
    let schema = crate::arrow::parse_schema(columns)?;
    let types = schema
        .fields()
        .iter()
        .map(|f| {
            let kind = match f.data_type() {
                t if t.is_integer() => ColumnType::Int,
                t if t.is_floating() => ColumnType::Float,
                DataType::Decimal32(_, scale)
                | DataType::Decimal64(_, scale)
                | DataType::Decimal128(_, scale)
                | DataType::Decimal256(_, scale) => match u8::try_from(*scale) {
                    Ok(scale) if u32::from(scale) <= 38 => ColumnType::Decimal(scale),
                    _ => ColumnType::Text,
                },
                DataType::Boolean => ColumnType::Bool,
                DataType::Date32 | DataType::Date64 => ColumnType::Date,
                DataType::Timestamp(_, None) => ColumnType::Timestamp,
                DataType::Timestamp(_, Some(_)) => ColumnType::TimestampUtc,
                _ => ColumnType::Text,
            };
            let kind = match (strings, kind) {
                (StringTyping::Any | StringTyping::AnyExact, kind) => kind,
                (
                    StringTyping::Temporal,
                    ColumnType::Int | ColumnType::Float | ColumnType::Decimal(_) | ColumnType::Bool,
                ) => ColumnType::Text,
                (StringTyping::Temporal, kind) => kind,
            };
            (f.name().clone(), kind)
        })
        .collect();
    Ok(Some(TextTypes::from_schema(types, output)))
}

#[cfg(not(feature = "arrow"))]
fn schema_types(_: &IterableOptions, _: &str, _: StringTyping) -> Result<Option<TextTypes>> {
    Ok(None)
}

/// The write options, with the input's schema when both ends are Parquet or Arrow and
/// the options give none (the input's exact types: widths, units, time zones).
async fn kept_types(
    input: &str,
    output: &str,
    input_format: Format,
    options: &ConvertOptions,
) -> Result<IterableOptions> {
    let write = options.write.clone();
    #[cfg(feature = "arrow")]
    {
        let output_format = write
            .options()
            .format
            .or(crate::registry::from_name(output).format);
        let typed = |f: Option<Format>| matches!(f, Some(Format::PARQUET | Format::ARROW));
        // A server database's catalog types its columns as a columnar file does.
        let typed_input =
            typed(Some(input_format)) || matches!(input_format.name(), "postgres" | "mysql");
        if write.options().columnar.schema.is_none() && typed(output_format) && typed_input {
            return Ok(write.schema(input_schema(input, &options.read).await?));
        }
    }
    #[cfg(not(feature = "arrow"))]
    let _ = (input, output, input_format);
    Ok(write)
}

/// The columns of a Parquet or Arrow input as read (after `columns`), as text pairs.
#[cfg(feature = "arrow")]
async fn input_schema(input: &str, read: &IterableOptions) -> Result<Vec<(String, String)>> {
    let schema = crate::arrow::aschema(input, read).await?;
    let all = crate::arrow::schema_to_text(&schema);
    Ok(match &read.options().columnar.columns {
        None => all,
        Some(names) => names
            .iter()
            .filter_map(|n| all.iter().find(|(c, _)| c == n).cloned())
            .collect(),
    })
}
