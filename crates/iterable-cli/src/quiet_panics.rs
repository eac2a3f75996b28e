//! Decoders of corrupt input can panic inside the libraries we use; the library
//! catches those panics and turns them into errors that name the file, which the
//! command prints. The default panic hook would print each one first, with a
//! backtrace, as if the program had crashed. This hook only remembers the last panic
//! (its message and where), which `main` prints if a panic does escape (a bug); with
//! `RUST_BACKTRACE` set, panics are printed as usual, for debugging.

use std::sync::Mutex;

static LAST: Mutex<String> = Mutex::new(String::new());

/// Installs the hook (keeps the default one when `RUST_BACKTRACE` is set).
pub(crate) fn install() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let message = iterable::panic_message(info.payload());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut last) = LAST.lock() {
            *last = format!("{message}{place}");
        }
    }));
}

/// The last panic's message and place.
pub(crate) fn last() -> String {
    LAST.lock()
        .map(|l| l.clone())
        .unwrap_or_else(|_| "a panic".into())
}
