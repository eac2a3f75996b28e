//! How locations are read as tables: [`TableOptions`].

use datafusion::arrow::datatypes::SchemaRef;
use iterable::IterableOptions;

/// How a location is read as a table: the reading options every file gets (format,
/// codec, delimiter, store credentials, ...), whether text is typed, and a schema
/// instead of inferring one.
///
/// ```
/// use iterable::IterableOptions;
/// use iterable_datafusion::TableOptions;
///
/// let options = TableOptions::new()
///     .read(IterableOptions::read().delimiter(b';'))
///     .type_text(false);
/// assert!(!options.types_text());
/// ```
#[derive(Debug, Clone)]
pub struct TableOptions {
    pub(crate) read: IterableOptions,
    pub(crate) type_text: bool,
    pub(crate) schema: Option<SchemaRef>,
    pub(crate) schema_concurrency: usize,
    /// The options given by [`set`](Self::set), in order: the ones a scan can send.
    pub(crate) set: Vec<(String, String)>,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            read: IterableOptions::read(),
            type_text: true,
            schema: None,
            schema_concurrency: 8,
            set: Vec::new(),
        }
    }
}

impl TableOptions {
    /// Every file read with the defaults, text typed.
    pub fn new() -> Self {
        Self::default()
    }

    /// The options every file of a table is read with (as for
    /// [`aopen_iterable`](iterable::aopen_iterable)).
    pub fn read(mut self, options: IterableOptions) -> Self {
        self.read = options;
        self
    }

    /// Sets a format option by its registry key (`delimiter`, `sheet`, `no_header`,
    /// ... as [`IterableOptions::set`] takes them) for every file. Unlike options
    /// given by [`read`](Self::read), these travel with a scan sent to another
    /// process ([`LocationScan::to_bytes`](crate::LocationScan::to_bytes)).
    ///
    /// ```
    /// let options = iterable_datafusion::TableOptions::new().set("delimiter", ";")?;
    /// # Ok::<(), datafusion::error::DataFusionError>(())
    /// ```
    pub fn set(mut self, key: &str, value: &str) -> datafusion::error::Result<Self> {
        self.read = self.read.set(key, value).map_err(crate::error::external)?;
        self.set.push((key.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// Whether the fields of CSV, TSV and other delimited text are typed (integers,
    /// floats, booleans, dates, date-times; an empty field is null), each column from
    /// the first `schema_scan_rows` rows of each file, as `convert` types them for a
    /// typed output (default `true`, so that `sum(amount)` works on a CSV). With
    /// `false`, their columns are text, unless the read options ask for `infer_types`.
    pub fn type_text(mut self, on: bool) -> Self {
        self.type_text = on;
        self
    }

    /// Whether text is typed (see [`type_text`](Self::type_text)).
    pub fn types_text(&self) -> bool {
        self.type_text
    }

    /// The table's columns and types, instead of inferring them from its files: every
    /// file is read with this schema (as the `schema` reading option reads it), so
    /// each must have these columns.
    pub fn schema(mut self, schema: SchemaRef) -> Self {
        self.schema = Some(schema);
        self
    }

    /// How many files of a glob are opened at once to infer the table's schema
    /// (default 8).
    pub fn schema_concurrency(mut self, files: usize) -> Self {
        self.schema_concurrency = files.max(1);
        self
    }

    /// The reading options of each file: [`read`](Self::read) with text typed as asked.
    pub(crate) fn file_options(&self) -> iterable::Options {
        let mut options = self.read.options().clone();
        if self.type_text {
            options.csv.infer_types = true;
        }
        options
    }
}
