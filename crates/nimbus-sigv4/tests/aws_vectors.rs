//! The signature examples AWS publishes, verified as a server would: the IAM ListUsers
//! example of the General Reference, and the S3 API Reference's header-auth, presigned-URL
//! and chunked-upload examples (secret `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
//! 2013-05-24T00:00:00Z, us-east-1).

mod common;

use common::{headers, view};
use nimbus_sigv4::*;

const IAM_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const IAM_NOW: i64 = 1_440_938_160; // 20150830T123600Z
const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const S3_NOW: i64 = 1_369_353_600; // 20130524T000000Z

fn iam_list_users(signature: &str) -> http::HeaderMap {
    headers(&[
        ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("host", "iam.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
        (
            "authorization",
            &format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={signature}"
            ),
        ),
    ])
}

#[test]
fn iam_list_users_get() {
    let h = iam_list_users("5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
    let req = view("GET", "/", "Action=ListUsers&Version=2010-05-08", &h, b"");
    let auth = parse(&req).unwrap().unwrap();
    assert_eq!(auth.access_key, "AKIDEXAMPLE");
    assert_eq!(
        (
            auth.date.as_str(),
            auth.region.as_str(),
            auth.service.as_str()
        ),
        ("20150830", "us-east-1", "iam")
    );
    assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date"]);
    assert!(!auth.presigned);
    let v = verify(&req, &auth, IAM_SECRET, IAM_NOW).unwrap();
    assert_eq!(v.payload, PayloadMode::Plain);
    assert_eq!(
        v.seed_signature,
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}

#[test]
fn iam_example_canonical_request_and_string_to_sign_exposed_on_mismatch() {
    let h = iam_list_users("0000000000000000000000000000000000000000000000000000000000000000");
    let req = view("GET", "/", "Action=ListUsers&Version=2010-05-08", &h, b"");
    let auth = parse(&req).unwrap().unwrap();
    let err = verify(&req, &auth, IAM_SECRET, IAM_NOW).unwrap_err();
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert_eq!(err.status(), 403);
    assert!(err
        .to_string()
        .starts_with("The request signature we calculated does not match"));
    let SigV4Error::SignatureDoesNotMatch {
        canonical_request,
        string_to_sign,
    } = err
    else {
        panic!()
    };
    assert_eq!(
        canonical_request,
        "GET\n/\nAction=ListUsers&Version=2010-05-08\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        string_to_sign,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
}

fn s3_auth(signed: &str, sig: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed},Signature={sig}")
}

#[test]
fn s3_get_object_with_range() {
    let h = headers(&[
        ("host", "examplebucket.s3.amazonaws.com"),
        ("range", "bytes=0-9"),
        ("x-amz-content-sha256", EMPTY_SHA256),
        ("x-amz-date", "20130524T000000Z"),
        (
            "authorization",
            &s3_auth(
                "host;range;x-amz-content-sha256;x-amz-date",
                "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            ),
        ),
    ]);
    let req = view("GET", "/test.txt", "", &h, b"");
    let auth = parse(&req).unwrap().unwrap();
    let v = verify(&req, &auth, S3_SECRET, S3_NOW).unwrap();
    assert_eq!(v.payload, PayloadMode::Plain);
}

#[test]
fn s3_put_object_with_reserved_character_in_key() {
    let body = b"Welcome to Amazon S3.";
    let h = headers(&[
        ("date", "Fri, 24 May 2013 00:00:00 GMT"),
        ("host", "examplebucket.s3.amazonaws.com"),
        (
            "x-amz-content-sha256",
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        ),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        (
            "authorization",
            &s3_auth(
                "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
            ),
        ),
    ]);
    // The key is `test$file.text`; the canonical URI is `/test%24file.text` whether the
    // client sent `$` raw or encoded.
    for path in ["/test$file.text", "/test%24file.text"] {
        let req = view("PUT", path, "", &h, body);
        let auth = parse(&req).unwrap().unwrap();
        verify(&req, &auth, S3_SECRET, S3_NOW).unwrap();
    }
    // Same headers, different body: the signature still matches but the declared digest
    // does not.
    let req = view("PUT", "/test$file.text", "", &h, b"Welcome to Amazon S4.");
    let auth = parse(&req).unwrap().unwrap();
    let err = verify(&req, &auth, S3_SECRET, S3_NOW).unwrap_err();
    assert_eq!(
        (err.code(), err.status()),
        ("XAmzContentSHA256Mismatch", 400)
    );
}

#[test]
fn s3_get_bucket_lifecycle_and_list_objects() {
    for (query, sig) in [
        (
            "lifecycle",
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
        ),
        (
            "max-keys=2&prefix=J",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
        ),
    ] {
        let h = headers(&[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
            (
                "authorization",
                &s3_auth("host;x-amz-content-sha256;x-amz-date", sig),
            ),
        ]);
        let req = view("GET", "/", query, &h, b"");
        let auth = parse(&req).unwrap().unwrap();
        verify(&req, &auth, S3_SECRET, S3_NOW).unwrap_or_else(|e| panic!("{query}: {e:?}"));
    }
}

const PRESIGNED_QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

#[test]
fn s3_presigned_get_object() {
    let h = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
    let req = view("GET", "/test.txt", PRESIGNED_QUERY, &h, b"");
    let auth = parse(&req).unwrap().unwrap();
    assert!(auth.presigned);
    assert_eq!(auth.expires_secs, Some(86_400));
    assert_eq!(auth.access_key, "AKIAIOSFODNN7EXAMPLE");
    let v = verify(&req, &auth, S3_SECRET, S3_NOW + 3600).unwrap();
    assert_eq!(v.payload, PayloadMode::Unsigned);
    // Valid until X-Amz-Date + 86400, not after.
    verify(&req, &auth, S3_SECRET, S3_NOW + 86_400).unwrap();
    let err = verify(&req, &auth, S3_SECRET, S3_NOW + 86_401).unwrap_err();
    assert_eq!(
        (err.code(), err.status(), err.to_string().as_str()),
        ("AccessDenied", 403, "Request has expired")
    );
}

fn chunked_example_headers() -> http::HeaderMap {
    headers(&[
        ("host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("content-length", "66824"),
        (
            "authorization",
            &s3_auth(
                "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
                "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
            ),
        ),
    ])
}

fn chunked_example_body(sigs: [&str; 3]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(format!("10000;chunk-signature={}\r\n", sigs[0]).as_bytes());
    body.extend_from_slice(&[b'a'; 65_536]);
    body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", sigs[1]).as_bytes());
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n\r\n", sigs[2]).as_bytes());
    body
}

const CHUNK_SIGS: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];

#[test]
fn s3_chunked_upload_seed_and_chunk_signatures() {
    let h = chunked_example_headers();
    let body = chunked_example_body(CHUNK_SIGS);
    assert_eq!(body.len(), 66_824);
    let req = view("PUT", "/examplebucket/chunkObject.txt", "", &h, &body);
    let auth = parse(&req).unwrap().unwrap();
    let v = verify(&req, &auth, S3_SECRET, S3_NOW).unwrap();
    assert_eq!(v.payload, PayloadMode::StreamingSigned);
    assert_eq!(
        v.seed_signature,
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    );
    assert_eq!(v.decoded_content_length, Some(66_560));
    let (data, trailers) = decode_aws_chunked(&body, v.payload, &v, &auth).unwrap();
    assert_eq!(data.len(), 66_560);
    assert!(data.iter().all(|&b| b == b'a'));
    assert!(trailers.is_empty());

    // Our encoder reproduces the documented body byte for byte.
    let mut signer = ChunkSigner::for_request(&v, &auth);
    assert_eq!(
        encode_aws_chunked(&data, 65_536, Some(&mut signer), &[]),
        body
    );

    // Any chunk signature out of the chain fails.
    for i in 0..3 {
        let mut sigs = CHUNK_SIGS;
        sigs[i] = CHUNK_SIGS[(i + 1) % 3];
        let bad = chunked_example_body(sigs);
        let err = decode_aws_chunked(&bad, v.payload, &v, &auth).unwrap_err();
        assert_eq!(err.code(), "SignatureDoesNotMatch");
        assert!(
            matches!(err, SigV4Error::ChunkSignatureDoesNotMatch { chunk_index, .. } if chunk_index == i)
        );
    }
}
