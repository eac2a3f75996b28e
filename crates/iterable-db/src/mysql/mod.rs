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
    let connection = config::connection(&db.path, &db.display, &config::ProcessEnvironment)?;
    // rustls takes the process's crypto provider: ring, as everywhere in the workspace.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let failed = |e: mysql_async::Error| my_error(&db.display, "connecting", &e);
    match Conn::new(connection.opts).await {
        Err(mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer)) => {
            match connection.without_tls {
                // PREFERRED: the server offers no TLS, so without it.
                Some(plain) => Conn::new(plain).await.map_err(failed),
                None => Err(Error::Io {
                    location: db.display.clone(),
                    source: std::io::Error::other(
                        "MySQL, connecting: the server offers no TLS, and ssl-mode asks for it",
                    ),
                }),
            }
        }
        Err(e) if connection.chain_only && e.to_string().contains("not valid for name") => {
            Err(Error::Io {
                location: db.display.clone(),
                source: std::io::Error::other(format!(
                    "MySQL, connecting: {e}; ssl-mode VERIFY_CA (or ssl-ca) checks the \
                     chain only, which this driver (mysql_async 0.37) cannot do without the \
                     name: connect by a name the certificate holds"
                )),
            })
        }
        other => other.map_err(failed),
    }
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
