//! YAML (`.yaml`, `.yml`): one row a document (`---` between them), or the mappings
//! of a top-level sequence. Read with `granit-parser`'s events, written with
//! [`serde_saphyr`], on the blocking bridge.
//!
//! Why `serde-saphyr`: `serde_yaml` is deprecated and `serde_yml` carries a security
//! advisory (RUSTSEC-2025-0068); the forks `serde_yaml_ng` (last release May 2024)
//! and `serde_norway` (December 2024) keep the unmaintained C-to-Rust libyaml port
//! (`unsafe-libyaml`). `serde-saphyr` is a pure-Rust parser and serializer with
//! regular releases (several in 2026), budgets against alias bombs, and a streaming
//! multi-document reader over `std::io::Read`.
//!
//! # Reading
//!
//! Documents are read one at a time (the whole file is never held), parsed into
//! events by `granit-parser` (serde-saphyr's parser) and built into values here
//! (`documents.rs`), in UTF-8 or, by its byte order mark, UTF-16. A mapping is a
//! row, keys in document order; a sequence is a run of rows (each item must be a
//! mapping); empty documents are skipped; any other document (a bare scalar) is an
//! error naming the document (documents are counted without the empty ones).
//!
//! Scalars follow YAML 1.2's core schema (`scalar.rs`): a plain `1`, `017`, `0x1f`,
//! `0o17` is `Int`, `1.5`, `1e3`, `.inf`, `-.inf`, `.nan` `Float`, `true`/`True`/`TRUE`
//! `Bool` (YAML 1.1's `yes`, `no`, `on`, `off` are text), `~`/`null`/empty null;
//! anything quoted or in a block (`|`, `>`) is text; a core tag decides (`!!str 5`
//! is text, `!!binary` base64 is `Bytes`), and a scalar its tag does not fit is an
//! error. An integer beyond 64 bits stays exact: a `Decimal` of scale 0 up to 38
//! digits, its text beyond (as in JSON). Dates stay text.
//!
//! Keys are the text of scalar keys (`1: a` has the key `"1"`); a collection as a key
//! is an error. Anchors and aliases are resolved (an alias copies its anchor's value;
//! the copies in one document may hold at most `max_record_bytes / 32` values, so an
//! alias bomb is an error), and the merge key `<<` adds the keys of a mapping or of a
//! list of them that the mapping does not have. A key repeated in a mapping (at any
//! depth) follows [`DuplicateKeys`](iterable_core::DuplicateKeys). Nesting stops at
//! [`MAX_NESTING_DEPTH`](iterable_core::MAX_NESTING_DEPTH) levels, a document at
//! `max_record_bytes`. A syntax or content error names the document, the line and
//! the offset, and ends the stream.
//!
//! # Writing
//!
//! Each row is one document, `---` between documents, keys in column order. Dates,
//! timestamps and fractional decimals are written as their text (YAML has no types
//! for them that every reader agrees on), bytes as a sequence of integers.

#[cfg(feature = "yaml")]
mod chars;
#[cfg(feature = "yaml")]
mod documents;
#[cfg(feature = "yaml")]
mod imp;
#[cfg(feature = "yaml")]
mod scalar;
#[cfg(feature = "yaml")]
pub use imp::*;

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// The registry's description of the format.
pub static YAML: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: looks_like_yaml,
    }),
    capabilities: Capabilities::TYPED,
    read_options: &[&opt::MAX_RECORD_BYTES, &opt::DUPLICATE_KEYS],
    write_options: &[],
    feature: "yaml",
    builders: BUILDERS,
    ..FormatSpec::new(
        Format::YAML,
        "YAML: one row a document, or the items of a top-level sequence",
        &["yaml", "yml"],
    )
};

/// Whether `head` reads as YAML: a document start (`---`) or a `%YAML` directive, or
/// else its first lines (up to three, comments and blank lines aside) are all block
/// mapping entries (`key: value`, `key:`), sequence entries (`- ...`) or lines
/// indented under them, and the first is not a sequence of scalars alone. A plain key
/// holds no delimiter (`,` `;` tab `|`) and is followed by `: ` or the line's end: a
/// CSV header `time: 10:00,x` is CSV, LTSV's `a:1\tb:2` is LTSV.
fn looks_like_yaml(head: &[u8]) -> bool {
    let Some(text) = crate::registry::text_start(head) else {
        return false;
    };
    if text.starts_with(b"---") || text.starts_with(b"%YAML") {
        return true;
    }
    if !iterable_core::detect::is_text(text) {
        return false;
    }
    // Whole lines only: the last one may be cut by the end of the sample.
    let complete = match text.iter().rposition(|&b| b == b'\n') {
        Some(end) => &text[..end],
        None => return false,
    };
    let mut lines = complete
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| {
            let t = l.trim_ascii();
            !t.is_empty() && !t.starts_with(b"#")
        })
        .take(3)
        .peekable();
    let Some(first) = lines.peek().copied() else {
        return false;
    };
    let first_is_entry = mapping_entry(first)
        || first
            .strip_prefix(b"- ")
            .is_some_and(|rest| mapping_entry(rest.trim_ascii_start()));
    first_is_entry
        && lines.all(|line| {
            line.starts_with(b" ") || mapping_entry(line) || line == b"-" || line.starts_with(b"- ")
        })
}

/// `key: value` or `key:` with a plain key: a letter, digit or `_` first, then no
/// delimiter, quote, brace or bracket.
fn mapping_entry(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let (key, rest) = (&line[..colon], &line[colon + 1..]);
    let plain_key = key
        .first()
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
        && !key.iter().any(|b| {
            matches!(
                b,
                b',' | b';' | b'\t' | b'|' | b'"' | b'{' | b'}' | b'[' | b']'
            )
        });
    plain_key && (rest.is_empty() || rest[0] == b' ')
}

#[cfg(feature = "yaml")]
const BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(imp::open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(imp::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "yaml"))]
const BUILDERS: Option<Builders> = None;

#[cfg(test)]
mod tests {
    use super::looks_like_yaml;

    #[test]
    fn block_mappings_and_sequences_of_them_are_yaml() {
        assert!(looks_like_yaml(b"---\na: 1\n"));
        assert!(looks_like_yaml(b"a: 1\nb: 2\n"));
        assert!(looks_like_yaml(b"# people\nname: Ana\ntags:\n  - x\n"));
        assert!(looks_like_yaml(b"- id: 1\n  name: Ana\n- id: 2\n"));
        assert!(looks_like_yaml(b"first name: Ana\n"));
    }

    #[test]
    fn csv_ltsv_json_and_prose_are_not() {
        assert!(!looks_like_yaml(b"id,name\n1,Ana\n"));
        assert!(!looks_like_yaml(b"time: 10:00,x\n1,2\n"));
        assert!(!looks_like_yaml(b"a:1\tb:2\n"));
        assert!(!looks_like_yaml(b"{\"a: 1\": 2}\n"));
        assert!(!looks_like_yaml(b"- 1\n- 2\n"));
        assert!(!looks_like_yaml(
            b"Note: this is a report\nof things, and more\n"
        ));
        assert!(!looks_like_yaml(b"a: 1")); // no whole line yet
    }
}
