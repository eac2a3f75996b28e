//! The backslash escapes of the tab-separated text that PostgreSQL's `COPY … FROM STDIN`
//! and MySQL's `LOAD DATA` read: backslash, newline, carriage return and tab (and NUL
//! for MySQL, whose text may hold it).

/// Appends `text` escaped; `nul`: NUL bytes as `\0` too.
pub(crate) fn escaped(text: &[u8], nul: bool, out: &mut Vec<u8>) {
    let mut start = 0;
    for (i, b) in text.iter().enumerate() {
        let escape: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0 if nul => b"\\0",
            _ => continue,
        };
        out.extend_from_slice(&text[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&text[start..]);
}
