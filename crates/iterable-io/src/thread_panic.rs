//! The threads that produce bytes (a decoder, a file read ahead, a zip member) end
//! their channel when they return; a panic would end it too, and the reader would take
//! the closed channel for the end of the input. [`report_panics`] runs such a thread's
//! work and, if it panics, sends an error down the channel first.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};

use tokio::sync::mpsc;

/// Runs `work` (which owns its own sender of `tx`'s channel); a panic in it is sent to
/// `tx` as an `InvalidData` error saying that `what` panicked, with its message.
pub(crate) fn report_panics<T>(tx: mpsc::Sender<io::Result<T>>, what: &str, work: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(work)) {
        let message = format!(
            "{what} panicked ({}): the input is corrupt or uses something not supported",
            iterable_core::panic_message(payload.as_ref())
        );
        let _ = tx.blocking_send(Err(io::Error::new(io::ErrorKind::InvalidData, message)));
    }
}
