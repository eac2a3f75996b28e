//! Deterministic benchmark data shaped like the peer benchmark's (`../shared/bench/gen_data.py`):
//! 8 columns — id, name, email, amount, qty, created, comment, tags — where some comments
//! carry commas, quotes and newlines, so quoting is exercised.
#![deny(missing_docs)]

use iterable::{Row, Value, row};

/// A small deterministic generator (xorshift), so every run benchmarks the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const FIRST: [&str; 8] = [
    "Alice", "Bob", "Carol", "David", "Eve", "Zoë", "Mallory", "Łukasz",
];
const LAST: [&str; 8] = [
    "Smith", "Jones", "Müller", "Brown", "Garcia", "Kowalski", "Ivanov", "Lee",
];
const WORDS: [&str; 10] = [
    "fast", "order", "late", "refund", "ok", "great", "box", "item", "blue", "sale",
];

/// `n` rows of typed values.
pub fn rows(n: usize) -> Vec<Row> {
    let mut rng = Rng(0x2024_0601_dead_beef);
    (1..=n)
        .map(|id| {
            let first = FIRST[rng.below(8) as usize];
            let last = LAST[rng.below(8) as usize];
            let amount = rng.below(1_000_000) as f64 / 100.0;
            let comment = match rng.below(100) {
                0..=3 => String::new(),
                4..=9 => format!("said \"{}\" twice", WORDS[rng.below(10) as usize]),
                10..=12 => format!("{}\n{}", WORDS[rng.below(10) as usize], WORDS[rng.below(10) as usize]),
                13..=27 => format!("{}, {}", WORDS[rng.below(10) as usize], WORDS[rng.below(10) as usize]),
                _ => format!("{} {} {}", WORDS[rng.below(10) as usize], WORDS[rng.below(10) as usize], id),
            };
            row! {
                "id" => id as i64,
                "name" => format!("{first} {last}"),
                "email" => format!("{}.{}{}@example.com", first.to_lowercase(), last.to_lowercase(), id % 97),
                "amount" => Value::Float(amount),
                "qty" => (rng.below(500) + 1) as i64,
                "created" => format!("2021-{:02}-{:02}T{:02}:{:02}:{:02}Z", rng.below(12) + 1, rng.below(28) + 1, rng.below(24), rng.below(60), rng.below(60)),
                "comment" => comment,
                "tags" => WORDS[..(rng.below(3) + 1) as usize].join(";"),
            }
        })
        .collect()
}

/// The runtime every bench runs on: two worker threads (the machine's cores), I/O and
/// timers enabled.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
