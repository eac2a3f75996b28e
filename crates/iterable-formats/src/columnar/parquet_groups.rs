//! Where a Parquet read is: the row groups it reads, in order, with their rows and the
//! byte where each starts, so that a decoding error names the row group it broke in.

use parquet::file::metadata::ParquetMetaData;

/// The row groups a read goes through, in the order it reads them.
#[derive(Debug, Clone)]
pub(super) struct RowGroups {
    groups: Vec<Group>,
    /// Rows given so far.
    done: u64,
}

#[derive(Debug, Clone)]
struct Group {
    index: usize,
    /// The file's rows before this group, and the group's.
    first_row: u64,
    rows: u64,
    /// Where its first column chunk starts.
    byte: u64,
}

impl RowGroups {
    /// The groups of `metadata` that a read of `selected` (all when `None`) goes through.
    pub(super) fn new(metadata: &ParquetMetaData, selected: Option<&[usize]>) -> Self {
        let mut first_rows = Vec::with_capacity(metadata.num_row_groups());
        let mut first_row = 0u64;
        for group in metadata.row_groups() {
            first_rows.push(first_row);
            first_row += u64::try_from(group.num_rows()).unwrap_or(0);
        }
        let all: Vec<usize> = (0..metadata.num_row_groups()).collect();
        let groups = selected
            .unwrap_or(&all)
            .iter()
            .filter_map(|&index| {
                let group = metadata.row_groups().get(index)?;
                let byte = group
                    .columns()
                    .iter()
                    .map(|c| chunk_start(c).max(0) as u64)
                    .min()
                    .unwrap_or(0);
                Some(Group {
                    index,
                    first_row: first_rows[index],
                    rows: u64::try_from(group.num_rows()).unwrap_or(0),
                    byte,
                })
            })
            .collect();
        RowGroups { groups, done: 0 }
    }

    /// Counts the rows of a batch given.
    pub(super) fn advance(&mut self, rows: usize) {
        self.done += rows as u64;
    }

    /// Where the next row comes from: `row group 3 (rows 300000..400000, from byte
    /// 1234)`, or `None` past the last group.
    pub(super) fn position(&self) -> Option<String> {
        let mut before = 0u64;
        for group in &self.groups {
            if self.done < before + group.rows {
                return Some(format!(
                    "row group {} (rows {}..{}, from byte {})",
                    group.index,
                    group.first_row,
                    group.first_row + group.rows,
                    group.byte
                ));
            }
            before += group.rows;
        }
        None
    }
}

/// Where a column chunk starts: its dictionary page, or its first data page.
fn chunk_start(chunk: &parquet::file::metadata::ColumnChunkMetaData) -> i64 {
    chunk
        .dictionary_page_offset()
        .unwrap_or(chunk.data_page_offset())
}

/// Checks that every column chunk of the footer starts and ends at a byte that can be
/// (parquet's reader asserts it).
pub(super) fn check_chunks(metadata: &ParquetMetaData) -> Result<(), String> {
    for (g, group) in metadata.row_groups().iter().enumerate() {
        if group.num_rows() < 0 {
            return Err(format!("row group {g} has {} rows", group.num_rows()));
        }
        for (c, chunk) in group.columns().iter().enumerate() {
            let (start, len) = (chunk_start(chunk), chunk.compressed_size());
            if start < 0 || len < 0 || start.checked_add(len).is_none() {
                return Err(format!(
                    "row group {g}, column {c}: a column chunk of {len} bytes at byte {start}"
                ));
            }
        }
    }
    Ok(())
}
