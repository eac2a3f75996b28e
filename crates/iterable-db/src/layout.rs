//! Which value of a row goes to which column of a table.

use iterable_core::{Error, Result, Row};

/// Where each table column's value is in rows of one header, worked out once for the
/// rows that share it.
#[derive(Default)]
pub(crate) struct Layout {
    header: Option<std::sync::Arc<iterable_core::Header>>,
    places: Vec<Option<usize>>,
}

impl Layout {
    /// For each table column, the position of its value in `row` (`None`: null); a key
    /// the table lacks is an error naming the row.
    pub(crate) fn places(
        &mut self,
        row: &Row,
        columns: &[String],
        table: &str,
        location: &str,
        number: u64,
    ) -> Result<&[Option<usize>]> {
        let same = self
            .header
            .as_ref()
            .is_some_and(|h| std::sync::Arc::ptr_eq(h, row.header()));
        if !same {
            if let Some(extra) = row.keys().find(|k| !columns.iter().any(|c| c == k)) {
                return Err(Error::Write {
                    location: location.to_owned(),
                    row: number,
                    message: format!(
                        "the column {extra:?} is not in the table {table:?} (its columns: {})",
                        columns.join(", ")
                    ),
                });
            }
            self.places = columns.iter().map(|c| row.header().position(c)).collect();
            self.header = Some(row.header().clone());
        }
        Ok(&self.places)
    }
}
