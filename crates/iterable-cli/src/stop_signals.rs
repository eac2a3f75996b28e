//! Stopped by `SIGINT` (Ctrl-C) or `SIGTERM`: the outputs still being written are
//! removed, so no temporary file is left next to them and nothing is published, and the
//! command exits with the code a shell expects (130 or 143).

/// Waits for a stop signal, then removes the unfinished outputs (before the command's
/// future is dropped, so that the count is true); returns the exit code for the signal
/// and how many outputs were removed. Never returns when the signals cannot be
/// listened to.
pub async fn wait() -> (u8, usize) {
    let code = signal().await;
    (code, iterable::remove_temporary_files())
}

async fn signal() -> u8 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = interrupt.recv() => 130,
            _ = terminate.recv() => 143,
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
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
