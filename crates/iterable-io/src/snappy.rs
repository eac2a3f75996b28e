//! Snappy, in both of its forms: the framing format (a stream of checksummed chunks
//! after a `sNaPpY` stream identifier; read and written) and one raw block (a varint
//! length then the compressed bytes, as `snappy.compress` writes it; read only: a raw
//! block has no end marker and no checksum, so it is read whole and decompressed at
//! once, at most [`MAX_RAW_BLOCK`] bytes). The form is told by the stream identifier.
//!
//! Framed reading checks every chunk's CRC-32C, refuses the reserved unskippable chunk
//! types, skips padding, accepts repeated stream identifiers (so a concatenation of
//! framed streams is one stream) and calls a chunk cut short truncated.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use iterable_core::detect::SNAPPY_STREAM_MAGIC;
use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

/// The most uncompressed bytes in one framed data chunk (the format's limit).
const MAX_CHUNK: usize = 65536;
/// The largest raw block decompressed (raw blocks are decoded whole, in memory).
pub const MAX_RAW_BLOCK: usize = 1 << 30;

/// The CRC-32C (Castagnoli) table, built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut k = 0;
        while k < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
            k += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// The checksum as the framing format stores it (rotated and offset).
fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c(data);
    (crc.rotate_right(15)).wrapping_add(0xa282_ead8)
}

fn corrupt(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// Appends `data` as framed Snappy chunks to `out` (no stream identifier); empty
/// `data` is one empty chunk, so that a stream always has a data chunk after its
/// identifier (a stream that ends right after one is taken for a truncated one).
pub(crate) fn encode_chunks(data: &[u8], out: &mut Vec<u8>) {
    let mut encoder = snap::raw::Encoder::new();
    let empty: &[&[u8]] = &[&[]];
    let pieces: Box<dyn Iterator<Item = &[u8]>> = if data.is_empty() {
        Box::new(empty.iter().copied())
    } else {
        Box::new(data.chunks(MAX_CHUNK))
    };
    for piece in pieces {
        let crc = masked_crc(piece);
        let compressed = encoder
            .compress_vec(piece)
            .expect("a chunk of at most 64 KiB always compresses");
        let (kind, body): (u8, &[u8]) = if compressed.len() < piece.len() {
            (0x00, &compressed)
        } else {
            (0x01, piece)
        };
        let len = (body.len() + 4) as u32;
        out.push(kind);
        out.extend_from_slice(&len.to_le_bytes()[..3]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(body);
    }
}

/// `data` as one complete framed stream.
pub(crate) fn encode_stream(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 2 + 16);
    out.extend_from_slice(SNAPPY_STREAM_MAGIC);
    encode_chunks(data, &mut out);
    out
}

enum Form {
    /// Not known yet: fewer bytes than the stream identifier seen.
    Unknown,
    Framed,
    Raw,
}

/// Decodes framed or raw Snappy from a buffered reader.
pub(crate) struct SnappyDecoder<R> {
    inner: R,
    form: Form,
    /// Bytes of the chunk (framed) or of the whole block (raw) read so far.
    pending: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    done: bool,
    decoder: snap::raw::Decoder,
    /// The last chunk was a stream identifier: a stream may not end here.
    after_identifier: bool,
}

impl<R> SnappyDecoder<R> {
    pub(crate) fn new(inner: R) -> Self {
        SnappyDecoder {
            inner,
            form: Form::Unknown,
            pending: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            done: false,
            decoder: snap::raw::Decoder::new(),
            after_identifier: false,
        }
    }

    /// Decodes every whole chunk at the front of `pending` into `out`.
    fn decode_chunks(&mut self) -> io::Result<()> {
        let mut at = 0;
        while self.pending.len() - at >= 4 {
            let head = &self.pending[at..at + 4];
            let kind = head[0];
            let len = usize::from(head[1]) | usize::from(head[2]) << 8 | usize::from(head[3]) << 16;
            if self.pending.len() - at - 4 < len {
                break;
            }
            let body = &self.pending[at + 4..at + 4 + len];
            match kind {
                0xff => {
                    if body != &SNAPPY_STREAM_MAGIC[4..] {
                        return Err(corrupt("snappy stream identifier is corrupt"));
                    }
                    self.after_identifier = true;
                }
                0x00 | 0x01 => {
                    if body.len() < 4 {
                        return Err(corrupt("snappy chunk is too short for its checksum"));
                    }
                    let expected = u32::from_le_bytes([body[0], body[1], body[2], body[3]]);
                    let start = self.out.len();
                    if kind == 0x00 {
                        let n = snap::raw::decompress_len(&body[4..])
                            .map_err(|e| corrupt(format!("snappy chunk is corrupt: {e}")))?;
                        if n > MAX_CHUNK {
                            return Err(corrupt(format!(
                                "snappy chunk says {n} bytes, more than the format's 65536"
                            )));
                        }
                        self.out.resize(start + n, 0);
                        self.decoder
                            .decompress(&body[4..], &mut self.out[start..])
                            .map_err(|e| corrupt(format!("snappy chunk is corrupt: {e}")))?;
                    } else {
                        self.out.extend_from_slice(&body[4..]);
                    }
                    if masked_crc(&self.out[start..]) != expected {
                        return Err(corrupt("snappy chunk checksum does not match its data"));
                    }
                    self.after_identifier = false;
                }
                0x02..=0x7f => {
                    return Err(corrupt(format!(
                        "snappy stream has a reserved unskippable chunk (type {kind:#04x})"
                    )));
                }
                _ => {} // padding and reserved skippable chunks
            }
            at += 4 + len;
        }
        self.pending.drain(..at);
        Ok(())
    }

    fn decode_raw(&mut self) -> io::Result<()> {
        let n = snap::raw::decompress_len(&self.pending)
            .map_err(|e| corrupt(format!("snappy raw block is corrupt: {e}")))?;
        if n > MAX_RAW_BLOCK {
            return Err(corrupt(format!(
                "snappy raw block says {n} bytes, more than the {MAX_RAW_BLOCK} read whole"
            )));
        }
        self.out = self
            .decoder
            .decompress_vec(&self.pending)
            .map_err(|e| corrupt(format!("snappy raw block is corrupt or truncated: {e}")))?;
        self.pending = Vec::new();
        Ok(())
    }
}

impl<R: AsyncBufRead + Unpin> AsyncRead for SnappyDecoder<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.out_pos < this.out.len() {
                let n = buf.remaining().min(this.out.len() - this.out_pos);
                buf.put_slice(&this.out[this.out_pos..this.out_pos + n]);
                this.out_pos += n;
                if this.out_pos == this.out.len() {
                    this.out.clear();
                    this.out_pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.done {
                return Poll::Ready(Ok(()));
            }
            let available = ready!(Pin::new(&mut this.inner).poll_fill_buf(cx))?;
            if available.is_empty() {
                this.done = true;
                match this.form {
                    Form::Framed if !this.pending.is_empty() => {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "snappy stream ends inside a chunk",
                        )));
                    }
                    Form::Framed if this.after_identifier => {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "snappy stream ends after its identifier, with no data chunk",
                        )));
                    }
                    Form::Framed => {}
                    Form::Unknown | Form::Raw => this.decode_raw()?,
                }
                continue;
            }
            let n = available.len();
            this.pending.extend_from_slice(available);
            Pin::new(&mut this.inner).consume(n);
            if matches!(this.form, Form::Unknown) {
                if this.pending.len() >= SNAPPY_STREAM_MAGIC.len() {
                    this.form = if this.pending.starts_with(SNAPPY_STREAM_MAGIC) {
                        Form::Framed
                    } else {
                        Form::Raw
                    };
                } else if !SNAPPY_STREAM_MAGIC.starts_with(&this.pending) {
                    this.form = Form::Raw;
                }
            }
            match this.form {
                Form::Framed => this.decode_chunks()?,
                Form::Raw if this.pending.len() > MAX_RAW_BLOCK + MAX_RAW_BLOCK / 8 => {
                    return Poll::Ready(Err(corrupt(format!(
                        "snappy raw block is larger than the {MAX_RAW_BLOCK} bytes read whole"
                    ))));
                }
                _ => {}
            }
        }
    }
}

/// Encodes into framed Snappy: 64 KiB chunks, each checksummed.
pub(crate) struct SnappyEncoder<W> {
    inner: W,
    input: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    /// Whether a data chunk has been written (an empty stream gets an empty one).
    wrote_chunk: bool,
}

impl<W> SnappyEncoder<W> {
    pub(crate) fn new(inner: W) -> Self {
        SnappyEncoder {
            inner,
            input: Vec::with_capacity(MAX_CHUNK),
            out: SNAPPY_STREAM_MAGIC.to_vec(),
            out_pos: 0,
            wrote_chunk: false,
        }
    }
}

impl<W: AsyncWrite + Unpin> SnappyEncoder<W> {
    fn encode_input(&mut self) {
        if !self.input.is_empty() {
            encode_chunks(&self.input, &mut self.out);
            self.input.clear();
            self.wrote_chunk = true;
        }
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.out_pos < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.out_pos..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out_pos += n;
        }
        self.out.clear();
        self.out_pos = 0;
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for SnappyEncoder<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_drain(cx))?;
        let n = data.len().min(MAX_CHUNK - this.input.len());
        this.input.extend_from_slice(&data[..n]);
        if this.input.len() == MAX_CHUNK {
            this.encode_input();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        this.encode_input();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        this.encode_input();
        if !this.wrote_chunk {
            encode_chunks(&[], &mut this.out);
            this.wrote_chunk = true;
        }
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn decode(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        SnappyDecoder::new(bytes).read_to_end(&mut out).await?;
        Ok(out)
    }

    fn sample() -> Vec<u8> {
        (0..200_000u32)
            .flat_map(|i| format!("{i},row {}\n", i % 97).into_bytes())
            .collect()
    }

    #[test]
    fn crc32c_known_value() {
        // The check value of CRC-32C.
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
    }

    #[tokio::test]
    async fn framed_round_trip_and_concatenation() {
        let data = sample();
        let mut encoded = Vec::new();
        let mut w = SnappyEncoder::new(&mut encoded);
        w.write_all(&data).await.unwrap();
        w.shutdown().await.unwrap();
        assert!(encoded.starts_with(SNAPPY_STREAM_MAGIC));
        assert_eq!(decode(&encoded).await.unwrap(), data);
        // snap's own frame reader agrees.
        let mut theirs = Vec::new();
        std::io::Read::read_to_end(
            &mut snap::read::FrameDecoder::new(&encoded[..]),
            &mut theirs,
        )
        .unwrap();
        assert_eq!(theirs, data);
        let mut two = encode_stream(b"first\n");
        two.extend(encode_stream(b"second\n"));
        assert_eq!(decode(&two).await.unwrap(), b"first\nsecond\n");
        assert_eq!(decode(&encode_stream(b"")).await.unwrap(), b"");
    }

    #[tokio::test]
    async fn raw_block() {
        let data = sample();
        let raw = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        assert_eq!(decode(&raw).await.unwrap(), data);
        let tiny = snap::raw::Encoder::new().compress_vec(b"a").unwrap();
        assert_eq!(decode(&tiny).await.unwrap(), b"a");
    }

    #[tokio::test]
    async fn damage_is_an_error() {
        let data = sample();
        let framed = encode_stream(&data);
        for cut in [framed.len() - 1, framed.len() / 2, 14, 10] {
            let err = decode(&framed[..cut]).await.unwrap_err();
            assert_eq!(
                err.kind(),
                io::ErrorKind::UnexpectedEof,
                "cut at {cut}: {err}"
            );
        }
        let mut flipped = framed.clone();
        let last = flipped.len() - 10;
        flipped[last] ^= 0x55;
        let err = decode(&flipped).await.unwrap_err().to_string();
        assert!(err.contains("snappy chunk"), "{err}");
        let mut reserved = SNAPPY_STREAM_MAGIC.to_vec();
        reserved.extend_from_slice(&[0x02, 1, 0, 0, 0]);
        let err = decode(&reserved).await.unwrap_err().to_string();
        assert!(err.contains("reserved unskippable"), "{err}");
        let raw = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        let err = decode(&raw[..raw.len() / 2]).await.unwrap_err().to_string();
        assert!(err.contains("snappy raw block"), "{err}");
    }
}
