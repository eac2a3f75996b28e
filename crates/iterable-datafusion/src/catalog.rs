//! Locations as table names in SQL: `SELECT * FROM 'data/*.csv.gz'`, and tables
//! registered by name.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{DynamicFileCatalog, TableProvider, UrlTableFactory};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use crate::{LocationTable, TableOptions};

/// Opens the table names that are locations (a quoted path, glob, URL or database URL
/// in a query) as [`LocationTable`]s. A name without `.`, `/`, `:` or a glob
/// character that is not an existing file or folder is not a location: it stays a
/// table name that is not found.
#[derive(Debug, Default)]
pub struct LocationTables {
    options: TableOptions,
}

impl LocationTables {
    /// Opens locations with `options`.
    pub fn new(options: TableOptions) -> Self {
        LocationTables { options }
    }
}

#[async_trait]
impl UrlTableFactory for LocationTables {
    async fn try_new(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if !names_a_location(name) {
            return Ok(None);
        }
        let table = LocationTable::open(name, &self.options).await?;
        Ok(Some(Arc::new(table)))
    }
}

/// Whether a table name in a query is a location rather than a registered name.
fn names_a_location(name: &str) -> bool {
    name.contains(['.', '/', ':', '*', '?', '[']) || std::path::Path::new(name).exists()
}

/// A session in which every quoted location in a query is a table, read with `options`
/// (`SELECT city, count(*) FROM 'data/*.jsonl.zst' GROUP BY city`); tables registered
/// by name work as usual.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use iterable_datafusion::{TableOptions, session_context};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("sales.csv");
/// std::fs::write(&path, "city,amount\nOslo,10\nRome,5\nOslo,2.5\n").unwrap();
///
/// let ctx = session_context(TableOptions::new());
/// let query = format!(
///     "SELECT city, sum(amount) AS total FROM '{}' GROUP BY city ORDER BY city",
///     path.display()
/// );
/// let batches = ctx.sql(&query).await?.collect().await?;
/// let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)?.to_string();
/// assert!(text.contains("| Oslo | 12.5  |"), "{text}");
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// # }).unwrap();
/// ```
pub fn session_context(options: TableOptions) -> SessionContext {
    with_locations(SessionContext::new(), options)
}

/// `ctx` with quoted locations in its queries read as tables (see [`session_context`]).
pub fn with_locations(ctx: SessionContext, options: TableOptions) -> SessionContext {
    let catalogs = Arc::clone(ctx.state().catalog_list());
    let factory = Arc::new(LocationTables::new(options));
    let catalogs = Arc::new(DynamicFileCatalog::new(catalogs, factory));
    ctx.into_state_builder()
        .with_catalog_list(catalogs)
        .build()
        .into()
}

/// Registers `location` (a file, glob, prefix, folder, URL or database URL) as the
/// table `name` of `ctx`: its files are found and its schema decided now.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use datafusion::prelude::SessionContext;
/// use iterable_datafusion::{TableOptions, register_location};
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a.jsonl"), "{\"n\":1}\n{\"n\":2}\n").unwrap();
/// std::fs::write(dir.path().join("b.jsonl"), "{\"n\":3}\n").unwrap();
/// let glob = format!("{}/*.jsonl", dir.path().display());
///
/// let ctx = SessionContext::new();
/// register_location(&ctx, "numbers", &glob, &TableOptions::new()).await?;
/// let batches = ctx.sql("SELECT sum(n) AS s FROM numbers").await?.collect().await?;
/// let sum = batches[0].column(0);
/// let sum = sum.as_any().downcast_ref::<datafusion::arrow::array::Int64Array>().unwrap();
/// assert_eq!(sum.value(0), 6);
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// # }).unwrap();
/// ```
pub async fn register_location(
    ctx: &SessionContext,
    name: &str,
    location: &str,
    options: &TableOptions,
) -> Result<()> {
    let table = LocationTable::open(location, options).await?;
    ctx.register_table(name, Arc::new(table))?;
    Ok(())
}
