#![no_main]
//! Arbitrary bytes read as `.csv.bz2`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iterable_fuzz::read_all("csv.bz2", data));
