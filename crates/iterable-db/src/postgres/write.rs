//! Writing rows to a table of a PostgreSQL server by `COPY … FROM STDIN`, in one
//! transaction that `aclose` commits: a writer that fails or is dropped leaves the
//! table as it was (the server rolls back when the connection closes).
//!
//! - append: the table is created from the rows when missing, then the rows copied in;
//! - create: the same, and an error when the table exists;
//! - replace: the table is dropped and made again from the rows;
//! - upsert: the rows are copied into a temporary table, then inserted with
//!   `ON CONFLICT (keys) DO UPDATE`, the last row of a key winning.

use bytes::Bytes;
use futures_util::SinkExt;
use iterable_core::{
    BoxIterable, Codec, Error, Format, IterableInfo, Mode, Result, Row, TableMode,
};
use iterable_formats::blocking_bridge::{BridgeConfig, RowReceiver, spawn_consumer};
use tokio::runtime::Handle;
use tokio_postgres::Client;

use super::encode::{ColumnType, Target, field};
use super::{connect, describe, pg_error, quoted, table_name};
use crate::DatabaseLocation;
use crate::layout::Layout;

/// Bytes of COPY text gathered before they are sent.
const CHUNK: usize = 256 * 1024;

/// The temporary table an upsert copies into.
const STAGE: &str = "iterable_upsert_stage";

/// Opens `db` to write its `table` as `mode` says.
pub(crate) async fn open(
    db: &DatabaseLocation,
    batch_size: usize,
    scan_rows: usize,
) -> Result<BoxIterable> {
    let location = db.display.clone();
    let table = db.table_to_write()?;
    // Connecting here makes a wrong password or host an error of the open call.
    let client = connect(db).await?;
    let info = IterableInfo {
        encoding: None,
        location: location.clone(),
        format: Format::new("postgres"),
        codec: Codec::None,
        mode: Mode::Write,
    };
    let plan = Plan {
        location,
        table: table_name(db.options.schema.as_deref(), &table),
        table_label: table,
        mode: db.options.mode.clone(),
        keys: db.options.keys.clone(),
        scan_rows: scan_rows.max(1),
        handle: Handle::current(),
    };
    let config = BridgeConfig::for_batch_size(batch_size);
    let writer = spawn_consumer(tokio::io::sink(), info, config, move |output, rows| {
        plan.write(&client, rows).map(|()| output)
    });
    Ok(Box::new(writer))
}

/// What one write does.
struct Plan {
    location: String,
    /// The table as SQL (quoted, with its schema).
    table: String,
    /// The table as given, for messages.
    table_label: String,
    mode: TableMode,
    keys: Vec<String>,
    scan_rows: usize,
    handle: Handle,
}

impl Plan {
    fn run(&self, client: &Client, sql: &str, doing: &str) -> Result<()> {
        self.handle
            .block_on(client.batch_execute(sql))
            .map_err(|e| pg_error(&self.location, doing, &e))
    }

    fn write(&self, client: &Client, rows: &mut RowReceiver) -> Result<()> {
        self.run(client, "BEGIN", "starting the transaction")?;
        // The first rows decide the columns of a table made here.
        let mut first = Vec::new();
        while first.len() < self.scan_rows {
            match rows.next_row() {
                Some(row) => first.push(row),
                None => break,
            }
        }
        let columns = self.prepare_table(client, &first)?;
        let names: Vec<String> = columns.iter().map(|(name, _)| name.clone()).collect();
        let targets: Vec<Target> = columns.iter().map(|(_, target)| *target).collect();
        let quoted_names: Vec<String> = names.iter().map(|n| quoted(n)).collect();
        let into = if self.mode == TableMode::Upsert {
            self.run(
                client,
                &format!(
                    "CREATE TEMPORARY TABLE {STAGE} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP; \
                     ALTER TABLE {STAGE} ADD COLUMN iterable_row_order bigserial",
                    self.table
                ),
                "making the upsert's temporary table",
            )?;
            STAGE.to_owned()
        } else {
            self.table.clone()
        };
        let copy = format!("COPY {into} ({}) FROM STDIN", quoted_names.join(", "));
        let sink = self
            .handle
            .block_on(client.copy_in::<_, Bytes>(copy.as_str()))
            .map_err(|e| pg_error(&self.location, "starting the COPY", &e))?;
        let mut sink = Box::pin(sink);
        let mut buffer = Vec::with_capacity(CHUNK + 4096);
        let mut layout = Layout::default();
        let mut put = |number: u64, row: &Row, buffer: &mut Vec<u8>| -> Result<()> {
            let places = layout.places(row, &names, &self.table_label, &self.location, number)?;
            for (i, (place, target)) in places.iter().zip(&targets).enumerate() {
                if i > 0 {
                    buffer.push(b'\t');
                }
                match place {
                    Some(at) => field(&row.values()[*at], *target, buffer),
                    None => buffer.extend_from_slice(b"\\N"),
                }
            }
            buffer.push(b'\n');
            Ok(())
        };
        let mut send = |buffer: &mut Vec<u8>| -> Result<()> {
            let chunk = Bytes::from(std::mem::replace(buffer, Vec::with_capacity(CHUNK + 4096)));
            self.handle
                .block_on(sink.as_mut().send(chunk))
                .map_err(|e| self.copy_error(&e))
        };
        for (number, row) in &first {
            put(*number, row, &mut buffer)?;
            if buffer.len() >= CHUNK {
                send(&mut buffer)?;
            }
        }
        drop(first);
        while let Some((number, row)) = rows.next_row() {
            put(number, &row, &mut buffer)?;
            if buffer.len() >= CHUNK {
                send(&mut buffer)?;
            }
        }
        if !rows.finished() {
            // Dropped before `aclose`: the connection closes with the client and the
            // server rolls the transaction back.
            return Err(Error::unsupported(
                &self.location,
                "the writer was dropped before it was closed; nothing was written",
            ));
        }
        if !buffer.is_empty() {
            send(&mut buffer)?;
        }
        self.handle
            .block_on(sink.as_mut().finish())
            .map_err(|e| self.copy_error(&e))?;
        if self.mode == TableMode::Upsert {
            self.run(
                client,
                &self.upsert_sql(&quoted_names),
                "upserting the rows",
            )?;
        }
        self.run(client, "COMMIT", "committing")
    }

    /// A failed COPY: the row the server names (its line of the COPY, which is the
    /// row's number), the column and the value, in the server's words.
    fn copy_error(&self, e: &tokio_postgres::Error) -> Error {
        let Some(db) = e.as_db_error() else {
            return pg_error(&self.location, "copying the rows", e);
        };
        let context = db.where_().unwrap_or("");
        let line = context
            .split(", line ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse::<u64>().ok());
        match line {
            Some(row) => {
                let column = context
                    .split_once(", column ")
                    .map(|(_, c)| format!(", column {c}"))
                    .unwrap_or_default();
                Error::Write {
                    location: self.location.clone(),
                    row,
                    message: format!(
                        "PostgreSQL, copying into {}{column}: {}",
                        self.table_label,
                        describe(e)
                    ),
                }
            }
            None => pg_error(&self.location, "copying the rows", e),
        }
    }

    /// Creates, replaces or checks the table; the columns written, in order, with
    /// what each asks of its values.
    fn prepare_table(
        &self,
        client: &Client,
        first: &[(u64, Row)],
    ) -> Result<Vec<(String, Target)>> {
        let exists: Option<String> = self
            .handle
            .block_on(client.query_one("SELECT to_regclass($1)::text", &[&self.table]))
            .map_err(|e| pg_error(&self.location, "looking for the table", &e))?
            .get(0);
        match (&self.mode, exists.is_some()) {
            (TableMode::Create, true) => {
                return Err(Error::InvalidOption(format!(
                    "{}: the table {:?} exists already (mode create); use mode append or replace",
                    self.location, self.table_label
                )));
            }
            (TableMode::Replace, true) => {
                self.run(
                    client,
                    &format!("DROP TABLE {}", self.table),
                    "dropping the table",
                )?;
            }
            (_, true) => return self.existing_columns(client, first),
            _ => {}
        }
        let columns = column_types(first.iter().map(|(_, r)| r));
        if columns.is_empty() {
            return Err(Error::InvalidOption(format!(
                "{}: no rows to make the table {:?} from",
                self.location, self.table_label
            )));
        }
        let mut definition: Vec<String> = columns
            .iter()
            .map(|(name, ty)| format!("{} {}", quoted(name), ty.sql()))
            .collect();
        if !self.keys.is_empty() {
            let keys: Vec<String> = self.keys.iter().map(|k| quoted(k)).collect();
            definition.push(format!("PRIMARY KEY ({})", keys.join(", ")));
        }
        self.run(
            client,
            &format!("CREATE TABLE {} ({})", self.table, definition.join(", ")),
            "creating the table",
        )?;
        Ok(columns
            .into_iter()
            .map(|(name, ty)| {
                let target = match ty {
                    ColumnType::Array(_) => Target::Array,
                    _ => Target::Scalar,
                };
                (name, target)
            })
            .collect())
    }

    /// The table's columns that the first rows have (the others keep their defaults).
    fn existing_columns(
        &self,
        client: &Client,
        first: &[(u64, Row)],
    ) -> Result<Vec<(String, Target)>> {
        let statement = self
            .handle
            .block_on(client.prepare(&format!("SELECT * FROM {} LIMIT 0", self.table)))
            .map_err(|e| pg_error(&self.location, "reading the table's columns", &e))?;
        let table: Vec<(String, Target)> = statement
            .columns()
            .iter()
            .map(|c| (c.name().to_owned(), Target::of(c.type_())))
            .collect();
        for (number, row) in first {
            if let Some(extra) = row.keys().find(|k| !table.iter().any(|(c, _)| c == k)) {
                let names: Vec<&str> = table.iter().map(|(c, _)| c.as_str()).collect();
                return Err(Error::Write {
                    location: self.location.clone(),
                    row: *number,
                    message: format!(
                        "the column {extra:?} is not in the table {:?} (its columns: {})",
                        self.table_label,
                        names.join(", ")
                    ),
                });
            }
        }
        let used: Vec<(String, Target)> = table
            .into_iter()
            .filter(|(c, _)| {
                first
                    .iter()
                    .any(|(_, row)| row.header().position(c).is_some())
            })
            .collect();
        Ok(used)
    }

    fn upsert_sql(&self, columns: &[String]) -> String {
        let keys: Vec<String> = self.keys.iter().map(|k| quoted(k)).collect();
        let list = columns.join(", ");
        let updates: Vec<String> = columns
            .iter()
            .filter(|c| !keys.contains(c))
            .map(|c| format!("{c} = EXCLUDED.{c}"))
            .collect();
        let action = if updates.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            format!("DO UPDATE SET {}", updates.join(", "))
        };
        format!(
            "INSERT INTO {table} ({list}) SELECT DISTINCT ON ({keys}) {list} FROM {STAGE} \
             ORDER BY {keys}, iterable_row_order DESC ON CONFLICT ({keys}) {action}",
            table = self.table,
            keys = keys.join(", "),
        )
    }
}

/// The columns of `rows` in first-seen order, each typed by the values it holds
/// (text when all are null).
fn column_types<'a>(rows: impl Iterator<Item = &'a Row>) -> Vec<(String, ColumnType)> {
    let mut columns: Vec<(String, Option<ColumnType>)> = Vec::new();
    for row in rows {
        for (name, value) in row.iter() {
            let ty = ColumnType::of(value);
            match columns.iter_mut().find(|(n, _)| n == name) {
                Some((_, known)) => {
                    if let Some(ty) = ty {
                        *known = Some(known.map_or(ty, |k| k.widen(ty)));
                    }
                }
                None => columns.push((name.to_owned(), ty)),
            }
        }
    }
    columns
        .into_iter()
        .map(|(name, ty)| (name, ty.unwrap_or(ColumnType::Text)))
        .collect()
}
