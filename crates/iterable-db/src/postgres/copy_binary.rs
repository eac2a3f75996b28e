//! The binary format of `COPY … TO STDOUT (FORMAT binary)`: a signature and header,
//! then each row as a field count and its fields (a length, `-1` for null, and the
//! bytes), then `-1` as the trailer. The server's messages need not fall on row
//! boundaries, so the parser keeps what it has not used yet.

use iterable_core::Value;

use super::decode::Decoder;

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// What the parser makes of the bytes so far.
#[derive(Debug, PartialEq)]
pub(crate) enum Parsed {
    /// A row's values.
    Row(Vec<Value>),
    /// More bytes are needed.
    More,
    /// The trailer: no rows follow.
    End,
}

/// What [`CopyParser::next_into`] did.
#[derive(Debug, PartialEq)]
pub(crate) enum Step {
    /// A whole row went into the sink.
    Row,
    /// More bytes are needed.
    More,
    /// The trailer: no rows follow.
    End,
}

/// Takes a row's fields, in column order, once the whole row is at hand.
pub(crate) trait FieldSink {
    /// The field of `column`: its bytes, or `None` for a null. An error names what is
    /// wrong with the value; the parser adds the row and the column.
    fn field(&mut self, column: usize, bytes: Option<&[u8]>) -> Result<(), String>;
}

/// A row's values, decoded column by column (the row road).
struct Values<'a> {
    decoders: &'a [Decoder],
    values: Vec<Value>,
}

impl FieldSink for Values<'_> {
    fn field(&mut self, column: usize, bytes: Option<&[u8]>) -> Result<(), String> {
        let value = match bytes {
            None => Value::Null,
            Some(bytes) => self.decoders[column].decode(bytes)?,
        };
        self.values.push(value);
        Ok(())
    }
}

/// Rows out of the chunks of a binary COPY.
pub(crate) struct CopyParser {
    decoders: Vec<Decoder>,
    names: Vec<String>,
    pending: Vec<u8>,
    at: usize,
    header_read: bool,
    /// Rows parsed, for errors.
    pub(crate) rows: u64,
    /// Bytes taken from the server.
    pub(crate) bytes: u64,
}

impl CopyParser {
    pub(crate) fn new(decoders: Vec<Decoder>, names: Vec<String>) -> CopyParser {
        CopyParser {
            decoders,
            names,
            pending: Vec::new(),
            at: 0,
            header_read: false,
            rows: 0,
            bytes: 0,
        }
    }

    /// Adds a chunk from the server.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        if self.at > 0 && self.at == self.pending.len() {
            self.pending.clear();
            self.at = 0;
        } else if self.at > 1 << 16 {
            self.pending.drain(..self.at);
            self.at = 0;
        }
        self.pending.extend_from_slice(chunk);
        self.bytes += chunk.len() as u64;
    }

    /// Whether bytes are held that are not a whole row.
    pub(crate) fn has_partial(&self) -> bool {
        self.at < self.pending.len()
    }

    /// The next row of what was pushed, as values; an error names the row and column.
    pub(crate) fn next(&mut self) -> Result<Parsed, String> {
        let mut values = Values {
            decoders: &[],
            values: Vec::with_capacity(self.decoders.len()),
        };
        let decoders = std::mem::take(&mut self.decoders);
        values.decoders = &decoders;
        let step = self.next_into(&mut values);
        let values = values.values;
        self.decoders = decoders;
        Ok(match step? {
            Step::Row => Parsed::Row(values),
            Step::More => Parsed::More,
            Step::End => Parsed::End,
        })
    }

    /// The next row of what was pushed, its fields handed to `sink` once the whole row
    /// is here; an error names the row and column.
    pub(crate) fn next_into(&mut self, sink: &mut impl FieldSink) -> Result<Step, String> {
        let data = &self.pending[self.at..];
        if !self.header_read {
            if data.len() < SIGNATURE.len() + 8 {
                return Ok(Step::More);
            }
            if &data[..SIGNATURE.len()] != SIGNATURE {
                return Err("the server's COPY data does not start with PGCOPY".to_owned());
            }
            let extension = u32::from_be_bytes(data[15..19].try_into().expect("4 bytes")) as usize;
            if data.len() < 19 + extension {
                return Ok(Step::More);
            }
            self.at += 19 + extension;
            self.header_read = true;
            return self.next_into(sink);
        }
        if data.len() < 2 {
            return Ok(Step::More);
        }
        let count = i16::from_be_bytes([data[0], data[1]]);
        if count == -1 {
            self.at += 2;
            return Ok(Step::End);
        }
        if count as usize != self.names.len() {
            return Err(format!(
                "row {}: {count} fields where the query has {} columns",
                self.rows + 1,
                self.names.len()
            ));
        }
        // Check the whole row is here before handing any of it on.
        let mut end = 2usize;
        for _ in 0..count {
            let Some(length) = data.get(end..end + 4) else {
                return Ok(Step::More);
            };
            let length = i32::from_be_bytes(length.try_into().expect("4 bytes"));
            end += 4 + usize::try_from(length).unwrap_or(0);
            if end > data.len() {
                return Ok(Step::More);
            }
        }
        let mut field = 2usize;
        for column in 0..self.names.len() {
            let length = i32::from_be_bytes(data[field..field + 4].try_into().expect("4 bytes"));
            field += 4;
            let bytes = if length < 0 {
                None
            } else {
                let bytes = &data[field..field + length as usize];
                field += length as usize;
                Some(bytes)
            };
            sink.field(column, bytes).map_err(|e| {
                format!(
                    "row {}, column {:?}: {e}",
                    self.rows + 1,
                    self.names[column]
                )
            })?;
        }
        self.at += end;
        self.rows += 1;
        Ok(Step::Row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy_data(rows: &[&[Option<&[u8]>]]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        for row in rows {
            out.extend_from_slice(&(row.len() as i16).to_be_bytes());
            for field in *row {
                match field {
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(bytes) => {
                        out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                        out.extend_from_slice(bytes);
                    }
                }
            }
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    #[test]
    fn rows_come_whole_however_the_bytes_are_cut() {
        let seven = 7i64.to_be_bytes();
        let data = copy_data(&[&[Some(&seven), Some(b"ana")], &[None, Some(b"")]]);
        for cut in 1..data.len() {
            let mut parser = CopyParser::new(
                vec![Decoder::Int8, Decoder::Text],
                vec!["id".into(), "name".into()],
            );
            let mut rows = Vec::new();
            let mut ended = false;
            for chunk in data.chunks(cut) {
                parser.push(chunk);
                loop {
                    match parser.next().unwrap() {
                        Parsed::Row(values) => rows.push(values),
                        Parsed::More => break,
                        Parsed::End => {
                            ended = true;
                            break;
                        }
                    }
                }
            }
            assert!(ended, "cut {cut}");
            assert_eq!(
                rows,
                [
                    vec![Value::Int(7), Value::from("ana")],
                    vec![Value::Null, Value::from("")]
                ],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn a_field_of_the_wrong_size_names_its_row_and_column() {
        let data = copy_data(&[&[Some(&[0, 1])]]);
        let mut parser = CopyParser::new(vec![Decoder::Int8], vec!["id".into()]);
        parser.push(&data);
        let err = parser.next().unwrap_err();
        assert_eq!(err, "row 1, column \"id\": 2 bytes where the type has 8");
    }
}
