#![no_main]
//! Arbitrary bytes read as `.xml`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| iterable_fuzz::read_all("xml", data));
