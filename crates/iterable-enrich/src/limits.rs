//! Requests-per-minute and tokens-per-minute limits: two token buckets.
//!
//! A bucket holds up to a minute's allowance and refills continuously. A request takes
//! one request token and its estimated token count (prompt estimate plus `max_tokens`)
//! before it is sent; when the answer reports the real usage, the difference is paid
//! back or charged, so the bucket follows what the server counts.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Per-minute limits; `None` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimits {
    /// Requests per minute.
    pub requests_per_minute: Option<u32>,
    /// Tokens (prompt plus completion) per minute.
    pub tokens_per_minute: Option<u64>,
}

/// A token bucket refilled continuously at `per_minute / 60` a second.
#[derive(Debug)]
pub struct TokenBucket {
    per_minute: f64,
    /// Waiters take turns (first come, first served); settling never waits for them.
    turn: Mutex<()>,
    state: std::sync::Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    at: Instant,
}

impl BucketState {
    fn refill(&mut self, per_minute: f64) {
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * per_minute / 60.0;
        self.tokens = (self.tokens + refill).min(per_minute);
        self.at = now;
    }
}

impl TokenBucket {
    /// A full bucket of `per_minute` tokens.
    pub fn new(per_minute: u64) -> Self {
        let per_minute = per_minute.max(1) as f64;
        TokenBucket {
            per_minute,
            turn: Mutex::new(()),
            state: std::sync::Mutex::new(BucketState {
                tokens: per_minute,
                at: Instant::now(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, BucketState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until `n` tokens are there and takes them. More than a minute's worth
    /// waits for a full bucket (so one huge request still goes, alone).
    pub async fn acquire(&self, n: u64) {
        let n = (n as f64).min(self.per_minute);
        let _turn = self.turn.lock().await;
        loop {
            let wait = {
                let mut state = self.state();
                state.refill(self.per_minute);
                if state.tokens >= n {
                    state.tokens -= n;
                    return;
                }
                (n - state.tokens) * 60.0 / self.per_minute
            };
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }

    /// Corrects an earlier estimate: positive `delta` takes more, negative gives back.
    pub fn adjust(&self, delta: i64) {
        let mut state = self.state();
        state.refill(self.per_minute);
        state.tokens = (state.tokens - delta as f64).min(self.per_minute);
    }
}

/// The two buckets a stage shares across its rows.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    requests: Option<TokenBucket>,
    tokens: Option<TokenBucket>,
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Limiter {
            requests: limits
                .requests_per_minute
                .map(|n| TokenBucket::new(n.into())),
            tokens: limits.tokens_per_minute.map(TokenBucket::new),
        }
    }

    /// Waits for room for one request of about `estimated_tokens`.
    pub(crate) async fn acquire(&self, estimated_tokens: u64) {
        if let Some(bucket) = &self.requests {
            bucket.acquire(1).await;
        }
        if let Some(bucket) = &self.tokens {
            bucket.acquire(estimated_tokens).await;
        }
    }

    /// Settles the token estimate against what the server reported.
    pub(crate) fn settle(&self, estimated_tokens: u64, used_tokens: u64) {
        if let Some(bucket) = &self.tokens {
            bucket.adjust(used_tokens as i64 - estimated_tokens as i64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_serves_a_minute_then_refills_at_rate() {
        let bucket = TokenBucket::new(60); // one a second
        let start = Instant::now();
        for _ in 0..60 {
            bucket.acquire(1).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        bucket.acquire(3).await;
        let waited = start.elapsed();
        assert!(waited >= Duration::from_secs(3), "{waited:?}");
        assert!(waited < Duration::from_secs(4), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn usage_over_the_estimate_is_charged() {
        let bucket = TokenBucket::new(600); // ten a second
        bucket.acquire(100).await;
        bucket.adjust(500); // the answer used 600, not 100: the bucket is empty
        let start = Instant::now();
        bucket.acquire(10).await;
        assert!(
            start.elapsed() >= Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_bigger_than_the_bucket_waits_for_a_full_one() {
        let bucket = TokenBucket::new(60);
        bucket.acquire(1000).await; // capped at 60: goes at once on a full bucket
        let start = Instant::now();
        bucket.acquire(1000).await;
        assert!(start.elapsed() >= Duration::from_secs(60));
    }
}
