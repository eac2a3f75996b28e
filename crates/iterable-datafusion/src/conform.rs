//! A file's batch made into the table's: its columns found by name, cast where the
//! file's type is narrower than the table's, a column the file lacks filled with nulls,
//! the row count kept when no column is asked for (`count(*)`). A value that does not
//! fit the table's type is an error naming the file and the column.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions, new_null_array};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};

/// A value that does not fit the table's type is an error, never a null.
const STRICT: CastOptions<'static> = CastOptions {
    safe: false,
    format_options: datafusion::arrow::util::display::FormatOptions::new(),
};

/// `batch` (read from `location`) with exactly the columns and types of `schema`.
pub(crate) fn conform(
    batch: &RecordBatch,
    schema: &SchemaRef,
    location: &str,
) -> Result<RecordBatch> {
    let rows = batch.num_rows();
    let columns = schema
        .fields()
        .iter()
        .map(|field| -> Result<ArrayRef> {
            let Some(column) = batch.column_by_name(field.name()) else {
                return Ok(new_null_array(field.data_type(), rows));
            };
            if column.data_type() == field.data_type() {
                return Ok(Arc::clone(column));
            }
            cast_with_options(column, field.data_type(), &STRICT).map_err(|e| {
                DataFusionError::Execution(format!(
                    "{location}: column {:?} is {} here and {} in the table: {e}",
                    field.name(),
                    column.data_type(),
                    field.data_type()
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &options,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Float64Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    #[test]
    fn columns_are_found_by_name_cast_and_filled() {
        let file = Arc::new(Schema::new(vec![
            Field::new("b", DataType::Utf8, false),
            Field::new("a", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            file,
            vec![
                Arc::new(StringArray::from(vec!["x", "y"])),
                Arc::new(Int64Array::from(vec![1, 2])),
            ],
        )
        .unwrap();
        let table = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Float64, true),
            Field::new("c", DataType::Utf8, true),
            Field::new("b", DataType::Utf8, true),
        ]));
        let got = conform(&batch, &table, "f.csv").unwrap();
        assert_eq!(got.schema(), table);
        let a = got
            .column(0)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert_eq!(a.values(), &[1.0, 2.0]);
        assert_eq!(got.column(1).null_count(), 2);
        let b = got
            .column(2)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(b.value(1), "y");
    }

    #[test]
    fn no_column_keeps_the_row_count() {
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)])),
            vec![Arc::new(Int64Array::from(vec![1, 2, 3]))],
        )
        .unwrap();
        let got = conform(&batch, &Arc::new(Schema::empty()), "f.csv").unwrap();
        assert_eq!((got.num_rows(), got.num_columns()), (3, 0));
    }

    #[test]
    fn a_cast_that_cannot_be_done_names_the_file_and_column() {
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("a", DataType::Utf8, false)])),
            vec![Arc::new(StringArray::from(vec!["seven"]))],
        )
        .unwrap();
        let table = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
        let err = conform(&batch, &table, "f.csv").unwrap_err().to_string();
        assert!(
            err.contains("f.csv: column \"a\" is Utf8 here and Int64 in the table"),
            "{err}"
        );
    }
}
