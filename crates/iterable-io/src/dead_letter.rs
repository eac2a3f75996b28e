//! The dead-letter file: one JSON line per bad record.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use iterable_core::policy::DeadLetterSink;
use iterable_core::{Error, ParseError, Result};

/// Appends bad records to a file as JSON lines.
struct DeadLetterFile {
    out: BufWriter<File>,
}

impl DeadLetterSink for DeadLetterFile {
    fn write(&mut self, error: &ParseError, raw: &[u8]) -> io::Result<()> {
        let text = |s: &str| serde_json::to_string(s).map_err(io::Error::other);
        let line = format!(
            "{{\"location\":{},\"line\":{},\"record\":{},\"byte\":{},\"error\":{},\"raw\":{}}}\n",
            text(&error.location)?,
            error.position.line,
            error.position.record,
            error.position.byte,
            text(&error.message)?,
            text(&String::from_utf8_lossy(raw))?,
        );
        self.out.write_all(line.as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Opens a dead-letter file at `path` (created, or truncated): each bad record becomes
/// one JSON line `{"location":..,"line":..,"record":..,"byte":..,"error":..,"raw":..}`,
/// `error` being the parse error's message and `raw` the record's text (lossy UTF-8).
/// Writes are buffered; `flush` makes them durable.
pub fn open_dead_letter(path: &str) -> Result<Box<dyn DeadLetterSink>> {
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    Ok(Box::new(DeadLetterFile {
        out: BufWriter::new(file),
    }))
}
