//! aws-chunked bodies end to end: a streaming request signed with the crate's signer, its
//! body encoded with chained chunk signatures (with and without trailers), decoded and
//! verified; tampering and malformed framing are refused; unsigned-trailer bodies as
//! botocore sends them decode without signatures.

mod common;

use common::{headers, view};
use nimbus_sigv4::*;

const SECRET: &str = "chunk-secret";
const NOW: i64 = 1_795_600_800;

fn p() -> SigningParams<'static> {
    SigningParams {
        access_key: "AKIACHUNK",
        secret_access_key: SECRET,
        region: "us-east-1",
        service: "s3",
        amz_date: "20261125T100000Z",
        session_token: None,
    }
}

/// A signed streaming PUT: returns headers, parsed auth, verification result.
fn streaming_request(
    content_sha: &str,
    decoded_len: usize,
) -> (http::HeaderMap, ParsedAuth, Verified) {
    let mut h = headers(&[
        ("host", "localhost"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-content-sha256", content_sha),
        ("x-amz-decoded-content-length", &decoded_len.to_string()),
    ]);
    sign_request_for_tests("PUT", "/b/k", "", &mut h, b"", &p());
    let req = view("PUT", "/b/k", "", &h, b"");
    let auth = parse(&req).unwrap().unwrap();
    let v = verify(&req, &auth, SECRET, NOW).unwrap();
    (h, auth, v)
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn signed_round_trip_various_sizes() {
    for (len, chunk) in [(0, 8192), (1, 8192), (8192, 8192), (20_000, 8192), (100, 7)] {
        let payload = data(len);
        let (_, auth, v) = streaming_request("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", len);
        let mut signer = ChunkSigner::for_request(&v, &auth);
        let body = encode_aws_chunked(&payload, chunk, Some(&mut signer), &[]);
        let (out, trailers) = decode_aws_chunked(&body, v.payload, &v, &auth).unwrap();
        assert_eq!(&out[..], &payload[..], "len {len}");
        assert!(trailers.is_empty());
    }
}

#[test]
fn signed_with_trailer() {
    // ASCII payload: the test edits the body as text.
    let payload: Vec<u8> = data(10_000).iter().map(|b| b'a' + b % 26).collect();
    let (_, auth, v) =
        streaming_request("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", payload.len());
    let trailer = [("x-amz-checksum-crc32", "sOO8/Q==")];
    let mut signer = ChunkSigner::for_request(&v, &auth);
    let body = encode_aws_chunked(&payload, 4096, Some(&mut signer), &trailer);
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("\r\n0;chunk-signature="));
    assert!(text.contains("\r\nx-amz-checksum-crc32:sOO8/Q==\r\nx-amz-trailer-signature:"));
    let (out, trailers) = decode_aws_chunked(&body, v.payload, &v, &auth).unwrap();
    assert_eq!(&out[..], &payload[..]);
    assert_eq!(
        trailers,
        vec![("x-amz-checksum-crc32".to_string(), "sOO8/Q==".to_string())]
    );

    // A changed trailer value breaks the trailer signature.
    let tampered = text.replace("sOO8/Q==", "AAAAAA==").into_bytes();
    let err = decode_aws_chunked(&tampered, v.payload, &v, &auth).unwrap_err();
    let chunks = payload.len().div_ceil(4096);
    assert!(
        matches!(err, SigV4Error::ChunkSignatureDoesNotMatch { chunk_index, .. } if chunk_index == chunks + 1),
        "{err:?}"
    );
    // Dropping the trailer signature is refused.
    let sig_line_start = text.find("x-amz-trailer-signature:").unwrap();
    let sig_line_end = sig_line_start + text[sig_line_start..].find("\r\n").unwrap() + 2;
    let unsigned = format!("{}{}", &text[..sig_line_start], &text[sig_line_end..]);
    let err = decode_aws_chunked(unsigned.as_bytes(), v.payload, &v, &auth).unwrap_err();
    assert_eq!(err.code(), "InvalidRequest");
}

#[test]
fn tampered_chunk_data_or_order() {
    let payload = data(3 * 1024);
    let (_, auth, v) = streaming_request("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", payload.len());
    let mut signer = ChunkSigner::for_request(&v, &auth);
    let body = encode_aws_chunked(&payload, 1024, Some(&mut signer), &[]);
    // Flip one data byte in the second chunk.
    let second = body
        .windows(2)
        .enumerate()
        .filter(|(_, w)| *w == b"\r\n")
        .nth(2)
        .unwrap()
        .0
        + 2;
    let mut bad = body.clone();
    bad[second + 10] ^= 1;
    let err = decode_aws_chunked(&bad, v.payload, &v, &auth).unwrap_err();
    assert!(
        matches!(
            err,
            SigV4Error::ChunkSignatureDoesNotMatch { chunk_index: 1, .. }
        ),
        "{err:?}"
    );
    assert_eq!((err.code(), err.status()), ("SignatureDoesNotMatch", 403));
    // A chunk without a signature in signed mode.
    let first_sig_end = body.windows(2).position(|w| w == b"\r\n").unwrap();
    let stripped = [b"400".as_slice(), &body[first_sig_end..]].concat();
    let err = decode_aws_chunked(&stripped, v.payload, &v, &auth).unwrap_err();
    assert_eq!(err.code(), "InvalidRequest", "{err:?}");
    // Another request's seed does not verify this body.
    let (_, auth2, v2) = streaming_request("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", payload.len() + 1);
    assert!(decode_aws_chunked(&body, v2.payload, &v2, &auth2).is_err());
}

#[test]
fn decoded_length_must_match_header() {
    let payload = data(5000);
    let (_, auth, v) = streaming_request("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", 4999);
    let mut signer = ChunkSigner::for_request(&v, &auth);
    let body = encode_aws_chunked(&payload, 1000, Some(&mut signer), &[]);
    let err = decode_aws_chunked(&body, v.payload, &v, &auth).unwrap_err();
    assert_eq!((err.code(), err.status()), ("IncompleteBody", 400));
    let (_, auth, v) = streaming_request("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", 5001);
    let mut signer = ChunkSigner::for_request(&v, &auth);
    let body = encode_aws_chunked(&payload, 1000, Some(&mut signer), &[]);
    assert!(matches!(
        decode_aws_chunked(&body, v.payload, &v, &auth),
        Err(SigV4Error::DecodedLengthMismatch {
            expected: 5001,
            actual: 5000
        })
    ));
}

#[test]
fn unsigned_trailer_as_botocore_sends_it() {
    let body = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    let (_, auth, v) = streaming_request("STREAMING-UNSIGNED-PAYLOAD-TRAILER", 11);
    assert_eq!(v.payload, PayloadMode::StreamingUnsignedTrailer);
    let (out, trailers) = decode_aws_chunked(body, v.payload, &v, &auth).unwrap();
    assert_eq!(&out[..], b"hello world");
    assert_eq!(
        trailers,
        vec![("x-amz-checksum-crc32".to_string(), "DUoRhQ==".to_string())]
    );
    let (out2, _) = decode_aws_chunked_unverified(body).unwrap();
    assert_eq!(out, out2);
    assert_eq!(
        encode_aws_chunked(
            b"hello world",
            64,
            None,
            &[("x-amz-checksum-crc32", "DUoRhQ==")]
        ),
        body.to_vec()
    );
}

#[test]
fn unverified_ignores_signatures_and_tolerates_missing_final_crlf() {
    let (out, t) =
        decode_aws_chunked_unverified(b"3;chunk-signature=zz\r\nabc\r\n0;chunk-signature=zz\r\n")
            .unwrap();
    assert_eq!((&out[..], t.len()), (&b"abc"[..], 0));
}

#[test]
fn malformed_framing() {
    let cases: &[&[u8]] = &[
        b"",
        b"3\r\nabc",
        b"3\r\nabcX\r\n0\r\n\r\n",
        b"4\r\nabc\r\n0\r\n\r\n",
        b"zz\r\nabc\r\n0\r\n\r\n",
        b"-3\r\nabc\r\n0\r\n\r\n",
        b"ffffffffffffffffff\r\n",
        b"ffffffffffffffff\r\nabc\r\n",
        b"3\nabc\n0\n\n",
        b"3\r\nabc\r\n0\r\n\r\ntrailing",
        b"3\r\nabc\r\n0\r\nno-colon\r\n\r\n",
        b"3\r\nabc\r\n0\r\n:v\r\n\r\n",
        b"3\r\nabc\r\n0\r\nx:y",
        b"\xff\r\n",
    ];
    for c in cases {
        let err = decode_aws_chunked_unverified(c).unwrap_err();
        assert_eq!(
            (err.code(), err.status()),
            ("InvalidRequest", 400),
            "{:?}",
            String::from_utf8_lossy(c)
        );
    }
    let long_line = [b"1".repeat(5000), b"\r\n".to_vec()].concat();
    assert!(decode_aws_chunked_unverified(&long_line).is_err());
}
