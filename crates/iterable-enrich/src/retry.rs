//! When to try a request again, and how long to wait first.
//!
//! Retried: 429 (except a spent quota), 408, 409, 5xx, timeouts and dropped
//! connections. Not retried: other 4xx, and any status whose body is a request
//! validation error (some servers answer a refused parameter with 500: asking again
//! gets the same answer). The server's `x-should-retry` overrides the status. The wait
//! is the server's (`retry-after-ms`, then `retry-after` as seconds, a float, or an
//! HTTP date) plus up to `jitter` of it more, so rows told the same wait do not come
//! back in lockstep; else exponential backoff with jitter.

use std::time::{Duration, SystemTime};

use crate::EnrichError;
use crate::failure::{fatal_reason, is_validation_error};
use crate::provider::ProviderError;

/// How often and how patiently to retry a failed request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 5).
    pub max_retries: u32,
    /// The first backoff (default 500 ms); each retry doubles it.
    pub base_delay: Duration,
    /// The longest backoff (default 30 s).
    pub max_delay: Duration,
    /// The longest server-requested wait honoured (default 120 s); longer ones are cut.
    pub max_retry_after: Duration,
    /// The share of each backoff drawn at random, 0 to 1 (default 0.25).
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            jitter: 0.25,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Default::default()
        }
    }

    /// The wait before retry number `retry` (0-based) after `error`, or `None` when it
    /// must not be retried (or retries are used up).
    pub fn delay(&self, retry: u32, error: &ProviderError) -> Option<Duration> {
        if retry >= self.max_retries || !is_retryable(error) {
            return None;
        }
        let jitter = self.jitter.clamp(0.0, 1.0);
        if let Some(after) = error.hint.after {
            let after = after.min(self.max_retry_after);
            return Some(after.mul_f64(1.0 + jitter * fastrand::f64()));
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(30)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        Some(exp.mul_f64(1.0 - jitter * fastrand::f64()))
    }
}

/// Whether the failure is worth another attempt.
pub fn is_retryable(error: &ProviderError) -> bool {
    if fatal_reason(&error.error).is_some() {
        return false;
    }
    if let Some(should) = error.hint.should_retry {
        return should;
    }
    match &error.error {
        EnrichError::Http { status, .. } => {
            (matches!(status, 408 | 409 | 429) || (500..600).contains(status))
                && !is_validation_error(&error.error)
        }
        EnrichError::Timeout(_) | EnrichError::Connection(_) => true,
        _ => false,
    }
}

/// `retry-after`: seconds (`2`, `1.5`) or an HTTP date; a date in the past is no wait.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, code: Option<&str>) -> ProviderError {
        ProviderError::new(EnrichError::Http {
            status,
            code: code.map(str::to_owned),
            message: String::new(),
        })
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("0.25", now),
            Some(Duration::from_millis(250))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn which_failures_are_retried() {
        for s in [408, 409, 429, 500, 502, 503, 504] {
            assert!(is_retryable(&http(s, None)), "{s}");
        }
        for s in [400, 401, 403, 404, 422] {
            assert!(!is_retryable(&http(s, None)), "{s}");
        }
        assert!(!is_retryable(&http(429, Some("insufficient_quota"))));
        let mut validation = http(500, None);
        validation.error = EnrichError::Http {
            status: 500,
            code: None,
            message: "1 validation error for ChatCompletionRequest: Input should be 'text'".into(),
        };
        assert!(!is_retryable(&validation));
        let mut forced = http(400, None);
        forced.hint.should_retry = Some(true);
        assert!(is_retryable(&forced));
        let mut refused = http(503, None);
        refused.hint.should_retry = Some(false);
        assert!(!is_retryable(&refused));
        assert!(is_retryable(&ProviderError::new(EnrichError::Connection(
            "reset".into()
        ))));
        assert!(!is_retryable(&ProviderError::new(EnrichError::Truncated)));
    }

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        let p = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            jitter: 0.25,
            ..Default::default()
        };
        let e = http(500, None);
        for (retry, full) in [(0, 100), (1, 200), (2, 400), (3, 800), (4, 1000), (9, 1000)] {
            let d = p.delay(retry, &e).unwrap();
            assert!(d <= Duration::from_millis(full), "{retry}: {d:?}");
            assert!(d >= Duration::from_millis(full * 3 / 4), "{retry}: {d:?}");
        }
        assert_eq!(p.delay(10, &e), None);
        let mut told = e.clone();
        told.hint.after = Some(Duration::from_secs(500));
        let d = p.delay(0, &told).unwrap();
        assert!(
            d >= p.max_retry_after && d <= p.max_retry_after.mul_f64(1.25),
            "{d:?}"
        );
        told.hint.after = Some(Duration::from_secs(2));
        let waits: Vec<Duration> = (0..20).map(|_| p.delay(0, &told).unwrap()).collect();
        assert!(
            waits.iter().all(|w| *w >= Duration::from_secs(2)),
            "{waits:?}"
        );
        assert!(waits.iter().any(|w| *w != waits[0]), "jittered: {waits:?}");
    }
}
