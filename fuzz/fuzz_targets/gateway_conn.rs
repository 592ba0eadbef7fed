//! Fuzz target `gateway_conn`: see `nimbus_fuzz::conn` for what it exercises and README.md for
//! the input layout and how to run it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nimbus_fuzz::gateway_conn(data));
