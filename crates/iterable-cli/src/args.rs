//! Command-line arguments and their translation into [`IterableOptions`].

use anyhow::{Result, bail};
use clap::{ArgMatches, Args, Parser, Subcommand};
use iterable::{Codec, ErrorPolicy, FileOrder, Format, IterableOptions, NestedValues};

use crate::format_flags::{FormatFlags, Side, collect, format_parser};

/// Stream rows between files and URLs in any registered format and compression
/// (the list is below).
#[derive(Debug, Parser)]
#[command(name = "iterable", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write every row to stdout (JSON Lines unless --to says otherwise).
    #[command(
        after_help = "Examples:\n  iterable cat data.csv.gz --columns id,name\n  iterable cat 's3://bucket/logs/*.jsonl.zst' --to csv > logs.csv"
    )]
    Cat {
        #[command(flatten)]
        input: Inputs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Write the first rows to stdout.
    Head {
        /// How many rows.
        #[arg(short = 'n', long = "lines", default_value_t = 10)]
        n: usize,
        #[command(flatten)]
        input: Inputs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Write the last rows to stdout (read to the end, N rows held).
    #[command(
        after_help = "Examples:\n  iterable tail -n 5 data.csv\n  iterable tail 'logs/*.jsonl.gz' --to csv"
    )]
    Tail {
        /// How many rows.
        #[arg(short = 'n', long = "lines", default_value_t = 10)]
        n: usize,
        #[command(flatten)]
        input: Inputs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Write N rows drawn at random, each row with the same chance (reservoir
    /// sampling: one pass, N rows held), in the order they were read.
    #[command(
        after_help = "Examples:\n  iterable sample -n 1000 data.csv.gz > sample.jsonl\n  iterable sample -n 20 --seed 7 's3://bucket/events/*.parquet' --to csv"
    )]
    Sample {
        /// How many rows.
        #[arg(short = 'n', long = "rows", default_value_t = 10)]
        n: usize,
        /// Draw the same rows again with the same seed (by default the clock seeds it).
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        input: Inputs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Write only some columns, in the order given; NAME:NEW_NAME renames one.
    #[command(
        after_help = "Examples:\n  iterable select id,name data.csv\n  iterable select 'id,name:full_name,city' people.jsonl --to csv"
    )]
    Select {
        /// The columns, comma separated: NAME, or NAME:NEW_NAME to rename it.
        columns: String,
        #[command(flatten)]
        input: Inputs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Write the rows that pass an expression: comparisons (= != < <= > >=), `is
    /// [not] null`, `[not] in (...)`, `~ 'regex'`, joined by and, or, not and
    /// parentheses. Text is compared as a number, a boolean or a date where the
    /// other side is one, so `amount > 100` works on CSV.
    #[command(
        after_help = "Examples:\n  iterable filter \"amount > 100 and city in ('Berlin', 'Paris')\" data.csv\n  iterable filter \"email ~ '@example\\.org$' and created >= '2024-01-01'\" 'logs/*.jsonl.gz' --to csv"
    )]
    Filter {
        /// The expression (quote it for the shell).
        expression: String,
        /// At most this many rows (0: all).
        #[arg(short = 'n', long = "lines", default_value_t = 0)]
        limit: usize,
        #[command(flatten)]
        input: Inputs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Summarize each column (--columns picks some) in one pass: its type as convert
    /// would type it, count, nulls (and empty text), distinct values (estimated
    /// beyond 10,000), min, max, mean, stddev, quartiles (from a sample of 20,000
    /// beyond that) and the most frequent values. One row a column.
    #[command(
        after_help = "Examples:\n  iterable stats data.csv --to csv\n  iterable stats --columns amount,created 'logs/*.jsonl.gz'"
    )]
    Stats {
        #[command(flatten)]
        input: Inputs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Check every row against a JSON Schema: one output row a failure (the row's
    /// number, the path in it, the keyword and the message). Exit code 0 when every
    /// row fits, 3 when some do not. CSV fields are text: add --infer-types to check
    /// numbers and booleans as such.
    #[command(
        after_help = "Examples:\n  iterable validate person.schema.json people.jsonl\n  iterable validate order.schema.json orders.csv --infer-types --to csv > failures.csv"
    )]
    Validate {
        /// The JSON Schema (a file; drafts 4 to 2020-12).
        schema: std::path::PathBuf,
        /// At most this many failures written (0: all); every row is still checked.
        #[arg(long, default_value_t = 0)]
        max_errors: usize,
        #[command(flatten)]
        input: Inputs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Count each value of each column (--columns picks some), the most frequent
    /// first: one row a value with its column, count and percent of the rows.
    #[command(
        after_help = "Examples:\n  iterable frequency --columns city,country people.csv\n  iterable frequency -l 0 --columns status 'logs/*.jsonl.gz' --to csv"
    )]
    Frequency {
        /// At most this many values a column (0: all).
        #[arg(short = 'l', long = "limit", default_value_t = 10)]
        limit: usize,
        #[command(flatten)]
        input: Inputs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Print rows as an aligned table: the first 100 rows decide the columns and
    /// their widths, longer values are cut with …, numbers are aligned right.
    #[command(
        after_help = "Examples:\n  iterable table -n 20 data.parquet\n  iterable table --width 20 --columns id,name,city people.csv"
    )]
    Table {
        /// How many rows (0: all).
        #[arg(short = 'n', long = "lines", default_value_t = 0)]
        limit: usize,
        /// The widest a column is shown, in characters.
        #[arg(long, default_value_t = 40)]
        width: usize,
        #[command(flatten)]
        input: Inputs,
    },
    /// Count rows; several locations are read concurrently. The total is the last line.
    #[command(
        after_help = "Examples:\n  iterable count data.csv\n  iterable count 'logs/*.jsonl.gz' --file-concurrency 8"
    )]
    Count {
        /// Paths, URLs or globs (or - for stdin); a glob counts each file it matches.
        #[arg(required = true)]
        locations: Vec<String>,
        #[command(flatten)]
        read: ReadArgs,
        /// Show progress and a summary on stderr even when it is not a terminal (on a
        /// terminal they are shown by default).
        #[arg(long, conflicts_with = "quiet")]
        progress: bool,
        /// Nothing on stderr but errors and warnings: no progress, no summary.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Extract fields from every row of IN with a chat model, into OUT.
    #[command(
        after_help = "Examples:\n  iterable enrich people.csv out.jsonl --fields 'name:string,age:integer' --prompt '{bio}' --model gpt-4o-mini\n  iterable enrich news.jsonl out.parquet --query 'what happened where?' --model qwen2.5 --base-url http://127.0.0.1:8000/v1\n\nExit codes: 0 every row enriched; 1 an error, or the stage stopped (no output is published); 3 finished, but some rows failed (they are in the error column or the --failures file)."
    )]
    Enrich(Box<crate::commands::enrich::EnrichArgs>),
    /// Convert IN to OUT; the format and codec of each come from its name.
    #[command(
        after_help = "Examples:\n  iterable convert data.csv.gz data.parquet --compression zstd\n  iterable convert 'in/*.csv' 'out/{stem}.jsonl.zst' --file-concurrency 4"
    )]
    Convert {
        /// The input paths, URLs or globs, or - for stdin; several are read one after
        /// the other into one output (each in its own format).
        #[arg(required = true, num_args = 1..)]
        inputs: Vec<String>,
        /// The output path or URL, or - for stdout; or a pattern that names an output
        /// for each file of IN by its name: {stem}, {ext}, {name}, {dir} (as in
        /// 'out/{stem}.parquet'; --file-concurrency files at a time).
        output: String,
        #[command(flatten)]
        read: ReadArgs,
        /// The output format, instead of the one the name says.
        #[arg(long = "to", value_parser = format_parser())]
        to: Option<Format>,
        /// The output codec, instead of the one the name says.
        #[arg(long = "to-codec")]
        to_codec: Option<Codec>,
        /// Leave the text of CSV, TSV or LTSV as text in an output with typed columns
        /// (Parquet, Arrow, Avro, ORC, XLSX), instead of typing each column (integers,
        /// floats, booleans, dates, date-times, empty fields as nulls) by --schema or
        /// the first --schema-rows rows (10,000); and the strings of JSON or JSON Lines
        /// as strings, instead of reading dates and date-times in them.
        #[arg(long, visible_alias = "no-infer")]
        keep_text: bool,
        /// Type numbers with a fraction as exact decimals (Decimal128 with as many
        /// places as the first --schema-rows rows show) instead of floats; a later
        /// field with more places is an error naming its row, never rounded.
        #[arg(long, conflicts_with = "keep_text")]
        decimals: bool,
        /// The output's columns and types, one `name: type` a line, as `iterable schema`
        /// prints them (`id: Int64`, `created: Timestamp(µs, "UTC")`): text is typed by
        /// it, and a typed output takes it instead of inferring one.
        #[arg(long, value_name = "FILE")]
        schema: Option<std::path::PathBuf>,
        /// Show progress and a summary on stderr even when it is not a terminal (on a
        /// terminal they are shown by default).
        #[arg(long, conflicts_with = "quiet")]
        progress: bool,
        /// Nothing on stderr but errors and warnings: no progress, no summary.
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// Print a completion script for a shell (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  iterable completions bash > ~/.local/share/bash-completion/completions/iterable\n  iterable completions zsh > \"${fpath[1]}/_iterable\""
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), for `man`.
    #[command(after_help = "Examples:\n  iterable man > iterable.1 && man ./iterable.1")]
    Man,
    /// Run a SQL query (DataFusion's dialect) in which every quoted location is a
    /// table: a path, glob, URL or database URL in single or double quotes. The result
    /// goes to stdout (JSON Lines unless --to says otherwise) or to OUT.
    #[command(
        after_help = "Examples:\n  iterable sql \"SELECT city, count(*) AS n FROM 'data/*.jsonl.zst' GROUP BY city ORDER BY n DESC\"\n  iterable sql \"SELECT * FROM 'orders.csv' o JOIN 'customers.parquet' c ON o.customer = c.id\" joined.parquet\n  iterable sql 'SELECT count(*) FROM t' --table t='s3://bucket/2024/*.csv.gz' --to csv\n\nText (CSV, TSV, ...) is typed as convert types it (integers, floats, booleans, dates, date-times, empty fields null) unless --keep-text."
    )]
    Sql {
        /// The query.
        query: String,
        /// Where the result goes: a path or URL (the format and codec from its name),
        /// or - for stdout (the default).
        output: Option<String>,
        /// A table by name: NAME=LOCATION (repeatable), for queries that name it
        /// instead of quoting the location.
        #[arg(long = "table", value_name = "NAME=LOCATION")]
        tables: Vec<String>,
        /// The output format, instead of the one the name says (on stdout: jsonl).
        #[arg(long = "to", value_parser = format_parser())]
        to: Option<Format>,
        /// Leave the fields of CSV, TSV and other delimited text as text instead of
        /// typing each column from its first --schema-rows rows.
        #[arg(long, visible_alias = "no-infer")]
        keep_text: bool,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Print the columns of LOCATION and their Arrow types, one `name: type` a line: a
    /// Parquet or Arrow file's own schema, or the types of the first rows of any other
    /// format (CSV fields are text and JSON Lines strings stay strings unless
    /// --infer-types, which types them as convert does).
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

impl Command {
    /// The reading arguments of this command.
    fn read_args_mut(&mut self) -> Option<&mut ReadArgs> {
        Some(match self {
            Command::Cat { input, .. }
            | Command::Head { input, .. }
            | Command::Tail { input, .. }
            | Command::Sample { input, .. }
            | Command::Select { input, .. }
            | Command::Filter { input, .. }
            | Command::Stats { input, .. }
            | Command::Validate { input, .. }
            | Command::Frequency { input, .. }
            | Command::Table { input, .. } => &mut input.read,
            Command::Count { read, .. }
            | Command::Convert { read, .. }
            | Command::Sql { read, .. }
            | Command::Schema { read, .. } => read,
            Command::Enrich(args) => &mut args.read,
            Command::Completions { .. } | Command::Man => return None,
        })
    }

    /// Takes the registry's format flags out of the subcommand's `matches`.
    pub fn take_format_flags(&mut self, matches: &ArgMatches) {
        let Some(read) = self.read_args_mut() else {
            return;
        };
        read.read_flags = collect(matches, Side::Read);
        read.write_flags = collect(matches, Side::Write);
    }
}

/// The rows a command reads: where from, and how.
#[derive(Debug, Args)]
pub struct Inputs {
    /// Paths, URLs or globs, or - for stdin; several are read one after the other,
    /// each in its own format.
    #[arg(required = true)]
    pub locations: Vec<String>,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// Options for the output of `cat` and `head`.
#[derive(Debug, Args)]
pub struct OutArgs {
    /// Output format (any that writes; JSON Lines by default).
    #[arg(long = "to", default_value = "jsonl", value_parser = format_parser())]
    pub to: Format,
    /// Show progress and a summary on stderr even when it is not a terminal (they are
    /// shown by default when stderr is a terminal and stdout is not).
    #[arg(long, conflicts_with = "quiet")]
    pub progress: bool,
    /// Nothing on stderr but errors and warnings: no progress, no summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl OutArgs {
    /// What to say on stderr while rows go to stdout.
    pub fn status(&self) -> crate::commands::Status {
        crate::commands::Status::for_rows_out(self.progress, self.quiet)
    }
}

/// Options for reading.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Input")]
pub struct ReadArgs {
    /// The input format, instead of detecting it.
    #[arg(long, value_parser = format_parser())]
    pub format: Option<Format>,
    /// The input codec, instead of detecting it (none to force none).
    #[arg(long)]
    pub codec: Option<Codec>,
    /// The member of a zip archive to read.
    #[arg(long)]
    pub zip_member: Option<String>,
    /// Skip bad records instead of stopping (they are counted on stderr).
    #[arg(long, conflicts_with = "dead_letter", help_heading = "Bad records")]
    pub skip_errors: bool,
    /// Skip bad records and write each, with its position, to this JSON Lines file.
    #[arg(long, help_heading = "Bad records")]
    pub dead_letter: Option<String>,
    /// How many first rows decide inferred column types (schema, and writing
    /// Parquet/Arrow).
    #[arg(long)]
    pub schema_rows: Option<usize>,
    /// Threads parsing CSV and JSON Lines in blocks (1: none, the default; 0: one per core).
    #[arg(long, default_value_t = 1)]
    pub parse_threads: usize,
    /// Globs, prefixes and folders: how many files are read at once.
    #[arg(long, default_value_t = 4, help_heading = "Many files")]
    pub file_concurrency: usize,
    /// Globs, prefixes and folders: rows as they arrive instead of in file order.
    #[arg(long, help_heading = "Many files")]
    pub as_arrive: bool,
    /// Add a column of this name with each row's file (one file or many).
    #[arg(long, help_heading = "Many files")]
    pub location_column: Option<String>,
    /// Local folders and globs: follow links to directories (each directory is still
    /// walked once, so link loops end).
    #[arg(long, help_heading = "Many files")]
    pub follow_links: bool,
    /// Reading: columns named with SEP (`.` when not given) nested back into maps and
    /// lists (`user.name`, `tags.0`).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = ".", value_name = "SEP", help_heading = "Nested values")]
    pub unflatten: Option<String>,
    /// Writing: lists and maps spread into columns named by their path joined with SEP
    /// (`.` when not given); without it a flat format (CSV, TSV, LTSV, XLSX) gets each
    /// as JSON text in one column.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = ".", value_name = "SEP", help_heading = "Nested values")]
    pub flatten: Option<String>,
    /// Writing: a list or map for a flat format is an error naming the row, not JSON text.
    #[arg(long, conflicts_with = "flatten", help_heading = "Nested values")]
    pub nested_error: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    /// The registry's reading flags given (`--delimiter`, `--sheet`, ...).
    #[arg(skip)]
    pub read_flags: FormatFlags,
    /// The registry's writing flags given (`--compression`, `--to-delimiter`, ...), for
    /// the commands that write.
    #[arg(skip)]
    pub write_flags: FormatFlags,
}

/// How to reach object stores (s3://, gs://, az://, http(s)://); what is not given
/// comes from the usual environment variables (AWS_*, GOOGLE_*, AZURE_*).
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Object stores")]
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
        if let Some(m) = &self.zip_member {
            o = o.zip_member(m.clone());
        }
        if self.skip_errors {
            o = o.errors(ErrorPolicy::Skip);
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
        o = o.follow_links(self.follow_links);
        if let Some(separator) = &self.unflatten {
            o = o.unflatten(separator);
        }
        let o = self.store.apply(o.concurrency(self.file_concurrency))?;
        self.read_flags
            .apply(Side::Read, o.parse_threads(self.parse_threads))
    }

    /// An error when a reading flag does not apply to the format of `location` (the
    /// `--format` given, else the name's): nothing is checked where neither says one
    /// (stdin, a sniffed file).
    pub fn check_read_flags(&self, location: &str) -> Result<()> {
        match self
            .format
            .or(iterable::registry::from_name(location).format)
        {
            Some(format) => self.read_flags.check_applies(Side::Read, format, location),
            None => Ok(()),
        }
    }

    /// An error when a writing flag does not apply to the output's format (`to`, else
    /// the name's).
    pub fn check_write_flags(&self, location: &str, to: Option<Format>) -> Result<()> {
        match to.or(iterable::registry::from_name(location).format) {
            Some(format) => self
                .write_flags
                .check_applies(Side::Write, format, location),
            None => Ok(()),
        }
    }

    /// The writer options these arguments ask for (store settings and the writing
    /// flags), over `base`.
    pub fn write_options(&self, base: IterableOptions) -> Result<IterableOptions> {
        let mut o = self.store.apply(base)?;
        if let Some(n) = self.schema_rows {
            o = o.schema_scan_rows(n);
        }
        if let Some(separator) = &self.flatten {
            o = o.flatten(separator);
        }
        if self.nested_error {
            o = o.nested(NestedValues::Fail);
        }
        self.write_flags.apply(Side::Write, o)
    }
}
