//! The one error type of `iterable`, organised by what went wrong.

use std::fmt;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in a byte stream something happened. Counts start at 1 for lines and
/// records (the header line of a CSV file is line 1), at 0 for bytes. A line or record
/// of 0 means the format has none there (a binary format has no lines; a workbook's
/// error before its first row has no record), and is left out of the text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    /// The physical line (1-based); a CSV record with embedded newlines starts here.
    pub line: u64,
    /// The record number (1-based, data records only: a CSV header is not counted).
    pub record: u64,
    /// The byte offset of the record's start in the decoded (decompressed) stream.
    pub byte: u64,
}

impl fmt::Display for Position {
    /// `line 3, record 2, byte 40`; a line or record of 0 is left out, and so is a
    /// byte of 0 with neither (`Position::default()` shows as nothing).
    ///
    /// ```
    /// use iterable_core::Position;
    /// let at = |line, record, byte| Position { line, record, byte }.to_string();
    /// assert_eq!(at(3, 2, 40), "line 3, record 2, byte 40");
    /// assert_eq!(at(0, 2, 40), "record 2, byte 40");
    /// assert_eq!(at(0, 0, 0), "");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::with_capacity(3);
        if self.line > 0 {
            parts.push(format!("line {}", self.line));
        }
        if self.record > 0 {
            parts.push(format!("record {}", self.record));
        }
        if !parts.is_empty() || self.byte > 0 {
            parts.push(format!("byte {}", self.byte));
        }
        f.write_str(&parts.join(", "))
    }
}

/// A record that could not be parsed: where, why, and the text itself (cut short).
#[derive(Debug)]
pub struct ParseError {
    /// The file or URL.
    pub location: String,
    /// Where in it.
    pub position: Position,
    /// What is wrong, in words.
    pub message: String,
    /// The offending text, at most [`ParseError::SNIPPET_MAX`] bytes of it.
    pub snippet: String,
    /// The underlying error, when there is one.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ParseError {
    /// How much of the offending text an error keeps.
    pub const SNIPPET_MAX: usize = 120;

    /// A parse error at `position`, keeping at most [`Self::SNIPPET_MAX`] bytes of `raw`.
    pub fn new(location: &str, position: Position, message: impl Into<String>, raw: &[u8]) -> Self {
        ParseError {
            location: location.to_owned(),
            position,
            message: message.into(),
            snippet: snippet(raw),
            source: None,
        }
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
}

fn snippet(raw: &[u8]) -> String {
    let cut = raw.len().min(ParseError::SNIPPET_MAX);
    let mut text = String::from_utf8_lossy(&raw[..cut]).into_owned();
    if raw.len() > cut {
        text.push('…');
    }
    text
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.position == Position::default() {
            write!(f, "{}: {}", self.location, self.message)?;
        } else {
            write!(f, "{}: {}: {}", self.location, self.position, self.message)?;
        }
        if !self.snippet.is_empty() {
            write!(f, " (near {:?})", self.snippet)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Everything that can go wrong. Large payloads are boxed so `Result<Row>` stays small.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file or object does not exist.
    #[error("{location}: not found")]
    NotFound {
        /// The file or URL.
        location: String,
    },
    /// Neither the name nor the first bytes tell the format.
    #[error("{location}: unknown format{}; known: {known}; pass a format explicitly", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    UnknownFormat {
        /// The file or URL.
        location: String,
        /// What was seen, if anything useful.
        detail: Option<String>,
        /// The known format names, comma separated.
        known: String,
    },
    /// The format or codec is known but this build does not include it.
    #[error("{what} support is not compiled in: enable the cargo feature `{feature}`")]
    FeatureDisabled {
        /// The format or codec.
        what: String,
        /// The cargo feature that turns it on.
        feature: String,
    },
    /// The operation does not apply here (writing a reader, a format without a writer, ...).
    #[error("{location}: {message}")]
    Unsupported {
        /// The file or URL.
        location: String,
        /// What is not supported.
        message: String,
    },
    /// An option or argument is wrong.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// A record could not be parsed.
    #[error(transparent)]
    Parse(Box<ParseError>),
    /// A row cannot be written as asked (a key the header lacks, a value the format
    /// cannot hold).
    #[error("{location}: row {row}: {message}")]
    Write {
        /// The file or URL.
        location: String,
        /// The 1-based number of the row being written.
        row: u64,
        /// What does not fit.
        message: String,
    },
    /// Reading or writing bytes failed: the disk, a pipe, a truncated or corrupt
    /// compressed stream.
    #[error("{location}: {source}")]
    Io {
        /// The file or URL.
        location: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An object store (S3, GCS, Azure, HTTP) failed.
    #[error("{location}: store error: {source}")]
    Store {
        /// The URL.
        location: String,
        /// The store's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The enrichment stage failed.
    #[error("enrichment: {0}")]
    Enrich(Box<dyn std::error::Error + Send + Sync>),
    /// A row does not fit the type asked of [`Row::deserialize`](crate::Row::deserialize).
    #[error("cannot deserialize row: {0}")]
    Deserialize(String),
    /// A value cannot become a row ([`Row::from_serialize`](crate::Row::from_serialize)).
    #[error("cannot serialize row: {0}")]
    Serialize(String),
}

impl Error {
    /// The error for a panic caught in a decoder of `location` (`what` names it: "the
    /// Parquet decoder"): a corrupt or unsupported input must end in an error that
    /// names the file, never in a crash or a silently short read.
    pub fn panicked(location: &str, what: &str, payload: &(dyn std::any::Any + Send)) -> Self {
        Error::Io {
            location: location.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{what} panicked ({}): the input is corrupt or uses something not supported",
                    panic_message(payload)
                ),
            ),
        }
    }

    /// An I/O error at `location`; a missing file becomes [`Error::NotFound`].
    pub fn io(location: &str, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound {
                location: location.to_owned(),
            }
        } else {
            Error::Io {
                location: location.to_owned(),
                source,
            }
        }
    }

    /// An [`Error::Unsupported`].
    pub fn unsupported(location: &str, message: impl Into<String>) -> Self {
        Error::Unsupported {
            location: location.to_owned(),
            message: message.into(),
        }
    }

    /// The parse error inside, when this is one.
    pub fn as_parse(&self) -> Option<&ParseError> {
        match self {
            Error::Parse(p) => Some(p),
            _ => None,
        }
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Parse(Box::new(e))
    }
}

/// The message a panic was raised with (`panic!("...")` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "no message"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_of_row_stays_small() {
        assert!(
            std::mem::size_of::<Error>() <= 72,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn parse_error_names_file_line_and_byte() {
        let e: Error = ParseError::new(
            "data.jsonl",
            Position {
                line: 3,
                record: 3,
                byte: 40,
            },
            "expected value",
            b"{not json",
        )
        .into();
        assert_eq!(
            e.to_string(),
            "data.jsonl: line 3, record 3, byte 40: expected value (near \"{not json\")"
        );
    }

    #[test]
    fn snippet_is_cut_short() {
        let raw = vec![b'x'; 1000];
        let e = ParseError::new("f", Position::default(), "bad", &raw);
        assert!(e.snippet.chars().count() <= ParseError::SNIPPET_MAX + 1);
    }
}
