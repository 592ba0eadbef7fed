//! Responses and errors. Every XML body here was also fed to botocore 1.43.11's
//! `RestXMLParser` (run with `NIMBUS_RESTXML_DUMP=dir` and the command in `src/encode.rs`)
//! and parsed to the expected dicts.

use crate::dump;
use crate::model::{build, ECHO, S3};
use bytes::Bytes;
use nimbus_core::{AwsError, Timestamp};
use nimbus_proto_restxml::{encode_error, encode_output};
use nimbus_wire::{HttpResponse, Value};

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const NS: &str = "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}
fn ts() -> Value {
    Value::Timestamp(Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 0))
}
fn header<'a>(r: &'a HttpResponse, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
fn count(r: &HttpResponse, name: &str) -> usize {
    r.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .count()
}
fn body(r: &HttpResponse) -> &str {
    std::str::from_utf8(&r.body).unwrap()
}
fn encode(op: &str, out: Option<Value>, head: bool) -> HttpResponse {
    let model = if op == "Echo" { &ECHO } else { &S3 };
    let o = model.operation(op).unwrap();
    let r = encode_output(model, o, out, "4442587FB7D0A2F9", head);
    assert_eq!(header(&r, "x-amz-request-id"), Some("4442587FB7D0A2F9"));
    assert!(header(&r, "x-amz-id-2").is_some_and(|v| v.len() > 40));
    dump(op, &r);
    r
}

#[test]
fn list_objects_v2() {
    let object = |key: &str, size: i64, extra: bool| {
        let mut f = vec![
            ("Key", s(key)),
            ("LastModified", ts()),
            ("ETag", s("\"5d41402abc4b2a76b9719d911017c592\"")),
            ("Size", Value::Int(size)),
            ("StorageClass", s("STANDARD")),
        ];
        if extra {
            f.push(("ChecksumAlgorithm", Value::List(vec![s("CRC32")])));
            f.push((
                "Owner",
                build(
                    &S3,
                    "Owner",
                    vec![("DisplayName", s("me")), ("ID", s("abc"))],
                ),
            ));
        }
        build(&S3, "Object", f)
    };
    let out = build(
        &S3,
        "ListObjectsV2Output",
        vec![
            ("IsTruncated", Value::Bool(true)),
            (
                "Contents",
                Value::List(vec![
                    object("a/1.txt", 5, true),
                    object("a/2 & 3.txt", 0, false),
                ]),
            ),
            ("Name", s("bkt")),
            ("Prefix", s("a/")),
            ("Delimiter", s("/")),
            ("MaxKeys", Value::Int(2)),
            (
                "CommonPrefixes",
                Value::List(vec![build(
                    &S3,
                    "CommonPrefix",
                    vec![("Prefix", s("a/sub/"))],
                )]),
            ),
            ("KeyCount", Value::Int(3)),
            ("NextContinuationToken", s("tok")),
            ("RequestCharged", s("requester")),
        ],
    );
    let r = encode("ListObjectsV2", Some(out), false);
    assert_eq!(r.status, 200);
    assert_eq!(header(&r, "content-type"), Some("application/xml"));
    assert_eq!(header(&r, "x-amz-request-charged"), Some("requester"));
    let want = format!(
        "{DECL}<ListBucketResult {NS}><IsTruncated>true</IsTruncated>\
<Contents><Key>a/1.txt</Key><LastModified>2026-11-25T10:05:22.000Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><Size>5</Size><StorageClass>STANDARD</StorageClass><Owner><DisplayName>me</DisplayName><ID>abc</ID></Owner></Contents>\
<Contents><Key>a/2 &amp; 3.txt</Key><LastModified>2026-11-25T10:05:22.000Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>\
<Name>bkt</Name><Prefix>a/</Prefix><Delimiter>/</Delimiter><MaxKeys>2</MaxKeys>\
<CommonPrefixes><Prefix>a/sub/</Prefix></CommonPrefixes>\
<KeyCount>3</KeyCount><NextContinuationToken>tok</NextContinuationToken></ListBucketResult>"
    );
    assert_eq!(body(&r), want);
}

#[test]
fn list_objects_uses_list_bucket_result_too() {
    let out = build(
        &S3,
        "ListObjectsOutput",
        vec![("IsTruncated", Value::Bool(false)), ("Name", s("b"))],
    );
    let r = encode("ListObjects", Some(out), false);
    assert_eq!(
        body(&r),
        format!("{DECL}<ListBucketResult {NS}><IsTruncated>false</IsTruncated><Name>b</Name></ListBucketResult>")
    );
}

#[test]
fn list_buckets() {
    let bucket = |n: &str| {
        build(
            &S3,
            "Bucket",
            vec![
                ("Name", s(n)),
                ("CreationDate", ts()),
                ("BucketRegion", s("us-east-1")),
            ],
        )
    };
    let out = build(
        &S3,
        "ListBucketsOutput",
        vec![
            ("Buckets", Value::List(vec![bucket("a"), bucket("b")])),
            (
                "Owner",
                build(
                    &S3,
                    "Owner",
                    vec![("DisplayName", s("me")), ("ID", s("abc"))],
                ),
            ),
        ],
    );
    let r = encode("ListBuckets", Some(out), false);
    let b = |n: &str| {
        format!("<Bucket><Name>{n}</Name><CreationDate>2026-11-25T10:05:22.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket>")
    };
    assert_eq!(
        body(&r),
        format!(
            "{DECL}<ListAllMyBucketsResult {NS}><Buckets>{}{}</Buckets><Owner><DisplayName>me</DisplayName><ID>abc</ID></Owner></ListAllMyBucketsResult>",
            b("a"),
            b("b")
        )
    );
    // An empty list is still an (empty) wrapper element.
    let r = encode(
        "ListBuckets",
        Some(build(
            &S3,
            "ListBucketsOutput",
            vec![("Buckets", Value::List(vec![]))],
        )),
        false,
    );
    assert_eq!(
        body(&r),
        format!("{DECL}<ListAllMyBucketsResult {NS}><Buckets></Buckets></ListAllMyBucketsResult>")
    );
}

#[test]
fn get_object_blob_payload_and_headers() {
    let data = Bytes::from_static(b"hello world");
    let out = build(
        &S3,
        "GetObjectOutput",
        vec![
            ("Body", Value::Blob(data.clone())),
            ("AcceptRanges", s("bytes")),
            ("LastModified", ts()),
            ("ContentLength", Value::Int(11)),
            ("ETag", s("\"e\"")),
            ("ContentType", s("text/plain")),
            (
                "Metadata",
                Value::Map(vec![
                    ("color".into(), s("Blue")),
                    ("Weird".into(), s("a\r\nb")),
                ]),
            ),
            ("TagCount", Value::Int(2)),
            ("DeleteMarker", Value::Bool(false)),
        ],
    );
    let r = encode("GetObject", Some(out), false);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, data);
    // The body moved, not copied.
    assert_eq!(r.body.as_ptr(), data.as_ptr());
    assert_eq!(
        header(&r, "Last-Modified"),
        Some("Wed, 25 Nov 2026 10:05:22 GMT")
    );
    assert_eq!(header(&r, "ETag"), Some("\"e\""));
    assert_eq!(header(&r, "Content-Type"), Some("text/plain"));
    assert_eq!(count(&r, "content-type"), 1);
    assert_eq!(header(&r, "accept-ranges"), Some("bytes"));
    assert_eq!(header(&r, "x-amz-meta-color"), Some("Blue"));
    assert_eq!(header(&r, "x-amz-meta-weird"), Some("a  b"));
    assert_eq!(header(&r, "x-amz-tagging-count"), Some("2"));
    assert_eq!(header(&r, "x-amz-delete-marker"), Some("false"));
    // With a body, its own length is what goes on the wire.
    assert_eq!(header(&r, "Content-Length"), None);
}

#[test]
fn get_object_range_is_206() {
    let out = build(
        &S3,
        "GetObjectOutput",
        vec![
            ("Body", Value::Blob(Bytes::from_static(b"hello"))),
            ("ContentRange", s("bytes 0-4/11")),
            ("ContentLength", Value::Int(5)),
        ],
    );
    let r = encode("GetObject", Some(out), false);
    assert_eq!(r.status, 206);
    assert_eq!(header(&r, "Content-Range"), Some("bytes 0-4/11"));
}

#[test]
fn head_keeps_headers_and_drops_body() {
    let out = build(
        &S3,
        "GetObjectOutput",
        vec![
            ("Body", Value::Blob(Bytes::from_static(b"hello"))),
            ("ContentLength", Value::Int(5)),
        ],
    );
    let r = encode("GetObject", Some(out), true);
    assert!(r.body.is_empty());
    assert_eq!(header(&r, "Content-Length"), Some("5"));
    let out = build(
        &S3,
        "HeadObjectOutput",
        vec![
            ("ContentLength", Value::Int(1234)),
            ("LastModified", ts()),
            ("ContentType", s("image/png")),
            ("Metadata", Value::Map(vec![("k".into(), s("v"))])),
        ],
    );
    let r = encode("HeadObject", Some(out), true);
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(header(&r, "Content-Length"), Some("1234"));
    assert_eq!(header(&r, "Content-Type"), Some("image/png"));
    assert_eq!(header(&r, "x-amz-meta-k"), Some("v"));
}

#[test]
fn no_body_no_content_type() {
    let r = encode(
        "PutObject",
        Some(build(&S3, "PutObjectOutput", vec![("ETag", s("\"e\""))])),
        false,
    );
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(header(&r, "content-type"), None);
    assert_eq!(header(&r, "ETag"), Some("\"e\""));
    let r = encode(
        "DeleteObject",
        Some(build(&S3, "DeleteObjectOutput", vec![])),
        false,
    );
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    let r = encode("DeleteBucket", None, false);
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert_eq!(header(&r, "content-type"), None);
    let r = encode(
        "CreateBucket",
        Some(build(
            &S3,
            "CreateBucketOutput",
            vec![("Location", s("/bkt"))],
        )),
        false,
    );
    assert_eq!(header(&r, "Location"), Some("/bkt"));
    assert!(r.body.is_empty());
}

#[test]
fn get_bucket_location_is_a_bare_root() {
    let out = build(
        &S3,
        "GetBucketLocationOutput",
        vec![("LocationConstraint", s("us-west-2"))],
    );
    let r = encode("GetBucketLocation", Some(out), false);
    assert_eq!(
        body(&r),
        format!("{DECL}<LocationConstraint {NS}>us-west-2</LocationConstraint>")
    );
    let r = encode(
        "GetBucketLocation",
        Some(build(&S3, "GetBucketLocationOutput", vec![])),
        false,
    );
    assert_eq!(
        body(&r),
        format!("{DECL}<LocationConstraint {NS}></LocationConstraint>")
    );
}

#[test]
fn delete_objects_result() {
    let out = build(
        &S3,
        "DeleteObjectsOutput",
        vec![
            (
                "Deleted",
                Value::List(vec![
                    build(&S3, "DeletedObject", vec![("Key", s("a"))]),
                    build(
                        &S3,
                        "DeletedObject",
                        vec![
                            ("Key", s("b")),
                            ("VersionId", s("v1")),
                            ("DeleteMarker", Value::Bool(true)),
                        ],
                    ),
                ]),
            ),
            (
                "Errors",
                Value::List(vec![build(
                    &S3,
                    "Error",
                    vec![
                        ("Key", s("c")),
                        ("Code", s("AccessDenied")),
                        ("Message", s("Access Denied")),
                    ],
                )]),
            ),
        ],
    );
    let r = encode("DeleteObjects", Some(out), false);
    assert_eq!(
        body(&r),
        format!(
            "{DECL}<DeleteResult {NS}><Deleted><Key>a</Key></Deleted><Deleted><Key>b</Key><VersionId>v1</VersionId><DeleteMarker>true</DeleteMarker></Deleted>\
<Error><Key>c</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>"
        )
    );
}

#[test]
fn structure_payload_roots() {
    let out = build(
        &S3,
        "CopyObjectOutput",
        vec![
            (
                "CopyObjectResult",
                build(
                    &S3,
                    "CopyObjectResult",
                    vec![("ETag", s("\"e\"")), ("LastModified", ts())],
                ),
            ),
            ("VersionId", s("v9")),
        ],
    );
    let r = encode("CopyObject", Some(out), false);
    assert_eq!(header(&r, "x-amz-version-id"), Some("v9"));
    assert_eq!(header(&r, "content-type"), Some("application/xml"));
    assert_eq!(
        body(&r),
        format!("{DECL}<CopyObjectResult {NS}><ETag>&quot;e&quot;</ETag><LastModified>2026-11-25T10:05:22.000Z</LastModified></CopyObjectResult>")
    );
    let out = build(
        &S3,
        "GetObjectLegalHoldOutput",
        vec![(
            "LegalHold",
            build(&S3, "ObjectLockLegalHold", vec![("Status", s("ON"))]),
        )],
    );
    let r = encode("GetObjectLegalHold", Some(out), false);
    assert_eq!(
        body(&r),
        format!("{DECL}<LegalHold {NS}><Status>ON</Status></LegalHold>")
    );
    // Absent structure payload: no body.
    let r = encode(
        "GetObjectLegalHold",
        Some(build(&S3, "GetObjectLegalHoldOutput", vec![])),
        false,
    );
    assert!(r.body.is_empty());
    assert_eq!(header(&r, "content-type"), None);
}

#[test]
fn multipart_roots() {
    let out = build(
        &S3,
        "CreateMultipartUploadOutput",
        vec![("Bucket", s("b")), ("Key", s("k")), ("UploadId", s("u1"))],
    );
    let r = encode("CreateMultipartUpload", Some(out), false);
    assert_eq!(
        body(&r),
        format!("{DECL}<InitiateMultipartUploadResult {NS}><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>")
    );
    let out = build(
        &S3,
        "CompleteMultipartUploadOutput",
        vec![
            ("Location", s("http://x/b/k")),
            ("Bucket", s("b")),
            ("Key", s("k")),
            ("ETag", s("\"e-2\"")),
            ("VersionId", s("v")),
        ],
    );
    let r = encode("CompleteMultipartUpload", Some(out), false);
    assert_eq!(header(&r, "x-amz-version-id"), Some("v"));
    assert_eq!(
        body(&r),
        format!("{DECL}<CompleteMultipartUploadResult {NS}><Location>http://x/b/k</Location><Bucket>b</Bucket><Key>k</Key><ETag>&quot;e-2&quot;</ETag></CompleteMultipartUploadResult>")
    );
}

#[test]
fn acl_document_with_xsi_type() {
    let grant = |id: &str, perm: &str| {
        build(
            &S3,
            "Grant",
            vec![
                (
                    "Grantee",
                    build(
                        &S3,
                        "Grantee",
                        vec![("ID", s(id)), ("Type", s("CanonicalUser"))],
                    ),
                ),
                ("Permission", s(perm)),
            ],
        )
    };
    let out = build(
        &S3,
        "GetObjectAclOutput",
        vec![
            ("Owner", build(&S3, "Owner", vec![("ID", s("abc"))])),
            ("Grants", Value::List(vec![grant("abc", "FULL_CONTROL")])),
        ],
    );
    let r = encode("GetObjectAcl", Some(out), false);
    assert_eq!(
        body(&r),
        format!(
            "{DECL}<AccessControlPolicy {NS}><Owner><ID>abc</ID></Owner><AccessControlList><Grant>\
<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>abc</ID></Grantee>\
<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>"
        )
    );
}

#[test]
fn string_payload_is_raw() {
    let policy = r#"{"Version":"2012-10-17"}"#;
    let r = encode(
        "GetBucketPolicy",
        Some(build(
            &S3,
            "GetBucketPolicyOutput",
            vec![("Policy", s(policy))],
        )),
        false,
    );
    assert_eq!(body(&r), policy);
    assert_eq!(header(&r, "content-type"), None);
}

#[test]
fn synthetic_output() {
    let nested = build(
        &ECHO,
        "Nested",
        vec![
            ("Name", s("root")),
            (
                "Children",
                Value::List(vec![build(&ECHO, "Nested", vec![("Name", s("c"))])]),
            ),
        ],
    );
    let out = build(
        &ECHO,
        "EchoOutput",
        vec![
            ("Status", Value::Int(202)),
            ("Title", s("t")),
            ("Items", Value::List(vec![s("x"), s("y")])),
            ("Attrs", Value::Map(vec![("k".into(), s("v"))])),
            (
                "Flat",
                Value::Map(vec![
                    ("a".into(), Value::Int(1)),
                    ("b".into(), Value::Int(2)),
                ]),
            ),
            (
                "When",
                Value::Timestamp(Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 123)),
            ),
            (
                "WhenEpoch",
                Value::Timestamp(Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 500)),
            ),
            ("Data", Value::Blob(Bytes::from_static(b"hello"))),
            ("Ratio", Value::Float(0.5)),
            ("Flag", Value::Bool(false)),
            ("Nested", nested),
            (
                "Meta",
                Value::Map(vec![
                    ("One".into(), s("1")),
                    ("bad key".into(), s("dropped")),
                ]),
            ),
            ("HeaderList", Value::List(vec![s("a"), s("b,c"), s("d\"e")])),
            ("FlatItems", Value::List(vec![s("i1"), s("i2")])),
        ],
    );
    let r = encode("Echo", Some(out), false);
    assert_eq!(r.status, 202);
    assert_eq!(header(&r, "x-meta-one"), Some("1"));
    assert_eq!(count(&r, "x-meta-bad key"), 0);
    assert_eq!(header(&r, "x-list"), Some(r#"a,"b,c","d\"e""#));
    assert_eq!(
        body(&r),
        format!(
            "{DECL}<EchoResult xmlns=\"urn:echo\"><TitleX>t</TitleX><Items><member>x</member><member>y</member></Items>\
<Attrs><entry><key>k</key><value>v</value></entry></Attrs>\
<Flat><Name>a</Name><Val>1</Val></Flat><Flat><Name>b</Name><Val>2</Val></Flat>\
<When>2026-11-25T10:05:22.123Z</When><WhenEpoch>1795601122.5</WhenEpoch><Data>aGVsbG8=</Data><Ratio>0.5</Ratio><Flag>false</Flag>\
<Nested><Name>root</Name><Children><Child><Name>c</Name></Child></Children></Nested>\
<Item>i1</Item><Item>i2</Item></EchoResult>"
        )
    );
}

#[test]
fn mismatched_values_never_panic() {
    // Handler bugs: wrong value kinds, short structs, a non-struct output.
    let r = encode("ListObjectsV2", Some(Value::Int(3)), false);
    assert_eq!(
        body(&r),
        format!("{DECL}<ListBucketResult {NS}></ListBucketResult>")
    );
    let r = encode(
        "ListObjectsV2",
        Some(Value::Struct(vec![
            Some(s("yes")),
            Some(s("not a list")),
            Some(Value::List(vec![])),
        ])),
        false,
    );
    assert_eq!(body(&r), format!("{DECL}<ListBucketResult {NS}><IsTruncated>yes</IsTruncated><Contents>not a list</Contents></ListBucketResult>"));
    let r = encode(
        "GetObject",
        Some(Value::Struct(vec![
            Some(Value::Int(5)),
            Some(Value::List(vec![])),
        ])),
        false,
    );
    assert_eq!(r.status, 200);
    let r = encode(
        "Echo",
        Some(build(
            &ECHO,
            "EchoOutput",
            vec![("Status", Value::Int(9999))],
        )),
        false,
    );
    assert_eq!(r.status, 200);
}

#[test]
fn errors() {
    let err = AwsError::new("NoSuchKey", 404, "The specified key does not exist.")
        .with_extra("Key", "a<b");
    let r = encode_error(&err, "REQ1", false);
    assert_eq!(r.status, 404);
    assert_eq!(header(&r, "content-type"), Some("application/xml"));
    assert_eq!(header(&r, "x-amz-request-id"), Some("REQ1"));
    let id2 = header(&r, "x-amz-id-2").unwrap().to_string();
    assert_eq!(
        body(&r),
        format!(
            "{DECL}<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&lt;b</Key><RequestId>REQ1</RequestId><HostId>{id2}</HostId></Error>"
        )
    );
    dump("Error", &r);
    let r = encode_error(&err, "REQ1", true);
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    assert_eq!(header(&r, "content-type"), None);
    assert_eq!(header(&r, "x-amz-request-id"), Some("REQ1"));
    let r = encode_error(&AwsError::new("Weird", 42, "m"), "R", false);
    assert_eq!(r.status, 500);
}
