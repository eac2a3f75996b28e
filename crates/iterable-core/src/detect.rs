//! Format and codec detection: from the name first, from the first bytes when the
//! name says nothing (or lies about the codec).

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A row format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Comma-separated values (the delimiter is sniffed unless given).
    Csv,
    /// Tab-separated values.
    Tsv,
    /// Pipe-separated values.
    Psv,
    /// One JSON object a line (JSON Lines, NDJSON).
    Jsonl,
    /// A JSON array of objects (top-level, or under a key: `tagname`).
    Json,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC (file or stream; `.arrow`, `.feather`, `.ipc`).
    Arrow,
    /// Apache Avro object container.
    Avro,
    /// Apache ORC.
    Orc,
    /// Excel workbook.
    Xlsx,
    /// XML, rows are the elements named by `tagname`.
    Xml,
    /// YAML, one row a document or a top-level sequence.
    Yaml,
    /// A stream of BSON documents.
    Bson,
    /// A stream of MessagePack maps.
    MsgPack,
}

impl Format {
    /// Every format, in the order the docs list them.
    pub const ALL: [Format; 14] = [
        Format::Csv,
        Format::Tsv,
        Format::Psv,
        Format::Jsonl,
        Format::Json,
        Format::Parquet,
        Format::Arrow,
        Format::Avro,
        Format::Orc,
        Format::Xlsx,
        Format::Xml,
        Format::Yaml,
        Format::Bson,
        Format::MsgPack,
    ];

    /// The canonical name (`"csv"`, `"jsonl"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Psv => "psv",
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
            Format::Avro => "avro",
            Format::Orc => "orc",
            Format::Xlsx => "xlsx",
            Format::Xml => "xml",
            Format::Yaml => "yaml",
            Format::Bson => "bson",
            Format::MsgPack => "msgpack",
        }
    }

    /// The cargo feature of the `iterable` crate that compiles this format in.
    pub fn feature(self) -> &'static str {
        match self {
            Format::Csv | Format::Tsv | Format::Psv => "csv",
            Format::Jsonl | Format::Json => "json",
            Format::Arrow => "arrow",
            other => other.name(),
        }
    }

    /// The format of a file extension (without the dot, any case).
    pub fn from_extension(ext: &str) -> Option<Format> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "psv" => Format::Psv,
            "jsonl" | "ndjson" | "jsonlines" => Format::Jsonl,
            "json" => Format::Json,
            "parquet" | "pq" => Format::Parquet,
            "arrow" | "feather" | "ipc" | "arrows" => Format::Arrow,
            "avro" => Format::Avro,
            "orc" => Format::Orc,
            "xlsx" => Format::Xlsx,
            "xml" => Format::Xml,
            "yaml" | "yml" => Format::Yaml,
            "bson" => Format::Bson,
            "msgpack" | "mp" | "mpk" => Format::MsgPack,
            _ => return None,
        })
    }

    /// The names of all formats, comma separated, for error messages.
    pub fn known_names() -> String {
        Format::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// True for the delimited text formats (CSV, TSV, PSV).
    pub fn is_delimited(self) -> bool {
        matches!(self, Format::Csv | Format::Tsv | Format::Psv)
    }

    /// The field delimiter the name implies, for the delimited formats.
    pub fn default_delimiter(self) -> Option<u8> {
        match self {
            Format::Tsv => Some(b'\t'),
            Format::Psv => Some(b'|'),
            Format::Csv => Some(b','),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Format::from_extension(s.trim_start_matches('.')).ok_or_else(|| {
            Error::InvalidOption(format!(
                "unknown format {s:?}; known: {}",
                Format::known_names()
            ))
        })
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
    /// A zip archive: reading takes its one member (or the member named in the options).
    Zip,
}

impl Codec {
    /// Every codec.
    pub const ALL: [Codec; 11] = [
        Codec::None,
        Codec::Gzip,
        Codec::Zstd,
        Codec::Bzip2,
        Codec::Xz,
        Codec::Lzma,
        Codec::Lz4,
        Codec::Brotli,
        Codec::Deflate,
        Codec::Zlib,
        Codec::Zip,
    ];

    /// The canonical name (`"gzip"`, `"zstd"`, ...; `"none"`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::None => "none",
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
            Codec::Lzma => "lzma",
            Codec::Lz4 => "lz4",
            Codec::Brotli => "brotli",
            Codec::Deflate => "deflate",
            Codec::Zlib => "zlib",
            Codec::Zip => "zip",
        }
    }

    /// The usual file extension (`"gz"`, `"zst"`, ...); empty for `None`.
    pub fn extension(self) -> &'static str {
        match self {
            Codec::None => "",
            Codec::Gzip => "gz",
            Codec::Zstd => "zst",
            Codec::Bzip2 => "bz2",
            Codec::Xz => "xz",
            Codec::Lzma => "lzma",
            Codec::Lz4 => "lz4",
            Codec::Brotli => "br",
            Codec::Deflate => "deflate",
            Codec::Zlib => "zz",
            Codec::Zip => "zip",
        }
    }

    /// The codec of a file extension (without the dot, any case).
    pub fn from_extension(ext: &str) -> Option<Codec> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "gz" | "gzip" => Codec::Gzip,
            "zst" | "zstd" => Codec::Zstd,
            "bz2" | "bzip2" => Codec::Bzip2,
            "xz" => Codec::Xz,
            "lzma" => Codec::Lzma,
            "lz4" => Codec::Lz4,
            "br" | "brotli" => Codec::Brotli,
            "deflate" => Codec::Deflate,
            "zz" | "zlib" => Codec::Zlib,
            "zip" => Codec::Zip,
            _ => return None,
        })
    }

    /// The codec whose magic number starts `bytes`, if any. Brotli and raw deflate
    /// have none; zlib is recognised by its checked two-byte header.
    pub fn sniff(bytes: &[u8]) -> Option<Codec> {
        const MAGIC: [(&[u8], Codec); 7] = [
            (&[0x1f, 0x8b], Codec::Gzip),
            (&[0x28, 0xb5, 0x2f, 0xfd], Codec::Zstd),
            (b"BZh", Codec::Bzip2),
            (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], Codec::Xz),
            (&[0x04, 0x22, 0x4d, 0x18], Codec::Lz4),
            (&[0x5d, 0x00, 0x00], Codec::Lzma),
            (b"PK\x03\x04", Codec::Zip),
        ];
        for (magic, codec) in MAGIC {
            if bytes.starts_with(magic) {
                return Some(codec);
            }
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
        if s.eq_ignore_ascii_case("none") || s.is_empty() {
            return Ok(Codec::None);
        }
        Codec::from_extension(s).ok_or_else(|| {
            let known: Vec<_> = Codec::ALL.iter().map(|c| c.name()).collect();
            Error::InvalidOption(format!("unknown codec {s:?}; known: {}", known.join(", ")))
        })
    }
}

/// What a name says: the format (if any) and the codec (`None` when no codec suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NameHints {
    /// The format from the name.
    pub format: Option<Format>,
    /// The codec from the name.
    pub codec: Codec,
}

/// Reads format and codec from a path or URL: `data.csv.gz` is CSV in gzip.
/// Case-insensitive; dots in the stem are fine; a URL's query and fragment are ignored.
///
/// ```
/// use iterable_core::detect::{from_name, NameHints};
/// use iterable_core::{Codec, Format};
///
/// assert_eq!(from_name("s3://b/2024.01.Data.CSV.GZ?x=1"), NameHints { format: Some(Format::Csv), codec: Codec::Gzip });
/// assert_eq!(from_name("dump.zst"), NameHints { format: None, codec: Codec::Zstd });
/// ```
pub fn from_name(location: &str) -> NameHints {
    let path = match location.find("://") {
        Some(_) => location.split(['?', '#']).next().unwrap_or(location),
        None => location,
    };
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let mut parts = file.rsplit('.');
    let last = parts.next().unwrap_or("");
    if !file.contains('.') {
        return NameHints::default();
    }
    if let Some(codec) = Codec::from_extension(last) {
        let format = file
            .matches('.')
            .count()
            .gt(&1)
            .then(|| parts.next())
            .flatten()
            .and_then(Format::from_extension);
        return NameHints { format, codec };
    }
    NameHints {
        format: Format::from_extension(last),
        codec: Codec::None,
    }
}

/// Guesses the format from the first (decompressed) bytes: binary magic numbers
/// first, then the shape of text.
pub fn sniff_format(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"PAR1") {
        return Some(Format::Parquet);
    }
    if bytes.starts_with(b"ARROW1") || bytes.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
        return Some(Format::Arrow);
    }
    if bytes.starts_with(b"Obj\x01") {
        return Some(Format::Avro);
    }
    if bytes.starts_with(b"ORC") {
        return Some(Format::Orc);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(Format::Xlsx);
    }
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    match text[0] {
        b'[' => Some(Format::Json),
        b'{' => Some(json_or_jsonl(text)),
        b'<' => Some(Format::Xml),
        b'-' if text.starts_with(b"---") => Some(Format::Yaml),
        _ if looks_like_text(text) => Some(Format::Csv),
        _ => None,
    }
}

/// `{...}\n{...}`: JSONL when the first line is one whole object and the next
/// non-blank line starts another; JSON otherwise (one object over many lines).
fn json_or_jsonl(text: &[u8]) -> Format {
    let Some(end) = text.iter().position(|&b| b == b'\n') else {
        return Format::Jsonl;
    };
    let first = text[..end].trim_ascii_end();
    let rest = text[end..].trim_ascii_start();
    if first.ends_with(b"}") && (rest.is_empty() || rest.starts_with(b"{")) {
        Format::Jsonl
    } else {
        Format::Json
    }
}

fn looks_like_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(4096)];
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        .count();
    controls == 0
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
            ("data.csv", Some(Format::Csv), Codec::None),
            ("DATA.TSV.BZ2", Some(Format::Tsv), Codec::Bzip2),
            ("a.b.c.jsonl.zst", Some(Format::Jsonl), Codec::Zstd),
            ("x.ndjson", Some(Format::Jsonl), Codec::None),
            ("x.json.xz", Some(Format::Json), Codec::Xz),
            ("x.csv.lzma", Some(Format::Csv), Codec::Lzma),
            ("x.csv.lz4", Some(Format::Csv), Codec::Lz4),
            ("x.csv.br", Some(Format::Csv), Codec::Brotli),
            ("x.csv.deflate", Some(Format::Csv), Codec::Deflate),
            ("x.csv.zz", Some(Format::Csv), Codec::Zlib),
            ("x.csv.zip", Some(Format::Csv), Codec::Zip),
            ("x.pq", Some(Format::Parquet), Codec::None),
            ("x.feather", Some(Format::Arrow), Codec::None),
            ("x.yml", Some(Format::Yaml), Codec::None),
            ("x.mp", Some(Format::MsgPack), Codec::None),
            ("dir.v2/file", None, Codec::None),
            ("gz", None, Codec::None),
            (".gz", None, Codec::Gzip),
            (
                "https://h/p/data.csv.gz?sig=a.b#frag",
                Some(Format::Csv),
                Codec::Gzip,
            ),
            ("data.txt", None, Codec::None),
        ];
        for (name, format, codec) in cases {
            assert_eq!(from_name(name), NameHints { format, codec }, "{name}");
        }
    }

    #[test]
    fn codec_magic() {
        assert_eq!(Codec::sniff(&[0x1f, 0x8b, 8]), Some(Codec::Gzip));
        assert_eq!(Codec::sniff(&[0x28, 0xb5, 0x2f, 0xfd]), Some(Codec::Zstd));
        assert_eq!(Codec::sniff(b"BZh91AY"), Some(Codec::Bzip2));
        assert_eq!(Codec::sniff(&[0x78, 0x9c, 1]), Some(Codec::Zlib));
        assert_eq!(Codec::sniff(b"xa,b"), None);
        assert_eq!(Codec::sniff(b"id,name"), None);
    }

    #[test]
    fn format_shapes() {
        assert_eq!(sniff_format(b"PAR1...."), Some(Format::Parquet));
        assert_eq!(sniff_format(b"  [{\"a\":1}]"), Some(Format::Json));
        assert_eq!(sniff_format(b"{\"a\":1}\n{\"a\":2}\n"), Some(Format::Jsonl));
        assert_eq!(sniff_format(b"{\n \"a\": [1]\n}\n"), Some(Format::Json));
        assert_eq!(
            sniff_format(b"\xef\xbb\xbfid,name\n1,x\n"),
            Some(Format::Csv)
        );
        assert_eq!(sniff_format(b"<root/>"), Some(Format::Xml));
        assert_eq!(sniff_format(b"\x00\x01\x02"), None);
        assert_eq!(sniff_format(b""), None);
    }

    #[test]
    fn parse_names() {
        assert_eq!("ndjson".parse::<Format>().unwrap(), Format::Jsonl);
        assert_eq!("gz".parse::<Codec>().unwrap(), Codec::Gzip);
        let err = "nope".parse::<Format>().unwrap_err().to_string();
        assert!(err.contains("known: csv, tsv"), "{err}");
    }
}
