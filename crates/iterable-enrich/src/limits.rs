//! Requests-per-minute and tokens-per-minute limits: two token buckets.
//!
//! A bucket holds up to a minute's allowance and refills continuously. A request takes
//! one request token and its estimated token count (prompt estimate plus `max_tokens`)
//! before it is sent; when the answer reports the real usage, the difference is paid
//! back or charged, so the bucket follows what the server counts.
//!
//! The server's own account of its limits (`x-ratelimit-*`) seeds a bucket the user
//! did not set and caps what a bucket holds at what the server says is left; an
//! exhausted allowance, or a rate limit answer, pauses every request of the stage
//! until the server's reset, each waiter waking with its own jitter.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::Mutex;

use crate::provider::RateInfo;
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

    /// Holds at most `n` tokens now (the server says no more are left).
    pub fn cap(&self, n: u64) {
        let mut state = self.state();
        state.refill(self.per_minute);
        state.tokens = state.tokens.min(n as f64);
    }

    /// Corrects an earlier estimate: positive `delta` takes more, negative gives back.
    pub fn adjust(&self, delta: i64) {
        let mut state = self.state();
        state.refill(self.per_minute);
        state.tokens = (state.tokens - delta as f64).min(self.per_minute);
    }
}

/// The two buckets and the pause a stage shares across its rows.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    requests: OnceLock<TokenBucket>,
    tokens: OnceLock<TokenBucket>,
    /// Whether buckets the user did not set are made from the server's headers.
    learn: bool,
    paused_until: std::sync::Mutex<Option<Instant>>,
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits, learn: bool) -> Self {
        let limiter = Limiter {
            learn,
            ..Default::default()
        };
        if let Some(n) = limits.requests_per_minute {
            let _ = limiter.requests.set(TokenBucket::new(n.into()));
        }
        if let Some(n) = limits.tokens_per_minute {
            let _ = limiter.tokens.set(TokenBucket::new(n));
        }
        limiter
    }

    /// Waits out a pause, then for room for one request of about `estimated_tokens`.
    pub(crate) async fn acquire(&self, estimated_tokens: u64) {
        self.wait_pause().await;
        if let Some(bucket) = self.requests.get() {
            bucket.acquire(1).await;
        }
        if let Some(bucket) = self.tokens.get() {
            bucket.acquire(estimated_tokens).await;
        }
    }

    /// Settles the token estimate against what the server reported.
    pub(crate) fn settle(&self, estimated_tokens: u64, used_tokens: u64) {
        if let Some(bucket) = self.tokens.get() {
            bucket.adjust(used_tokens as i64 - estimated_tokens as i64);
        }
    }

    /// No request is sent for `wait` from now (a pause already longer stays).
    /// Whether this call made the pause longer.
    pub(crate) fn pause(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if paused.is_some_and(|at| at >= until) {
            return false;
        }
        *paused = Some(until);
        true
    }

    /// Waits until no pause is in force.
    pub(crate) async fn wait_pause(&self) {
        loop {
            let until = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
            let Some(until) = until else { return };
            let now = Instant::now();
            if until <= now {
                return;
            }
            // Waiters wake spread over a tenth of the pause (at most a second), not at once.
            let spread = (until - now).mul_f64(0.1).min(Duration::from_secs(1));
            tokio::time::sleep_until(until + spread.mul_f64(fastrand::f64())).await;
        }
    }

    /// What the server said about the account's limits; `Some(wait)` when an
    /// allowance is spent and the stage now pauses until its reset.
    pub(crate) fn observe(&self, rate: &RateInfo) -> Option<Duration> {
        if self.learn {
            if let Some(n) = rate.limit_requests {
                self.requests.get_or_init(|| TokenBucket::new(n));
            }
            if let Some(n) = rate.limit_tokens {
                self.tokens.get_or_init(|| TokenBucket::new(n));
            }
        }
        if let (Some(bucket), Some(left)) = (self.requests.get(), rate.remaining_requests) {
            bucket.cap(left);
        }
        if let (Some(bucket), Some(left)) = (self.tokens.get(), rate.remaining_tokens) {
            bucket.cap(left);
        }
        let spent = |left: Option<u64>, reset: Option<Duration>| match (left, reset) {
            (Some(0), Some(reset)) if !reset.is_zero() => Some(reset),
            _ => None,
        };
        let wait = spent(rate.remaining_requests, rate.reset_requests)
            .into_iter()
            .chain(spent(rate.remaining_tokens, rate.reset_tokens))
            .max()?;
        self.pause(wait).then_some(wait)
    }

    /// The requests-per-minute limit in force (given or learned).
    #[cfg(test)]
    pub(crate) fn requests_per_minute(&self) -> Option<u64> {
        self.requests.get().map(|b| b.per_minute as u64)
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
    async fn a_pause_holds_every_request_until_it_ends() {
        let limiter = Limiter::new(RateLimits::default(), true);
        assert!(limiter.pause(Duration::from_secs(2)));
        assert!(
            !limiter.pause(Duration::from_secs(1)),
            "a shorter pause changes nothing"
        );
        let start = Instant::now();
        limiter.acquire(1).await;
        let waited = start.elapsed();
        assert!(waited >= Duration::from_secs(2), "{waited:?}");
        assert!(waited <= Duration::from_millis(2200), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn server_headers_seed_the_buckets_and_a_spent_allowance_pauses() {
        let limiter = Limiter::new(RateLimits::default(), true);
        let rate = RateInfo {
            limit_requests: Some(60),
            remaining_requests: Some(0),
            reset_requests: Some(Duration::from_secs(3)),
            ..Default::default()
        };
        assert_eq!(limiter.observe(&rate), Some(Duration::from_secs(3)));
        assert_eq!(limiter.requests_per_minute(), Some(60));
        let start = Instant::now();
        limiter.acquire(1).await;
        assert!(
            start.elapsed() >= Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        let given = Limiter::new(
            RateLimits {
                requests_per_minute: Some(10),
                tokens_per_minute: None,
            },
            true,
        );
        given.observe(&RateInfo {
            limit_requests: Some(600),
            ..Default::default()
        });
        assert_eq!(
            given.requests_per_minute(),
            Some(10),
            "the user's limit stays"
        );
        let off = Limiter::new(RateLimits::default(), false);
        off.observe(&rate);
        assert_eq!(off.requests_per_minute(), None);
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
