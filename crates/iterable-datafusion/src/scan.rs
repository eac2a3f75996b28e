//! [`LocationScan`]: the execution plan that reads a [`LocationTable`](crate::LocationTable),
//! a partition a file.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use iterable::IterableOptions;
use iterable::arrow::schema_to_text;

use crate::wire::ReadSpec;

/// A file of a table, and its columns: its own, or the schema given for the table.
#[derive(Debug, Clone)]
pub(crate) struct ScanFile {
    pub(crate) location: String,
    pub(crate) schema: Option<SchemaRef>,
}

/// Reads the files of a table, a partition each: only the columns of its schema
/// (asked of each reader by name), cast into the table's types, at most `limit` rows
/// from each file.
#[derive(Debug)]
pub struct LocationScan {
    files: Arc<[ScanFile]>,
    read: Arc<iterable::Options>,
    /// `read` as plain data, when it can be (see [`LocationScan::to_bytes`]).
    read_spec: Option<ReadSpec>,
    /// The columns this scan gives (the table's, projected).
    schema: SchemaRef,
    /// Whether the table's schema was given (then every file is read with it).
    given_schema: bool,
    limit: Option<usize>,
    properties: Arc<PlanProperties>,
}

impl LocationScan {
    pub(crate) fn new(
        files: Arc<[ScanFile]>,
        read: Arc<iterable::Options>,
        read_spec: Option<ReadSpec>,
        schema: SchemaRef,
        given_schema: bool,
        limit: Option<usize>,
    ) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(files.len()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        LocationScan {
            files,
            read,
            read_spec,
            schema,
            given_schema,
            limit,
            properties: Arc::new(properties),
        }
    }

    pub(crate) fn files(&self) -> &[ScanFile] {
        &self.files
    }

    pub(crate) fn output_schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    pub(crate) fn given_schema(&self) -> bool {
        self.given_schema
    }

    pub(crate) fn limit(&self) -> Option<usize> {
        self.limit
    }

    pub(crate) fn read_spec(&self) -> Option<&ReadSpec> {
        self.read_spec.as_ref()
    }

    /// The reading options of `file`: the columns to ask its reader for, and with a
    /// given schema, that schema's.
    fn file_options(&self, file: &ScanFile) -> iterable::Options {
        let mut options = (*self.read).clone();
        let mut wanted: Vec<String> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|name| {
                file.schema
                    .as_ref()
                    .is_none_or(|own| own.index_of(name).is_ok())
            })
            .collect();
        if wanted.is_empty() {
            // `count(*)` and columns this file lacks: its rows are still counted, by
            // its cheapest column to read, the first.
            let first = file
                .schema
                .as_ref()
                .and_then(|own| own.fields().first().map(|f| f.name().clone()));
            wanted.extend(first);
        }
        if self.given_schema
            && let Some(given) = &file.schema
        {
            let fields: Vec<_> = wanted
                .iter()
                .filter_map(|name| given.field_with_name(name).ok().cloned())
                .collect();
            options.columnar.schema = Some(schema_to_text(
                &datafusion::arrow::datatypes::Schema::new(fields),
            ));
        }
        if !wanted.is_empty() {
            options.columnar.columns = Some(wanted);
        }
        options
    }
}

impl DisplayAs for LocationScan {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        const SHOWN: usize = 4;
        let names: Vec<&str> = self
            .files
            .iter()
            .take(SHOWN)
            .map(|file| file.location.as_str())
            .collect();
        write!(f, "LocationScan: files=[{}", names.join(", "))?;
        if self.files.len() > SHOWN {
            write!(f, ", ... {} more", self.files.len() - SHOWN)?;
        }
        let columns: Vec<&str> = self
            .schema
            .fields()
            .iter()
            .map(|c| c.name().as_str())
            .collect();
        write!(f, "], columns=[{}]", columns.join(", "))?;
        if let Some(limit) = self.limit {
            write!(f, ", limit={limit}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for LocationScan {
    fn name(&self) -> &str {
        "LocationScan"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    /// A scan holds no expressions: filters and projections are applied by the plans
    /// above it.
    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal(
                "LocationScan has no children to replace".to_owned(),
            ))
        }
    }

    fn fetch(&self) -> Option<usize> {
        self.limit
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let file = self.files.get(partition).ok_or_else(|| {
            DataFusionError::Internal(format!(
                "LocationScan has {} partitions, not {}",
                self.files.len(),
                partition + 1
            ))
        })?;
        let options = IterableOptions::from_options(self.file_options(file));
        let location = file.location.clone();
        let schema = Arc::clone(&self.schema);
        let opened = {
            let location = location.clone();
            async move {
                iterable::arrow::aopen_batches(&location, &options)
                    .await
                    .map(|batches| batches.map_err(crate::error::external))
                    .map_err(crate::error::external)
            }
        };
        let batches = futures::stream::once(opened)
            .try_flatten()
            .map(move |batch| crate::conform::conform(&batch?, &schema, &location))
            .boxed();
        let batches = match self.limit {
            Some(limit) => limited(batches, limit),
            None => batches,
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            batches,
        )))
    }
}

/// The first `limit` rows of `batches`; the source is not asked for a batch past them.
fn limited(
    batches: BoxStream<'static, Result<RecordBatch>>,
    limit: usize,
) -> BoxStream<'static, Result<RecordBatch>> {
    futures::stream::unfold((batches, limit), |(mut batches, left)| async move {
        if left == 0 {
            return None;
        }
        match batches.next().await? {
            Ok(batch) => {
                let n = batch.num_rows().min(left);
                Some((Ok(batch.slice(0, n)), (batches, left - n)))
            }
            Err(e) => Some((Err(e), (batches, 0))),
        }
    })
    .boxed()
}
