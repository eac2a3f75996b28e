//! A record batch with one column of every Arrow type the Value table covers, nulls
//! included: the type matrix the Parquet and Arrow IPC round trips share.

use std::sync::Arc;

use arrow_array::builder::{
    FixedSizeListBuilder, Int32Builder, LargeListBuilder, ListBuilder, MapBuilder, StringBuilder,
    StringDictionaryBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BinaryArray, BinaryViewArray, BooleanArray, Date32Array, Date64Array,
    Decimal128Array, Decimal256Array, DurationMillisecondArray, FixedSizeBinaryArray, Float16Array,
    Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Int64Array, LargeBinaryArray,
    LargeStringArray, RecordBatch, StringArray, StringViewArray, StructArray,
    Time32MillisecondArray, Time64MicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray, UInt8Array, UInt16Array, UInt32Array,
    UInt64Array,
};
use arrow_schema::{DataType, Field};

/// One column of every type the Value table covers, with nulls.
pub fn type_matrix() -> RecordBatch {
    let n = 4;
    let mut list = ListBuilder::new(Int32Builder::new());
    let mut large_list = LargeListBuilder::new(StringBuilder::new());
    let mut fixed_list = FixedSizeListBuilder::new(Int32Builder::new(), 2);
    let mut map = MapBuilder::new(None, StringBuilder::new(), Int32Builder::new());
    let mut dict = StringDictionaryBuilder::<Int32Type>::new();
    for i in 0..n as i32 {
        if i == 1 {
            list.append(false);
            large_list.append(false);
            fixed_list.values().append_null();
            fixed_list.values().append_null();
            fixed_list.append(false);
            map.append(false).unwrap();
            dict.append_null();
            continue;
        }
        list.values().append_value(i);
        list.values().append_null();
        list.append(true);
        large_list.values().append_value(format!("x{i}"));
        large_list.append(true);
        fixed_list.values().append_value(i);
        fixed_list.values().append_value(-i);
        fixed_list.append(true);
        map.keys().append_value(format!("k{i}"));
        map.values().append_value(i * 10);
        map.append(true).unwrap();
        dict.append_value(if i % 2 == 0 { "even" } else { "odd" });
    }
    let opt = |i: usize| i != 1;
    let structs = StructArray::from(vec![
        (
            Arc::new(Field::new("a", DataType::Int64, true)),
            Arc::new(Int64Array::from(vec![Some(1), None, Some(3), Some(4)])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("b", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec![
                Some("p"),
                Some("q"),
                None,
                Some("s"),
            ])) as ArrayRef,
        ),
    ]);
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "i8",
            Arc::new(Int8Array::from_iter(
                (0..n).map(|i| opt(i).then_some(-(i as i8) * 30)),
            )),
        ),
        (
            "i16",
            Arc::new(Int16Array::from_iter(
                (0..n).map(|i| opt(i).then_some(i as i16 * -1000)),
            )),
        ),
        (
            "i32",
            Arc::new(Int32Array::from_iter(
                (0..n).map(|i| opt(i).then_some(i as i32 * 100_000)),
            )),
        ),
        (
            "i64",
            Arc::new(Int64Array::from_iter(
                (0..n).map(|i| opt(i).then_some(i64::MIN + i as i64)),
            )),
        ),
        (
            "u8",
            Arc::new(UInt8Array::from_iter(
                (0..n).map(|i| opt(i).then_some(250 + i as u8)),
            )),
        ),
        (
            "u16",
            Arc::new(UInt16Array::from_iter(
                (0..n).map(|i| opt(i).then_some(65_000 + i as u16)),
            )),
        ),
        (
            "u32",
            Arc::new(UInt32Array::from_iter(
                (0..n).map(|i| opt(i).then_some(u32::MAX - i as u32)),
            )),
        ),
        (
            "u64",
            Arc::new(UInt64Array::from_iter(
                (0..n).map(|i| opt(i).then_some(u64::MAX - i as u64)),
            )),
        ),
        (
            "f16",
            Arc::new(Float16Array::from_iter(
                (0..n).map(|i| opt(i).then_some(half::f16::from_f32(i as f32 + 0.5))),
            )),
        ),
        (
            "f32",
            Arc::new(Float32Array::from_iter(
                (0..n).map(|i| opt(i).then_some(i as f32 / 3.0)),
            )),
        ),
        (
            "f64",
            Arc::new(Float64Array::from_iter(
                (0..n).map(|i| opt(i).then_some(i as f64 / 7.0)),
            )),
        ),
        (
            "bool",
            Arc::new(BooleanArray::from_iter(
                (0..n).map(|i| opt(i).then_some(i.is_multiple_of(2))),
            )),
        ),
        (
            "utf8",
            Arc::new(StringArray::from_iter(
                (0..n).map(|i| opt(i).then(|| format!("é{i}"))),
            )),
        ),
        (
            "large_utf8",
            Arc::new(LargeStringArray::from_iter(
                (0..n).map(|i| opt(i).then(|| format!("L{i}"))),
            )),
        ),
        (
            "utf8_view",
            Arc::new(StringViewArray::from_iter(
                (0..n).map(|i| opt(i).then(|| format!("a longer view string {i}"))),
            )),
        ),
        (
            "binary",
            Arc::new(BinaryArray::from_iter(
                (0..n).map(|i| opt(i).then(|| vec![0u8, 255, i as u8])),
            )),
        ),
        (
            "large_binary",
            Arc::new(LargeBinaryArray::from_iter(
                (0..n).map(|i| opt(i).then(|| vec![i as u8; 3])),
            )),
        ),
        (
            "binary_view",
            Arc::new(BinaryViewArray::from_iter(
                (0..n).map(|i| opt(i).then(|| vec![7u8; i])),
            )),
        ),
        (
            "fixed_binary",
            Arc::new(
                FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                    (0..n).map(|i| opt(i).then_some([i as u8; 4])),
                    4,
                )
                .unwrap(),
            ),
        ),
        (
            "date32",
            Arc::new(Date32Array::from_iter(
                (0..n).map(|i| opt(i).then_some(-1000 + i as i32 * 20_000)),
            )),
        ),
        (
            "date64",
            Arc::new(Date64Array::from_iter(
                (0..n).map(|i| opt(i).then_some(86_400_000 * (i as i64 + 19_000))),
            )),
        ),
        (
            "ts_s",
            Arc::new(TimestampSecondArray::from_iter(
                (0..n).map(|i| opt(i).then_some(1_700_000_000 + i as i64)),
            )),
        ),
        (
            "ts_ms_tz",
            Arc::new(
                TimestampMillisecondArray::from_iter(
                    (0..n).map(|i| opt(i).then_some(1_700_000_000_123 + i as i64)),
                )
                .with_timezone("+02:00"),
            ),
        ),
        (
            "ts_ns_utc",
            Arc::new(
                TimestampNanosecondArray::from_iter(
                    (0..n).map(|i| opt(i).then_some(1_700_000_000_123_456_789 + i as i64)),
                )
                .with_timezone("UTC"),
            ),
        ),
        (
            "time32",
            Arc::new(Time32MillisecondArray::from_iter(
                (0..n).map(|i| opt(i).then_some(3_600_000 + i as i32)),
            )),
        ),
        (
            "time64",
            Arc::new(Time64MicrosecondArray::from_iter(
                (0..n).map(|i| opt(i).then_some(86_399_999_999 - i as i64)),
            )),
        ),
        (
            "duration",
            Arc::new(DurationMillisecondArray::from_iter(
                (0..n).map(|i| opt(i).then_some(i as i64 * 1500)),
            )),
        ),
        (
            "dec128",
            Arc::new(
                Decimal128Array::from_iter(
                    (0..n)
                        .map(|i| opt(i).then_some(-12_345_678_901_234_567_890_123i128 + i as i128)),
                )
                .with_precision_and_scale(30, 4)
                .unwrap(),
            ),
        ),
        (
            "dec256",
            Arc::new(
                Decimal256Array::from_iter((0..n).map(|i| {
                    opt(i).then_some(arrow_buffer::i256::from_i128(
                        98_765_432_109_876_543_210i128 * (i as i128 + 1),
                    ))
                }))
                .with_precision_and_scale(50, 6)
                .unwrap(),
            ),
        ),
        ("list", Arc::new(list.finish())),
        ("large_list", Arc::new(large_list.finish())),
        ("fixed_list", Arc::new(fixed_list.finish())),
        ("struct", Arc::new(structs)),
        ("map", Arc::new(map.finish())),
        ("dict", Arc::new(dict.finish())),
    ];
    RecordBatch::try_from_iter(columns).unwrap()
}
