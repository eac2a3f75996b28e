//! Format options as the registry describes them: a key (which is also the command
//! line's flag, `--key` with `_` as `-`), a help text, whether it takes a value, and
//! how it lands in [`Options`]. The options of the built-in formats are here, shared
//! where formats share a meaning (`tagname` is JSON's array key, XML's row element and
//! TOML's array of tables).

use iterable_core::{AvroCodec, ColumnarCompression, Error, Options, Result, Sheet};

/// One option a format's reader or writer takes.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    /// The key (`delimiter`, `no_header`); the command line's flag is `--` + the key
    /// with `_` written as `-`.
    pub key: &'static str,
    /// The value's placeholder in help (`CHAR`, `N`); `None` for a switch, which takes
    /// no value and is applied with `"true"`.
    pub value_name: Option<&'static str>,
    /// What it does, in one line.
    pub help: &'static str,
    /// Where it goes.
    pub target: OptionTarget,
}

/// Where an option's value goes.
#[derive(Debug, Clone, Copy)]
pub enum OptionTarget {
    /// A field of [`Options`], set by this function from the text value.
    Field(fn(&mut Options, &str) -> Result<()>),
    /// [`Options::format_options`] under the key, as text: what formats outside this
    /// crate use.
    FormatOptions,
}

impl OptionSpec {
    /// An option kept as text in [`Options::format_options`] under `key`.
    pub const fn text(key: &'static str, value_name: &'static str, help: &'static str) -> Self {
        OptionSpec {
            key,
            value_name: Some(value_name),
            help,
            target: OptionTarget::FormatOptions,
        }
    }

    /// The command line's flag for it (`no-header`).
    pub fn flag(&self) -> String {
        self.key.replace('_', "-")
    }

    /// Applies `value` (`"true"` for a switch) to `options`; a value that does not
    /// parse is [`Error::InvalidOption`] naming the option.
    pub fn apply(&self, options: &mut Options, value: &str) -> Result<()> {
        match self.target {
            OptionTarget::Field(set) => set(options, value),
            OptionTarget::FormatOptions => {
                options
                    .format_options
                    .insert(self.key.to_owned(), value.to_owned());
                Ok(())
            }
        }
    }
}

fn invalid(key: &str, value: &str, expected: &str) -> Error {
    Error::InvalidOption(format!(
        "--{} takes {expected}, not {value:?}",
        key.replace('_', "-")
    ))
}

fn number(key: &str, value: &str) -> Result<usize> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(key, value, "a whole number"))
}

fn switch(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(invalid(key, value, "true or false")),
    }
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parses a one-byte character option: one ASCII character, or `tab`.
pub fn parse_byte(key: &str, value: &str) -> Result<u8> {
    match value {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if value.len() == 1 && value.is_ascii() => Ok(value.as_bytes()[0]),
        _ => Err(invalid(key, value, "one ASCII character or `tab`")),
    }
}

macro_rules! field {
    ($(#[$doc:meta])* $name:ident, $key:literal, $value:expr, $help:literal, |$o:ident, $v:ident| $body:expr) => {
        $(#[$doc])*
        pub static $name: OptionSpec = OptionSpec {
            key: $key,
            value_name: $value,
            help: $help,
            target: OptionTarget::Field(|$o, $v| {
                let _ = &$v;
                $body;
                Ok(())
            }),
        };
    };
}

field!(
    /// CSV: the field delimiter.
    DELIMITER, "delimiter", Some("CHAR"), "field delimiter: a character, or tab (default: sniffed for .csv)",
    |o, v| o.csv.delimiter = Some(parse_byte("delimiter", v)?)
);
field!(
    /// CSV: the quote character.
    QUOTE, "quote", Some("CHAR"), "quote character (default \")",
    |o, v| o.csv.quote = parse_byte("quote", v)?
);
field!(
    /// CSV: an escape character instead of doubled quotes.
    ESCAPE, "escape", Some("CHAR"), "escape character inside quotes, instead of doubled quotes",
    |o, v| o.csv.escape = Some(parse_byte("escape", v)?)
);
field!(
    /// CSV: a comment character.
    COMMENT, "comment", Some("CHAR"), "lines starting with this character are skipped",
    |o, v| o.csv.comment = Some(parse_byte("comment", v)?)
);
field!(
    /// CSV: the text encoding.
    ENCODING, "encoding", Some("LABEL"), "text encoding (windows-1251, latin1, utf-16le, ...; default UTF-8)",
    |o, v| o.csv.encoding = Some(v.trim().to_owned())
);
field!(
    /// CSV: no header row.
    CSV_NO_HEADER, "no_header", None, "no header row: columns are named column_1, column_2, ...",
    |o, v| o.csv.has_header = !switch("no_header", v)?
);
field!(
    /// XLSX: no header row.
    SHEET_NO_HEADER, "no_header", None, "no header row: columns are named column_1, column_2, ...",
    |o, v| o.xlsx.has_header = !switch("no_header", v)?
);
field!(
    /// CSV: typed values; JSON Lines read into batches: typed date strings.
    INFER_TYPES, "infer_types", None, "turn numbers, booleans and empty fields into typed values (JSON Lines into batches or a schema: date and date-time strings into dates)",
    |o, v| o.csv.infer_types = switch("infer_types", v)?
);
field!(
    /// CSV writing: the header from the first N rows.
    HEADER_SCAN_ROWS, "header_scan_rows", Some("N"), "the header is the union of the keys of the first N rows (default 1)",
    |o, v| o.csv.header_scan_rows = number("header_scan_rows", v)?.max(1)
);
field!(
    /// CSV writing: what a key outside the header does.
    EXTRA_KEYS, "extra_keys", Some("error|ignore"), "a key outside the header (settled by --header-scan-rows): an error naming it (default), or its value dropped",
    |o, v| o.csv.extra_keys = match v.to_ascii_lowercase().as_str() {
        "error" => iterable_core::ExtraKeys::Error,
        "ignore" => iterable_core::ExtraKeys::Ignore,
        other => {
            return Err(Error::InvalidOption(format!(
                "extra_keys: {other:?} is not one of error, ignore"
            )))
        }
    }
);
field!(
    /// CSV writing: CRLF line ends.
    CRLF, "crlf", None, "end lines with CRLF instead of LF",
    |o, v| o.csv.crlf = switch("crlf", v)?
);
field!(
    /// JSON: the key of the array of rows.
    JSON_TAGNAME, "tagname", Some("KEY"), "the key of the top-level object that holds the array of rows",
    |o, v| o.json.tagname = Some(v.to_owned())
);
field!(
    /// XML: the row element.
    XML_TAGNAME, "tagname", Some("NAME"), "the name of the elements that are rows (default: the root's children)",
    |o, v| o.xml.tagname = Some(v.to_owned())
);
field!(
    /// JSON, JSON Lines, BSON, MessagePack: a key repeated in a record.
    DUPLICATE_KEYS, "duplicate_keys", Some("RULE"), "a key repeated in a record: last (the default) or first wins, or error (a bad record)",
    |o, v| o.duplicate_keys = v.parse()?
);
field!(
    /// XLSX: the most a workbook may unpack to.
    MAX_UNPACKED_BYTES, "max_unpacked_bytes", Some("BYTES"), "the most bytes a workbook or a DOCX part, or an Arrow IPC message's compressed buffers, may unpack to (default 1 GiB)",
    |o, v| o.limits.max_unpacked_bytes = number("max_unpacked_bytes", v)? as u64
);
field!(
    /// Every text format: the largest record.
    MAX_RECORD_BYTES, "max_record_bytes", Some("BYTES"), "the largest record accepted, in bytes (default 64 MiB)",
    |o, v| o.limits.max_record_bytes = number("max_record_bytes", v)?.max(1)
);
field!(
    /// JSON writing: indented.
    PRETTY, "pretty", None, "indent the output",
    |o, v| o.json.pretty = switch("pretty", v)?
);
field!(
    /// XML: strip namespace prefixes.
    STRIP_NAMESPACES, "strip_namespaces", None, "drop namespace prefixes (dc:title is read as title)",
    |o, v| o.xml.strip_namespaces = switch("strip_namespaces", v)?
);
field!(
    /// XML writing: the root element.
    XML_ROOT, "xml_root", Some("NAME"), "the root element (default root)",
    |o, v| o.xml.root = v.to_owned()
);
field!(
    /// XLSX: the sheet by name.
    SHEET, "sheet", Some("NAME"), "the sheet, by name (default the first)",
    |o, v| o.xlsx.sheet = Some(Sheet::Name(v.to_owned()))
);
field!(
    /// XLSX: the sheet by position.
    SHEET_INDEX, "sheet_index", Some("N"), "the sheet, by 0-based position",
    |o, v| o.xlsx.sheet = Some(Sheet::Index(number("sheet_index", v)?))
);
field!(
    /// Columnar reading: only some columns.
    COLUMNS, "columns", Some("A,B"), "only these columns, in this order (comma separated)",
    |o, v| o.columnar.columns = Some(list(v))
);
field!(
    /// Parquet reading: only some row groups.
    ROW_GROUPS, "row_groups", Some("0,2"), "only these row groups (0-based, comma separated)",
    |o, v| o.columnar.row_groups = Some(list(v).iter().map(|g| number("row_groups", g)).collect::<Result<_>>()?)
);
field!(
    /// Columnar writing: compression.
    COMPRESSION, "compression", Some("C"), "page/buffer compression: snappy, zstd, gzip, lz4, brotli, none (Parquet default zstd; Arrow: lz4, zstd)",
    |o, v| o.columnar.compression = Some(v.parse::<ColumnarCompression>()?)
);
field!(
    /// Parquet writing: row group size.
    ROW_GROUP_SIZE, "row_group_size", Some("N"), "the most rows in one row group",
    |o, v| o.columnar.row_group_size = number("row_group_size", v)?.max(1)
);
field!(
    /// Arrow IPC writing: the stream form.
    IPC_STREAM, "ipc_stream", None, "write the stream form instead of the file form",
    |o, v| o.columnar.ipc_stream = switch("ipc_stream", v)?
);
field!(
    /// Avro writing: the block codec.
    AVRO_CODEC, "avro_codec", Some("C"), "the container's block codec: null, deflate, snappy, zstd",
    |o, v| o.avro.codec = match v.trim().to_ascii_lowercase().as_str() {
        "null" | "none" => AvroCodec::Null,
        "deflate" => AvroCodec::Deflate,
        "snappy" => AvroCodec::Snappy,
        "zstd" | "zstandard" => AvroCodec::Zstd,
        _ => return Err(invalid("avro_codec", v, "null, deflate, snappy or zstd")),
    }
);

/// TOML: the array of tables that holds the rows.
pub static TOML_TAGNAME: OptionSpec = OptionSpec::text(
    "tagname",
    "KEY",
    "the array of tables that holds the rows, when there are several",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse_their_values() {
        let mut o = Options::default();
        DELIMITER.apply(&mut o, "tab").unwrap();
        assert_eq!(o.csv.delimiter, Some(b'\t'));
        CSV_NO_HEADER.apply(&mut o, "true").unwrap();
        assert!(!o.csv.has_header);
        ROW_GROUPS.apply(&mut o, "0, 2").unwrap();
        assert_eq!(o.columnar.row_groups, Some(vec![0, 2]));
        TOML_TAGNAME.apply(&mut o, "people").unwrap();
        assert_eq!(o.format_options["tagname"], "people");
        let err = DELIMITER.apply(&mut o, "ab").unwrap_err().to_string();
        assert!(
            err.contains("--delimiter takes one ASCII character"),
            "{err}"
        );
        let err = SHEET_INDEX.apply(&mut o, "x").unwrap_err().to_string();
        assert!(err.contains("--sheet-index takes a whole number"), "{err}");
        assert_eq!(CSV_NO_HEADER.flag(), "no-header");
    }
}
