//! Fuzz target `typed_convert`: see `nimbus_fuzz::typed_convert` for what it exercises and README.md for
//! the input layout and how to run it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nimbus_fuzz::typed_convert(data));
