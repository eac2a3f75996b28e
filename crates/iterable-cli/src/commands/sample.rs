//! `sample`: N rows drawn uniformly at random (reservoir sampling), in input order.

use anyhow::Result;
use iterable::Row;

use super::cat::{Output, fold_rows};
use crate::args::ReadArgs;

/// SplitMix64: a small seeded generator (the same seed draws the same rows).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..=bound`, without the bias of a plain modulo.
    fn up_to(&mut self, bound: u64) -> u64 {
        let span = bound.wrapping_add(1);
        if span == 0 {
            return self.next();
        }
        let zone = u64::MAX - u64::MAX % span;
        loop {
            let x = self.next();
            if x < zone {
                return x % span;
            }
        }
    }
}

/// The reservoir: each row read so far had the same chance, `n / seen`, to be in it.
pub(crate) struct Reservoir {
    n: usize,
    seen: u64,
    rng: SplitMix64,
    /// The rows kept, with their positions in the input.
    kept: Vec<(u64, Row)>,
}

impl Reservoir {
    pub(crate) fn new(n: usize, seed: u64) -> Self {
        Reservoir {
            n,
            seen: 0,
            rng: SplitMix64(seed),
            kept: Vec::with_capacity(n.min(1 << 16)),
        }
    }

    /// Offers the next row (algorithm R).
    pub(crate) fn offer(&mut self, row: Row) {
        let at = self.seen;
        self.seen += 1;
        if self.kept.len() < self.n {
            self.kept.push((at, row));
            return;
        }
        let j = self.rng.up_to(at);
        if (j as usize) < self.n {
            self.kept[j as usize] = (at, row);
        }
    }

    /// The rows kept, in input order.
    pub(crate) fn into_rows(mut self) -> Vec<Row> {
        self.kept.sort_unstable_by_key(|(at, _)| *at);
        self.kept.into_iter().map(|(_, row)| row).collect()
    }
}

/// Writes `n` rows of `locations` drawn at random (every row with the same chance),
/// in the order they were read. `seed` makes the draw repeatable; by default it comes
/// from the clock.
pub async fn run(
    locations: &[String],
    read: &ReadArgs,
    out: Output,
    n: usize,
    seed: Option<u64>,
) -> Result<()> {
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let reservoir = Reservoir::new(n, seed);
    fold_rows(
        locations,
        read,
        out,
        reservoir,
        Reservoir::offer,
        Reservoir::into_rows,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use iterable::row;

    #[test]
    fn every_row_has_the_same_chance() {
        // 10,000 draws of 2 rows of 5: each row should be kept about 4,000 times.
        let mut kept = [0u32; 5];
        for seed in 0..10_000 {
            let mut r = Reservoir::new(2, seed);
            for i in 0..5i64 {
                r.offer(row! { "i" => i });
            }
            for row in r.into_rows() {
                kept[row["i"].as_i64().unwrap() as usize] += 1;
            }
        }
        for count in kept {
            assert!((3_800..4_200).contains(&count), "{kept:?}");
        }
    }

    #[test]
    fn the_rows_come_out_in_input_order_and_a_seed_repeats_the_draw() {
        let draw = |seed| {
            let mut r = Reservoir::new(3, seed);
            for i in 0..100i64 {
                r.offer(row! { "i" => i });
            }
            r.into_rows()
                .iter()
                .map(|row| row["i"].as_i64().unwrap())
                .collect::<Vec<_>>()
        };
        let a = draw(7);
        assert!(a.windows(2).all(|w| w[0] < w[1]), "{a:?}");
        assert_eq!(a, draw(7));
        assert_ne!(a, draw(8));
    }
}
