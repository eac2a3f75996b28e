//! The state file of a batch run (`batch.json` in the cache directory): which rows
//! went into which batch, so a run that crashed continues with `resume` instead of
//! submitting (and paying for) the same requests again. Written whole and renamed into
//! place after every change: a crash leaves the last good state.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::EnrichError;

/// The state file's name inside the cache directory.
pub const STATE_FILE: &str = "batch.json";

/// One shard: consecutive input rows sent as one batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Shard {
    /// The first input row (0-based) and how many rows the shard covers (rows
    /// answered earlier and repeated rows are covered without a request).
    pub first_row: u64,
    pub rows: u64,
    /// Requests in the uploaded file.
    pub requests: u64,
    pub input_file: String,
    pub batch: String,
    /// The batch's answers are in the journal.
    #[serde(default)]
    pub collected: bool,
}

/// The whole state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct BatchRun {
    /// What the requests depend on (endpoint, model, options, system message,
    /// schema): a run resumed with other arguments is refused.
    pub fingerprint: String,
    /// How the schema was sent (the answers are read accordingly).
    pub mode: String,
    /// Every input row is in a shard.
    pub submitted: bool,
    /// The next input row not yet in a shard.
    pub next_row: u64,
    pub shards: Vec<Shard>,
}

impl BatchRun {
    /// Whether every batch is submitted and collected.
    pub fn finished(&self) -> bool {
        self.submitted && self.shards.iter().all(|s| s.collected)
    }

    /// The batch ids, for messages.
    pub fn batch_ids(&self) -> String {
        self.shards
            .iter()
            .map(|s| s.batch.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Reads and writes the state file of one directory.
#[derive(Debug, Clone)]
pub(crate) struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(dir: &Path) -> StateFile {
        StateFile {
            path: dir.join(STATE_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved state, if there is one.
    pub fn load(&self) -> Result<Option<BatchRun>, EnrichError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(e.to_string())),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| self.error(format!("not a batch state file ({e})")))
    }

    /// Saves `run` (whole, then renamed into place).
    pub fn save(&self, run: &BatchRun) -> Result<(), EnrichError> {
        let bytes = serde_json::to_vec_pretty(run).map_err(|e| self.error(e.to_string()))?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|e| self.error(e.to_string()))
    }

    fn error(&self, message: String) -> EnrichError {
        EnrichError::Cache {
            path: self.path.display().to_string(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_state_loads_the_same_and_no_file_is_no_state() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path());
        assert_eq!(file.load().unwrap(), None);
        let run = BatchRun {
            fingerprint: "f".into(),
            mode: "json-schema".into(),
            submitted: false,
            next_row: 3,
            shards: vec![Shard {
                first_row: 0,
                rows: 3,
                requests: 2,
                input_file: "file-1".into(),
                batch: "batch_1".into(),
                collected: false,
            }],
        };
        file.save(&run).unwrap();
        assert_eq!(file.load().unwrap(), Some(run.clone()));
        assert!(!run.finished());
        assert_eq!(run.batch_ids(), "batch_1");
        std::fs::write(file.path(), "{").unwrap();
        assert!(
            file.load()
                .unwrap_err()
                .to_string()
                .contains("not a batch state file")
        );
    }
}
