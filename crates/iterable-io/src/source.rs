//! Opening a location for reading: the raw stream, codec detection and the decoder.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use iterable_core::{Codec, Error, Result, StoreOptions};
use tokio::io::BufReader;

use crate::codec::{SNIFF_LEN, decoder, detect};
use crate::counting::CountingReader;
use crate::location::{Location, parse};
use crate::peek::Peekable;
use crate::read_ahead::read_file_ahead;
use crate::{BUF_SIZE, ByteReader};

/// Decoded bytes of one location, ready for a format parser.
pub struct ByteSource {
    /// The codec actually used (after sniffing).
    pub codec: Codec,
    /// Raw bytes consumed from the file or stdin so far (compressed bytes), updated as
    /// reads happen (read-ahead buffering included).
    pub bytes_read: Arc<AtomicU64>,
    /// The file size, when known (a regular file; not stdin or a pipe).
    pub bytes_total: Option<u64>,
    /// For a zip archive: the name of the member being read.
    pub member_name: Option<String>,
    location: String,
    reader: Peekable<ByteReader>,
}

impl fmt::Debug for ByteSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteSource")
            .field("location", &self.location)
            .field("codec", &self.codec)
            .field("bytes_read", &self.bytes_read)
            .field("bytes_total", &self.bytes_total)
            .field("member_name", &self.member_name)
            .finish_non_exhaustive()
    }
}

impl ByteSource {
    /// Up to `n` decoded bytes from the start (fewer only at the end of the stream),
    /// without consuming them. May be called several times with growing `n`.
    pub async fn peek(&mut self, n: usize) -> Result<&[u8]> {
        let location = &self.location;
        self.reader
            .peek(n)
            .await
            .map_err(|e| Error::io(location, e))
    }

    /// The decoded reader (peeked bytes are still at its front), buffered with about
    /// 64 KiB.
    pub fn into_reader(self) -> ByteReader {
        if self.reader.nothing_peeked() {
            self.reader.into_inner()
        } else {
            Box::new(self.reader)
        }
    }
}

/// Opens `location` for reading with default store options; see [`open_source_with`].
pub async fn open_source(
    location: &str,
    codec: Option<Codec>,
    zip_member: Option<&str>,
) -> Result<ByteSource> {
    open_source_with(location, codec, zip_member, &StoreOptions::default()).await
}

/// Opens `location` for reading: a local path, a `file://` path, `-` for stdin, or
/// (with the matching cargo feature) an object store URL, streamed as it downloads
/// with `store`'s credentials, endpoint and retry policy. A missing file or object is
/// [`Error::NotFound`] naming `location`.
///
/// `codec`: `Some(c)` forces it (`Some(Codec::None)` forces no decompression); `None`
/// detects: the magic bytes of the raw stream win when they name a codec (a gzip file
/// named `x.csv` reads as gzip), otherwise the name decides (brotli and raw deflate have
/// no magic). An empty file reads as zero bytes with [`Codec::None`] when its name names
/// no codec; under a codec's name (`x.csv.gz`) it is an error, since no compressed
/// stream is zero bytes long: the file was cut short.
///
/// `zip_member`: which member of a zip archive to read; without it an archive must hold
/// exactly one file. It is ignored for other codecs. A zip archive on stdin is
/// [`Error::Unsupported`].
pub async fn open_source_with(
    location: &str,
    codec: Option<Codec>,
    zip_member: Option<&str>,
    store: &StoreOptions,
) -> Result<ByteSource> {
    let place = parse(location)?;
    if place == Location::Std && codec == Some(Codec::Zip) {
        return Err(zip_from_stdin(location));
    }
    let count = Arc::new(AtomicU64::new(0));
    let (raw, bytes_total): (ByteReader, Option<u64>) = match &place {
        Location::Std => {
            let stdin = CountingReader::new(tokio::io::stdin(), count.clone());
            (Box::new(BufReader::with_capacity(BUF_SIZE, stdin)), None)
        }
        Location::Path(path) => {
            let file = tokio::fs::File::open(path)
                .await
                .map_err(|e| Error::io(location, e))?;
            let meta = file.metadata().await.map_err(|e| Error::io(location, e))?;
            if meta.is_dir() {
                return Err(Error::Io {
                    location: location.to_owned(),
                    source: io::Error::new(io::ErrorKind::InvalidInput, "is a folder, not a file"),
                });
            }
            let file = file.into_std().await;
            let reader = read_file_ahead(file, count.clone());
            (Box::new(reader), meta.is_file().then_some(meta.len()))
        }
        #[cfg(feature = "store")]
        Location::Store(url) => {
            if codec == Some(Codec::Zip) {
                return Err(zip_from_url(location));
            }
            crate::store::read::open_object(location, url, store, count.clone()).await?
        }
    };
    #[cfg(not(feature = "store"))]
    let _ = store;
    let mut raw = Peekable::new(raw);
    let head = raw
        .peek(SNIFF_LEN)
        .await
        .map_err(|e| Error::io(location, e))?;
    let codec = match codec {
        _ if head.is_empty() => empty_input_codec(location, codec)?,
        Some(forced) => forced,
        None => detect(location, head),
    };
    let (reader, member_name) = if codec == Codec::Zip {
        let path = match place {
            Location::Path(path) => path,
            Location::Std => return Err(zip_from_stdin(location)),
            #[cfg(feature = "store")]
            Location::Store(_) => return Err(zip_from_url(location)),
        };
        drop(raw);
        count.store(0, std::sync::atomic::Ordering::Relaxed);
        let (reader, name) =
            crate::zip::open_member(location, path, zip_member, count.clone()).await?;
        (reader, Some(name))
    } else {
        (decoder(codec, raw), None)
    };
    Ok(ByteSource {
        codec,
        bytes_read: count,
        bytes_total,
        member_name,
        location: location.to_owned(),
        reader: Peekable::new(reader),
    })
}

fn zip_from_stdin(location: &str) -> Error {
    Error::unsupported(
        location,
        "reading a zip archive from stdin is not supported (zip needs a seekable file)",
    )
}

#[cfg(feature = "store")]
fn zip_from_url(location: &str) -> Error {
    Error::unsupported(
        location,
        "reading a zip archive from a URL is not supported (zip needs a seekable file); download it first",
    )
}

/// An empty input is empty text, unless its name (or `forced`) says it is compressed:
/// no compressed stream or archive is zero bytes long (even of nothing), so that file
/// was cut short, and reading it as no rows would hide it.
fn empty_input_codec(location: &str, forced: Option<Codec>) -> Result<Codec> {
    let named = forced.unwrap_or_else(|| iterable_core::detect::name_parts(location).codec);
    if named == Codec::None {
        return Ok(Codec::None);
    }
    let what = if named == Codec::Zip {
        "zip archive"
    } else {
        "stream"
    };
    Err(Error::io(
        location,
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{named} {what} is truncated or corrupt: the file is empty (even an empty {named} {what} has a header)"
            ),
        ),
    ))
}
