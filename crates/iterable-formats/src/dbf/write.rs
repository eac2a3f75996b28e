//! The DBF writer, compiled with the `dbf` feature. A table's header comes first and
//! fixes each field's type and width, and the record count, before any record; so the
//! rows are spooled to an anonymous temporary file while each column's values are
//! measured, and on `aclose` the header and then the records are written from it, in
//! constant memory.

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Seek, Write};

use iterable_core::{BoxIterable, Error, Result, Row};
use tokio::io::AsyncWrite;

use super::fields::{Cell, ColumnStats, FieldKind, cell, put};
use crate::WriteContext;
use crate::blocking::{bridge_writer, write_error};
use crate::blocking_bridge::{RowWriter, SyncOutput};

/// The most fields a dBASE table has.
const MAX_FIELDS: usize = 255;
/// The longest field name (in the table's encoding).
const MAX_NAME: usize = 10;

/// Opens a DBF writer over `writer` (option: `encoding`, default UTF-8).
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let location = ctx.info.location.clone();
    let encoding = match ctx.options.csv.encoding.as_deref() {
        None => encoding_rs::UTF_8,
        Some(label) => encoding_rs::Encoding::for_label(label.trim().as_bytes())
            .filter(|e| e.output_encoding() == *e)
            .ok_or_else(|| {
                Error::InvalidOption(format!("DBF tables cannot be written in {label:?}"))
            })?,
    };
    let spool = tempfile::tempfile().map_err(|e| Error::io(&location, e))?;
    Ok(bridge_writer(writer, ctx, move |out| {
        Ok(DbfWriter {
            out,
            location,
            encoding,
            columns: Vec::new(),
            by_name: HashMap::new(),
            spool: BufWriter::new(spool),
            rows: 0,
        })
    }))
}

struct DbfWriter {
    out: SyncOutput,
    location: String,
    encoding: &'static encoding_rs::Encoding,
    columns: Vec<ColumnStats>,
    by_name: HashMap<String, usize>,
    /// Each row as its cell count, then each cell's column and cell.
    spool: BufWriter<std::fs::File>,
    rows: u64,
}

impl RowWriter for DbfWriter {
    fn write_row(&mut self, row: &Row, number: u64) -> Result<()> {
        let fail = |message: String| write_error(&self.location, number, message);
        if self.rows == u64::from(u32::MAX) {
            return Err(fail(format!(
                "a DBF table holds at most {} records",
                u32::MAX
            )));
        }
        let mut cells = Vec::with_capacity(row.len());
        for (name, value) in row.iter() {
            let cell =
                cell(value, self.encoding).map_err(|m| fail(format!("column {name:?}: {m}")))?;
            let column = match self.by_name.get(name) {
                Some(&i) => i,
                None => {
                    if self.columns.len() == MAX_FIELDS {
                        return Err(fail(format!(
                            "column {name:?} would be field {}: a DBF table has at most {MAX_FIELDS}",
                            MAX_FIELDS + 1
                        )));
                    }
                    self.columns.push(ColumnStats::new(name.to_owned()));
                    self.by_name.insert(name.to_owned(), self.columns.len() - 1);
                    self.columns.len() - 1
                }
            };
            self.columns[column].add(&cell);
            cells.push((column as u32, cell));
        }
        spool_row(&mut self.spool, &cells).map_err(|e| Error::io(&self.location, e))?;
        self.rows += 1;
        Ok(())
    }

    fn finish(self) -> Result<SyncOutput> {
        let Self {
            mut out,
            location,
            encoding,
            columns,
            spool,
            rows,
            ..
        } = self;
        let io = |e: std::io::Error| Error::io(&location, e);
        let mut spool = spool.into_inner().map_err(|e| io(e.into_error()))?;
        spool.rewind().map_err(io)?;
        let kinds: Vec<FieldKind> = columns.iter().map(ColumnStats::kind).collect();
        let record_len = 1 + kinds.iter().map(|k| k.width()).sum::<usize>();
        let record_len = u16::try_from(record_len).map_err(|_| {
            write_error(
                &location,
                0,
                format!("a record of {record_len} bytes is longer than DBF's 65,535"),
            )
        })?;
        let names = field_names(&columns, encoding);
        out.write_all(&header(rows as u32, &names, &kinds, record_len, encoding))
            .map_err(io)?;
        let mut spool = BufReader::new(spool);
        let mut record = Vec::with_capacity(usize::from(record_len));
        let mut row = vec![Cell::Null; kinds.len()];
        for _ in 0..rows {
            read_row(&mut spool, &mut row).map_err(io)?;
            record.clear();
            record.push(b' ');
            for (kind, cell) in kinds.iter().zip(&mut row) {
                put(*kind, cell, &mut record);
                *cell = Cell::Null;
            }
            out.write_all(&record).map_err(io)?;
        }
        out.write_all(&[0x1A]).map_err(io)?;
        Ok(out)
    }
}

/// The field names: each at most 10 bytes in the table's encoding (longer names are
/// cut), made unique by a `_2`, `_3`, ... suffix where cutting made two alike.
fn field_names(columns: &[ColumnStats], encoding: &'static encoding_rs::Encoding) -> Vec<Vec<u8>> {
    let cut = |name: &str, room: usize| -> Vec<u8> {
        let mut end = name.len();
        loop {
            let bytes = encoding.encode(&name[..end]).0;
            if bytes.len() <= room {
                return bytes.into_owned();
            }
            end = name[..end].char_indices().next_back().map_or(0, |(i, _)| i);
        }
    };
    let mut taken = std::collections::HashSet::new();
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = if c.name.is_empty() {
                format!("column_{}", i + 1)
            } else {
                c.name.clone()
            };
            let mut candidate = cut(&name, MAX_NAME);
            let mut n = 2;
            while !taken.insert(candidate.to_ascii_uppercase()) {
                let suffix = format!("_{n}");
                candidate = cut(&name, MAX_NAME - suffix.len());
                candidate.extend(suffix.bytes());
                n += 1;
            }
            candidate
        })
        .collect()
}

/// The language driver byte of an encoding (the code page marks dBASE and FoxPro
/// use; UTF-8 has none of theirs, so it gets the mark `dbase` reads as UTF-8).
fn language_driver(encoding: &'static encoding_rs::Encoding) -> u8 {
    use encoding_rs::*;
    [
        (UTF_8, 0xF0),
        (WINDOWS_1252, 0x03),
        (IBM866, 0x65),
        (WINDOWS_1250, 0xC8),
        (WINDOWS_1251, 0xC9),
        (WINDOWS_1254, 0xCA),
        (WINDOWS_1253, 0xCB),
        (WINDOWS_874, 0x7C),
        (SHIFT_JIS, 0x13),
        (GBK, 0x7A),
        (EUC_KR, 0x79),
        (BIG5, 0x78),
        (WINDOWS_1255, 0x7D),
        (WINDOWS_1256, 0x7E),
        (WINDOWS_1257, 0x58),
    ]
    .iter()
    .find(|(e, _)| *e == encoding)
    .map_or(0, |(_, mark)| *mark)
}

/// The table header: version (dBASE III), date of the last update, record count,
/// lengths, language driver, then a descriptor for each field and the terminator.
fn header(
    records: u32,
    names: &[Vec<u8>],
    kinds: &[FieldKind],
    record_len: u16,
    encoding: &'static encoding_rs::Encoding,
) -> Vec<u8> {
    use chrono::Datelike;
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let today = date_of((since_epoch.as_secs() / 86_400) as i64);
    let header_len = 32 + 32 * kinds.len() + 1;
    let mut out = Vec::with_capacity(header_len);
    out.push(0x03);
    out.extend([
        (today.year() - 1900) as u8,
        today.month() as u8,
        today.day() as u8,
    ]);
    out.extend(records.to_le_bytes());
    out.extend((header_len as u16).to_le_bytes());
    out.extend(record_len.to_le_bytes());
    out.extend([0; 17]);
    out.push(language_driver(encoding));
    out.extend([0; 2]);
    for (name, kind) in names.iter().zip(kinds) {
        let mut descriptor = [0u8; 32];
        descriptor[..name.len()].copy_from_slice(name);
        descriptor[11] = kind.letter();
        descriptor[16] = kind.width() as u8;
        descriptor[17] = kind.decimals() as u8;
        out.extend(descriptor);
    }
    out.push(0x0D);
    out
}

/// Spools one row: its cell count, then each cell's column and cell.
fn spool_row(out: &mut impl Write, cells: &[(u32, Cell)]) -> std::io::Result<()> {
    out.write_all(&(cells.len() as u32).to_le_bytes())?;
    for (column, cell) in cells {
        out.write_all(&column.to_le_bytes())?;
        match cell {
            Cell::Null => out.write_all(&[0])?,
            Cell::Bool(b) => out.write_all(&[1, u8::from(*b)])?,
            Cell::Int(i) => {
                out.write_all(&[2])?;
                out.write_all(&i.to_le_bytes())?;
            }
            Cell::Float(f) => {
                out.write_all(&[3])?;
                out.write_all(&f.to_le_bytes())?;
            }
            Cell::Decimal(text) => {
                out.write_all(&[4])?;
                spool_bytes(out, text.as_bytes())?;
            }
            Cell::Date(d) => {
                out.write_all(&[5])?;
                out.write_all(&days(d).to_le_bytes())?;
            }
            Cell::Timestamp(t) => {
                out.write_all(&[6])?;
                out.write_all(&days(&t.date()).to_le_bytes())?;
                let nanos = (t.time() - chrono::NaiveTime::MIN)
                    .num_nanoseconds()
                    .unwrap_or(0);
                out.write_all(&nanos.to_le_bytes())?;
            }
            Cell::Text(bytes) => {
                out.write_all(&[7])?;
                spool_bytes(out, bytes)?;
            }
        }
    }
    Ok(())
}

fn spool_bytes(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(&(bytes.len() as u32).to_le_bytes())?;
    out.write_all(bytes)
}

fn days(d: &chrono::NaiveDate) -> i64 {
    d.signed_duration_since(chrono::NaiveDate::default())
        .num_days()
}

fn date_of(days: i64) -> chrono::NaiveDate {
    chrono::NaiveDate::default() + chrono::TimeDelta::days(days)
}

/// Reads a spooled row into `row` (indexed by column; cells it lacks stay null).
fn read_row(input: &mut impl Read, row: &mut [Cell]) -> std::io::Result<()> {
    fn take<const N: usize>(input: &mut (impl Read + ?Sized)) -> std::io::Result<[u8; N]> {
        let mut bytes = [0u8; N];
        input.read_exact(&mut bytes)?;
        Ok(bytes)
    }
    let bytes = |input: &mut dyn Read| -> std::io::Result<Vec<u8>> {
        let len = u32::from_le_bytes(take(input)?) as usize;
        let mut bytes = vec![0; len];
        input.read_exact(&mut bytes)?;
        Ok(bytes)
    };
    let count = u32::from_le_bytes(take(input)?);
    for _ in 0..count {
        let column = u32::from_le_bytes(take(input)?) as usize;
        let [tag] = take(input)?;
        row[column] = match tag {
            0 => Cell::Null,
            1 => Cell::Bool(take::<1>(input)?[0] == 1),
            2 => Cell::Int(i64::from_le_bytes(take(input)?)),
            3 => Cell::Float(f64::from_le_bytes(take(input)?)),
            4 => Cell::Decimal(String::from_utf8_lossy(&bytes(input)?).into_owned()),
            5 => Cell::Date(date_of(i64::from_le_bytes(take(input)?))),
            6 => {
                let date = date_of(i64::from_le_bytes(take(input)?));
                let nanos = i64::from_le_bytes(take(input)?);
                Cell::Timestamp(
                    date.and_time(chrono::NaiveTime::MIN) + chrono::TimeDelta::nanoseconds(nanos),
                )
            }
            _ => Cell::Text(bytes(input)?),
        };
    }
    Ok(())
}
