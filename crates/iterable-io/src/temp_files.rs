//! The temporary files of the writers now open, so that a program stopped by a signal
//! can remove them before it exits ([`remove_temporary_files`]). A writer's own drop
//! removes its temporary file, but `SIGINT` or `SIGTERM` ends a process without
//! running destructors; a library installs no signal handler of its own, so the
//! program that handles the signal calls this (the `iterable` command does).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static LIVE: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn live() -> MutexGuard<'static, Option<HashSet<PathBuf>>> {
    // A panic while the set was held leaves it usable: it is only a set of paths.
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Notes a temporary file that is being written.
pub(crate) fn register(path: &Path) {
    live()
        .get_or_insert_with(HashSet::new)
        .insert(path.to_owned());
}

/// Forgets a temporary file: it was published (renamed) or removed.
pub(crate) fn forget(path: &Path) {
    if let Some(set) = live().as_mut() {
        set.remove(path);
    }
}

/// Removes the temporary files of every output still being written (the
/// `.name.<random>.tmp` files next to their targets) and returns how many it removed.
/// Call it from a signal handler's task before exiting: those outputs are then never
/// published, and nothing is left behind. Writers still open afterwards fail when
/// they close.
///
/// ```
/// // In the task that handles SIGINT, just before `std::process::exit(130)`:
/// let removed = iterable_io::remove_temporary_files();
/// assert_eq!(removed, 0); // no output is open here
/// ```
pub fn remove_temporary_files() -> usize {
    let paths: Vec<PathBuf> = live()
        .as_mut()
        .map(|set| set.drain().collect())
        .unwrap_or_default();
    paths
        .iter()
        .filter(|path| std::fs::remove_file(path).is_ok())
        .count()
}
