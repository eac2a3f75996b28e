#![no_main]
//! Arbitrary bytes read as `.jsonl`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iterable_fuzz::read_all("jsonl", data));
