//! Byte accounting shared by the readers: `progress().bytes` is the byte layer's
//! counter ([`ReadContext::bytes_read`](crate::ReadContext)) or, while that stays 0,
//! the decoded bytes the reader itself consumed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use iterable_core::Progress;

/// The byte counters a reader reports in its [`Progress`].
#[derive(Debug)]
pub(crate) struct SourceBytes {
    /// Bytes consumed from the source, kept up to date by the byte layer.
    read: Arc<AtomicU64>,
    /// The source's size, when known.
    total: Option<u64>,
}

impl SourceBytes {
    /// The counters of a `ReadContext` (`bytes_read`, `bytes_total`).
    pub(crate) fn new(read: Arc<AtomicU64>, total: Option<u64>) -> Self {
        SourceBytes { read, total }
    }

    /// The reader's progress: `consumed` (decoded bytes it consumed) stands in for the
    /// byte layer's counter while that is 0.
    pub(crate) fn progress(&self, rows: u64, consumed: u64, skipped: u64) -> Progress {
        let counted = self.read.load(Ordering::Relaxed);
        Progress {
            rows,
            bytes: if counted == 0 { consumed } else { counted },
            bytes_total: self.total,
            skipped,
        }
    }
}
