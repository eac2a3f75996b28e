//! The one place that picks how a location is read, from its name detected once:
//!
//! - **in place**: a plain local file (no codec, no zip member) of a format whose
//!   registry entry reads seekable files (Parquet, ORC) is opened and handed to that
//!   reader, which reads only what it needs (Parquet: the footer and the asked pages);
//! - **ranged** (features `parquet` + `store`): a plain Parquet object in a store is
//!   read by ranged requests through parquet's async reader over `object_store`: a
//!   HEAD for the size, then the footer and the asked column chunks only;
//! - **bytes**: everything else goes through the byte layer (codec, zip member,
//!   transcoding) to the format's reader; a format that needs random access spools
//!   them to a temporary file first.
//!
//! Rows (`open.rs`) and batches (`arrow.rs`) both start here.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use iterable_core::policy::ErrorHandler;
use iterable_core::{
    BoxIterable, Codec, Error, ErrorPolicy, Format, IterableInfo, Mode, Options, Result,
};
use iterable_formats::ReadContext;
use iterable_formats::registry::{self, NameHints};

/// How many decoded bytes the format sniffer looks at.
const FORMAT_SNIFF_BYTES: usize = 4096;

/// Where a read starts.
pub(crate) enum Road {
    /// A seekable file, for a format that reads files in place.
    File(std::fs::File, ReadContext),
    /// A Parquet object in a store, read by ranged requests.
    #[cfg(all(feature = "parquet", feature = "store"))]
    StoreParquet(crate::store_parquet::StoreFileReader, ReadContext),
    /// Decoded bytes.
    Bytes(iterable_io::ByteReader, ReadContext),
}

impl Road {
    /// The read context the road carries (location, format, byte counters).
    #[cfg(feature = "arrow")]
    pub(crate) fn context(&self) -> &ReadContext {
        match self {
            Road::File(_, ctx) | Road::Bytes(_, ctx) => ctx,
            #[cfg(all(feature = "parquet", feature = "store"))]
            Road::StoreParquet(_, ctx) => ctx,
        }
    }
}

/// Picks the road for reading `location`.
pub(crate) async fn open_road(location: &str, options: &Options) -> Result<Road> {
    let hints = registry::from_name(location);
    let named = options.format.or(hints.format);
    let plain = options.codec.unwrap_or(hints.codec) == Codec::None && options.zip_member.is_none();
    if let Some(format) = named.filter(|_| plain) {
        let spec = registry::require(format, location)?;
        if spec.reads_files_in_place()
            && let Some(road) = in_place(location, format, options).await?
        {
            return Ok(road);
        }
        #[cfg(all(feature = "parquet", feature = "store"))]
        if format == Format::PARQUET
            && let Some(road) = ranged_parquet(location, options).await?
        {
            return Ok(road);
        }
    }
    let (reader, ctx) = open_bytes(location, options, hints).await?;
    Ok(Road::Bytes(reader, ctx))
}

/// The rows at the end of a road.
pub(crate) async fn open_rows(road: Road) -> Result<BoxIterable> {
    match road {
        Road::File(file, ctx) => match iterable_formats::open_file_reader(file, ctx).await? {
            Ok(rows) => Ok(rows),
            Err(_) => unreachable!("the road is a file only for formats that read files"),
        },
        #[cfg(all(feature = "parquet", feature = "store"))]
        Road::StoreParquet(reader, ctx) => iterable_formats::columnar::open_parquet(reader, ctx)
            .await
            .map(iterable_formats::KeepsRows::wrap),
        Road::Bytes(reader, ctx) => iterable_formats::open_boxed_reader(reader, ctx).await,
    }
}

/// The read context of `location` in `format` with the source's size.
fn context(
    location: &str,
    format: Format,
    codec: Codec,
    options: Options,
    bytes_read: Arc<AtomicU64>,
    bytes_total: Option<u64>,
) -> Result<ReadContext> {
    let errors = match &options.errors {
        ErrorPolicy::Fail => ErrorHandler::fail(),
        ErrorPolicy::Skip => ErrorHandler::skip(),
        ErrorPolicy::DeadLetter(path) => {
            ErrorHandler::dead_letter(iterable_io::open_dead_letter(path)?)
        }
    };
    Ok(ReadContext {
        info: IterableInfo {
            encoding: None,
            location: location.to_owned(),
            format,
            codec,
            mode: Mode::Read,
        },
        options,
        errors,
        bytes_read,
        bytes_total,
    })
}

/// `location` opened as a file when it is a regular local file.
async fn in_place(location: &str, format: Format, options: &Options) -> Result<Option<Road>> {
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
    let ctx = context(
        location,
        format,
        Codec::None,
        options.clone(),
        Arc::default(),
        Some(meta.len()),
    )?;
    Ok(Some(Road::File(file.into_std().await, ctx)))
}

/// A Parquet object in a store, when `location` is one.
#[cfg(all(feature = "parquet", feature = "store"))]
async fn ranged_parquet(location: &str, options: &Options) -> Result<Option<Road>> {
    use iterable_io::object_store::ObjectStoreExt;

    let Some((store, path)) = iterable_io::object_store_at(location, &options.store)? else {
        return Ok(None);
    };
    let meta = store
        .head(&path)
        .await
        .map_err(|e| iterable_io::store_error(location, e))?;
    let reader = crate::store_parquet::StoreFileReader::new(store, path, meta.size);
    let ctx = context(
        location,
        Format::PARQUET,
        Codec::None,
        options.clone(),
        Arc::default(),
        Some(meta.size),
    )?;
    Ok(Some(Road::StoreParquet(reader, ctx)))
}

/// The decoded bytes of `location` and the context its format reader needs.
///
/// 1. The codec: the option, else the raw stream's magic number when it has one, else
///    the name; a format that is a container of its own is never sniffed for one.
/// 2. The format: the option, else a zip member's name, else the outer name, else the
///    first 4 KiB of decoded bytes (each registered format's sniffer).
/// 3. The format's own look at the first bytes (CSV: the delimiter).
/// 4. A non-UTF-8 `encoding` wraps the reader in a streaming transcoder; without the
///    option, a format that takes one whose first 64 KiB are not valid UTF-8 is read in
///    the encoding detected in them (chardetng), named in `info().encoding`.
async fn open_bytes(
    location: &str,
    options: &Options,
    hints: NameHints,
) -> Result<(iterable_io::ByteReader, ReadContext)> {
    let named_format = options.format.or(hints.format);
    let is_container = named_format
        .and_then(registry::spec)
        .is_some_and(|s| s.capabilities.container);
    let codec = options
        .codec
        .or_else(|| (hints.codec == Codec::None && is_container).then_some(Codec::None));
    let zip_member = options.zip_member.as_deref();
    let mut source =
        iterable_io::open_source_with(location, codec, zip_member, &options.store).await?;
    let member_format = source
        .member_name
        .as_deref()
        .and_then(|m| registry::from_name(m).format);
    let format = match options.format.or(member_format).or(hints.format) {
        Some(format) => format,
        None => {
            let head = source.peek(FORMAT_SNIFF_BYTES).await?;
            registry::sniff(head).ok_or_else(|| Error::UnknownFormat {
                location: location.to_owned(),
                detail: Some(describe_unknown(head)),
                known: registry::known_names(),
            })?
        }
    };
    let spec = registry::require(format, location)?;

    let mut options = options.clone();
    if let Some(prepare) = spec.read_prepare {
        let head = source.peek(prepare.peek_bytes).await?;
        let at_eof = head.len() < prepare.peek_bytes;
        (prepare.apply)(&mut options, head, at_eof);
    }
    let bytes_read = source.bytes_read.clone();
    let bytes_total = source.bytes_total;
    let codec = source.codec;
    let detected = match options.csv.encoding {
        None if takes_encoding(spec) => {
            let head = source.peek(ENCODING_SNIFF_BYTES).await?;
            crate::encoding_detect::detect(head, head.len() < ENCODING_SNIFF_BYTES)
        }
        _ => None,
    };
    let mut reader = source.into_reader();
    let mut encoding = None;
    // A binary container (DBF) decodes its text fields in the option's encoding itself.
    let transcodes = !spec.capabilities.container;
    if let Some(label) = options.csv.encoding.as_deref().filter(|_| transcodes) {
        if !is_utf8_label(label) {
            reader = iterable_io::transcode_to_utf8(reader, label)?;
            encoding = encoding_rs::Encoding::for_label(label.trim().as_bytes()).map(|e| e.name());
        }
    } else if let Some(found) = detected {
        reader = iterable_io::transcode_to_utf8(reader, found)?;
        encoding = Some(found);
    }
    let mut ctx = context(location, format, codec, options, bytes_read, bytes_total)?;
    ctx.info.encoding = encoding;
    Ok((reader, ctx))
}

/// How much of a text file the encoding is detected from.
const ENCODING_SNIFF_BYTES: usize = 64 << 10;

/// Whether the format is text read in an `encoding` it is told (CSV, LTSV, fixed
/// width); a binary container that takes one (DBF, for its text fields) decodes it
/// itself.
fn takes_encoding(spec: &registry::FormatSpec) -> bool {
    !spec.capabilities.container && spec.read_options.iter().any(|o| o.key == "encoding")
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
