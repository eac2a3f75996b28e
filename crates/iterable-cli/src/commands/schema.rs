//! `schema`: the columns of a location and their Arrow types, one `name: type` a line.

use anyhow::Result;
use iterable::arrow::{aschema, schema_to_text};
use tokio::io::AsyncWriteExt;

use crate::args::ReadArgs;

/// Prints the columns of `location`; the types are Arrow's text form, which the
/// `schema` write option takes back. With `sheets`, the sheet names of a workbook.
pub async fn run(location: &str, sheets: bool, read: &ReadArgs) -> Result<()> {
    let mut text = String::new();
    if sheets {
        for name in iterable::sheet_names(location).await? {
            text.push_str(&name);
            text.push('\n');
        }
    } else {
        let schema = aschema(location, &read.options()?).await?;
        for (name, data_type) in schema_to_text(&schema) {
            text.push_str(&name);
            text.push_str(": ");
            text.push_str(&data_type);
            text.push('\n');
        }
    }
    let mut out = tokio::io::stdout();
    out.write_all(text.as_bytes()).await?;
    out.flush().await?;
    Ok(())
}
