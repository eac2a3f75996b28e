//! Reading a table or a query of a PostgreSQL server: the query is prepared on open
//! (bad SQL or a missing table is an error there), then its rows stream by binary
//! `COPY (query) TO STDOUT` and are decoded on a blocking thread, batch by batch,
//! with the socket's flow control holding the server back: memory stays flat.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::StreamExt;
use iterable_core::{BoxIterable, Codec, Error, Format, Header, IterableInfo, Mode, Result, Row};
use iterable_formats::blocking_bridge::{BridgeConfig, ReaderSetup, spawn_producer};
use tokio_postgres::Client;

use super::copy_binary::{CopyParser, Parsed};
use super::decode::Decoder;
use super::{connect, pg_error, quoted, table_name};
use crate::{ColumnDescription, ColumnKind, DatabaseLocation};

/// A query prepared to run as a binary COPY: bad SQL or a missing table is an error
/// here, before any row is read.
struct Prepared {
    client: Client,
    copy: String,
    names: Vec<String>,
    decoders: Vec<Decoder>,
    location: String,
}

async fn prepare(db: &DatabaseLocation) -> Result<Prepared> {
    let location = db.display.clone();
    let client = connect(db).await?;
    let query = query_of(&client, db).await?;
    let statement = client
        .prepare(&query)
        .await
        .map_err(|e| pg_error(&location, "preparing the query", &e))?;
    let names: Vec<String> = statement
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let decoders: Vec<Option<Decoder>> = statement
        .columns()
        .iter()
        .map(|c| Decoder::of(c.type_()))
        .collect();
    let copy = copy_statement(&query, &decoders);
    let decoders = decoders
        .into_iter()
        .map(|d| d.unwrap_or(Decoder::Text))
        .collect();
    Ok(Prepared {
        client,
        copy,
        names,
        decoders,
        location,
    })
}

/// What a taker did with the rows the parser holds.
enum Taken {
    /// Took every whole row: more bytes are needed.
    More,
    /// Met the end of the COPY.
    End,
    /// The reader went away: stop.
    Stop,
}

impl Prepared {
    /// Runs the COPY on this (blocking) thread, each chunk pushed into `parser` and
    /// the whole rows taken by `take`; the end is checked to be the command's.
    fn run(
        self,
        handle: &tokio::runtime::Handle,
        parser: &mut CopyParser,
        bytes_read: Option<&std::sync::atomic::AtomicU64>,
        mut take: impl FnMut(&mut CopyParser) -> Result<Taken, String>,
    ) -> Result<()> {
        let location = self.location;
        let invalid = |message: String| Error::Io {
            location: location.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, message),
        };
        let mut stream = Box::pin(
            handle
                .block_on(self.client.copy_out(self.copy.as_str()))
                .map_err(|e| pg_error(&location, "running the query", &e))?,
        );
        loop {
            let chunk = match handle.block_on(stream.next()) {
                Some(Ok(chunk)) => chunk,
                Some(Err(e)) => {
                    return Err(pg_error(
                        &location,
                        &format!("reading after row {}", parser.rows),
                        &e,
                    ));
                }
                None => {
                    return Err(Error::Io {
                        location: location.clone(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            format!(
                                "PostgreSQL: the rows ended after row {} without the end of the COPY",
                                parser.rows
                            ),
                        ),
                    });
                }
            };
            parser.push(&chunk);
            if let Some(bytes_read) = bytes_read {
                bytes_read.store(parser.bytes, Ordering::Relaxed);
            }
            match take(parser).map_err(invalid)? {
                Taken::More => continue,
                Taken::Stop => return Ok(()),
                Taken::End => {
                    // The stream ends with the command's completion.
                    while let Some(rest) = handle.block_on(stream.next()) {
                        rest.map_err(|e| pg_error(&location, "finishing the query", &e))?;
                    }
                    if parser.has_partial() {
                        return Err(invalid(
                            "PostgreSQL: bytes after the end of the COPY".to_owned(),
                        ));
                    }
                    return Ok(());
                }
            }
        }
    }
}

/// Opens `db` to read: its `query`, or its `table` (the only table of the database
/// when none is named).
pub(crate) async fn open(db: &DatabaseLocation, batch_size: usize) -> Result<BoxIterable> {
    let prepared = prepare(db).await?;
    let header = Arc::new(Header::new(iterable_core::unique_column_names(
        &prepared.names,
    )));
    let info = IterableInfo {
        encoding: None,
        location: prepared.location.clone(),
        format: Format::new("postgres"),
        codec: Codec::None,
        mode: Mode::Read,
    };
    let setup = ReaderSetup::new(info, BridgeConfig::for_batch_size(batch_size));
    let bytes_read = setup.bytes_read.clone();
    let handle = tokio::runtime::Handle::current();
    let reader = spawn_producer(tokio::io::empty(), setup, move |_input, rows| {
        let mut parser = CopyParser::new(prepared.decoders.clone(), prepared.names.clone());
        prepared.run(&handle, &mut parser, Some(&bytes_read), |parser| {
            loop {
                match parser.next()? {
                    Parsed::Row(values) => {
                        if !rows.send(Row::from_parts(header.clone(), values)) {
                            return Ok(Taken::Stop);
                        }
                    }
                    Parsed::More => return Ok(Taken::More),
                    Parsed::End => return Ok(Taken::End),
                }
            }
        })
    });
    Ok(Box::new(reader))
}

/// Opens `db` to read as record batches of `schema` (its catalog's, see
/// `describe`), `batch_size` rows a batch: the COPY's fields go straight into Arrow
/// arrays on a blocking thread, batches handed over a channel of two.
#[cfg(feature = "arrow")]
pub(crate) async fn open_batches(
    db: &DatabaseLocation,
    schema: arrow_schema::SchemaRef,
    batch_size: usize,
) -> Result<iterable_formats::columnar::BatchStream> {
    use super::copy_batches::BatchBuilder;
    use super::copy_binary::Step;
    use arrow_array::RecordBatch;

    let prepared = prepare(db).await?;
    if prepared.decoders.len() != schema.fields().len() {
        return Err(Error::InvalidOption(format!(
            "{}: the schema has {} columns where the query has {}",
            prepared.location,
            schema.fields().len(),
            prepared.decoders.len()
        )));
    }
    let batch_size = batch_size.max(1);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch>>(2);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut builder = BatchBuilder::new(schema, &prepared.decoders);
        let mut parser = CopyParser::new(Vec::new(), prepared.names.clone());
        let mut first_row = 1u64;
        let done = prepared.run(&handle, &mut parser, None, |parser| {
            loop {
                let step = parser.next_into(&mut builder)?;
                if step == Step::Row {
                    builder.row_done();
                }
                let full = builder.rows() >= batch_size;
                if full || (step == Step::End && builder.rows() > 0) {
                    let rows = builder.rows() as u64;
                    let batch = builder.finish(first_row)?;
                    first_row += rows;
                    if tx.blocking_send(Ok(batch)).is_err() {
                        return Ok(Taken::Stop);
                    }
                }
                match step {
                    Step::Row => {}
                    Step::More => return Ok(Taken::More),
                    Step::End => return Ok(Taken::End),
                }
            }
        });
        if let Err(e) = done {
            let _ = tx.blocking_send(Err(e));
        }
    });
    Ok(Box::pin(futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|batch| (batch, rx)) },
    )))
}

/// The columns of what `db` reads, from the prepared statement and, for a table, the
/// catalog's `NOT NULL`.
pub(crate) async fn describe(db: &DatabaseLocation) -> Result<Vec<ColumnDescription>> {
    let client = connect(db).await?;
    let query = query_of(&client, db).await?;
    let statement = client
        .prepare(&query)
        .await
        .map_err(|e| pg_error(&db.display, "preparing the query", &e))?;
    let columns = statement.columns();
    // Only a whole table's columns are sure not to be null: a query may join to them.
    let not_null: Vec<bool> = if db.options.query.is_none() {
        let tables: Vec<u32> = columns.iter().map(|c| c.table_oid().unwrap_or(0)).collect();
        let numbers: Vec<i16> = columns.iter().map(|c| c.column_id().unwrap_or(0)).collect();
        client
            .query(
                "SELECT coalesce(a.attnotnull, false) FROM unnest($1::oid[], $2::int2[])                  WITH ORDINALITY AS c(rel, num, ord)                  LEFT JOIN pg_attribute a ON a.attrelid = c.rel AND a.attnum = c.num                  ORDER BY c.ord",
                &[&tables, &numbers],
            )
            .await
            .map_err(|e| pg_error(&db.display, "reading the columns", &e))?
            .iter()
            .map(|r| r.get(0))
            .collect()
    } else {
        vec![false; columns.len()]
    };
    let names: Vec<String> = columns.iter().map(|c| c.name().to_owned()).collect();
    let names = iterable_core::unique_column_names(&names);
    Ok(columns
        .iter()
        .zip(names)
        .zip(not_null)
        .map(|((column, name), not_null)| ColumnDescription {
            name,
            kind: kind_of(column),
            nullable: !not_null,
        })
        .collect())
}

fn kind_of(column: &tokio_postgres::Column) -> ColumnKind {
    let Some(decoder) = Decoder::of(column.type_()) else {
        return ColumnKind::Text;
    };
    match decoder {
        Decoder::Bool => ColumnKind::Bool,
        Decoder::Int2 | Decoder::Int4 | Decoder::Int8 | Decoder::Oid => ColumnKind::Int,
        Decoder::Float4 | Decoder::Float8 => ColumnKind::Float,
        Decoder::Numeric => {
            // The type modifier of numeric(p, s) is ((p << 16) | s) + 4.
            let modifier = column.type_modifier();
            let precision = (modifier - 4) >> 16;
            let scale = (modifier - 4) & 0xffff;
            if modifier >= 4 && (1..=38).contains(&precision) && scale <= precision {
                ColumnKind::Decimal {
                    precision: precision as u8,
                    scale: scale as i8,
                }
            } else {
                ColumnKind::Values
            }
        }
        Decoder::Text
        | Decoder::Char
        | Decoder::Time
        | Decoder::TimeTz
        | Decoder::Interval
        | Decoder::Uuid => ColumnKind::Text,
        Decoder::Bytea => ColumnKind::Bytes,
        Decoder::Date => ColumnKind::Date,
        Decoder::Timestamp => ColumnKind::Timestamp { utc: false },
        Decoder::TimestampTz => ColumnKind::Timestamp { utc: true },
        Decoder::Json | Decoder::Jsonb | Decoder::Array(_) => ColumnKind::Values,
    }
}

/// The query to run: the one given, or all of the table (only the `columns` asked).
async fn query_of(client: &Client, db: &DatabaseLocation) -> Result<String> {
    if let Some(query) = &db.options.query {
        return Ok(query.trim().trim_end_matches(';').trim_end().to_owned());
    }
    let table = match &db.options.table {
        Some(table) => table_name(db.options.schema.as_deref(), table),
        None => only_table(client, db).await?,
    };
    let columns = db.select_list(quoted);
    Ok(format!("SELECT {columns} FROM {table}"))
}

/// The one table of the database (of its `schema`, or of the schemas users make);
/// an error listing them when there are several.
async fn only_table(client: &Client, db: &DatabaseLocation) -> Result<String> {
    let rows = client
        .query(
            "SELECT table_schema, table_name FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
             AND table_schema NOT LIKE 'pg_toast%' AND table_schema NOT LIKE 'pg_temp%' \
             AND ($1::text IS NULL OR table_schema = $1) \
             ORDER BY table_schema, table_name",
            &[&db.options.schema],
        )
        .await
        .map_err(|e| pg_error(&db.display, "listing the tables", &e))?;
    let tables: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    match tables.as_slice() {
        [(schema, table)] => Ok(format!("{}.{}", quoted(schema), quoted(table))),
        [] => Err(Error::InvalidOption(format!(
            "{}: the database has no table to read",
            db.display
        ))),
        many => Err(Error::InvalidOption(format!(
            "{}: the database has {} tables ({}); name one with ?table= or a query with ?query=",
            db.display,
            many.len(),
            many.iter()
                .map(|(s, t)| if s == "public" {
                    t.clone()
                } else {
                    format!("{s}.{t}")
                })
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// `COPY (query) TO STDOUT` in binary; columns of types without a binary decoder here
/// are cast to text by the server.
fn copy_statement(query: &str, decoders: &[Option<Decoder>]) -> String {
    if decoders.iter().all(Option::is_some) {
        return format!("COPY ({query}) TO STDOUT (FORMAT binary)");
    }
    // Positional aliases, so that columns of the same name (or none) can be cast.
    let aliases: Vec<String> = (1..=decoders.len()).map(|i| format!("c{i}")).collect();
    let select: Vec<String> = decoders
        .iter()
        .zip(&aliases)
        .map(|(decoder, alias)| match decoder {
            Some(_) => alias.clone(),
            None => format!("{alias}::text"),
        })
        .collect();
    format!(
        "COPY (SELECT {} FROM ({query}) AS q({})) TO STDOUT (FORMAT binary)",
        select.join(", "),
        aliases.join(", ")
    )
}
