//! The columnar road for delimited text: CSV, TSV, PSV and SSV read straight into
//! record batches. The parser gathers each block's fields by column (on the parsing
//! threads, see [`crate::csv`]), and each column becomes one Arrow array: the text
//! buffers as they are for a text column, or the fields read as the column's
//! [`ColumnType`] for a typed one. No [`Row`](iterable_core::Row) or
//! [`Value`](iterable_core::Value) is made for a record.
//!
//! Types are the row road's (text typed by column in `convert`): decided from the
//! first `schema_scan_rows` rows by [`ColumnType::of_text`] and read by
//! [`ColumnType::read`], so both roads give the same values. A later field that does
//! not fit its column's type is an error that names the row, the column and the text
//! ([`misfit`]), never a null. An empty field is null in a typed column and empty text
//! in a text column; a field missing from a short record is null in both.
//!
//! | column type | Arrow type |
//! |---|---|
//! | `Int` | Int64 |
//! | `Float` | Float64 |
//! | `Bool` | Boolean |
//! | `Date` | Date32 |
//! | `Timestamp` | Timestamp(µs), or ns when a sampled field has sub-microsecond digits |
//! | `TimestampUtc` | Timestamp(µs or ns, "UTC") |
//! | `Text`, `Unknown` | Utf8 |

use std::collections::VecDeque;
use std::sync::Arc;

use arrow_array::builder::BooleanBufferBuilder;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int64Type, TimestampMicrosecondType,
    TimestampNanosecondType,
};
use arrow_array::{ArrayRef, BooleanArray, PrimitiveArray, RecordBatch, StringArray};
use arrow_buffer::{ArrowNativeType, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{NaiveDate, NaiveDateTime, Timelike};
use iterable_core::{AsyncIterable, Error, Progress, Result};
use tokio::io::AsyncBufRead;

use super::BatchStream;
use crate::ReadContext;
use crate::csv::{
    ColumnType, CsvReader, DecidedBy, MAX_DECIMAL_DIGITS, Typed, misfit, plain_datetime_micros,
    plain_float, plain_int,
};
use crate::text_columns::{TextColumn, TextColumns};

/// How the text of the columns is typed on the columnar road.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextTyping {
    /// Every column stays text (Utf8).
    Text,
    /// Each column's type is decided from the first `scan_rows` rows.
    Infer {
        /// How many rows decide (the `schema_scan_rows` option).
        scan_rows: usize,
        /// Whether an empty field is null in a text column too (as the CSV reader's
        /// `infer_types` makes it), not empty text.
        empty_is_null: bool,
        /// Whether numbers with a fraction are exact decimals
        /// ([`ColumnType::of_text_exact`]), not floats.
        decimals: bool,
    },
}

/// The blocks the parsing threads take on the columnar road: large enough that a
/// block's rows make a batch worth encoding on its own.
pub(super) const COLUMNAR_BLOCK_BYTES: usize = 1 << 20;

/// A reader of delimited text as record batches: each column's fields straight into
/// one Arrow array, typed as the first rows decide (or kept as text).
pub struct TextBatchReader<R> {
    reader: CsvReader<R>,
    typing: TextTyping,
    /// Where errors about a field's type point: the input, or the output it is
    /// converted into.
    error_location: String,
    /// The columns' types and the schema, once decided.
    decided: Option<Decided>,
    /// An empty field is null in a text column (see [`TextTyping::Infer`]).
    empty_is_null: bool,
    /// Chunks read while the types were decided, not yet handed out.
    held: VecDeque<TextColumns>,
    /// Rows typed so far (for the row numbers in errors).
    rows_typed: u64,
    /// Rows a batch holds at most.
    batch_rows: usize,
    /// What is left of the last chunk's batch, beyond `batch_rows`.
    rest: Option<RecordBatch>,
    done: bool,
}

struct Decided {
    types: Vec<ColumnType>,
    /// Timestamp columns in nanoseconds (else microseconds), by position.
    nanos: Vec<bool>,
    schema: SchemaRef,
    by: DecidedBy,
}

impl<R> std::fmt::Debug for TextBatchReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextBatchReader")
            .field("rows_typed", &self.rows_typed)
            .finish_non_exhaustive()
    }
}

impl<R: AsyncBufRead + Send + Unpin> TextBatchReader<R> {
    /// A reader of the delimited text in `reader` (the format and options of `ctx`),
    /// in batches of up to `ctx.options.batch_size` rows (fewer at the end of a block
    /// parsed on another thread). Errors about a field's type name `error_location`.
    pub fn new(reader: R, mut ctx: ReadContext, typing: TextTyping, error_location: &str) -> Self {
        let parallel = &mut ctx.options.parallel;
        parallel.block_bytes = parallel.block_bytes.max(COLUMNAR_BLOCK_BYTES);
        let batch_rows = ctx.options.batch_size.max(1);
        let mut reader = CsvReader::new(reader, ctx);
        reader.gather_columns(batch_rows);
        let empty_is_null = matches!(
            typing,
            TextTyping::Infer {
                empty_is_null: true,
                ..
            }
        );
        TextBatchReader {
            reader,
            typing,
            empty_is_null,
            error_location: error_location.to_owned(),
            decided: None,
            held: VecDeque::new(),
            rows_typed: 0,
            batch_rows,
            rest: None,
            done: false,
        }
    }

    /// Rows, bytes and skipped records read so far (rows counted as parsed).
    pub fn progress(&self) -> Progress {
        self.reader.progress()
    }

    /// The next batch; `None` at the end. An error ends the reading.
    pub async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.done {
            return Ok(None);
        }
        let result = self.next_batch_inner().await;
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result
    }

    async fn next_batch_inner(&mut self) -> Result<Option<RecordBatch>> {
        if self.decided.is_none() {
            self.decide().await?;
        }
        let batch = match self.rest.take() {
            Some(rest) => rest,
            None => {
                let chunk = match self.held.pop_front() {
                    Some(chunk) => chunk,
                    None => match self.next_chunk().await? {
                        Some(chunk) => chunk,
                        None => return Ok(None),
                    },
                };
                let batch = self.to_batch(chunk)?;
                self.rows_typed += batch.num_rows() as u64;
                batch
            }
        };
        // A block parsed on another thread may hold more rows than a batch.
        if batch.num_rows() > self.batch_rows {
            let rest = batch.num_rows() - self.batch_rows;
            self.rest = Some(batch.slice(self.batch_rows, rest));
            return Ok(Some(batch.slice(0, self.batch_rows)));
        }
        Ok(Some(batch))
    }

    /// The schema of the batches: known once the first batch was asked for (`None`
    /// before, and for an input with no header at all).
    pub fn schema(&self) -> Option<SchemaRef> {
        self.decided.as_ref().map(|d| d.schema.clone())
    }

    /// The batches as a stream.
    pub fn into_stream(self) -> BatchStream
    where
        R: 'static,
    {
        super::batch_stream(self)
    }

    async fn next_chunk(&mut self) -> Result<Option<TextColumns>> {
        std::future::poll_fn(|cx| self.reader.poll_columns(cx))
            .await
            .transpose()
    }

    /// Reads the chunks that decide the types (all of them held), then the types.
    async fn decide(&mut self) -> Result<()> {
        let scan_rows = match self.typing {
            TextTyping::Text => 1,
            TextTyping::Infer { scan_rows, .. } => scan_rows.max(1),
        };
        let mut held_rows = 0;
        while held_rows < scan_rows {
            match self.next_chunk().await? {
                Some(chunk) => {
                    held_rows += chunk.rows();
                    self.held.push_back(chunk);
                }
                None => break,
            }
        }
        let Some(header) = self
            .held
            .front()
            .map(|c| c.header().clone())
            .or_else(|| self.reader.header())
        else {
            // No header: no columns, no rows.
            self.decided = Some(Decided {
                types: Vec::new(),
                nanos: Vec::new(),
                schema: Arc::new(Schema::empty()),
                by: DecidedBy::FirstRows(0),
            });
            return Ok(());
        };
        let ncols = header.len();
        let mut types = vec![ColumnType::Unknown; ncols];
        let mut nanos = vec![false; ncols];
        let mut sampled = 0;
        if let TextTyping::Infer { decimals, .. } = self.typing {
            let of_text = if decimals {
                ColumnType::of_text_exact
            } else {
                ColumnType::of_text
            };
            for chunk in &self.held {
                let take = chunk.rows().min(scan_rows - sampled);
                for (i, column) in chunk.columns().iter().enumerate() {
                    for row in 0..take {
                        let Some(text) = column.field(row) else {
                            continue;
                        };
                        let kind = of_text(text);
                        types[i] = types[i].merge(kind);
                        if matches!(kind, ColumnType::Timestamp | ColumnType::TimestampUtc) {
                            nanos[i] |= has_sub_micros(text);
                        }
                    }
                }
                sampled += take;
                if sampled == scan_rows {
                    break;
                }
            }
        } else {
            types.fill(ColumnType::Text);
        }
        let fields: Vec<Field> = header
            .names()
            .iter()
            .zip(types.iter().zip(&nanos))
            .map(|(name, (&kind, &nanos))| Field::new(name, arrow_type(kind, nanos), true))
            .collect();
        self.decided = Some(Decided {
            types,
            nanos,
            schema: Arc::new(Schema::new(fields)),
            by: DecidedBy::FirstRows(sampled),
        });
        Ok(())
    }

    /// One chunk as a batch of the decided schema.
    fn to_batch(&self, chunk: TextColumns) -> Result<RecordBatch> {
        let decided = self.decided.as_ref().expect("decided before any batch");
        let rows = chunk.rows();
        let names = chunk.header().clone();
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(decided.types.len());
        for (i, column) in chunk.into_columns().into_iter().enumerate() {
            let kind = decided.types[i];
            let nanos = decided.nanos[i];
            let array = column_array(column, rows, kind, nanos, self.empty_is_null).map_err(
                |misfit_at| {
                    let name = names.names().get(i).map_or("", String::as_str);
                    misfit(
                        &self.error_location,
                        self.rows_typed + misfit_at.row as u64 + 1,
                        name,
                        &misfit_at.text,
                        kind,
                        decided.by,
                    )
                },
            )?;
            arrays.push(array);
        }
        RecordBatch::try_new(decided.schema.clone(), arrays)
            .map_err(|e| Error::unsupported(&self.error_location, e.to_string()))
    }
}

/// The Arrow type of a column of `kind`.
fn arrow_type(kind: ColumnType, nanos: bool) -> DataType {
    let unit = if nanos {
        TimeUnit::Nanosecond
    } else {
        TimeUnit::Microsecond
    };
    match kind {
        ColumnType::Int => DataType::Int64,
        ColumnType::Float => DataType::Float64,
        ColumnType::Decimal(scale) => DataType::Decimal128(MAX_DECIMAL_DIGITS as u8, scale as i8),
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Date => DataType::Date32,
        ColumnType::Timestamp => DataType::Timestamp(unit, None),
        ColumnType::TimestampUtc => DataType::Timestamp(unit, Some("UTC".into())),
        ColumnType::Unknown | ColumnType::Text => DataType::Utf8,
    }
}

/// Whether a date-time's text has digits below the microsecond.
fn has_sub_micros(text: &str) -> bool {
    crate::csv::parse_temporal(text).is_some_and(|t| match t {
        crate::csv::Temporal::Local(d) | crate::csv::Temporal::Utc(d) => d.nanosecond() % 1000 != 0,
        crate::csv::Temporal::Date(_) => false,
    })
}

/// A field that does not fit its column's type: its row in the chunk and its text.
struct Misfit {
    row: usize,
    text: String,
}

/// One column of a chunk as an Arrow array of `kind`'s type.
fn column_array(
    column: TextColumn,
    rows: usize,
    kind: ColumnType,
    nanos: bool,
    empty_is_null: bool,
) -> std::result::Result<ArrayRef, Misfit> {
    let fields = Fields::new(&column, rows);
    Ok(match kind {
        ColumnType::Unknown | ColumnType::Text => Arc::new(text_array(column, rows, empty_is_null)),
        ColumnType::Int => {
            let (values, nulls) = typed_values(fields, kind, plain_int, |t| match t {
                Typed::Int(i) => Some(i),
                _ => None,
            })?;
            Arc::new(PrimitiveArray::<Int64Type>::new(values, nulls))
        }
        ColumnType::Float => {
            let (values, nulls) = typed_values(fields, kind, plain_float, |t| match t {
                Typed::Float(f) => Some(f),
                _ => None,
            })?;
            Arc::new(PrimitiveArray::<Float64Type>::new(values, nulls))
        }
        ColumnType::Decimal(scale) => {
            let (values, nulls) = typed_values(fields, kind, no_shortcut, |t| match t {
                Typed::Decimal(d) => Some(d),
                _ => None,
            })?;
            Arc::new(
                PrimitiveArray::<Decimal128Type>::new(values, nulls)
                    .with_precision_and_scale(MAX_DECIMAL_DIGITS as u8, scale as i8)
                    .expect("a scale within 38 digits"),
            )
        }
        ColumnType::Bool => {
            let (values, nulls) = typed_values(fields, kind, no_shortcut, |t| match t {
                Typed::Bool(b) => Some(u8::from(b)),
                _ => None,
            })?;
            let bits = values.iter().map(|&b| b == 1).collect();
            Arc::new(BooleanArray::new(bits, nulls))
        }
        ColumnType::Date => {
            let (values, nulls) = typed_values(fields, kind, no_shortcut, |t| match t {
                Typed::Date(d) => i32::try_from(days(d)).ok(),
                _ => None,
            })?;
            Arc::new(PrimitiveArray::<Date32Type>::new(values, nulls))
        }
        ColumnType::Timestamp | ColumnType::TimestampUtc => {
            let zoned = kind == ColumnType::TimestampUtc;
            let tz = zoned.then_some("UTC");
            // The shortcut counts microseconds; nanoseconds have a narrower range.
            let plain = |text: &str| {
                if nanos {
                    None
                } else {
                    plain_datetime_micros(text, zoned)
                }
            };
            let (values, nulls) = typed_values(fields, kind, plain, |t| match t {
                Typed::DateTime(d) => in_unit(d, nanos),
                _ => None,
            })?;
            if nanos {
                Arc::new(
                    PrimitiveArray::<TimestampNanosecondType>::new(values, nulls)
                        .with_timezone_opt(tz),
                )
            } else {
                Arc::new(
                    PrimitiveArray::<TimestampMicrosecondType>::new(values, nulls)
                        .with_timezone_opt(tz),
                )
            }
        }
    })
}

/// Each field read as `kind` and made a native value by `value`; a default value
/// where the field is null (empty, or missing), which the null buffer marks. `plain`
/// reads the commonest shape of the type in one pass (`csv/plain_fields.rs`);
/// what it leaves (`None`) is read by [`ColumnType::read`].
fn typed_values<T: ArrowNativeType>(
    fields: Fields<'_>,
    kind: ColumnType,
    plain: impl Fn(&str) -> Option<T>,
    value: impl Fn(Typed) -> Option<T>,
) -> std::result::Result<(ScalarBuffer<T>, Option<NullBuffer>), Misfit> {
    let rows = fields.rows;
    let mut values = Vec::with_capacity(rows);
    let mut valid = BooleanBufferBuilder::new(rows);
    let mut nulls = 0;
    for (row, text) in fields {
        if let Some(v) = text.and_then(&plain) {
            values.push(v);
            valid.append(true);
            continue;
        }
        let typed = match text {
            None => Typed::Null,
            Some(text) => kind.read(text).ok_or_else(|| Misfit::at(row, text))?,
        };
        if typed == Typed::Null {
            values.push(T::default());
            valid.append(false);
            nulls += 1;
            continue;
        }
        // `None`: read as the type but out of the array's range (a date-time past
        // what the unit can count, or finer than it).
        let v = value(typed).ok_or_else(|| Misfit::at(row, text.unwrap_or_default()))?;
        values.push(v);
        valid.append(true);
    }
    let nulls = (nulls > 0).then(|| NullBuffer::new(valid.finish()));
    Ok((ScalarBuffer::from(values), nulls))
}

/// No shortcut: every field is read by [`ColumnType::read`].
fn no_shortcut<T>(_: &str) -> Option<T> {
    None
}

impl Misfit {
    fn at(row: usize, text: &str) -> Misfit {
        Misfit {
            row,
            text: text.to_owned(),
        }
    }
}

/// The fields of a column, row by row (`None` for a missing one).
struct Fields<'a> {
    column: &'a TextColumn,
    rows: usize,
    row: usize,
    next_missing: usize,
}

impl<'a> Fields<'a> {
    fn new(column: &'a TextColumn, rows: usize) -> Self {
        Fields {
            column,
            rows,
            row: 0,
            next_missing: 0,
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (usize, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.row;
        if row == self.rows {
            return None;
        }
        self.row += 1;
        let c = self.column;
        if c.missing.get(self.next_missing) == Some(&row) {
            self.next_missing += 1;
            return Some((row, None));
        }
        let (start, end) = (c.offsets[row] as usize, c.offsets[row + 1] as usize);
        Some((row, Some(&c.text[start..end])))
    }
}

/// A text column as a Utf8 array, its buffers taken as they are: null where a field
/// is missing, and where it is empty when `empty_is_null`.
fn text_array(column: TextColumn, rows: usize, empty_is_null: bool) -> StringArray {
    let offsets = &column.offsets;
    let empty = |row: usize| offsets[row] == offsets[row + 1];
    let any_empty = empty_is_null && (0..rows).any(empty);
    let nulls = (any_empty || !column.missing.is_empty()).then(|| {
        let mut valid = BooleanBufferBuilder::new(rows);
        if any_empty {
            for row in 0..rows {
                valid.append(!empty(row));
            }
        } else {
            valid.append_n(rows, true);
        }
        for &row in &column.missing {
            valid.set_bit(row, false);
        }
        NullBuffer::new(valid.finish())
    });
    let offsets = OffsetBuffer::new(ScalarBuffer::from(column.offsets));
    let values = Buffer::from_vec(column.text.into_bytes());
    utf8_array(offsets, values, nulls)
}

/// The array of a [`TextColumn`]'s buffers, without checking them again: arrow's check
/// of the text (a tenth of the whole read) would find what the types already say.
#[allow(unsafe_code)]
fn utf8_array(
    offsets: OffsetBuffer<i32>,
    values: Buffer,
    nulls: Option<NullBuffer>,
) -> StringArray {
    // SAFETY: `values` is a `String`'s bytes, so UTF-8, and each offset is where a field
    // (a `&str` pushed whole) ends, so at a character boundary; the offsets start at
    // 0, never decrease (`OffsetBuffer::new` checked) and the last is the text's length;
    // `nulls`, when present, has one bit a row, as the offsets do.
    unsafe { StringArray::new_unchecked(offsets, values, nulls) }
}

/// Days since 1970-01-01.
fn days(d: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    d.signed_duration_since(epoch).num_days()
}

/// A date-time (as UTC) in microseconds, exactly, or nanoseconds.
fn in_unit(d: NaiveDateTime, nanos: bool) -> Option<i64> {
    let utc = d.and_utc();
    if nanos {
        return utc.timestamp_nanos_opt();
    }
    let sub = utc.timestamp_subsec_nanos();
    if !sub.is_multiple_of(1000) {
        return None;
    }
    utc.timestamp()
        .checked_mul(1_000_000)?
        .checked_add(i64::from(sub / 1000))
}

impl<R: AsyncBufRead + Send + Unpin + 'static> super::NextBatch for TextBatchReader<R> {
    fn next_batch(
        &mut self,
    ) -> impl std::future::Future<Output = Result<Option<RecordBatch>>> + Send {
        TextBatchReader::next_batch(self)
    }
}
