//! When to try a request again, and how long to wait first.
//!
//! Retried: 429 (except `insufficient_quota`), 408, 409, 5xx, timeouts and dropped
//! connections. Not retried: other 4xx. The server's `x-should-retry` overrides both.
//! The wait is the server's (`retry-after-ms`, then `retry-after` as seconds, a float,
//! or an HTTP date), else exponential backoff with jitter.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::EnrichError;
use crate::provider::{ProviderError, RetryHint};

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
        if let Some(after) = error.hint.after {
            return Some(after.min(self.max_retry_after));
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(30)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let jitter = self.jitter.clamp(0.0, 1.0);
        Some(exp.mul_f64(1.0 - jitter * fastrand::f64()))
    }
}

/// Whether the failure is worth another attempt.
pub fn is_retryable(error: &ProviderError) -> bool {
    if let EnrichError::Http {
        code: Some(code), ..
    } = &error.error
    {
        if code == "insufficient_quota" {
            return false;
        }
    }
    if let Some(should) = error.hint.should_retry {
        return should;
    }
    match &error.error {
        EnrichError::Http { status, .. } => {
            matches!(status, 408 | 409 | 429) || (500..600).contains(status)
        }
        EnrichError::Timeout(_) | EnrichError::Connection(_) => true,
        _ => false,
    }
}

/// The retry advice in a response's headers.
pub fn retry_hint(headers: &HeaderMap, now: SystemTime) -> RetryHint {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let after = get("retry-after-ms")
        .and_then(|ms| ms.parse::<f64>().ok())
        .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
        .or_else(|| get("retry-after").and_then(|v| parse_retry_after(v, now)));
    let should_retry = get("x-should-retry").and_then(|v| match v {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    });
    RetryHint {
        after,
        should_retry,
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
    fn headers_give_the_hint_and_ms_wins() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        h.insert("retry-after-ms", "150".parse().unwrap());
        h.insert("x-should-retry", "false".parse().unwrap());
        let hint = retry_hint(&h, SystemTime::now());
        assert_eq!(hint.after, Some(Duration::from_millis(150)));
        assert_eq!(hint.should_retry, Some(false));
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
        assert_eq!(p.delay(0, &told), Some(p.max_retry_after));
    }
}
