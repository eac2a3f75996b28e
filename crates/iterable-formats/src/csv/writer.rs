//! The CSV writer: a [`RecordEncoder`] formatting rows (the header settled from the
//! first `header_scan_rows` rows, held back until then); buffering, flushing, closing
//! and refusing reads are the shared [`RecordWriter`]'s.

use std::sync::Arc;

use iterable_core::{ExtraKeys, Header, Row, Value};

use crate::WriteContext;
use crate::record_writer::{RecordEncoder, RecordWriter};

/// A native async CSV/TSV/PSV writer; see the [module docs](super) for its policies.
pub type CsvWriter<W> = RecordWriter<W, CsvEncoder>;

/// Opens a CSV writer over `writer` with the options of `ctx`.
pub fn csv_writer<W: tokio::io::AsyncWrite + Send + Unpin>(
    writer: W,
    ctx: WriteContext,
) -> CsvWriter<W> {
    let encoder = CsvEncoder::new(&ctx);
    RecordWriter::new(writer, encoder, ctx)
}

/// Formats rows as CSV records.
pub struct CsvEncoder {
    style: Style,
    has_header: bool,
    scan_rows: usize,
    extra_keys: ExtraKeys,
    /// The columns written, once known.
    columns: Option<Arc<Header>>,
    /// Rows held back until the header is known.
    held: Vec<Row>,
    /// The header of the last row written and, per column, where its value sits in
    /// such a row.
    last: Option<(Arc<Header>, Vec<Option<usize>>)>,
    scratch: String,
}

impl std::fmt::Debug for CsvEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvEncoder")
            .field("columns", &self.columns.as_ref().map(|h| h.names()))
            .finish_non_exhaustive()
    }
}

/// How fields are written.
struct Style {
    delimiter: u8,
    quote: u8,
    escape: Option<u8>,
    comment: Option<u8>,
    terminator: &'static [u8],
}

impl Style {
    /// Appends one field, quoted when it must be. `first` says it starts a line (where
    /// the comment byte would make the line a comment); `alone` that it is the only
    /// column (where an empty field would read back as a blank line).
    fn field(&self, out: &mut Vec<u8>, bytes: &[u8], first: bool, alone: bool) {
        let needs_quotes = match (bytes.first(), bytes.last()) {
            (None, _) | (_, None) => alone,
            (Some(&a), Some(&z)) => {
                a == b' '
                    || z == b' '
                    || (first && Some(a) == self.comment)
                    || bytes.iter().any(|&b| {
                        b == self.delimiter || b == self.quote || b == b'\n' || b == b'\r'
                    })
            }
        };
        if !needs_quotes {
            out.extend_from_slice(bytes);
            return;
        }
        out.push(self.quote);
        for &b in bytes {
            if b == self.quote {
                out.push(self.escape.unwrap_or(self.quote));
            } else if Some(b) == self.escape {
                out.push(b);
            }
            out.push(b);
        }
        out.push(self.quote);
    }

    fn value(
        &self,
        out: &mut Vec<u8>,
        scratch: &mut String,
        value: &Value,
        first: bool,
        alone: bool,
    ) {
        match value {
            Value::String(s) => self.field(out, s.as_bytes(), first, alone),
            other => {
                scratch.clear();
                other.write_text(scratch);
                self.field(out, scratch.as_bytes(), first, alone);
            }
        }
    }
}

impl CsvEncoder {
    /// An encoder with the options of `ctx`.
    pub fn new(ctx: &WriteContext) -> Self {
        let csv = &ctx.options.csv;
        CsvEncoder {
            style: Style {
                delimiter: super::delimiter_of(&ctx.options, ctx.info.format),
                quote: csv.quote,
                escape: csv.escape,
                comment: csv.comment,
                terminator: if csv.crlf { b"\r\n" } else { b"\n" },
            },
            has_header: csv.has_header,
            scan_rows: csv.header_scan_rows.max(1),
            extra_keys: csv.extra_keys,
            columns: None,
            held: Vec::new(),
            last: None,
            scratch: String::new(),
        }
    }

    /// Settles the header from the held rows and writes it and them.
    fn fix_header(&mut self, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        let mut names: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for row in &self.held {
            for key in row.keys() {
                if !seen.contains(key) {
                    seen.insert(key.to_owned());
                    names.push(key.to_owned());
                }
            }
        }
        self.settle_header(Arc::new(Header::new(names)), out);
        for row in std::mem::take(&mut self.held) {
            self.record(&row, out)?;
        }
        Ok(())
    }

    /// Settles the columns as `header` and writes the header line (if one is wanted).
    fn settle_header(&mut self, header: Arc<Header>, out: &mut Vec<u8>) {
        if self.has_header {
            let alone = header.len() == 1;
            for (i, name) in header.names().iter().enumerate() {
                if i > 0 {
                    out.push(self.style.delimiter);
                }
                self.style.field(out, name.as_bytes(), i == 0, alone);
            }
            out.extend_from_slice(self.style.terminator);
        }
        self.columns = Some(header);
    }

    /// Formats one row under the settled header.
    fn record(&mut self, row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        let Some(columns) = &self.columns else {
            return Ok(());
        };
        let same = matches!(&self.last, Some((h, _)) if Arc::ptr_eq(h, row.header()));
        if !same {
            let map = columns
                .names()
                .iter()
                .map(|name| row.header().position(name))
                .collect();
            if self.extra_keys == ExtraKeys::Error
                && let Some(key) = row.keys().find(|k| columns.position(k).is_none())
            {
                return Err(self.extra_key_message(key, columns));
            }
            self.last = Some((row.header().clone(), map));
        }
        let Some((_, map)) = &self.last else {
            return Ok(());
        };
        let alone = map.len() == 1;
        let values = row.values();
        for (j, slot) in map.iter().enumerate() {
            if j > 0 {
                out.push(self.style.delimiter);
            }
            match slot {
                Some(i) => self
                    .style
                    .value(out, &mut self.scratch, &values[*i], j == 0, alone),
                None => self.style.field(out, b"", j == 0, alone),
            }
        }
        out.extend_from_slice(self.style.terminator);
        Ok(())
    }

    fn extra_key_message(&self, key: &str, columns: &Header) -> String {
        const SHOWN: usize = 20;
        let mut list = columns
            .names()
            .iter()
            .take(SHOWN)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        if columns.len() > SHOWN {
            list.push_str(", ...");
        }
        format!(
            "key \"{key}\" is not in the CSV header ({list}); the header comes from the first {} row(s): \
             set header_scan_rows (CLI: --header-scan-rows N) to see more rows first or extra_keys = Ignore \
             (CLI: --extra-keys ignore) to drop such values",
            self.scan_rows
        )
    }
}

impl RecordEncoder for CsvEncoder {
    /// The header, when no row settled it yet: a file of no rows keeps its columns.
    fn declare_columns(
        &mut self,
        columns: &Header,
        out: &mut Vec<u8>,
    ) -> std::result::Result<(), String> {
        if self.columns.is_none() && self.held.is_empty() && !columns.is_empty() {
            self.settle_header(Arc::new(columns.clone()), out);
        }
        Ok(())
    }

    fn encode(&mut self, row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        if self.columns.is_some() {
            return self.record(row, out);
        }
        self.held.push(row.clone());
        if self.held.len() >= self.scan_rows {
            self.fix_header(out)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        if self.columns.is_none() && !self.held.is_empty() {
            self.fix_header(out)?;
        }
        Ok(())
    }
}

#[cfg(feature = "arrow")]
impl crate::record_writer::BatchEncoder for CsvEncoder {
    /// A batch's records under its own columns: the header is the batch's column names
    /// when nothing was written before, as the rows of the batch would settle it.
    fn encode_batch(
        &mut self,
        batch: &arrow_array::RecordBatch,
        out: &mut Vec<u8>,
    ) -> std::result::Result<bool, (usize, String)> {
        use crate::columnar::batch_cells::{Cell, Column};
        let names: Vec<String> = batch
            .schema_ref()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        if self.columns.is_none() && self.held.is_empty() && !names.is_empty() {
            self.settle_header(Arc::new(Header::new(names.clone())), out);
        }
        let same = self
            .columns
            .as_ref()
            .is_some_and(|c| c.names() == names.as_slice());
        if !same {
            return Ok(false);
        }
        let columns = Column::all(batch).map_err(|e| (0, e.to_string()))?;
        let alone = columns.len() == 1;
        let style = &self.style;
        for i in 0..batch.num_rows() {
            for (j, column) in columns.iter().enumerate() {
                if j > 0 {
                    out.push(style.delimiter);
                }
                match column.cell(i) {
                    Cell::Text(text) => style.field(out, text.as_bytes(), j == 0, alone),
                    Cell::Value(value) => {
                        style.value(out, &mut self.scratch, &value, j == 0, alone)
                    }
                    Cell::Ref(value) => style.value(out, &mut self.scratch, value, j == 0, alone),
                }
            }
            out.extend_from_slice(style.terminator);
        }
        Ok(true)
    }
}
