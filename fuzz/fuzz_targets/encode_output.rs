//! Fuzz target `encode_output`: see `nimbus_fuzz::encode_output` for what it exercises and README.md for
//! the input layout and how to run it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nimbus_fuzz::encode_output(data));
