#![no_main]
//! Arbitrary bytes read as `.toml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iterable_fuzz::read_all("toml", data));
