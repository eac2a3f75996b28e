#![no_main]
//! Arbitrary bytes read as `.ltsv`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iterable_fuzz::read_all("ltsv", data));
