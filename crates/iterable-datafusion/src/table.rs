//! [`LocationTable`]: a DataFusion table over one location (a file, a glob, a prefix
//! or folder, a URL or a database), its files found and its schema decided once, when
//! it is opened.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;
use futures::{StreamExt, TryStreamExt};
use iterable::IterableOptions;

use crate::TableOptions;
use crate::scan::{LocationScan, ScanFile};
use crate::wire::ReadSpec;

/// A table over a location: each file a partition, read by iterable's readers (its
/// format and codec detected from the name, as [`aopen_iterable`](iterable::aopen_iterable)
/// detects them).
///
/// The schema is each file's own (Parquet, Arrow IPC, a database's catalog) or
/// inferred from its first rows (text typed unless [`TableOptions::type_text`] says
/// not), merged over the files of a glob: columns in the order they are first met,
/// a column of different types in different files widened (integers to floats,
/// dates to timestamps, anything else to text). A scan asks each reader for only the
/// columns the query needs (Parquet and Arrow IPC then read only those, a database
/// selects only those) and stops each file at the query's limit.
#[derive(Debug)]
pub struct LocationTable {
    location: String,
    files: Arc<[ScanFile]>,
    schema: SchemaRef,
    read: Arc<iterable::Options>,
    read_spec: Option<ReadSpec>,
    given_schema: bool,
}

impl LocationTable {
    /// Finds the files of `location` and decides its schema (see the type's docs).
    pub async fn open(location: &str, options: &TableOptions) -> Result<Self> {
        if location == "-" {
            return Err(DataFusionError::Plan(
                "stdin (-) cannot be a table: a table is read more than once (its schema, \
                 then its rows for each query); save it to a file first"
                    .to_owned(),
            ));
        }
        let read = options.file_options();
        let files = files_of(location, &read)
            .await
            .map_err(crate::error::external)?;
        let (files, schema) = match &options.schema {
            Some(schema) => {
                // Every file has the given columns (the reader is asked for them).
                let files: Vec<ScanFile> = files
                    .into_iter()
                    .map(|location| ScanFile {
                        location,
                        schema: Some(Arc::clone(schema)),
                    })
                    .collect();
                (files, Arc::clone(schema))
            }
            None => {
                let typed = IterableOptions::from_options(read.clone());
                let files: Vec<ScanFile> = futures::stream::iter(files)
                    .map(|location| {
                        let typed = typed.clone();
                        async move {
                            let schema = iterable::arrow::aschema(&location, &typed).await?;
                            Ok::<_, iterable::Error>(ScanFile {
                                location,
                                schema: Some(schema),
                            })
                        }
                    })
                    .buffered(options.schema_concurrency)
                    .try_collect()
                    .await
                    .map_err(crate::error::external)?;
                let schema =
                    crate::schema_merge::merge(files.iter().filter_map(|f| f.schema.as_ref()));
                (files, schema)
            }
        };
        let read_spec = ReadSpec::of(&read, &options.set);
        Ok(LocationTable {
            location: location.to_owned(),
            files: files.into(),
            schema,
            read_spec,
            read: Arc::new(read),
            given_schema: options.schema.is_some(),
        })
    }

    /// The location this table was opened on, as it was named.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The files the table reads, one partition each, in name order.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|f| f.location.as_str())
    }
}

/// The files of `location`: those a glob, prefix or folder names, in name order, or
/// the location itself.
async fn files_of(location: &str, options: &iterable::Options) -> iterable::Result<Vec<String>> {
    if iterable::bytes::names_many(location).await {
        return iterable::bytes::expand_with(location, &options.store, &options.files).await;
    }
    Ok(vec![location.to_owned()])
}

#[async_trait]
impl TableProvider for LocationTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = match projection {
            Some(indices) => Arc::new(self.schema.project(indices)?),
            None => Arc::clone(&self.schema),
        };
        Ok(Arc::new(LocationScan::new(
            Arc::clone(&self.files),
            Arc::clone(&self.read),
            self.read_spec.clone(),
            schema,
            self.given_schema,
            limit,
        )))
    }
}
