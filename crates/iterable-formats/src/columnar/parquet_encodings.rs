//! How each Parquet column is encoded, decided from the first batch.
//!
//! A dictionary pays when a column repeats its values: each value is then an index into
//! a page of the distinct ones. The parquet crate tries a dictionary on every column and
//! falls back to plain values once the dictionary page outgrows its limit (1 MiB), in
//! every row group anew; on a column of nearly distinct values (keys, emails, free text,
//! timestamps, amounts) that is work thrown away: about a tenth of the time of turning
//! the peer benchmark's CSV into Parquet. So a column whose sampled values are nearly
//! all distinct ([`DISTINCT_SHARE`] of at least [`MIN_SAMPLE`] non-null values) goes
//! without a dictionary from the start; every other column keeps the crate's default.
//!
//! Such a column of integers (dates, times, timestamps included) whose consecutive
//! values differ by much less than the values spread ([`deltas_narrow`]: row numbers,
//! keys, the times of a log) is written as deltas (`DELTA_BINARY_PACKED`, read by every
//! Parquet reader): a few bits a value instead of eight bytes for the compressor to
//! shrink, so the file is smaller and written with less work (a sequential 64-bit key:
//! 1 MiB compressed plain, a few KiB as deltas). Other numbers stay plain.
//!
//! Such a column of strings or bytes (emails, free text) is written
//! `DELTA_LENGTH_BYTE_ARRAY`: the lengths of a page's values together, as deltas, then
//! their bytes one after another. Plain values put a 4-byte length before each value,
//! which the compressor must take in and which breaks the runs of text it matches; apart,
//! the lengths take a byte or two a value and the text compresses as text. The peer
//! benchmark's data: the file 35.5 -> 34.4 MB, in less time at the same peak memory
//! (with pages of [`LENGTHS_APART_PAGE`]). pyarrow, polars, duckdb, Spark (3.3 on) and
//! Trino read it, as they read `DELTA_BINARY_PACKED`.

use std::collections::HashSet;

use ahash::RandomState;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    BinaryViewType, ByteArrayType, GenericBinaryType, GenericStringType, StringViewType,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use parquet::basic::Encoding;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

/// The share of distinct values among the sampled ones above which a column goes plain.
pub(super) const DISTINCT_SHARE: f64 = 0.95;

/// The fewest non-null values a decision is made on; fewer keep the dictionary.
pub(super) const MIN_SAMPLE: usize = 1024;

/// The data page size of a column written with its lengths apart. The parquet crate
/// gathers such a page's values in a buffer it keeps between pages, and copies it once
/// more to put the lengths before the bytes: at the default 1 MiB, that held 4-5 MiB
/// more at the peak of the peer data's conversions; at a quarter of it they are back
/// within 1 MiB of plain values' peak, and faster (CSV 0.59 against 0.66 s).
const LENGTHS_APART_PAGE: usize = 256 * 1024;

/// The values looked at in each column.
const MAX_SAMPLE: usize = 8192;

/// `props` with the dictionary turned off for the flat columns of `batch` whose
/// values are nearly all distinct, deltas for those of them that are integers changing
/// by little from row to row, and lengths apart for those that are strings or bytes.
pub(super) fn plan_encodings(props: WriterProperties, batch: &RecordBatch) -> WriterProperties {
    let plain: Vec<(&str, Option<Encoding>)> = batch
        .schema_ref()
        .fields()
        .iter()
        .zip(batch.columns())
        .filter(|(_, column)| nearly_distinct(column))
        .map(|(field, column)| (field.name().as_str(), distinct_encoding(column)))
        .collect();
    if plain.is_empty() {
        return props;
    }
    let mut builder = props.into_builder();
    for (name, encoding) in plain {
        let path = ColumnPath::new(vec![name.to_owned()]);
        builder = builder.set_column_dictionary_enabled(path.clone(), false);
        if encoding == Some(Encoding::DELTA_LENGTH_BYTE_ARRAY) {
            builder = builder.set_column_data_page_size_limit(path.clone(), LENGTHS_APART_PAGE);
        }
        if let Some(encoding) = encoding {
            builder = builder.set_column_encoding(path, encoding);
        }
    }
    builder.build()
}

/// The encoding of a nearly distinct `column` when it is not plain: deltas for integers
/// that change by little, lengths apart from the bytes for strings and bytes.
fn distinct_encoding(column: &ArrayRef) -> Option<Encoding> {
    use DataType::*;
    match column.data_type() {
        Utf8 | LargeUtf8 | Utf8View | Binary | LargeBinary | BinaryView => {
            Some(Encoding::DELTA_LENGTH_BYTE_ARRAY)
        }
        _ => deltas_narrow(column).then_some(Encoding::DELTA_BINARY_PACKED),
    }
}

/// Whether at least [`DISTINCT_SHARE`] of the first non-null values of `column` are
/// distinct (flat columns of numbers, dates, times, text and bytes; others: no).
fn nearly_distinct(column: &ArrayRef) -> bool {
    let sample = column.slice(0, column.len().min(MAX_SAMPLE));
    let values = sample.len() - sample.null_count();
    if values < MIN_SAMPLE {
        return false;
    }
    let Some(distinct) = count_distinct(&sample) else {
        return false;
    };
    distinct as f64 >= DISTINCT_SHARE * values as f64
}

/// The distinct non-null values of `array`, for the types a dictionary is tried on.
fn count_distinct(array: &ArrayRef) -> Option<usize> {
    use DataType::*;
    Some(match array.data_type() {
        Utf8 => distinct_bytes::<GenericStringType<i32>>(array),
        LargeUtf8 => distinct_bytes::<GenericStringType<i64>>(array),
        Binary => distinct_bytes::<GenericBinaryType<i32>>(array),
        LargeBinary => distinct_bytes::<GenericBinaryType<i64>>(array),
        Utf8View => distinct_views(
            array
                .as_byte_view::<StringViewType>()
                .iter()
                .map(|v| v.map(str::as_bytes)),
        ),
        BinaryView => distinct_views(array.as_byte_view::<BinaryViewType>().iter()),
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float16 | Float32
        | Float64 | Date32 | Date64 | Time32(_) | Time64(_) | Timestamp(..) | Duration(_)
        | Decimal32(..) | Decimal64(..) | Decimal128(..) => distinct_fixed(array),
        _ => return None,
    })
}

fn distinct_bytes<T: ByteArrayType>(array: &ArrayRef) -> usize
where
    T::Native: AsRef<[u8]>,
{
    let values = array.as_bytes::<T>();
    distinct_views(values.iter().map(|v| v.map(AsRef::as_ref)))
}

fn distinct_views<'a>(values: impl Iterator<Item = Option<&'a [u8]>>) -> usize {
    values
        .flatten()
        .collect::<HashSet<&[u8], RandomState>>()
        .len()
}

/// Fixed-width values compared by their bytes (a float's bits: what a dictionary
/// compares too).
fn distinct_fixed(array: &ArrayRef) -> usize {
    with_fixed_values(array, |values| {
        values.collect::<HashSet<&[u8], RandomState>>().len()
    })
    .unwrap_or(0)
}

/// `f` of the bytes of each non-null value of a fixed-width `array`, in order; `None`
/// for other arrays.
fn with_fixed_values<T>(
    array: &ArrayRef,
    f: impl FnOnce(&mut dyn Iterator<Item = &[u8]>) -> T,
) -> Option<T> {
    let data = array.to_data();
    let width = data.data_type().primitive_width().filter(|&w| w > 0)?;
    let bytes = &data.buffers()[0].as_slice()[data.offset() * width..];
    let mut values = (0..data.len())
        .filter(|&i| data.is_valid(i))
        .map(|i| &bytes[i * width..(i + 1) * width]);
    Some(f(&mut values))
}

/// Whether the spread of the differences between consecutive non-null values of the
/// first [`MAX_SAMPLE`] of an integer `column` takes at most half the bits of the
/// spread of the values themselves (not for other types, nor for too few values).
fn deltas_narrow(column: &ArrayRef) -> bool {
    let sample = column.slice(0, column.len().min(MAX_SAMPLE));
    let Some(values) = integers(&sample) else {
        return false;
    };
    if values.len() < MIN_SAMPLE {
        return false;
    }
    let value_bits = spread_bits(values.iter().copied());
    let delta_bits = spread_bits(values.windows(2).map(|w| w[1] - w[0]));
    delta_bits * 2 <= value_bits
}

/// The bits that hold the difference between the largest and the smallest of `items`
/// (0 for none or one).
fn spread_bits(mut items: impl Iterator<Item = i128>) -> u32 {
    let first = items.next().unwrap_or(0);
    let (min, max) = items.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v)));
    128 - (max - min).leading_zeros()
}

/// The non-null values of a column Parquet stores as 32- or 64-bit integers (integers,
/// dates, times, timestamps, durations), widened; `None` for other types.
fn integers(array: &ArrayRef) -> Option<Vec<i128>> {
    use DataType::*;
    let signed = match array.data_type() {
        Int8 | Int16 | Int32 | Int64 | Date32 | Date64 | Time32(_) | Time64(_) | Timestamp(..)
        | Duration(_) => true,
        UInt8 | UInt16 | UInt32 | UInt64 => false,
        _ => return None,
    };
    let widen = |value: &[u8]| {
        let mut raw = [0u8; 16];
        raw[..value.len()].copy_from_slice(value);
        if signed && value[value.len() - 1] & 0x80 != 0 {
            raw[value.len()..].fill(0xff);
        }
        i128::from_le_bytes(raw)
    };
    with_fixed_values(array, |values| values.map(widen).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{Float64Array, Int64Array, StringArray};

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    fn dictionary(props: &WriterProperties, name: &str) -> bool {
        props.dictionary_enabled(&ColumnPath::new(vec![name.to_owned()]))
    }

    fn encoding(props: &WriterProperties, name: &str) -> Option<Encoding> {
        props.encoding(&ColumnPath::new(vec![name.to_owned()]))
    }

    #[test]
    fn nearly_distinct_columns_go_plain_and_repeating_ones_keep_the_dictionary() {
        let n = 4000;
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n));
        let amounts: ArrayRef = Arc::new(Float64Array::from_iter_values(
            (0..n).map(|i| i as f64 / 8.0),
        ));
        let emails: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| format!("u{i}@x.test")),
        ));
        let colours: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| ["red", "blue"][i as usize % 2]),
        ));
        // 90% distinct: under the share, so it keeps its dictionary.
        let mostly: ArrayRef = Arc::new(Int64Array::from_iter_values(
            (0..n).map(|i| if i % 10 == 0 { 0 } else { i }),
        ));
        // Too few values to judge.
        let few: ArrayRef = Arc::new(Int64Array::from_iter(
            (0..n).map(|i| (i < 100).then_some(i)),
        ));
        let props = plan_encodings(
            WriterProperties::builder().build(),
            &batch(vec![
                ("id", ids),
                ("amount", amounts),
                ("email", emails),
                ("colour", colours),
                ("mostly", mostly),
                ("few", few),
            ]),
        );
        assert!(!dictionary(&props, "id"));
        assert!(!dictionary(&props, "amount"));
        assert!(!dictionary(&props, "email"));
        assert_eq!(
            encoding(&props, "email"),
            Some(Encoding::DELTA_LENGTH_BYTE_ARRAY)
        );
        let page = |name: &str| props.column_data_page_size_limit(&ColumnPath::from(name));
        assert_eq!(page("email"), LENGTHS_APART_PAGE);
        assert!(dictionary(&props, "colour"));
        assert_eq!(encoding(&props, "colour"), None);
        assert_eq!(page("colour"), props.data_page_size_limit());
        assert!(dictionary(&props, "mostly"));
        assert!(dictionary(&props, "few"));
    }

    #[test]
    fn a_sliced_column_is_judged_by_its_own_values() {
        // The first half repeats one value, the second is distinct: the slice of the
        // second half is distinct.
        let values: Vec<i64> = (0..4000).map(|i| if i < 2000 { 7 } else { i }).collect();
        let all: ArrayRef = Arc::new(Int64Array::from(values));
        assert!(!nearly_distinct(&all));
        assert!(nearly_distinct(&all.slice(2000, 2000)));
    }

    #[test]
    fn integers_that_change_by_little_go_as_deltas_and_scattered_ones_stay_plain() {
        use arrow_array::{Date32Array, Int32Array, TimestampMicrosecondArray, UInt64Array};
        let n = 4000;
        let columns: Vec<(&str, ArrayRef)> = vec![
            // A key counting down below zero: the sign is kept when widening.
            (
                "down",
                Arc::new(Int32Array::from_iter_values((0..n).map(|i| -i))),
            ),
            // A log's times, a second or two apart.
            (
                "logged",
                Arc::new(TimestampMicrosecondArray::from_iter_values(
                    (0..n as i64).map(|i| 1_700_000_000_000_000 + i * 1_500_000 + i % 2),
                )),
            ),
            // Days in order with gaps and nulls between them.
            (
                "days",
                Arc::new(Date32Array::from_iter(
                    (0..n).map(|i| (i % 5 != 0).then_some(19_000 + i * 3)),
                )),
            ),
            // Distinct, but all over their range: deltas as wide as the values.
            (
                "scattered",
                Arc::new(Int64Array::from_iter_values(
                    (0..n as i64).map(|i| (i * 7919) % 100_003),
                )),
            ),
            // Unsigned values past i64: compared as themselves.
            (
                "large",
                Arc::new(UInt64Array::from_iter_values(
                    (0..n as u64).map(|i| u64::MAX - i * 2),
                )),
            ),
            (
                "amount",
                Arc::new(Float64Array::from_iter_values((0..n).map(f64::from))),
            ),
        ];
        let props = plan_encodings(WriterProperties::builder().build(), &batch(columns));
        for name in ["down", "logged", "days", "large"] {
            assert!(!dictionary(&props, name), "{name}");
            assert_eq!(
                encoding(&props, name),
                Some(Encoding::DELTA_BINARY_PACKED),
                "{name}"
            );
        }
        for name in ["scattered", "amount"] {
            assert!(!dictionary(&props, name), "{name}");
            assert_eq!(encoding(&props, name), None, "{name}");
        }
    }

    #[test]
    fn repeating_integers_keep_the_dictionary_and_no_deltas() {
        let steps: ArrayRef = Arc::new(Int64Array::from_iter_values((0..4000).map(|i| i / 100)));
        let props = plan_encodings(
            WriterProperties::builder().build(),
            &batch(vec![("steps", steps)]),
        );
        assert!(dictionary(&props, "steps"));
        assert_eq!(encoding(&props, "steps"), None);
    }
}
