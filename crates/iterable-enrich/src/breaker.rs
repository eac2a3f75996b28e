//! When a stage stops instead of paying for failures: at once after an error no row
//! can survive (credentials, quota, an unknown model, a refused schema); when the
//! first rows all fail the same way (`fail_fast`); when more rows failed than
//! `max_failures` allows.

use std::sync::{Mutex, OnceLock};

use crate::EnrichError;
use crate::failure::{fatal_reason, signature};

/// How many failed rows a stage tolerates before it stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FailureLimit {
    /// More than this many failed rows stop the stage.
    Rows(u64),
    /// A larger share of failed rows than this percentage stops the stage; checked
    /// once [`FailureLimit::PERCENT_MIN_ROWS`] rows have finished, and at the end.
    Percent(f64),
}

impl FailureLimit {
    /// Rows that must have finished before a percentage is checked during the run.
    pub const PERCENT_MIN_ROWS: u64 = 20;

    fn exceeded(&self, failed: u64, finished: u64, at_end: bool) -> bool {
        match *self {
            FailureLimit::Rows(n) => failed > n,
            FailureLimit::Percent(p) => {
                (at_end || finished >= Self::PERCENT_MIN_ROWS)
                    && finished > 0
                    && failed as f64 * 100.0 > p * finished as f64
            }
        }
    }
}

impl std::fmt::Display for FailureLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FailureLimit::Rows(n) => write!(f, "{n} row(s)"),
            FailureLimit::Percent(p) => write!(f, "{p}% of the rows"),
        }
    }
}

impl std::str::FromStr for FailureLimit {
    type Err = String;
    /// `10` (rows) or `5%`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("{s:?} is not a failure limit: a row count (10) or a percentage (5%)");
        match s.strip_suffix('%') {
            Some(p) => {
                let p: f64 = p.trim().parse().map_err(|_| bad())?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(bad());
                }
                Ok(FailureLimit::Percent(p))
            }
            None => s.parse().map(FailureLimit::Rows).map_err(|_| bad()),
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    finished: u64,
    failed: u64,
    /// Failures before the first success, while all of them failed the same way.
    leading_same: u32,
    leading_signature: Option<String>,
    leading_broken: bool,
}

/// The stop rules of one stage, and the reason once it stopped.
#[derive(Debug)]
pub(crate) struct Breaker {
    fail_fast: u32,
    max_failures: Option<FailureLimit>,
    tally: Mutex<Tally>,
    stopped: OnceLock<String>,
}

impl Breaker {
    pub(crate) fn new(fail_fast: u32, max_failures: Option<FailureLimit>) -> Self {
        Breaker {
            fail_fast,
            max_failures,
            tally: Mutex::new(Tally::default()),
            stopped: OnceLock::new(),
        }
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Why the stage stopped, once it did.
    pub(crate) fn stopped(&self) -> Option<&str> {
        self.stopped.get().map(String::as_str)
    }

    /// Stops the stage; `Some(reason)` only for the call that stopped it.
    fn stop(&self, reason: String) -> Option<String> {
        self.stopped.set(reason.clone()).ok().map(|()| reason)
    }

    pub(crate) fn record_success(&self) {
        let mut t = self.tally();
        t.finished += 1;
        t.leading_broken = true;
    }

    /// Counts a failed row; `Some(reason)` when it stops the stage.
    pub(crate) fn record_failure(&self, error: &EnrichError) -> Option<String> {
        if let EnrichError::Stopped(_) | EnrichError::BudgetSpent(_) = error {
            return None;
        }
        if let Some(why) = fatal_reason(error) {
            return self.stop(format!("{error} ({why})"));
        }
        let mut t = self.tally();
        t.finished += 1;
        t.failed += 1;
        if !t.leading_broken {
            let sig = signature(error);
            match &t.leading_signature {
                None => {
                    t.leading_signature = Some(sig);
                    t.leading_same = 1;
                }
                Some(first) if *first == sig => t.leading_same += 1,
                Some(_) => t.leading_broken = true,
            }
            if !t.leading_broken && self.fail_fast > 0 && t.leading_same >= self.fail_fast {
                let n = t.leading_same;
                drop(t);
                return self.stop(format!(
                    "the first {n} rows all failed the same way: {error}"
                ));
            }
        }
        let (failed, finished) = (t.failed, t.finished);
        drop(t);
        self.check_limit(failed, finished, false)
    }

    /// The percentage rule for a short input: checked when the stage ends.
    pub(crate) fn at_end(&self) -> Option<String> {
        let (failed, finished) = {
            let t = self.tally();
            (t.failed, t.finished)
        };
        self.check_limit(failed, finished, true)
    }

    fn check_limit(&self, failed: u64, finished: u64, at_end: bool) -> Option<String> {
        let limit = self.max_failures?;
        if !limit.exceeded(failed, finished, at_end) {
            return None;
        }
        self.stop(format!(
            "{failed} of {finished} finished rows failed, more than the limit of {limit}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, message: &str) -> EnrichError {
        EnrichError::Http {
            status,
            code: None,
            message: message.into(),
        }
    }

    #[test]
    fn the_first_rows_failing_the_same_way_stop_the_stage() {
        let b = Breaker::new(3, None);
        assert_eq!(b.record_failure(&http(400, "bad")), None);
        assert_eq!(b.record_failure(&http(400, "bad")), None);
        assert_eq!(
            b.record_failure(&http(400, "bad")).as_deref(),
            Some("the first 3 rows all failed the same way: HTTP 400: bad")
        );
        assert!(b.stopped().is_some());
    }

    #[test]
    fn a_success_or_a_different_failure_first_keeps_it_going() {
        let b = Breaker::new(2, None);
        b.record_success();
        assert_eq!(b.record_failure(&http(400, "bad")), None);
        assert_eq!(b.record_failure(&http(400, "bad")), None);
        let c = Breaker::new(2, None);
        assert_eq!(c.record_failure(&http(400, "bad")), None);
        assert_eq!(c.record_failure(&http(400, "other")), None);
        assert_eq!(c.record_failure(&http(400, "bad")), None);
        assert_eq!(c.stopped(), None);
    }

    #[test]
    fn a_fatal_error_stops_at_once() {
        let b = Breaker::new(5, None);
        let reason = b.record_failure(&http(401, "Incorrect API key provided"));
        assert_eq!(
            reason.as_deref(),
            Some("HTTP 401: Incorrect API key provided (the server refuses the credentials)")
        );
        assert_eq!(b.record_failure(&http(401, "again")), None, "reported once");
    }

    #[test]
    fn limits_by_rows_and_by_share() {
        let b = Breaker::new(0, Some(FailureLimit::Rows(2)));
        assert_eq!(b.record_failure(&http(500, "a")), None);
        assert_eq!(b.record_failure(&http(500, "a")), None);
        assert_eq!(
            b.record_failure(&http(500, "a")).as_deref(),
            Some("3 of 3 finished rows failed, more than the limit of 2 row(s)")
        );
        let p = Breaker::new(0, Some(FailureLimit::Percent(10.0)));
        for _ in 0..17 {
            p.record_success();
        }
        assert_eq!(p.record_failure(&http(500, "a")), None);
        assert_eq!(
            p.record_failure(&http(500, "a")),
            None,
            "19 finished: too few to judge"
        );
        assert!(p.record_failure(&http(500, "a")).is_some(), "3 of 20 > 10%");
        let short = Breaker::new(0, Some(FailureLimit::Percent(10.0)));
        short.record_success();
        assert_eq!(short.record_failure(&http(500, "a")), None);
        assert_eq!(
            short.at_end().as_deref(),
            Some("1 of 2 finished rows failed, more than the limit of 10% of the rows")
        );
    }

    #[test]
    fn limits_parse() {
        assert_eq!("10".parse(), Ok(FailureLimit::Rows(10)));
        assert_eq!("2.5%".parse(), Ok(FailureLimit::Percent(2.5)));
        assert!("x".parse::<FailureLimit>().is_err());
        assert!("120%".parse::<FailureLimit>().is_err());
    }
}
