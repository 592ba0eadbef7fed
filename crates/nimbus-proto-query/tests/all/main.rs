//! Tests of the query and ec2 protocols against what botocore really sends and parses.
//! The request vectors were captured from botocore (`dev/capture_requests.py`), the test
//! models mirror botocore's own (`dev/gen_test_models.py`), and the expected XML in
//! `responses.rs` was checked with botocore's parsers (`dev/check_responses.py`). The tests
//! themselves are pure Rust.

mod decode_ec2;
mod decode_query;
mod encode_ec2;
mod encode_query;
mod fixtures;
mod fuzz;
#[rustfmt::skip]
mod models;
mod responses;
mod util;
