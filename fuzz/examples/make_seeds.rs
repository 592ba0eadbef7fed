//! Writes the seed corpora under `fuzz/seeds/<target>/`: a few valid requests per target,
//! in the layouts the targets read (see `nimbus_fuzz` and README.md). Every seed is checked
//! to be accepted by its decoder before it is written, so a seed that a model change makes
//! invalid fails loudly here instead of quietly seeding garbage. Operations that are not
//! (yet) implemented are skipped with a note. Regression inputs (`regression-*`) are never
//! touched.
//!
//! Run: `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds`

use http::{HeaderMap, HeaderValue};
use nimbus_fuzz::{named, select, split_query_body, targets, HttpInput, Target, SECRET};
use nimbus_proto_json::cbor::{self, CborValue as C};
use nimbus_sigv4 as s;
use nimbus_wire::{Protocol, Value};
use std::path::{Path, PathBuf};

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = seeds_dir().join(target);
    std::fs::create_dir_all(&dir).expect("create seeds dir");
    std::fs::write(dir.join(name), bytes).expect("write seed");
    println!("{target}/{name} ({} bytes)", bytes.len());
}

/// Checks that the decoded input has at least one member set (so the seed's keys really
/// are the model's, not silently ignored unknowns).
fn check_nonempty(what: &str, v: &Value) {
    match v {
        Value::Struct(slots) if slots.iter().any(Option::is_some) => {}
        other => panic!("{what}: decoded to no members: {other:?}"),
    }
}

fn target_for(ts: &[Target], input: &[u8]) -> Option<(Target, Vec<u8>)> {
    select(ts, input).map(|(t, payload)| (t, payload.to_vec()))
}

fn form_seeds(target: &str, protocol: Protocol, seeds: &[(&str, &str, &str)]) {
    let ts = targets(protocol);
    for (file, op, payload) in seeds {
        if !ts.iter().any(|t| t.op.name == *op) {
            println!("skip {target}/{file}: {op} is not implemented");
            continue;
        }
        let input = named(op, payload.as_bytes());
        let (t, payload) = target_for(&ts, &input).expect("selects");
        let (query, body) = split_query_body(&payload);
        let params = nimbus_proto_query::parse_params(&query, body).expect("form parses");
        let v = match protocol {
            Protocol::Ec2 => nimbus_proto_query::ec2::decode_input(t.model, t.input, &params),
            _ => nimbus_proto_query::query::decode_input(t.model, t.input, &params),
        }
        .unwrap_or_else(|e| panic!("{target}/{file}: {e:?}"));
        if params.iter().any(|(k, _)| k != "Action" && k != "Version") {
            check_nonempty(file, &v);
        }
        write(target, file, &input);
    }
}

fn json_seeds() {
    let ts = targets(Protocol::Json);
    let seeds: &[(&str, &str, &str)] = &[
        (
            "acm-list-certificates.json",
            "ListCertificates",
            r#"{"CertificateStatuses":["ISSUED","PENDING_VALIDATION"],"Includes":{"keyTypes":["RSA_2048","EC_prime256v1"],"extendedKeyUsage":["TLS_WEB_SERVER_AUTHENTICATION"]},"MaxItems":10,"NextToken":"abc","SortBy":"CREATED_AT","SortOrder":"DESCENDING"}"#,
        ),
        (
            "cloudwatch-put-metric-data.json",
            "PutMetricData",
            r#"{"Namespace":"App/Web","MetricData":[{"MetricName":"Latency","Dimensions":[{"Name":"Host","Value":"web-1"},{"Name":"Stage","Value":"prod"}],"Timestamp":1795600800.25,"Value":12.5,"Unit":"Milliseconds","StorageResolution":1},{"MetricName":"Hits","Timestamp":"2026-11-25T10:00:00Z","Values":[1.0,2.5,1e3],"Counts":[3,4,1],"Unit":"Count"},{"MetricName":"Size","StatisticValues":{"SampleCount":3,"Sum":6.0,"Minimum":1,"Maximum":3},"Unit":"Bytes"}]}"#,
        ),
        (
            "cloudwatch-get-metric-statistics.json",
            "GetMetricStatistics",
            r#"{"Namespace":"AWS/EC2","MetricName":"CPUUtilization","Dimensions":[{"Name":"InstanceId","Value":"i-0123456789abcdef0"}],"StartTime":1795597200,"EndTime":"2026-11-25T10:00:00.500Z","Period":60,"Statistics":["Average","Maximum","SampleCount"],"ExtendedStatistics":["p99"],"Unit":"Percent"}"#,
        ),
        (
            "cloudwatch-list-metrics.json",
            "ListMetrics",
            r#"{"Namespace":"App/Web","MetricName":"Latency","Dimensions":[{"Name":"Host","Value":"web-1"},{"Name":"Stage"}],"NextToken":"t","RecentlyActive":"PT3H","IncludeLinkedAccounts":true,"OwningAccount":"123456789012"}"#,
        ),
        ("empty-body.json", "ListMetrics", ""),
    ];
    for (file, op, body) in seeds {
        if !ts.iter().any(|t| t.op.name == *op) {
            println!("skip json_decode/{file}: {op} is not implemented");
            continue;
        }
        let input = named(op, body.as_bytes());
        let (t, payload) = target_for(&ts, &input).expect("selects");
        let v = nimbus_proto_json::json::decode_input(t.model, t.input, &payload)
            .unwrap_or_else(|e| panic!("json_decode/{file}: {e:?}"));
        if !body.is_empty() {
            check_nonempty(file, &v);
        }
        write("json_decode", file, &input);
    }
}

fn t(s: &str) -> C {
    C::text(s)
}

fn map(entries: Vec<(&str, C)>) -> C {
    C::Map(entries.into_iter().map(|(k, v)| (t(k), v)).collect())
}

fn cbor_seeds() {
    let ts = targets(Protocol::RpcV2Cbor);
    let put = map(vec![
        ("Namespace", t("App/Web")),
        (
            "MetricData",
            C::Array(vec![
                map(vec![
                    ("MetricName", t("Latency")),
                    (
                        "Dimensions",
                        C::Array(vec![map(vec![("Name", t("Host")), ("Value", t("web-1"))])]),
                    ),
                    ("Timestamp", C::Tag(1, Box::new(C::Float(1_795_600_800.25)))),
                    ("Value", C::Float(12.5)),
                    ("Unit", t("Milliseconds")),
                    ("StorageResolution", C::int(1)),
                ]),
                map(vec![
                    ("MetricName", t("Hits")),
                    ("Timestamp", C::Tag(1, Box::new(C::int(1_795_600_800)))),
                    ("Values", C::Array(vec![C::Float(1.0), C::Float(2.5)])),
                    ("Counts", C::Array(vec![C::Float(3.0), C::Float(4.0)])),
                    (
                        "StatisticValues",
                        map(vec![
                            ("SampleCount", C::Float(3.0)),
                            ("Sum", C::Float(6.0)),
                            ("Minimum", C::Float(1.0)),
                            ("Maximum", C::Float(3.0)),
                        ]),
                    ),
                    ("Unit", t("Count")),
                ]),
            ]),
        ),
    ]);
    let stats = map(vec![
        ("Namespace", t("AWS/EC2")),
        ("MetricName", t("CPUUtilization")),
        (
            "Dimensions",
            C::Array(vec![map(vec![
                ("Name", t("InstanceId")),
                ("Value", t("i-0123456789abcdef0")),
            ])]),
        ),
        ("StartTime", C::Tag(1, Box::new(C::int(1_795_597_200)))),
        ("EndTime", C::Tag(1, Box::new(C::Float(1_795_600_800.5)))),
        ("Period", C::int(60)),
        ("Statistics", C::Array(vec![t("Average"), t("Maximum")])),
        ("ExtendedStatistics", C::Array(vec![t("p99")])),
        ("Unit", t("Percent")),
        (
            "Unknown",
            C::Array(vec![C::Null, C::Undefined, C::Bool(true), C::Simple(99)]),
        ),
    ]);
    let list = map(vec![
        ("Namespace", t("App/Web")),
        ("Dimensions", C::Array(vec![map(vec![("Name", t("Host"))])])),
        ("NextToken", C::Null),
        ("IncludeLinkedAccounts", C::Bool(false)),
    ]);
    // Hand-written encodings the encoder never produces: an indefinite-length map with an
    // indefinite-length text key split in two chunks, a half-float, a 2-byte-length text.
    let mut indefinite = vec![0xbf, 0x7f, 0x64];
    indefinite.extend_from_slice(b"Name");
    indefinite.push(0x65);
    indefinite.extend_from_slice(b"space");
    indefinite.extend_from_slice(&[0xff, 0x79, 0x00, 0x07]);
    indefinite.extend_from_slice(b"App/Web");
    indefinite.push(0x6a);
    indefinite.extend_from_slice(b"MetricName");
    indefinite.push(0x63);
    indefinite.extend_from_slice(b"Hit");
    indefinite.push(0x6f);
    indefinite.extend_from_slice(b"RecentlyActive2");
    indefinite.extend_from_slice(&[0xf9, 0x3c, 0x00, 0xff]);
    let seeds: Vec<(&str, &str, Vec<u8>)> = vec![
        ("put-metric-data.cbor", "PutMetricData", cbor::encode(&put)),
        (
            "get-metric-statistics.cbor",
            "GetMetricStatistics",
            cbor::encode(&stats),
        ),
        ("list-metrics.cbor", "ListMetrics", cbor::encode(&list)),
        ("list-metrics-indefinite.cbor", "ListMetrics", indefinite),
        ("empty-body.cbor", "ListMetrics", Vec::new()),
    ];
    for (file, op, body) in seeds {
        if !ts.iter().any(|t| t.op.name == op) {
            println!("skip cbor_decode/{file}: {op} is not implemented");
            continue;
        }
        let input = named(op, &body);
        let (tg, payload) = target_for(&ts, &input).expect("selects");
        let v = nimbus_proto_json::rpcv2::decode_input(tg.model, tg.input, &payload)
            .unwrap_or_else(|e| panic!("cbor_decode/{file}: {e:?}"));
        if !body.is_empty() {
            check_nonempty(file, &v);
        }
        write("cbor_decode", file, &input);
    }
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
            HeaderValue::from_str(v).expect("header value"),
        );
    }
    h
}

fn restxml_seeds() {
    use nimbus_proto_restxml as rx;
    let model = &svc_s3::generated::MODEL;
    let put_body = b"hello, nimbus\n";
    // (file, expected operation, method, request target, headers, body)
    type Seed = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        HeaderMap,
        Vec<u8>,
    );
    let seeds: Vec<Seed> = vec![
        (
            "put-object.http",
            "PutObject",
            "PUT",
            "/my-bucket/photos/2026/a%20b%2Bc~.txt",
            headers(&[
                ("host", "127.0.0.1:4566"),
                ("content-type", "text/plain"),
                ("content-length", "14"),
                ("content-md5", "mHsvkSOLBMn5Tj3ySyGeiQ=="),
                ("cache-control", "max-age=60"),
                ("x-amz-meta-owner", "alice"),
                ("x-amz-meta-project", "nimbus"),
                ("x-amz-checksum-crc32", "0Q3l4A=="),
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
                ("x-amz-storage-class", "STANDARD"),
                ("x-amz-tagging", "a=1&b=2"),
                ("expires", "Wed, 25 Nov 2026 10:00:00 GMT"),
                ("expect", "100-continue"),
            ]),
            put_body.to_vec(),
        ),
        (
            "create-bucket.http",
            "CreateBucket",
            "PUT",
            "/my-bucket",
            headers(&[("host", "127.0.0.1:4566"), ("x-amz-acl", "private")]),
            br#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#.to_vec(),
        ),
        (
            "delete-objects.http",
            "DeleteObjects",
            "POST",
            "/my-bucket?delete",
            headers(&[("host", "127.0.0.1:4566"), ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")]),
            br#"<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a.txt</Key></Object><Object><Key>b &amp; c.txt</Key><VersionId>null</VersionId></Object><Quiet>true</Quiet></Delete>"#.to_vec(),
        ),
        (
            "list-objects-v2.http",
            "ListObjectsV2",
            "GET",
            "/my-bucket?list-type=2&prefix=photos%2F&delimiter=%2F&max-keys=10&encoding-type=url&continuation-token=abc%3D&start-after=a&fetch-owner=true",
            headers(&[("host", "127.0.0.1:4566")]),
            Vec::new(),
        ),
        (
            "list-objects.http",
            "ListObjects",
            "GET",
            "/my-bucket?prefix=a+b&marker=m&max-keys=1000",
            headers(&[("host", "127.0.0.1:4566")]),
            Vec::new(),
        ),
        (
            "get-object-range.http",
            "GetObject",
            "GET",
            "/my-bucket/photos/a.txt?response-content-type=text%2Fplain&versionId=v1&partNumber=1",
            headers(&[
                ("host", "127.0.0.1:4566"),
                ("range", "bytes=0-9"),
                ("if-none-match", "\"etag\""),
                ("if-modified-since", "Wed, 25 Nov 2026 10:00:00 GMT"),
                ("x-amz-checksum-mode", "ENABLED"),
            ]),
            Vec::new(),
        ),
        (
            "head-object.http",
            "HeadObject",
            "HEAD",
            "/my-bucket/a.txt",
            headers(&[("host", "127.0.0.1:4566"), ("if-match", "*")]),
            Vec::new(),
        ),
        (
            "delete-object.http",
            "DeleteObject",
            "DELETE",
            "/my-bucket/dir/a.txt?versionId=3",
            headers(&[("host", "127.0.0.1:4566")]),
            Vec::new(),
        ),
        (
            "list-buckets.http",
            "ListBuckets",
            "GET",
            "/?max-buckets=5&prefix=my",
            headers(&[("host", "127.0.0.1:4566")]),
            Vec::new(),
        ),
        (
            "vhost-get-bucket-location.http",
            "GetBucketLocation",
            "GET",
            "/?location",
            headers(&[("host", "my-bucket.s3.localhost:4566")]),
            Vec::new(),
        ),
        (
            "head-bucket.http",
            "HeadBucket",
            "HEAD",
            "/my-bucket",
            headers(&[("host", "127.0.0.1:4566"), ("x-amz-expected-bucket-owner", "123456789012")]),
            Vec::new(),
        ),
        (
            "delete-bucket.http",
            "DeleteBucket",
            "DELETE",
            "/my-bucket",
            headers(&[("host", "127.0.0.1:4566")]),
            Vec::new(),
        ),
    ];
    for (file, op, method, target, h, body) in seeds {
        if !model
            .operations
            .iter()
            .any(|o| o.name == op && o.implemented)
        {
            println!("skip restxml_decode/{file}: {op} is not implemented");
            continue;
        }
        let bytes = HttpInput::render(method, target, &h, &body);
        let req = HttpInput::parse(&bytes);
        let vhost = req
            .headers
            .get("host")
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.split_once(".s3."))
            .map(|(b, _)| b.to_string());
        let resolved = rx::resolve_with_headers(
            model,
            &req.method,
            &req.path,
            &req.query,
            &req.headers,
            vhost.as_deref(),
        )
        .unwrap_or_else(|| panic!("restxml_decode/{file}: does not route"));
        assert_eq!(
            resolved.op.name, op,
            "restxml_decode/{file}: routed elsewhere"
        );
        let http_req = nimbus_wire::HttpRequest {
            method: &req.method,
            path: &req.path,
            query: &req.query,
            headers: &req.headers,
            body: req.body,
        };
        rx::decode_input(model, resolved.op, &http_req, &resolved)
            .unwrap_or_else(|e| panic!("restxml_decode/{file}: {e:?}"));
        write("restxml_decode", file, &bytes);
    }
}

const AMZ_DATE: &str = "20261125T100000Z";

fn params<'a>(service: &'a str, token: Option<&'a str>) -> s::SigningParams<'a> {
    s::SigningParams {
        access_key: "AKIDEXAMPLE",
        secret_access_key: SECRET,
        region: "us-east-1",
        service,
        amz_date: AMZ_DATE,
        session_token: token,
    }
}

/// Checks that a signed seed parses and verifies (so the fuzzer starts past the signature
/// check), then writes it.
fn signed_seed(file: &str, bytes: Vec<u8>, chunked: bool) {
    let req = HttpInput::parse(&bytes);
    let view = s::RequestView {
        method: &req.method,
        raw_path: &req.path,
        raw_query: &req.query,
        headers: &req.headers,
        body: req.body,
        authority: req.authority.as_deref(),
    };
    let auth = s::parse(&view)
        .unwrap_or_else(|e| panic!("sigv4_parse/{file}: {e:?}"))
        .unwrap_or_else(|| panic!("sigv4_parse/{file}: no auth"));
    let now = s::parse_amz_date(&auth.amz_date).expect("date");
    let verified = s::verify(&view, &auth, SECRET, now)
        .unwrap_or_else(|e| panic!("sigv4_parse/{file}: {e:?}"));
    if chunked {
        s::decode_aws_chunked(req.body, verified.payload, &verified, &auth)
            .unwrap_or_else(|e| panic!("sigv4_parse/{file}: {e:?}"));
    }
    write("sigv4_parse", file, &bytes);
}

/// Checks that a SigV2 seed parses and verifies as the target does it, then writes it.
fn signed_v2_seed(file: &str, bytes: Vec<u8>) {
    let req = HttpInput::parse(&bytes);
    let view = s::RequestView {
        method: &req.method,
        raw_path: &req.path,
        raw_query: &req.query,
        headers: &req.headers,
        body: req.body,
        authority: req.authority.as_deref(),
    };
    let vhost = req
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.split_once(".s3."))
        .map(|(b, _)| b.to_string());
    let now = nimbus_fuzz::FIXED_NOW;
    match s::parse_s3(&view) {
        Ok(Some(s::S3Auth::V2Header(h))) => {
            s::verify_v2_header_vhost(&view, &h, SECRET, now, vhost.as_deref())
        }
        Ok(Some(s::S3Auth::V2Query(q))) => {
            s::verify_v2_query_vhost(&view, &q, SECRET, now, vhost.as_deref())
        }
        other => panic!("sigv4_parse/{file}: not SigV2: {other:?}"),
    }
    .unwrap_or_else(|e| panic!("sigv4_parse/{file}: {e:?}"));
    write("sigv4_parse", file, &bytes);
}

fn sigv4_seeds() {
    // STS form POST, header auth, with a session token.
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let mut h = headers(&[
        ("host", "sts.us-east-1.amazonaws.com"),
        (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
    ]);
    let p = params("sts", Some("FQoGZXIvYXdzEXAMPLETOKEN"));
    s::sign_request_for_tests("POST", "/", "", &mut h, body, &p);
    signed_seed(
        "sts-header-auth.http",
        HttpInput::render("POST", "/", &h, body),
        false,
    );

    // S3 GET with UNSIGNED-PAYLOAD and a query string needing canonical sorting.
    let mut h = headers(&[
        ("host", "127.0.0.1:4566"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ("range", "bytes=0-1"),
    ]);
    let p = params("s3", None);
    let q = "versionId=v%201&response-content-type=text%2Fplain&acl";
    s::sign_request_for_tests("GET", "/my-bucket/a%20b.txt", q, &mut h, b"", &p);
    signed_seed(
        "s3-unsigned-payload.http",
        HttpInput::render("GET", &format!("/my-bucket/a%20b.txt?{q}"), &h, b""),
        false,
    );

    // S3 PUT with a signed aws-chunked body (two chunks), then the same with a signed trailer.
    for (file, mode, trailers) in [
        (
            "s3-streaming-signed.http",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            &[][..],
        ),
        (
            "s3-streaming-signed-trailer.http",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            &[("x-amz-checksum-crc32", "0Q3l4A==")][..],
        ),
    ] {
        let data = b"hello, nimbus\n";
        let mut h = headers(&[
            ("host", "127.0.0.1:4566"),
            ("x-amz-content-sha256", mode),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", &data.len().to_string()),
        ]);
        if !trailers.is_empty() {
            h.insert(
                "x-amz-trailer",
                HeaderValue::from_static("x-amz-checksum-crc32"),
            );
        }
        let p = params("s3", None);
        let seed = s::sign_request_for_tests("PUT", "/my-bucket/k", "", &mut h, b"", &p);
        let mut signer = s::ChunkSigner::new(p.signing_key(), AMZ_DATE, &p.scope(), &seed);
        let body = s::encode_aws_chunked(data, 8, Some(&mut signer), trailers);
        signed_seed(
            file,
            HttpInput::render("PUT", "/my-bucket/k", &h, &body),
            true,
        );
    }

    // S3 PUT with an unsigned aws-chunked body and a trailer.
    let data = b"0123456789abcdef";
    let mut h = headers(&[
        ("host", "127.0.0.1:4566"),
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
        ("x-amz-decoded-content-length", "16"),
    ]);
    s::sign_request_for_tests("PUT", "/my-bucket/u", "", &mut h, b"", &params("s3", None));
    let body = s::encode_aws_chunked(data, 10, None, &[("x-amz-checksum-crc32", "AAAAAA==")]);
    signed_seed(
        "s3-streaming-unsigned-trailer.http",
        HttpInput::render("PUT", "/my-bucket/u", &h, &body),
        true,
    );

    // Presigned S3 GET (query-string auth), absolute-form target with an authority.
    let h = headers(&[("host", "127.0.0.1:4566")]);
    let q = s::presign_for_tests("GET", "/my-bucket/k", "", &h, b"", 900, &params("s3", None));
    signed_seed(
        "s3-presigned.http",
        HttpInput::render("GET", &format!("/my-bucket/k?{q}"), &h, b""),
        false,
    );
    let no_host = HeaderMap::new();
    signed_seed(
        "s3-presigned-authority.http",
        HttpInput::render(
            "GET",
            &format!("http://127.0.0.1:4566/my-bucket/k?{q}"),
            &no_host,
            b"",
        ),
        false,
    );

    // S3 SigV2: a header-signed PUT with x-amz-* headers, and a presigned (query) GET on a
    // virtual-hosted-style bucket.
    let date = "Wed, 25 Nov 2026 10:00:00 GMT";
    let sts = format!("PUT\n\ntext/plain\n{date}\nx-amz-meta-a:1\n/my-bucket/k?acl");
    let auth = format!("AWS AKIDEXAMPLE:{}", s::sign_v2(SECRET, &sts));
    let h = headers(&[
        ("host", "127.0.0.1:4566"),
        ("date", date),
        ("content-type", "text/plain"),
        ("x-amz-meta-a", "1"),
        ("authorization", &auth),
    ]);
    signed_v2_seed(
        "s3-sigv2-header.http",
        HttpInput::render("PUT", "/my-bucket/k?acl", &h, b"x"),
    );
    let expires = nimbus_fuzz::FIXED_NOW + 900;
    let sts = format!("GET\n\n\n{expires}\n/my-bucket/a%20b");
    let sig = s::uri_encode_str(s::sign_v2(SECRET, &sts).as_bytes());
    let h = headers(&[("host", "my-bucket.s3.localhost:4566")]);
    let target = format!("/a%20b?AWSAccessKeyId=AKIDEXAMPLE&Expires={expires}&Signature={sig}");
    signed_v2_seed(
        "s3-sigv2-query-vhost.http",
        HttpInput::render("GET", &target, &h, b""),
    );

    // Malformed or foreign auth: parse errors are part of the surface too.
    let raw: &[(&str, &[u8])] = &[
        (
            "sigv2-header.http",
            b"GET /my-bucket/k\nhost: 127.0.0.1\ndate: Wed, 25 Nov 2026 10:00:00 GMT\nauthorization: AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=\n\n",
        ),
        (
            "sigv4-missing-signature.http",
            b"POST /\nhost: sts.amazonaws.com\nx-amz-date: 20261125T100000Z\nauthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date\n\nAction=GetCallerIdentity",
        ),
        (
            "chunked-only.http",
            b"PUT /b/k\nhost: h\n\n5;chunk-signature=00\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
        ),
    ];
    for (file, bytes) in raw {
        write("sigv4_parse", file, bytes);
    }
}

fn main() {
    form_seeds(
        "ec2_decode",
        Protocol::Ec2,
        &[
            (
                "authorize-security-group-ingress.form",
                "AuthorizeSecurityGroupIngress",
                "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-0123456789abcdef0&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=203.0.113.0%2F24&IpPermissions.1.IpRanges.1.Description=ssh+from+office&IpPermissions.1.Ipv6Ranges.1.CidrIpv6=2001%3Adb8%3A%3A%2F32&IpPermissions.1.UserIdGroupPairs.1.GroupId=sg-0aaaaaaaaaaaaaaaa&IpPermissions.1.PrefixListIds.1.PrefixListId=pl-12345678&IpPermissions.2.IpProtocol=-1&TagSpecification.1.ResourceType=security-group-rule&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=ssh&DryRun=false",
            ),
            (
                "create-security-group.form",
                "CreateSecurityGroup",
                "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=web&GroupDescription=Web+servers+%26+friends&VpcId=vpc-0123456789abcdef0&TagSpecification.1.ResourceType=security-group&TagSpecification.1.Tag.1.Key=env&TagSpecification.1.Tag.1.Value=prod",
            ),
            (
                "describe-security-groups.form",
                "DescribeSecurityGroups",
                "Action=DescribeSecurityGroups&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&Filter.1.Value.2=vpc-2&Filter.2.Name=group-name&Filter.2.Value.1=web&GroupId.1=sg-1&GroupName.1=default&MaxResults=5&NextToken=abc",
            ),
            (
                "describe-regions-query-and-body.form",
                "DescribeRegions",
                "Action=DescribeRegions&Version=2016-11-15\nRegionName.1=us-east-1&RegionName.2=eu-west-1&AllRegions=true",
            ),
            (
                "describe-vpcs.form",
                "DescribeVpcs",
                "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1&Filter.1.Name=is-default&Filter.1.Value.1=true&MaxResults=10",
            ),
            (
                "revoke-security-group-egress.form",
                "RevokeSecurityGroupEgress",
                "Action=RevokeSecurityGroupEgress&Version=2016-11-15&GroupId=sg-1&IpPermissions.1.IpProtocol=udp&IpPermissions.1.FromPort=53&IpPermissions.1.ToPort=53&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0&SecurityGroupRuleId.1=sgr-1",
            ),
            (
                "describe-availability-zones.form",
                "DescribeAvailabilityZones",
                "Action=DescribeAvailabilityZones&Version=2016-11-15&ZoneName.1=us-east-1a&ZoneId.1=use1-az1&AllAvailabilityZones=true&Filter.1.Name=state&Filter.1.Value.1=available",
            ),
        ],
    );
    form_seeds(
        "query_decode",
        Protocol::Query,
        &[
            (
                "sts-get-caller-identity.form",
                "GetCallerIdentity",
                "Action=GetCallerIdentity&Version=2011-06-15",
            ),
            (
                "cloudwatch-put-metric-data.form",
                "PutMetricData",
                "Action=PutMetricData&Version=2010-08-01&Namespace=App%2FWeb&MetricData.member.1.MetricName=Latency&MetricData.member.1.Value=12.5&MetricData.member.1.Unit=Milliseconds&MetricData.member.1.Timestamp=2026-11-25T10%3A00%3A00Z&MetricData.member.1.Dimensions.member.1.Name=Host&MetricData.member.1.Dimensions.member.1.Value=web-1&MetricData.member.1.StorageResolution=1&MetricData.member.2.MetricName=Hits&MetricData.member.2.Values.member.1=1&MetricData.member.2.Values.member.2=2.5&MetricData.member.2.Counts.member.1=3&MetricData.member.2.Counts.member.2=4&MetricData.member.3.MetricName=Size&MetricData.member.3.StatisticValues.SampleCount=3&MetricData.member.3.StatisticValues.Sum=6&MetricData.member.3.StatisticValues.Minimum=1&MetricData.member.3.StatisticValues.Maximum=3",
            ),
            (
                "cloudwatch-get-metric-statistics.form",
                "GetMetricStatistics",
                "Action=GetMetricStatistics&Version=2010-08-01\nNamespace=AWS%2FEC2&MetricName=CPUUtilization&Dimensions.member.1.Name=InstanceId&Dimensions.member.1.Value=i-0123456789abcdef0&StartTime=2026-11-25T09%3A00%3A00Z&EndTime=2026-11-25T10%3A00%3A00.500Z&Period=60&Statistics.member.1=Average&Statistics.member.2=Maximum&ExtendedStatistics.member.1=p99&Unit=Percent",
            ),
            (
                "cloudwatch-list-metrics.form",
                "ListMetrics",
                "Action=ListMetrics&Version=2010-08-01&Namespace=App%2FWeb&Dimensions.member.1.Name=Host&Dimensions.member.1.Value=web-1&RecentlyActive=PT3H&IncludeLinkedAccounts=true&NextToken=t",
            ),
        ],
    );
    json_seeds();
    cbor_seeds();
    restxml_seeds();
    sigv4_seeds();
    typed_seeds();
    encode_seeds();
    gateway_seeds();
    conn_seeds();
}

/// `typed_convert` seeds: one working call per protocol (each must decode and succeed
/// over the empty world), plus some of the decode seeds just written, re-keyed `proto:Op`
/// (those must decode; what the handler answers is printed).
fn typed_seeds() {
    let ok: [(&str, &str, Vec<u8>); 9] = [
        ("ec2-create-security-group.form", "ec2:CreateSecurityGroup", b"Action=CreateSecurityGroup&Version=2016-11-15&GroupName=web&GroupDescription=web+servers&TagSpecification.1.ResourceType=security-group&TagSpecification.1.Tag.1.Key=env&TagSpecification.1.Tag.1.Value=prod".to_vec()),
        ("ec2-describe-security-groups.form", "ec2:DescribeSecurityGroups", b"Action=DescribeSecurityGroups&Version=2016-11-15\nFilter.1.Name=group-name&Filter.1.Value.1=default&MaxResults=5".to_vec()),
        ("query-get-caller-identity.form", "query:GetCallerIdentity", b"Action=GetCallerIdentity&Version=2011-06-15".to_vec()),
        ("query-put-metric-data.form", "query:PutMetricData", b"Action=PutMetricData&Version=2010-08-01&Namespace=App&MetricData.member.1.MetricName=Latency&MetricData.member.1.Value=12.5&MetricData.member.1.Unit=Milliseconds&MetricData.member.1.Dimensions.member.1.Name=Host&MetricData.member.1.Dimensions.member.1.Value=web-1".to_vec()),
        ("json-get-metric-statistics.json", "json:GetMetricStatistics", br#"{"Namespace":"App","MetricName":"Latency","StartTime":1795597200,"EndTime":1795600800,"Period":60,"Statistics":["Average","Maximum","SampleCount"],"Unit":"Milliseconds"}"#.to_vec()),
        ("json-list-certificates.json", "json:ListCertificates", br#"{"MaxItems":10,"CertificateStatuses":["ISSUED"]}"#.to_vec()),
        ("cbor-list-metrics.cbor", "cbor:ListMetrics", cbor::encode(&map(vec![("Namespace", t("App")), ("MetricName", t("Latency"))]))),
        ("restxml-create-bucket.http", "restxml:CreateBucket", HttpInput::render("PUT", "/my-bucket", &headers(&[("host", "127.0.0.1:4566")]), b"")),
        ("restxml-list-buckets.http", "restxml:ListBuckets", HttpInput::render("GET", "/?max-buckets=5", &headers(&[("host", "127.0.0.1:4566")]), b"")),
    ];
    for (file, key, payload) in ok {
        let input = named(key, &payload);
        let (got, _) = nimbus_fuzz::select_keyed(nimbus_fuzz::typed::input_targets(), &input)
            .unwrap_or_else(|| panic!("typed_convert/{file}: no target"));
        let got = format!(
            "{}:{}",
            nimbus_fuzz::proto_key(got.0).unwrap_or("?"),
            got.1.op.name
        );
        if got != key {
            println!("skip typed_convert/{file}: {key} is not implemented");
            continue;
        }
        match nimbus_fuzz::typed::run(&input) {
            Some(Ok(())) => write("typed_convert", file, &input),
            other => panic!("typed_convert/{file}: {other:?}"),
        }
    }
    let picks: [(&str, &str, &str); 3] = [
        ("ec2", "ec2_decode", "authorize-security-group-ingress.form"),
        ("json", "json_decode", "cloudwatch-put-metric-data.json"),
        ("restxml", "restxml_decode", "put-object.http"),
    ];
    for (proto, from, file) in picks {
        let Ok(bytes) = std::fs::read(seeds_dir().join(from).join(file)) else {
            println!("skip typed_convert/{file}: no {from} seed");
            continue;
        };
        let (op, payload) = if proto == "restxml" {
            let req = HttpInput::parse(&bytes);
            let vhost = nimbus_gateway::route::s3_vhost_bucket(
                req.headers
                    .get("host")
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or(""),
            );
            let r = nimbus_proto_restxml::resolve_with_headers(
                &svc_s3::generated::MODEL,
                &req.method,
                &req.path,
                &req.query,
                &req.headers,
                vhost.as_deref(),
            )
            .expect("restxml seed routes");
            (r.op.name.to_string(), bytes.clone())
        } else {
            let nul = bytes.iter().position(|&b| b == 0).expect("named seed");
            (
                String::from_utf8(bytes[..nul].to_vec()).expect("utf-8 name"),
                bytes[nul + 1..].to_vec(),
            )
        };
        let input = named(&format!("{proto}:{op}"), &payload);
        let outcome = nimbus_fuzz::typed::run(&input)
            .unwrap_or_else(|| panic!("typed_convert/{file}: does not decode"));
        println!("  typed_convert/{proto}-{file}: {outcome:?}");
        write("typed_convert", &format!("{proto}-{file}"), &input);
    }
}

/// A deterministic byte soup (xorshift) for the value generator to read.
fn soup(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// `encode_output` seeds: one key per protocol with a few hundred bytes for the generator.
fn encode_seeds() {
    let picks = [
        "ec2:DescribeSecurityGroups",
        "query:GetMetricStatistics",
        "query:GetCallerIdentity",
        "json:ListMetrics",
        "cbor:GetMetricStatistics",
        "restxml:ListObjectsV2",
        "restxml:GetObject",
    ];
    for (i, key) in picks.into_iter().enumerate() {
        if !nimbus_fuzz::encode::output_targets()
            .iter()
            .any(|t| t.key == key)
        {
            println!("skip encode_output/{key}: not an implemented operation with an output");
            continue;
        }
        let input = named(key, &soup(i as u64 + 1, 400));
        nimbus_fuzz::encode_output(&input);
        write("encode_output", &key.replace(':', "-"), &input);
    }
}

/// A session of requests in `gateway_request`'s layout.
fn session(requests: &[Vec<u8>]) -> Vec<u8> {
    requests.join(nimbus_fuzz::gateway::SEPARATOR)
}

fn req(method: &str, target: &str, h: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    HttpInput::render(method, target, &headers(h), body)
}

/// `gateway_request` seeds: short sessions per protocol. The replies are printed, and
/// every request of a seed must succeed (2xx) so the fuzzer starts from working calls.
fn gateway_seeds() {
    const FORM: (&str, &str) = (
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    );
    const HOST: (&str, &str) = ("host", "localhost:4566");
    let auth_s3 = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000";
    let auth_sts = "AWS4-HMAC-SHA256 Credential=123456789012/20261125/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000";
    let s3 = |m: &str, t: &str, extra: &[(&str, &str)], body: &[u8]| {
        let mut h = vec![
            HOST,
            ("x-amz-date", AMZ_DATE),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            ("authorization", auth_s3),
        ];
        h.extend_from_slice(extra);
        req(m, t, &h, body)
    };
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "s3-session.http",
            session(&[
                s3("PUT", "/bkt", &[], b""),
                s3("PUT", "/bkt/dir/a%20b.txt", &[("content-type", "text/plain"), ("content-length", "11"), ("x-amz-meta-owner", "alice")], b"hello world"),
                s3("GET", "/bkt/dir/a%20b.txt", &[("range", "bytes=0-4")], b""),
                s3("GET", "/bkt?list-type=2&prefix=dir%2F&delimiter=%2F", &[], b""),
                s3("HEAD", "/bkt/dir/a%20b.txt", &[], b""),
                s3("POST", "/bkt?delete", &[("content-md5", "")], br#"<Delete><Object><Key>dir/a b.txt</Key></Object></Delete>"#),
            ]),
        ),
        (
            "s3-vhost-chunked.http",
            session(&[
                req("PUT", "/", &[("host", "bkt.s3.localhost:4566")], b""),
                req(
                    "PUT",
                    "/k",
                    &[
                        ("host", "bkt.s3.localhost:4566"),
                        ("content-encoding", "aws-chunked"),
                        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                        ("x-amz-decoded-content-length", "5"),
                        ("x-amz-trailer", "x-amz-checksum-crc32"),
                    ],
                    b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
                ),
                req("GET", "/k", &[("host", "bkt.s3.localhost:4566")], b""),
                req("GET", "/?location", &[("host", "bkt.s3.localhost:4566")], b""),
            ]),
        ),
        (
            "ec2-session.form",
            session(&[
                req("POST", "/", &[HOST, FORM], b"Action=CreateSecurityGroup&Version=2016-11-15&GroupName=web&GroupDescription=web+servers"),
                req("POST", "/", &[HOST, FORM], b"Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupName=web&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22&IpPermissions.1.IpRanges.1.CidrIp=203.0.113.0%2F24"),
                req("POST", "/", &[HOST, FORM], b"Action=DescribeSecurityGroups&Version=2016-11-15&Filter.1.Name=group-name&Filter.1.Value.1=web"),
                req("GET", "/?Action=DescribeVpcs&Version=2016-11-15", &[HOST], b""),
            ]),
        ),
        (
            "cloudwatch-gzip.http",
            session(&[
                req(
                    "POST",
                    "/",
                    &[HOST, ("content-type", "application/x-amz-json-1.0"), ("x-amz-target", "GraniteServiceVersion20100801.PutMetricData"), ("x-fuzz-gzip", "1")],
                    br#"{"Namespace":"App","MetricData":[{"MetricName":"Latency","Value":1.5,"Unit":"Milliseconds","Timestamp":1795600700}]}"#,
                ),
                req(
                    "POST",
                    "/",
                    &[HOST, FORM],
                    b"Action=GetMetricStatistics&Version=2010-08-01&Namespace=App&MetricName=Latency&StartTime=2026-11-25T09%3A00%3A00Z&EndTime=2026-11-25T10%3A00%3A00Z&Period=60&Statistics.member.1=Average",
                ),
                req(
                    "POST",
                    "/service/GraniteServiceVersion20100801/operation/ListMetrics",
                    &[HOST, ("smithy-protocol", "rpc-v2-cbor"), ("content-type", "application/cbor")],
                    &cbor::encode(&map(vec![("Namespace", t("App"))])),
                ),
            ]),
        ),
        (
            "sts-acm.http",
            session(&[
                req("POST", "/", &[HOST, FORM, ("x-amz-date", AMZ_DATE), ("authorization", auth_sts)], b"Action=GetCallerIdentity&Version=2011-06-15"),
                req(
                    "POST",
                    "/",
                    &[HOST, ("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "CertificateManager.ListCertificates")],
                    b"{}",
                ),
            ]),
        ),
        (
            "admin.http",
            session(&[
                req("GET", "/_nimbus/health", &[HOST], b""),
                req("POST", "/_nimbus/clock/advance", &[HOST, ("content-type", "application/json")], br#"{"seconds": 3600}"#),
                req("GET", "/_nimbus/clock", &[HOST], b""),
                req("POST", "/_nimbus/reset", &[HOST], b""),
            ]),
        ),
        (
            "admin-moto.http",
            session(&[
                req("POST", "/moto-api/reset", &[HOST], b""),
                req("POST", "/moto-api/reset-auth", &[HOST], b""),
                req("GET", "/_nimbus/sns/outbox", &[HOST], b""),
                req("GET", "/_nimbus/audit", &[HOST], b""),
            ]),
        ),
    ];
    for (file, bytes) in seeds {
        let mut failed = Vec::new();
        nimbus_fuzz::gateway::run_session(&bytes, |x| {
            println!("  {file}: {} -> {}", x.request, x.status);
            if !(200..300).contains(&x.status) {
                failed.push(format!(
                    "{} -> {}: {}",
                    x.request,
                    x.status,
                    String::from_utf8_lossy(&x.body)
                ));
            }
        });
        assert!(failed.is_empty(), "gateway_request/{file}: {failed:#?}");
        nimbus_fuzz::gateway_request(&bytes);
        write("gateway_request", file, &bytes);
    }
}

/// `gateway_conn` seeds: raw client bytes, written in pieces at `SEPARATOR` lines. Each is
/// run once (it must not panic) and the first answer's status printed.
fn conn_seeds() {
    let sep = std::str::from_utf8(nimbus_fuzz::conn::SEPARATOR).expect("ASCII");
    let s3_auth = "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000\r\nx-amz-date: 20261125T100000Z\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n";
    // An HTTP/2 GET / with prior knowledge: the preface, an empty SETTINGS frame, and one
    // HEADERS frame (END_STREAM | END_HEADERS) of static-table HPACK fields
    // (:method GET, :scheme http, :path /) and a literal :authority.
    let mut h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    h2.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    let block: Vec<u8> = [&[0x82u8, 0x86, 0x84, 0x41, 9][..], b"localhost"].concat();
    h2.extend_from_slice(&[0, 0, block.len() as u8, 1, 5, 0, 0, 0, 1]);
    h2.extend_from_slice(&block);
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "admin-pipelined.raw",
            concat!(
                "GET /_nimbus/health HTTP/1.1\r\nHost: localhost:4566\r\n\r\n",
                "POST /moto-api/reset HTTP/1.1\r\nHost: localhost:4566\r\nContent-Length: 0\r\n\r\n",
                "POST /_nimbus/clock/advance HTTP/1.1\r\nHost: localhost:4566\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"seconds\": 3600}",
                "GET /_nimbus/clock HTTP/1.1\r\nHost: localhost:4566\r\n\r\n",
                "POST /_nimbus/reset HTTP/1.1\r\nHost: localhost:4566\r\nOrigin: http://evil.example\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n",
            )
            .as_bytes()
            .to_vec(),
        ),
        (
            "s3-chunked-in-pieces.raw",
            format!(
                "PUT /bkt HTTP/1.1\r\nHost: localhost:4566\r\n{s3_auth}Content-Length: 0\r\n\r\n\
                 PUT /bkt/k HTTP/1.1\r\nHost: localhost:4566\r\n{s3_auth}Transfer-Encoding: chunked\r\n\r\n5\r\nhel{sep}lo\r\n6\r\n world\r\n0\r\n\r\n\
                 GET /bkt/k HTTP/1.1\r\nHost: localhost:4566\r\n{s3_auth}\r\n"
            )
            .into_bytes(),
        ),
        (
            "form-split-head.raw",
            format!(
                "POST / HTTP/1.1\r\nHost: localhost:4566\r\nContent-Type: application/x-www-form-urlencoded\r\n{sep}Content-Length: 43\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15"
            )
            .into_bytes(),
        ),
        ("h2c-get.raw", h2),
        (
            "bad-framing.raw",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(),
        ),
    ];
    for (file, bytes) in seeds {
        let out = nimbus_fuzz::conn::run_conn(&bytes);
        let text = String::from_utf8_lossy(&out);
        let statuses: Vec<&str> = text
            .match_indices("HTTP/1.1 ")
            .filter_map(|(i, _)| text.get(i + 9..i + 12))
            .collect();
        println!(
            "  {file}: first answer {:?}, status lines {statuses:?}, {} bytes back",
            nimbus_fuzz::conn::first_status(&out),
            out.len()
        );
        nimbus_fuzz::gateway_conn(&bytes);
        write("gateway_conn", file, &bytes);
    }
}
