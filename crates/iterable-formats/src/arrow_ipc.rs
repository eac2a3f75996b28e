//! Arrow IPC's entry in the registry (file and stream forms); the reader and writer
//! are in [`columnar`](crate::columnar) (feature `arrow`).

use iterable_core::Format;

use crate::registry::options as opt;
use crate::registry::{Builders, Capabilities, FormatSpec, SniffStrength, Sniffer};

/// The registry's description of Arrow IPC.
pub static ARROW: FormatSpec = FormatSpec {
    sniffer: Some(Sniffer {
        strength: SniffStrength::Magic,
        matches: |head| head.starts_with(b"ARROW1") || head.starts_with(&[0xff, 0xff, 0xff, 0xff]),
    }),
    capabilities: Capabilities {
        binary: true,
        container: true,
        marks_end: true,
        typed_columns: true,
        ..Capabilities::TYPED
    },
    read_options: &[&opt::COLUMNS],
    write_options: &[&opt::COMPRESSION, &opt::IPC_STREAM],
    feature: "arrow",
    builders: BUILDERS,
    ..FormatSpec::new(
        Format::ARROW,
        "Arrow IPC, file and stream forms",
        &["arrow", "feather", "ipc", "arrows"],
    )
};

#[cfg(feature = "arrow")]
const BUILDERS: Option<Builders> = Some(Builders {
    reader: Some(|r, ctx| Box::pin(crate::columnar::open_ipc_reader(r, ctx))),
    writer: Some(|w, ctx| Box::pin(crate::columnar::open_ipc_writer(w, ctx))),
    ..Builders::NONE
});
#[cfg(not(feature = "arrow"))]
const BUILDERS: Option<Builders> = None;
