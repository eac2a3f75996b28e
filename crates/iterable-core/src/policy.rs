//! Applying the [`ErrorPolicy`](crate::ErrorPolicy) to bad records: every reader
//! hands a bad record to an [`ErrorHandler`], which fails, counts a skip, or writes the
//! record to a dead-letter sink.

use crate::{Error, ParseError, Result};

/// Where dead letters go. `iterable-io` provides the file-backed one.
pub trait DeadLetterSink: Send {
    /// Records one bad record: its error (with position) and its raw bytes.
    fn write(&mut self, error: &ParseError, raw: &[u8]) -> std::io::Result<()>;
    /// Makes everything written so far durable.
    fn flush(&mut self) -> std::io::Result<()>;
}

/// A bad record kept for later: its error and its raw bytes.
pub type DeferredRecord = (ParseError, Vec<u8>);

/// What a reader does with a bad record, and how many it skipped.
#[derive(Default)]
pub struct ErrorHandler {
    skip: bool,
    dead_letter: Option<Box<dyn DeadLetterSink>>,
    skipped: u64,
    /// Set by [`ErrorHandler::deferring`]: bad records kept, in order, for the caller.
    deferred: Option<Vec<DeferredRecord>>,
}

impl std::fmt::Debug for ErrorHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErrorHandler")
            .field("skip", &self.skip)
            .field("dead_letter", &self.dead_letter.is_some())
            .field("skipped", &self.skipped)
            .field("deferring", &self.deferred.is_some())
            .finish()
    }
}

impl ErrorHandler {
    /// Fail on the first bad record.
    pub fn fail() -> Self {
        ErrorHandler::default()
    }

    /// Skip bad records, counting them.
    pub fn skip() -> Self {
        ErrorHandler {
            skip: true,
            ..Default::default()
        }
    }

    /// Skip bad records and write each to `sink`.
    pub fn dead_letter(sink: Box<dyn DeadLetterSink>) -> Self {
        ErrorHandler {
            skip: true,
            dead_letter: Some(sink),
            ..Default::default()
        }
    }

    /// Keep bad records, in order, for the caller to hand to the real policy later (see
    /// [`ErrorHandler::take_deferred`]). A reader that parses blocks of its input on
    /// other threads uses this, so that the policy still sees records in input order.
    /// Deferred records are not counted as skipped.
    pub fn deferring() -> Self {
        ErrorHandler {
            deferred: Some(Vec::new()),
            ..Default::default()
        }
    }

    /// The bad records kept since the last call, in order (none unless deferring).
    pub fn take_deferred(&mut self) -> Vec<DeferredRecord> {
        self.deferred
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Handles one bad record: `Err` to stop the stream with this error, `Ok` to skip it.
    pub fn handle(&mut self, error: ParseError, raw: &[u8]) -> Result<()> {
        if let Some(deferred) = self.deferred.as_mut() {
            deferred.push((error, raw.to_vec()));
            return Ok(());
        }
        if !self.skip {
            return Err(error.into());
        }
        if let Some(sink) = self.dead_letter.as_mut() {
            sink.write(&error, raw)
                .map_err(|e| Error::io("dead-letter file", e))?;
        }
        self.skipped += 1;
        Ok(())
    }

    /// True when the first bad record ends the stream (the `Fail` policy): a reader
    /// may then stop at a record it knows is bad without reading to its end.
    pub fn fails(&self) -> bool {
        !self.skip && self.deferred.is_none()
    }

    /// How many records were skipped.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Flushes the dead-letter sink, if any.
    pub fn flush(&mut self) -> Result<()> {
        match self.dead_letter.as_mut() {
            Some(sink) => sink.flush().map_err(|e| Error::io("dead-letter file", e)),
            None => Ok(()),
        }
    }
}
