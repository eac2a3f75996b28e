//! The yaml reader and writer, compiled with the `yaml` feature (the format's description is in `mod.rs`).

use std::io::Write;

use crate::blocking_bridge::{Metered, RecordMeter, RowSender, RowWriter, SyncInput, SyncOutput};
use iterable_core::limits::record_too_large;
use iterable_core::{BoxIterable, DuplicateKeys, Error, Result, Row, Value};
use tokio::io::{AsyncBufRead, AsyncWrite};

use super::chars::DecodedChars;
use super::documents::{DocumentError, Documents, parser};
use crate::blocking::{bridge_producer, bridge_writer, read_error, record_error, write_error};
use crate::{ReadContext, WriteContext};

/// Opens a YAML reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let max_record = ctx.options.limits.max_record_bytes;
    let duplicates = ctx.options.duplicate_keys;
    Ok(bridge_producer(reader, ctx, move |input, rows| {
        read_documents(input, rows, max_record, duplicates)
    }))
}

/// Opens a YAML writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let location = ctx.info.location.clone();
    Ok(bridge_writer(writer, ctx, move |out| {
        Ok(YamlWriter {
            out,
            location,
            buf: String::new(),
        })
    }))
}

fn read_documents(
    input: SyncInput,
    rows: &mut RowSender,
    max_record: usize,
    duplicates: DuplicateKeys,
) -> Result<()> {
    let location = input.location().to_owned();
    // A document is built whole before its rows are handed on: it is the record that
    // `max_record_bytes` bounds (its bytes, and so its nodes and scalars).
    let meter = RecordMeter::new(max_record);
    let input = Metered::new(input, meter.clone());
    let mut parser = parser(DecodedChars::new(input));
    let mut documents = Documents::new(&mut parser, duplicates, max_record);
    let mut document = 0u64;
    loop {
        let value = match documents.next_document() {
            Ok(Some(value)) => value,
            Ok(None) => return Ok(()),
            Err(e) => {
                let number = document + 1;
                return Err(if meter.exceeded() {
                    record_error(
                        &location,
                        number,
                        meter.record_start(),
                        record_too_large("document", meter.max()),
                        b"",
                    )
                } else {
                    document_error(&location, number, e)
                });
            }
        };
        meter.restart();
        // Empty documents are not counted.
        if value == Value::Null {
            continue;
        }
        document += 1;
        let not_a_row = |what: &str| {
            record_error(
                &location,
                document,
                0,
                format!(
                    "document {document} is {what}, not a mapping (a row) or a sequence of mappings"
                ),
                b"",
            )
        };
        match value {
            Value::Map(row) => {
                if !rows.send(row) {
                    return Ok(());
                }
            }
            Value::List(items) => {
                for item in items {
                    match item {
                        Value::Map(row) => {
                            if !rows.send(row) {
                                return Ok(());
                            }
                        }
                        Value::Null => {}
                        other => {
                            return Err(not_a_row(&format!(
                                "a sequence holding a {}",
                                other.type_name()
                            )));
                        }
                    }
                }
            }
            other => return Err(not_a_row(&format!("a {}", other.type_name()))),
        }
    }
}

/// An error in document `document`, at the line and character the parser gives.
fn document_error(location: &str, document: u64, e: DocumentError) -> Error {
    let (message, line, byte) = match e {
        DocumentError::Syntax(e) => {
            let mark = *e.marker();
            let e = match e.try_into_input_io_error() {
                Ok(io) => {
                    let io = io
                        .try_into_io_error()
                        .unwrap_or_else(|io| std::io::Error::other(io.to_string()));
                    return read_error(location, io);
                }
                Err(e) => e,
            };
            (
                e.info(),
                mark.line(),
                mark.byte_offset().unwrap_or(mark.index()),
            )
        }
        DocumentError::Content {
            message,
            line,
            index,
        } => (message, line, index),
    };
    iterable_core::ParseError::new(
        location,
        iterable_core::Position {
            line: line as u64,
            record: document,
            byte: byte as u64,
        },
        format!("invalid YAML in document {document}: {message}"),
        b"",
    )
    .into()
}

struct YamlWriter {
    out: SyncOutput,
    location: String,
    buf: String,
}

impl RowWriter for YamlWriter {
    fn write_row(&mut self, row: &Row, number: u64) -> Result<()> {
        self.buf.clear();
        if number > 1 {
            self.buf.push_str("---\n");
        }
        let text = serde_saphyr::to_string(row)
            .map_err(|e| write_error(&self.location, number, e.to_string()))?;
        self.buf.push_str(&text);
        if !self.buf.ends_with('\n') {
            self.buf.push('\n');
        }
        self.out
            .write_all(self.buf.as_bytes())
            .map_err(|e| Error::io(&self.location, e))
    }

    fn finish(self) -> Result<SyncOutput> {
        Ok(self.out)
    }
}
