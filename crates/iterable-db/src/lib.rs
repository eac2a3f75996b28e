//! Databases as locations of `iterable`: a table or a query read as rows, rows written
//! to a table, on the same [`AsyncIterable`](iterable_core::AsyncIterable) trait as
//! files.
//!
//! - SQLite (feature `sqlite`): `sqlite://PATH?table=t`, or a file named `.sqlite`,
//!   `.sqlite3` or `.db`; the statement steps on a blocking thread.
//! - PostgreSQL (feature `postgres`): `postgres://user:password@host/db?table=t`; rows
//!   stream by binary `COPY … TO STDOUT` and are written by `COPY … FROM STDIN`.
//! - MySQL and MariaDB (feature `mysql`): `mysql://user:password@host/db?table=t`; an
//!   unbuffered result set of the binary protocol, multi-row `INSERT`s.
//!
//! Reading streams in constant memory, typed by the columns' types; writing runs in one
//! transaction that `aclose` commits: a writer that fails or is dropped leaves the
//! database as it was. Passwords are masked ([`mask_password`]) wherever a location
//! is shown.
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

mod describe;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod layout;
mod location;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod text_escape;

pub use describe::{ColumnDescription, ColumnKind};
pub use location::{
    DatabaseKind, DatabaseLocation, SQLITE_EXTENSIONS, database_location, mask_password, parse_mode,
};

use iterable_core::{BoxIterable, Error, Result};

/// Opens `db` (found by [`database_location`] in `location`) to read, `batch_size`
/// rows a batch.
pub async fn open_read(
    location: &str,
    db: &DatabaseLocation,
    batch_size: usize,
) -> Result<BoxIterable> {
    let _ = (location, batch_size);
    match db.kind {
        #[cfg(feature = "sqlite")]
        DatabaseKind::Sqlite => sqlite::read::open(location, db, batch_size).await,
        #[cfg(feature = "postgres")]
        DatabaseKind::Postgres => postgres::read::open(db, batch_size).await,
        #[cfg(feature = "mysql")]
        DatabaseKind::Mysql => mysql::read::open(db, batch_size).await,
        #[allow(unreachable_patterns)]
        kind => Err(disabled(kind)),
    }
}

/// Opens `db` as record batches of `schema` (the columns it reads, as
/// [`describe`] and the first rows type them) straight from the server, where it has a
/// columnar road: PostgreSQL's binary COPY into Arrow arrays. `None` for the others,
/// which are read as rows.
#[cfg(feature = "arrow")]
pub async fn open_batches(
    db: &DatabaseLocation,
    schema: arrow_schema::SchemaRef,
    batch_size: usize,
) -> Result<Option<iterable_formats::columnar::BatchStream>> {
    let _ = (&schema, batch_size);
    match db.kind {
        #[cfg(feature = "postgres")]
        DatabaseKind::Postgres => postgres::read::open_batches(db, schema, batch_size)
            .await
            .map(Some),
        _ => Ok(None),
    }
}

/// Whether [`open_batches`] reads `db` straight into batches.
pub fn reads_batches(db: &DatabaseLocation) -> bool {
    cfg!(all(feature = "arrow", feature = "postgres")) && matches!(db.kind, DatabaseKind::Postgres)
}

/// Opens `db` to write its table, `batch_size` rows a batch; a table made here takes
/// its column types from the first `scan_rows` rows.
pub async fn open_write(
    location: &str,
    db: &DatabaseLocation,
    batch_size: usize,
    scan_rows: usize,
) -> Result<BoxIterable> {
    let _ = (location, batch_size, scan_rows);
    match db.kind {
        #[cfg(feature = "sqlite")]
        DatabaseKind::Sqlite => sqlite::write::open(location, db, batch_size, scan_rows).await,
        #[cfg(feature = "postgres")]
        DatabaseKind::Postgres => postgres::write::open(db, batch_size, scan_rows).await,
        #[cfg(feature = "mysql")]
        DatabaseKind::Mysql => mysql::write::open(db, batch_size, scan_rows).await,
        #[allow(unreachable_patterns)]
        kind => Err(disabled(kind)),
    }
}

/// The columns `db` reads as its catalog describes them; `None` for databases whose
/// declared types do not bind their values (SQLite), whose rows tell the types.
pub async fn describe(db: &DatabaseLocation) -> Result<Option<Vec<ColumnDescription>>> {
    match db.kind {
        #[cfg(feature = "postgres")]
        DatabaseKind::Postgres => postgres::read::describe(db).await.map(Some),
        #[cfg(feature = "mysql")]
        DatabaseKind::Mysql => mysql::read::describe(db).await.map(Some),
        _ => Ok(None),
    }
}

/// The error for a kind of database this build leaves out.
fn disabled(kind: DatabaseKind) -> Error {
    let (what, feature) = match kind {
        DatabaseKind::Sqlite => ("SQLite databases", "sqlite"),
        DatabaseKind::Postgres => ("PostgreSQL servers", "postgres"),
        DatabaseKind::Mysql => ("MySQL and MariaDB servers", "mysql"),
    };
    Error::FeatureDisabled {
        what: what.to_owned(),
        feature: feature.to_owned(),
    }
}
