//! How many requests are in flight at once: at most the configured concurrency, and
//! fewer while the server is rate limiting, by additive increase and multiplicative
//! decrease (AIMD, as TCP does): a rate limit answer halves the limit, a run of
//! `limit` answers without one raises it by one, up to the configured concurrency.
//!
//! A burst of rate limit answers to requests sent before the last cut counts as one:
//! only a request sent after the last cut can cut again (each permit carries the
//! generation it was taken in).

use std::sync::Mutex;

use tokio::sync::{Semaphore, SemaphorePermit};

#[derive(Debug)]
struct GateState {
    limit: usize,
    /// Permits to retire as they come back (the limit fell below those in use).
    debt: usize,
    /// Answers without a rate limit since the limit last changed.
    clean: usize,
    generation: u64,
}

/// The shared permit pool of a stage.
#[derive(Debug)]
pub(crate) struct Gate {
    semaphore: Semaphore,
    max: usize,
    adaptive: bool,
    state: Mutex<GateState>,
}

/// One request's place in flight; returned (or retired) when dropped.
pub(crate) struct GatePermit<'a> {
    permit: Option<SemaphorePermit<'a>>,
    gate: &'a Gate,
    pub(crate) generation: u64,
}

impl Drop for GatePermit<'_> {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        let mut state = self.gate.state();
        if state.debt > 0 {
            state.debt -= 1;
            permit.forget();
        }
    }
}

impl Gate {
    /// `max` requests at once; `adaptive` lowers and raises the limit on rate limits.
    pub(crate) fn new(max: usize, adaptive: bool) -> Self {
        let max = max.max(1);
        Gate {
            semaphore: Semaphore::new(max),
            max,
            adaptive,
            state: Mutex::new(GateState {
                limit: max,
                debt: 0,
                clean: 0,
                generation: 0,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The limit now.
    #[cfg(test)]
    pub(crate) fn limit(&self) -> usize {
        self.state().limit
    }

    /// Waits for a place in flight.
    pub(crate) async fn acquire(&self) -> GatePermit<'_> {
        let permit = self
            .semaphore
            .acquire()
            .await
            .expect("the gate is never closed");
        let generation = self.state().generation;
        GatePermit {
            permit: Some(permit),
            gate: self,
            generation,
        }
    }

    /// A rate limit answer to a request sent in `generation`: halves the limit when
    /// that request was sent after the last change. `Some((from, to))` when it changed.
    pub(crate) fn rate_limited(&self, generation: u64) -> Option<(usize, usize)> {
        if !self.adaptive {
            return None;
        }
        let mut state = self.state();
        if generation < state.generation || state.limit == 1 {
            return None;
        }
        let from = state.limit;
        let to = (from / 2).max(1);
        state.limit = to;
        state.clean = 0;
        state.generation += 1;
        let retire = from - to;
        let retired_now = self.semaphore.forget_permits(retire);
        state.debt += retire - retired_now;
        Some((from, to))
    }

    /// An answer without a rate limit: after `limit` of them the limit grows by one.
    pub(crate) fn answered(&self) -> Option<(usize, usize)> {
        if !self.adaptive {
            return None;
        }
        let mut state = self.state();
        if state.limit >= self.max {
            return None;
        }
        state.clean += 1;
        if state.clean < state.limit {
            return None;
        }
        let from = state.limit;
        state.limit += 1;
        state.clean = 0;
        state.generation += 1;
        if state.debt > 0 {
            state.debt -= 1;
        } else {
            self.semaphore.add_permits(1);
        }
        Some((from, from + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_rate_limit_halves_and_clean_answers_raise_it_back() {
        let gate = Gate::new(8, true);
        let held: Vec<_> = futures_util::future::join_all((0..8).map(|_| gate.acquire())).await;
        let generation = held[0].generation;
        assert_eq!(gate.rate_limited(generation), Some((8, 4)));
        // the other requests of the same burst do not cut again
        assert_eq!(gate.rate_limited(generation), None);
        drop(held);
        assert_eq!(
            gate.semaphore.available_permits(),
            4,
            "four retired as they came back"
        );
        for _ in 0..3 {
            assert_eq!(gate.answered(), None);
        }
        assert_eq!(gate.answered(), Some((4, 5)));
        assert_eq!(gate.semaphore.available_permits(), 5);
    }

    #[tokio::test]
    async fn a_fixed_gate_never_changes() {
        let gate = Gate::new(4, false);
        assert_eq!(gate.rate_limited(0), None);
        assert_eq!(gate.limit(), 4);
    }
}
