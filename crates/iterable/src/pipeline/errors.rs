//! The error policy of a stage (`try_map`, `map_concurrent`): fail naming the row, skip
//! and count, or skip and write the row with its error to a dead-letter file.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use iterable_core::policy::DeadLetterSink;
use iterable_core::{Error, ErrorPolicy, ParseError, Position, Result, Row};

/// A stage's error policy and where it stands.
pub(crate) struct StagePolicy {
    policy: ErrorPolicy,
    /// The dead-letter file, opened at the first failed row.
    sink: Option<Box<dyn DeadLetterSink>>,
    skipped: Arc<AtomicU64>,
    location: String,
    stage: &'static str,
}

impl StagePolicy {
    pub(crate) fn new(
        policy: ErrorPolicy,
        skipped: Arc<AtomicU64>,
        location: String,
        stage: &'static str,
    ) -> Self {
        StagePolicy {
            policy,
            sink: None,
            skipped,
            location,
            stage,
        }
    }

    /// `error` from the stage on row `n` (its copy in `row`, when the stage still has
    /// it): `Ok` when the row is skipped, the pipeline's error otherwise.
    pub(crate) fn handle(&mut self, n: u64, row: Option<&Row>, error: Error) -> Result<()> {
        let message = format!("{}: {error}", self.stage);
        let path = match &self.policy {
            ErrorPolicy::Fail => {
                return Err(Error::Write {
                    location: self.location.clone(),
                    row: n,
                    message,
                });
            }
            ErrorPolicy::Skip => None,
            ErrorPolicy::DeadLetter(path) => Some(path.clone()),
        };
        if let Some(path) = path {
            if self.sink.is_none() {
                self.sink = Some(iterable_io::open_dead_letter(&path)?);
            }
            let raw = row
                .and_then(|r| serde_json::to_vec(r).ok())
                .unwrap_or_default();
            let position = Position {
                line: 0,
                record: n,
                byte: 0,
            };
            let letter = ParseError::new(&self.location, position, message, &raw);
            if let Some(sink) = self.sink.as_mut() {
                sink.write(&letter, &raw).map_err(|e| Error::io(&path, e))?;
            }
        }
        self.skipped.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Rows skipped so far.
    pub(crate) fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Whether a failed row needs its copy (for the dead-letter file).
    pub(crate) fn keeps_rows(&self) -> bool {
        matches!(self.policy, ErrorPolicy::DeadLetter(_))
    }

    /// Makes the dead letters durable.
    pub(crate) fn flush(&mut self) -> Result<()> {
        match (&mut self.sink, &self.policy) {
            (Some(sink), ErrorPolicy::DeadLetter(path)) => {
                sink.flush().map_err(|e| Error::io(path, e))
            }
            _ => Ok(()),
        }
    }
}
