//! `select`: some columns, in the order asked, each renamed if asked (`old:new`).

use std::sync::Arc;

use anyhow::{Result, bail};
use iterable::{Header, Row, Value};

use super::cat::{Columns, Output, each_row};
use crate::args::ReadArgs;

/// One asked column: the name in the input and the name in the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pick {
    from: String,
    to: String,
}

/// Reads `id,name:full_name`: columns by name, in order, `old:new` to rename.
pub(crate) fn parse_picks(list: &str) -> Result<Vec<Pick>> {
    let mut picks = Vec::new();
    for item in list.split(',').map(str::trim) {
        let (from, to) = item.split_once(':').unwrap_or((item, item));
        let (from, to) = (from.trim(), to.trim());
        if from.is_empty() || to.is_empty() {
            bail!("select: {item:?} is not a column: write NAME or NAME:NEW_NAME, comma separated");
        }
        picks.push(Pick {
            from: from.to_owned(),
            to: to.to_owned(),
        });
    }
    let mut names: Vec<&str> = picks.iter().map(|p| p.to.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        bail!("select: the output would have two columns named {:?}", w[0]);
    }
    Ok(picks)
}

/// Rows cut down to the picked columns under their new names.
pub(crate) struct Selector {
    picks: Vec<Pick>,
    header: Arc<Header>,
    /// The last input header and, for each pick, where its value sits in such a row.
    last: Option<(Arc<Header>, Vec<Option<usize>>)>,
}

impl Selector {
    pub(crate) fn new(picks: Vec<Pick>) -> Self {
        let header = Arc::new(Header::new(picks.iter().map(|p| p.to.clone()).collect()));
        Selector {
            picks,
            header,
            last: None,
        }
    }

    /// `row`'s picked values; a column that no row has yet is an error naming the
    /// columns there are, and a row without a picked column gets a null there.
    pub(crate) fn select(&mut self, row: &Row, location: &str, first: bool) -> Result<Row> {
        let same = matches!(&self.last, Some((h, _)) if Arc::ptr_eq(h, row.header()));
        if !same {
            let positions: Vec<Option<usize>> = self
                .picks
                .iter()
                .map(|p| row.header().position(&p.from))
                .collect();
            if first
                && let Some(missing) = self
                    .picks
                    .iter()
                    .zip(&positions)
                    .find(|(_, at)| at.is_none())
            {
                bail!(
                    "select: {location} has no column {:?} (it has: {})",
                    missing.0.from,
                    row.header().names().join(", ")
                );
            }
            self.last = Some((row.header().clone(), positions));
        }
        let Some((_, positions)) = &self.last else {
            unreachable!("set above")
        };
        let values = positions
            .iter()
            .map(|at| at.map_or(Value::Null, |i| row.values()[i].clone()))
            .collect();
        Ok(Row::from_parts(self.header.clone(), values))
    }
}

/// Writes the rows of `locations` with only the columns of `list`.
pub async fn run(list: &str, locations: &[String], read: &ReadArgs, out: Output) -> Result<()> {
    let mut selector = Selector::new(parse_picks(list)?);
    let location = iterable::mask_password(&locations.join(", "));
    let mut first = true;
    each_row(locations, read, out, Columns::Unknown, |row| {
        let picked = selector.select(&row, &location, first)?;
        first = false;
        Ok(Some(picked))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_are_names_in_order_with_renames() {
        let picks = parse_picks("id, name:full_name").unwrap();
        assert_eq!(picks[1].from, "name");
        assert_eq!(picks[1].to, "full_name");
        let err = parse_picks("a:x,b:x").unwrap_err().to_string();
        assert_eq!(err, "select: the output would have two columns named \"x\"");
        let err = parse_picks("a,,b").unwrap_err().to_string();
        assert!(err.contains("\"\" is not a column"), "{err}");
    }
}
