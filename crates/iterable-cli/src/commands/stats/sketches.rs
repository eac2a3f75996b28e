//! The bounded-memory summaries `stats` keeps a column: distinct values (exact up to
//! a limit, then HyperLogLog), the most frequent values (space-saving counters), and
//! a reservoir of numbers for quantiles.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// Distinct values counted exactly up to this many, estimated beyond.
pub(crate) const EXACT_DISTINCT: usize = 10_000;

/// A 64-bit hash that is the same in every run (SipHash with fixed keys).
fn hash64(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Distinct values: a set of hashes while small, then HyperLogLog (2^14 registers,
/// about 1% error).
pub(crate) enum Distinct {
    Exact(HashSet<u64>),
    Estimate(Box<[u8; 1 << 14]>),
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct::Exact(HashSet::new())
    }
}

impl Distinct {
    pub(crate) fn add(&mut self, text: &str) {
        let h = hash64(text);
        match self {
            Distinct::Exact(set) => {
                set.insert(h);
                if set.len() > EXACT_DISTINCT {
                    let mut registers = Box::new([0u8; 1 << 14]);
                    for &h in set.iter() {
                        Self::register(&mut registers, h);
                    }
                    *self = Distinct::Estimate(registers);
                }
            }
            Distinct::Estimate(registers) => Self::register(registers, h),
        }
    }

    fn register(registers: &mut [u8; 1 << 14], h: u64) {
        let index = (h >> 50) as usize;
        let rank = ((h << 14) | (1 << 13)).leading_zeros() as u8 + 1;
        registers[index] = registers[index].max(rank);
    }

    /// The count, and whether it is an estimate.
    pub(crate) fn count(&self) -> (u64, bool) {
        match self {
            Distinct::Exact(set) => (set.len() as u64, false),
            Distinct::Estimate(registers) => {
                let m = registers.len() as f64;
                let sum: f64 = registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
                let alpha = 0.7213 / (1.0 + 1.079 / m);
                let raw = alpha * m * m / sum;
                let zeros = registers.iter().filter(|&&r| r == 0).count();
                let estimate = if raw <= 2.5 * m && zeros > 0 {
                    m * (m / zeros as f64).ln()
                } else {
                    raw
                };
                (estimate.round() as u64, true)
            }
        }
    }
}

/// The most frequent values by the space-saving algorithm: exact while there are no
/// more distinct values than counters, and the heavy hitters' counts an upper bound
/// beyond.
pub(crate) struct TopValues {
    counters: HashMap<String, u64>,
    capacity: usize,
}

impl TopValues {
    pub(crate) fn new(capacity: usize) -> Self {
        TopValues {
            counters: HashMap::new(),
            capacity,
        }
    }

    pub(crate) fn add(&mut self, text: &str) {
        if let Some(n) = self.counters.get_mut(text) {
            *n += 1;
            return;
        }
        if self.counters.len() < self.capacity {
            self.counters.insert(text.to_owned(), 1);
            return;
        }
        // Replace the least counted value; the newcomer inherits its count.
        let (least, count) = self
            .counters
            .iter()
            .min_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(k, v)| (k.clone(), *v))
            .expect("full, so not empty");
        self.counters.remove(&least);
        self.counters.insert(text.to_owned(), count + 1);
    }

    /// The `n` most frequent, most first (ties by text).
    pub(crate) fn top(&self, n: usize) -> Vec<(&str, u64)> {
        let mut all: Vec<(&str, u64)> = self
            .counters
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all.truncate(n);
        all
    }
}

/// Numbers for quantiles: all of them up to the reservoir's size, then a uniform
/// sample (a fixed seed, so a run repeats).
pub(crate) struct NumberSample {
    kept: Vec<f64>,
    seen: u64,
    state: u64,
}

/// Numbers kept for quantiles: exact below this many values.
pub(crate) const QUANTILE_SAMPLE: usize = 20_000;

impl Default for NumberSample {
    fn default() -> Self {
        NumberSample {
            kept: Vec::new(),
            seen: 0,
            state: 0x5EED,
        }
    }
}

impl NumberSample {
    pub(crate) fn add(&mut self, x: f64) {
        self.seen += 1;
        if self.kept.len() < QUANTILE_SAMPLE {
            self.kept.push(x);
            return;
        }
        // xorshift64*: a cheap uniform draw in 0..seen.
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let j = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) % self.seen;
        if (j as usize) < QUANTILE_SAMPLE {
            self.kept[j as usize] = x;
        }
    }

    /// The quantiles `qs` (0..=1) of what was kept, by linear interpolation.
    pub(crate) fn quantiles(&mut self, qs: &[f64]) -> Vec<Option<f64>> {
        self.kept.sort_by(f64::total_cmp);
        qs.iter()
            .map(|&q| {
                let n = self.kept.len();
                if n == 0 {
                    return None;
                }
                let pos = q * (n - 1) as f64;
                let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
                let frac = pos - lo as f64;
                Some(self.kept[lo] + (self.kept[hi] - self.kept[lo]) * frac)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_is_exact_when_small_and_close_when_large() {
        let mut d = Distinct::default();
        for i in 0..5_000 {
            d.add(&(i % 1_234).to_string());
        }
        assert_eq!(d.count(), (1_234, false));
        let mut d = Distinct::default();
        for i in 0..200_000 {
            d.add(&i.to_string());
        }
        let (n, estimate) = d.count();
        assert!(estimate);
        assert!((196_000..204_000).contains(&n), "{n}");
    }

    #[test]
    fn heavy_hitters_come_first() {
        let mut t = TopValues::new(8);
        for i in 0..10_000 {
            t.add(if i % 3 == 0 { "hot" } else { "cold" });
            t.add(&format!("rare{i}"));
        }
        let top = t.top(2);
        assert_eq!(top[0].0, "cold");
        assert_eq!(top[1].0, "hot");
    }

    #[test]
    fn quantiles_interpolate() {
        let mut s = NumberSample::default();
        for x in [5.0, 1.0, 3.0, 2.0, 4.0] {
            s.add(x);
        }
        assert_eq!(
            s.quantiles(&[0.0, 0.25, 0.5, 1.0]),
            [Some(1.0), Some(2.0), Some(3.0), Some(5.0)]
        );
    }
}
