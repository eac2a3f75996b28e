//! MySQL and MariaDB servers: read a table or a query as an unbuffered result set of
//! the binary protocol, write a table by multi-row prepared `INSERT`s in one
//! transaction.

mod config;
mod load;
pub(crate) mod read;
mod values;
pub(crate) mod write;

use iterable_core::{Error, Result};
use mysql_async::Conn;

use crate::DatabaseLocation;

/// A connection to the server of `db`, its session in UTC and in strict mode.
pub(crate) async fn connect(db: &DatabaseLocation) -> Result<Conn> {
    let opts = config::options(&db.path, &db.display, &config::ProcessEnvironment)?;
    Conn::new(opts)
        .await
        .map_err(|e| my_error(&db.display, "connecting", &e))
}

/// A server error at `location` (its password masked), saying what was being done.
pub(crate) fn my_error(location: &str, doing: &str, e: &mysql_async::Error) -> Error {
    Error::Io {
        location: location.to_owned(),
        source: std::io::Error::other(format!("MySQL, {doing}: {e}")),
    }
}

/// An identifier in backquotes.
pub(crate) fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The table as SQL: `` `db`.`table` `` when a schema (database) is given or the name
/// has one, else `` `table` ``.
pub(crate) fn table_name(schema: Option<&str>, table: &str) -> String {
    match (schema, table.split_once('.')) {
        (Some(schema), _) => format!("{}.{}", quoted(schema), quoted(table)),
        (None, Some((schema, name))) => format!("{}.{}", quoted(schema), quoted(name)),
        (None, None) => quoted(table),
    }
}
