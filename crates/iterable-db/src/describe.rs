//! What a database's catalog says of the columns a location reads: their names, the
//! kind of value each holds and whether it may be null, for a schema that does not
//! depend on which rows come first.

/// The kind of values a column holds, as the catalog declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnKind {
    /// Booleans.
    Bool,
    /// Integers (up to 64 bits).
    Int,
    /// Floats.
    Float,
    /// Exact decimals of this precision and scale.
    Decimal {
        /// Digits in all.
        precision: u8,
        /// Digits after the point.
        scale: i8,
    },
    /// Text (also times, intervals, UUIDs and types read as the server's text).
    Text,
    /// Bytes.
    Bytes,
    /// Dates.
    Date,
    /// Timestamps, in UTC when `utc`.
    Timestamp {
        /// Whether the column holds points in time (kept in UTC) rather than wall-clock
        /// times.
        utc: bool,
    },
    /// Something whose shape only the values tell (JSON, arrays, unconstrained
    /// decimals).
    Values,
}

/// One column of what a location reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDescription {
    /// Its name as rows have it.
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
    /// Whether it may be null (`false` only where the catalog says `NOT NULL`).
    pub nullable: bool,
}
