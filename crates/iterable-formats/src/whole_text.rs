//! Formats read whole (configuration files, documents): the input read at once, at
//! most `max_record_bytes` (64 MiB by default), as UTF-8 without its byte order mark.
//! Too large, or not UTF-8, is an error naming the file, the line and the byte.

use iterable_core::{Error, ParseError, Position, Result};
use tokio::io::{AsyncBufRead, AsyncReadExt};

use crate::ReadContext;

/// A bad place in the text: its line (1-based), byte offset and what is wrong.
pub(crate) type Bad = (u64, u64, String);

/// The error for a bad place in `location`.
pub(crate) fn bad_place(location: &str, (line, byte, message): Bad) -> Error {
    Error::from(ParseError::new(
        location,
        Position {
            line,
            record: 0,
            byte,
        },
        message,
        b"",
    ))
}

/// The whole input of `ctx`'s location as text.
pub(crate) fn read_whole_text<R>(
    mut reader: R,
    ctx: &ReadContext,
) -> impl Future<Output = Result<String>> + Send + use<R>
where
    R: AsyncBufRead + Send + Unpin,
{
    // What the read needs is taken now: the future does not hold on to `ctx`.
    let location = ctx.info.location.clone();
    let max = ctx.options.limits.max_record_bytes;
    async move { read_whole(&mut reader, location, max).await }
}

async fn read_whole<R>(reader: &mut R, location: String, max: usize) -> Result<String>
where
    R: AsyncBufRead + Send + Unpin,
{
    let location = &location;
    let mut bytes = Vec::new();
    reader
        .take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| Error::io(location, e))?;
    if bytes.len() > max {
        return Err(bad_place(
            location,
            (0, 0, iterable_core::limits::record_too_large("file", max)),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        bad_place(
            location,
            (
                line,
                at as u64,
                "not UTF-8; give the encoding option".to_owned(),
            ),
        )
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}
