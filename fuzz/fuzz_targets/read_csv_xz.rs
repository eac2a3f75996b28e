#![no_main]
//! Arbitrary bytes read as `.csv.xz`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iterable_fuzz::read_all("csv.xz", data));
