//! Fuzz target `sigv4_parse`: see `nimbus_fuzz::sigv4_parse` for what it exercises and README.md for
//! the input layout and how to run it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nimbus_fuzz::sigv4_parse(data));
