//! Opening a location: detection, then the byte layer, then the format.

use iterable_core::{BoxIterable, Codec, Error, Format, IterableInfo, Mode, Options, Result};
use iterable_formats::WriteContext;
use iterable_formats::registry;

use crate::IterableOptions;
use crate::reopen::Reopening;

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
    if crate::databases::to_read(location, options)?.is_some() {
        let first = open_read_once(location, options).await?;
        return Ok(Box::new(Reopening::new(first, location, options.clone())));
    }
    if iterable_io::names_many(location).await {
        let files = iterable_io::expand_with(location, &options.store, &options.files).await?;
        return crate::many::open_files(location, files, options).await;
    }
    let first = open_read_once(location, options).await?;
    let src: BoxIterable = Box::new(Reopening::new(first, location, options.clone()));
    // One file gets its location column as each file of many does.
    Ok(match options.files.location_column.as_deref() {
        Some(name) => crate::many::with_location_column(src, name, location),
        None => src,
    })
}

pub(crate) async fn open_read_once(location: &str, options: &Options) -> Result<BoxIterable> {
    if let Some(db) = crate::databases::to_read(location, options)? {
        return iterable_db::open_read(location, &db, options.batch_size).await;
    }
    let road = crate::road::open_road(location, options).await?;
    let rows = crate::road::open_rows(road).await?;
    Ok(crate::columns::select(rows, options))
}

pub(crate) async fn open_write(location: &str, options: &Options) -> Result<BoxIterable> {
    if let Some(db) = crate::databases::to_write(location, options)? {
        let scan = options.columnar.schema_scan_rows;
        return iterable_db::open_write(location, &db, options.batch_size, scan).await;
    }
    let (sink, ctx) = open_sink(location, options).await?;
    iterable_formats::open_boxed_writer(Box::new(sink), ctx).await
}

/// The byte sink of `location` and the context its format writer needs.
pub(crate) async fn open_sink(
    location: &str,
    options: &Options,
) -> Result<(iterable_io::ByteSink, WriteContext)> {
    let hints = registry::from_name(location);
    let format = match options.format.or(hints.format) {
        Some(format) => format,
        None if location == "-" => Format::JSONL,
        None => {
            return Err(Error::UnknownFormat {
                location: location.to_owned(),
                detail: Some("cannot tell the format to write from the name".to_owned()),
                known: registry::known_names(),
            });
        }
    };
    let codec = options.codec.unwrap_or(hints.codec);
    let level = options.compression_level;
    let spec = registry::require(format, location)?;
    // A format that compresses each record itself gets a plain sink.
    let sink_codec = if spec.compresses_records.contains(&codec) {
        Codec::None
    } else {
        codec
    };
    if !spec.capabilities.write {
        return Err(Error::unsupported(
            location,
            format!(
                "{format} is read only here: writing {} is not supported",
                format.name().to_uppercase()
            ),
        ));
    }
    spec.require_builders()?;
    let sink = iterable_io::open_sink_with(location, sink_codec, level, &options.store).await?;
    let options = options.clone();
    let info = IterableInfo {
        encoding: None,
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
    // A workbook is a zip archive its format reads itself: only a codec the name
    // gives is decoded first.
    let codec = registry::from_name(location).codec;
    let source = iterable_io::open_source(location, Some(codec), None).await?;
    iterable_formats::xlsx::sheet_names(source.into_reader(), location).await
}
