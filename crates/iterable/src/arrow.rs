//! Arrow interop (cargo feature `arrow`): read any location as a stream of
//! [`RecordBatch`]es to hand to DataFusion, Polars or arrow-rs code, write batches to
//! any format, and ask a location for its columns and types.
//!
//! Parquet and Arrow IPC batches come straight from their decoders (no row is built);
//! so do CSV, TSV, PSV and SSV, whose fields the parser gathers by column into Arrow
//! arrays: text columns, or with `infer_types` each column typed from the first
//! `schema_scan_rows` rows as `convert` types text (every empty field then null);
//! JSON Lines' flat records go straight into arrays too, with the schema the first
//! `schema_scan_rows` rows give, as for rows (a record that is not flat is read as a
//! row in its place); other formats are read as rows and gathered into batches of `batch_size` rows with
//! a schema given (`schema`) or inferred from the first `schema_scan_rows` rows.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use futures::StreamExt;
//! use iterable::{arrow, row, IterableOptions};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("people.parquet");
//! let path = path.to_str().unwrap();
//! let mut out = IterableOptions::write().open(path).await?;
//! out.awrite_bulk(&[row! { "id" => 1, "name" => "Anna" }, row! { "id" => 2, "name" => "Ben" }]).await?;
//! out.aclose().await?;
//!
//! let mut batches = arrow::aopen_batches(path, &IterableOptions::read()).await?;
//! let batch = batches.next().await.unwrap()?;
//! assert_eq!(batch.num_rows(), 2);
//! assert_eq!(batch.schema().field(0).data_type(), &arrow::DataType::Int64);
//!
//! let columns = arrow::aschema(path, &IterableOptions::read()).await?;
//! assert_eq!(arrow::schema_to_text(&columns)[1], ("name".to_owned(), "Utf8".to_owned()));
//! # Ok::<(), iterable::Error>(())
//! # }).unwrap();
//! ```

use std::sync::Arc;

use iterable_core::{BoxIterable, Format, Result};

use crate::IterableOptions;
use crate::road::{Road, open_road, open_rows};

pub use iterable_formats::columnar::{
    BatchStream, DataType, Field, RecordBatch, RecordBatchWriter, Schema, SchemaRef,
    batches_from_rows, infer_schema, parse_schema, record_batch_to_rows, schema_to_text,
    write_record_batch,
};

/// Opens `location` for reading as record batches (options as for rows: `columns`,
/// `row_groups`, `batch_size`, ...; for row formats also `schema`, `schema_scan_rows`).
pub async fn aopen_batches(location: &str, options: &IterableOptions) -> Result<BatchStream> {
    let options = options.options();
    if let Some(db) = crate::databases::to_read(location, options)? {
        return database_batches(&db, location, options)
            .await
            .map(|(_, batches)| batches);
    }
    road_batches(open_road(location, options).await?, location, options).await
}

/// The batches of a database and their schema: the catalog's types (so that batches
/// do not depend on the first rows) or the one given; straight from the server where
/// it has a columnar road (PostgreSQL), else gathered from its rows.
pub(crate) async fn database_batches(
    db: &iterable_db::DatabaseLocation,
    location: &str,
    options: &iterable_core::Options,
) -> Result<(SchemaRef, BatchStream)> {
    let schema = match &options.columnar.schema {
        Some(given) => parse_schema(given)?,
        None => {
            let rows = crate::open::open_read(location, options);
            crate::database_schema::schema(db, rows, options).await?
        }
    };
    if let Some(batches) = iterable_db::open_batches(db, schema.clone(), options.batch_size).await?
    {
        return Ok((schema, batches));
    }
    let mut typed = options.clone();
    typed.columnar.schema = Some(schema_to_text(&schema));
    let rows = crate::open::open_read(location, options).await?;
    Ok((schema, batches_from_rows(rows, &typed)?))
}

/// The batches of an open road (see [`aopen_batches`]).
pub(crate) async fn road_batches(
    road: Road,
    location: &str,
    options: &iterable_core::Options,
) -> Result<BatchStream> {
    match road {
        #[cfg(feature = "parquet")]
        Road::File(file, ctx) if ctx.info.format == Format::PARQUET => {
            iterable_formats::columnar::parquet_file_batches(file, ctx).await
        }
        #[cfg(all(feature = "parquet", feature = "store"))]
        Road::StoreParquet(reader, ctx) => {
            iterable_formats::columnar::parquet_batches(reader, ctx).await
        }
        #[cfg(feature = "parquet")]
        Road::Bytes(reader, ctx) if ctx.info.format == Format::PARQUET => {
            let (file, _) = iterable_formats::spool::spool_to_temp_file(reader, location).await?;
            iterable_formats::columnar::parquet_file_batches(file, ctx).await
        }
        Road::Bytes(reader, ctx) if ctx.info.format == Format::ARROW => {
            iterable_formats::columnar::ipc_batches(reader, ctx).await
        }
        Road::Bytes(reader, ctx) if text_batches_apply(&ctx) => Ok(picked_columns(
            text_batches(reader, ctx, location).into_stream(),
            options,
            location,
        )),
        Road::Bytes(reader, ctx) if json_batches_apply(&ctx) => Ok(picked_columns(
            json_batches(reader, ctx, location).into_stream(),
            options,
            location,
        )),
        road => batches_from_rows(
            crate::columns::select(open_rows(road).await?, options),
            options,
        ),
    }
}

/// The rows of an open iterable as record batches (see [`batches_from_rows`]).
pub fn batches(rows: BoxIterable, options: &IterableOptions) -> Result<BatchStream> {
    batches_from_rows(rows, options.options())
}

/// Opens `location` for writing record batches (format and codec from the name, as for
/// rows). Parquet and Arrow IPC encode the batches as they are.
pub async fn aopen_batch_writer(
    location: &str,
    options: &IterableOptions,
) -> Result<RecordBatchWriter> {
    let (sink, ctx) = crate::open::open_sink(location, options.options()).await?;
    iterable_formats::columnar::open_batch_writer(sink, ctx).await
}

/// The columns of `location` and their Arrow types: a Parquet or Arrow IPC file's own
/// schema (only its footer or first message is read); a database's from its catalog
/// (PostgreSQL: the declared types and `NOT NULL`; JSON and arrays from the first
/// rows); for row formats, the types inferred from the first `schema_scan_rows` rows
/// (CSV fields are text unless `infer_types`).
pub async fn aschema(location: &str, options: &IterableOptions) -> Result<SchemaRef> {
    let options = options.options();
    if let Some(db) = crate::databases::to_read(location, options)? {
        let rows = crate::open::open_read(location, options);
        return crate::database_schema::schema(&db, rows, options).await;
    }
    match open_road(location, options).await? {
        #[cfg(feature = "parquet")]
        Road::File(file, ctx) if ctx.info.format == Format::PARQUET => {
            let file = tokio::fs::File::from_std(file);
            iterable_formats::columnar::parquet_schema(file, location).await
        }
        #[cfg(all(feature = "parquet", feature = "store"))]
        Road::StoreParquet(reader, _) => {
            iterable_formats::columnar::parquet_schema(reader, location).await
        }
        #[cfg(feature = "parquet")]
        Road::Bytes(reader, ctx) if ctx.info.format == Format::PARQUET => {
            let (file, _) = iterable_formats::spool::spool_to_temp_file(reader, location).await?;
            let file = tokio::fs::File::from_std(file);
            iterable_formats::columnar::parquet_schema(file, location).await
        }
        Road::Bytes(reader, ctx) if ctx.info.format == Format::ARROW => {
            iterable_formats::columnar::ipc_schema(reader, location).await
        }
        Road::Bytes(reader, ctx) if text_batches_apply(&ctx) => {
            let mut batches = text_batches(reader, ctx, location);
            batches.next_batch().await?;
            let schema = batches.schema();
            picked_schema(schema, options, location)
        }
        Road::Bytes(reader, ctx) if json_batches_apply(&ctx) && ctx.options.csv.infer_types => {
            let mut batches = json_batches(reader, ctx, location);
            batches.next_batch().await?;
            let schema = batches.schema();
            picked_schema(schema, options, location)
        }
        road => {
            let rows = crate::columns::select(open_rows(road).await?, options);
            schema_of_first_rows(rows, location, options).await
        }
    }
}

/// Whether a read takes the columnar road of delimited text: CSV, TSV, PSV or SSV,
/// with no schema given (`columns` are picked from its batches).
fn text_batches_apply(ctx: &iterable_formats::ReadContext) -> bool {
    let format = ctx.info.format;
    let delimited = matches!(format, Format::CSV | Format::TSV | Format::PSV)
        || format == iterable_formats::csv::SSV_FORMAT;
    delimited && ctx.options.columnar.schema.is_none()
}

/// Whether a read takes the columnar road of JSON Lines: no schema given (`columns`
/// are picked from its batches).
fn json_batches_apply(ctx: &iterable_formats::ReadContext) -> bool {
    matches!(ctx.info.format, Format::JSONL | Format::JSON) && ctx.options.columnar.schema.is_none()
}

/// A columnar road's schema (empty when the input held no rows), with only the
/// `columns` of `options` when it names some.
fn picked_schema(
    schema: Option<SchemaRef>,
    options: &iterable_core::Options,
    location: &str,
) -> Result<SchemaRef> {
    let schema = schema.unwrap_or_else(|| Arc::new(Schema::empty()));
    match &options.columnar.columns {
        Some(columns) => crate::batch_columns::select_schema(&schema, columns, location),
        None => Ok(schema),
    }
}

/// `batches` with only the `columns` of `options`, when it names some.
fn picked_columns(
    batches: BatchStream,
    options: &iterable_core::Options,
    location: &str,
) -> BatchStream {
    match &options.columnar.columns {
        Some(columns) => crate::batch_columns::select_batches(batches, columns, location),
        None => batches,
    }
}

/// JSON Lines read straight into batches, the types inferred from the first
/// `schema_scan_rows` rows as for any row format: strings stay strings, unless
/// `infer_types` is set, which types the strings that are dates or date-times as
/// `convert` does.
fn json_batches(
    reader: iterable_io::ByteReader,
    ctx: iterable_formats::ReadContext,
    location: &str,
) -> iterable_formats::columnar::JsonBatchReader<iterable_io::ByteReader> {
    use iterable_formats::columnar::{JsonBatchReader, JsonTyping};
    let typing = JsonTyping {
        scan_rows: ctx.options.columnar.schema_scan_rows,
        temporal: ctx.options.csv.infer_types,
    };
    JsonBatchReader::new(reader, ctx, typing, location)
}

/// Delimited text read straight into batches: text columns, or typed ones when
/// `infer_types` is set (decided from the first `schema_scan_rows` rows).
fn text_batches(
    reader: iterable_io::ByteReader,
    ctx: iterable_formats::ReadContext,
    location: &str,
) -> iterable_formats::columnar::TextBatchReader<iterable_io::ByteReader> {
    use iterable_formats::columnar::{TextBatchReader, TextTyping};
    let typing = if ctx.options.csv.infer_types {
        TextTyping::Infer {
            scan_rows: ctx.options.columnar.schema_scan_rows,
            // As the row reader's `infer_types` reads them.
            empty_is_null: true,
            decimals: false,
        }
    } else {
        TextTyping::Text
    };
    TextBatchReader::new(reader, ctx, typing, location)
}

/// The schema inferred from the first `schema_scan_rows` rows of `rows`.
pub(crate) async fn schema_of_first_rows(
    mut rows: BoxIterable,
    location: &str,
    options: &iterable_core::Options,
) -> Result<SchemaRef> {
    let sample = rows
        .aread_bulk(options.columnar.schema_scan_rows.max(1))
        .await?;
    let schema = infer_schema(&sample).map_err(|e| {
        iterable_core::Error::unsupported(
            location,
            format!("cannot infer a schema from the first rows: {e}"),
        )
    })?;
    Ok(Arc::new(schema))
}
