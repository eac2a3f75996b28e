//! `sql`: a query over locations (DataFusion through iterable-datafusion), its result
//! written as batches to stdout or to an output location.

use anyhow::Result;
use iterable::Format;

use crate::args::ReadArgs;

/// The query and the tables it reads.
pub struct Query<'a> {
    /// The SQL text.
    pub text: &'a str,
    /// `NAME=LOCATION` tables registered before the query runs.
    pub tables: &'a [String],
    /// Whether delimited text stays text.
    pub keep_text: bool,
}

/// Runs `query`; its result goes to `output` (stdout when `None` or `-`) as `to`.
#[cfg(feature = "sql")]
pub async fn run(
    query: &Query<'_>,
    output: Option<&str>,
    to: Option<Format>,
    read: &ReadArgs,
) -> Result<()> {
    use anyhow::{Context, bail};
    use futures::StreamExt;
    use iterable::IterableOptions;
    use iterable_datafusion::{TableOptions, register_location, session_context};

    let output = output.unwrap_or("-");
    let to = match (to, output) {
        (None, "-") => Some(Format::JSONL),
        (to, _) => to,
    };
    read.check_write_flags(output, to)?;
    if output == "-" {
        super::cat::refuse_binary_on_a_terminal(to.unwrap_or(Format::JSONL))?;
    }
    let options = TableOptions::new()
        .read(read.options()?)
        .type_text(!query.keep_text);
    let ctx = session_context(options.clone());
    for table in query.tables {
        let Some((name, location)) = table.split_once('=') else {
            bail!("--table {table:?}: give NAME=LOCATION");
        };
        register_location(&ctx, name, location, &options)
            .await
            .map_err(plain)
            .with_context(|| format!("--table {name}"))?;
    }
    let frame = ctx.sql(query.text).await.map_err(plain)?;
    let mut batches = frame.execute_stream().await.map_err(plain)?;
    let mut write = read.write_options(IterableOptions::write())?;
    if let Some(to) = to {
        write = write.format(to);
    }
    let mut dst = iterable::arrow::aopen_batch_writer(output, &write).await?;
    while let Some(batch) = batches.next().await {
        let batch = batch.map_err(plain)?;
        dst.write(&batch).await?;
    }
    dst.close().await?;
    Ok(())
}

/// Built without the `sql` feature: says so.
#[cfg(not(feature = "sql"))]
pub async fn run(_: &Query<'_>, _: Option<&str>, _: Option<Format>, _: &ReadArgs) -> Result<()> {
    anyhow::bail!("this iterable was built without SQL (the `sql` feature of iterable-cli)")
}

/// A DataFusion error as the user reads it: iterable's own text for a location that
/// failed (the file, the row, the byte offset), DataFusion's for the query.
#[cfg(feature = "sql")]
fn plain(error: iterable_datafusion::datafusion::error::DataFusionError) -> anyhow::Error {
    use iterable_datafusion::datafusion::error::DataFusionError;
    match error.find_root() {
        DataFusionError::External(inner) => anyhow::anyhow!("{inner}"),
        _ => anyhow::anyhow!("{error}"),
    }
}
