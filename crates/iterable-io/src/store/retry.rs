//! Retries of transient store errors, with exponential backoff.
//!
//! `object_store` retries every request itself (server errors, 429, timeouts,
//! connection errors) and resumes a response body cut short with a range request
//! pinned to the object's ETag; this file turns [`StoreOptions`] into its
//! [`RetryConfig`], so one setting governs opening, reading, listing and uploading.

use iterable_core::StoreOptions;
use object_store::{BackoffConfig, RetryConfig};

/// The retry policy of `options`.
pub(crate) fn retry_config(options: &StoreOptions) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: options.initial_backoff,
            max_backoff: options.max_backoff.max(options.initial_backoff),
            base: 2.0,
        },
        max_retries: options.max_retries,
        retry_timeout: options.retry_timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn options_become_the_retry_policy() {
        let mut o = StoreOptions::default();
        o.max_retries = 3;
        o.initial_backoff = Duration::from_millis(5);
        o.max_backoff = Duration::from_millis(1);
        let c = retry_config(&o);
        assert_eq!(c.max_retries, 3);
        assert_eq!(c.backoff.init_backoff, Duration::from_millis(5));
        assert_eq!(c.backoff.max_backoff, Duration::from_millis(5));
        assert_eq!(c.retry_timeout, Duration::from_secs(180));
    }
}
