//! Requests signed with the crate's own signer, then verified: happy paths across services
//! and encodings, tampering, clock skew, presigned URLs and their expiry, and the error
//! identities (code, status, message) of every refusal.

mod common;

use common::{headers, view};
use http::HeaderMap;
use nimbus_sigv4::*;

const SECRET: &str = "nimbus-secret/key+example";
const NOW: i64 = 1_795_600_800; // 20261125T100000Z
const AMZ_DATE: &str = "20261125T100000Z";

fn params(service: &str) -> SigningParams<'static> {
    let service: &'static str = match service {
        "s3" => "s3",
        "sts" => "sts",
        "lambda" => "lambda",
        "ec2" => "ec2",
        _ => "iam",
    };
    SigningParams {
        access_key: "AKIANIMBUSEXAMPLE",
        secret_access_key: SECRET,
        region: "eu-west-1",
        service,
        amz_date: AMZ_DATE,
        session_token: None,
    }
}

fn signed(
    method: &str,
    path: &str,
    query: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    service: &str,
) -> HeaderMap {
    let mut h = headers(&[("host", "localhost:4566")]);
    for (k, v) in extra {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    sign_request_for_tests(method, path, query, &mut h, body, &params(service));
    h
}

fn check(
    method: &str,
    path: &str,
    query: &str,
    h: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<Verified, SigV4Error> {
    let req = view(method, path, query, h, body);
    let auth = parse(&req)?.expect("signed request has auth");
    verify(&req, &auth, SECRET, now)
}

#[test]
fn query_protocol_post() {
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let h = signed(
        "POST",
        "/",
        "",
        &[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        body,
        "sts",
    );
    let v = check("POST", "/", "", &h, body, NOW).unwrap();
    assert_eq!(v.payload, PayloadMode::Plain);
    // Tampered body (hash computed by the server, so the signature breaks).
    let err = check(
        "POST",
        "/",
        "",
        &h,
        b"Action=GetCallerIdentity&Version=2011-06-16",
        NOW,
    )
    .unwrap_err();
    assert_eq!((err.code(), err.status()), ("SignatureDoesNotMatch", 403));
    // Wrong secret.
    let req = view("POST", "/", "", &h, body);
    let auth = parse(&req).unwrap().unwrap();
    assert!(matches!(
        verify(&req, &auth, "other", NOW),
        Err(SigV4Error::SignatureDoesNotMatch { .. })
    ));
}

#[test]
fn tampered_header_query_method_path() {
    let h = signed(
        "GET",
        "/a/b",
        "x=1&y=2",
        &[("x-amz-target", "Foo.Bar")],
        b"",
        "lambda",
    );
    check("GET", "/a/b", "x=1&y=2", &h, b"", NOW).unwrap();
    check("GET", "/a/b", "y=2&x=1", &h, b"", NOW).unwrap(); // order does not matter
    assert!(check("GET", "/a/b", "x=1&y=3", &h, b"", NOW).is_err());
    assert!(check("GET", "/a/c", "x=1&y=2", &h, b"", NOW).is_err());
    assert!(check("PUT", "/a/b", "x=1&y=2", &h, b"", NOW).is_err());
    let mut h2 = h.clone();
    h2.insert("x-amz-target", "Foo.Baz".parse().unwrap());
    assert!(check("GET", "/a/b", "x=1&y=2", &h2, b"", NOW).is_err());
    // An unsigned header may change freely.
    let mut h3 = h.clone();
    h3.insert("user-agent", "something-else".parse().unwrap());
    check("GET", "/a/b", "x=1&y=2", &h3, b"", NOW).unwrap();
}

#[test]
fn header_value_whitespace_and_multiple_values() {
    let h = signed(
        "GET",
        "/",
        "",
        &[
            ("x-amz-meta-a", "  one   two  "),
            ("x-amz-meta-b", "1"),
            ("x-amz-meta-b", "2"),
        ],
        b"",
        "s3",
    );
    check("GET", "/", "", &h, b"", NOW).unwrap();
}

#[test]
fn s3_keys_with_special_characters() {
    for path in [
        "/bucket/a%20b/c%2Fd",
        "/bucket/%E2%82%AC~x",
        "/bucket/a+b=c",
        "/bucket/./..//x",
        "/bucket/",
    ] {
        let h = signed(
            "PUT",
            path,
            "",
            &[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
            b"data",
            "s3",
        );
        let v =
            check("PUT", path, "", &h, b"data", NOW).unwrap_or_else(|e| panic!("{path}: {e:?}"));
        assert_eq!(v.payload, PayloadMode::Unsigned);
    }
    // `%2F` inside a key is not a path separator.
    let h = signed("GET", "/bucket/a%2Fb", "", &[], b"", "s3");
    assert!(check("GET", "/bucket/a/b", "", &h, b"", NOW).is_err());
}

#[test]
fn other_services_normalize_path() {
    let h = signed(
        "GET",
        "/2015-03-31/functions/my%20fn/invocations",
        "",
        &[],
        b"",
        "lambda",
    );
    check(
        "GET",
        "/2015-03-31/functions/my%20fn/invocations",
        "",
        &h,
        b"",
        NOW,
    )
    .unwrap();
    // `.`/`..` and `//` are removed before signing, so these are the same request.
    let h = signed("GET", "/a/./b/../c//d", "", &[], b"", "lambda");
    check("GET", "/a/c/d", "", &h, b"", NOW).unwrap();
}

#[test]
fn query_values_with_reserved_characters() {
    let q = "prefix=a%2Fb%20c&marker=%E2%82%AC&flag&empty=";
    let h = signed("GET", "/bucket", q, &[], b"", "s3");
    check("GET", "/bucket", q, &h, b"", NOW).unwrap();
    // `+` is a literal plus to SigV4, not a space.
    assert!(check(
        "GET",
        "/bucket",
        "prefix=a%2Fb+c&marker=%E2%82%AC&flag&empty=",
        &h,
        b"",
        NOW
    )
    .is_err());
}

#[test]
fn clock_skew() {
    let h = signed("GET", "/", "", &[], b"", "sts");
    check("GET", "/", "", &h, b"", NOW + 900).unwrap();
    check("GET", "/", "", &h, b"", NOW - 900).unwrap();
    for now in [NOW + 901, NOW - 901] {
        let err = check("GET", "/", "", &h, b"", now).unwrap_err();
        assert!(err.is_time_skew());
        assert_eq!((err.code(), err.status()), ("RequestTimeTooSkewed", 403));
        let SigV4Error::RequestTimeTooSkewed {
            request_secs,
            server_secs,
            ref amz_date,
            ..
        } = err
        else {
            panic!()
        };
        assert_eq!(
            (request_secs, server_secs, amz_date.as_str()),
            (NOW, now, AMZ_DATE)
        );
    }
    let late = check("GET", "/", "", &h, b"", NOW + 3600).unwrap_err();
    assert_eq!(
        late.to_string(),
        "Signature expired: 20261125T100000Z is now earlier than 20261125T104500Z (20261125T110000Z - 15 min.)"
    );
    let early = check("GET", "/", "", &h, b"", NOW - 3600).unwrap_err();
    assert!(early
        .to_string()
        .starts_with("Signature not yet current: 20261125T100000Z is still later than"));
    assert!(late
        .s3_message()
        .starts_with("The difference between the request time"));
}

#[test]
fn scope_date_must_match_request_date() {
    let mut h = signed("GET", "/", "", &[], b"", "sts");
    let a = h
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .replace("/20261125/", "/20261124/");
    h.insert("authorization", a.parse().unwrap());
    let err = check("GET", "/", "", &h, b"", NOW).unwrap_err();
    assert_eq!((err.code(), err.status()), ("SignatureDoesNotMatch", 403));
    assert_eq!(
        err.to_string(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261124' != '20261125', from '20261125T100000Z'."
    );
}

#[test]
fn date_header_instead_of_x_amz_date() {
    // No X-Amz-Date: the Date header is signed and its time, in ISO-8601 basic form, goes
    // into the string to sign.
    let p = params("sts");
    let mut h = headers(&[
        ("host", "localhost"),
        ("date", "Wed, 25 Nov 2026 10:00:00 GMT"),
    ]);
    let creq = format!(
        "GET\n/\n\ndate:Wed, 25 Nov 2026 10:00:00 GMT\nhost:localhost\n\ndate;host\n{EMPTY_SHA256}"
    );
    let sig = sign_hex(
        &p.signing_key(),
        &string_to_sign(AMZ_DATE, &p.scope(), &creq),
    );
    let value = format!("AWS4-HMAC-SHA256 Credential=AKIANIMBUSEXAMPLE/{}, SignedHeaders=date;host, Signature={sig}", p.scope());
    h.insert("authorization", value.parse().unwrap());
    let req = view("GET", "/", "", &h, b"");
    let auth = parse(&req).unwrap().unwrap();
    assert_eq!(auth.amz_date, AMZ_DATE);
    verify(&req, &auth, SECRET, NOW).unwrap();
    assert!(verify(&req, &auth, SECRET, NOW + 901)
        .unwrap_err()
        .is_time_skew());
}

#[test]
fn signed_header_missing_from_request() {
    let mut h = signed("GET", "/", "", &[("x-amz-meta-k", "v")], b"", "sts");
    h.remove("x-amz-meta-k");
    let err = check("GET", "/", "", &h, b"", NOW).unwrap_err();
    assert!(matches!(err, SigV4Error::SignatureDoesNotMatch { .. }));
}

#[test]
fn host_must_be_signed_and_authority_fallback() {
    let p = params("sts");
    // HTTP/2: no Host header, the authority stands in for it.
    let mut h = headers(&[("host", "localhost:4566")]);
    sign_request_for_tests("GET", "/", "", &mut h, b"", &p);
    h.remove("host");
    let req = RequestView {
        method: "GET",
        raw_path: "/",
        raw_query: "",
        headers: &h,
        body: b"",
        authority: Some("localhost:4566"),
    };
    let auth = parse(&req).unwrap().unwrap();
    verify(&req, &auth, SECRET, NOW).unwrap();
    let req = RequestView {
        authority: None,
        ..req
    };
    assert!(verify(&req, &auth, SECRET, NOW).is_err());

    // Host not in SignedHeaders.
    let mut h = headers(&[("x-amz-meta-a", "b")]);
    sign_request_for_tests("GET", "/", "", &mut h, b"", &p);
    let err = check("GET", "/", "", &h, b"", NOW).unwrap_err();
    assert_eq!(err.code(), "IncompleteSignature");
    assert!(err
        .to_string()
        .contains("'Host' or ':authority' must be a 'SignedHeader'"));
}

#[test]
fn authorization_header_spacing_variants() {
    let h = signed("GET", "/", "", &[], b"", "sts");
    let original = h
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let variants = [
        original.replace(", ", ","),
        original.replace(", ", " , "),
        original.replace(", ", "  "),
        original.replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256   "),
        format!("  {original}  "),
        original.replace("Credential=", "credential="),
    ];
    for v in variants {
        let mut h2 = h.clone();
        h2.insert("authorization", v.parse().unwrap());
        check("GET", "/", "", &h2, b"", NOW).unwrap_or_else(|e| panic!("{v}: {e:?}"));
    }
}

fn parse_err(auth_value: &str, extra: &[(&str, &str)]) -> SigV4Error {
    let mut pairs = vec![("host", "localhost"), ("authorization", auth_value)];
    pairs.extend_from_slice(extra);
    let h = headers(&pairs);
    parse(&view("GET", "/", "", &h, b"")).unwrap_err()
}

#[test]
fn malformed_authorization_headers() {
    let date = [("x-amz-date", AMZ_DATE)];
    let e = parse_err("AWS4-HMAC-SHA256 SignedHeaders=host", &date);
    assert_eq!((e.code(), e.status()), ("IncompleteSignature", 400));
    let msg = e.to_string();
    assert!(
        msg.contains("Authorization header requires 'Credential' parameter."),
        "{msg}"
    );
    assert!(
        msg.contains("Authorization header requires 'Signature' parameter."),
        "{msg}"
    );
    assert!(!msg.contains("'SignedHeaders' parameter"), "{msg}");
    assert!(
        msg.ends_with("Authorization=AWS4-HMAC-SHA256 SignedHeaders=host"),
        "{msg}"
    );

    let e = parse_err("AWS4-HMAC-SHA256 Credential=AK/20261125/eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=ab", &[]);
    assert!(e
        .to_string()
        .contains("requires existence of either a 'X-Amz-Date' or a 'Date' header"));

    let e = parse_err(
        "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
        &date,
    );
    assert_eq!(e.code(), "IncompleteSignature");
    assert_eq!(e.to_string(), "Unsupported AWS 'algorithm': 'AWS'");
    let e = parse_err("AWS4-ECDSA-P256-SHA256 Credential=x", &date);
    assert_eq!(
        e.to_string(),
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'"
    );

    for bad_cred in [
        "AK/20261125/eu-west-1/sts",
        "AK/2026112/eu-west-1/sts/aws4_request",
        "/20261125/r/s/aws4_request",
        "AK/20261125/r/s/aws5_request",
        "AK/20261125//s/aws4_request",
    ] {
        let e = parse_err(
            &format!("AWS4-HMAC-SHA256 Credential={bad_cred}, SignedHeaders=host, Signature=ab"),
            &date,
        );
        assert_eq!(e.code(), "IncompleteSignature", "{bad_cred}");
    }
    let e = parse_err(
        "AWS4-HMAC-SHA256 Credential=AK/20261125/r/s/aws4_request, SignedHeaders=host, Signature",
        &date,
    );
    assert_eq!(e.code(), "IncompleteSignature");
}

#[test]
fn invalid_amz_date() {
    let mut h = signed("GET", "/", "", &[], b"", "sts");
    h.insert("x-amz-date", "2026-11-25T10:00:00Z".parse().unwrap());
    let err = check("GET", "/", "", &h, b"", NOW).unwrap_err();
    assert_eq!(err.code(), "IncompleteSignature");
    assert!(err
        .to_string()
        .starts_with("Date must be in ISO-8601 'basic format'. Got '2026-11-25T10:00:00Z'"));
}

#[test]
fn content_sha256_modes() {
    let cases = [
        ("UNSIGNED-PAYLOAD", PayloadMode::Unsigned),
        (
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            PayloadMode::StreamingSigned,
        ),
        (
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            PayloadMode::StreamingSigned,
        ),
        (
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            PayloadMode::StreamingUnsignedTrailer,
        ),
    ];
    for (value, mode) in cases {
        let h = signed(
            "PUT",
            "/b/k",
            "",
            &[("x-amz-content-sha256", value)],
            b"whatever",
            "s3",
        );
        assert_eq!(
            check("PUT", "/b/k", "", &h, b"whatever", NOW)
                .unwrap()
                .payload,
            mode,
            "{value}"
        );
    }
    let digest = sha256_hex(b"hello");
    let h = signed(
        "PUT",
        "/b/k",
        "",
        &[("x-amz-content-sha256", &digest)],
        b"hello",
        "s3",
    );
    assert_eq!(
        check("PUT", "/b/k", "", &h, b"hello", NOW).unwrap().payload,
        PayloadMode::Plain
    );
    let err = check("PUT", "/b/k", "", &h, b"hellO", NOW).unwrap_err();
    assert_eq!(
        (err.code(), err.status()),
        ("XAmzContentSHA256Mismatch", 400)
    );
    assert!(
        matches!(err, SigV4Error::ContentSha256Mismatch { ref client, .. } if *client == digest)
    );

    let h = signed(
        "PUT",
        "/b/k",
        "",
        &[("x-amz-content-sha256", "not-a-hash")],
        b"x",
        "s3",
    );
    let err = check("PUT", "/b/k", "", &h, b"x", NOW).unwrap_err();
    assert_eq!((err.code(), err.status()), ("InvalidArgument", 400));
}

#[test]
fn session_token_is_reported() {
    let mut p = params("sts");
    p.session_token = Some("FQoGZXIvYXdzEXAMPLE");
    let mut h = headers(&[("host", "localhost")]);
    sign_request_for_tests("GET", "/", "", &mut h, b"", &p);
    let req = view("GET", "/", "", &h, b"");
    let auth = parse(&req).unwrap().unwrap();
    assert_eq!(auth.session_token.as_deref(), Some("FQoGZXIvYXdzEXAMPLE"));
    verify(&req, &auth, SECRET, NOW).unwrap();
    // The token is signed: swapping it breaks the signature.
    h.insert("x-amz-security-token", "other".parse().unwrap());
    assert!(check("GET", "/", "", &h, b"", NOW).is_err());
}

#[test]
fn no_auth_is_none() {
    let h = headers(&[("host", "localhost")]);
    assert_eq!(
        parse(&view("GET", "/", "a=b&X-Amz-Date=1", &h, b"")).unwrap(),
        None
    );
}

#[test]
fn cached_verification_matches_uncached() {
    let cache = SigningKeyCache::new();
    let h = signed("GET", "/", "", &[], b"", "sts");
    let req = view("GET", "/", "", &h, b"");
    let auth = parse(&req).unwrap().unwrap();
    let a = verify(&req, &auth, SECRET, NOW).unwrap();
    let b = verify_cached(&req, &auth, SECRET, NOW, &cache).unwrap();
    let c = verify_cached(&req, &auth, SECRET, NOW, &cache).unwrap();
    assert_eq!(a, b);
    assert_eq!(b, c);
    assert_eq!(cache.len(), 1);
    assert!(verify_cached(&req, &auth, "wrong", NOW, &cache).is_err());
    assert_eq!(cache.len(), 2);
    assert!(
        !format!("{a:?}").contains(&hex::encode(a.signing_key)),
        "Debug must not print the key"
    );
}

// ---- presigned URLs ----

fn presigned(
    method: &str,
    path: &str,
    query: &str,
    expires: u64,
    service: &str,
) -> (HeaderMap, String) {
    let h = headers(&[("host", "localhost:4566")]);
    let q = presign_for_tests(method, path, query, &h, b"", expires, &params(service));
    (h, q)
}

#[test]
fn presign_verify_and_expire() {
    let (h, q) = presigned("GET", "/bucket/key%20name", "versionId=3", 3600, "s3");
    let v = check("GET", "/bucket/key%20name", &q, &h, b"", NOW).unwrap();
    assert_eq!(v.payload, PayloadMode::Unsigned);
    check("GET", "/bucket/key%20name", &q, &h, b"", NOW + 3600).unwrap();
    check("GET", "/bucket/key%20name", &q, &h, b"", NOW - 900).unwrap();
    let err = check("GET", "/bucket/key%20name", &q, &h, b"", NOW + 3601).unwrap_err();
    assert_eq!(
        (err.code(), err.status(), err.to_string().as_str()),
        ("AccessDenied", 403, "Request has expired")
    );
    let err = check("GET", "/bucket/key%20name", &q, &h, b"", NOW - 901).unwrap_err();
    assert_eq!((err.code(), err.status()), ("AccessDenied", 403));
    // Tampering with the path, another parameter or the expiry breaks the signature.
    assert!(check("GET", "/bucket/other", &q, &h, b"", NOW).is_err());
    assert!(check(
        "GET",
        "/bucket/key%20name",
        &q.replace("versionId=3", "versionId=4"),
        &h,
        b"",
        NOW
    )
    .is_err());
    let longer = q.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200");
    let err = check("GET", "/bucket/key%20name", &longer, &h, b"", NOW).unwrap_err();
    assert!(matches!(err, SigV4Error::SignatureDoesNotMatch { .. }));
    // The body of a presigned S3 request is not covered.
    check(
        "PUT",
        "/bucket/k",
        &presigned("PUT", "/bucket/k", "", 60, "s3").1,
        &h,
        b"any body",
        NOW,
    )
    .unwrap();
}

#[test]
fn presign_non_s3_hashes_body() {
    let (h, q) = presigned(
        "GET",
        "/",
        "Action=GetCallerIdentity&Version=2011-06-15",
        60,
        "sts",
    );
    let v = check("GET", "/", &q, &h, b"", NOW).unwrap();
    assert_eq!(v.payload, PayloadMode::Plain);
    assert!(check("GET", "/", &q, &h, b"x", NOW).is_err());
}

#[test]
fn presign_parameter_errors() {
    let (h, q) = presigned("GET", "/b/k", "", 60, "s3");
    for (from, to) in [
        ("X-Amz-Expires=60", "X-Amz-Expires=0"),
        ("X-Amz-Expires=60", "X-Amz-Expires=604801"),
        ("X-Amz-Expires=60", "X-Amz-Expires=-5"),
        ("X-Amz-Expires=60", "X-Amz-Expires=soon"),
        ("X-Amz-Expires=60", "X-Amz-Expires=99999999999999999999999"),
        ("X-Amz-Expires=60&", ""),
        (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Algorithm=AWS4-HMAC-SHA1",
        ),
    ] {
        let bad = q.replace(from, to);
        assert_ne!(bad, q);
        let err = parse(&view("GET", "/b/k", &bad, &h, b"")).unwrap_err();
        assert_eq!(
            (err.code(), err.status()),
            ("AuthorizationQueryParametersError", 400),
            "{to}: {err}"
        );
    }
    let sig_at = q.find("&X-Amz-Signature").unwrap();
    let err = parse(&view("GET", "/b/k", &q[..sig_at], &h, b"")).unwrap_err();
    assert_eq!(err.code(), "AuthorizationQueryParametersError");
    assert!(err
        .to_string()
        .starts_with("Query-string authentication version 4 requires"));
    let ok = q.replace("X-Amz-Expires=60", "X-Amz-Expires=604800");
    assert_eq!(
        parse(&view("GET", "/b/k", &ok, &h, b""))
            .unwrap()
            .unwrap()
            .expires_secs,
        Some(604_800)
    );
}

#[test]
fn both_auth_mechanisms_rejected() {
    let (mut h, q) = presigned("GET", "/b/k", "", 60, "s3");
    h.insert(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=x".parse().unwrap(),
    );
    let err = parse(&view("GET", "/b/k", &q, &h, b"")).unwrap_err();
    assert_eq!((err.code(), err.status()), ("InvalidArgument", 400));
}

#[test]
fn presigned_session_token() {
    let mut p = params("s3");
    p.session_token = Some("tok/en+1");
    let h = headers(&[("host", "localhost")]);
    let q = presign_for_tests("GET", "/b/k", "", &h, b"", 60, &p);
    let req = view("GET", "/b/k", &q, &h, b"");
    let auth = parse(&req).unwrap().unwrap();
    assert_eq!(auth.session_token.as_deref(), Some("tok/en+1"));
    verify(&req, &auth, SECRET, NOW).unwrap();
}
