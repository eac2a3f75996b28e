//! Text fields gathered by column instead of by row: what the CSV parser fills on the
//! columnar road (see [`crate::csv`]), so that no [`Row`](iterable_core::Row) or
//! [`Value`](iterable_core::Value) is made for a record. Each column is laid out as an
//! Arrow `Utf8` array is (the text one field after another, and `rows + 1` offsets),
//! so the Arrow side takes the buffers without copying them.

use std::sync::Arc;

use iterable_core::Header;

/// A chunk of rows gathered by column, all of them text.
#[derive(Debug, Clone)]
pub struct TextColumns {
    header: Arc<Header>,
    columns: Vec<TextColumn>,
    rows: usize,
    /// Text bytes held, all columns together.
    bytes: usize,
}

/// One column of a [`TextColumns`]: field `i` is `text[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone)]
pub struct TextColumn {
    /// The fields' text, one after another (cut at character boundaries).
    pub(crate) text: String,
    /// Where each field starts, and where the last one ends.
    pub(crate) offsets: Vec<i32>,
    /// The rows (in order) that had no field for this column (a short record): null,
    /// where an empty field is empty text.
    pub(crate) missing: Vec<usize>,
}

impl TextColumn {
    /// Field `row`'s text (`None` where the record had no field for this column).
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub fn field(&self, row: usize) -> Option<&str> {
        if self.missing.binary_search(&row).is_ok() {
            return None;
        }
        Some(&self.text[self.offsets[row] as usize..self.offsets[row + 1] as usize])
    }
}

/// A field as the parser cut it out of a record, appended to its column's text.
pub(crate) trait FieldText {
    /// Appends the field's text to `text`.
    fn push_onto(&self, text: &mut String);
}

impl FieldText for &str {
    #[inline]
    fn push_onto(&self, text: &mut String) {
        text.push_str(self);
    }
}

/// A quoted field's text as it lies in the record: where `doubled`, each doubled
/// `quote` (an ASCII byte) in it stands for one.
pub(crate) struct QuotedField<'a> {
    pub(crate) text: &'a str,
    pub(crate) doubled: bool,
    pub(crate) quote: u8,
}

impl FieldText for QuotedField<'_> {
    fn push_onto(&self, text: &mut String) {
        if !self.doubled {
            text.push_str(self.text);
            return;
        }
        let mut rest = self.text;
        while let Some(i) = memchr::memchr(self.quote, rest.as_bytes()) {
            // The quote at `i` is followed by its double (an ASCII byte, so `i + 2` is
            // a character boundary).
            text.push_str(&rest[..=i]);
            rest = rest.get(i + 2..).unwrap_or("");
        }
        text.push_str(rest);
    }
}

/// A chunk is handed on once its text reaches this size, so that offsets stay well
/// inside `i32` and a chunk's memory stays bounded whatever the record sizes.
pub(crate) const MAX_CHUNK_TEXT: usize = 64 << 20;

impl TextColumns {
    /// An empty chunk with `header`'s columns.
    pub(crate) fn new(header: Arc<Header>) -> Self {
        let columns = (0..header.len())
            .map(|_| TextColumn {
                text: String::new(),
                offsets: vec![0],
                missing: Vec::new(),
            })
            .collect();
        TextColumns {
            header,
            columns,
            rows: 0,
            bytes: 0,
        }
    }

    /// The column names.
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub fn header(&self) -> &Arc<Header> {
        &self.header
    }

    /// The rows held.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// True when no row is held.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Whether the chunk should be handed on: `max_rows` rows, or [`MAX_CHUNK_TEXT`].
    pub(crate) fn is_full(&self, max_rows: usize) -> bool {
        self.rows >= max_rows || self.bytes >= MAX_CHUNK_TEXT
    }

    /// The columns, in the header's order.
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub fn columns(&self) -> &[TextColumn] {
        &self.columns
    }

    /// The columns, in the header's order.
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub fn into_columns(self) -> Vec<TextColumn> {
        self.columns
    }

    /// Adds one record: its fields in order (no more than the header has columns);
    /// the columns it lacks are missing in this row.
    pub(crate) fn push_record<F: FieldText>(&mut self, fields: impl IntoIterator<Item = F>) {
        let mut given = 0;
        for (column, field) in self.columns.iter_mut().zip(fields) {
            let before = column.text.len();
            field.push_onto(&mut column.text);
            column.offsets.push(column.text.len() as i32);
            self.bytes += column.text.len() - before;
            given += 1;
        }
        for column in &mut self.columns[given..] {
            column.missing.push(self.rows);
            column.offsets.push(column.text.len() as i32);
        }
        self.rows += 1;
    }

    /// Hands the rows held on, leaving an empty chunk with the same columns, each with
    /// room for as much as this one held and a little more (chunks are alike: a text
    /// buffer sized to the last chunk alone doubles, and stays doubled in the batch that
    /// takes it over, whenever the next chunk is a byte longer).
    pub(crate) fn take(&mut self) -> TextColumns {
        let columns = self
            .columns
            .iter()
            .map(|c| TextColumn {
                text: String::with_capacity(with_slack(c.text.len())),
                offsets: Vec::with_capacity(c.offsets.len()),
                missing: Vec::new(),
            })
            .collect();
        let mut empty = TextColumns {
            header: self.header.clone(),
            columns,
            rows: 0,
            bytes: 0,
        };
        for column in &mut empty.columns {
            column.offsets.push(0);
        }
        std::mem::replace(self, empty)
    }
}

/// Room for a chunk's text: the last chunk's length and 1/16 more (the length of many
/// rows together varies by far less).
pub(crate) fn with_slack(len: usize) -> usize {
    len + len / 16 + 64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_records_leave_their_last_columns_missing() {
        let header = Arc::new(Header::new(vec!["a".into(), "b".into()]));
        let mut chunk = TextColumns::new(header);
        chunk.push_record(["1", "x"]);
        chunk.push_record(["22"]);
        chunk.push_record(["", "yz"]);
        assert_eq!(chunk.rows(), 3);
        let columns = chunk.take().into_columns();
        assert_eq!(columns[0].text, "122");
        assert_eq!(columns[0].offsets, [0, 1, 3, 3]);
        assert!(columns[0].missing.is_empty());
        assert_eq!(columns[1].text, "xyz");
        assert_eq!(columns[1].offsets, [0, 1, 1, 3]);
        assert_eq!(columns[1].missing, [1]);
    }

    #[test]
    fn quoted_fields_give_one_quote_for_each_doubled_one() {
        let header = Arc::new(Header::new(vec!["a".into(), "b".into()]));
        let mut chunk = TextColumns::new(header);
        let field = |text, doubled| QuotedField {
            text,
            doubled,
            quote: b'"',
        };
        chunk.push_record([field(r#"x ""y"" é"#, true), field(r#"k""p"#, false)]);
        chunk.push_record([field(r#""""#, true), field("", true)]);
        let columns = chunk.take().into_columns();
        assert_eq!(columns[0].field(0), Some(r#"x "y" é"#));
        assert_eq!(columns[0].field(1), Some(r#"""#));
        assert_eq!(
            columns[1].field(0),
            Some(r#"k""p"#),
            "not doubled: as it lies"
        );
        assert_eq!(columns[1].field(1), Some(""));
    }
}
