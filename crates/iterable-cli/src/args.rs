//! Command-line arguments and their translation into [`IterableOptions`].

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand};
use iterable::{Codec, ColumnarCompression, ErrorPolicy, FileOrder, Format, IterableOptions};

/// Stream rows out of CSV, TSV, JSON Lines and JSON files in any compression.
#[derive(Debug, Parser)]
#[command(name = "iterable", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write every row to stdout (JSON Lines unless --to says otherwise).
    Cat {
        /// A path, URL or glob, or - for stdin.
        location: String,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Write the first rows to stdout.
    Head {
        /// How many rows.
        #[arg(short = 'n', long = "lines", default_value_t = 10)]
        n: usize,
        /// A path, URL or glob, or - for stdin.
        location: String,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Count rows; several locations are read concurrently. The total is the last line.
    Count {
        /// Paths, URLs or globs (or - for stdin); a glob counts each file it matches.
        #[arg(required = true)]
        locations: Vec<String>,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Extract fields from every row of IN with a chat model, into OUT.
    Enrich(Box<crate::commands::enrich::EnrichArgs>),
    /// Convert IN to OUT; the format and codec of each come from its name.
    Convert {
        /// The input path, URL or glob, or - for stdin.
        input: String,
        /// The output path or URL, or - for stdout.
        output: String,
        #[command(flatten)]
        read: ReadArgs,
        /// The output format, instead of the one the name says.
        #[arg(long = "to")]
        to: Option<Format>,
        /// The output codec, instead of the one the name says.
        #[arg(long = "to-codec")]
        to_codec: Option<Codec>,
        #[command(flatten)]
        columnar: ColumnarWriteArgs,
    },
    /// Print the columns of LOCATION and their Arrow types, one `name: type` a line: a
    /// Parquet or Arrow file's own schema, or the types of the first rows of any other
    /// format (CSV fields are text unless --infer-types).
    Schema {
        /// A path, URL or glob, or - for stdin.
        location: String,
        /// XLSX: list the workbook's sheets, one name a line, instead of the columns.
        #[arg(long)]
        sheets: bool,
        #[command(flatten)]
        read: ReadArgs,
    },
}

/// Options for writing Parquet and Arrow IPC.
#[derive(Debug, Args, Clone)]
pub struct ColumnarWriteArgs {
    /// Parquet/Arrow: compression (snappy, zstd, gzip, lz4, brotli, none; Arrow: lz4,
    /// zstd). Parquet's default is snappy.
    #[arg(long)]
    pub compression: Option<ColumnarCompression>,
    /// Parquet: the most rows in one row group.
    #[arg(long)]
    pub row_group_size: Option<usize>,
}

impl ColumnarWriteArgs {
    /// Adds these options to `options`.
    pub fn apply(&self, mut options: IterableOptions) -> IterableOptions {
        if let Some(c) = self.compression {
            options = options.columnar_compression(c);
        }
        if let Some(n) = self.row_group_size {
            options = options.row_group_size(n);
        }
        options
    }
}

/// Options for the output of `cat` and `head`.
#[derive(Debug, Args)]
pub struct OutArgs {
    /// Output format: jsonl, csv, tsv, psv or json.
    #[arg(long = "to", default_value = "jsonl")]
    pub to: Format,
}

/// Options for reading.
#[derive(Debug, Args, Clone)]
pub struct ReadArgs {
    /// The input format, instead of detecting it.
    #[arg(long)]
    pub format: Option<Format>,
    /// The input codec, instead of detecting it (none to force none).
    #[arg(long)]
    pub codec: Option<Codec>,
    /// CSV field delimiter: a character, or tab.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// CSV text encoding (windows-1251, latin1, utf-16le, ...).
    #[arg(long)]
    pub encoding: Option<String>,
    /// CSV and XLSX have no header row: columns are named column_1, column_2, ...
    #[arg(long)]
    pub no_header: bool,
    /// XLSX: the sheet to read, by name (default the first).
    #[arg(long, conflicts_with = "sheet_index")]
    pub sheet: Option<String>,
    /// XLSX: the sheet to read, by 0-based position.
    #[arg(long)]
    pub sheet_index: Option<usize>,
    /// XML: drop namespace prefixes (dc:title is read as title).
    #[arg(long)]
    pub strip_namespaces: bool,
    /// CSV: turn numbers, booleans and empty fields into typed values.
    #[arg(long)]
    pub infer_types: bool,
    /// JSON: the key of the top-level object that holds the array of rows; XML: the
    /// name of the elements that are rows.
    #[arg(long)]
    pub tagname: Option<String>,
    /// The member of a zip archive to read.
    #[arg(long)]
    pub zip_member: Option<String>,
    /// Skip bad records instead of stopping (they are counted on stderr).
    #[arg(long, conflicts_with = "dead_letter")]
    pub skip_errors: bool,
    /// Skip bad records and write each, with its position, to this JSON Lines file.
    #[arg(long)]
    pub dead_letter: Option<String>,
    /// Parquet/Arrow: only these columns, in this order (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Parquet: only these row groups (0-based, comma separated).
    #[arg(long, value_delimiter = ',')]
    pub row_groups: Option<Vec<usize>>,
    /// How many first rows decide inferred column types (schema, and writing
    /// Parquet/Arrow).
    #[arg(long)]
    pub schema_rows: Option<usize>,
    /// Threads parsing CSV and JSON Lines in blocks (1: none, the default; 0: one per core).
    #[arg(long, default_value_t = 1)]
    pub parse_threads: usize,
    /// Globs, prefixes and folders: how many files are read at once.
    #[arg(long, default_value_t = 4)]
    pub file_concurrency: usize,
    /// Globs, prefixes and folders: rows as they arrive instead of in file order.
    #[arg(long)]
    pub as_arrive: bool,
    /// Globs, prefixes and folders: add a column of this name with each row's file.
    #[arg(long)]
    pub location_column: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// How to reach object stores (s3://, gs://, az://, http(s)://); what is not given
/// comes from the usual environment variables (AWS_*, GOOGLE_*, AZURE_*).
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// Object stores: the region (S3).
    #[arg(long)]
    pub region: Option<String>,
    /// Object stores: the endpoint of an S3-compatible server (http://127.0.0.1:9000).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Object stores: allow a plain http:// endpoint.
    #[arg(long)]
    pub allow_http: bool,
    /// Object stores: unsigned requests (public buckets).
    #[arg(long)]
    pub anonymous: bool,
    /// Object stores: a backend setting, KEY=VALUE (aws_access_key_id=..., ...).
    #[arg(long = "store-option", value_name = "KEY=VALUE")]
    pub store_options: Vec<String>,
}

impl StoreArgs {
    /// `o` with these store settings.
    pub fn apply(&self, mut o: IterableOptions) -> Result<IterableOptions> {
        if let Some(region) = &self.region {
            o = o.region(region.clone());
        }
        if let Some(endpoint) = &self.endpoint {
            o = o.endpoint(endpoint.clone());
        }
        for kv in &self.store_options {
            let Some((key, value)) = kv.split_once('=') else {
                bail!("--store-option takes KEY=VALUE, not {kv:?}");
            };
            o = o.store_option(key.trim(), value.trim());
        }
        Ok(o.allow_http(self.allow_http).anonymous(self.anonymous))
    }
}

impl ReadArgs {
    /// The reader options these arguments ask for.
    pub fn options(&self) -> Result<IterableOptions> {
        let mut o = IterableOptions::read();
        if let Some(format) = self.format {
            o = o.format(format);
        }
        if let Some(codec) = self.codec {
            o = o.codec(codec);
        }
        if let Some(d) = &self.delimiter {
            o = o.delimiter(parse_delimiter(d)?);
        }
        if let Some(e) = &self.encoding {
            o = o.encoding(e.clone());
        }
        if let Some(t) = &self.tagname {
            o = o.tagname(t.clone());
        }
        if let Some(m) = &self.zip_member {
            o = o.zip_member(m.clone());
        }
        if let Some(sheet) = &self.sheet {
            o = o.sheet(sheet.clone());
        }
        if let Some(index) = self.sheet_index {
            o = o.sheet_index(index);
        }
        if self.skip_errors {
            o = o.errors(ErrorPolicy::Skip);
        }
        if let Some(columns) = &self.columns {
            o = o.columns(columns.iter().cloned());
        }
        if let Some(groups) = &self.row_groups {
            o = o.row_groups(groups.iter().copied());
        }
        if let Some(n) = self.schema_rows {
            o = o.schema_scan_rows(n);
        }
        if let Some(path) = &self.dead_letter {
            o = o.errors(ErrorPolicy::DeadLetter(path.clone()));
        }
        if let Some(name) = &self.location_column {
            o = o.location_column(name.clone());
        }
        if self.as_arrive {
            o = o.order(FileOrder::AsArrive);
        }
        let o = self.store.apply(o.concurrency(self.file_concurrency))?;
        Ok(o.has_header(!self.no_header)
            .sheet_has_header(!self.no_header)
            .strip_namespaces(self.strip_namespaces)
            .infer_types(self.infer_types)
            .parse_threads(self.parse_threads))
    }
}

fn parse_delimiter(text: &str) -> Result<u8> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => bail!("--delimiter takes one ASCII character or `tab`, not {text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(parse_delimiter("tab").unwrap(), b'\t');
        assert_eq!(parse_delimiter(";").unwrap(), b';');
        assert!(parse_delimiter("ab").is_err());
    }
}
