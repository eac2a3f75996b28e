//! Codec choice and the decoder/encoder stacks (async-compression's tokio adapters).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_compression::Level;
use async_compression::tokio::bufread as de;
use async_compression::tokio::write as en;
use iterable_core::Codec;
use iterable_core::detect::name_parts;
use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, BufReader, ReadBuf};

use crate::{BUF_SIZE, ByteReader};

/// A boxed byte writer.
pub(crate) type ByteWriter = Box<dyn AsyncWrite + Send + Unpin>;

/// How many raw bytes detection wants to see: enough to tell a zlib header followed
/// by compressed bytes from text that happens to start with one, and to read the name
/// of a zip archive's first member.
pub(crate) const SNIFF_LEN: usize = 64;

/// The codec of a raw stream that starts with `head` (at least [`SNIFF_LEN`] bytes
/// unless the stream is shorter): a magic number wins, the name decides otherwise.
/// A zip archive whose first member says it is a document (an OpenDocument file's
/// `mimetype`, an Office Open XML file's `[Content_Types].xml`) is that document, not
/// an archive to unpack, unless the name says `.zip`. (Formats that are containers of
/// their own are otherwise opened with the codec forced by the caller, who knows
/// formats.)
pub(crate) fn detect(location: &str, head: &[u8]) -> Codec {
    let name = name_parts(location);
    if head.is_empty() {
        return Codec::None;
    }
    match Codec::sniff(head) {
        // "x^" is a valid zlib header and plausible text: trust it only when the name
        // has no extension in the format's place, and never when text follows (the
        // 30 bytes after a real header are compressed: all of them text by chance
        // about once in 10^13).
        Some(Codec::Zlib) if head[1] == 0x5e && name.format_extension.is_some() => name.codec,
        Some(Codec::Zlib) if iterable_core::detect::is_text(&head[2..]) => name.codec,
        // "BZh" is followed by the block size digit, then the magic of the first block
        // (the digits of pi) or of the stream's end (of sqrt(pi)): text that starts
        // `BZh9,` is not bzip2.
        Some(Codec::Bzip2) if !is_bzip2_start(head) => name.codec,
        Some(Codec::Zip) if name.codec != Codec::Zip && is_document_zip(head) => Codec::None,
        Some(codec) => codec,
        None => name.codec,
    }
}

/// The first member of the zip archive that starts `head` names a document's parts:
/// the local header's name (its length at byte 26, the name from byte 30).
fn is_document_zip(head: &[u8]) -> bool {
    let Some(len) = head
        .get(26..28)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    else {
        return false;
    };
    matches!(
        head.get(30..30 + len),
        Some(b"mimetype") | Some(b"[Content_Types].xml")
    )
}

/// A bzip2 stream's first 10 bytes: `BZh`, the block size digit, and the magic of a
/// block or of the end of the stream.
fn is_bzip2_start(head: &[u8]) -> bool {
    const BLOCK: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
    const END: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
    head.len() >= 10
        && (b'1'..=b'9').contains(&head[3])
        && (head[4..10] == BLOCK || head[4..10] == END)
}

/// Decodes `raw` with `codec` (not [`Codec::Zip`]), as a buffered reader whose errors
/// say the stream is truncated or corrupt.
pub(crate) fn decoder<R>(codec: Codec, raw: R) -> ByteReader
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    macro_rules! multi {
        ($decoder:expr) => {{
            let mut d = $decoder;
            d.multiple_members(true);
            wrap(codec, d)
        }};
    }
    match codec {
        Codec::None | Codec::Zip => Box::new(raw),
        Codec::Gzip => multi!(de::GzipDecoder::new(raw)),
        Codec::Zstd => multi!(de::ZstdDecoder::new(raw)),
        Codec::Bzip2 => multi!(de::BzDecoder::new(raw)),
        Codec::Xz => multi!(de::XzDecoder::new(raw)),
        Codec::Lz4 => multi!(de::Lz4Decoder::new(raw)),
        Codec::Lzma => multi!(de::LzmaDecoder::new(raw)),
        Codec::Brotli => multi!(de::BrotliDecoder::new(raw)),
        Codec::Deflate => multi!(de::DeflateDecoder::new(raw)),
        Codec::Zlib => multi!(de::ZlibDecoder::new(raw)),
        Codec::Snappy => wrap(codec, crate::snappy::SnappyDecoder::new(raw)),
        other => unreachable!("codec {other} has no decoder"),
    }
}

/// The decoder with its errors explained, decoding ahead on its own task when a tokio
/// runtime is running (see `pipeline`), inline otherwise.
fn wrap<D: AsyncRead + Send + Unpin + 'static>(codec: Codec, decoder: D) -> ByteReader {
    let decoder = DecodeErrors {
        codec,
        inner: decoder,
        decoded: 0,
    };
    match crate::pipeline::decode_ahead(decoder) {
        Ok(ahead) => ahead,
        Err(decoder) => Box::new(BufReader::with_capacity(BUF_SIZE, decoder)),
    }
}

/// Encodes into `out` with `codec` (not [`Codec::Zip`]) at `level` (None: the default
/// of this crate: gzip/deflate/zlib 6, zstd 3, brotli 5, xz/lzma 6, bzip2 6, lz4 fast).
pub(crate) fn encoder(codec: Codec, out: ByteWriter, level: Option<i32>) -> ByteWriter {
    let level = quality(codec, level);
    match codec {
        Codec::None | Codec::Zip => out,
        Codec::Gzip => Box::new(en::GzipEncoder::with_quality(out, level)),
        Codec::Zstd => Box::new(en::ZstdEncoder::with_quality(out, level)),
        Codec::Bzip2 => Box::new(en::BzEncoder::with_quality(out, level)),
        Codec::Xz => Box::new(en::XzEncoder::with_quality(out, level)),
        Codec::Lzma => Box::new(en::LzmaEncoder::with_quality(out, level)),
        Codec::Lz4 => Box::new(en::Lz4Encoder::with_quality(out, level)),
        Codec::Brotli => Box::new(en::BrotliEncoder::with_quality(out, level)),
        Codec::Deflate => Box::new(en::DeflateEncoder::with_quality(out, level)),
        Codec::Zlib => Box::new(en::ZlibEncoder::with_quality(out, level)),
        Codec::Snappy => Box::new(crate::snappy::SnappyEncoder::new(out)),
        other => unreachable!("codec {other} has no encoder"),
    }
}

/// The compression level: the asked one, else this crate's default for the codec.
fn quality(codec: Codec, level: Option<i32>) -> Level {
    let default = match codec {
        Codec::Zstd => 3,
        Codec::Brotli => 5,
        Codec::Lz4 => 0,
        _ => 6,
    };
    Level::Precise(level.unwrap_or(default))
}

/// True for the codecs whose readers take a concatenation of complete members (gzip
/// members, zstd frames, bzip2 and xz streams, lz4 frames) as one stream: their output
/// can be compressed in independent blocks, in parallel.
pub(crate) fn has_members(codec: Codec) -> bool {
    matches!(
        codec,
        Codec::Gzip | Codec::Zstd | Codec::Bzip2 | Codec::Xz | Codec::Lz4 | Codec::Snappy
    )
}

/// Compresses `data` into one complete member of `codec` (see [`has_members`]).
pub(crate) async fn compress_member(
    codec: Codec,
    level: Option<i32>,
    data: &[u8],
) -> io::Result<Vec<u8>> {
    use tokio::io::AsyncWriteExt;
    let level = quality(codec, level);
    let out = Vec::with_capacity(data.len() / 2);
    macro_rules! member {
        ($encoder:ident) => {{
            let mut e = en::$encoder::with_quality(out, level);
            e.write_all(data).await?;
            e.shutdown().await?;
            Ok(e.into_inner())
        }};
    }
    match codec {
        Codec::Gzip => member!(GzipEncoder),
        Codec::Zstd => member!(ZstdEncoder),
        Codec::Bzip2 => member!(BzEncoder),
        Codec::Xz => member!(XzEncoder),
        Codec::Lz4 => member!(Lz4Encoder),
        Codec::Snappy => Ok(crate::snappy::encode_stream(data)),
        other => Err(io::Error::other(format!(
            "{other} has no independent members"
        ))),
    }
}

/// Gives decoder errors a message that names the codec, says what it means and where
/// (after how many decoded bytes). Errors of the file itself (those with an OS error
/// code) pass through unchanged.
struct DecodeErrors<D> {
    codec: Codec,
    inner: D,
    /// Bytes decoded so far.
    decoded: u64,
}

impl<D: AsyncRead + Unpin> AsyncRead for DecodeErrors<D> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Err(e)) if e.raw_os_error().is_none() => {
                let kind = match e.kind() {
                    io::ErrorKind::UnexpectedEof => io::ErrorKind::UnexpectedEof,
                    _ => io::ErrorKind::InvalidData,
                };
                let message = format!(
                    "{} stream is truncated or corrupt after {} decoded bytes: {e}",
                    self.codec, self.decoded
                );
                Poll::Ready(Err(io::Error::new(kind, message)))
            }
            Poll::Ready(Ok(())) => {
                self.decoded += (buf.filled().len() - before) as u64;
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        assert_eq!(detect("x.csv", &[0x1f, 0x8b, 8, 0, 0, 0]), Codec::Gzip);
        assert_eq!(detect("x.csv.br", b"\x0b\x02\x80id"), Codec::Brotli);
        assert_eq!(detect("x.csv", b"x^2,y\n"), Codec::None);
        // On stdin (no name) too, text after a zlib header is text.
        assert_eq!(
            detect("-", b"x^2,y\n1,2\n3,4\n5,6\n7,8\n9,10\n11,12\n"),
            Codec::None
        );
        assert_eq!(detect("-", b"x\xdaname,id\n"), Codec::None);
        assert_eq!(
            detect("-", b"x\x9c\xcbH\xcd\xc9\xc9W\xc8@'\x00"),
            Codec::Zlib
        );
        assert_eq!(detect("blob", b"x\x5e\x01\x02"), Codec::Zlib);
        // A CSV header that starts like bzip2's magic is text; real bzip2 is bzip2.
        assert_eq!(detect("x.csv", b"BZh9,name\n1,"), Codec::None);
        assert_eq!(detect("x.csv", b"BZh91AY&SY"), Codec::Bzip2);
        assert_eq!(
            detect("x.csv", b"BZh9\x17\x72\x45\x38\x50\x90"),
            Codec::Bzip2
        );
        assert_eq!(detect("a.csv", b"PK\x03\x04\x14\x00"), Codec::Zip);
        assert_eq!(detect("a.csv", b"BZhang"), Codec::None);
        assert_eq!(detect("a.csv.gz", b""), Codec::None);
        assert_eq!(detect("a.csv", b"id"), Codec::None);
    }
}
