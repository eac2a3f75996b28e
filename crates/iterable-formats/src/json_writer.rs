//! How JSON Lines and JSON arrays lay rows out: a [`RecordEncoder`] serializing each row
//! with `serde_json`; buffering, flushing, closing and refusing reads are the shared
//! [`RecordWriter`](crate::record_writer::RecordWriter)'s.

use iterable_core::Row;
use serde::Serialize;

use crate::record_writer::RecordEncoder;

/// How rows are laid out.
pub(crate) enum Framing {
    /// JSON Lines: one row per line.
    Lines,
    /// A JSON array, optionally under a key, optionally indented.
    Array {
        /// The key of the wrapping object.
        tag: Option<String>,
        /// Indent the output.
        pretty: bool,
    },
}

/// Encodes rows as JSON Lines or as the elements of a JSON array.
pub(crate) struct JsonEncoder {
    framing: Framing,
    /// Set once a row is written (the array's opening is written with the first).
    started: bool,
    scratch: Vec<u8>,
}

impl JsonEncoder {
    pub(crate) fn new(framing: Framing) -> Self {
        JsonEncoder {
            framing,
            started: false,
            scratch: Vec::new(),
        }
    }

    /// The array's opening: `[`, or `{"tag":[`.
    fn opening(tag: &Option<String>, pretty: bool, out: &mut Vec<u8>) {
        match tag {
            Some(tag) => {
                out.extend_from_slice(if pretty { b"{\n  " } else { b"{" });
                serde_json::to_writer(&mut *out, tag).expect("a string serializes");
                out.extend_from_slice(if pretty { b": [" } else { b":[" });
            }
            None => out.push(b'['),
        }
    }
}

impl RecordEncoder for JsonEncoder {
    fn encode(&mut self, row: &Row, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        match &self.framing {
            Framing::Lines => {
                serde_json::to_writer(&mut *out, row).map_err(|e| e.to_string())?;
                out.push(b'\n');
            }
            Framing::Array { tag, pretty } => {
                if self.started {
                    out.extend_from_slice(b",\n");
                } else {
                    Self::opening(tag, *pretty, out);
                    out.push(b'\n');
                }
                if *pretty {
                    let indent: &[u8] = if tag.is_some() { b"    " } else { b"  " };
                    self.scratch.clear();
                    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
                    let mut ser =
                        serde_json::Serializer::with_formatter(&mut self.scratch, formatter);
                    row.serialize(&mut ser).map_err(|e| e.to_string())?;
                    // Strings hold no raw newline, so every newline is the formatter's.
                    out.extend_from_slice(indent);
                    for line in self.scratch.split_inclusive(|&b| b == b'\n') {
                        out.extend_from_slice(line);
                        if line.ends_with(b"\n") {
                            out.extend_from_slice(indent);
                        }
                    }
                } else {
                    serde_json::to_writer(&mut *out, row).map_err(|e| e.to_string())?;
                }
            }
        }
        // Only a row written whole counts: a failed one is cut from `out` by the writer.
        self.started = true;
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> std::result::Result<(), String> {
        if let Framing::Array { tag, pretty } = &self.framing {
            if !self.started {
                Self::opening(tag, *pretty, out);
            }
            let trailer: &[u8] = match (tag.is_some(), *pretty, self.started) {
                (false, _, false) => b"]\n",
                (false, _, true) => b"\n]\n",
                (true, false, false) => b"]}\n",
                (true, false, true) => b"\n]}\n",
                (true, true, false) => b"]\n}\n",
                (true, true, true) => b"\n  ]\n}\n",
            };
            out.extend_from_slice(trailer);
        }
        Ok(())
    }
}

#[cfg(feature = "arrow")]
impl crate::record_writer::BatchEncoder for JsonEncoder {
    /// JSON Lines: each record as `serde_json` writes its row (keys in column order,
    /// every column, nulls as `null`). A JSON array goes by rows.
    fn encode_batch(
        &mut self,
        batch: &arrow_array::RecordBatch,
        out: &mut Vec<u8>,
    ) -> std::result::Result<bool, (usize, String)> {
        use crate::columnar::batch_cells::{Cell, Column};
        if !matches!(self.framing, Framing::Lines) {
            return Ok(false);
        }
        let columns = Column::all(batch).map_err(|e| (0, e.to_string()))?;
        // Each key as serde_json writes it, with the `:` after it.
        let keys: Vec<Vec<u8>> = batch
            .schema_ref()
            .fields()
            .iter()
            .map(|f| {
                let mut key = serde_json::to_vec(f.name()).expect("a string serializes");
                key.push(b':');
                key
            })
            .collect();
        for i in 0..batch.num_rows() {
            out.push(b'{');
            for (j, (column, key)) in columns.iter().zip(&keys).enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(key);
                let written = match column.cell(i) {
                    Cell::Text(text) => serde_json::to_writer(&mut *out, text),
                    Cell::Value(value) => serde_json::to_writer(&mut *out, &value),
                    Cell::Ref(value) => serde_json::to_writer(&mut *out, value),
                };
                written.map_err(|e| (i, e.to_string()))?;
            }
            out.extend_from_slice(b"}\n");
        }
        self.started = true;
        Ok(true)
    }
}
