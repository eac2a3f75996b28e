//! Writing rows to a table of a MySQL/MariaDB server by multi-row prepared `INSERT`s in
//! one transaction that `aclose` commits. MySQL commits by itself on `CREATE TABLE`, so
//! a table this writer makes is dropped again when the write fails or the writer is
//! dropped, and `replace` fills a new table and swaps it in by one atomic
//! `RENAME TABLE` at the end: either way a failed write leaves what was there.
//!
//! The rows go by `LOAD DATA LOCAL INFILE` where the server allows it (load.rs), else
//! by multi-row prepared `INSERT`s. Upserts are `INSERT … ON DUPLICATE KEY UPDATE`, the
//! last row of a key winning.

use iterable_core::{
    BoxIterable, Codec, Error, Format, IterableInfo, Mode, Result, Row, TableMode,
};
use iterable_formats::blocking_bridge::{BridgeConfig, RowReceiver, spawn_consumer};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Value as MyValue};
use tokio::runtime::Handle;

use super::load::{Target, load, local_infile_allowed};
use super::values::{column_type, param};
use super::{connect, my_error, quoted, table_name};
use crate::DatabaseLocation;
use crate::layout::Layout;

/// Rows one `INSERT` takes at most (and never more than 60,000 values: the protocol's
/// limit is 65,535 placeholders).
const ROWS_AN_INSERT: usize = 1000;

/// Opens `db` to write its `table` as `mode` says.
pub(crate) async fn open(
    db: &DatabaseLocation,
    batch_size: usize,
    scan_rows: usize,
) -> Result<BoxIterable> {
    let location = db.display.clone();
    let table = db.table_to_write()?;
    let conn = connect(db).await?;
    let (schema, name) = match (&db.options.schema, table.split_once('.')) {
        (Some(schema), _) => (Some(schema.clone()), table.clone()),
        (None, Some((schema, name))) => (Some(schema.to_owned()), name.to_owned()),
        (None, None) => (None, table.clone()),
    };
    let info = IterableInfo {
        encoding: None,
        location: location.clone(),
        format: Format::new("mysql"),
        codec: Codec::None,
        mode: Mode::Write,
    };
    let plan = Plan {
        location,
        table: table_name(db.options.schema.as_deref(), &table),
        schema,
        name,
        mode: db.options.mode.clone(),
        keys: db.options.keys.clone(),
        scan_rows: scan_rows.max(1),
        handle: Handle::current(),
    };
    let config = BridgeConfig::for_batch_size(batch_size);
    let writer = spawn_consumer(tokio::io::sink(), info, config, move |output, rows| {
        let mut conn = conn;
        let mut made = None;
        let outcome = plan.write(&mut conn, rows, &mut made);
        if outcome.is_err() {
            let _ = plan.handle.block_on(conn.query_drop("ROLLBACK"));
            if let Some(table) = made {
                let _ = plan
                    .handle
                    .block_on(conn.query_drop(format!("DROP TABLE IF EXISTS {table}")));
            }
        }
        outcome.map(|()| output)
    });
    Ok(Box::new(writer))
}

/// What one write does.
struct Plan {
    location: String,
    /// The table as SQL.
    table: String,
    /// Its database, when named, and its own name.
    schema: Option<String>,
    name: String,
    mode: TableMode,
    keys: Vec<String>,
    scan_rows: usize,
    handle: Handle,
}

impl Plan {
    fn run(&self, conn: &mut Conn, sql: &str, doing: &str) -> Result<()> {
        self.handle
            .block_on(conn.query_drop(sql))
            .map_err(|e| my_error(&self.location, doing, &e))
    }

    /// The table named `name` in the plan's database.
    fn sibling(&self, name: &str) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", quoted(schema), quoted(name)),
            None => quoted(name),
        }
    }

    fn write(
        &self,
        conn: &mut Conn,
        rows: &mut RowReceiver,
        made: &mut Option<String>,
    ) -> Result<()> {
        let mut first = Vec::new();
        while first.len() < self.scan_rows {
            match rows.next_row() {
                Some(row) => first.push(row),
                None => break,
            }
        }
        let exists: Option<u64> = self
            .handle
            .block_on(conn.exec_first(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?",
                (self.schema.clone(), self.name.clone()),
            ))
            .map_err(|e| my_error(&self.location, "looking for the table", &e))?;
        let exists = exists.unwrap_or(0) > 0;
        // Where the rows go, and the table swapped in for the old one at the end.
        let (into, swap) = match (&self.mode, exists) {
            (TableMode::Create, true) => {
                return Err(Error::InvalidOption(format!(
                    "{}: the table {:?} exists already (mode create); use mode append or replace",
                    self.location, self.name
                )));
            }
            (TableMode::Replace, true) => {
                let new = self.sibling(&format!("{}__iterable_new", self.name));
                self.run(
                    conn,
                    &format!("DROP TABLE IF EXISTS {new}"),
                    "clearing an earlier replace",
                )?;
                (new, true)
            }
            (_, true) => (self.table.clone(), false),
            (_, false) => (self.table.clone(), false),
        };
        let columns = if exists && !swap {
            self.existing_columns(conn, &first)?
        } else {
            let columns = self.create(conn, &into, &first)?;
            *made = Some(into.clone());
            columns
        };
        self.run(conn, "START TRANSACTION", "starting the transaction")?;
        // LOAD DATA LOCAL streams the rows as COPY does, where the server allows it; an
        // upsert keeps to INSERT … ON DUPLICATE KEY UPDATE.
        if self.mode != TableMode::Upsert && local_infile_allowed(&self.handle, conn) {
            let target = Target {
                location: &self.location,
                table_label: &self.name,
                into: &into,
                columns: &columns,
            };
            if !load(&self.handle, conn, rows, first, &target)? {
                return Err(Error::unsupported(
                    &self.location,
                    "the writer was dropped before it was closed; nothing was written",
                ));
            }
        } else {
            self.insert(conn, rows, first, &into, &columns)?;
        }
        self.run(conn, "COMMIT", "committing")?;
        if swap {
            let old = self.sibling(&format!("{}__iterable_old", self.name));
            self.run(
                conn,
                &format!(
                    "RENAME TABLE {} TO {old}, {into} TO {}",
                    self.table, self.table
                ),
                "swapping the new table in",
            )?;
            *made = None;
            self.run(conn, &format!("DROP TABLE {old}"), "dropping the old table")?;
        }
        *made = None;
        Ok(())
    }

    /// The rows by multi-row prepared `INSERT`s.
    fn insert(
        &self,
        conn: &mut Conn,
        rows: &mut RowReceiver,
        first: Vec<(u64, Row)>,
        into: &str,
        columns: &[String],
    ) -> Result<()> {
        let mut batch: Vec<MyValue> = Vec::with_capacity(ROWS_AN_INSERT * columns.len());
        let per_insert = ROWS_AN_INSERT.min(60_000 / columns.len().max(1)).max(1);
        let full_sql = self.insert_sql(into, columns, per_insert);
        let mut layout = Layout::default();
        let mut batch_first = 1u64;
        let mut in_batch = 0usize;
        let mut put = |number: u64,
                       row: &Row,
                       batch: &mut Vec<MyValue>,
                       in_batch: &mut usize|
         -> Result<()> {
            let places = layout.places(row, columns, &self.name, &self.location, number)?;
            for place in places.iter().copied() {
                batch.push(place.map_or(MyValue::NULL, |at| param(&row.values()[at])));
            }
            *in_batch += 1;
            Ok(())
        };
        let mut flush = |sql: &str, batch: &mut Vec<MyValue>, first_row: u64| -> Result<()> {
            let params = Params::Positional(std::mem::take(batch));
            self.handle
                .block_on(conn.exec_drop(sql, params))
                .map_err(|e| self.insert_error(&e, first_row))
        };
        let mut pending = first.into_iter();
        loop {
            let next = match pending.next() {
                Some(row) => Some(row),
                None => rows.next_row(),
            };
            let Some((number, row)) = next else { break };
            if in_batch == 0 {
                batch_first = number;
            }
            put(number, &row, &mut batch, &mut in_batch)?;
            if in_batch == per_insert {
                flush(&full_sql, &mut batch, batch_first)?;
                in_batch = 0;
            }
        }
        if !rows.finished() {
            return Err(Error::unsupported(
                &self.location,
                "the writer was dropped before it was closed; nothing was written",
            ));
        }
        if in_batch > 0 {
            let sql = self.insert_sql(into, columns, in_batch);
            flush(&sql, &mut batch, batch_first)?;
        }
        Ok(())
    }

    /// A failed insert: the row the server names (`at row N` of the statement), the
    /// column and the value, in the server's words.
    fn insert_error(&self, e: &mysql_async::Error, first_row: u64) -> Error {
        let text = e.to_string();
        let at = text
            .rsplit_once(" at row ")
            .and_then(|(_, n)| n.trim().parse::<u64>().ok());
        match at {
            Some(n) => Error::Write {
                location: self.location.clone(),
                row: first_row + n - 1,
                message: format!("MySQL, inserting into {}: {text}", self.name),
            },
            None => my_error(
                &self.location,
                &format!("inserting the rows from row {first_row}"),
                e,
            ),
        }
    }

    /// Makes `table` from the first rows' types; its columns, in order.
    fn create(&self, conn: &mut Conn, table: &str, first: &[(u64, Row)]) -> Result<Vec<String>> {
        let mut names: Vec<String> = Vec::new();
        for (_, row) in first {
            for key in row.keys() {
                if !names.iter().any(|n| n == key) {
                    names.push(key.to_owned());
                }
            }
        }
        if names.is_empty() {
            return Err(Error::InvalidOption(format!(
                "{}: no rows to make the table {:?} from",
                self.location, self.name
            )));
        }
        let mut definition: Vec<String> = names
            .iter()
            .map(|name| {
                let values: Vec<&iterable_core::Value> =
                    first.iter().filter_map(|(_, row)| row.get(name)).collect();
                format!(
                    "{} {}",
                    quoted(name),
                    column_type(&values, self.keys.contains(name))
                )
            })
            .collect();
        if !self.keys.is_empty() {
            let keys: Vec<String> = self.keys.iter().map(|k| quoted(k)).collect();
            definition.push(format!("PRIMARY KEY ({})", keys.join(", ")));
        }
        self.run(
            conn,
            &format!(
                "CREATE TABLE {table} ({}) DEFAULT CHARSET = utf8mb4",
                definition.join(", ")
            ),
            "creating the table",
        )?;
        Ok(names)
    }

    /// The table's columns that the first rows have (the others keep their defaults).
    fn existing_columns(&self, conn: &mut Conn, first: &[(u64, Row)]) -> Result<Vec<String>> {
        let statement = self
            .handle
            .block_on(conn.prep(format!("SELECT * FROM {} LIMIT 0", self.table)))
            .map_err(|e| my_error(&self.location, "reading the table's columns", &e))?;
        let table: Vec<String> = statement
            .columns()
            .iter()
            .map(|c| c.name_str().into_owned())
            .collect();
        for (number, row) in first {
            if let Some(extra) = row.keys().find(|k| !table.iter().any(|c| c == k)) {
                return Err(Error::Write {
                    location: self.location.clone(),
                    row: *number,
                    message: format!(
                        "the column {extra:?} is not in the table {:?} (its columns: {})",
                        self.name,
                        table.join(", ")
                    ),
                });
            }
        }
        Ok(table
            .into_iter()
            .filter(|c| {
                first
                    .iter()
                    .any(|(_, row)| row.header().position(c).is_some())
            })
            .collect())
    }

    fn insert_sql(&self, table: &str, columns: &[String], rows: usize) -> String {
        let names: Vec<String> = columns.iter().map(|c| quoted(c)).collect();
        let one = format!("({})", vec!["?"; columns.len()].join(", "));
        let mut sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            names.join(", "),
            vec![one; rows].join(", ")
        );
        if self.mode == TableMode::Upsert {
            let updates: Vec<String> = columns
                .iter()
                .filter(|c| !self.keys.contains(c))
                .map(|c| format!("{0} = VALUES({0})", quoted(c)))
                .collect();
            let updates = if updates.is_empty() {
                // Nothing but the key: keep the row as it is.
                let key = quoted(&self.keys[0]);
                vec![format!("{key} = {key}")]
            } else {
                updates
            };
            sql.push_str(&format!(" ON DUPLICATE KEY UPDATE {}", updates.join(", ")));
        }
        sql
    }
}
