//! Formats that need random access: a plain local Parquet file is read in place, page by
//! page, by parquet's synchronous reader on a blocking thread (only the footer and the
//! pages of the asked columns and row groups are read). A Parquet object in a store is
//! read by ranged requests through parquet's async reader. Anything else (stdin, a
//! compressed or zipped Parquet file, a file whose format is only sniffed) goes the
//! byte-stream way, where the Parquet reader spools it to a temporary file first.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use iterable_core::detect;
use iterable_core::policy::ErrorHandler;
use iterable_core::{BoxIterable, Codec, Error, Format, IterableInfo, Mode, Options, Result};
use iterable_formats::ReadContext;

/// Opens `location` in place when it is a plain local Parquet file (by name or by the
/// `format` option, no codec, no zip member); `None` when it is not one.
pub(crate) async fn open_parquet_in_place(
    location: &str,
    options: &Options,
) -> Result<Option<BoxIterable>> {
    match local_parquet(location, options).await? {
        Some((file, ctx)) => iterable_formats::columnar::open_parquet_file(file, ctx)
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// The open file and its read context when `location` is a plain local Parquet file.
pub(crate) async fn local_parquet(
    location: &str,
    options: &Options,
) -> Result<Option<(std::fs::File, ReadContext)>> {
    let hints = detect::from_name(location);
    let plain = options.codec.unwrap_or(hints.codec) == Codec::None && options.zip_member.is_none();
    if options.format.or(hints.format) != Some(Format::Parquet) || !plain {
        return Ok(None);
    }
    let Some(path) = iterable_io::local_path(location) else {
        return Ok(None);
    };
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| Error::io(location, e))?;
    let meta = file.metadata().await.map_err(|e| Error::io(location, e))?;
    if !meta.is_file() {
        return Ok(None);
    }
    let ctx = ReadContext {
        info: IterableInfo {
            location: location.to_owned(),
            format: Format::Parquet,
            codec: Codec::None,
            mode: Mode::Read,
        },
        options: options.clone(),
        errors: ErrorHandler::fail(),
        bytes_read: Arc::new(AtomicU64::new(0)),
        bytes_total: Some(meta.len()),
    };
    Ok(Some((file.into_std().await, ctx)))
}

/// Opens `location` by ranged reads when it is a plain Parquet object in a store:
/// parquet's `ParquetObjectReader` fetches the footer, then only the column chunks
/// asked for (`columns`, `row_groups`), never the whole object. `None` when it is not
/// one.
#[cfg(all(feature = "parquet", feature = "store"))]
pub(crate) async fn open_parquet_in_store(
    location: &str,
    options: &Options,
) -> Result<Option<BoxIterable>> {
    use iterable_io::object_store::ObjectStoreExt;
    use parquet::arrow::async_reader::ParquetObjectReader;

    let hints = detect::from_name(location);
    let plain = options.codec.unwrap_or(hints.codec) == Codec::None && options.zip_member.is_none();
    if options.format.or(hints.format) != Some(Format::Parquet) || !plain {
        return Ok(None);
    }
    let Some((store, path)) = iterable_io::object_store_at(location, &options.store)? else {
        return Ok(None);
    };
    let meta = store
        .head(&path)
        .await
        .map_err(|e| iterable_io::store_error(location, e))?;
    let reader = ParquetObjectReader::new(store, path).with_file_size(meta.size);
    let ctx = ReadContext {
        info: IterableInfo {
            location: location.to_owned(),
            format: Format::Parquet,
            codec: Codec::None,
            mode: Mode::Read,
        },
        options: options.clone(),
        errors: ErrorHandler::fail(),
        bytes_read: Arc::new(AtomicU64::new(0)),
        bytes_total: Some(meta.size),
    };
    iterable_formats::columnar::open_parquet(reader, ctx)
        .await
        .map(Some)
}
