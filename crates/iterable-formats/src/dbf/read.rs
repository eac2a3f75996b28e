//! The DBF reader, compiled with the `dbf` feature (the format's description is in
//! `mod.rs`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dbase::{FieldType, FieldValue, ReaderBuilder};
use iterable_core::{BoxIterable, Header, Result, Row, Timestamp, Value};

use crate::ReadContext;
use crate::blocking::{bridge_producer, record_error};
use crate::blocking_bridge::RowSender;

/// Opens a DBF reader over the table in `file`.
pub async fn open_file(file: File, ctx: ReadContext) -> Result<BoxIterable> {
    let encoding = ctx.options.csv.encoding.clone();
    let memo = memo_beside(&ctx.info.location);
    let bytes = ctx.bytes_read.clone();
    Ok(bridge_producer(
        tokio::io::empty(),
        ctx,
        move |input, rows| {
            read_records(
                file,
                bytes,
                memo,
                encoding.as_deref(),
                input.location(),
                rows,
            )
        },
    ))
}

/// The table file, counting the bytes read for `progress()` (at most its size).
struct CountingFile {
    file: File,
    bytes: Arc<AtomicU64>,
    size: u64,
}

impl std::io::Read for CountingFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        let size = self.size;
        let _ = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some(b.saturating_add(n as u64).min(size))
            });
        Ok(n)
    }
}

impl std::io::Seek for CountingFile {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.file.seek(to)
    }
}

/// The memo files a table at `location` may have beside it, when it is a local path.
fn memo_beside(location: &str) -> Vec<PathBuf> {
    let path = Path::new(location.strip_prefix("file://").unwrap_or(location));
    if location.contains("://") && !location.starts_with("file://") {
        return Vec::new();
    }
    ["dbt", "DBT", "fpt", "FPT"]
        .iter()
        .map(|ext| path.with_extension(ext))
        .collect()
}

fn read_records(
    mut file: File,
    bytes: Arc<AtomicU64>,
    memo: Vec<PathBuf>,
    encoding: Option<&str>,
    location: &str,
    rows: &mut RowSender,
) -> Result<()> {
    let fail = |record: u64, message: String| record_error(location, record, 0, message, b"");
    let (whole, layout) = whole_fields(&mut file)
        .map_err(|e| fail(0, format!("not a readable DBF table: its header: {e}")))?;
    let size = file
        .metadata()
        .map_err(|e| iterable_core::Error::io(location, e))?
        .len();
    if let Some((record, at)) = layout.cut_record(size) {
        return Err(record_error(
            location,
            record,
            at,
            format!(
                "the table is cut short: its header counts {} records of {} bytes from byte {}, \
                 the file ends at byte {size}, inside record {record}",
                layout.records, layout.record_len, layout.header_len
            ),
            b"",
        ));
    }
    let mut builder = ReaderBuilder::new();
    if let Some(label) = encoding {
        let enc = encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
            iterable_core::Error::InvalidOption(format!("unknown encoding {label:?}"))
        })?;
        builder = builder.with_encoding(dbase::encoding::EncodingRs::from(enc));
    }
    let file = CountingFile { file, bytes, size };
    let memo_file = memo.iter().find(|p| p.is_file());
    let mut reader = match memo_file {
        Some(path) => {
            let memo = File::open(path).map_err(|e| iterable_core::Error::io(location, e))?;
            // The memo file's bytes are not counted: progress is of the table.
            let memo = CountingFile {
                file: memo,
                bytes: Arc::default(),
                size: 0,
            };
            builder.build_with_memo(file, memo)
        }
        None => builder.build(file),
    }
    .map_err(|e| fail(0, format!("not a readable DBF table: {e}")))?;
    let fields: Vec<(String, FieldType, u8)> = reader
        .fields()
        .iter()
        .filter(|f| f.name() != "DeletionFlag")
        .map(|f| (f.name().to_owned(), f.field_type(), f.length()))
        .collect();
    if memo_file.is_none() && fields.iter().any(|f| f.1 == FieldType::Memo) {
        let looked = memo
            .first()
            .map_or("none (not a local file)".to_owned(), |p| {
                p.display().to_string()
            });
        return Err(fail(
            0,
            format!(
                "the table has memo fields and no memo file beside it (looked for {looked} and .fpt)"
            ),
        ));
    }
    let header = Arc::new(Header::new(fields.iter().map(|f| f.0.clone()).collect()));
    for (i, record) in reader.iter_records().enumerate() {
        let number = i as u64 + 1;
        let record = record.map_err(|e| fail(number, format!("record {number}: {e}")))?;
        let mut by_name: std::collections::HashMap<String, FieldValue> = record.into();
        let values = fields
            .iter()
            .enumerate()
            .map(|(i, (name, _, _))| {
                let whole = whole.get(i).copied().unwrap_or(false);
                by_name
                    .remove(name)
                    .map_or(Value::Null, |v| value(v, whole))
            })
            .collect();
        if !rows.send(Row::from_parts(header.clone(), values)) {
            return Ok(());
        }
    }
    Ok(())
}

/// Where a table's records lie, from its header.
struct Layout {
    records: u64,
    header_len: u64,
    record_len: u64,
}

impl Layout {
    /// The first record the file does not hold whole (its number and byte offset),
    /// when a file of `size` bytes is shorter than the header says.
    fn cut_record(&self, size: u64) -> Option<(u64, u64)> {
        let end = self.header_len + self.records * self.record_len;
        (size < end).then(|| {
            let whole = size.saturating_sub(self.header_len) / self.record_len.max(1);
            (whole + 1, self.header_len + whole * self.record_len)
        })
    }
}

/// For each field of the table's header, in order: whether its numbers are whole (no
/// decimal places; the header's byte 17 of each 32-byte field descriptor, which the
/// reader does not expose); and where the records lie. The file is left at its start.
fn whole_fields(file: &mut File) -> std::io::Result<(Vec<bool>, Layout)> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(0))?;
    let mut head = [0u8; 32];
    file.read_exact(&mut head)?;
    let header_len = usize::from(u16::from_le_bytes([head[8], head[9]]));
    let layout = Layout {
        records: u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]])),
        header_len: header_len as u64,
        record_len: u64::from(u16::from_le_bytes([head[10], head[11]])),
    };
    let mut descriptors = vec![0u8; header_len.saturating_sub(32)];
    file.read_exact(&mut descriptors)?;
    file.seek(SeekFrom::Start(0))?;
    let whole = descriptors
        .chunks_exact(32)
        .take_while(|d| d[0] != 0x0D)
        .map(|d| d[17] == 0)
        .collect();
    Ok((whole, layout))
}

fn number(f: f64, whole: bool) -> Value {
    if whole && f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::Int(f as i64)
    } else {
        Value::Float(f)
    }
}

fn value(v: FieldValue, whole: bool) -> Value {
    match v {
        FieldValue::Character(s) => s.map_or(Value::Null, |s| {
            let t = s.trim_end();
            if t.is_empty() {
                Value::Null
            } else {
                Value::from(t)
            }
        }),
        FieldValue::Numeric(n) => n.map_or(Value::Null, |f| number(f, whole)),
        FieldValue::Float(n) => n.map_or(Value::Null, |f| number(f64::from(f), whole)),
        FieldValue::Logical(b) => b.map_or(Value::Null, Value::Bool),
        FieldValue::Date(d) => d
            .and_then(|d| chrono::NaiveDate::from_ymd_opt(d.year() as i32, d.month(), d.day()))
            .map_or(Value::Null, Value::Date),
        FieldValue::Integer(i) => Value::Int(i64::from(i)),
        FieldValue::Currency(f) | FieldValue::Double(f) => Value::Float(f),
        FieldValue::DateTime(t) => {
            let (d, tm) = (t.date(), t.time());
            chrono::NaiveDate::from_ymd_opt(d.year() as i32, d.month(), d.day())
                .and_then(|d| d.and_hms_opt(tm.hours(), tm.minutes(), tm.seconds()))
                .map_or(Value::Null, |datetime| {
                    Value::Timestamp(Timestamp { datetime, tz: None })
                })
        }
        FieldValue::Memo(s) => Value::from(s.trim_end_matches(['\0', ' '])),
    }
}
