//! What a reader or a writer is handed besides its bytes: [`ReadContext`] and
//! [`WriteContext`].

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use iterable_core::policy::ErrorHandler;
use iterable_core::{IterableInfo, Options};

/// Everything a reader needs besides its bytes.
#[derive(Debug)]
pub struct ReadContext {
    /// Location, format, codec; `mode` is `Read`.
    pub info: IterableInfo,
    /// The options of the open call.
    pub options: Options,
    /// What to do with bad records (built from `options.errors` by the caller).
    pub errors: ErrorHandler,
    /// Bytes consumed from the source so far, kept up to date by the byte layer.
    pub bytes_read: Arc<AtomicU64>,
    /// The source's size, when known.
    pub bytes_total: Option<u64>,
}

impl ReadContext {
    /// A context with the fail-fast error policy and no byte accounting.
    pub fn new(info: IterableInfo, options: Options) -> Self {
        ReadContext {
            info,
            options,
            errors: ErrorHandler::fail(),
            bytes_read: Arc::default(),
            bytes_total: None,
        }
    }
}

/// Everything a writer needs besides its sink.
#[derive(Debug, Clone)]
pub struct WriteContext {
    /// Location, format, codec; `mode` is `Write`.
    pub info: IterableInfo,
    /// The options of the open call.
    pub options: Options,
}

impl WriteContext {
    /// A context for writing `info`'s location with `options`.
    pub fn new(info: IterableInfo, options: Options) -> Self {
        WriteContext { info, options }
    }
}
