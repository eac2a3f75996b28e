//! iterable's errors as DataFusion's.

use datafusion::error::DataFusionError;

/// `error` as an external error of DataFusion (its text kept: the location, the row or
/// record, the byte offset).
pub(crate) fn external(error: iterable::Error) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}
