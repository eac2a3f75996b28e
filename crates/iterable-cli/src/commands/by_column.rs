//! Something kept for each column of the rows seen, in first-seen order: what
//! `frequency` and `stats` gather. A row's columns are found by name once per header
//! (rows that share a header share the lookup).

use std::sync::Arc;

use iterable::{Header, Row, Value};

/// A `T` a column, by name, in the order the columns were first seen.
pub(crate) struct ByColumn<T> {
    columns: Vec<(String, T)>,
    /// The last header and each of its columns' place in `columns`.
    last: Option<(Arc<Header>, Vec<usize>)>,
}

impl<T> Default for ByColumn<T> {
    fn default() -> Self {
        ByColumn {
            columns: Vec::new(),
            last: None,
        }
    }
}

impl<T> ByColumn<T> {
    /// Hands each value of `row` to its column's `T` (made by `new` for a column not
    /// seen before).
    pub(crate) fn add(
        &mut self,
        row: &Row,
        new: impl Fn(&str) -> T,
        mut take: impl FnMut(&mut T, &Value),
    ) {
        let same = matches!(&self.last, Some((h, _)) if Arc::ptr_eq(h, row.header()));
        if !same {
            let places = row
                .keys()
                .map(
                    |key| match self.columns.iter().position(|(n, _)| n == key) {
                        Some(at) => at,
                        None => {
                            self.columns.push((key.to_owned(), new(key)));
                            self.columns.len() - 1
                        }
                    },
                )
                .collect();
            self.last = Some((row.header().clone(), places));
        }
        let Some((_, places)) = &self.last else {
            unreachable!("set above")
        };
        for (value, &at) in row.values().iter().zip(places) {
            take(&mut self.columns[at].1, value);
        }
    }

    /// The columns, in first-seen order, with their names.
    pub(crate) fn into_columns(self) -> Vec<(String, T)> {
        self.columns
    }
}
