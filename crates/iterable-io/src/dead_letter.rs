//! The dead-letter file: one JSON line per bad record.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use iterable_core::policy::DeadLetterSink;
use iterable_core::{Error, ParseError, Result};

/// Appends bad records to a file as JSON lines; the file is opened (created, or
/// appended to) at the first bad record, so a run without one leaves it as it was.
struct DeadLetterFile {
    path: String,
    out: Option<BufWriter<File>>,
}

impl DeadLetterFile {
    fn out(&mut self) -> io::Result<&mut BufWriter<File>> {
        if self.out.is_none() {
            refuse_link(&self.path)?;
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.out = Some(BufWriter::new(file));
        }
        Ok(self.out.as_mut().expect("opened above"))
    }
}

/// A dead-letter path must not be a symbolic link: bad records (text from the input)
/// are never written through one to wherever it points.
fn refuse_link(path: &str) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the dead-letter path is a symbolic link: bad records are not written through links",
        )),
        Ok(meta) if meta.is_dir() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the dead-letter path is a folder",
        )),
        _ => Ok(()),
    }
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
        self.out()?.write_all(line.as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}

/// Opens a dead-letter file at `path`: each bad record is appended as one JSON line
/// `{"location":..,"line":..,"record":..,"byte":..,"error":..,"raw":..}`, `error` being
/// the parse error's message and `raw` the record's text (lossy UTF-8). The file is
/// created at the first bad record, or appended to when it exists: a run with no bad
/// record leaves it untouched. A path that is a symbolic link or a folder is an error
/// here, before any reading. Writes are buffered; `flush` makes them durable.
pub fn open_dead_letter(path: &str) -> Result<Box<dyn DeadLetterSink>> {
    refuse_link(path).map_err(|e| Error::io(path, e))?;
    let folder = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !folder.is_dir() {
        return Err(Error::NotFound {
            location: format!("{path} (its folder does not exist)"),
        });
    }
    Ok(Box::new(DeadLetterFile {
        path: path.to_owned(),
        out: None,
    }))
}
