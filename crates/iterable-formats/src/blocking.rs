//! Glue between the formats that run on the blocking bridge and the rest of the
//! crate: the bridge's setup from a [`ReadContext`] / [`WriteContext`], and the
//! errors those formats share.

use crate::blocking_bridge::{
    BridgeConfig, Metered, ReaderSetup, RecordMeter, RowSender, RowWriter, SyncInput, SyncOutput,
    spawn_producer, spawn_reader, spawn_writer,
};
use iterable_core::{Decimal, Error, ParseError, Position, Result, Row};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::{ReadContext, WriteContext};

/// Runs the row iterator `open` builds on the bridge, over `reader`'s bytes.
#[allow(dead_code)] // only some feature sets use it
pub(crate) fn bridge_reader<R, F, I>(
    reader: R,
    ctx: ReadContext,
    open: F,
) -> iterable_core::BoxIterable
where
    R: AsyncRead + Send + Unpin + 'static,
    F: FnOnce(SyncInput) -> Result<I> + Send + 'static,
    I: Iterator<Item = Result<Row>>,
{
    Box::new(spawn_reader(reader, setup(&ctx), open))
}

/// Runs `produce` on the bridge: it parses `reader`'s bytes and pushes rows.
#[allow(dead_code)] // only some feature sets use it
pub(crate) fn bridge_producer<R, F>(
    reader: R,
    ctx: ReadContext,
    produce: F,
) -> iterable_core::BoxIterable
where
    R: AsyncRead + Send + Unpin + 'static,
    F: FnOnce(SyncInput, &mut RowSender) -> Result<()> + Send + 'static,
{
    Box::new(spawn_producer(reader, setup(&ctx), produce))
}

fn setup(ctx: &ReadContext) -> ReaderSetup {
    ReaderSetup {
        config: BridgeConfig::for_batch_size(ctx.options.batch_size),
        info: ctx.info.clone(),
        bytes_read: ctx.bytes_read.clone(),
        bytes_total: ctx.bytes_total,
    }
}

#[allow(dead_code)] // only some feature sets use it
/// Runs the row writer `open` builds on the bridge, over `writer`.
pub(crate) fn bridge_writer<W, F, T>(
    writer: W,
    ctx: WriteContext,
    open: F,
) -> iterable_core::BoxIterable
where
    W: AsyncWrite + Send + Unpin + 'static,
    F: FnOnce(SyncOutput) -> Result<T> + Send + 'static,
    T: RowWriter,
{
    let config = BridgeConfig::for_batch_size(ctx.options.batch_size);
    Box::new(spawn_writer(writer, ctx.info, config, open))
}

/// A parse error at record `record` (1-based; 0 before the first) starting at byte
/// `byte`, with no line (see the comment inside).
#[allow(dead_code)] // only some feature sets use it
pub(crate) fn record_error(
    location: &str,
    record: u64,
    byte: u64,
    message: impl Into<String>,
    raw: &[u8],
) -> Error {
    ParseError::new(
        location,
        // The formats on the bridge have no lines (binary ones) or give their own
        // (YAML): the record and the byte say where.
        Position {
            line: 0,
            record,
            byte,
        },
        message,
        raw,
    )
    .into()
}

#[allow(dead_code)] // only some feature sets use it
/// An I/O error while reading `location` (a truncated compressed stream, the disk).
pub(crate) fn read_error(location: &str, e: std::io::Error) -> Error {
    Error::io(location, e)
}

#[allow(dead_code)] // only some feature sets use it
/// A value a format cannot hold, at row `row` of `location`.
pub(crate) fn write_error(location: &str, row: u64, message: impl Into<String>) -> Error {
    Error::Write {
        location: location.to_owned(),
        row,
        message: message.into(),
    }
}

#[allow(dead_code)] // only some feature sets use it
/// Parses decimal text (`-12.345`, `1E+3`, `1.5E-2`) exactly, when it fits `i128`.
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    let (mantissa, exponent) = match text.find(['E', 'e']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.trim_start_matches(['-', '+']).is_empty() && frac.is_empty() {
        return None;
    }
    let digits = format!("{int}{frac}");
    let unscaled: i128 = digits.parse().ok()?;
    let scale = frac.len() as i32 - exponent;
    let scale = i8::try_from(scale).ok()?;
    Some(Decimal { unscaled, scale })
}

#[allow(dead_code)] // only some feature sets use it
/// Where the next value of a metered binary stream of values (MessagePack, CBOR)
/// starts: its location and byte offset, with the meter restarted for it; `None` at
/// the end of the input.
pub(crate) fn next_value_start(
    input: &mut Metered<SyncInput>,
    meter: &RecordMeter,
) -> Result<Option<(String, u64)>> {
    use std::io::BufRead;
    let location = input.get_ref().location().to_owned();
    let start = input.get_ref().offset();
    meter.restart();
    let at_end = input
        .fill_buf()
        .map_err(|e| read_error(&location, e))?
        .is_empty();
    Ok((!at_end).then_some((location, start)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_parses_exactly() {
        let d = |u, s| {
            Some(Decimal {
                unscaled: u,
                scale: s,
            })
        };
        assert_eq!(parse_decimal("-12.345"), d(-12345, 3));
        assert_eq!(parse_decimal("1E+3"), d(1, -3));
        assert_eq!(parse_decimal("1.5E-2"), d(15, 3));
        assert_eq!(parse_decimal("0"), d(0, 0));
        assert_eq!(parse_decimal("NaN"), None);
        assert_eq!(parse_decimal("-"), None);
    }
}
