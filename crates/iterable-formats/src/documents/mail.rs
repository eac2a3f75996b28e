//! E-mail, read only: a message (`.eml`) is a row, a mailbox (`.mbox`) a row a
//! message. Columns: `location`, `message_id`, `date` (a timestamp in UTC with the
//! sender's offset as its zone), `from`, `to`, `cc` (addresses as `Name <address>`,
//! separated by commas), `subject`, `text` and `attachments` (a list of file names,
//! or content types for attachments without a name). Headers are decoded (MIME
//! encoded words, any charset); the text is the message's text parts, an HTML-only
//! message's text as a reader sees it. A header a message lacks is null.
//!
//! A message is read whole, at most `max_record_bytes` (64 MiB by default). A mailbox
//! is streamed a message at a time: messages start at lines beginning `From `, and
//! a body line quoted as `>From ` (mboxrd) loses one `>`. Text before the first
//! `From ` line, and a message over the limit, are errors naming the message and its
//! byte offset.

use iterable_core::Format;

use super::CONTAINER_DOCUMENT;
use crate::registry::options as opt;
use crate::registry::{Builders, FormatSpec};

/// E-mail messages' format name.
pub const EML_FORMAT: Format = Format::new("eml");
/// Mailboxes' format name.
pub const MBOX_FORMAT: Format = Format::new("mbox");

/// The registry's description of e-mail messages.
pub static EML: FormatSpec = mail_spec(
    EML_FORMAT,
    "e-mail messages: a row with the headers, text and attachment names (read only)",
    &["eml"],
    EML_BUILDERS,
);

/// The registry's description of mailboxes.
pub static MBOX: FormatSpec = mail_spec(
    MBOX_FORMAT,
    "mailboxes: a row a message, with its headers, text and attachment names (read only)",
    &["mbox"],
    MBOX_BUILDERS,
);

/// What a message read takes.
const MAIL_OPTIONS: &[&crate::registry::options::OptionSpec] = &[&opt::MAX_RECORD_BYTES];

/// What both e-mail formats share: read only, bytes passed on as they are (each
/// part says its charset), at most `max_record_bytes` a message.
const fn mail_spec(
    format: Format,
    help: &'static str,
    extensions: &'static [&'static str],
    builders: Option<Builders>,
) -> FormatSpec {
    FormatSpec {
        capabilities: CONTAINER_DOCUMENT,
        read_options: MAIL_OPTIONS,
        feature: "mail",
        builders,
        ..FormatSpec::new(format, help, extensions)
    }
}

#[cfg(feature = "mail")]
const EML_BUILDERS: Option<Builders> =
    super::document_builders(|r, ctx| Box::pin(imp::open_message_reader(r, ctx)));
#[cfg(feature = "mail")]
const MBOX_BUILDERS: Option<Builders> =
    super::document_builders(|r, ctx| Box::pin(imp::open_mailbox_reader(r, ctx)));
#[cfg(not(feature = "mail"))]
const EML_BUILDERS: Option<Builders> = None;
#[cfg(not(feature = "mail"))]
const MBOX_BUILDERS: Option<Builders> = None;

#[cfg(feature = "mail")]
pub use imp::{open_mailbox_reader, open_message_reader};

#[cfg(feature = "mail")]
mod imp {
    use std::io::{BufRead, Read};
    use std::sync::Arc;

    use chrono::DateTime;
    use iterable_core::limits::record_too_large;
    use iterable_core::{BoxIterable, Error, Header, Result, Row, Timestamp, Value};
    use mail_parser::{Address, MessageParser, MimeHeaders, PartType};
    use tokio::io::AsyncBufRead;

    use super::super::html_text::html_text;
    use crate::ReadContext;
    use crate::blocking::{bridge_producer, bridge_reader, record_error};
    use crate::blocking_bridge::SyncInput;

    /// The columns of a message's row.
    const COLUMNS: [&str; 9] = [
        "location",
        "message_id",
        "date",
        "from",
        "to",
        "cc",
        "subject",
        "text",
        "attachments",
    ];

    /// Opens a reader of one message (`.eml`) over `reader`.
    pub async fn open_message_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
    where
        R: AsyncBufRead + Send + Unpin + 'static,
    {
        let max = ctx.options.limits.max_record_bytes as u64;
        Ok(bridge_reader(reader, ctx, move |mut input| {
            let location = input.location().to_owned();
            let bytes = input.read_all(max).map_err(|e| Error::io(&location, e))?;
            let header = header();
            let row = (!bytes.iter().all(u8::is_ascii_whitespace))
                .then(|| message_row(&header, &location, &bytes));
            Ok(row.into_iter().map(Ok))
        }))
    }

    /// Opens a reader of a mailbox (`.mbox`) over `reader`: a row a message.
    pub async fn open_mailbox_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
    where
        R: AsyncBufRead + Send + Unpin + 'static,
    {
        let max = ctx.options.limits.max_record_bytes;
        Ok(bridge_producer(reader, ctx, move |mut input, rows| {
            let location = input.location().to_owned();
            let header = header();
            let mut messages = Messages::new(max);
            let mut number = 0u64;
            loop {
                let start = messages.start(&mut input).map_err(|e| match e {
                    Bad::Io(e) => Error::io(&location, e),
                    Bad::Place(at, message) => record_error(&location, 0, at, message, b""),
                })?;
                let Some(start) = start else {
                    return Ok(());
                };
                number += 1;
                let body = messages.body(&mut input).map_err(|e| match e {
                    Bad::Io(e) => Error::io(&location, e),
                    Bad::Place(_, message) => record_error(&location, number, start, message, b""),
                })?;
                if !rows.send(message_row(&header, &location, &body)) {
                    return Ok(());
                }
            }
        }))
    }

    fn header() -> Arc<Header> {
        Arc::new(Header::new(COLUMNS.iter().map(|&c| c.into()).collect()))
    }

    /// The row of the message in `raw`.
    fn message_row(header: &Arc<Header>, location: &str, raw: &[u8]) -> Row {
        let text_or_null = |t: Option<&str>| t.map_or(Value::Null, Value::from);
        let Some(message) = MessageParser::default().parse(raw) else {
            // Only input without a byte parses to nothing; a row keeps its place.
            let mut values = vec![Value::Null; COLUMNS.len()];
            values[0] = Value::from(location);
            values[8] = Value::List(Vec::new());
            return Row::from_parts(header.clone(), values);
        };
        let date = message
            .date()
            .and_then(|d| DateTime::parse_from_rfc3339(&d.to_rfc3339()).ok())
            .map_or(Value::Null, |d| {
                Value::Timestamp(Timestamp {
                    datetime: d.naive_utc(),
                    tz: Some(Arc::from(d.offset().to_string())),
                })
            });
        let text = (0..message.text_body_count())
            .filter_map(|i| message.text_part(i as u32))
            .filter_map(|part| match &part.body {
                PartType::Text(text) => Some(text.trim().to_owned()),
                PartType::Html(html) => Some(html_text(html).1),
                _ => None,
            })
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        let attachments = message
            .attachments()
            .map(|part| match part.attachment_name() {
                Some(name) => Value::from(name),
                None => Value::from(part.content_type().map_or_else(
                    || "application/octet-stream".to_owned(),
                    |t| match t.subtype() {
                        Some(sub) => format!("{}/{sub}", t.ctype()),
                        None => t.ctype().to_owned(),
                    },
                )),
            })
            .collect();
        let values = vec![
            Value::from(location),
            text_or_null(message.message_id()),
            date,
            addresses(message.from()),
            addresses(message.to()),
            addresses(message.cc()),
            text_or_null(message.subject()),
            Value::from(text),
            Value::List(attachments),
        ];
        Row::from_parts(header.clone(), values)
    }

    /// `Name <address>, ...`, or null without any.
    fn addresses(list: Option<&Address>) -> Value {
        let Some(list) = list else {
            return Value::Null;
        };
        let all: Vec<String> = list
            .iter()
            .map(|a| match (a.name(), a.address()) {
                (Some(name), Some(address)) => format!("{name} <{address}>"),
                (None, Some(address)) => address.to_owned(),
                (Some(name), None) => name.to_owned(),
                (None, None) => String::new(),
            })
            .filter(|a| !a.is_empty())
            .collect();
        if all.is_empty() {
            Value::Null
        } else {
            Value::from(all.join(", "))
        }
    }

    enum Bad {
        Io(std::io::Error),
        /// A byte offset and what is wrong there.
        Place(u64, String),
    }

    /// Splits a mailbox into messages at its `From ` lines.
    struct Messages {
        max: usize,
        /// The `From ` line that starts the next message, once read.
        line: Vec<u8>,
        /// Its byte offset.
        line_at: u64,
        started: bool,
    }

    impl Messages {
        fn new(max: usize) -> Messages {
            Messages {
                max,
                line: Vec::new(),
                line_at: 0,
                started: false,
            }
        }

        /// Moves to the next message's `From ` line: its offset, or `None` at the end.
        fn start(&mut self, input: &mut SyncInput) -> std::result::Result<Option<u64>, Bad> {
            if self.started {
                return Ok((!self.line.is_empty()).then_some(self.line_at));
            }
            self.started = true;
            loop {
                self.line_at = input.offset();
                self.line.clear();
                let n = read_line(input, &mut self.line, self.max)?;
                if n == 0 {
                    return Ok(None);
                }
                if self.line.starts_with(b"From ") {
                    return Ok(Some(self.line_at));
                }
                if !self.line.iter().all(u8::is_ascii_whitespace) {
                    return Err(Bad::Place(
                        self.line_at,
                        "not a mailbox: text before the first line starting \"From \"".to_owned(),
                    ));
                }
            }
        }

        /// The current message's bytes, up to the next `From ` line (kept for
        /// [`Messages::start`]) or the end.
        fn body(&mut self, input: &mut SyncInput) -> std::result::Result<Vec<u8>, Bad> {
            let mut body = Vec::new();
            loop {
                self.line_at = input.offset();
                self.line.clear();
                let n = read_line(input, &mut self.line, self.max)?;
                if n == 0 || self.line.starts_with(b"From ") {
                    return Ok(body);
                }
                let quotes = self.line.iter().take_while(|&&b| b == b'>').count();
                let unquote = quotes > 0 && self.line[quotes..].starts_with(b"From ");
                body.extend_from_slice(&self.line[usize::from(unquote)..]);
                if body.len() > self.max {
                    return Err(Bad::Place(0, record_too_large("message", self.max)));
                }
            }
        }
    }

    /// Reads a line with its end into `line`; a line longer than `max` is an error.
    fn read_line(
        input: &mut SyncInput,
        line: &mut Vec<u8>,
        max: usize,
    ) -> std::result::Result<usize, Bad> {
        let n = Read::take(&mut *input, max as u64 + 1)
            .read_until(b'\n', line)
            .map_err(Bad::Io)?;
        if line.len() > max {
            return Err(Bad::Place(0, record_too_large("line", max)));
        }
        Ok(n)
    }
}
