//! No input makes `parse`, `verify` or the aws-chunked decoder panic: random bytes and
//! random mutations of valid inputs, driven by a tiny deterministic PRNG (fixed seeds, so a
//! failure reproduces). A poor man's fuzzer that runs in every `cargo test`.

mod common;

use http::{HeaderMap, HeaderValue};
use nimbus_sigv4::*;

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn byte(&mut self) -> u8 {
        // Bias towards the characters the parsers care about.
        const INTERESTING: &[u8] = b"=,; /%&\r\n:0aF-";
        if self.below(3) == 0 {
            INTERESTING[self.below(INTERESTING.len())]
        } else {
            self.next() as u8
        }
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.byte()).collect()
    }
    fn mutate(&mut self, input: &[u8]) -> Vec<u8> {
        let mut v = input.to_vec();
        for _ in 0..=self.below(4) {
            match self.below(5) {
                0 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v[i] = self.byte();
                }
                1 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v.remove(i);
                }
                2 => {
                    let i = self.below(v.len() + 1);
                    let b = self.byte();
                    v.insert(i, b);
                }
                3 if !v.is_empty() => {
                    let i = self.below(v.len());
                    v.truncate(i);
                }
                _ => {
                    let i = self.below(v.len() + 1);
                    let extra = self.bytes(8);
                    v.splice(i..i, extra);
                }
            }
        }
        v
    }
}

const SEEDS: [u64; 4] = [0x9E37_79B9_7F4A_7C15, 1, 0xDEAD_BEEF, 42];

fn exercise(method: &str, path: &str, query: &str, headers: &HeaderMap, body: &[u8]) {
    let req = RequestView {
        method,
        raw_path: path,
        raw_query: query,
        headers,
        body,
        authority: Some("h"),
    };
    if let Ok(Some(auth)) = parse(&req) {
        for now in [0, 1_795_600_800, i64::MAX, i64::MIN] {
            if let Ok(v) = verify(&req, &auth, "s", now) {
                let _ = decode_aws_chunked(body, v.payload, &v, &auth);
            }
        }
    }
    let _ = decode_aws_chunked_unverified(body);
}

#[test]
fn garbage_authorization_headers_never_panic() {
    let valid = {
        let mut h = common::headers(&[("host", "localhost")]);
        let p = SigningParams {
            access_key: "AK",
            secret_access_key: "s",
            region: "us-east-1",
            service: "s3",
            amz_date: "20261125T100000Z",
            session_token: None,
        };
        sign_request_for_tests("GET", "/b/k", "a=1", &mut h, b"", &p);
        h.get("authorization").unwrap().as_bytes().to_vec()
    };
    for seed in SEEDS {
        let mut rng = Rng(seed);
        for i in 0..3000 {
            let value = if i % 2 == 0 {
                rng.mutate(&valid)
            } else {
                rng.bytes(200)
            };
            let Ok(v) = HeaderValue::from_bytes(&value) else {
                continue;
            };
            let mut h =
                common::headers(&[("host", "localhost"), ("x-amz-date", "20261125T100000Z")]);
            h.insert("authorization", v);
            if rng.below(2) == 0 {
                if let Ok(d) = HeaderValue::from_bytes(&rng.mutate(b"20261125T100000Z")) {
                    h.insert("x-amz-date", d);
                }
            }
            exercise("GET", "/b/k", "a=1", &h, b"");
        }
    }
}

#[test]
fn garbage_queries_and_paths_never_panic() {
    let h0 = common::headers(&[("host", "localhost")]);
    let p = SigningParams {
        access_key: "AK",
        secret_access_key: "s",
        region: "us-east-1",
        service: "s3",
        amz_date: "20261125T100000Z",
        session_token: None,
    };
    let valid = presign_for_tests("GET", "/b/k", "x=1", &h0, b"", 60, &p);
    for seed in SEEDS {
        let mut rng = Rng(seed);
        for i in 0..3000 {
            let q = if i % 3 == 0 {
                rng.bytes(100)
            } else {
                rng.mutate(valid.as_bytes())
            };
            let q = String::from_utf8_lossy(&q);
            let path = String::from_utf8_lossy(&rng.mutate(b"/b/%2F/./../k%")).into_owned();
            exercise("GET", &path, &q, &h0, b"");
        }
    }
}

#[test]
fn garbage_chunked_bodies_never_panic() {
    let payload: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    let unsigned = encode_aws_chunked(&payload, 700, None, &[("x-amz-checksum-crc32", "AAAAAA==")]);
    let mut signer = ChunkSigner::new(
        [7u8; 32],
        "20261125T100000Z",
        "20261125/us-east-1/s3/aws4_request",
        "seed",
    );
    let signed = encode_aws_chunked(
        &payload,
        700,
        Some(&mut signer),
        &[("x-amz-checksum-crc32", "AAAAAA==")],
    );
    let verified = Verified {
        signing_key: [7u8; 32],
        seed_signature: "seed".into(),
        payload: PayloadMode::StreamingSigned,
        decoded_content_length: Some(3000),
    };
    let auth = ParsedAuth {
        access_key: "AK".into(),
        date: "20261125".into(),
        region: "us-east-1".into(),
        service: "s3".into(),
        signed_headers: SignedHeaders::parse("host"),
        signature: "seed".into(),
        amz_date: "20261125T100000Z".into(),
        presigned: false,
        expires_secs: None,
        session_token: None,
    };
    // The unmutated inputs decode.
    assert_eq!(
        decode_aws_chunked(&signed, PayloadMode::StreamingSigned, &verified, &auth)
            .unwrap()
            .0
            .len(),
        3000
    );
    assert_eq!(
        decode_aws_chunked_unverified(&unsigned).unwrap().0.len(),
        3000
    );
    for seed in SEEDS {
        let mut rng = Rng(seed);
        for i in 0..2000 {
            let body = match i % 3 {
                0 => rng.mutate(&signed),
                1 => rng.mutate(&unsigned),
                _ => rng.bytes(300),
            };
            for mode in [
                PayloadMode::StreamingSigned,
                PayloadMode::StreamingUnsignedTrailer,
            ] {
                let _ = decode_aws_chunked(&body, mode, &verified, &auth);
            }
            let _ = decode_aws_chunked_unverified(&body);
        }
    }
}
