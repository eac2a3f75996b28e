//! The yaml reader and writer, compiled with the `yaml` feature (the format's description is in `mod.rs`).

use std::io::Write;

use crate::blocking_bridge::{Metered, RecordMeter, RowSender, RowWriter, SyncInput, SyncOutput};
use iterable_core::limits::record_too_large;
use iterable_core::{BoxIterable, Error, MAX_NESTING_DEPTH, Result, Row, Value};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::blocking::{bridge_producer, bridge_writer, record_error, write_error};
use crate::{ReadContext, WriteContext};

/// Opens a YAML reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let max_record = ctx.options.limits.max_record_bytes;
    Ok(bridge_producer(reader, ctx, move |input, rows| {
        read_documents(input, rows, max_record)
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

fn read_documents(input: SyncInput, rows: &mut RowSender, max_record: usize) -> Result<()> {
    let location = input.location().to_owned();
    // A document is built whole before its rows are handed on: it is the record that
    // `max_record_bytes` bounds (its bytes, and so its nodes and scalars).
    let meter = RecordMeter::new(max_record);
    let mut input = Metered::new(input, meter.clone());
    // YAML 1.2's core schema: only true/false are booleans (`NO` is the text "NO"),
    // and `.inf`, `-.inf`, `.nan` are floats (what the writer writes from them).
    let options = serde_saphyr::options! {
        strict_booleans: true,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: None,
            max_total_scalar_bytes: max_record,
            max_nodes: usize::MAX,
            max_events: usize::MAX,
            max_depth: MAX_NESTING_DEPTH,
        },
    };
    let documents = serde_saphyr::read_with_options::<_, Value>(&mut input, options);
    for (index, parsed) in documents.enumerate() {
        let document = index as u64 + 1;
        let value = parsed.map_err(|e| {
            if meter.exceeded() {
                record_error(
                    &location,
                    document,
                    meter.record_start(),
                    record_too_large("document", meter.max()),
                    b"",
                )
            } else {
                syntax_error(&location, document, &e)
            }
        })?;
        meter.restart();
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
            Value::Null => {}
            other => return Err(not_a_row(&format!("a {}", other.type_name()))),
        }
    }
    Ok(())
}

/// A parse error of document `document`, at the line and offset the parser gives.
fn syntax_error(location: &str, document: u64, e: &serde_saphyr::Error) -> Error {
    let (line, byte) = e.location().map_or((0, 0), |l| {
        let span = l.span();
        (l.line(), span.byte_offset().unwrap_or(span.offset()))
    });
    let mut err = iterable_core::ParseError::new(
        location,
        iterable_core::Position {
            line,
            record: document,
            byte,
        },
        format!("invalid YAML in document {document}: {e}"),
        b"",
    );
    err.message = err.message.lines().next().unwrap_or_default().to_owned();
    err.into()
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
