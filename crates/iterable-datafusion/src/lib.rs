//! SQL over every location iterable opens: a [DataFusion](https://datafusion.apache.org)
//! table provider for files in any format and codec it reads, globs of them, object
//! store and HTTP URLs, and databases.
//!
//! - [`session_context`]: a `SessionContext` in which a quoted location is a table:
//!   `SELECT city, count(*) FROM 'data/*.jsonl.zst' GROUP BY city`.
//! - [`register_location`]: a location registered under a name.
//! - [`LocationTable`]: the `TableProvider` itself, a partition a file (DataFusion reads
//!   the files of a glob in parallel), the columns a query needs asked of each reader
//!   (Parquet and Arrow IPC read only those column chunks, databases select only
//!   those), the query's limit pushed into each file's read.
//!
//! Text formats are typed as `iterable convert` types them for a typed output
//! (integers, floats, booleans, dates, date-times, empty fields null) unless
//! [`TableOptions::type_text`] says not; errors keep iterable's text (the file, the
//! row or record, the byte offset).
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use iterable_datafusion::{TableOptions, session_context};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("people.csv");
//! std::fs::write(&path, "name,age\nAnna,31\nBen,25\nCleo,40\n").unwrap();
//!
//! let ctx = session_context(TableOptions::new());
//! let sql = format!("SELECT name FROM '{}' WHERE age > 30 ORDER BY name", path.display());
//! let batches = ctx.sql(&sql).await?.collect().await?;
//! let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
//! assert_eq!(rows, 2);
//! # Ok::<(), datafusion::error::DataFusionError>(())
//! # }).unwrap();
//! ```
#![deny(missing_docs)]

mod catalog;
mod conform;
mod error;
mod options;
mod scan;
mod schema_merge;
mod table;
mod wire;

pub use catalog::{LocationTables, register_location, session_context, with_locations};
pub use options::TableOptions;
pub use scan::LocationScan;
pub use table::LocationTable;

/// The DataFusion this crate is built on (so that its types match the caller's).
pub use datafusion;
