//! Reading a table or a query of a MySQL/MariaDB server: the statement is prepared on
//! open (bad SQL or a missing table is an error there), then run with the binary
//! protocol on a blocking thread, which takes its rows from the socket as the reader
//! asks for them (the result set is not buffered): memory stays flat.

use std::sync::Arc;

use iterable_core::{BoxIterable, Codec, Error, Format, Header, IterableInfo, Mode, Result, Row};
use iterable_formats::blocking_bridge::{BridgeConfig, ReaderSetup, spawn_producer};
use mysql_async::consts::{ColumnFlags, ColumnType};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Statement};

use super::values::Kind;
use super::{connect, my_error, quoted, table_name};
use crate::{ColumnDescription, ColumnKind, DatabaseLocation};

/// Rows taken from the socket at each turn of the blocking thread.
const ROWS_A_TURN: usize = 256;

/// Opens `db` to read: its `query`, or its `table` (the only table of the database
/// when none is named).
pub(crate) async fn open(db: &DatabaseLocation, batch_size: usize) -> Result<BoxIterable> {
    let location = db.display.clone();
    let mut conn = connect(db).await?;
    let query = query_of(&mut conn, db).await?;
    let statement: Statement = conn
        .prep(query.as_str())
        .await
        .map_err(|e| my_error(&location, "preparing the query", &e))?;
    let info = IterableInfo {
        encoding: None,
        location: location.clone(),
        format: Format::new("mysql"),
        codec: Codec::None,
        mode: Mode::Read,
    };
    let setup = ReaderSetup::new(info, BridgeConfig::for_batch_size(batch_size));
    let handle = tokio::runtime::Handle::current();
    let reader = spawn_producer(tokio::io::empty(), setup, move |_input, rows| {
        let mut result = handle
            .block_on(conn.exec_iter(&statement, ()))
            .map_err(|e| my_error(&location, "running the query", &e))?;
        let columns = result.columns_ref();
        let kinds: Vec<Kind> = columns.iter().map(Kind::of).collect();
        let names: Vec<String> = columns.iter().map(|c| c.name_str().into_owned()).collect();
        let header = Arc::new(Header::new(iterable_core::unique_column_names(&names)));
        let mut count = 0u64;
        loop {
            let turn = handle.block_on(async {
                let mut turn = Vec::with_capacity(ROWS_A_TURN);
                while turn.len() < ROWS_A_TURN {
                    match result.next().await? {
                        Some(row) => turn.push(row),
                        None => break,
                    }
                }
                Ok::<_, mysql_async::Error>(turn)
            });
            let turn =
                turn.map_err(|e| my_error(&location, &format!("reading after row {count}"), &e))?;
            let last = turn.len() < ROWS_A_TURN;
            for row in turn {
                count += 1;
                let values = row
                    .unwrap()
                    .into_iter()
                    .zip(&kinds)
                    .map(|(value, kind)| kind.value(value))
                    .collect();
                if !rows.send(Row::from_parts(header.clone(), values)) {
                    return Ok(());
                }
            }
            if last {
                return Ok(());
            }
        }
    });
    Ok(Box::new(reader))
}

/// The columns of what `db` reads, from the prepared statement's metadata (`NOT NULL`
/// only for a whole table: a query may join to a column).
pub(crate) async fn describe(db: &DatabaseLocation) -> Result<Vec<ColumnDescription>> {
    let mut conn = connect(db).await?;
    let query = query_of(&mut conn, db).await?;
    let statement: Statement = conn
        .prep(query.as_str())
        .await
        .map_err(|e| my_error(&db.display, "preparing the query", &e))?;
    let names: Vec<String> = statement
        .columns()
        .iter()
        .map(|c| c.name_str().into_owned())
        .collect();
    let names = iterable_core::unique_column_names(&names);
    let whole_table = db.options.query.is_none();
    Ok(statement
        .columns()
        .iter()
        .zip(names)
        .map(|(column, name)| {
            let flags = column.flags();
            let unsigned = flags.contains(ColumnFlags::UNSIGNED_FLAG);
            let kind = match Kind::of(column) {
                Kind::Bool => ColumnKind::Bool,
                // Above 2^63 an unsigned BIGINT is a decimal.
                Kind::Int
                    if unsigned && column.column_type() == ColumnType::MYSQL_TYPE_LONGLONG =>
                {
                    ColumnKind::Values
                }
                Kind::Int | Kind::Bit => ColumnKind::Int,
                Kind::Float => ColumnKind::Float,
                Kind::Decimal => {
                    let scale = column.decimals();
                    let sign = u32::from(!unsigned);
                    let point = u32::from(scale > 0);
                    let precision = column.column_length().saturating_sub(sign + point);
                    match u8::try_from(precision) {
                        Ok(p) if (1..=38).contains(&p) && scale <= p => ColumnKind::Decimal {
                            precision: p,
                            scale: scale as i8,
                        },
                        _ => ColumnKind::Values,
                    }
                }
                Kind::Text | Kind::Time => ColumnKind::Text,
                Kind::Json => ColumnKind::Values,
                Kind::Bytes => ColumnKind::Bytes,
                Kind::Date => ColumnKind::Date,
                Kind::DateTime => ColumnKind::Timestamp { utc: false },
                Kind::Timestamp => ColumnKind::Timestamp { utc: true },
            };
            ColumnDescription {
                name,
                kind,
                nullable: !(whole_table && flags.contains(ColumnFlags::NOT_NULL_FLAG)),
            }
        })
        .collect())
}

/// The query to run: the one given, or all of the table (only the `columns` asked).
async fn query_of(conn: &mut Conn, db: &DatabaseLocation) -> Result<String> {
    if let Some(query) = &db.options.query {
        return Ok(query.trim().trim_end_matches(';').trim_end().to_owned());
    }
    let table = match &db.options.table {
        Some(table) => table_name(db.options.schema.as_deref(), table),
        None => {
            let tables: Vec<String> = conn
                .exec(
                    "SELECT table_name FROM information_schema.tables \
                     WHERE table_schema = COALESCE(?, DATABASE()) ORDER BY table_name",
                    (db.options.schema.clone(),),
                )
                .await
                .map_err(|e| my_error(&db.display, "listing the tables", &e))?;
            match tables.as_slice() {
                [only] => quoted(only),
                [] => {
                    return Err(Error::InvalidOption(format!(
                        "{}: the database has no table to read",
                        db.display
                    )));
                }
                many => {
                    return Err(Error::InvalidOption(format!(
                        "{}: the database has {} tables ({}); name one with ?table= or a query with ?query=",
                        db.display,
                        many.len(),
                        many.join(", ")
                    )));
                }
            }
        }
    };
    let columns = db.select_list(quoted);
    Ok(format!("SELECT {columns} FROM {table}"))
}
