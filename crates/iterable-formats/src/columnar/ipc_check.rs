//! Checks an Arrow IPC message against its body before arrow-ipc decodes it, so that
//! hostile input is an error that says what is wrong, not a panic or a huge allocation
//! inside the decoder:
//!
//! - a schema: every type is one arrow-ipc can build (integer widths 8/16/32/64, known
//!   units and precisions, decimal widths and precisions, the children each nested type
//!   needs, union type ids), and the data is little-endian;
//! - a record batch or dictionary batch: every buffer lies inside the body; compressed
//!   buffers say how much they unpack to, and a message's buffers together may unpack to
//!   at most `max_unpacked_bytes`; every field node's length and null count are sane and
//!   its buffers are as long as the decoder will slice them. The batch is walked field by
//!   field in the order arrow-ipc reads it.
//!
//! Lengths that cost no bytes (a column of nulls, a struct without fields, run-end
//! encoded values) are bounded too: a batch may declare 8 rows a byte of its unpacked
//! body plus [`FREE_ROWS`], so that a tiny file cannot claim 10^18 rows.

use std::collections::VecDeque;

use arrow_ipc::{
    BodyCompressionMethod, CompressionType, DateUnit, Endianness, IntervalUnit, Message,
    MessageHeader, MetadataVersion, Precision, TimeUnit, Type, UnionMode,
};
use arrow_schema::{DataType, Field, Schema};

/// Rows a batch may declare beyond 8 a byte of its unpacked body (columns whose values
/// take no bytes: nulls, fieldless structs, run-end encoded runs).
pub(super) const FREE_ROWS: u64 = 1 << 24;

/// Checks one message (its header, and its body where it has one). `schema` is the
/// stream's schema once read; `max_unpacked` bounds what its compressed buffers unpack
/// to. The error says what is wrong; the caller adds the message and the byte.
pub(super) fn check_message(
    message: &Message<'_>,
    body: &[u8],
    schema: Option<&Schema>,
    max_unpacked: u64,
) -> Result<(), String> {
    match message.header_type() {
        MessageHeader::NONE => Ok(()),
        MessageHeader::Schema => {
            let schema = message
                .header_as_schema()
                .ok_or("a schema message without its schema")?;
            check_schema(&schema)
        }
        MessageHeader::RecordBatch => {
            let batch = message
                .header_as_record_batch()
                .ok_or("a record batch message without its header")?;
            let schema = schema.ok_or("a record batch before the schema")?;
            let fields: Vec<&Field> = schema.fields().iter().map(|f| f.as_ref()).collect();
            check_batch(&batch, body, &fields, message.version(), max_unpacked)
        }
        MessageHeader::DictionaryBatch => {
            let dictionary = message
                .header_as_dictionary_batch()
                .ok_or("a dictionary batch message without its header")?;
            let data = dictionary
                .data()
                .ok_or("a dictionary batch without its data")?;
            let schema = schema.ok_or("a dictionary batch before the schema")?;
            let id = dictionary.id();
            #[allow(deprecated)] // arrow-ipc itself finds a dictionary's field by its id
            let values = schema
                .fields_with_dict_id(id)
                .first()
                .and_then(|f| match f.data_type() {
                    DataType::Dictionary(_, values) => Some(values.as_ref().clone()),
                    _ => None,
                })
                .ok_or_else(|| format!("dictionary id {id} is not in the schema"))?;
            let field = Field::new("dictionary values", values, true);
            check_batch(&data, body, &[&field], message.version(), max_unpacked)
        }
        other => Err(format!("{other:?} messages are not supported")),
    }
}

/// Checks the bytes of a schema message (with or without its continuation marker and
/// length, as Parquet footers keep them). What is not a schema message passes: the
/// caller's own reader refuses it.
#[cfg(feature = "parquet")]
pub(super) fn check_schema_message(bytes: &[u8]) -> Result<(), String> {
    let message = match bytes {
        [0xff, 0xff, 0xff, 0xff, _, _, _, _, rest @ ..] if !rest.is_empty() => rest,
        _ => bytes,
    };
    match arrow_ipc::root_as_message(message)
        .ok()
        .and_then(|m| m.header_as_schema())
    {
        Some(schema) => check_schema(&schema),
        None => Ok(()),
    }
}

fn check_schema(schema: &arrow_ipc::Schema<'_>) -> Result<(), String> {
    if schema.endianness() != Endianness::Little {
        return Err("big-endian Arrow data is not supported".into());
    }
    let fields = schema.fields().ok_or("the schema has no field list")?;
    for field in fields.iter() {
        check_field(&field)?;
    }
    Ok(())
}

/// Checks a schema field and its children: what arrow-ipc's conversion to an Arrow type
/// would otherwise panic on.
fn check_field(field: &arrow_ipc::Field<'_>) -> Result<(), String> {
    let name = field.name().unwrap_or("");
    let bad = |what: String| Err(format!("column {name:?}: {what}"));
    if let Some(dictionary) = field.dictionary() {
        let Some(index) = dictionary.indexType() else {
            return bad("a dictionary without its index type".into());
        };
        if !matches!(index.bitWidth(), 8 | 16 | 32 | 64) {
            return bad(format!(
                "a dictionary index of {} bits (8, 16, 32 or 64)",
                index.bitWidth()
            ));
        }
    }
    let children = field.children().map_or(0, |c| c.len());
    let need_children = |n: usize| {
        if children == n {
            Ok(())
        } else {
            Err(format!(
                "column {name:?}: a {:?} with {children} children ({n} expected)",
                field.type_type()
            ))
        }
    };
    let missing = || {
        format!(
            "column {name:?}: a {:?} without its parameters",
            field.type_type()
        )
    };
    match field.type_type() {
        Type::Null
        | Type::Bool
        | Type::Binary
        | Type::LargeBinary
        | Type::Utf8
        | Type::LargeUtf8
        | Type::BinaryView
        | Type::Utf8View
        | Type::Struct_ => {}
        Type::Int => {
            let int = field.type_as_int().ok_or_else(missing)?;
            if !matches!(int.bitWidth(), 8 | 16 | 32 | 64) {
                return bad(format!(
                    "an integer of {} bits (8, 16, 32 or 64)",
                    int.bitWidth()
                ));
            }
        }
        Type::FixedSizeBinary => {
            let width = field.type_as_fixed_size_binary().ok_or_else(missing)?;
            if width.byteWidth() < 0 {
                return bad(format!(
                    "a fixed-size binary of {} bytes",
                    width.byteWidth()
                ));
            }
        }
        Type::FloatingPoint => {
            let float = field.type_as_floating_point().ok_or_else(missing)?;
            if !matches!(
                float.precision(),
                Precision::HALF | Precision::SINGLE | Precision::DOUBLE
            ) {
                return bad(format!("a float of precision {:?}", float.precision()));
            }
        }
        Type::Date => {
            let date = field.type_as_date().ok_or_else(missing)?;
            if !matches!(date.unit(), DateUnit::DAY | DateUnit::MILLISECOND) {
                return bad(format!("a date in {:?}", date.unit()));
            }
        }
        Type::Time => {
            let time = field.type_as_time().ok_or_else(missing)?;
            match (time.bitWidth(), time.unit()) {
                (32, TimeUnit::SECOND | TimeUnit::MILLISECOND)
                | (64, TimeUnit::MICROSECOND | TimeUnit::NANOSECOND) => {}
                (bits, unit) => return bad(format!("a time of {bits} bits in {unit:?}")),
            }
        }
        Type::Timestamp => {
            let timestamp = field.type_as_timestamp().ok_or_else(missing)?;
            check_time_unit(timestamp.unit()).or_else(bad)?;
        }
        Type::Duration => {
            let duration = field.type_as_duration().ok_or_else(missing)?;
            check_time_unit(duration.unit()).or_else(bad)?;
        }
        Type::Interval => {
            let interval = field.type_as_interval().ok_or_else(missing)?;
            if !matches!(
                interval.unit(),
                IntervalUnit::YEAR_MONTH | IntervalUnit::DAY_TIME | IntervalUnit::MONTH_DAY_NANO
            ) {
                return bad(format!("an interval in {:?}", interval.unit()));
            }
        }
        Type::List | Type::LargeList | Type::ListView | Type::LargeListView => need_children(1)?,
        Type::FixedSizeList => {
            need_children(1)?;
            let list = field.type_as_fixed_size_list().ok_or_else(missing)?;
            if list.listSize() < 0 {
                return bad(format!("a fixed-size list of {} items", list.listSize()));
            }
        }
        Type::Map => {
            need_children(1)?;
            field.type_as_map().ok_or_else(missing)?;
            let entries = field.children().expect("one child").get(0);
            let entry_fields = entries.children().map_or(0, |c| c.len());
            if entries.type_type() != Type::Struct_ || entry_fields != 2 {
                return bad("a map whose entries are not a struct of key and value".into());
            }
        }
        Type::RunEndEncoded => {
            need_children(2)?;
            let run_ends = field.children().expect("two children").get(0);
            let width = run_ends
                .type_as_int()
                .map(|i| (i.bitWidth(), i.is_signed()));
            if !matches!(width, Some((16 | 32 | 64, true))) {
                return bad("run ends that are not 16, 32 or 64-bit signed integers".into());
            }
        }
        Type::Decimal => {
            let decimal = field.type_as_decimal().ok_or_else(missing)?;
            let max_precision = match decimal.bitWidth() {
                32 => 9,
                64 => 18,
                128 => 38,
                256 => 76,
                bits => return bad(format!("a decimal of {bits} bits")),
            };
            let (precision, scale) = (decimal.precision(), decimal.scale());
            if !(1..=max_precision).contains(&precision)
                || !(-max_precision..=precision).contains(&scale)
            {
                return bad(format!(
                    "a {}-bit decimal of precision {precision} and scale {scale}",
                    decimal.bitWidth()
                ));
            }
        }
        Type::Union => {
            let union = field.type_as_union().ok_or_else(missing)?;
            if !matches!(union.mode(), UnionMode::Sparse | UnionMode::Dense) {
                return bad(format!("a union of mode {:?}", union.mode()));
            }
            if children > 128 {
                return bad(format!("a union of {children} types (128 at most)"));
            }
            if let Some(ids) = union.typeIds() {
                let mut seen = [false; 128];
                let mut ids_ok = ids.len() == children;
                for id in ids.iter() {
                    match usize::try_from(id).ok().filter(|&i| i < 128 && !seen[i]) {
                        Some(i) => seen[i] = true,
                        None => ids_ok = false,
                    }
                }
                if !ids_ok {
                    return bad(
                        "a union whose type ids are not distinct, 0 to 127, one a child".into(),
                    );
                }
            }
        }
        other => return bad(format!("the type {other:?} is not supported")),
    }
    for child in field.children().into_iter().flatten() {
        check_field(&child)?;
    }
    Ok(())
}

fn check_time_unit(unit: TimeUnit) -> Result<(), String> {
    match unit {
        TimeUnit::SECOND | TimeUnit::MILLISECOND | TimeUnit::MICROSECOND | TimeUnit::NANOSECOND => {
            Ok(())
        }
        unit => Err(format!("a time unit of {unit:?}")),
    }
}

/// Checks a batch's buffers against `body` and walks `fields` over its nodes and buffers.
fn check_batch(
    batch: &arrow_ipc::RecordBatch<'_>,
    body: &[u8],
    fields: &[&Field],
    version: MetadataVersion,
    max_unpacked: u64,
) -> Result<(), String> {
    let compressed = match batch.compression() {
        None => false,
        Some(c) => {
            if !matches!(
                c.codec(),
                CompressionType::LZ4_FRAME | CompressionType::ZSTD
            ) || c.method() != BodyCompressionMethod::BUFFER
            {
                return Err(format!(
                    "compression {:?} ({:?}) is not supported",
                    c.codec(),
                    c.method()
                ));
            }
            true
        }
    };
    let buffers = batch.buffers().ok_or("a batch without its buffer list")?;
    let mut sizes = Vec::with_capacity(buffers.len());
    let mut unpacked_total: u64 = 0;
    for (i, buffer) in buffers.iter().enumerate() {
        let (offset, length) = (buffer.offset(), buffer.length());
        let end = offset.checked_add(length);
        let inside = offset >= 0
            && length >= 0
            && end.is_some_and(|end| u64::try_from(end).is_ok_and(|e| e <= body.len() as u64));
        if !inside {
            return Err(format!(
                "buffer {i} (offset {offset}, {length} bytes) lies outside the message body ({} bytes)",
                body.len()
            ));
        }
        let bytes = &body[offset as usize..(offset + length) as usize];
        let size = if compressed && !bytes.is_empty() {
            unpacked_size(bytes).map_err(|e| format!("buffer {i}: {e}"))?
        } else {
            bytes.len() as u64
        };
        unpacked_total = unpacked_total.saturating_add(size);
        if compressed && unpacked_total > max_unpacked {
            return Err(format!(
                "the compressed buffers unpack to more than max_unpacked_bytes ({max_unpacked} bytes); raise --max-unpacked-bytes to read them"
            ));
        }
        sizes.push(size);
    }
    let max_rows = unpacked_total.saturating_mul(8).saturating_add(FREE_ROWS);
    let rows = batch.length();
    if u64::try_from(rows).map_or(true, |r| r > max_rows) {
        return Err(format!(
            "a batch of {rows} rows in {unpacked_total} bytes (at most {max_rows})"
        ));
    }
    let mut walk = Walk {
        nodes: batch
            .nodes()
            .ok_or("a batch without its field nodes")?
            .iter(),
        sizes: sizes.into_iter(),
        variadic: batch.variadicBufferCounts().into_iter().flatten().collect(),
        union_validity: version < MetadataVersion::V5,
        max_rows,
    };
    for field in fields {
        walk.field(field)?;
    }
    if !walk.variadic.is_empty() {
        return Err(format!(
            "{} variadic buffer counts more than the schema's view columns take",
            walk.variadic.len()
        ));
    }
    Ok(())
}

/// What a compressed buffer unpacks to, by its 8-byte prefix (-1: stored as is).
fn unpacked_size(bytes: &[u8]) -> Result<u64, String> {
    let prefix: [u8; 8] = bytes
        .get(..8)
        .and_then(|p| p.try_into().ok())
        .ok_or_else(|| format!("a compressed buffer of {} bytes (8 at least)", bytes.len()))?;
    match i64::from_le_bytes(prefix) {
        -1 => Ok(bytes.len() as u64 - 8),
        n if n >= 0 => Ok(n as u64),
        n => Err(format!("an unpacked length of {n}")),
    }
}

/// The field nodes and buffer sizes of a batch, taken in the order arrow-ipc's decoder
/// takes them.
struct Walk<'a, N: Iterator<Item = &'a arrow_ipc::FieldNode>> {
    nodes: N,
    sizes: std::vec::IntoIter<u64>,
    variadic: VecDeque<i64>,
    /// Metadata before V5 gives a union a validity buffer.
    union_validity: bool,
    max_rows: u64,
}

/// A field node's length and null count.
struct Node {
    len: u64,
    nulls: u64,
}

impl<'a, N: Iterator<Item = &'a arrow_ipc::FieldNode>> Walk<'a, N> {
    fn node(&mut self, field: &Field) -> Result<Node, String> {
        let node = self.nodes.next().ok_or_else(|| {
            format!(
                "column {:?}: fewer field nodes than the schema needs",
                field.name()
            )
        })?;
        let (len, nulls) = (node.length(), node.null_count());
        let sane =
            u64::try_from(len).is_ok_and(|l| l <= self.max_rows) && (0..=len).contains(&nulls);
        if !sane {
            return Err(format!(
                "column {:?}: a field node of {len} values with {nulls} nulls (at most {} values here)",
                field.name(),
                self.max_rows
            ));
        }
        Ok(Node {
            len: len as u64,
            nulls: nulls as u64,
        })
    }

    /// The next buffer's unpacked size, which must be at least `need` bytes.
    fn buffer(&mut self, field: &Field, what: &str, need: u64) -> Result<u64, String> {
        self.typed_buffer(field, what, need, 1)
    }

    /// The next buffer's unpacked size: at least `need` bytes, and whole values of
    /// `width` bytes (arrow's validation views offsets, views and dictionary indices as
    /// typed slices, and a partial value there is a panic).
    fn typed_buffer(
        &mut self,
        field: &Field,
        what: &str,
        need: u64,
        width: u64,
    ) -> Result<u64, String> {
        let size = self.sizes.next().ok_or_else(|| {
            format!(
                "column {:?}: fewer buffers than the schema needs",
                field.name()
            )
        })?;
        if size < need {
            return Err(format!(
                "column {:?}: its {what} buffer holds {size} bytes, {need} are needed",
                field.name()
            ));
        }
        if size % width != 0 {
            return Err(format!(
                "column {:?}: its {what} buffer holds {size} bytes, not whole {width}-byte values",
                field.name()
            ));
        }
        Ok(size)
    }

    /// The validity buffer: a bit a value when the node has nulls.
    fn validity(&mut self, field: &Field, node: &Node) -> Result<(), String> {
        let need = if node.nulls > 0 {
            node.len.div_ceil(8)
        } else {
            0
        };
        self.buffer(field, "validity", need).map(|_| ())
    }

    fn field(&mut self, field: &Field) -> Result<(), String> {
        use DataType::*;
        match field.data_type() {
            Utf8 | Binary | LargeBinary | LargeUtf8 => {
                let node = self.node(field)?;
                self.validity(field, &node)?;
                let width = if matches!(field.data_type(), Utf8 | Binary) {
                    4
                } else {
                    8
                };
                self.typed_buffer(field, "offsets", 0, width)?;
                self.buffer(field, "data", 0)?;
            }
            BinaryView | Utf8View => {
                let count = self.variadic.pop_front().ok_or_else(|| {
                    format!("column {:?}: no variadic buffer count", field.name())
                })?;
                if count < 0 {
                    return Err(format!(
                        "column {:?}: a variadic buffer count of {count}",
                        field.name()
                    ));
                }
                // arrow-ipc takes the buffers first, then the node.
                let mut sizes = vec![self.buffer(field, "validity", 0)?];
                sizes.push(self.typed_buffer(field, "view", 0, 16)?);
                for _ in 0..count {
                    sizes.push(self.buffer(field, "data", 0)?);
                }
                let node = self.node(field)?;
                if node.nulls > 0 && sizes[0] < node.len.div_ceil(8) {
                    return Err(format!(
                        "column {:?}: its validity buffer holds {} bytes, {} are needed",
                        field.name(),
                        sizes[0],
                        node.len.div_ceil(8)
                    ));
                }
            }
            List(child) | LargeList(child) | Map(child, _) => {
                let node = self.node(field)?;
                self.validity(field, &node)?;
                let width = if matches!(field.data_type(), LargeList(_)) {
                    8
                } else {
                    4
                };
                self.typed_buffer(field, "offsets", 0, width)?;
                self.field(child)?;
            }
            ListView(child) | LargeListView(child) => {
                let node = self.node(field)?;
                self.validity(field, &node)?;
                let width = if matches!(field.data_type(), ListView(_)) {
                    4
                } else {
                    8
                };
                self.typed_buffer(field, "offsets", 0, width)?;
                self.typed_buffer(field, "sizes", 0, width)?;
                self.field(child)?;
            }
            FixedSizeList(child, _) => {
                let node = self.node(field)?;
                self.validity(field, &node)?;
                self.field(child)?;
            }
            Struct(children) => {
                let node = self.node(field)?;
                self.validity(field, &node)?;
                for child in children {
                    self.field(child)?;
                }
            }
            RunEndEncoded(run_ends, values) => {
                self.node(field)?;
                self.field(run_ends)?;
                self.field(values)?;
            }
            Union(children, mode) => {
                let node = self.node(field)?;
                if self.union_validity {
                    self.buffer(field, "validity", 0)?;
                }
                self.buffer(field, "type id", node.len)?;
                if *mode == arrow_schema::UnionMode::Dense {
                    self.buffer(field, "offsets", node.len.saturating_mul(4))?;
                }
                for (_, child) in children.iter() {
                    self.field(child)?;
                }
            }
            Null => {
                self.node(field)?;
            }
            Dictionary(index, _) => {
                let node = self.node(field)?;
                self.validity(field, &node)?;
                let width = index.primitive_width().unwrap_or(1) as u64;
                self.typed_buffer(field, "index", 0, width)?;
            }
            // Every fixed-width type: validity and values.
            _ => {
                let node = self.node(field)?;
                self.validity(field, &node)?;
                self.buffer(field, "values", 0)?;
            }
        }
        Ok(())
    }
}
