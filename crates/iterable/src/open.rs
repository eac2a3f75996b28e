//! Opening a location: detection, then the byte layer, then the format.

use iterable_core::detect::{self, sniff_delimiter, sniff_format};
use iterable_core::policy::ErrorHandler;
use iterable_core::{
    BoxIterable, Codec, Error, ErrorPolicy, Format, IterableInfo, Mode, Options, Result,
};
use iterable_formats::{ReadContext, WriteContext};

use crate::IterableOptions;
use crate::reopen::Reopening;

/// How many decoded bytes the format sniffer looks at.
const FORMAT_SNIFF_BYTES: usize = 4096;
/// How many decoded bytes the CSV delimiter sniffer looks at.
const DELIMITER_SNIFF_BYTES: usize = 64 * 1024;

/// Opens `location` for reading with format and codec detected.
///
/// `location` is a local path, a `file://` path, `-` for stdin, or (with its cargo
/// feature) an object store URL: `s3://`, `gs://`, `az://`/`abfs://`, `http(s)://`,
/// `memory://`. The format comes from the name (`data.csv.gz` is CSV in gzip), else
/// from the first bytes; a codec's magic number wins over the name, so a gzip file
/// named `.csv` still reads.
///
/// A glob (`data/2024-*.csv.gz`, `s3://bucket/logs/**/*.jsonl.zst`), a prefix ending
/// with `/` or a local folder reads every file it names as one iterable (see
/// [`IterableOptions::concurrency`], [`IterableOptions::order`] and
/// [`IterableOptions::location_column`]).
pub async fn aopen_iterable(location: &str) -> Result<BoxIterable> {
    IterableOptions::read().open(location).await
}

/// Opens for reading, rewindable by re-opening; a glob, prefix or folder reads many
/// files.
pub(crate) async fn open_read(location: &str, options: &Options) -> Result<BoxIterable> {
    if iterable_io::names_many(location).await {
        let files = iterable_io::expand(location, &options.store).await?;
        return crate::many::open_files(location, files, options).await;
    }
    let first = open_read_once(location, options).await?;
    Ok(Box::new(Reopening::new(first, location, options.clone())))
}

/// Formats that are containers of their own: their bytes are never sniffed for a codec
/// (an `.xlsx` file starts like a zip archive but is not one to unpack).
fn is_self_contained(format: Format) -> bool {
    matches!(
        format,
        Format::Parquet | Format::Arrow | Format::Avro | Format::Orc | Format::Xlsx
    )
}

pub(crate) async fn open_read_once(location: &str, options: &Options) -> Result<BoxIterable> {
    #[cfg(feature = "parquet")]
    if let Some(reader) = crate::random_access::open_parquet_in_place(location, options).await? {
        return Ok(reader);
    }
    #[cfg(all(feature = "parquet", feature = "store"))]
    if let Some(reader) = crate::random_access::open_parquet_in_store(location, options).await? {
        return Ok(reader);
    }
    let (reader, ctx) = open_bytes(location, options).await?;
    iterable_formats::open_reader(reader, ctx).await
}

/// The decoded bytes of `location` and the context its format reader needs (format
/// detected, CSV delimiter sniffed, text transcoded).
pub(crate) async fn open_bytes(
    location: &str,
    options: &Options,
) -> Result<(iterable_io::ByteReader, ReadContext)> {
    let hints = detect::from_name(location);
    let named_format = options.format.or(hints.format);
    let codec = options.codec.or_else(|| {
        (hints.codec == Codec::None && named_format.is_some_and(is_self_contained))
            .then_some(Codec::None)
    });
    let zip_member = options.zip_member.as_deref();
    let mut source =
        iterable_io::open_source_with(location, codec, zip_member, &options.store).await?;
    let member_format = source
        .member_name
        .as_deref()
        .and_then(|m| detect::from_name(m).format);
    let format = match options.format.or(member_format).or(hints.format) {
        Some(format) => format,
        None => {
            let head = source.peek(FORMAT_SNIFF_BYTES).await?;
            sniff_format(head).ok_or_else(|| Error::UnknownFormat {
                location: location.to_owned(),
                detail: Some(describe_unknown(head)),
                known: Format::known_names(),
            })?
        }
    };

    let mut options = options.clone();
    if format.is_delimited() && options.csv.delimiter.is_none() {
        let delimiter = if format == Format::Csv {
            let head = source.peek(DELIMITER_SNIFF_BYTES).await?;
            let at_eof = head.len() < DELIMITER_SNIFF_BYTES;
            sniff_delimiter(head, options.csv.quote, at_eof)
        } else {
            None
        };
        options.csv.delimiter = delimiter.or(format.default_delimiter());
    }

    let errors = match &options.errors {
        ErrorPolicy::Fail => ErrorHandler::fail(),
        ErrorPolicy::Skip => ErrorHandler::skip(),
        ErrorPolicy::DeadLetter(path) => {
            ErrorHandler::dead_letter(iterable_io::open_dead_letter(path)?)
        }
    };
    let info = IterableInfo {
        location: location.to_owned(),
        format,
        codec: source.codec,
        mode: Mode::Read,
    };
    let bytes_read = source.bytes_read.clone();
    let bytes_total = source.bytes_total;
    let mut reader = source.into_reader();
    if let Some(label) = options.csv.encoding.as_deref() {
        if !is_utf8_label(label) {
            reader = iterable_io::transcode_to_utf8(reader, label)?;
        }
    }
    let ctx = ReadContext {
        info,
        options,
        errors,
        bytes_read,
        bytes_total,
    };
    Ok((reader, ctx))
}

fn is_utf8_label(label: &str) -> bool {
    matches!(
        label.trim().to_ascii_lowercase().as_str(),
        "utf-8" | "utf8" | "unicode-1-1-utf-8"
    )
}

fn describe_unknown(head: &[u8]) -> String {
    if head.is_empty() {
        "the name has no known extension and the file is empty".to_owned()
    } else {
        let shown: String = head
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        format!("the name has no known extension and the first bytes ({shown}) match no format")
    }
}

pub(crate) async fn open_write(location: &str, options: &Options) -> Result<BoxIterable> {
    let (sink, ctx) = open_sink(location, options).await?;
    iterable_formats::open_writer(sink, ctx).await
}

/// The byte sink of `location` and the context its format writer needs.
pub(crate) async fn open_sink(
    location: &str,
    options: &Options,
) -> Result<(iterable_io::ByteSink, WriteContext)> {
    let hints = detect::from_name(location);
    let format = match options.format.or(hints.format) {
        Some(format) => format,
        None if location == "-" => Format::Jsonl,
        None => {
            return Err(Error::UnknownFormat {
                location: location.to_owned(),
                detail: Some("cannot tell the format to write from the name".to_owned()),
                known: Format::known_names(),
            });
        }
    };
    let codec = options.codec.unwrap_or(hints.codec);
    let level = options.compression_level;
    let sink = iterable_io::open_sink_with(location, codec, level, &options.store).await?;
    let mut options = options.clone();
    if format.is_delimited() && options.csv.delimiter.is_none() {
        options.csv.delimiter = format.default_delimiter();
    }
    let info = IterableInfo {
        location: location.to_owned(),
        format,
        codec,
        mode: Mode::Write,
    };
    Ok((sink, WriteContext { info, options }))
}

/// The names of the sheets of the Excel workbook at `location`, in workbook order.
///
/// ```no_run
/// # async fn f() -> iterable::Result<()> {
/// let sheets = iterable::sheet_names("report.xlsx").await?;
/// let second = iterable::IterableOptions::read().sheet(&sheets[1]).open("report.xlsx").await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "xlsx")]
pub async fn sheet_names(location: &str) -> Result<Vec<String>> {
    let source = iterable_io::open_source(location, None, None).await?;
    iterable_formats::xlsx::sheet_names(source.into_reader(), location).await
}
