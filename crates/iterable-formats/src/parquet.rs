//! Apache Parquet's entry in the registry; the reader and writer are in
//! [`columnar`](crate::columnar) (feature `parquet`). A plain local file is read in
//! place (random access: the footer, then only the pages asked for); any other input
//! is spooled to a temporary file first.

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// The registry's description of Parquet.
pub static PARQUET: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        matches: |head| head.starts_with(b"PAR1"),
    }),
    capabilities: Capabilities {
        binary: true,
        container: true,
        marks_end: true,
        typed_columns: true,
        ..Capabilities::TYPED
    },
    read_options: &[&opt::COLUMNS, &opt::ROW_GROUPS],
    write_options: &[&opt::COMPRESSION, &opt::ROW_GROUP_SIZE],
    feature: "parquet",
    builders: BUILDERS,
    ..FormatSpec::new(Format::PARQUET, "Apache Parquet", &["parquet", "pq"])
};

#[cfg(feature = "parquet")]
const BUILDERS: Option<Builders> = Some(Builders {
    file_reader: Some(|f, ctx| Box::pin(crate::columnar::open_parquet_file(f, ctx))),
    writer: Some(|w, ctx| Box::pin(crate::columnar::open_parquet_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "parquet"))]
const BUILDERS: Option<Builders> = None;
