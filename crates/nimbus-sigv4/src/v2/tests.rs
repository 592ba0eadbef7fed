//! Vectors: the S3 developer guide's SigV2 examples (their signatures were computed for the
//! bucket `johnsmith`, the name the guide used before it was renamed in the prose), and
//! URLs / requests produced by botocore 1.43.11 on this project's test machine.

use super::*;
use http::{HeaderMap, HeaderName, HeaderValue};

const DOC_AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const DOC_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn headers(list: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in list {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn view<'a>(method: &'a str, target: &'a str, headers: &'a HeaderMap) -> RequestView<'a> {
    let (raw_path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    RequestView {
        method,
        raw_path,
        raw_query,
        headers,
        body: b"",
        authority: None,
    }
}

fn secs(http_date: &str) -> i64 {
    time::parse_http_date(http_date).unwrap()
}

/// Parses and verifies a header-form request, `now` being its own `Date`.
fn check_header(
    method: &str,
    target: &str,
    hdrs: &[(&str, &str)],
    vhost: Option<&str>,
    secret: &str,
) -> Result<(), SigV4Error> {
    let h = headers(hdrs);
    let req = view(method, target, &h);
    let p = parse_v2_header(&req)?.expect("an AWS Authorization header");
    let date = header_str(&req, "x-amz-date")
        .or(header_str(&req, "date"))
        .unwrap();
    verify_v2_header_vhost(&req, &p, secret, secs(date), vhost)
}

fn doc_header(
    method: &str,
    target: &str,
    host: &str,
    extra: &[(&str, &str)],
    vhost: Option<&str>,
    signature: &str,
) -> Result<(), SigV4Error> {
    let auth = format!("AWS {DOC_AKID}:{signature}");
    let mut hdrs: Vec<(&str, &str)> = vec![("host", host), ("authorization", &auth)];
    hdrs.extend_from_slice(extra);
    check_header(method, target, &hdrs, vhost, DOC_SECRET)
}

#[test]
fn documented_header_examples() {
    let bucket = Some("johnsmith");
    let host = "johnsmith.s3.amazonaws.com";
    // Object GET.
    doc_header(
        "GET",
        "/photos/puppy.jpg",
        host,
        &[("date", "Tue, 27 Mar 2007 19:36:42 +0000")],
        bucket,
        "bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
    )
    .unwrap();
    // Object PUT: Content-Type is positional, Content-Length is not signed.
    doc_header(
        "PUT",
        "/photos/puppy.jpg",
        host,
        &[
            ("content-type", "image/jpeg"),
            ("content-length", "94328"),
            ("date", "Tue, 27 Mar 2007 21:15:45 +0000"),
        ],
        bucket,
        "MyyxeRY7whkBe+bq8fHCL/2kKUg=",
    )
    .unwrap();
    // List: the query is not part of the resource; the trailing slash is.
    doc_header(
        "GET",
        "/?prefix=photos&max-keys=50&marker=puppy",
        host,
        &[
            ("user-agent", "Mozilla/5.0"),
            ("date", "Tue, 27 Mar 2007 19:42:41 +0000"),
        ],
        bucket,
        "htDYFYduRNen8P9ZfE/s9SuKy0U=",
    )
    .unwrap();
    // Fetch: a sub-resource is.
    doc_header(
        "GET",
        "/?acl",
        host,
        &[("date", "Tue, 27 Mar 2007 19:44:46 +0000")],
        bucket,
        "c2WLPFtWHVgbEmeEG93a4cG37dM=",
    )
    .unwrap();
    // Delete, path-style, x-amz-date overriding Date.
    doc_header(
        "DELETE",
        "/johnsmith/photos/puppy.jpg",
        "s3.amazonaws.com",
        &[
            ("user-agent", "dotnet"),
            ("date", "Tue, 27 Mar 2007 21:20:27 +0000"),
            ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"),
        ],
        None,
        "lx3byBScXR6KzyMaifNkardMwNk=",
    )
    .unwrap();
    // Upload to a CNAME bucket with metadata: amz headers lowercased, sorted, joined.
    doc_header(
        "PUT",
        "/db-backup.dat.gz",
        "static.johnsmith.net:8080",
        &[
            ("user-agent", "curl/7.15.5"),
            ("date", "Tue, 27 Mar 2007 21:06:08 +0000"),
            ("x-amz-acl", "public-read"),
            ("content-type", "application/x-download"),
            ("content-md5", "4gJE4saaMU4BqNR0kLY+lw=="),
            ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"),
            ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
            ("X-Amz-Meta-FileChecksum", "0x02661779"),
            ("X-Amz-Meta-ChecksumAlgorithm", "crc32"),
            ("content-disposition", "attachment; filename=database.dat"),
            ("content-encoding", "gzip"),
            ("content-length", "5913339"),
        ],
        Some("static.johnsmith.net"),
        "ilyl83RwaSoYIEdixDQcA4OnAnc=",
    )
    .unwrap();
    // List all my buckets.
    doc_header(
        "GET",
        "/",
        "s3.amazonaws.com",
        &[("date", "Wed, 28 Mar 2007 01:29:59 +0000")],
        None,
        "qGdzdERIC03wnaRNKh6OqZehG9s=",
    )
    .unwrap();
    // Unicode keys: the path is signed literally, escapes and their case included.
    doc_header(
        "GET",
        "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
        "s3.amazonaws.com",
        &[("date", "Wed, 28 Mar 2007 01:49:49 +0000")],
        None,
        "DNEZGsoieTZ92F3bUfSPQcbGmlM=",
    )
    .unwrap();
}

#[test]
fn documented_header_example_rejects_tampering() {
    let date = ("date", "Tue, 27 Mar 2007 19:36:42 +0000");
    let sig = "bWq2s1WEIj+Ydj0vQ697zp+IXMU=";
    let host = "johnsmith.s3.amazonaws.com";
    for (method, target, vhost) in [
        ("PUT", "/photos/puppy.jpg", Some("johnsmith")),
        ("GET", "/photos/puppy.jpeg", Some("johnsmith")),
        ("GET", "/photos/puppy.jpg?acl", Some("johnsmith")),
        ("GET", "/photos/puppy.jpg", Some("janesmith")),
        ("GET", "/photos/puppy.jpg", None),
    ] {
        let e = doc_header(method, target, host, &[date], vhost, sig).unwrap_err();
        assert_eq!(e.code(), "SignatureDoesNotMatch", "{method} {target}");
        assert_eq!(e.status(), 403);
    }
    // An added x-amz- header, or a different Date, is signed too.
    let e = doc_header(
        "GET",
        "/photos/puppy.jpg",
        host,
        &[date, ("x-amz-meta-a", "1")],
        Some("johnsmith"),
        sig,
    )
    .unwrap_err();
    assert_eq!(e.code(), "SignatureDoesNotMatch");
    let e = doc_header(
        "GET",
        "/photos/puppy.jpg",
        host,
        &[("date", "Tue, 27 Mar 2007 19:36:43 +0000")],
        Some("johnsmith"),
        sig,
    )
    .unwrap_err();
    assert_eq!(e.code(), "SignatureDoesNotMatch");
    // Base64 is case-sensitive.
    let e = doc_header(
        "GET",
        "/photos/puppy.jpg",
        host,
        &[date],
        Some("johnsmith"),
        "BWq2s1WEIj+Ydj0vQ697zp+IXMU=",
    )
    .unwrap_err();
    if let SigV4Error::SignatureDoesNotMatch { string_to_sign, .. } = e {
        assert_eq!(
            string_to_sign,
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"
        );
    } else {
        panic!("{e:?}");
    }
}

#[test]
fn documented_query_example() {
    let h = headers(&[("host", "johnsmith.s3.amazonaws.com")]);
    let target = "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620";
    let req = view("GET", target, &h);
    let p = parse_v2_query(req.raw_query).unwrap().unwrap();
    assert_eq!(p.access_key, DOC_AKID);
    assert_eq!(p.signature, "NpgCjnDzrM+WFzoENXmpNDUsSn8=");
    assert_eq!(p.expires, 1_175_139_620);
    assert_eq!(p.session_token, None);
    let vb = Some("johnsmith");
    verify_v2_query_vhost(&req, &p, DOC_SECRET, 1_175_139_620, vb).unwrap();
    verify_v2_query_vhost(&req, &p, DOC_SECRET, 1_175_000_000, vb).unwrap();
    // One second late.
    let e = verify_v2_query_vhost(&req, &p, DOC_SECRET, 1_175_139_621, vb).unwrap_err();
    assert_eq!(
        e,
        SigV4Error::PresignedExpired {
            expires_at_secs: 1_175_139_620,
            server_secs: 1_175_139_621
        }
    );
    assert_eq!((e.code(), e.status()), ("AccessDenied", 403));
    assert_eq!(e.to_string(), "Request has expired");
    // Wrong secret, wrong bucket, wrong method, moved Expires.
    for (secret, bucket, method) in [
        ("wrong", vb, "GET"),
        (DOC_SECRET, Some("other"), "GET"),
        (DOC_SECRET, vb, "HEAD"),
    ] {
        let req = view(method, target, &h);
        let e = verify_v2_query_vhost(&req, &p, secret, 1_175_000_000, bucket).unwrap_err();
        assert_eq!(e.code(), "SignatureDoesNotMatch");
    }
    let later = ParsedV2 {
        expires: 1_175_139_621,
        ..p.clone()
    };
    let e = verify_v2_query_vhost(&req, &later, DOC_SECRET, 1_175_000_000, vb).unwrap_err();
    assert_eq!(e.code(), "SignatureDoesNotMatch");
}

const BOTO_NOW: i64 = 1_795_603_800; // before every fixture's Expires (1795604022 / ...172)

/// Presigned URLs from `generate_presigned_url` (botocore 1.43.11, endpoint
/// http://127.0.0.1:4566, us-east-1, key/secret `test`, ExpiresIn=300): path-style SigV2.
const BOTO_URLS: [(&str, &str); 6] = [
    (
        "GET",
        "/b/dir/a%20b.txt?AWSAccessKeyId=test&Signature=VkBbihEfabQOpZA2blNbXMt%2BGFM%3D&Expires=1795604022",
    ),
    (
        "GET",
        "/b/dir/a%20b.txt?response-content-type=text%2Fplain%3B%20charset%3Dutf-8&response-content-disposition=attachment%3B%20filename%3D%22x%20y.txt%22&AWSAccessKeyId=test&Signature=oIVXMXqPtf5XAwZPOkBp7%2Fn8gO0%3D&Expires=1795604022",
    ),
    (
        "GET",
        "/b/k?versionId=v%2B1%2F2&AWSAccessKeyId=test&Signature=zTWNWgdJWVzZ8aSEfKhoG%2F2W1TE%3D&Expires=1795604022",
    ),
    // put_object with ContentType: botocore signs it and moves it into the query.
    (
        "PUT",
        "/b/up.txt?AWSAccessKeyId=test&Signature=VSpASh9KX10iq%2FRsWLpLbTUp0yc%3D&content-type=text%2Fplain&Expires=1795604022",
    ),
    // list_objects: `encoding-type` is not a signed sub-resource.
    (
        "GET",
        "/vb?encoding-type=url&AWSAccessKeyId=test&Signature=4TenfHDQ%2FUZi5Gw8eMI8Cy6adak%3D&Expires=1795604172",
    ),
    // Session credentials (token `TOKEN/abc+=`): the token travels as a signed x-amz- param.
    (
        "GET",
        "/b/k~%24%21.txt?AWSAccessKeyId=test&Signature=P%2FjP1LNjALt2dLusrlZx8OY9GZY%3D&x-amz-security-token=TOKEN%2Fabc%2B%3D&Expires=1795604022",
    ),
];

#[test]
fn botocore_presigned_urls_verify() {
    let h = headers(&[("host", "127.0.0.1:4566")]);
    for (method, target) in BOTO_URLS {
        let req = view(method, target, &h);
        let p = parse_v2_query(req.raw_query).unwrap().unwrap();
        assert_eq!(p.access_key, "test");
        verify_v2_query(&req, &p, "test", BOTO_NOW).unwrap_or_else(|e| panic!("{target}: {e:?}"));
        let e = verify_v2_query(&req, &p, "tesT", BOTO_NOW).unwrap_err();
        assert_eq!(e.code(), "SignatureDoesNotMatch", "{target}");
        let e = verify_v2_query(&req, &p, "test", p.expires + 1).unwrap_err();
        assert_eq!(e.code(), "AccessDenied", "{target}");
        // Through the S3 entry point as well.
        match parse_s3(&req).unwrap() {
            Some(S3Auth::V2Query(q)) => assert_eq!(q, p),
            other => panic!("{other:?}"),
        }
    }
    let req = view("GET", BOTO_URLS[5].1, &h);
    let p = parse_v2_query(req.raw_query).unwrap().unwrap();
    assert_eq!(p.session_token.as_deref(), Some("TOKEN/abc+="));
}

#[test]
fn botocore_presigned_urls_reject_tampering() {
    let h = headers(&[("host", "127.0.0.1:4566")]);
    let cases = [
        // Another key.
        (0, "/b/dir/a%20b.txt", "/b/dir/a%20c.txt"),
        // Another bucket.
        (0, "/b/dir/", "/c/dir/"),
        // Another response override value.
        (1, "text%2Fplain%3B", "text%2Fhtml%3B"),
        // Dropping a signed override.
        (
            1,
            "response-content-type=text%2Fplain%3B%20charset%3Dutf-8&",
            "",
        ),
        // Adding one.
        (
            0,
            "?AWSAccessKeyId",
            "?response-content-type=text%2Fhtml&AWSAccessKeyId",
        ),
        // Another version.
        (2, "v%2B1%2F2", "v%2B1%2F3"),
        // Another token.
        (5, "TOKEN%2Fabc", "TOKEN%2Fabd"),
        // Turning a signed ListObjects into another bucket operation, old or new.
        (4, "encoding-type=url", "encoding-type=url&acl"),
        (4, "encoding-type=url", "encoding-type=url&replication"),
        // Another signed content type.
        (3, "content-type=text%2Fplain", "content-type=text%2Fhtml"),
    ];
    for (i, from, to) in cases {
        let (method, target) = BOTO_URLS[i];
        assert!(target.contains(from), "{from}");
        let tampered = target.replacen(from, to, 1);
        let req = view(method, &tampered, &h);
        let p = parse_v2_query(req.raw_query).unwrap().unwrap();
        let e = verify_v2_query(&req, &p, "test", BOTO_NOW).unwrap_err();
        assert_eq!(e.code(), "SignatureDoesNotMatch", "{tampered}");
    }
    // A sent Content-Type header wins over the query copy, so it must match what was signed.
    let (method, target) = BOTO_URLS[3];
    for (ct, ok) in [("text/plain", true), ("text/html", false)] {
        let h = headers(&[("host", "127.0.0.1:4566"), ("content-type", ct)]);
        let req = view(method, target, &h);
        let p = parse_v2_query(req.raw_query).unwrap().unwrap();
        assert_eq!(
            verify_v2_query(&req, &p, "test", BOTO_NOW).is_ok(),
            ok,
            "{ct}"
        );
    }
}

#[test]
fn botocore_header_requests_verify() {
    // botocore 1.43.11 with `Config(signature_version='s3')`, path-style, key/secret `test`.
    let date = ("date", "Wed, 25 Nov 2026 10:48:52 GMT");
    let common = [
        ("host", "127.0.0.1:4566"),
        ("user-agent", "Boto3/1.43.11 md/Botocore#1.43.11"),
        (
            "amz-sdk-invocation-id",
            "3b72d871-fd4e-43ba-98f3-bd297947424a",
        ),
        ("amz-sdk-request", "attempt=1"),
        date,
    ];
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 4] = [
        (
            "PUT",
            "/b/dir/a%20b%2Bc.txt",
            vec![
                ("content-type", "text/plain"),
                ("x-amz-meta-Reviewed-By", "joe"),
                ("x-amz-meta-x", " spaced  value "),
                ("expect", "100-continue"),
                ("x-amz-checksum-crc32", "NhCmhg=="),
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
                ("content-length", "5"),
            ],
            "rnnFbz/jvuCtL0IzN8uLZkzjALA=",
        ),
        (
            "GET",
            "/b/k?acl&versionId=v1",
            vec![],
            "DDzzDeHJeEojcG8ojj/tNH2vqXM=",
        ),
        (
            "GET",
            "/b?list-type=2&prefix=p%2F&encoding-type=url",
            vec![],
            "/iQSR30Un06GumflKmJ/WzdZAE0=",
        ),
        (
            "POST",
            "/b?delete",
            vec![
                ("x-amz-checksum-crc32", "CEaAGw=="),
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
                ("content-length", "94"),
            ],
            "JnlXsj00WmyJu1pWNQplYwxUieQ=",
        ),
    ];
    for (method, target, extra, sig) in &cases {
        let auth = format!("AWS test:{sig}");
        let mut hdrs: Vec<(&str, &str)> = common.to_vec();
        hdrs.extend(extra.iter().copied());
        hdrs.push(("authorization", &auth));
        check_header(method, target, &hdrs, None, "test")
            .unwrap_or_else(|e| panic!("{method} {target}: {e:?}"));
        let h = headers(&hdrs);
        let req = view(method, target, &h);
        match parse_s3(&req).unwrap() {
            Some(S3Auth::V2Header(p)) => {
                assert_eq!(
                    (p.access_key.as_str(), p.signature.as_str()),
                    ("test", *sig)
                )
            }
            other => panic!("{other:?}"),
        }
        // A changed amz header breaks the PUT and POST signatures.
        if !extra.is_empty() {
            let mut tampered = hdrs.clone();
            tampered.push(("x-amz-checksum-crc32", "AAAAAA=="));
            let e = check_header(method, target, &tampered, None, "test").unwrap_err();
            assert_eq!(e.code(), "SignatureDoesNotMatch");
        }
    }
}

#[test]
fn header_time_window() {
    let h = headers(&[
        ("date", "Tue, 27 Mar 2007 19:36:42 +0000"),
        (
            "authorization",
            "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
        ),
    ]);
    let req = view("GET", "/photos/puppy.jpg", &h);
    let p = parse_v2_header(&req).unwrap().unwrap();
    let t = secs("Tue, 27 Mar 2007 19:36:42 +0000");
    let vb = Some("johnsmith");
    for now in [t - MAX_SKEW_SECS, t + MAX_SKEW_SECS] {
        verify_v2_header_vhost(&req, &p, DOC_SECRET, now, vb).unwrap();
    }
    for now in [t - MAX_SKEW_SECS - 1, t + MAX_SKEW_SECS + 1] {
        let e = verify_v2_header_vhost(&req, &p, DOC_SECRET, now, vb).unwrap_err();
        assert!(e.is_time_skew());
        assert_eq!((e.code(), e.status()), ("RequestTimeTooSkewed", 403));
    }
    // No usable date at all.
    for date in [
        None,
        Some("yesterday"),
        Some("Tue, 27 Mar 2007 19:36:42 PST"),
    ] {
        let mut hdrs = vec![("authorization", "AWS AKIAIOSFODNN7EXAMPLE:abc=")];
        if let Some(d) = date {
            hdrs.push(("date", d));
        }
        let h = headers(&hdrs);
        let req = view("GET", "/", &h);
        let p = parse_v2_header(&req).unwrap().unwrap();
        let e = verify_v2_header(&req, &p, DOC_SECRET, t).unwrap_err();
        assert_eq!((e.code(), e.status()), ("AccessDenied", 403), "{date:?}");
    }
}

#[test]
fn x_amz_date_readings() {
    // The signed request time comes from x-amz-date; all three documented/observed string-to-
    // sign layouts are accepted.
    let xd = "Wed, 25 Nov 2026 10:48:52 GMT";
    let date = "Wed, 25 Nov 2026 10:48:00 GMT";
    let resource = "/b/k";
    let layouts = [
        format!("GET\n\n\n{date}\nx-amz-date:{xd}\n{resource}"),
        format!("GET\n\n\n\nx-amz-date:{xd}\n{resource}"),
        format!("GET\n\n\n{xd}\n{resource}"),
    ];
    for sts in &layouts {
        let auth = format!("AWS test:{}", sign_v2("test", sts));
        let h = headers(&[("date", date), ("x-amz-date", xd), ("authorization", &auth)]);
        let req = view("GET", resource, &h);
        let p = parse_v2_header(&req).unwrap().unwrap();
        verify_v2_header(&req, &p, "test", secs(xd)).unwrap_or_else(|e| panic!("{sts:?}: {e}"));
        // x-amz-date decides the time window, not Date.
        let e = verify_v2_header(&req, &p, "test", secs(xd) + MAX_SKEW_SECS + 1).unwrap_err();
        assert!(e.is_time_skew());
    }
}

#[test]
fn resource_and_subresources() {
    assert_eq!(
        canonicalized_resource_candidates("/b/k", "uploads&acl=&versionId=a%2Bb+c&prefix=x", None)
            [0],
        "/b/k?acl=&uploads&versionId=a+b+c"
    );
    // Newer sub-resources (signed by current SDKs) are signed too, with no unsigned fallback.
    assert_eq!(
        canonicalized_resource_candidates("/b/k", "replication&x=1&select&select-type=2", None),
        vec!["/b/k?replication&select&select-type=2".to_string()]
    );
    // Virtual-hosted: the bucket is prefixed; its root keeps the slash.
    assert_eq!(
        canonicalized_resource_candidates("/", "", Some("johnsmith")),
        vec!["/johnsmith/".to_string()]
    );
    assert_eq!(
        canonicalized_resource_candidates("", "", None),
        vec!["/".to_string()]
    );
    // A path-style bucket is also tried with its trailing slash (botocore signs that).
    assert_eq!(
        canonicalized_resource_candidates("/b", "acl", None),
        vec!["/b?acl".to_string(), "/b/?acl".to_string()]
    );
    // The literal path first, then once re-encoded.
    assert_eq!(
        canonicalized_resource_candidates("/b/a b$", "", None),
        vec!["/b/a b$".to_string(), "/b/a%20b%24".to_string()]
    );
    // Sub-resource names are case-sensitive.
    assert_eq!(
        canonicalized_resource_candidates("/b/k", "ACL&versionid=1", None),
        vec!["/b/k".to_string()]
    );
}

#[test]
fn query_parse_errors() {
    assert_eq!(parse_v2_query("").unwrap(), None);
    assert_eq!(parse_v2_query("prefix=a&max-keys=2").unwrap(), None);
    // SigV4 presigned parameters are not SigV2's.
    assert_eq!(
        parse_v2_query("X-Amz-Signature=abc&X-Amz-Expires=300").unwrap(),
        None
    );
    for partial in [
        "AWSAccessKeyId=a",
        "Signature=s",
        "Expires=1",
        "AWSAccessKeyId=a&Signature=s",
        "AWSAccessKeyId=a&Expires=1",
        "Signature=s&Expires=1",
        "AWSAccessKeyId=&Signature=s&Expires=1",
        "AWSAccessKeyId=a&Signature=&Expires=1",
        "AWSAccessKeyId=a&Signature=s&Expires=",
        "AWSAccessKeyId=a&Signature=s&Expires",
        "awsaccesskeyid=a&Signature=s&Expires=1",
    ] {
        let e = parse_v2_query(partial).unwrap_err();
        assert_eq!((e.code(), e.status()), ("AccessDenied", 403), "{partial}");
        assert_eq!(e.to_string(), MISSING_QUERY_PARAMS);
    }
    for bad in [
        "-1",
        "1.5",
        "soon",
        "99999999999999999999",
        "%31x",
        "1e9",
        " 1",
    ] {
        let q = format!("AWSAccessKeyId=a&Signature=s&Expires={bad}");
        let e = parse_v2_query(&q).unwrap_err();
        assert_eq!(e.code(), "AccessDenied", "{bad}");
        assert!(e.to_string().starts_with("Invalid date"), "{e}");
    }
    // Encoded digits are fine: the value is decoded first.
    assert_eq!(
        parse_v2_query("AWSAccessKeyId=a&Signature=s&Expires=%31%32")
            .unwrap()
            .unwrap()
            .expires,
        12
    );
}

#[test]
fn header_parse() {
    let parse = |v: &str| {
        let h = headers(&[("authorization", v)]);
        parse_v2_header(&view("GET", "/", &h))
    };
    let p = parse("AWS AKID:c2ln+/=").unwrap().unwrap();
    assert_eq!(
        (p.access_key.as_str(), p.signature.as_str()),
        ("AKID", "c2ln+/=")
    );
    // Not SigV2: left to the SigV4 parser.
    for other in [
        "AWS4-HMAC-SHA256 Credential=a/20150830/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc",
        "Bearer x",
        "AWS",
        "aws AKID:sig",
    ] {
        assert_eq!(parse(other).unwrap(), None, "{other}");
    }
    for bad in ["AWS ", "AWS AKID", "AWS AKID:", "AWS :sig", "AWS A KID:sig"] {
        let e = parse(bad).unwrap_err();
        assert_eq!((e.code(), e.status()), ("InvalidArgument", 400), "{bad}");
    }
    let h = HeaderMap::new();
    assert_eq!(parse_v2_header(&view("GET", "/", &h)).unwrap(), None);
}

#[test]
fn parse_s3_picks_one_mechanism() {
    let v4_header = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
    let v2_query = "AWSAccessKeyId=a&Signature=s&Expires=1";
    let v4_query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abc";
    let run = |auth: Option<&str>, query: &str| {
        let mut hdrs = vec![("x-amz-date", "20150830T123600Z")];
        if let Some(a) = auth {
            hdrs.push(("authorization", a));
        }
        let h = headers(&hdrs);
        let target = format!("/b/k?{query}");
        parse_s3(&view("GET", &target, &h))
    };
    assert_eq!(run(None, "").unwrap(), None);
    assert!(matches!(run(None, v2_query), Ok(Some(S3Auth::V2Query(_)))));
    assert!(matches!(run(None, v4_query), Ok(Some(S3Auth::V4(_)))));
    assert!(matches!(
        run(Some("AWS a:s"), ""),
        Ok(Some(S3Auth::V2Header(_)))
    ));
    assert!(matches!(run(Some(v4_header), ""), Ok(Some(S3Auth::V4(_)))));
    for (auth, query) in [
        (Some("AWS a:s"), v2_query),
        (Some("AWS a:s"), v4_query),
        (Some(v4_header), v2_query),
        (Some(v4_header), v4_query),
        (None, &*format!("{v2_query}&{v4_query}")),
    ] {
        assert_eq!(
            run(auth, query).unwrap_err(),
            SigV4Error::MultipleAuthMechanisms,
            "{auth:?} {query}"
        );
    }
    // The token may come as a header too.
    let h = headers(&[("x-amz-security-token", "tok")]);
    let target = format!("/b/k?{v2_query}");
    let a = parse_s3(&view("GET", &target, &h)).unwrap().unwrap();
    assert_eq!(a.session_token(), Some("tok"));
    assert_eq!(a.access_key(), "a");
}

#[test]
fn amz_headers_canonicalized() {
    let h = headers(&[
        ("X-Amz-Meta-B", " 2 "),
        ("x-amz-meta-a", "1"),
        ("X-Amz-Meta-B", "3"),
        ("content-type", "x"),
    ]);
    let req = view("GET", "/", &h);
    assert_eq!(
        render_amz_headers(amz_headers(&req), None),
        "x-amz-meta-a:1\nx-amz-meta-b:2,3\n"
    );
    assert_eq!(
        render_amz_headers(amz_headers(&req), Some("x-amz-meta-a")),
        "x-amz-meta-b:2,3\n"
    );
}

#[test]
fn debug_redacts_secrets() {
    let p = ParsedV2 {
        access_key: "AKID".into(),
        signature: "c2lnbmF0dXJl".into(),
        expires: 1,
        session_token: Some("tok-secret".into()),
    };
    let s = format!("{p:?}");
    assert!(s.contains("AKID") && !s.contains("c2lnbmF0dXJl") && !s.contains("tok-secret"));
    let h = ParsedV2Header {
        access_key: "AKID".into(),
        signature: "c2lnbmF0dXJl".into(),
        session_token: None,
    };
    assert!(!format!("{h:?}").contains("c2lnbmF0dXJl"));
}

/// A small deterministic generator, so the garbage test needs no dependency.
fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *state >> 33
}

#[test]
fn garbage_never_panics() {
    let alphabet: &[u8] = b"AWSaccesKyIdSigntureExpi=&%:/?+ 0123456789-_.~\xc3\xa9xamzX";
    let mut st = 7u64;
    for _ in 0..4000 {
        let len = (lcg(&mut st) % 60) as usize;
        let s: Vec<u8> = (0..len)
            .map(|_| alphabet[(lcg(&mut st) as usize) % alphabet.len()])
            .collect();
        let s = String::from_utf8_lossy(&s).into_owned();
        let query = format!("AWSAccessKeyId=a&Signature=s&Expires=1&{s}");
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&format!("AWS {s}")) {
            h.insert(http::header::AUTHORIZATION, v);
        }
        if let Ok(v) = HeaderValue::from_str(&s) {
            h.insert("date", v.clone());
            h.insert("x-amz-date", v.clone());
            h.insert("content-type", v);
        }
        for q in [s.as_str(), query.as_str()] {
            let req = RequestView {
                method: "GET",
                raw_path: &s,
                raw_query: q,
                headers: &h,
                body: b"",
                authority: None,
            };
            let _ = parse_s3(&req);
            if let Ok(Some(p)) = parse_v2_query(q) {
                for now in [i64::MIN, 0, i64::MAX] {
                    let _ = verify_v2_query_vhost(&req, &p, "k", now, Some(&s));
                }
            }
            if let Ok(Some(p)) = parse_v2_header(&req) {
                for now in [i64::MIN, 0, i64::MAX] {
                    let _ = verify_v2_header_vhost(&req, &p, "k", now, Some(&s));
                }
            }
            let _ = canonicalized_resource_candidates(&s, q, None);
        }
    }
    // Non-UTF-8 header bytes.
    let mut h = HeaderMap::new();
    h.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_bytes(b"AWS a\xff:b").unwrap(),
    );
    h.insert(
        "x-amz-meta-a",
        HeaderValue::from_bytes(b"\xfe\xff").unwrap(),
    );
    let req = view("GET", "/", &h);
    assert_eq!(parse_v2_header(&req).unwrap_err().code(), "InvalidArgument");
}
