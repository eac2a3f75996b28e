//! What every registered format promises, checked over bytes in memory: the suite a
//! format runs the day it is registered (`check_format`), in the spirit of
//! object_store's `integration.rs`. What a format lacks is read from its declared
//! capabilities, never skipped silently.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_core::Stream;
use iterable_core::{Codec, IterableInfo, Mode, Options, Row, Value};
use tokio::io::AsyncWrite;

use super::ChunkedReader;
use crate::registry::{Capabilities, FormatSpec, Values};
use crate::{ReadContext, WriteContext};

/// A reader of `spec` (its own builders, registered or not) over `reader`, as
/// [`open_boxed_reader`](crate::open_boxed_reader) hands it out.
async fn open_reader<R>(
    spec: &FormatSpec,
    reader: R,
    ctx: ReadContext,
) -> iterable_core::Result<iterable_core::BoxIterable>
where
    R: tokio::io::AsyncBufRead + Send + Unpin + 'static,
{
    let builders = spec.require_builders()?;
    match (builders.reader, builders.file_reader) {
        (Some(open), _) => open(Box::new(reader), ctx)
            .await
            .map(crate::KeepsRows::wrap),
        (None, Some(open)) => {
            let (file, _) = crate::spool::spool_to_temp_file(reader, &ctx.info.location).await?;
            open(file, ctx).await.map(crate::KeepsRows::wrap)
        }
        (None, None) => Err(iterable_core::Error::unsupported(
            &ctx.info.location,
            "no reader",
        )),
    }
}

/// The rows the suite writes and reads for `spec`: its own sample rows when it has
/// them ([`FormatSpec::sample_rows`]), else [`standard_rows`] for its capabilities.
pub fn rows_for(spec: &FormatSpec) -> Vec<Row> {
    spec.sample_rows
        .map_or_else(|| standard_rows(&spec.capabilities), |sample| sample())
}

/// The rows a format of these capabilities must give back: text formats get text
/// (no tabs or line ends, which some text formats cannot hold); typed formats numbers,
/// booleans and text, plus nulls and nesting where the capabilities say so.
pub fn standard_rows(caps: &Capabilities) -> Vec<Row> {
    let texts = [
        "plain",
        "comma, semicolon; pipe|",
        "quote \" inside",
        "Zürich Москва 東京 🎉",
        "x:y",
    ];
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut r = Row::new();
            match caps.values {
                Values::Text => {
                    r.insert("id", (i + 1).to_string());
                    r.insert("text", *t);
                }
                Values::Typed => {
                    r.insert("id", i as i64 + 1);
                    r.insert("f", 0.5 + i as f64);
                    r.insert("ok", i % 2 == 0);
                    r.insert("text", *t);
                    if caps.nulls {
                        r.insert("none", Value::Null);
                    }
                    if caps.nested {
                        r.insert("list", vec![Value::from(1), Value::from(2)]);
                    }
                }
            }
            if caps.geometry {
                let mut point = Row::new();
                point.insert("type", "Point");
                point.insert(
                    "coordinates",
                    vec![Value::from(i as i64), Value::Float(0.5)],
                );
                r.insert("geometry", Value::Map(point));
            }
            r
        })
        .collect()
}

/// An in-memory sink whose bytes can be taken after the writer is gone; it counts its
/// shutdowns (a shutdown is what publishes an atomic file).
#[derive(Clone, Default)]
struct SharedSink(Arc<Mutex<Vec<u8>>>, Arc<AtomicUsize>);

impl AsyncWrite for SharedSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.1.fetch_add(1, Ordering::SeqCst);
        Poll::Ready(Ok(()))
    }
}

fn info(spec: &FormatSpec, mode: Mode) -> IterableInfo {
    IterableInfo {
        encoding: None,
        location: format!(
            "conformance.{}",
            spec.extensions.first().copied().unwrap_or("x")
        ),
        format: spec.format,
        codec: Codec::None,
        mode,
    }
}

/// A reader of `spec` over `bytes` handed out `chunk` at a time (with `Pending`
/// between reads when `pending`).
async fn open_over(
    spec: &FormatSpec,
    bytes: &[u8],
    chunk: usize,
    pending: bool,
) -> iterable_core::Result<iterable_core::BoxIterable> {
    let reader = ChunkedReader::new(bytes.to_vec(), chunk, pending);
    let ctx = ReadContext::new(info(spec, Mode::Read), Options::default());
    open_reader(spec, reader, ctx).await
}

async fn read_all(
    spec: &FormatSpec,
    bytes: &[u8],
    chunk: usize,
    pending: bool,
) -> Result<Vec<Row>, String> {
    let mut src = open_over(spec, bytes, chunk, pending)
        .await
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    while let Some(row) = std::future::poll_fn(|cx| Pin::new(&mut src).poll_next(cx)).await {
        rows.push(row.map_err(|e| e.to_string())?);
    }
    if src.progress().rows != rows.len() as u64 {
        return Err(format!(
            "progress().rows is {}, {} rows were read",
            src.progress().rows,
            rows.len()
        ));
    }
    Ok(rows)
}

/// Checks what every format promises: the standard rows written and read back equal;
/// read again one byte at a time with `Pending` between reads, and a few bytes at a
/// time; `aread_bulk` gives the rows of the stream; `progress().rows` counts them;
/// empty input is no rows or an error, never a panic; a writer refuses reads; a writer
/// dropped before `aclose` never shuts its sink down (so an atomic file sink publishes
/// nothing); input cut short is an error that names the input (and, for formats with
/// record boundaries, the position), or, where the format has no end mark
/// ([`Capabilities::marks_end`]), at most the rows before the cut; `areset` either
/// starts over with the same rows or is refused, never gives other rows; `aread_bulk`
/// over cut input keeps the rows before the error and then gives the stream's error. A format
/// that cannot write is checked on reading empty input only. The error says what broke.
pub async fn check_format(spec: &FormatSpec) -> Result<(), String> {
    let name = spec.format;
    if !spec.is_available() {
        return Err(format!(
            "{name}: not compiled in (feature `{}`)",
            spec.feature
        ));
    }
    if spec.capabilities.read {
        // Empty input: no rows, or an error; never a panic.
        let _ = read_all(spec, b"", 1, true).await;
    }
    if !(spec.capabilities.read && spec.capabilities.write) {
        return Ok(());
    }
    let rows = rows_for(spec);
    let sink = SharedSink::default();
    let ctx = WriteContext {
        info: info(spec, Mode::Write),
        options: Options::default(),
    };
    let Some(open_writer) = spec.require_builders().map_err(|e| e.to_string())?.writer else {
        return Err(format!("{name}: declares writing but has no writer"));
    };
    check_dropped_writer(spec, open_writer, &rows).await?;
    let mut w = open_writer(Box::new(sink.clone()), ctx)
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    if std::future::poll_fn(|cx| Pin::new(&mut w).poll_next(cx))
        .await
        .is_none_or(|r| r.is_ok())
    {
        return Err(format!("{name}: a writer did not refuse a read"));
    }
    w.awrite_bulk(&rows)
        .await
        .map_err(|e| format!("{name}: write: {e}"))?;
    w.aclose()
        .await
        .map_err(|e| format!("{name}: close: {e}"))?;
    if w.progress().rows != rows.len() as u64 {
        return Err(format!(
            "{name}: the writer's progress().rows is {}",
            w.progress().rows
        ));
    }
    drop(w);
    if sink.1.load(Ordering::SeqCst) == 0 {
        return Err(format!("{name}: aclose did not shut the sink down"));
    }
    let bytes = sink.0.lock().unwrap().clone();
    for (chunk, pending) in [(1 << 20, false), (1, true), (7, true), (64, false)] {
        let back = read_all(spec, &bytes, chunk, pending)
            .await
            .map_err(|e| format!("{name}: read in {chunk}-byte pieces: {e}"))?;
        if back != rows {
            return Err(format!(
                "{name}: read in {chunk}-byte pieces gave {back:?}, wrote {rows:?}"
            ));
        }
    }
    let mut src = open_over(spec, &bytes, 5, true)
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    let mut bulk = Vec::new();
    loop {
        let batch = src
            .aread_bulk(2)
            .await
            .map_err(|e| format!("{name}: aread_bulk: {e}"))?;
        if batch.is_empty() {
            break;
        }
        if batch.len() > 2 {
            return Err(format!("{name}: aread_bulk(2) gave {} rows", batch.len()));
        }
        bulk.extend(batch);
    }
    if bulk != rows {
        return Err(format!(
            "{name}: aread_bulk gave other rows than the stream"
        ));
    }
    check_reset(spec, &bytes, &rows).await?;
    check_truncation(spec, &bytes, &rows).await
}

/// A writer dropped before `aclose` must not shut its sink down.
async fn check_dropped_writer(
    spec: &FormatSpec,
    open_writer: crate::registry::OpenWriter,
    rows: &[Row],
) -> Result<(), String> {
    let name = spec.format;
    let sink = SharedSink::default();
    let ctx = WriteContext {
        info: info(spec, Mode::Write),
        options: Options::default(),
    };
    let mut w = open_writer(Box::new(sink.clone()), ctx)
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    w.awrite_bulk(rows)
        .await
        .map_err(|e| format!("{name}: write: {e}"))?;
    drop(w);
    // A writer on a blocking thread ends there: let it run before looking.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    let _ = tokio::task::spawn_blocking(|| ()).await;
    if sink.1.load(Ordering::SeqCst) != 0 {
        return Err(format!(
            "{name}: a writer dropped before aclose shut its sink down (an atomic file would be published)"
        ));
    }
    Ok(())
}

/// `aread_bulk` over `bytes` gives the rows the stream gives, the ones before an error
/// included, and then the same error.
async fn check_bulk_keeps_rows_before_an_error(
    spec: &FormatSpec,
    bytes: &[u8],
    cut: usize,
) -> Result<(), String> {
    let name = spec.format;
    let (mut streamed, mut stream_error) = (Vec::new(), None);
    if let Ok(mut src) = open_over(spec, bytes, 1 << 20, false).await {
        while let Some(row) = std::future::poll_fn(|cx| Pin::new(&mut src).poll_next(cx)).await {
            match row {
                Ok(row) => streamed.push(row),
                Err(e) => {
                    stream_error = Some(e.to_string());
                    break;
                }
            }
        }
    }
    let (mut bulk, mut bulk_error) = (Vec::new(), None);
    if let Ok(mut src) = open_over(spec, bytes, 1 << 20, false).await {
        loop {
            match src.aread_bulk(3).await {
                Ok(batch) if batch.is_empty() => break,
                Ok(batch) => bulk.extend(batch),
                Err(e) => {
                    bulk_error = Some(e.to_string());
                    break;
                }
            }
        }
    }
    if bulk != streamed || bulk_error != stream_error {
        return Err(format!(
            "{name}: input cut at byte {cut}: aread_bulk gave {} rows and {bulk_error:?}, the stream {} rows and {stream_error:?}",
            bulk.len(),
            streamed.len()
        ));
    }
    Ok(())
}

/// `areset` after two rows: the same rows from the start, or a refusal.
async fn check_reset(spec: &FormatSpec, bytes: &[u8], rows: &[Row]) -> Result<(), String> {
    let name = spec.format;
    let mut src = open_over(spec, bytes, 64, false)
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    let first = src
        .aread_bulk(2)
        .await
        .map_err(|e| format!("{name}: aread_bulk: {e}"))?;
    if first != rows[..2] {
        return Err(format!("{name}: the first two rows were {first:?}"));
    }
    if src.areset().await.is_err() {
        return Ok(()); // a reader over bytes may not start over; the facade reopens
    }
    let mut again = Vec::new();
    while let Some(row) = std::future::poll_fn(|cx| Pin::new(&mut src).poll_next(cx)).await {
        again.push(row.map_err(|e| format!("{name}: after areset: {e}"))?);
    }
    if again != rows {
        return Err(format!("{name}: after areset the rows were {again:?}"));
    }
    Ok(())
}

/// The written bytes cut at several points: an error naming the input (and the
/// position where the format has record boundaries), or for a format without an end
/// mark, rows that the full input starts with (the last one may be cut short).
async fn check_truncation(spec: &FormatSpec, bytes: &[u8], rows: &[Row]) -> Result<(), String> {
    let name = spec.format;
    let len = bytes.len();
    // Cutting only the trailing line end or spaces leaves the whole input.
    let end = len
        - bytes
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    let mut cuts: Vec<usize> = vec![end - 1, end * 3 / 4, end / 2, end / 4, 1];
    cuts.retain(|&c| c > 0 && c < len);
    cuts.dedup();
    let location = info(spec, Mode::Read).location;
    for cut in cuts {
        check_bulk_keeps_rows_before_an_error(spec, &bytes[..cut], cut).await?;
        match read_all(spec, &bytes[..cut], 1 << 20, false).await {
            Ok(back) => {
                if spec.capabilities.marks_end {
                    return Err(format!(
                        "{name}: input cut at byte {cut} of {len} read as {} rows, without an error",
                        back.len()
                    ));
                }
                let whole = back.len().saturating_sub(1);
                if back.len() > rows.len() || back[..whole] != rows[..whole] {
                    return Err(format!(
                        "{name}: input cut at byte {cut} of {len} gave rows the input does not hold: {back:?}"
                    ));
                }
            }
            Err(message) => {
                if !message.contains(&location) {
                    return Err(format!(
                        "{name}: the error for input cut at byte {cut} does not name the input: {message}"
                    ));
                }
                if spec.capabilities.record_boundaries && !message.contains("byte ") {
                    return Err(format!(
                        "{name}: the error for input cut at byte {cut} names no position: {message}"
                    ));
                }
            }
        }
    }
    Ok(())
}
