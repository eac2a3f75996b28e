//! Databases as locations of `iterable`: a table or a query read as rows, rows written
//! to a table, on the same [`AsyncIterable`](iterable_core::AsyncIterable) trait as
//! files.
//!
//! SQLite (feature `sqlite`): `sqlite://PATH?table=t`, or a file named `.sqlite`,
//! `.sqlite3` or `.db` with the table in the options. Reading streams the statement's
//! rows on a blocking thread in batches (constant memory), typed by their storage
//! class and the column's declared type. Writing runs in one transaction that
//! `aclose` commits; a writer that fails or is dropped leaves the database as it was.
//!
//! ```
//! # #[cfg(feature = "sqlite")]
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use iterable_core::{DatabaseOptions, row};
//! use iterable_db::{database_location, open_read, open_write};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let url = format!("sqlite://{}?table=people", dir.path().join("app.db").display());
//! let db = database_location(&url, &DatabaseOptions::default())?.unwrap();
//! let mut out = open_write(&url, &db, 1000, 1000).await?;
//! out.awrite(&row! { "id" => 1, "name" => "Ana" }).await?;
//! out.aclose().await?;
//!
//! let mut src = open_read(&url, &db, 1000).await?;
//! assert_eq!(src.aread_bulk(10).await?, [row! { "id" => 1, "name" => "Ana" }]);
//! # Ok::<(), iterable_core::Error>(())
//! # }).unwrap();
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod location;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use location::{
    DatabaseKind, DatabaseLocation, SQLITE_EXTENSIONS, database_location, parse_mode,
};

#[cfg(not(feature = "sqlite"))]
use iterable_core::Error;
use iterable_core::{BoxIterable, Result};

/// Opens `db` (found by [`database_location`] in `location`) to read, `batch_size`
/// rows a batch.
pub async fn open_read(
    location: &str,
    db: &DatabaseLocation,
    batch_size: usize,
) -> Result<BoxIterable> {
    match db.kind {
        #[cfg(feature = "sqlite")]
        DatabaseKind::Sqlite => sqlite::read::open(location, db, batch_size).await,
        #[cfg(not(feature = "sqlite"))]
        DatabaseKind::Sqlite => {
            let _ = batch_size;
            Err(disabled(location))
        }
    }
}

/// Opens `db` to write its table, `batch_size` rows a batch; a table made here takes
/// its column types from the first `scan_rows` rows.
pub async fn open_write(
    location: &str,
    db: &DatabaseLocation,
    batch_size: usize,
    scan_rows: usize,
) -> Result<BoxIterable> {
    match db.kind {
        #[cfg(feature = "sqlite")]
        DatabaseKind::Sqlite => sqlite::write::open(location, db, batch_size, scan_rows).await,
        #[cfg(not(feature = "sqlite"))]
        DatabaseKind::Sqlite => {
            let _ = (batch_size, scan_rows);
            Err(disabled(location))
        }
    }
}

#[cfg(not(feature = "sqlite"))]
fn disabled(location: &str) -> Error {
    let _ = location;
    Error::FeatureDisabled {
        what: "SQLite databases".to_owned(),
        feature: "sqlite".to_owned(),
    }
}
