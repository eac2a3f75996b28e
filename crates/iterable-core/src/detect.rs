//! Names of formats and codecs, and what a file name says about them.
//!
//! A [`Format`] is an open identifier (its name): which formats exist, what their
//! names and extensions are and how their bytes are recognised is the business of the
//! format registry (`iterable_formats::registry`), so a format can be added, even
//! from outside this workspace, without touching this crate. A [`Codec`] is one of the
//! compressions the byte layer implements; each is described once, in [`Codec::spec`].

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A row format, named by the registry entry that implements it (`"csv"`, `"jsonl"`,
/// `"parquet"`, a format of your own).
///
/// Two `Format`s are equal when their names are. The constants below name the formats
/// built into `iterable`; [`Format::new`] names any other registered one.
///
/// ```
/// use iterable_core::Format;
///
/// assert_eq!(Format::CSV.name(), "csv");
/// assert_eq!(Format::new("ltsv").to_string(), "ltsv");
/// assert_eq!(Format::new("csv"), Format::CSV);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Format(&'static str);

impl Format {
    /// Comma-separated values (the delimiter is sniffed unless given).
    pub const CSV: Format = Format("csv");
    /// Tab-separated values.
    pub const TSV: Format = Format("tsv");
    /// Pipe-separated values.
    pub const PSV: Format = Format("psv");
    /// One JSON object a line (JSON Lines, NDJSON).
    pub const JSONL: Format = Format("jsonl");
    /// A JSON array of objects (top-level, or under a key: `tagname`).
    pub const JSON: Format = Format("json");
    /// Apache Parquet.
    pub const PARQUET: Format = Format("parquet");
    /// Arrow IPC (file or stream; `.arrow`, `.feather`, `.ipc`, `.arrows`).
    pub const ARROW: Format = Format("arrow");
    /// Apache Avro object container.
    pub const AVRO: Format = Format("avro");
    /// Apache ORC.
    pub const ORC: Format = Format("orc");
    /// Excel workbook.
    pub const XLSX: Format = Format("xlsx");
    /// XML, rows are the elements named by `tagname`.
    pub const XML: Format = Format("xml");
    /// YAML, one row a document or a top-level sequence.
    pub const YAML: Format = Format("yaml");
    /// A stream of BSON documents.
    pub const BSON: Format = Format("bson");
    /// A stream of MessagePack maps.
    pub const MSGPACK: Format = Format("msgpack");

    /// The format named `name` (its registry name, lower case).
    pub const fn new(name: &'static str) -> Format {
        Format(name)
    }

    /// The canonical name (`"csv"`, `"jsonl"`, ...).
    pub const fn name(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Format({:?})", self.0)
    }
}

/// A compression codec (or the zip container, which reads one member).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Codec {
    /// No compression.
    #[default]
    None,
    /// gzip (all members of a multi-member file are read).
    Gzip,
    /// Zstandard (all frames).
    Zstd,
    /// bzip2 (all streams).
    Bzip2,
    /// xz.
    Xz,
    /// Legacy `.lzma` (LZMA alone).
    Lzma,
    /// LZ4 frame format.
    Lz4,
    /// Brotli.
    Brotli,
    /// Raw deflate.
    Deflate,
    /// zlib (deflate with a zlib header).
    Zlib,
    /// Snappy: the framed stream form (read and written) or one raw block (read).
    Snappy,
    /// A zip archive: reading takes its one member (or the member named in the options).
    Zip,
}

/// What one codec is: its names and how its bytes start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecSpec {
    /// The codec.
    pub codec: Codec,
    /// The canonical name (`"gzip"`).
    pub name: &'static str,
    /// File extensions without the dot, the usual one first (`["gz", "gzip"]`).
    pub extensions: &'static [&'static str],
    /// The magic number its streams start with; empty when it has none.
    pub magic: &'static [u8],
    /// Whether the byte layer writes it.
    pub writes: bool,
}

/// Every codec, described once: names, extensions, magic numbers. The byte layer
/// (`iterable-io/src/codec.rs`) builds each one's decoder and encoder.
const CODECS: [CodecSpec; 12] = [
    CodecSpec {
        codec: Codec::None,
        name: "none",
        extensions: &[],
        magic: &[],
        writes: true,
    },
    CodecSpec {
        codec: Codec::Gzip,
        name: "gzip",
        extensions: &["gz", "gzip"],
        magic: &[0x1f, 0x8b],
        writes: true,
    },
    CodecSpec {
        codec: Codec::Zstd,
        name: "zstd",
        extensions: &["zst", "zstd"],
        magic: &[0x28, 0xb5, 0x2f, 0xfd],
        writes: true,
    },
    CodecSpec {
        codec: Codec::Bzip2,
        name: "bzip2",
        extensions: &["bz2", "bzip2"],
        magic: b"BZh",
        writes: true,
    },
    CodecSpec {
        codec: Codec::Xz,
        name: "xz",
        extensions: &["xz"],
        magic: &[0xfd, b'7', b'z', b'X', b'Z', 0x00],
        writes: true,
    },
    CodecSpec {
        codec: Codec::Lzma,
        name: "lzma",
        extensions: &["lzma"],
        magic: &[0x5d, 0x00, 0x00],
        writes: true,
    },
    CodecSpec {
        codec: Codec::Lz4,
        name: "lz4",
        extensions: &["lz4"],
        magic: &[0x04, 0x22, 0x4d, 0x18],
        writes: true,
    },
    CodecSpec {
        codec: Codec::Brotli,
        name: "brotli",
        extensions: &["br", "brotli"],
        magic: &[],
        writes: true,
    },
    CodecSpec {
        codec: Codec::Deflate,
        name: "deflate",
        extensions: &["deflate"],
        magic: &[],
        writes: true,
    },
    CodecSpec {
        codec: Codec::Zlib,
        name: "zlib",
        extensions: &["zz", "zlib"],
        magic: &[],
        writes: true,
    },
    CodecSpec {
        codec: Codec::Snappy,
        name: "snappy",
        extensions: &["snappy", "sz"],
        magic: SNAPPY_STREAM_MAGIC,
        writes: true,
    },
    CodecSpec {
        codec: Codec::Zip,
        name: "zip",
        extensions: &["zip"],
        magic: b"PK\x03\x04",
        writes: false,
    },
];

/// The stream identifier chunk that starts every framed Snappy stream.
pub const SNAPPY_STREAM_MAGIC: &[u8] = b"\xff\x06\x00\x00sNaPpY";

impl Codec {
    /// Every codec, [`Codec::None`] first.
    pub fn all() -> impl Iterator<Item = Codec> {
        CODECS.iter().map(|s| s.codec)
    }

    /// The description of this codec.
    pub fn spec(self) -> &'static CodecSpec {
        CODECS
            .iter()
            .find(|s| s.codec == self)
            .expect("every codec is in CODECS")
    }

    /// The canonical name (`"gzip"`, `"zstd"`, ...; `"none"`).
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The usual file extension (`"gz"`, `"zst"`, ...); empty for `None`.
    pub fn extension(self) -> &'static str {
        self.spec().extensions.first().copied().unwrap_or("")
    }

    /// The codec of a file extension (without the dot, any case).
    pub fn from_extension(ext: &str) -> Option<Codec> {
        CODECS
            .iter()
            .find(|s| s.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)))
            .map(|s| s.codec)
    }

    /// The codec whose magic number starts `bytes`, if any. Brotli and raw deflate
    /// have none, and neither has one raw Snappy block; zlib is recognised by its
    /// checked two-byte header.
    pub fn sniff(bytes: &[u8]) -> Option<Codec> {
        if let Some(spec) = CODECS
            .iter()
            .find(|s| !s.magic.is_empty() && bytes.starts_with(s.magic))
        {
            return Some(spec.codec);
        }
        if bytes.len() >= 2
            && bytes[0] == 0x78
            && matches!(bytes[1], 0x01 | 0x5e | 0x9c | 0xda)
            && (u16::from(bytes[0]) << 8 | u16::from(bytes[1])) % 31 == 0
        {
            return Some(Codec::Zlib);
        }
        None
    }

    /// The names of all codecs, comma separated, for help and error messages.
    pub fn known_names() -> String {
        CODECS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Codec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim_start_matches('.');
        if s.is_empty() {
            return Ok(Codec::None);
        }
        CODECS
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(s))
            .map(|c| c.codec)
            .or_else(|| Codec::from_extension(s))
            .ok_or_else(|| {
                Error::InvalidOption(format!(
                    "unknown codec {s:?}; known: {}",
                    Codec::known_names()
                ))
            })
    }
}

/// What a name says before any format is looked up: the extension that may name the
/// format, and the codec suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NameParts<'a> {
    /// The extension in the format's place: the last one, or the one before a codec
    /// suffix (`csv` in `data.csv.gz`); `None` when there is none.
    pub format_extension: Option<&'a str>,
    /// The codec suffix (`Codec::None` when the name has none).
    pub codec: Codec,
}

/// Splits a path or URL into its format extension and codec: `data.csv.gz` is
/// (`csv`, gzip). Case-insensitive; dots in the stem are fine; a URL's query and
/// fragment are ignored.
///
/// ```
/// use iterable_core::detect::{name_parts, NameParts};
/// use iterable_core::Codec;
///
/// assert_eq!(name_parts("s3://b/2024.01.Data.CSV.GZ?x=1"), NameParts { format_extension: Some("CSV"), codec: Codec::Gzip });
/// assert_eq!(name_parts("dump.zst"), NameParts { format_extension: None, codec: Codec::Zstd });
/// ```
pub fn name_parts(location: &str) -> NameParts<'_> {
    let path = match location.find("://") {
        Some(_) => location.split(['?', '#']).next().unwrap_or(location),
        None => location,
    };
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    if !file.contains('.') {
        return NameParts::default();
    }
    let mut parts = file.rsplit('.');
    let last = parts.next().unwrap_or("");
    if let Some(codec) = Codec::from_extension(last) {
        let format_extension = (file.matches('.').count() > 1)
            .then(|| parts.next())
            .flatten()
            .filter(|e| !e.is_empty());
        return NameParts {
            format_extension,
            codec,
        };
    }
    NameParts {
        format_extension: Some(last).filter(|e| !e.is_empty()),
        codec: Codec::None,
    }
}

/// The delimiters a CSV sniff considers, in order of preference on a tie.
pub const CANDIDATE_DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Guesses the field delimiter of delimited text from its first lines: the candidate
/// (`,` `;` tab `|`) that appears outside quotes the same number of times, more than
/// zero, on every complete line of the sample; ties go to the most frequent, then to
/// the order above. `None` when no candidate is consistent.
///
/// ```
/// use iterable_core::detect::sniff_delimiter;
/// assert_eq!(sniff_delimiter(b"a;b;c\n1;\"x;y\";3\n", b'"', true), Some(b';'));
/// assert_eq!(sniff_delimiter(b"a\tb\n1,5\t2\n", b'"', true), Some(b'\t'));
/// assert_eq!(sniff_delimiter(b"just text\n", b'"', true), None);
/// ```
pub fn sniff_delimiter(sample: &[u8], quote: u8, at_eof: bool) -> Option<u8> {
    sniff_delimiter_in(sample, quote, at_eof)
}

/// Whether `bytes` read as text: UTF-8 (a character cut at the end allowed) with no
/// control characters but tab, LF and CR. A magic number followed by text is taken for
/// text: `x^2,y` is not a zlib stream, `ORCID,name` not an ORC file.
///
/// ```
/// use iterable_core::detect::is_text;
/// assert!(is_text(b"2,y\n3,z"));
/// assert!(is_text("Zoë,".as_bytes()));
/// assert!(!is_text(b"\x9c\x4b\x4c"));
/// assert!(!is_text(b"ab\x00"));
/// ```
pub fn is_text(bytes: &[u8]) -> bool {
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => bytes,
        // A character cut by the end of the sample is still text.
        Err(e) if e.error_len().is_none() => &bytes[..e.valid_up_to()],
        Err(_) => return false,
    };
    !valid
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
}

fn sniff_delimiter_in(sample: &[u8], quote: u8, at_eof: bool) -> Option<u8> {
    let sample = sample.strip_prefix(b"\xef\xbb\xbf").unwrap_or(sample);
    let mut counts: Vec<[usize; 4]> = Vec::new();
    let mut current = [0usize; 4];
    let mut in_quotes = false;
    let mut line_has_content = false;
    for &b in sample {
        if b == quote {
            in_quotes = !in_quotes;
            line_has_content = true;
        } else if b == b'\n' && !in_quotes {
            if line_has_content {
                counts.push(current);
            }
            current = [0; 4];
            line_has_content = false;
            if counts.len() >= 20 {
                break;
            }
        } else if !in_quotes {
            if let Some(i) = CANDIDATE_DELIMITERS.iter().position(|&d| d == b) {
                current[i] += 1;
            }
            if b != b'\r' {
                line_has_content = true;
            }
        }
    }
    if at_eof && line_has_content && !in_quotes && counts.len() < 20 {
        counts.push(current);
    }
    let first = counts.first()?;
    let mut best: Option<(usize, usize)> = None; // (count per line, candidate index)
    for i in 0..CANDIDATE_DELIMITERS.len() {
        let n = first[i];
        if n == 0 || counts.iter().any(|c| c[i] != n) {
            continue;
        }
        if best.is_none_or(|(bn, _)| n > bn) {
            best = Some((n, i));
        }
    }
    if best.is_none() {
        // No candidate is consistent (ragged sample): take the most frequent one on the first line.
        let i = (0..4).max_by_key(|&i| (first[i], std::cmp::Reverse(i)))?;
        if first[i] > 0 {
            best = Some((first[i], i));
        }
    }
    best.map(|(_, i)| CANDIDATE_DELIMITERS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let cases = [
            ("data.csv", Some("csv"), Codec::None),
            ("DATA.TSV.BZ2", Some("TSV"), Codec::Bzip2),
            ("a.b.c.jsonl.zst", Some("jsonl"), Codec::Zstd),
            ("x.csv.lzma", Some("csv"), Codec::Lzma),
            ("x.csv.br", Some("csv"), Codec::Brotli),
            ("x.csv.zz", Some("csv"), Codec::Zlib),
            ("x.csv.snappy", Some("csv"), Codec::Snappy),
            ("x.csv.sz", Some("csv"), Codec::Snappy),
            ("x.csv.zip", Some("csv"), Codec::Zip),
            ("dir.v2/file", None, Codec::None),
            ("gz", None, Codec::None),
            (".gz", None, Codec::Gzip),
            (
                "https://h/p/data.csv.gz?sig=a.b#frag",
                Some("csv"),
                Codec::Gzip,
            ),
            ("data.txt", Some("txt"), Codec::None),
            ("trailing.", None, Codec::None),
        ];
        for (name, format_extension, codec) in cases {
            assert_eq!(
                name_parts(name),
                NameParts {
                    format_extension,
                    codec
                },
                "{name}"
            );
        }
    }

    #[test]
    fn codec_magic() {
        assert_eq!(Codec::sniff(&[0x1f, 0x8b, 8]), Some(Codec::Gzip));
        assert_eq!(Codec::sniff(&[0x28, 0xb5, 0x2f, 0xfd]), Some(Codec::Zstd));
        assert_eq!(Codec::sniff(b"BZh91AY"), Some(Codec::Bzip2));
        assert_eq!(Codec::sniff(&[0x78, 0x9c, 1]), Some(Codec::Zlib));
        assert_eq!(
            Codec::sniff(b"\xff\x06\x00\x00sNaPpY\x00"),
            Some(Codec::Snappy)
        );
        assert_eq!(Codec::sniff(b"xa,b"), None);
        assert_eq!(Codec::sniff(b"id,name"), None);
    }

    #[test]
    fn codec_names() {
        assert_eq!("gz".parse::<Codec>().unwrap(), Codec::Gzip);
        assert_eq!("gzip".parse::<Codec>().unwrap(), Codec::Gzip);
        assert_eq!("sz".parse::<Codec>().unwrap(), Codec::Snappy);
        assert_eq!("none".parse::<Codec>().unwrap(), Codec::None);
        let err = "nope".parse::<Codec>().unwrap_err().to_string();
        assert!(err.contains("known: none, gzip, zstd"), "{err}");
        for codec in Codec::all() {
            assert_eq!(codec.name().parse::<Codec>().unwrap(), codec);
            assert_eq!(codec.spec().codec, codec);
        }
    }
}
