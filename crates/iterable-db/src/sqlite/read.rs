//! Reading a table or a query of an SQLite file: the statement steps on a blocking
//! thread and its rows come over the bridge in batches, so memory stays flat.

use std::sync::Arc;

use iterable_core::{BoxIterable, Codec, Error, Format, Header, IterableInfo, Mode, Result, Row};
use iterable_formats::blocking_bridge::{BridgeConfig, ReaderSetup, spawn_producer};
use rusqlite::{Connection, OpenFlags};

use super::values::{Declared, from_sql, quoted};
use super::{db_error, tables};
use crate::DatabaseLocation;

/// Opens `db` to read: its `query`, or all of its `table` (the only table when it has
/// just one).
pub(crate) async fn open(
    location: &str,
    db: &DatabaseLocation,
    batch_size: usize,
) -> Result<BoxIterable> {
    if !std::path::Path::new(&db.path).is_file() {
        return Err(Error::NotFound {
            location: location.to_owned(),
        });
    }
    let info = IterableInfo {
        encoding: None,
        location: location.to_owned(),
        format: Format::new("sqlite"),
        codec: Codec::None,
        mode: Mode::Read,
    };
    let (path, options, name) = (db.path.clone(), db.options.clone(), location.to_owned());
    // The query is prepared here, so that bad SQL or a missing table is an error of
    // the open call, not of the first read.
    let sql = {
        let (path, name, options) = (path.clone(), name.clone(), options.clone());
        tokio::task::spawn_blocking(move || {
            let conn = connect(&path, &name)?;
            // Only the columns asked, in their order.
            let columns = if options.columns.is_empty() {
                "*".to_owned()
            } else {
                let names: Vec<String> = options.columns.iter().map(|c| quoted(c)).collect();
                names.join(", ")
            };
            let sql = match (&options.query, &options.table) {
                (Some(query), _) => query.clone(),
                (None, Some(table)) => format!("SELECT {columns} FROM {}", quoted(table)),
                (None, None) => match tables(&conn, &name)?.as_slice() {
                    [only] => format!("SELECT {columns} FROM {}", quoted(only)),
                    [] => {
                        return Err(Error::InvalidOption(format!(
                            "{name}: the database has no table to read"
                        )));
                    }
                    many => {
                        return Err(Error::InvalidOption(format!(
                            "{name}: the database has {} tables ({}); name one with ?table= or a query with ?query=",
                            many.len(),
                            many.join(", ")
                        )));
                    }
                },
            };
            conn.prepare(&sql)
                .map_err(|e| db_error(&name, "the query", e))?;
            Ok(sql)
        })
        .await
        .map_err(|e| Error::Io {
            location: location.to_owned(),
            source: std::io::Error::other(e.to_string()),
        })??
    };
    let setup = ReaderSetup::new(info, BridgeConfig::for_batch_size(batch_size));
    let reader = spawn_producer(tokio::io::empty(), setup, move |_input, rows| {
        let conn = connect(&path, &name)?;
        let mut statement = conn
            .prepare(&sql)
            .map_err(|e| db_error(&name, "the query", e))?;
        let declared: Vec<Declared> = statement
            .columns()
            .iter()
            .map(|c| Declared::of(c.decl_type()))
            .collect();
        let names: Vec<String> = statement
            .column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let header = Arc::new(Header::new(iterable_core::unique_column_names(&names)));
        let mut cursor = statement
            .query([])
            .map_err(|e| db_error(&name, "the query", e))?;
        loop {
            let row = match cursor.next() {
                Ok(Some(row)) => row,
                Ok(None) => return Ok(()),
                Err(e) => return Err(db_error(&name, "reading", e)),
            };
            let mut values = Vec::with_capacity(declared.len());
            for (i, kind) in declared.iter().enumerate() {
                let value = row.get_ref(i).map_err(|e| db_error(&name, "reading", e))?;
                values.push(from_sql(value, *kind));
            }
            if !rows.send(Row::from_parts(header.clone(), values)) {
                return Ok(());
            }
        }
    });
    Ok(Box::new(reader))
}

/// A read-only connection to the file.
fn connect(path: &str, location: &str) -> Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| db_error(location, "opening the database", e))
}
