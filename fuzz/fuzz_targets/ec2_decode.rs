//! Fuzz target `ec2_decode`: see `nimbus_fuzz::ec2_decode` for what it exercises and README.md for
//! the input layout and how to run it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nimbus_fuzz::ec2_decode(data));
