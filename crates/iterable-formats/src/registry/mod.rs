//! The format registry: every format is described once, by one [`FormatSpec`] in its
//! own module, and everything that needs to know about formats reads it: detection by
//! name and by content, [`open_reader`](crate::open_reader) and
//! [`open_writer`](crate::open_writer), the facade's choice of road (bytes, or a file
//! read in place), the command line's `--format`/`--to` values, its per-format flags
//! and their help, [`Error::UnknownFormat`]'s list and [`Error::FeatureDisabled`].
//!
//! The built-in formats are listed in [`builtin`] (one line each). A crate of your own
//! can [`register`] another one and open it by name or extension like any other:
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use futures::StreamExt;
//! use iterable_core::{Codec, Format, IterableInfo, Mode, Options, Row, Value};
//! use iterable_formats::registry::{self, Builders, Capabilities, FormatSpec};
//! use iterable_formats::{open_reader, rows_iterable, ReadContext};
//! use tokio::io::AsyncReadExt;
//!
//! // A format whose every line is a row with one column, "line" (a real format parses
//! // as the bytes arrive; this one reads its small input whole).
//! static LINES: FormatSpec = FormatSpec {
//!     capabilities: Capabilities { write: false, ..Capabilities::TEXT },
//!     builders: Some(Builders {
//!         reader: Some(|mut bytes, ctx| Box::pin(async move {
//!             let mut text = String::new();
//!             bytes.read_to_string(&mut text).await.map_err(|e| iterable_core::Error::io(&ctx.info.location, e))?;
//!             let rows: Vec<_> = text.lines().map(|l| {
//!                 let mut row = Row::new();
//!                 row.insert("line", l);
//!                 Ok(row)
//!             }).collect();
//!             Ok(rows_iterable(ctx, rows))
//!         })),
//!         ..Builders::NONE
//!     }),
//!     ..FormatSpec::new(Format::new("lines"), "one row a line of text", &["lines"])
//! };
//! registry::register(&LINES);
//!
//! assert_eq!(registry::from_name("notes.lines.gz").format, Some(Format::new("lines")));
//! let info = IterableInfo { location: "notes.lines".into(), format: Format::new("lines"), codec: Codec::None, mode: Mode::Read, encoding: None };
//! let bytes: &[u8] = b"first\nsecond\n";
//! let mut rows = open_reader(bytes, ReadContext::new(info, Options::default())).await.unwrap();
//! rows.next().await;
//! assert_eq!(rows.next().await.unwrap().unwrap()["line"], Value::from("second"));
//! # });
//! ```

pub mod builtin;
pub mod options;

use std::sync::RwLock;

use iterable_core::detect::name_parts;
use iterable_core::{BoxFuture, BoxIterable, Codec, Error, Format, Mode, Options, Result};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::{ReadContext, WriteContext};

pub use options::{OptionSpec, OptionTarget};

/// The bytes a reader is built over.
pub type BoxReader = Box<dyn AsyncBufRead + Send + Unpin>;
/// The sink a writer is built over; shutting it down publishes an atomic file.
pub type BoxWriter = Box<dyn AsyncWrite + Send + Unpin>;
/// Builds a reader over bytes.
pub type OpenReader = fn(BoxReader, ReadContext) -> BoxFuture<'static, Result<BoxIterable>>;
/// Builds a reader over a file it may seek in (a local file read in place, or input
/// spooled to an anonymous temporary file first).
pub type OpenFile = fn(std::fs::File, ReadContext) -> BoxFuture<'static, Result<BoxIterable>>;
/// Builds a writer over a sink.
pub type OpenWriter = fn(BoxWriter, WriteContext) -> BoxFuture<'static, Result<BoxIterable>>;

/// How a format's bytes are recognised when the name says nothing.
#[derive(Debug, Clone, Copy)]
pub struct Sniffer {
    /// How sure a match is: magic numbers are tried before text shapes, and the
    /// fallback (plain text as CSV) last.
    pub strength: SniffStrength,
    /// Whether the first decoded bytes (up to 4 KiB, fewer at the end of input) look
    /// like this format.
    pub matches: fn(&[u8]) -> bool,
}

/// The order in which sniffers are tried; within one strength, registry order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SniffStrength {
    /// A binary magic number.
    Magic,
    /// The shape of text (`[`, `{`, `<`, `---`, `label:value`).
    Shape,
    /// Anything that is text at all.
    Fallback,
}

/// What kind of values a format's rows hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// Every value is text (CSV, LTSV): a round trip gives back strings.
    Text,
    /// Values keep their types (numbers, booleans, nulls; what the format has).
    Typed,
}

/// What a format can do: declared, so the conformance suite checks it and users can
/// ask, instead of finding out by an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// It can be read.
    pub read: bool,
    /// It can be written.
    pub write: bool,
    /// What its values are.
    pub values: Values,
    /// A bad record can be skipped (or dead-lettered) and reading goes on at the next
    /// one; formats without record boundaries end the stream at a malformed record.
    pub record_boundaries: bool,
    /// A container of its own (Parquet, Avro, XLSX, ...): its bytes are never sniffed
    /// for a codec (a workbook starts like a zip archive and is not one to unpack).
    pub container: bool,
    /// Null values survive a round trip (TOML has no null: a null key is left out).
    pub nulls: bool,
    /// Lists and maps survive a round trip.
    pub nested: bool,
    /// The format marks where it ends (a footer, a closing bracket, an end tag), so input
    /// cut short anywhere is an error. Formats without an end mark (lines, streams of
    /// documents, blocks) cannot tell a cut on a record boundary from the end: they
    /// lose only the records after the cut, and a cut inside a record is an error or a
    /// shorter last record.
    pub marks_end: bool,
    /// Its values are typed by column (one type a column, from a schema or the first
    /// rows: Parquet, Arrow, Avro, ORC; a workbook's cells): text from a text format
    /// is typed by column for it on conversion.
    pub typed_columns: bool,
    /// Its rows carry a `geometry` column, a GeoJSON object or null (GeoJSON, KML, GML):
    /// the conformance suite's rows carry one.
    pub geometry: bool,
    /// Its bytes are not text (Parquet, Avro, BSON, a workbook, ...): the command line
    /// will not write them to a terminal.
    pub binary: bool,
}

impl Capabilities {
    /// A text format with record boundaries, read and written, no nesting.
    pub const TEXT: Capabilities = Capabilities {
        read: true,
        write: true,
        values: Values::Text,
        record_boundaries: true,
        container: false,
        nulls: false,
        nested: false,
        marks_end: false,
        typed_columns: false,
        geometry: false,
        binary: false,
    };
    /// A typed format, read and written, nulls and nesting kept, no record boundaries.
    pub const TYPED: Capabilities = Capabilities {
        read: true,
        write: true,
        values: Values::Typed,
        record_boundaries: false,
        container: false,
        nulls: true,
        nested: true,
        marks_end: false,
        typed_columns: false,
        geometry: false,
        binary: false,
    };
}

/// A step before the reader is built that needs to look at the first decoded bytes
/// (CSV: the delimiter sniff).
#[derive(Debug, Clone, Copy)]
pub struct ReadPrepare {
    /// How many decoded bytes it wants to see.
    pub peek_bytes: usize,
    /// Adjusts the options from those bytes; `at_eof` says the input is shorter.
    pub apply: fn(&mut Options, head: &[u8], at_eof: bool),
}

/// How a format's readers and writers are built. `None` in a field: that road does
/// not exist for the format.
#[derive(Debug, Clone, Copy)]
pub struct Builders {
    /// A reader over decoded bytes.
    pub reader: Option<OpenReader>,
    /// A reader over a seekable file: used in place for a plain local file, and for
    /// any other input after spooling it to a temporary file when `reader` is `None`.
    pub file_reader: Option<OpenFile>,
    /// A writer over a sink.
    pub writer: Option<OpenWriter>,
}

impl Builders {
    /// No road at all (start from this with `..Builders::NONE`).
    pub const NONE: Builders = Builders {
        reader: None,
        file_reader: None,
        writer: None,
    };
}

/// One format, described once.
#[derive(Debug, Clone, Copy)]
pub struct FormatSpec {
    /// Its identity and canonical name.
    pub format: Format,
    /// What it is, in a few words (help texts).
    pub description: &'static str,
    /// Other names `--format` accepts (`ndjson` for JSON Lines).
    pub aliases: &'static [&'static str],
    /// File extensions without the dot, lower case (`["jsonl", "ndjson"]`).
    pub extensions: &'static [&'static str],
    /// How its bytes are recognised, if they can be.
    pub sniffer: Option<Sniffer>,
    /// What it can do.
    pub capabilities: Capabilities,
    /// The options its reader takes.
    pub read_options: &'static [&'static OptionSpec],
    /// The options its writer takes.
    pub write_options: &'static [&'static OptionSpec],
    /// A step before reading that looks at the first bytes.
    pub read_prepare: Option<ReadPrepare>,
    /// The cargo feature of the `iterable` crate that compiles it in (`""`: always).
    pub feature: &'static str,
    /// How readers and writers are built; `None` when its feature is off.
    pub builders: Option<Builders>,
    /// Rows of the format's own shape, for a format that cannot hold any row (a WARC
    /// record has its required headers and a payload): the conformance suite writes
    /// and reads these (at least three) instead of its standard rows.
    pub sample_rows: Option<fn() -> Vec<iterable_core::Row>>,
    /// Codecs its writer applies itself, one compressed member a record (WARC's
    /// `.warc.gz`, whose readers seek to a record's member). The facade opens the byte
    /// sink without such a codec, and the writer finds it in `info.codec`.
    pub compresses_records: &'static [iterable_core::Codec],
}

impl FormatSpec {
    /// A spec with the given name, description and extensions, typed values, no
    /// sniffer, no options, no builders: fill in the rest with `..FormatSpec::new(..)`.
    pub const fn new(
        format: Format,
        description: &'static str,
        extensions: &'static [&'static str],
    ) -> FormatSpec {
        FormatSpec {
            format,
            description,
            aliases: &[],
            extensions,
            sniffer: None,
            capabilities: Capabilities::TYPED,
            read_options: &[],
            write_options: &[],
            read_prepare: None,
            feature: "",
            builders: None,
            sample_rows: None,
            compresses_records: &[],
        }
    }

    /// The builders, or [`Error::FeatureDisabled`] naming the feature that compiles
    /// this format in.
    pub fn require_builders(&self) -> Result<&Builders> {
        self.builders
            .as_ref()
            .ok_or_else(|| Error::FeatureDisabled {
                what: format!("the {} format", self.format),
                feature: self.feature.to_owned(),
            })
    }

    /// Whether it is compiled in.
    pub fn is_available(&self) -> bool {
        self.builders.is_some()
    }

    /// Whether a plain local file of this format is read in place (random access).
    pub fn reads_files_in_place(&self) -> bool {
        self.builders.is_some_and(|b| b.file_reader.is_some())
    }
}

/// Formats registered at run time, newest first; they are found before the built-in
/// ones, so a registered format may also replace one.
static REGISTERED: RwLock<Vec<&'static FormatSpec>> = RwLock::new(Vec::new());

/// Registers a format: from now on it is detected by its extensions (and sniffer),
/// opened by name, listed in errors and help. A spec with the name of a registered
/// or built-in format replaces it.
pub fn register(spec: &'static FormatSpec) {
    let mut registered = REGISTERED.write().unwrap_or_else(|e| e.into_inner());
    registered.retain(|s| s.format != spec.format);
    registered.insert(0, spec);
}

/// Every format: registered ones first, then the built-in ones in [`builtin::ALL`]
/// order; one entry per name.
pub fn all() -> Vec<&'static FormatSpec> {
    let registered = REGISTERED.read().unwrap_or_else(|e| e.into_inner());
    let mut specs: Vec<&'static FormatSpec> = registered.clone();
    for spec in builtin::ALL {
        if !specs.iter().any(|s| s.format == spec.format) {
            specs.push(spec);
        }
    }
    specs
}

/// The spec of `format`, if it is registered.
pub fn spec(format: Format) -> Option<&'static FormatSpec> {
    find(|s| s.format == format)
}

/// The spec of `format`, or [`Error::UnknownFormat`] naming `location`.
pub fn require(format: Format, location: &str) -> Result<&'static FormatSpec> {
    spec(format).ok_or_else(|| Error::UnknownFormat {
        location: location.to_owned(),
        detail: Some(format!("no format named {format:?} is registered")),
        known: known_names(),
    })
}

/// The format with this name or alias (any case, a leading dot allowed), or with this
/// extension.
pub fn by_name(name: &str) -> Option<&'static FormatSpec> {
    let name = name.trim().trim_start_matches('.');
    find(|s| {
        s.format.name().eq_ignore_ascii_case(name)
            || s.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
    .or_else(|| by_extension(name))
}

/// The format of a file extension (without the dot, any case).
pub fn by_extension(ext: &str) -> Option<&'static FormatSpec> {
    find(|s| s.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)))
}

/// The format named `name` (see [`by_name`]), or [`Error::InvalidOption`] listing the
/// known ones.
pub fn parse_format(name: &str) -> Result<Format> {
    by_name(name).map(|s| s.format).ok_or_else(|| {
        Error::InvalidOption(format!("unknown format {name:?}; known: {}", known_names()))
    })
}

fn find(mut pred: impl FnMut(&FormatSpec) -> bool) -> Option<&'static FormatSpec> {
    {
        let registered = REGISTERED.read().unwrap_or_else(|e| e.into_inner());
        if let Some(spec) = registered.iter().find(|s| pred(s)) {
            return Some(spec);
        }
    }
    builtin::ALL.iter().copied().find(|s| pred(s))
}

/// The names of all formats, comma separated, for error messages and help.
pub fn known_names() -> String {
    all()
        .iter()
        .map(|s| s.format.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Options every reader takes: a format that does not list one itself has it applied
/// to its rows by the facade (`columns`: only those columns, in that order).
pub const EVERY_READER: &[&OptionSpec] = &[&options::COLUMNS];

/// The options of every registered format for `mode` (readers' or writers'), one
/// entry per key, with the formats that take it, in registry order (with
/// [`EVERY_READER`]'s options for every reader).
pub fn options_of(mode: Mode) -> Vec<(&'static OptionSpec, Vec<Format>)> {
    let mut out: Vec<(&'static OptionSpec, Vec<Format>)> = Vec::new();
    for spec in all() {
        let list = match mode {
            Mode::Read => spec.read_options,
            Mode::Write => spec.write_options,
        };
        let every = match mode {
            Mode::Read => EVERY_READER,
            Mode::Write => &[],
        };
        let not_listed = every
            .iter()
            .filter(|o| !list.iter().any(|l| l.key == o.key));
        for option in list.iter().chain(not_listed) {
            match out.iter_mut().find(|(o, _)| o.key == option.key) {
                Some((_, formats)) => formats.push(spec.format),
                None => out.push((option, vec![spec.format])),
            }
        }
    }
    out
}

/// Sets the format option `key` to `value` (`"true"` for a switch) for every
/// registered format whose reader (or writer, by `mode`) takes it. A key no format
/// takes is [`Error::InvalidOption`] listing the keys there are.
///
/// ```
/// use iterable_core::{Mode, Options};
/// use iterable_formats::registry::apply_option;
///
/// let mut options = Options::default();
/// apply_option(&mut options, Mode::Read, "delimiter", ";").unwrap();
/// assert_eq!(options.csv.delimiter, Some(b';'));
/// assert!(apply_option(&mut options, Mode::Read, "nope", "1").is_err());
/// ```
pub fn apply_option(options: &mut Options, mode: Mode, key: &str, value: &str) -> Result<()> {
    let key = key.trim().trim_start_matches("--").replace('-', "_");
    let mut found = false;
    for spec in all() {
        let list = match mode {
            Mode::Read => spec.read_options,
            Mode::Write => spec.write_options,
        };
        for option in list.iter().filter(|o| o.key == key) {
            found = true;
            option.apply(options, value)?;
        }
    }
    if !found && mode == Mode::Read {
        for option in EVERY_READER.iter().filter(|o| o.key == key) {
            found = true;
            option.apply(options, value)?;
        }
    }
    if found {
        return Ok(());
    }
    let known: Vec<&str> = options_of(mode).iter().map(|(o, _)| o.key).collect();
    Err(Error::InvalidOption(format!(
        "no format's {} takes the option {key:?}; options: {}",
        match mode {
            Mode::Read => "reader",
            Mode::Write => "writer",
        },
        known.join(", ")
    )))
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
/// use iterable_core::{Codec, Format};
/// use iterable_formats::registry::{from_name, NameHints};
///
/// assert_eq!(from_name("s3://b/2024.01.Data.CSV.GZ?x=1"), NameHints { format: Some(Format::CSV), codec: Codec::Gzip });
/// assert_eq!(from_name("dump.zst"), NameHints { format: None, codec: Codec::Zstd });
/// assert_eq!(from_name("notes.txt"), NameHints { format: Some(Format::new("txt")), codec: Codec::None });
/// assert_eq!(from_name("data.unknown"), NameHints { format: None, codec: Codec::None });
/// ```
pub fn from_name(location: &str) -> NameHints {
    let parts = name_parts(location);
    NameHints {
        format: parts
            .format_extension
            .and_then(by_extension)
            .map(|s| s.format),
        codec: parts.codec,
    }
}

/// Guesses the format from the first (decoded) bytes: magic numbers first, then the
/// shape of text, then plain text as CSV.
///
/// ```
/// use iterable_core::Format;
/// use iterable_formats::registry::sniff;
///
/// assert_eq!(sniff(b"PAR1...."), Some(Format::PARQUET));
/// assert_eq!(sniff(b"{\"a\":1}\n{\"a\":2}\n"), Some(Format::JSONL));
/// assert_eq!(sniff(b"id,name\n1,x\n"), Some(Format::CSV));
/// assert_eq!(sniff(b"\x00\x01\x02"), None);
/// ```
pub fn sniff(head: &[u8]) -> Option<Format> {
    let specs = all();
    for strength in [
        SniffStrength::Magic,
        SniffStrength::Shape,
        SniffStrength::Fallback,
    ] {
        for spec in &specs {
            if let Some(sniffer) = spec.sniffer
                && sniffer.strength == strength
                && (sniffer.matches)(head)
            {
                return Some(spec.format);
            }
        }
    }
    None
}

/// The text of `head` after a UTF-8 byte order mark and leading whitespace: what the
/// text sniffers look at. `None` when nothing is left.
pub fn text_start(head: &[u8]) -> Option<&[u8]> {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    Some(&text[start..])
}

/// Whether `bytes` (its first 4 KiB) hold no control characters but tab, CR and LF.
pub fn looks_like_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(4096)];
    !sample
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_extensions() {
        let cases = [
            ("data.csv", Some(Format::CSV), Codec::None),
            ("DATA.TSV.BZ2", Some(Format::TSV), Codec::Bzip2),
            ("a.b.c.jsonl.zst", Some(Format::JSONL), Codec::Zstd),
            ("x.ndjson", Some(Format::JSONL), Codec::None),
            ("x.json.xz", Some(Format::JSON), Codec::Xz),
            ("x.pq", Some(Format::PARQUET), Codec::None),
            ("x.feather", Some(Format::ARROW), Codec::None),
            ("x.yml", Some(Format::YAML), Codec::None),
            ("x.mp", Some(Format::MSGPACK), Codec::None),
            ("x.ltsv", Some(Format::new("ltsv")), Codec::None),
            ("x.toml", Some(Format::new("toml")), Codec::None),
            ("x.csv.snappy", Some(Format::CSV), Codec::Snappy),
            ("dir.v2/file", None, Codec::None),
            ("data.txt", Some(Format::new("txt")), Codec::None),
            ("page.htm.gz", Some(Format::new("html")), Codec::Gzip),
            ("notes.md", Some(Format::new("md")), Codec::None),
        ];
        for (name, format, codec) in cases {
            assert_eq!(from_name(name), NameHints { format, codec }, "{name}");
        }
    }

    #[test]
    fn shapes() {
        assert_eq!(sniff(b"  [{\"a\":1}]"), Some(Format::JSON));
        assert_eq!(sniff(b"{\n \"a\": [1]\n}\n"), Some(Format::JSON));
        assert_eq!(sniff(b"\xef\xbb\xbfid,name\n1,x\n"), Some(Format::CSV));
        assert_eq!(sniff(b"<root/>"), Some(Format::XML));
        assert_eq!(sniff(b"---\na: 1\n"), Some(Format::YAML));
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn parse_names() {
        assert_eq!(parse_format("ndjson").unwrap(), Format::JSONL);
        assert_eq!(parse_format(".CSV").unwrap(), Format::CSV);
        let err = parse_format("nope").unwrap_err().to_string();
        assert!(err.contains("known: csv, tsv"), "{err}");
    }

    #[test]
    fn every_builtin_is_described_once() {
        let specs = all();
        for (i, a) in specs.iter().enumerate() {
            for b in &specs[i + 1..] {
                assert_ne!(a.format, b.format, "two specs named {}", a.format);
                for ext in a.extensions {
                    assert!(
                        !b.extensions.contains(ext),
                        "{ext} is {} and {}",
                        a.format,
                        b.format
                    );
                }
            }
            assert!(!a.description.is_empty(), "{} has no description", a.format);
            assert!(
                a.feature.is_empty() == a.builders.is_some() || !a.feature.is_empty(),
                "{}",
                a.format
            );
        }
    }
}
