//! The Avro object container: the header (magic, metadata with the schema and the
//! codec, sync marker) and the data blocks after it, each checked against the sync
//! marker and decompressed.
//!
//! Every length in the file is untrusted: bytes are read as they arrive (a block that
//! declares a terabyte takes memory only for the bytes really there), and a block
//! unpacks to at most [`apache_avro`]'s allocation limit (512 MiB).

use std::io::{self, Read};
use std::str::FromStr;

use apache_avro::{Codec, Schema};

use super::varint::{VarintError, read_long};

/// The first four bytes of every container.
const MAGIC: &[u8; 4] = b"Obj\x01";

/// Why the container could not be read: the bytes under it failed (a truncated
/// compressed stream, the disk), or the container itself is malformed.
#[derive(Debug)]
pub(super) enum Failure {
    /// The reader under the container failed.
    Io(io::Error),
    /// The container is malformed at byte `offset`.
    Format { offset: u64, message: String },
}

/// One data block, decompressed.
#[derive(Debug)]
pub(super) struct Block {
    /// Its position in the file, from 1.
    pub number: u64,
    /// The byte where it starts in the file.
    pub offset: u64,
    /// The records it declares.
    pub count: u64,
    /// Its records' bytes, decompressed.
    pub data: Vec<u8>,
    /// Whether `data` is the file's own bytes (the null codec), so that a position in
    /// it is a position in the file.
    pub uncompressed: bool,
}

impl Block {
    /// The byte offset of a block's data in the file: after its two lengths.
    pub fn data_offset(&self) -> u64 {
        // Only meaningful for uncompressed blocks, where it is used.
        self.offset + varint_len(self.count) + varint_len(self.data.len() as u64)
    }
}

/// An object container file being read.
pub(super) struct Container<R> {
    input: Counted<R>,
    marker: [u8; 16],
    codec: Codec,
    blocks: u64,
}

impl<R: Read> Container<R> {
    /// Reads the header, and returns the container and the writer's schema;
    /// `max_metadata_bytes` bounds each metadata entry.
    pub fn open(input: R, max_metadata_bytes: usize) -> Result<(Self, Schema), Failure> {
        let mut input = Counted {
            inner: input,
            offset: 0,
        };
        let mut magic = [0u8; 4];
        match read_exact_or_short(&mut input, &mut magic).map_err(Failure::Io)? {
            4 if &magic == MAGIC => {}
            _ => {
                return Err(Failure::Format {
                    offset: 0,
                    message: "not an Avro object container file (it does not start with Obj\\x01)"
                        .into(),
                });
            }
        }
        let mut schema_json = None;
        let mut codec_name = None;
        read_metadata(&mut input, max_metadata_bytes, |key, value| match key {
            b"avro.schema" => schema_json = Some(value),
            b"avro.codec" => codec_name = Some(value),
            _ => {}
        })?;
        let header_end = input.offset;
        let bad_header = |message: String| Failure::Format {
            offset: header_end,
            message,
        };
        let schema_json =
            schema_json.ok_or_else(|| bad_header("the header has no avro.schema".into()))?;
        let schema = serde_json::from_slice(&schema_json)
            .map_err(|e| bad_header(format!("the header's schema is not JSON: {e}")))
            .and_then(|json| {
                Schema::parse(&json)
                    .map_err(|e| bad_header(format!("bad Avro schema in the header: {e}")))
            })?;
        let codec = match codec_name.as_deref() {
            None | Some(b"null") => Codec::Null,
            Some(name) => {
                let name = String::from_utf8_lossy(name);
                Codec::from_str(&name).map_err(|_| {
                    bad_header(format!(
                        "Avro codec {name:?} is not supported (null, deflate, snappy and zstandard are)"
                    ))
                })?
            }
        };
        let mut marker = [0u8; 16];
        if read_exact_or_short(&mut input, &mut marker).map_err(Failure::Io)? < 16 {
            return Err(truncated(input.offset, "the header's sync marker"));
        }
        let container = Container {
            input,
            marker,
            codec,
            blocks: 0,
        };
        Ok((container, schema))
    }

    /// The next block, or `None` at the end of the file.
    pub fn next_block(&mut self) -> Result<Option<Block>, Failure> {
        let offset = self.input.offset;
        let number = self.blocks + 1;
        let count = match read_long(&mut self.input) {
            Ok(count) => count,
            Err(VarintError::Empty) => return Ok(None),
            Err(e) => return Err(self.varint_failure(e, number, "its record count")),
        };
        let size =
            read_long(&mut self.input).map_err(|e| self.varint_failure(e, number, "its size"))?;
        let (Ok(count), Ok(size)) = (u64::try_from(count), u64::try_from(size)) else {
            return Err(Failure::Format {
                offset,
                message: format!("block {number} declares {count} records in {size} bytes"),
            });
        };
        let mut data = Vec::new();
        (&mut self.input)
            .take(size)
            .read_to_end(&mut data)
            .map_err(Failure::Io)?;
        if (data.len() as u64) < size {
            return Err(truncated(
                self.input.offset,
                &format!(
                    "block {number} (at byte {offset}), {} of its {size} bytes",
                    data.len()
                ),
            ));
        }
        let mut marker = [0u8; 16];
        if read_exact_or_short(&mut self.input, &mut marker).map_err(Failure::Io)? < 16 {
            return Err(truncated(
                self.input.offset,
                &format!("the sync marker after block {number}"),
            ));
        }
        if marker != self.marker {
            return Err(Failure::Format {
                offset: self.input.offset - 16,
                message: format!(
                    "the sync marker after block {number} (at byte {offset}) is not the header's: the file is corrupt"
                ),
            });
        }
        let uncompressed = matches!(self.codec, Codec::Null);
        if !uncompressed {
            let codec: &'static str = self.codec.into();
            self.codec
                .decompress(&mut data)
                .map_err(|e| Failure::Format {
                    offset,
                    message: format!("block {number} does not decompress ({codec}): {e}"),
                })?;
        }
        self.blocks = number;
        Ok(Some(Block {
            number,
            offset,
            count,
            data,
            uncompressed,
        }))
    }

    fn varint_failure(&self, e: VarintError, number: u64, what: &str) -> Failure {
        match e {
            VarintError::Io(e) => Failure::Io(e),
            VarintError::Empty | VarintError::Short => {
                truncated(self.input.offset, &format!("block {number}, in {what}"))
            }
            VarintError::TooLong => Failure::Format {
                offset: self.input.offset,
                message: format!("block {number}: {what} is not a valid varint"),
            },
        }
    }
}

/// The length of `n` as a zigzag varint.
fn varint_len(n: u64) -> u64 {
    let mut zigzag = n << 1;
    let mut len = 1;
    while zigzag >= 0x80 {
        zigzag >>= 7;
        len += 1;
    }
    len
}

fn truncated(offset: u64, what: &str) -> Failure {
    Failure::Format {
        offset,
        message: format!("the file is truncated: it ends in {what}"),
    }
}

/// Reads the header's metadata, a map of byte strings, calling `entry` for each.
fn read_metadata<R: Read>(
    input: &mut Counted<R>,
    max_bytes: usize,
    mut entry: impl FnMut(&[u8], Vec<u8>),
) -> Result<(), Failure> {
    loop {
        let count = header_long(input)?;
        if count == 0 {
            return Ok(());
        }
        if count < 0 {
            // A negative count is followed by the block's size in bytes.
            header_long(input)?;
        }
        for _ in 0..count.unsigned_abs() {
            let key = header_bytes(input, max_bytes)?;
            let value = header_bytes(input, max_bytes)?;
            entry(&key, value);
        }
    }
}

/// A `long` of the header.
fn header_long<R: Read>(input: &mut Counted<R>) -> Result<i64, Failure> {
    read_long(input).map_err(|e| match e {
        VarintError::Io(e) => Failure::Io(e),
        VarintError::TooLong => Failure::Format {
            offset: input.offset,
            message: "the header's metadata has an invalid varint".into(),
        },
        VarintError::Empty | VarintError::Short => truncated(input.offset, "the header"),
    })
}

/// A length-prefixed byte string of the header, of at most `max` bytes.
fn header_bytes<R: Read>(input: &mut Counted<R>, max: usize) -> Result<Vec<u8>, Failure> {
    let at = input.offset;
    let len = header_long(input)?;
    if len < 0 || len as u64 > max as u64 {
        return Err(Failure::Format {
            offset: at,
            message: format!(
                "a header metadata entry declares {len} bytes (at most max_record_bytes, {max}, are read)"
            ),
        });
    }
    let mut bytes = Vec::new();
    input
        .take(len as u64)
        .read_to_end(&mut bytes)
        .map_err(Failure::Io)?;
    if (bytes.len() as u64) < len as u64 {
        return Err(truncated(input.offset, "the header"));
    }
    Ok(bytes)
}

/// Fills `buf` as far as the input goes; the number of bytes read.
fn read_exact_or_short(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    offset: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.offset += n as u64;
        Ok(n)
    }
}
