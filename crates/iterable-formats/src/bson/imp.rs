//! The bson reader and writer, compiled with the `bson` feature (the format's description is in `mod.rs`).

use std::io::{BufRead, Read, Write};
use std::sync::Arc;

use crate::blocking_bridge::{RowWriter, SyncInput, SyncOutput};
use bson::{Bson, Document};
use chrono::{DateTime, NaiveTime};
use iterable_core::{
    BoxIterable, DuplicateKeys, Error, HeaderBuilder, Result, Row, Timestamp, Value,
};
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::blocking::{
    bridge_reader, bridge_writer, parse_decimal, read_error, record_error, write_error,
};
use crate::{ReadContext, WriteContext};

/// The largest document read (BSON's own limit is 16 MiB).
const MAX_DOCUMENT: usize = 64 << 20;

/// Opens a BSON reader over `reader`.
pub async fn open_reader<R>(reader: R, ctx: ReadContext) -> Result<BoxIterable>
where
    R: AsyncBufRead + Send + Unpin + 'static,
{
    let duplicates = ctx.options.duplicate_keys;
    Ok(bridge_reader(reader, ctx, move |input| {
        Ok(Documents {
            input,
            record: 0,
            duplicates,
        })
    }))
}

/// Opens a BSON writer over `writer`.
pub async fn open_writer<W>(writer: W, ctx: WriteContext) -> Result<BoxIterable>
where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let location = ctx.info.location.clone();
    Ok(bridge_writer(writer, ctx, move |out| {
        Ok(BsonWriter { out, location })
    }))
}

struct Documents {
    input: SyncInput,
    record: u64,
    duplicates: DuplicateKeys,
}

impl Documents {
    fn next_document(&mut self) -> Result<Option<Row>> {
        let location = self.input.location().to_owned();
        let start = self.input.offset();
        if self
            .input
            .fill_buf()
            .map_err(|e| read_error(&location, e))?
            .is_empty()
        {
            return Ok(None);
        }
        self.record += 1;
        let record = self.record;
        let fail =
            |message: String, raw: &[u8]| record_error(&location, record, start, message, raw);
        let mut prefix = [0u8; 4];
        let got = read_up_to(&mut self.input, &mut prefix).map_err(|e| read_error(&location, e))?;
        if got < 4 {
            return Err(fail(
                format!("truncated document: {got} of the 4 length bytes"),
                &prefix[..got],
            ));
        }
        let len = i32::from_le_bytes(prefix);
        if len < 5 || len as usize > MAX_DOCUMENT {
            return Err(fail(
                format!("not a BSON document: length {len} (expected 5 to {MAX_DOCUMENT})"),
                &prefix,
            ));
        }
        let mut bytes = vec![0u8; len as usize];
        bytes[..4].copy_from_slice(&prefix);
        let got = 4 + read_up_to(&mut self.input, &mut bytes[4..])
            .map_err(|e| read_error(&location, e))?;
        if got < bytes.len() {
            return Err(fail(
                format!("truncated document: {got} of its {len} bytes"),
                &bytes[..got],
            ));
        }
        if nesting_depth(&bytes) > iterable_core::MAX_NESTING_DEPTH {
            return Err(fail(
                format!(
                    "documents nested deeper than {} levels (the limit of every format)",
                    iterable_core::MAX_NESTING_DEPTH
                ),
                &bytes,
            ));
        }
        let row = record_row(&bytes, self.duplicates).map_err(|m| fail(m, &bytes))?;
        Ok(Some(row))
    }
}

impl Iterator for Documents {
    type Item = Result<Row>;
    fn next(&mut self) -> Option<Result<Row>> {
        self.next_document().transpose()
    }
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// A record's document as a row, its repeated keys by `rule` (read from the raw
/// document: a decoded one keeps only the last of them; nested documents: the last
/// wins).
fn record_row(bytes: &[u8], rule: DuplicateKeys) -> std::result::Result<Row, String> {
    let invalid = |e: &dyn std::fmt::Display| format!("invalid BSON document: {e}");
    let raw = bson::RawDocument::from_bytes(bytes).map_err(|e| invalid(&e))?;
    let mut names = HeaderBuilder::new();
    let mut values = Vec::new();
    for element in raw.iter() {
        let (key, value) = element.map_err(|e| invalid(&e))?;
        let key = key.as_str();
        let value = || -> std::result::Result<Value, String> {
            Ok(to_value(Bson::try_from(value).map_err(|e| invalid(&e))?))
        };
        match (names.position(key), rule) {
            (None, _) => {
                names.add(key.into());
                values.push(value()?);
            }
            (Some(at), DuplicateKeys::Last) => values[at] = value()?,
            (Some(_), DuplicateKeys::First) => {}
            (Some(_), DuplicateKeys::Error) => return Err(DuplicateKeys::message(key)),
        }
    }
    Ok(Row::from_parts(Arc::new(names.into_header()), values))
}

fn document_to_row(doc: Document) -> Row {
    doc.into_iter().map(|(k, v)| (k, to_value(v))).collect()
}

fn to_value(v: Bson) -> Value {
    match v {
        Bson::Null | Bson::Undefined | Bson::MaxKey | Bson::MinKey => Value::Null,
        Bson::Boolean(b) => Value::Bool(b),
        Bson::Int32(i) => Value::Int(i as i64),
        Bson::Int64(i) => Value::Int(i),
        Bson::Double(f) => Value::Float(f),
        Bson::String(s) | Bson::Symbol(s) | Bson::JavaScriptCode(s) => Value::String(s.into()),
        Bson::JavaScriptCodeWithScope(c) => Value::String(c.code.into()),
        Bson::Array(items) => Value::List(items.into_iter().map(to_value).collect()),
        Bson::Document(doc) => Value::Map(document_to_row(doc)),
        Bson::Binary(b) => Value::Bytes(b.bytes),
        Bson::ObjectId(id) => Value::String(id.to_hex().into()),
        Bson::DateTime(t) => match DateTime::from_timestamp_millis(t.timestamp_millis()) {
            Some(dt) => Value::Timestamp(Timestamp {
                datetime: dt.naive_utc(),
                tz: Some("UTC".into()),
            }),
            None => Value::Int(t.timestamp_millis()),
        },
        Bson::Decimal128(d) => {
            let text = d.to_string();
            parse_decimal(&text).map_or(Value::String(text.into()), Value::Decimal)
        }
        Bson::RegularExpression(r) => {
            Value::String(format!("/{}/{}", r.pattern.as_str(), r.options.as_str()).into())
        }
        Bson::Timestamp(t) => Value::Map(
            [
                ("t", Value::Int(t.time as i64)),
                ("i", Value::Int(t.increment as i64)),
            ]
            .into_iter()
            .collect(),
        ),
        Bson::DbPointer(p) => Value::String(format!("{p:?}").into()),
    }
}

struct BsonWriter {
    out: SyncOutput,
    location: String,
}

impl RowWriter for BsonWriter {
    fn write_row(&mut self, row: &Row, number: u64) -> Result<()> {
        let doc = row_to_document(row).map_err(|m| write_error(&self.location, number, m))?;
        let mut bytes = Vec::new();
        doc.to_writer(&mut bytes)
            .map_err(|e| write_error(&self.location, number, e.to_string()))?;
        self.out
            .write_all(&bytes)
            .map_err(|e| Error::io(&self.location, e))
    }

    fn finish(self) -> Result<SyncOutput> {
        Ok(self.out)
    }
}

fn row_to_document(row: &Row) -> std::result::Result<Document, String> {
    let mut doc = Document::new();
    for (k, v) in row.iter() {
        doc.insert(k, to_bson(v).map_err(|m| format!("column {k:?}: {m}"))?);
    }
    Ok(doc)
}

fn to_bson(v: &Value) -> std::result::Result<Bson, String> {
    Ok(match v {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Int(i) => Bson::Int64(*i),
        Value::Float(f) => Bson::Double(*f),
        Value::String(s) => Bson::String(s.to_string()),
        Value::Bytes(b) => Bson::Binary(bson::Binary {
            subtype: bson::spec::BinarySubtype::Generic,
            bytes: b.clone(),
        }),
        Value::Date(d) => Bson::DateTime(bson::DateTime::from_millis(
            d.and_time(NaiveTime::MIN).and_utc().timestamp_millis(),
        )),
        Value::Timestamp(t) => Bson::DateTime(bson::DateTime::from_millis(
            t.datetime.and_utc().timestamp_millis(),
        )),
        Value::Decimal(d) => Bson::Decimal128(
            d.to_string()
                .parse()
                .map_err(|e| format!("decimal {d} does not fit Decimal128: {e}"))?,
        ),
        Value::List(items) => Bson::Array(items.iter().map(to_bson).collect::<Result<_, _>>()?),
        Value::Map(row) => Bson::Document(row_to_document(row)?),
    })
}

/// How deep the documents and arrays of one BSON document nest, found by a walk of its
/// bytes with no recursion (the bson crate recurses, and a few kilobytes of nesting
/// overflow its stack). Where the bytes stop making sense the walk stops and answers
/// the depth so far: the bson crate then gives the error.
fn nesting_depth(doc: &[u8]) -> usize {
    let int32 = |at: usize| -> Option<usize> {
        let b = doc.get(at..at + 4)?;
        usize::try_from(i32::from_le_bytes(b.try_into().ok()?)).ok()
    };
    let cstring_end = |at: usize| -> Option<usize> {
        doc.get(at..)?
            .iter()
            .position(|&b| b == 0)
            .map(|n| at + n + 1)
    };
    let (mut depth, mut deepest) = (1usize, 1usize);
    let mut at = 4; // past the outer document's length
    while depth > 0 {
        let Some(&kind) = doc.get(at) else {
            return deepest;
        };
        at += 1;
        if kind == 0 {
            depth -= 1; // the end of a document or array
            continue;
        }
        let Some(value) = cstring_end(at) else {
            return deepest;
        };
        at = value;
        let skip = match kind {
            0x03 | 0x04 => {
                depth += 1;
                deepest = deepest.max(depth);
                Some(4) // into the nested document, past its length
            }
            0x01 | 0x09 | 0x11 | 0x12 => Some(8),
            0x02 | 0x0D | 0x0E => int32(at).map(|n| 4 + n),
            0x05 => int32(at).map(|n| 5 + n),
            0x07 => Some(12),
            0x08 => Some(1),
            0x06 | 0x0A | 0x7F | 0xFF => Some(0),
            0x0B => cstring_end(at).and_then(cstring_end).map(|end| end - at),
            0x0C => int32(at).map(|n| 4 + n + 12),
            0x0F => int32(at), // code with scope: its total length, scope and all
            0x10 => Some(4),
            0x13 => Some(16),
            _ => None,
        };
        match skip {
            Some(n) => at += n,
            None => return deepest,
        }
    }
    deepest
}

#[cfg(test)]
mod depth_tests {
    use super::*;

    #[test]
    fn the_depth_of_nested_documents_is_found_without_recursion() {
        let mut doc = bson::doc! { "a": 1, "s": "x" };
        for _ in 0..5 {
            doc = bson::doc! { "d": doc, "list": [1, 2] };
        }
        let mut bytes = Vec::new();
        doc.to_writer(&mut bytes).unwrap();
        assert_eq!(nesting_depth(&bytes), 6);
        let flat = bson::doc! { "a": 1.5, "b": [[[1]]] };
        let mut bytes = Vec::new();
        flat.to_writer(&mut bytes).unwrap();
        assert_eq!(nesting_depth(&bytes), 4);
    }
}
