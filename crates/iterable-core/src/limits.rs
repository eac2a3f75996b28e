//! [`Limits`]: how much one record may take, so that one hostile or broken file cannot
//! take all memory or the stack. Every limit is an error that names the file and the
//! record, never a silent cut.
//!
//! | Limit | Default | Option | Formats | At the limit |
//! |---|---|---|---|---|
//! | Record size | 64 MiB | [`Limits::max_record_bytes`] (`--max-record-bytes`) | CSV, TSV, PSV (a record), JSON Lines and LTSV (a line), JSON (an array element), XML (a row element, or one event outside rows), YAML and TOML (a document), MessagePack (a value), Avro (a record, each header entry; and `max_record_bytes / 32` values that take no bytes, an array's nulls, in one record) | a bad record (see [`record_too_large`]): CSV, JSON Lines and LTSV resume after it under the skip and dead-letter policies (its first bytes are the dead letter); the others end the stream with it |
//! | Unpacked size | 1 GiB | [`Limits::max_unpacked_bytes`] (`--max-unpacked-bytes`) | XLSX (its members' declared sizes), Arrow IPC (what a message's compressed buffers declare they unpack to) | an error naming the workbook, or the message and its byte, before anything is unpacked |
//! | Sheet size | 1 GiB of cells (33,554,432) | [`Limits::max_unpacked_bytes`] too: the used range of an XLSX sheet, from its first to its last cell, is laid out in memory at 32 bytes a cell (cell references past Excel's 1,048,576 rows and 16,384 columns are refused) | XLSX | an error naming the sheet and the cell |
//! | Nesting depth | 128 | none: [`MAX_NESTING_DEPTH`](crate::MAX_NESTING_DEPTH) | JSON, JSON Lines, YAML, XML, BSON, MessagePack, Avro | an error naming the record |
//! | Keys per row | none | none | all | bounded by the record size; a row with many keys is read in linear time (a hashed key index past a dozen keys, [`HeaderBuilder`](crate::HeaderBuilder)) |

/// Size limits of a reader (see the [module docs](self) for the table).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest record accepted, in bytes (default 64 MiB): a CSV record, a JSON
    /// Lines or LTSV line, a JSON array element, an XML row element, a YAML or TOML
    /// document, a MessagePack value, an Avro record.
    pub max_record_bytes: usize,
    /// The most bytes an XLSX workbook may unpack to, by its members' declared sizes,
    /// and the most an Arrow IPC message's compressed buffers may unpack to, by the
    /// lengths they declare (default 1 GiB): both are held in memory, and deflate,
    /// LZ4 or ZSTD pack a gigabyte into a megabyte.
    pub max_unpacked_bytes: u64,
}

/// The default of [`Limits::max_record_bytes`]: 64 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            max_unpacked_bytes: 1 << 30,
        }
    }
}

/// The message of a record over the size limit `max` (in bytes): `what` is the
/// format's word for a record (`line`, `record`, `element`, `document`).
///
/// ```
/// assert_eq!(
///     iterable_core::limits::record_too_large("line", 10),
///     "line longer than max_record_bytes (10 bytes); raise --max-record-bytes to read it"
/// );
/// ```
pub fn record_too_large(what: &str, max: usize) -> String {
    format!(
        "{what} longer than max_record_bytes ({max} bytes); raise --max-record-bytes to read it"
    )
}
