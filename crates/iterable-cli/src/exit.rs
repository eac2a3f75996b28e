//! Exit codes beyond success (0), failure (1) and a usage error (2, from clap).

/// The command finished and wrote its output, but some rows failed (they are in the
/// output's error column or the failures file): exit code 3, so a script notices.
#[derive(Debug)]
pub struct RowsFailed(pub String);

/// The exit code of [`RowsFailed`].
pub const ROWS_FAILED: u8 = 3;

impl std::fmt::Display for RowsFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RowsFailed {}
