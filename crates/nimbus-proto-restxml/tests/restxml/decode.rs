//! Requests shaped exactly as botocore 1.43.11 sends them (captured with a `before-send`
//! hook on an S3 client with `endpoint_url=http://127.0.0.1:1`).

use crate::headers;
use crate::model::{build, ECHO, S3};
use bytes::Bytes;
use nimbus_core::Timestamp;
use nimbus_proto_restxml::{decode_input, resolve_with_headers};
use nimbus_wire::{HttpRequest, Value, WireError};

fn decode(
    model: &'static nimbus_wire::ServiceModel,
    method: &str,
    path: &str,
    query: &str,
    hdrs: &[(&str, &str)],
    body: &[u8],
) -> (&'static str, Result<Value, WireError>) {
    let h = headers(hdrs);
    let resolved = resolve_with_headers(model, method, path, query, &h, None).expect("routes");
    let req = HttpRequest {
        method,
        path,
        query,
        headers: &h,
        body,
    };
    (
        resolved.op.name,
        decode_input(model, resolved.op, &req, &resolved),
    )
}

fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

#[test]
fn put_object() {
    let (op, v) = decode(
        &S3,
        "PUT",
        "/bkt/dir/a%20b%2Bc~%25.txt",
        "",
        &[
            ("Content-Type", "text/plain"),
            ("x-amz-meta-Color", "Blue"),
            ("x-amz-meta-x", "1"),
            ("Expect", "100-continue"),
            ("x-amz-checksum-crc32", "DUoRhQ=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            (
                "X-Amz-Content-SHA256",
                "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
            ),
            ("Content-Length", "11"),
            ("Expires", "Wed, 25 Nov 2026 10:05:22 GMT"),
            ("x-amz-server-side-encryption-bucket-key-enabled", "true"),
        ],
        b"hello world",
    );
    assert_eq!(op, "PutObject");
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "PutObjectRequest",
            vec![
                ("Body", Value::Blob(Bytes::from_static(b"hello world"))),
                ("Bucket", s("bkt")),
                ("ContentLength", Value::Int(11)),
                ("ContentType", s("text/plain")),
                (
                    "Expires",
                    Value::Timestamp(Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 0))
                ),
                ("Key", s("dir/a b+c~%.txt")),
                (
                    "Metadata",
                    Value::Map(vec![("color".into(), s("Blue")), ("x".into(), s("1"))])
                ),
                ("BucketKeyEnabled", Value::Bool(true)),
            ]
        )
    );
}

#[test]
fn empty_body_leaves_payload_absent() {
    let (_, v) = decode(
        &S3,
        "PUT",
        "/bkt/empty",
        "",
        &[("Content-Length", "0")],
        b"",
    );
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "PutObjectRequest",
            vec![
                ("Bucket", s("bkt")),
                ("ContentLength", Value::Int(0)),
                ("Key", s("empty"))
            ]
        )
    );
    let (op, v) = decode(&S3, "PUT", "/bkt", "", &[], b"");
    assert_eq!(op, "CreateBucket");
    assert_eq!(
        v.unwrap(),
        build(&S3, "CreateBucketRequest", vec![("Bucket", s("bkt"))])
    );
}

#[test]
fn create_bucket_configuration() {
    let body = br#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>us-west-2</LocationConstraint></CreateBucketConfiguration>"#;
    let (op, v) = decode(&S3, "PUT", "/bkt", "", &[("x-amz-acl", "private")], body);
    assert_eq!(op, "CreateBucket");
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "CreateBucketRequest",
            vec![
                ("ACL", s("private")),
                ("Bucket", s("bkt")),
                (
                    "CreateBucketConfiguration",
                    build(
                        &S3,
                        "CreateBucketConfiguration",
                        vec![("LocationConstraint", s("us-west-2"))]
                    )
                ),
            ]
        )
    );
    // Non-flattened list with named items inside the payload.
    let body = br#"<?xml version="1.0"?><CreateBucketConfiguration><Tags><Tag><Key>a</Key><Value>b</Value></Tag><Tag><Key>c</Key><Value></Value></Tag></Tags></CreateBucketConfiguration>"#;
    let (_, v) = decode(&S3, "PUT", "/bkt", "", &[], body);
    let tag = |k: &str, v: &str| build(&S3, "Tag", vec![("Key", s(k)), ("Value", s(v))]);
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "CreateBucketRequest",
            vec![
                ("Bucket", s("bkt")),
                (
                    "CreateBucketConfiguration",
                    build(
                        &S3,
                        "CreateBucketConfiguration",
                        vec![("Tags", Value::List(vec![tag("a", "b"), tag("c", "")]))]
                    )
                ),
            ]
        )
    );
}

#[test]
fn list_objects_v2_query() {
    let (op, v) = decode(
        &S3,
        "GET",
        "/bkt",
        "list-type=2&prefix=a%2F&delimiter=%2F&continuation-token=tok%3D%3D&max-keys=10&encoding-type=url&fetch-owner=true",
        &[("x-amz-optional-object-attributes", "RestoreStatus, Other")],
        b"",
    );
    assert_eq!(op, "ListObjectsV2");
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "ListObjectsV2Request",
            vec![
                ("Bucket", s("bkt")),
                ("Delimiter", s("/")),
                ("EncodingType", s("url")),
                ("MaxKeys", Value::Int(10)),
                ("Prefix", s("a/")),
                ("ContinuationToken", s("tok==")),
                ("FetchOwner", Value::Bool(true)),
                (
                    "OptionalObjectAttributes",
                    Value::List(vec![s("RestoreStatus"), s("Other")])
                ),
            ]
        )
    );
}

#[test]
fn bad_scalars_are_invalid_values() {
    let (_, v) = decode(&S3, "GET", "/bkt", "list-type=2&max-keys=ten", &[], b"");
    assert!(
        matches!(v, Err(WireError::InvalidValue { ref member, .. }) if member == "MaxKeys"),
        "{v:?}"
    );
    let (_, v) = decode(
        &S3,
        "GET",
        "/bkt/k",
        "",
        &[("If-Modified-Since", "someday")],
        b"",
    );
    assert!(matches!(v, Err(WireError::InvalidValue { .. })));
}

#[test]
fn delete_objects() {
    let body = br#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b&amp;c</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>"#;
    let (op, v) = decode(
        &S3,
        "POST",
        "/bkt",
        "delete",
        &[
            ("x-amz-checksum-crc32", "dseE2A=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
        ],
        body,
    );
    assert_eq!(op, "DeleteObjects");
    let oid = |k: &str, ver: Option<&str>| {
        let mut f = vec![("Key", s(k))];
        if let Some(ver) = ver {
            f.push(("VersionId", s(ver)));
        }
        build(&S3, "ObjectIdentifier", f)
    };
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "DeleteObjectsRequest",
            vec![
                ("Bucket", s("bkt")),
                (
                    "Delete",
                    build(
                        &S3,
                        "Delete",
                        vec![
                            (
                                "Objects",
                                Value::List(vec![oid("a", None), oid("b&c", Some("v1"))])
                            ),
                            ("Quiet", Value::Bool(true)),
                        ]
                    )
                ),
                ("ChecksumAlgorithm", s("CRC32")),
            ]
        )
    );
}

#[test]
fn malformed_xml_is_malformed() {
    for body in [
        &b"<Delete><Object><Key>a</Key></Delete>"[..],
        b"not xml",
        b"<Delete>&nope;</Delete>",
    ] {
        let (_, v) = decode(&S3, "POST", "/bkt", "delete", &[], body);
        assert!(matches!(v, Err(WireError::Malformed(_))), "{v:?}");
    }
    let deep = format!(
        "<Delete>{}{}</Delete>",
        "<Object>".repeat(5000),
        "</Object>".repeat(5000)
    );
    let (_, v) = decode(&S3, "POST", "/bkt", "delete", &[], deep.as_bytes());
    assert!(matches!(v, Err(WireError::Malformed(_))));
    // Unknown elements are ignored; the root name is not checked.
    let (_, v) = decode(
        &S3,
        "POST",
        "/bkt",
        "delete",
        &[],
        b"<Whatever><Junk><x/></Junk><Quiet>false</Quiet></Whatever>",
    );
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "DeleteObjectsRequest",
            vec![
                ("Bucket", s("bkt")),
                (
                    "Delete",
                    build(&S3, "Delete", vec![("Quiet", Value::Bool(false))])
                )
            ]
        )
    );
}

#[test]
fn get_object_range_and_conditionals() {
    let (op, v) = decode(
        &S3,
        "GET",
        "/bkt/k",
        "partNumber=2&response-content-type=text%2Fhtml",
        &[
            ("Range", "bytes=0-9"),
            ("x-amz-checksum-mode", "ENABLED"),
            ("If-Modified-Since", "Fri, 02 Jan 2026 03:04:05 GMT"),
        ],
        b"",
    );
    assert_eq!(op, "GetObject");
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "GetObjectRequest",
            vec![
                ("Bucket", s("bkt")),
                (
                    "IfModifiedSince",
                    Value::Timestamp(Timestamp::from_civil(2026, 1, 2, 3, 4, 5, 0))
                ),
                ("Key", s("k")),
                ("Range", s("bytes=0-9")),
                ("PartNumber", Value::Int(2)),
                ("ResponseContentType", s("text/html")),
            ]
        )
    );
}

#[test]
fn copy_upload_part_and_complete() {
    let (op, v) = decode(
        &S3,
        "PUT",
        "/bkt/k2",
        "",
        &[("x-amz-copy-source", "src/a%20b")],
        b"",
    );
    assert_eq!(op, "CopyObject");
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "CopyObjectRequest",
            vec![
                ("Bucket", s("bkt")),
                ("CopySource", s("src/a%20b")),
                ("Key", s("k2"))
            ]
        )
    );
    let (op, v) = decode(
        &S3,
        "PUT",
        "/bkt/k",
        "uploadId=u1&partNumber=1",
        &[],
        b"xxxxxxxxxx",
    );
    assert_eq!(op, "UploadPart");
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "UploadPartRequest",
            vec![
                ("Body", Value::Blob(Bytes::from_static(b"xxxxxxxxxx"))),
                ("Bucket", s("bkt")),
                ("Key", s("k")),
                ("PartNumber", Value::Int(1)),
                ("UploadId", s("u1")),
            ]
        )
    );
    let body = br#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"e1"</ETag><PartNumber>1</PartNumber></Part><Part><ETag>"e2"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"#;
    let (op, v) = decode(&S3, "POST", "/bkt/k", "uploadId=u1", &[], body);
    assert_eq!(op, "CompleteMultipartUpload");
    let part = |e: &str, n: i64| {
        build(
            &S3,
            "CompletedPart",
            vec![("ETag", s(e)), ("PartNumber", Value::Int(n))],
        )
    };
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "CompleteMultipartUploadRequest",
            vec![
                ("Bucket", s("bkt")),
                ("Key", s("k")),
                (
                    "MultipartUpload",
                    build(
                        &S3,
                        "CompletedMultipartUpload",
                        vec![(
                            "Parts",
                            Value::List(vec![part("\"e1\"", 1), part("\"e2\"", 2)])
                        )]
                    )
                ),
                ("UploadId", s("u1")),
            ]
        )
    );
}

#[test]
fn string_payload() {
    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;
    let (op, v) = decode(
        &S3,
        "PUT",
        "/bkt",
        "policy",
        &[("x-amz-confirm-remove-self-bucket-access", "false")],
        policy.as_bytes(),
    );
    assert_eq!(op, "PutBucketPolicy");
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "PutBucketPolicyRequest",
            vec![
                ("Bucket", s("bkt")),
                ("ConfirmRemoveSelfBucketAccess", Value::Bool(false)),
                ("Policy", s(policy)),
            ]
        )
    );
    let (_, v) = decode(&S3, "PUT", "/bkt", "policy", &[], b"\xff\xfe");
    assert!(matches!(v, Err(WireError::InvalidValue { .. })));
}

#[test]
fn operation_without_input_decodes_to_empty_struct() {
    let (op, v) = decode(&S3, "GET", "/", "", &[], b"");
    assert_eq!(op, "ListBuckets");
    assert_eq!(v.unwrap(), Value::Struct(vec![]));
}

#[test]
fn synthetic_body_members_query_maps_and_formats() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<EchoRequest xmlns="urn:echo">
  <TitleX>  spaced &lt;title&gt; </TitleX>
  <Count> 7 </Count>
  <When>2026-11-25T10:05:22.123Z</When>
  <WhenEpoch>1795601122.5</WhenEpoch>
  <Data>aGVsbG8=</Data>
  <Ratio>0.25</Ratio>
  <Flag>true</Flag>
  <Attrs><entry><key>k1</key><value>v1</value></entry><entry><key>k2</key><value/></entry></Attrs>
  <Flat><Name>a</Name><Val>1</Val></Flat>
  <Flat><Name>b</Name><Val>2</Val></Flat>
  <Items><member>x</member><member>y</member></Items>
  <Nested><Name>root</Name><Children><Child><Name>c1</Name><Children><Child><Name>g</Name></Child></Children></Child></Children></Nested>
  <Unknown>ignored</Unknown>
</EchoRequest>"#;
    let (op, v) = decode(
        &ECHO,
        "POST",
        "/echo/id%201",
        "known=k&tag=a&tag=b&extra=1&extra2=two+words&since=2026-01-02T03%3A04%3A05Z&X-Amz-Signature=abc&abcd%C3%A9=z",
        &[("x-list", "a, \"b,c\""), ("x-when", "Wed, 25 Nov 2026 10:05:22 GMT"), ("x-count", "5"), ("x-ratio", "1.5")],
        body,
    );
    assert_eq!(op, "Echo");
    let nested = |name: &str, children: Option<Vec<Value>>| {
        let mut f = vec![("Name", s(name))];
        if let Some(c) = children {
            f.push(("Children", Value::List(c)));
        }
        build(&ECHO, "Nested", f)
    };
    assert_eq!(
        v.unwrap(),
        build(
            &ECHO,
            "EchoRequest",
            vec![
                ("Id", s("id 1")),
                ("Known", s("k")),
                ("Tags", Value::List(vec![s("a"), s("b")])),
                (
                    "Rest",
                    Value::Map(vec![
                        ("extra".into(), s("1")),
                        ("extra2".into(), s("two words")),
                        ("abcdé".into(), s("z")),
                    ])
                ),
                (
                    "Since",
                    Value::Timestamp(Timestamp::from_civil(2026, 1, 2, 3, 4, 5, 0))
                ),
                ("Title", s("  spaced <title> ")),
                ("Count", Value::Int(7)),
                (
                    "When",
                    Value::Timestamp(Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 123))
                ),
                (
                    "WhenEpoch",
                    Value::Timestamp(Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 500))
                ),
                ("Data", Value::Blob(Bytes::from_static(b"hello"))),
                ("Ratio", Value::Float(0.25)),
                ("Flag", Value::Bool(true)),
                (
                    "Attrs",
                    Value::Map(vec![("k1".into(), s("v1")), ("k2".into(), s(""))])
                ),
                (
                    "Flat",
                    Value::Map(vec![
                        ("a".into(), Value::Int(1)),
                        ("b".into(), Value::Int(2))
                    ])
                ),
                ("Items", Value::List(vec![s("x"), s("y")])),
                (
                    "Nested",
                    nested(
                        "root",
                        Some(vec![nested("c1", Some(vec![nested("g", None)]))])
                    )
                ),
                ("HeaderList", Value::List(vec![s("a"), s("b,c")])),
                (
                    "HeaderWhen",
                    Value::Timestamp(Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 0))
                ),
                ("HeaderCount", Value::Int(5)),
                ("HeaderRatio", Value::Float(1.5)),
            ]
        )
    );
}

#[test]
fn xml_attributes_are_read() {
    // Grantee carries xsi:type as an attribute (S3 ACL documents).
    let body = br#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>abc</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList><Owner><ID>abc</ID></Owner></AccessControlPolicy>"#;
    let (op, v) = decode(&S3, "PUT", "/bkt/k", "acl", &[], body);
    assert_eq!(op, "PutObjectAcl");
    let grantee = build(
        &S3,
        "Grantee",
        vec![("ID", s("abc")), ("Type", s("CanonicalUser"))],
    );
    let grant = build(
        &S3,
        "Grant",
        vec![("Grantee", grantee), ("Permission", s("READ"))],
    );
    assert_eq!(
        v.unwrap(),
        build(
            &S3,
            "PutObjectAclRequest",
            vec![
                ("Bucket", s("bkt")),
                ("Key", s("k")),
                (
                    "AccessControlPolicy",
                    build(
                        &S3,
                        "AccessControlPolicy",
                        vec![
                            ("Grants", Value::List(vec![grant])),
                            ("Owner", build(&S3, "Owner", vec![("ID", s("abc"))])),
                        ]
                    )
                ),
            ]
        )
    );
}

/// Mutated copies of valid requests (bytes flipped, inserted, dropped) never panic: they
/// decode or fail with a WireError.
#[test]
fn mutated_inputs_never_panic() {
    let seeds: &[(&str, &str, &str, &[u8])] = &[
        ("POST", "/bkt", "delete", br#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key><VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>"#),
        ("PUT", "/bkt/k", "acl", br#"<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>abc</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"#),
        ("POST", "/echo/x", "tag=a", br#"<E><Count>1</Count><When>2026-11-25T10:05:22Z</When><WhenEpoch>1.5</WhenEpoch><Data>aGk=</Data><Attrs><entry><key>k</key><value>v</value></entry></Attrs><Flat><Name>a</Name><Val>1</Val></Flat><Nested><Children><Child><Name>n</Name></Child></Children></Nested></E>"#),
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"<>/&;=\"' \xffx0aZ:-.#!?[]";
    for (method, path, query, body) in seeds {
        let model = if path.starts_with("/echo") {
            &ECHO
        } else {
            &S3
        };
        for _ in 0..3000 {
            let mut b = body.to_vec();
            for _ in 0..(next() % 4 + 1) {
                let pos = (next() as usize) % (b.len() + 1);
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if pos < b.len() => b[pos] = c,
                    1 => b.insert(pos, c),
                    _ if pos < b.len() => {
                        b.remove(pos);
                    }
                    _ => {}
                }
            }
            let h = headers(&[("x-when", "Wed, 25 Nov 2026 10:05:22 GMT")]);
            let r = resolve_with_headers(model, method, path, query, &h, None).unwrap();
            let req = HttpRequest {
                method,
                path,
                query,
                headers: &h,
                body: &b,
            };
            let _ = decode_input(model, r.op, &req, &r);
        }
    }
}
