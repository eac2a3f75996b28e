//! Writing rows to a table of an SQLite file, in one transaction committed by `aclose`:
//! a writer that fails or is dropped leaves the database as it was (and no file, when
//! there was none).

use iterable_core::{
    BoxIterable, Codec, Error, Format, IterableInfo, Mode, Result, Row, TableMode, Value,
};
use iterable_formats::blocking_bridge::{BridgeConfig, RowReceiver, spawn_consumer};
use rusqlite::{Connection, Transaction};

use super::values::{declared_type, quoted, to_sql};
use super::{db_error, tables};
use crate::DatabaseLocation;
use crate::layout::Layout;

/// Opens `db` to write its `table` as `mode` says.
pub(crate) async fn open(
    location: &str,
    db: &DatabaseLocation,
    batch_size: usize,
    scan_rows: usize,
) -> Result<BoxIterable> {
    let table = db.table_to_write()?;
    let info = IterableInfo {
        encoding: None,
        location: location.to_owned(),
        format: Format::new("sqlite"),
        codec: Codec::None,
        mode: Mode::Write,
    };
    let plan = Plan {
        location: location.to_owned(),
        path: db.path.clone(),
        table,
        mode: db.options.mode.clone(),
        keys: db.options.keys.clone(),
        scan_rows: scan_rows.max(1),
    };
    let config = BridgeConfig::for_batch_size(batch_size);
    let writer = spawn_consumer(tokio::io::sink(), info, config, move |output, rows| {
        let existed = std::path::Path::new(&plan.path).exists();
        let outcome = plan.write(rows);
        if outcome.is_err() && !existed {
            // Nothing was there before: nothing is left after.
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", plan.path));
            }
        }
        outcome.map(|()| output)
    });
    Ok(Box::new(writer))
}

/// What one write does.
struct Plan {
    location: String,
    path: String,
    table: String,
    mode: TableMode,
    keys: Vec<String>,
    scan_rows: usize,
}

impl Plan {
    fn write(&self, rows: &mut RowReceiver) -> Result<()> {
        let mut conn = Connection::open(&self.path)
            .map_err(|e| db_error(&self.location, "opening the database", e))?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| db_error(&self.location, "starting the transaction", e))?;
        // The first rows decide the columns of a table made here.
        let mut first = Vec::new();
        while first.len() < self.scan_rows {
            match rows.next_row() {
                Some(row) => first.push(row),
                None => break,
            }
        }
        let columns = self.prepare_table(&tx, &first)?;
        let sql = self.insert_sql(&columns);
        {
            let mut insert = tx
                .prepare(&sql)
                .map_err(|e| db_error(&self.location, "preparing the insert", e))?;
            let mut layout = Layout::default();
            let mut put = |number: u64, row: &Row| -> Result<()> {
                let places = layout.places(row, &columns, &self.table, &self.location, number)?;
                let values = places
                    .iter()
                    .map(|place| Param(place.map(|i| &row.values()[i])));
                insert
                    .execute(rusqlite::params_from_iter(values))
                    .map_err(|e| Error::Write {
                        location: self.location.clone(),
                        row: number,
                        message: e.to_string(),
                    })?;
                Ok(())
            };
            for (number, row) in &first {
                put(*number, row)?;
            }
            while let Some((number, row)) = rows.next_row() {
                put(number, &row)?;
            }
        }
        if !rows.finished() {
            // Dropped before `aclose`: the transaction rolls back with `tx`.
            return Err(Error::unsupported(
                &self.location,
                "the writer was dropped before it was closed; nothing was written",
            ));
        }
        tx.commit()
            .map_err(|e| db_error(&self.location, "committing", e))
    }

    /// Creates, replaces or checks the table; its columns, in order.
    fn prepare_table(&self, tx: &Transaction<'_>, first: &[(u64, Row)]) -> Result<Vec<String>> {
        let exists = tables(tx, &self.location)?
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&self.table));
        let table = quoted(&self.table);
        match (&self.mode, exists) {
            (TableMode::Create, true) => {
                return Err(Error::InvalidOption(format!(
                    "{}: the table {:?} exists already (mode create); use mode append or replace",
                    self.location, self.table
                )));
            }
            (TableMode::Replace, true) => {
                tx.execute_batch(&format!("DROP TABLE {table}"))
                    .map_err(|e| db_error(&self.location, "dropping the table", e))?;
            }
            (_, true) => return self.existing_columns(tx),
            _ => {}
        }
        let columns = column_types(first.iter().map(|(_, r)| r));
        if columns.is_empty() {
            return Err(Error::InvalidOption(format!(
                "{}: no rows to make the table {:?} from",
                self.location, self.table
            )));
        }
        let mut definition: Vec<String> = columns
            .iter()
            .map(|(name, ty)| format!("{} {ty}", quoted(name)))
            .collect();
        if !self.keys.is_empty() {
            let keys: Vec<String> = self.keys.iter().map(|k| quoted(k)).collect();
            definition.push(format!("PRIMARY KEY ({})", keys.join(", ")));
        }
        tx.execute_batch(&format!("CREATE TABLE {table} ({})", definition.join(", ")))
            .map_err(|e| db_error(&self.location, "creating the table", e))?;
        Ok(columns.into_iter().map(|(name, _)| name).collect())
    }

    fn existing_columns(&self, tx: &Transaction<'_>) -> Result<Vec<String>> {
        let sql = format!("SELECT * FROM {} LIMIT 0", quoted(&self.table));
        let statement = tx
            .prepare(&sql)
            .map_err(|e| db_error(&self.location, "reading the table's columns", e))?;
        Ok(statement
            .column_names()
            .iter()
            .map(|n| n.to_string())
            .collect())
    }

    fn insert_sql(&self, columns: &[String]) -> String {
        let names: Vec<String> = columns.iter().map(|c| quoted(c)).collect();
        let marks = vec!["?"; columns.len()].join(", ");
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ({marks})",
            quoted(&self.table),
            names.join(", ")
        );
        if self.mode == TableMode::Upsert {
            let keys: Vec<String> = self.keys.iter().map(|k| quoted(k)).collect();
            let updates: Vec<String> = columns
                .iter()
                .filter(|c| !self.keys.contains(c))
                .map(|c| format!("{0} = excluded.{0}", quoted(c)))
                .collect();
            if updates.is_empty() {
                sql.push_str(&format!(" ON CONFLICT ({}) DO NOTHING", keys.join(", ")));
            } else {
                sql.push_str(&format!(
                    " ON CONFLICT ({}) DO UPDATE SET {}",
                    keys.join(", "),
                    updates.join(", ")
                ));
            }
        }
        sql
    }
}

/// A row value as an SQL parameter, text and bytes lent rather than copied.
struct Param<'a>(Option<&'a Value>);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self.0 {
            None | Some(Value::Null) => ToSqlOutput::Borrowed(ValueRef::Null),
            Some(Value::String(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Some(Value::Bytes(b)) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Some(other) => ToSqlOutput::Owned(to_sql(other)),
        })
    }
}

/// The columns of `rows` in first-seen order, each typed by its first value that is
/// not null (text when all are null).
fn column_types<'a>(rows: impl Iterator<Item = &'a Row>) -> Vec<(String, &'static str)> {
    let mut columns: Vec<(String, Option<&'static str>)> = Vec::new();
    for row in rows {
        for (name, value) in row.iter() {
            let ty = (!matches!(value, Value::Null)).then(|| declared_type(value));
            match columns.iter_mut().find(|(n, _)| n == name) {
                Some((_, known @ None)) => *known = ty,
                Some(_) => {}
                None => columns.push((name.to_owned(), ty)),
            }
        }
    }
    columns
        .into_iter()
        .map(|(name, ty)| (name, ty.unwrap_or("TEXT")))
        .collect()
}
