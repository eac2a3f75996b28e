//! Stopped by `SIGINT` (Ctrl-C) or `SIGTERM`: the outputs still being written are
//! removed, so no temporary file is left next to them and nothing is published, and the
//! command exits with the code a shell expects (130 or 143).

/// Listens for the stop signals from now on (the handlers are installed before this
/// returns, so a signal that comes while the command starts is not missed). The
/// future, once a signal comes, removes the unfinished outputs (before the command's
/// future is dropped, so that the count is true) and gives the exit code for the
/// signal and how many outputs were removed. It never completes when the signals
/// cannot be listened to.
pub fn listen() -> impl std::future::Future<Output = (u8, usize)> {
    let signal = signal();
    async move {
        let code = signal.await;
        (code, iterable::remove_temporary_files())
    }
}

#[cfg(unix)]
fn signal() -> impl std::future::Future<Output = u8> {
    use tokio::signal::unix::{SignalKind, signal};
    let listeners = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    );
    async move {
        let (Ok(mut interrupt), Ok(mut terminate)) = listeners else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = interrupt.recv() => 130,
            _ = terminate.recv() => 143,
        }
    }
}

#[cfg(not(unix))]
fn signal() -> impl std::future::Future<Output = u8> {
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        match ctrl_c.await {
            Ok(()) => 130,
            Err(_) => std::future::pending().await,
        }
    }
}

/// Says what was removed and ends the process with `code`.
pub fn stop((code, removed): (u8, usize)) -> ! {
    match removed {
        0 => eprintln!("iterable: stopped by a signal"),
        1 => eprintln!("iterable: stopped by a signal; the unfinished output was removed"),
        n => eprintln!("iterable: stopped by a signal; {n} unfinished outputs were removed"),
    }
    std::process::exit(code.into())
}
