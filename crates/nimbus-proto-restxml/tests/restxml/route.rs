use crate::headers;
use crate::model::S3;
use nimbus_proto_restxml::{resolve, resolve_with_headers};

fn op(method: &str, path: &str, query: &str) -> Option<&'static str> {
    resolve(&S3, method, path, query, None).map(|r| r.op.name)
}

#[test]
fn picks_the_most_specific_template() {
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        ("GET", "/", "", Some("ListBuckets")),
        ("GET", "/bkt", "", Some("ListObjects")),
        ("GET", "/bkt/", "", Some("ListObjects")),
        (
            "GET",
            "/bkt",
            "list-type=2&prefix=a%2F&delimiter=%2F&encoding-type=url",
            Some("ListObjectsV2"),
        ),
        ("GET", "/bkt", "list-type=1", Some("ListObjects")),
        ("GET", "/bkt", "location", Some("GetBucketLocation")),
        ("GET", "/bkt", "policy", Some("GetBucketPolicy")),
        ("PUT", "/bkt", "policy", Some("PutBucketPolicy")),
        ("GET", "/bkt", "uploads", Some("ListMultipartUploads")),
        ("PUT", "/bkt", "", Some("CreateBucket")),
        ("DELETE", "/bkt", "", Some("DeleteBucket")),
        ("HEAD", "/bkt", "", Some("HeadBucket")),
        ("POST", "/bkt", "delete", Some("DeleteObjects")),
        ("POST", "/bkt", "delete=", Some("DeleteObjects")),
        ("GET", "/bkt/k", "", Some("GetObject")),
        ("GET", "/bkt/k", "versionId=3", Some("GetObject")),
        ("GET", "/bkt/k", "acl", Some("GetObjectAcl")),
        ("GET", "/bkt/k", "uploadId=u1", Some("ListParts")),
        ("HEAD", "/bkt/a/b/c", "", Some("HeadObject")),
        ("PUT", "/bkt/k", "", Some("PutObject")),
        (
            "PUT",
            "/bkt/k",
            "partNumber=1&uploadId=u1",
            Some("UploadPart"),
        ),
        ("PUT", "/bkt/k", "uploadId=u1", Some("PutObject")),
        ("POST", "/bkt/k", "uploads", Some("CreateMultipartUpload")),
        (
            "POST",
            "/bkt/k",
            "uploadId=u1",
            Some("CompleteMultipartUpload"),
        ),
        (
            "POST",
            "/bkt/k",
            "select&select-type=2",
            Some("SelectObjectContent"),
        ),
        ("POST", "/bkt/k", "select", Some("CompleteMultipartUpload")),
        ("DELETE", "/bkt/k", "", Some("DeleteObject")),
        (
            "POST",
            "/WriteGetObjectResponse",
            "",
            Some("WriteGetObjectResponse"),
        ),
        // Deprecated twin loses the tie.
        (
            "GET",
            "/bkt",
            "lifecycle",
            Some("GetBucketLifecycleConfiguration"),
        ),
        // Method is case-insensitive; nothing answers PATCH.
        ("get", "/bkt", "", Some("ListObjects")),
        ("PATCH", "/bkt", "", None),
        ("DELETE", "/", "", None),
        ("PUT", "/", "", None),
    ];
    for (method, path, query, want) in cases {
        assert_eq!(op(method, path, query), *want, "{method} {path}?{query}");
    }
}

#[test]
fn labels_are_decoded_and_greedy_keeps_slashes() {
    let r = resolve(&S3, "PUT", "/bkt/dir/a%20b%2Bc~%25.txt", "", None).unwrap();
    assert_eq!(r.op.name, "PutObject");
    assert_eq!(
        r.labels,
        vec![
            ("Bucket", "bkt".to_string()),
            ("Key", "dir/a b+c~%.txt".to_string())
        ]
    );
    let r = resolve(&S3, "GET", "/bkt/%E2%82%AC/x%2Fy/", "", None).unwrap();
    assert_eq!(r.labels[1].1, "€/x/y/");
}

#[test]
fn virtual_hosted_style() {
    let r = resolve(&S3, "GET", "/", "list-type=2", Some("vb")).unwrap();
    assert_eq!(r.op.name, "ListObjectsV2");
    assert_eq!(r.labels, vec![("Bucket", "vb".to_string())]);
    let r = resolve(&S3, "GET", "/", "", Some("vb")).unwrap();
    assert_eq!(r.op.name, "ListObjects");
    let r = resolve(&S3, "PUT", "/a/b.txt", "", Some("vb")).unwrap();
    assert_eq!(r.op.name, "PutObject");
    assert_eq!(
        r.labels,
        vec![("Bucket", "vb".to_string()), ("Key", "a/b.txt".to_string())]
    );
    // A bucket-less template cannot take a virtual-hosted bucket: this is an object key.
    let r = resolve(&S3, "POST", "/WriteGetObjectResponse", "", Some("vb")).unwrap();
    assert_eq!(r.op.name, "CompleteMultipartUpload");
    assert_eq!(r.labels[1], ("Key", "WriteGetObjectResponse".to_string()));
    assert!(resolve(&S3, "GET", "/", "", Some("vb")).is_some_and(|r| r.op.name != "ListBuckets"));
}

#[test]
fn headers_separate_copy_from_put() {
    let h = headers(&[("x-amz-copy-source", "src/a%20b")]);
    let r = resolve_with_headers(&S3, "PUT", "/bkt/k2", "", &h, None).unwrap();
    assert_eq!(r.op.name, "CopyObject");
    let none = headers(&[]);
    let r = resolve_with_headers(&S3, "PUT", "/bkt/k2", "", &none, None).unwrap();
    assert_eq!(r.op.name, "PutObject");
    // Without headers, the header requirement counts as unmet.
    assert_eq!(op("PUT", "/bkt/k2", ""), Some("PutObject"));
}

#[test]
fn x_id_names_the_operation_among_candidates() {
    // Smithy SDKs append ?x-id=...; it decides among templates that match anyway.
    assert_eq!(op("PUT", "/bkt/k", "x-id=PutObject"), Some("PutObject"));
    assert_eq!(op("GET", "/bkt/k", "x-id=GetObject"), Some("GetObject"));
    assert_eq!(
        op("PUT", "/bkt/k", "x-id=UploadPart&partNumber=1&uploadId=u"),
        Some("UploadPart")
    );
    // It cannot conjure a template that does not match.
    assert_eq!(op("GET", "/bkt/k", "x-id=ListBuckets"), Some("GetObject"));
}

#[test]
fn unimplemented_twins_use_the_requirement_table() {
    // AbortMultipartUpload and UploadPartCopy have no input shape in the model (not
    // implemented); their required members come from S3_REQUIREMENTS, so they are not
    // mistaken for DeleteObject / PutObject (which would destroy data).
    assert_eq!(
        op("DELETE", "/bkt/k", "uploadId=u1"),
        Some("AbortMultipartUpload")
    );
    assert_eq!(op("DELETE", "/bkt/k", ""), Some("DeleteObject"));
    let h = headers(&[("x-amz-copy-source", "/src/k")]);
    let r =
        resolve_with_headers(&S3, "PUT", "/bkt/k", "partNumber=1&uploadId=u1", &h, None).unwrap();
    assert_eq!(r.op.name, "UploadPartCopy");
}

#[test]
fn decoding_refuses_a_request_routed_without_its_headers() {
    use nimbus_proto_restxml::decode_input;
    use nimbus_wire::{HttpRequest, WireError};
    let h = headers(&[("x-amz-copy-source", "/src/k")]);
    let r = resolve(&S3, "PUT", "/bkt/k", "", None).unwrap();
    assert_eq!(r.op.name, "PutObject");
    let req = HttpRequest {
        method: "PUT",
        path: "/bkt/k",
        query: "",
        headers: &h,
        body: b"",
    };
    match decode_input(&S3, r.op, &req, &r) {
        Err(WireError::UnknownOperation(msg)) => assert!(msg.contains("CopyObject"), "{msg}"),
        other => panic!("{other:?}"),
    }
}
