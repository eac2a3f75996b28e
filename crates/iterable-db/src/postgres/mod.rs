//! PostgreSQL servers: read a table or a query by binary `COPY … TO STDOUT`, write a
//! table by `COPY … FROM STDIN` in one transaction.

mod config;
#[cfg(feature = "arrow")]
mod copy_batches;
mod copy_binary;
mod decode;
mod encode;
pub(crate) mod read;
mod tls;
pub(crate) mod write;

use iterable_core::{Error, Result};
use tokio_postgres::Client;

use crate::DatabaseLocation;
use config::{ProcessEnvironment, parse_url};

/// A connected client; the connection itself runs on a task of the runtime.
pub(crate) async fn connect(db: &DatabaseLocation) -> Result<Client> {
    let spec = parse_url(&db.path, &db.display)?.with_defaults(&ProcessEnvironment);
    let config = spec.config(&db.display)?;
    let tls = spec.tls(&db.display)?.connector(&db.display)?;
    let (client, connection) = config
        .connect(tls)
        .await
        .map_err(|e| pg_error(&db.display, "connecting", &e))?;
    tokio::spawn(async move {
        // Its errors reach the client's calls as well; nothing more to do here.
        let _ = connection.await;
    });
    Ok(client)
}

/// A server error at `location` (its password masked), saying what was being done:
/// the server's severity, code, message, detail and hint.
pub(crate) fn pg_error(location: &str, doing: &str, e: &tokio_postgres::Error) -> Error {
    Error::Io {
        location: location.to_owned(),
        source: std::io::Error::other(format!("PostgreSQL, {doing}: {}", describe(e))),
    }
}

/// The server's own words for an error, or the client's.
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    let Some(db) = e.as_db_error() else {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(inner) = source {
            let more = inner.to_string();
            if !text.contains(&more) {
                text.push_str(": ");
                text.push_str(&more);
            }
            source = inner.source();
        }
        return text;
    };
    let mut text = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    if let Some(detail) = db.detail() {
        text.push_str(&format!(" ({detail})"));
    }
    if let Some(hint) = db.hint() {
        text.push_str(&format!("; hint: {hint}"));
    }
    text
}

/// An identifier in double quotes.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The table's name as SQL: `"schema"."table"` when a schema is given or the name has
/// one (`sales.orders`), else `"table"`.
pub(crate) fn table_name(schema: Option<&str>, table: &str) -> String {
    match (schema, table.split_once('.')) {
        (Some(schema), _) => format!("{}.{}", quoted(schema), quoted(table)),
        (None, Some((schema, name))) => format!("{}.{}", quoted(schema), quoted(name)),
        (None, None) => quoted(table),
    }
}
