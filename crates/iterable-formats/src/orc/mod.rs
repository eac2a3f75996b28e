//! Apache ORC (`.orc`), read only, with [`orc_rust`] 0.8 (the release on arrow 58,
//! the project's one arrow) on the blocking bridge.
//!
//! ORC keeps its metadata in a footer at the end of the file, so the reader needs
//! random access: the (decoded) bytes are first copied to an anonymous temporary
//! file, which disappears when the reader ends. Stripes are then read as Arrow record
//! batches of `batch_size` rows and turned into rows with the Arrow -> `Value`
//! conversion of [`columnar`](crate::columnar) (see its mapping table): top-level
//! struct fields are the columns. A file that is not ORC, or a corrupt stripe, is an
//! error naming the file and the record being read, and ends the stream.

#[cfg(feature = "orc")]
mod imp;
#[cfg(feature = "orc")]
pub use imp::*;

use iterable_core::Format;

use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// The registry's description of the format.
pub static ORC: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        // An ORC file's header is "ORC" and then stripe data, which is binary: a CSV
        // whose header starts `ORCID,` is text.
        matches: |head| {
            head.starts_with(b"ORC")
                && !iterable_core::detect::is_text(&head[3..head.len().min(64)])
        },
    }),
    capabilities: Capabilities {
        write: false,
        container: true,
        marks_end: true,
        typed_columns: true,
        ..Capabilities::TYPED
    },
    read_options: &[],
    write_options: &[],
    feature: "orc",
    builders: BUILDERS,
    ..FormatSpec::new(Format::ORC, "Apache ORC (read only)", &["orc"])
};

#[cfg(feature = "orc")]
const BUILDERS: Option<Builders> = Some(Builders {
    file_reader: Some(|f, ctx| Box::pin(imp::open_file(f, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "orc"))]
const BUILDERS: Option<Builders> = None;
