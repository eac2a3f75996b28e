//! A scan as bytes: what a distributed engine (Ballista) sends to its executors, and
//! what they rebuild the scan from. JSON, so that a codec is a few lines: its
//! `try_encode` calls [`LocationScan::to_bytes`], its `try_decode`
//! [`LocationScan::from_bytes`].

use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use iterable::IterableOptions;
use iterable::arrow::{parse_schema, schema_to_text};
use serde::{Deserialize, Serialize};

use crate::scan::{LocationScan, ScanFile};

/// The reading options that can travel: those [`TableOptions`](crate::TableOptions)
/// was given by [`set`](crate::TableOptions::set) and its plain settings. Store
/// credentials never travel: an executor takes its own from its environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReadSpec {
    pub(crate) format: Option<String>,
    pub(crate) codec: Option<String>,
    pub(crate) schema_scan_rows: usize,
    pub(crate) batch_size: usize,
    pub(crate) infer_types: bool,
    /// Registry options by key, as `IterableOptions::set` takes them.
    pub(crate) set: Vec<(String, String)>,
}

impl ReadSpec {
    /// The spec of `options` (the final reading options of every file) given the
    /// `set` pairs they were made with; `None` when they hold more than the spec
    /// says (options given as `IterableOptions`, store settings).
    pub(crate) fn of(options: &iterable::Options, set: &[(String, String)]) -> Option<ReadSpec> {
        let spec = ReadSpec {
            format: options.format.map(|f| f.name().to_owned()),
            codec: options.codec.map(|c| c.to_string()),
            schema_scan_rows: options.columnar.schema_scan_rows,
            batch_size: options.batch_size,
            infer_types: options.csv.infer_types,
            set: set.to_vec(),
        };
        let rebuilt = spec.options().ok()?;
        (rebuilt == *options).then_some(spec)
    }

    /// The reading options this spec describes.
    pub(crate) fn options(&self) -> iterable::Result<iterable::Options> {
        let mut options = IterableOptions::read()
            .schema_scan_rows(self.schema_scan_rows)
            .batch_size(self.batch_size)
            .infer_types(self.infer_types);
        if let Some(name) = &self.format {
            let spec = iterable::registry::by_name(name).ok_or_else(|| {
                iterable::Error::InvalidOption(format!("no format is named {name:?}"))
            })?;
            options = options.format(spec.format);
        }
        if let Some(codec) = &self.codec {
            options = options.codec(codec.parse()?);
        }
        for (key, value) in &self.set {
            options = options.set(key, value)?;
        }
        Ok(options.options().clone())
    }
}

/// A [`LocationScan`] as plain data.
#[derive(Debug, Serialize, Deserialize)]
struct ScanSpec {
    files: Vec<FileSpec>,
    schema: Vec<(String, String)>,
    given_schema: bool,
    limit: Option<usize>,
    read: ReadSpec,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileSpec {
    location: String,
    schema: Option<Vec<(String, String)>>,
}

impl LocationScan {
    /// This scan as bytes, for a distributed engine to send to the executor that runs
    /// a partition: the files, the columns and their types, the limit and the reading
    /// options. Options given as [`IterableOptions`] (rather than by
    /// [`TableOptions::set`](crate::TableOptions::set)) and store settings do not
    /// travel: such a scan is an error here, not a scan that reads differently there.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let read = self.read_spec().cloned().ok_or_else(|| {
            DataFusionError::NotImplemented(
                "this scan's reading options were given as IterableOptions or hold store \
                 settings, which are not sent to executors: give format options with \
                 TableOptions::set, and store credentials through each executor's environment"
                    .to_owned(),
            )
        })?;
        let spec = ScanSpec {
            files: self
                .files()
                .iter()
                .map(|f| FileSpec {
                    location: f.location.clone(),
                    schema: f.schema.as_deref().map(schema_to_text),
                })
                .collect(),
            schema: schema_to_text(&self.output_schema()),
            given_schema: self.given_schema(),
            limit: self.limit(),
            read,
        };
        serde_json::to_vec(&spec).map_err(|e| DataFusionError::External(Box::new(e)))
    }

    /// The scan [`to_bytes`](Self::to_bytes) described.
    pub fn from_bytes(bytes: &[u8]) -> Result<LocationScan> {
        let spec: ScanSpec =
            serde_json::from_slice(bytes).map_err(|e| DataFusionError::External(Box::new(e)))?;
        let files: Vec<ScanFile> = spec
            .files
            .into_iter()
            .map(|f| {
                Ok(ScanFile {
                    location: f.location,
                    schema: f.schema.as_deref().map(parse_schema).transpose()?,
                })
            })
            .collect::<iterable::Result<_>>()
            .map_err(crate::error::external)?;
        let schema = parse_schema(&spec.schema).map_err(crate::error::external)?;
        let options = spec.read.options().map_err(crate::error::external)?;
        Ok(LocationScan::new(
            Arc::from(files),
            Arc::new(options),
            Some(spec.read),
            schema,
            spec.given_schema,
            spec.limit,
        ))
    }
}
