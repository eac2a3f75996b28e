//! `validate`: every row checked against a JSON Schema; each failure is a row of the
//! output (the row's number, where in it, what is wrong), and the exit code says
//! whether any row failed.

use anyhow::{Context, Result, anyhow};
use futures::StreamExt;
use iterable::{Format, row};

use super::Status;
use super::cat::{open_input, open_stdout};
use crate::args::ReadArgs;
use crate::exit::RowsFailed;

/// Checks the rows of `locations` against the JSON Schema in `schema_file`; writes one
/// row a failure (`row`, `path`, `keyword`, `message`) to stdout as `to`, at most
/// `max_errors` of them (0: all). Some rows failing is [`RowsFailed`] (exit code 3).
pub async fn run(
    schema_file: &std::path::Path,
    locations: &[String],
    read: &ReadArgs,
    to: Format,
    max_errors: usize,
    status: Status,
) -> Result<()> {
    let shown = schema_file.display();
    let text = std::fs::read_to_string(schema_file).with_context(|| format!("{shown}"))?;
    let schema: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{shown}: not JSON"))?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| anyhow!("{shown}: not a JSON Schema this validator takes: {e}"))?;
    let mut out = open_stdout(read, to).await?;
    let mut input = open_input(locations, read, status).await?;
    let max_errors = if max_errors == 0 {
        u64::MAX
    } else {
        max_errors as u64
    };
    let (mut rows, mut failed_rows, mut errors) = (0u64, 0u64, 0u64);
    while let Some(r) = input.src.next().await {
        let r = r?;
        rows += 1;
        let instance = serde_json::to_value(&r)?;
        let mut failed = false;
        for e in validator.iter_errors(&instance) {
            failed = true;
            errors += 1;
            if errors <= max_errors {
                out.awrite(&row! {
                    "row" => rows as i64,
                    "path" => e.instance_path().to_string(),
                    "keyword" => e.kind().keyword().to_owned(),
                    "message" => e.to_string(),
                })
                .await?;
            }
        }
        failed_rows += u64::from(failed);
    }
    out.aclose().await?;
    let location = iterable::mask_password(&input.location);
    input.finish().await?;
    if failed_rows > 0 {
        return Err(RowsFailed(format!(
            "{location}: {failed_rows} of {rows} row(s) do not fit {shown} ({errors} error(s))"
        ))
        .into());
    }
    Ok(())
}
