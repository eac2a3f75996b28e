//! The `columns` option on the columnar roads of text formats (CSV and its kin, JSON
//! Lines): their readers decode every column, so the batches are cut down to the asked
//! columns, in that order. A column the input does not have is an error naming it and
//! the columns there are, as the rows' [`select`](crate::columns) says it.

use std::sync::Arc;

use futures_util::StreamExt;
use iterable_core::{Error, Result};
use iterable_formats::columnar::{BatchStream, RecordBatch, Schema, SchemaRef};

/// `schema` with only `columns`, in that order.
pub(crate) fn select_schema(
    schema: &Schema,
    columns: &[String],
    location: &str,
) -> Result<SchemaRef> {
    let indices = indices(schema, columns, location)?;
    Ok(Arc::new(schema.project(&indices).map_err(|e| {
        Error::unsupported(location, format!("cannot pick columns: {e}"))
    })?))
}

/// Every batch of `batches` with only `columns`, in that order.
pub(crate) fn select_batches(
    batches: BatchStream,
    columns: &[String],
    location: &str,
) -> BatchStream {
    let columns = columns.to_vec();
    let location = location.to_owned();
    batches
        .map(move |batch| select_batch(batch?, &columns, &location))
        .boxed()
}

fn select_batch(batch: RecordBatch, columns: &[String], location: &str) -> Result<RecordBatch> {
    let indices = indices(&batch.schema(), columns, location)?;
    batch
        .project(&indices)
        .map_err(|e| Error::unsupported(location, format!("cannot pick columns: {e}")))
}

fn indices(schema: &Schema, columns: &[String], location: &str) -> Result<Vec<usize>> {
    columns
        .iter()
        .map(|name| {
            schema.index_of(name).map_err(|_| {
                let there: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                Error::InvalidOption(format!(
                    "{location}: column {name:?} (asked for by `columns`) is not in the input; its columns: {}",
                    there.join(", ")
                ))
            })
        })
        .collect()
}
