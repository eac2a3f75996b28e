//! Which locations are databases: by their URL or name (`iterable_db`), and, for a
//! local file whose name tells no format, by SQLite's header.

use std::io::Read;

use iterable_core::{Options, Result};
use iterable_db::{DatabaseKind, DatabaseLocation, database_location};

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// `location` as a database to read, when it is one.
pub(crate) fn to_read(location: &str, options: &Options) -> Result<Option<DatabaseLocation>> {
    if let Some(mut db) = database_location(location, &options.database)? {
        if db.options.columns.is_empty() {
            db.options.columns = options.columnar.columns.clone().unwrap_or_default();
        }
        return Ok(Some(db));
    }
    let unnamed = options.format.is_none()
        && !location.contains("://")
        && location != "-"
        && crate::registry::from_name(location).format.is_none();
    if unnamed && starts_like_sqlite(location) {
        return Ok(Some(DatabaseLocation {
            kind: DatabaseKind::Sqlite,
            path: location.to_owned(),
            options: options.database.clone(),
            display: location.to_owned(),
        }));
    }
    Ok(None)
}

/// `location` as a database to write, when its URL or name says so.
pub(crate) fn to_write(location: &str, options: &Options) -> Result<Option<DatabaseLocation>> {
    database_location(location, &options.database)
}

fn starts_like_sqlite(path: &str) -> bool {
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == SQLITE_MAGIC)
}
