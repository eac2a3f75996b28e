//! YAML (`.yaml`, `.yml`): one row a document (`---` between them), or the mappings
//! of a top-level sequence. Read and write, with [`serde_saphyr`], on the blocking
//! bridge.
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
//! Documents are read one at a time (the whole file is never held). A mapping is a
//! row, keys in document order; a sequence is a run of rows (each item must be a
//! mapping); empty documents are skipped; any other document (a bare scalar) is an
//! error naming the document (documents are counted without the empty ones). Scalars follow YAML 1.2's core schema: `1` is `Int`,
//! `1.5` `Float`, `true` `Bool`, `~`/`null` null, quoted `'1'` a string. Keys must
//! be strings. A syntax error names the document, the line and the offset, and ends
//! the stream.
//!
//! # Writing
//!
//! Each row is one document, `---` between documents, keys in column order. Dates,
//! timestamps and fractional decimals are written as their text (YAML has no types
//! for them that every reader agrees on), bytes as a sequence of integers.

#[cfg(feature = "yaml")]
mod imp;
#[cfg(feature = "yaml")]
pub use imp::*;

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// The registry's description of the format.
pub static YAML: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Shape,
        matches: |head| crate::registry::text_start(head).is_some_and(|t| t.starts_with(b"---")),
    }),
    capabilities: Capabilities::TYPED,
    read_options: &[&opt::MAX_RECORD_BYTES],
    write_options: &[],
    feature: "yaml",
    builders: BUILDERS,
    ..FormatSpec::new(
        Format::YAML,
        "YAML: one row a document, or the items of a top-level sequence",
        &["yaml", "yml"],
    )
};

#[cfg(feature = "yaml")]
const BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(imp::open_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(imp::open_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "yaml"))]
const BUILDERS: Option<Builders> = None;
