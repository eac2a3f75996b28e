#![no_main]
//! Arbitrary bytes read as `.csv.lz4`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iterable_fuzz::read_all("csv.lz4", data));
