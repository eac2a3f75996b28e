//! SQLite files: read a table or a query, write a table in one transaction.

pub(crate) mod read;
mod values;
pub(crate) mod write;

use iterable_core::{Error, Result};
use rusqlite::Connection;

/// An SQLite error at `location`, saying what was being done.
pub(crate) fn db_error(location: &str, doing: &str, e: rusqlite::Error) -> Error {
    Error::Io {
        location: location.to_owned(),
        source: std::io::Error::other(format!("SQLite, {doing}: {e}")),
    }
}

/// The database's own tables, by name.
pub(crate) fn tables(conn: &Connection, location: &str) -> Result<Vec<String>> {
    let mut statement = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .map_err(|e| db_error(location, "listing the tables", e))?;
    let names = statement
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(|e| db_error(location, "listing the tables", e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| db_error(location, "listing the tables", e))?;
    Ok(names)
}
