//! Arrow IPC streams put together message by message from flatbuffers, with headers no
//! writer produces (a 65,088-bit integer, a buffer outside its body, a batch of 10^18
//! rows), for the tests of the reader's checks.

use arrow_ipc as ipc;
use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, WIPOffset};

/// The type of the one column `x` of a crafted schema.
#[derive(Clone, Copy)]
pub enum Column {
    /// A signed integer of this many bits.
    Int(i32),
    /// The Null type.
    Null,
    /// A field whose type is NONE.
    NoType,
    /// A dense union of one Int32 child `i`, type id 0.
    DenseUnion,
}

/// A schema message with one nullable column `x`.
pub fn schema(column: Column, endianness: ipc::Endianness) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let field = field(&mut fbb, "x", column);
    let fields = fbb.create_vector(&[field]);
    let schema = ipc::Schema::create(
        &mut fbb,
        &ipc::SchemaArgs {
            endianness,
            fields: Some(fields),
            ..Default::default()
        },
    );
    message(
        fbb,
        ipc::MessageHeader::Schema,
        schema.as_union_value(),
        &[],
    )
}

fn field<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    name: &str,
    column: Column,
) -> WIPOffset<ipc::Field<'a>> {
    let name = fbb.create_string(name);
    let (type_type, type_, children) = match column {
        Column::Int(bits) => (ipc::Type::Int, Some(int(fbb, bits)), None),
        Column::Null => {
            let null = ipc::Null::create(fbb, &ipc::NullArgs {});
            (ipc::Type::Null, Some(null.as_union_value()), None)
        }
        Column::NoType => (ipc::Type::NONE, None, None),
        Column::DenseUnion => {
            let child = field(fbb, "i", Column::Int(32));
            let children = fbb.create_vector(&[child]);
            let ids = fbb.create_vector(&[0i32]);
            let union = ipc::Union::create(
                fbb,
                &ipc::UnionArgs {
                    mode: ipc::UnionMode::Dense,
                    typeIds: Some(ids),
                },
            );
            (
                ipc::Type::Union,
                Some(union.as_union_value()),
                Some(children),
            )
        }
    };
    ipc::Field::create(
        fbb,
        &ipc::FieldArgs {
            name: Some(name),
            nullable: true,
            type_type,
            type_,
            children,
            ..Default::default()
        },
    )
}

fn int(fbb: &mut FlatBufferBuilder<'_>, bits: i32) -> WIPOffset<UnionWIPOffset> {
    ipc::Int::create(
        fbb,
        &ipc::IntArgs {
            bitWidth: bits,
            is_signed: true,
        },
    )
    .as_union_value()
}

/// A record batch message of `rows` rows: its field nodes `(length, null count)` and
/// buffers `(offset, length)` into `body`, compressed by `codec` when one is given.
pub fn batch(
    rows: i64,
    nodes: &[(i64, i64)],
    buffers: &[(i64, i64)],
    codec: Option<ipc::CompressionType>,
    body: &[u8],
) -> Vec<u8> {
    batch_with_variadic(rows, nodes, buffers, codec, &[], body)
}

/// A record batch message as [`batch`] makes one, with `variadic` buffer counts (one a
/// view column) when any are given.
pub fn batch_with_variadic(
    rows: i64,
    nodes: &[(i64, i64)],
    buffers: &[(i64, i64)],
    codec: Option<ipc::CompressionType>,
    variadic: &[i64],
    body: &[u8],
) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let nodes: Vec<_> = nodes
        .iter()
        .map(|&(len, nulls)| ipc::FieldNode::new(len, nulls))
        .collect();
    let nodes = fbb.create_vector(&nodes);
    let buffers: Vec<_> = buffers
        .iter()
        .map(|&(offset, len)| ipc::Buffer::new(offset, len))
        .collect();
    let buffers = fbb.create_vector(&buffers);
    let compression = codec.map(|codec| {
        ipc::BodyCompression::create(
            &mut fbb,
            &ipc::BodyCompressionArgs {
                codec,
                method: ipc::BodyCompressionMethod::BUFFER,
            },
        )
    });
    let variadic = (!variadic.is_empty()).then(|| fbb.create_vector(variadic));
    let batch = ipc::RecordBatch::create(
        &mut fbb,
        &ipc::RecordBatchArgs {
            length: rows,
            nodes: Some(nodes),
            buffers: Some(buffers),
            compression,
            variadicBufferCounts: variadic,
        },
    );
    message(
        fbb,
        ipc::MessageHeader::RecordBatch,
        batch.as_union_value(),
        body,
    )
}

/// One framed message: the continuation marker, the header's length, the header and the
/// body, each padded to 8 bytes.
fn message(
    mut fbb: FlatBufferBuilder<'_>,
    header_type: ipc::MessageHeader,
    header: WIPOffset<UnionWIPOffset>,
    body: &[u8],
) -> Vec<u8> {
    let mut body = body.to_vec();
    body.resize(body.len().next_multiple_of(8), 0);
    let message = ipc::Message::create(
        &mut fbb,
        &ipc::MessageArgs {
            version: ipc::MetadataVersion::V5,
            header_type,
            header: Some(header),
            bodyLength: body.len() as i64,
            custom_metadata: None,
        },
    );
    fbb.finish(message, None);
    let mut meta = fbb.finished_data().to_vec();
    meta.resize(meta.len().next_multiple_of(8), 0);
    let mut out = vec![0xff; 4];
    out.extend_from_slice(&(meta.len() as i32).to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(&body);
    out
}

/// The messages as one stream, closed by its end-of-stream marker.
pub fn stream(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut out = messages.concat();
    out.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    out
}
