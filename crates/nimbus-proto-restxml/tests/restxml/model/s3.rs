//! A slice of botocore's S3 model (2006-03-01), member for member.

use super::*;

pub const S3NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

// ---- S3 slice ----
pub const STR: u16 = 0;
pub const INT: u16 = 1;
pub const LONG: u16 = 2;
pub const BOOL: u16 = 3;
pub const TS: u16 = 4;

pub static S3_SHAPES: &[Shape] = &[
    /* 0 */ string("String"),
    /* 1 */ Shape {
        name: "Integer",
        kind: ShapeKind::Integer,
    },
    /* 2 */ Shape {
        name: "Long",
        kind: ShapeKind::Long,
    },
    /* 3 */ Shape {
        name: "Boolean",
        kind: ShapeKind::Boolean,
    },
    /* 4 */
    Shape {
        name: "Timestamp",
        kind: ShapeKind::Timestamp { format: None },
    },
    /* 5 */
    Shape {
        name: "StreamingBlob",
        kind: ShapeKind::Blob { streaming: true },
    },
    /* 6 */
    Shape {
        name: "Metadata",
        kind: ShapeKind::Map(MapShape {
            key: ShapeId(0),
            value: ShapeId(0),
            key_location_name: None,
            value_location_name: None,
            flattened: false,
        }),
    },
    /* 7 */
    st(
        "PutObjectRequest",
        &[
            hdr("ACL", "x-amz-acl", STR),
            m("Body", 5),
            uri("Bucket", STR),
            hdr("ContentLength", "Content-Length", LONG),
            hdr("ContentType", "Content-Type", STR),
            hdr("Expires", "Expires", TS),
            uri("Key", STR),
            hdrs("Metadata", "x-amz-meta-", 6),
            hdr(
                "BucketKeyEnabled",
                "x-amz-server-side-encryption-bucket-key-enabled",
                BOOL,
            ),
        ],
        Some(1),
    ),
    /* 8 */
    st(
        "PutObjectOutput",
        &[
            hdr("ETag", "ETag", STR),
            hdr("VersionId", "x-amz-version-id", STR),
        ],
        None,
    ),
    /* 9 */
    st(
        "GetObjectRequest",
        &[
            uri("Bucket", STR),
            hdr("IfModifiedSince", "If-Modified-Since", TS),
            uri("Key", STR),
            hdr("Range", "Range", STR),
            qs("VersionId", "versionId", STR),
            qs("PartNumber", "partNumber", INT),
            qs("ResponseContentType", "response-content-type", STR),
        ],
        None,
    ),
    /* 10 */
    st(
        "GetObjectOutput",
        &[
            m("Body", 5),
            hdr("DeleteMarker", "x-amz-delete-marker", BOOL),
            hdr("AcceptRanges", "accept-ranges", STR),
            hdr("LastModified", "Last-Modified", TS),
            hdr("ContentLength", "Content-Length", LONG),
            hdr("ETag", "ETag", STR),
            hdr("ContentRange", "Content-Range", STR),
            hdr("ContentType", "Content-Type", STR),
            hdrs("Metadata", "x-amz-meta-", 6),
            hdr("TagCount", "x-amz-tagging-count", INT),
        ],
        Some(0),
    ),
    /* 11 */
    st(
        "ListObjectsV2Request",
        &[
            uri("Bucket", STR),
            qs("Delimiter", "delimiter", STR),
            qs("EncodingType", "encoding-type", STR),
            qs("MaxKeys", "max-keys", INT),
            qs("Prefix", "prefix", STR),
            qs("ContinuationToken", "continuation-token", STR),
            qs("FetchOwner", "fetch-owner", BOOL),
            hdr(
                "OptionalObjectAttributes",
                "x-amz-optional-object-attributes",
                59,
            ),
        ],
        None,
    ),
    /* 12 */
    st(
        "ListObjectsV2Output",
        &[
            m("IsTruncated", BOOL),
            m("Contents", 13),
            m("Name", STR),
            m("Prefix", STR),
            m("Delimiter", STR),
            m("MaxKeys", INT),
            m("CommonPrefixes", 16),
            m("EncodingType", STR),
            m("KeyCount", INT),
            m("ContinuationToken", STR),
            m("NextContinuationToken", STR),
            m("StartAfter", STR),
            hdr("RequestCharged", "x-amz-request-charged", STR),
        ],
        None,
    ),
    /* 13 */ list("ObjectList", 14, None, true),
    /* 14 */
    st(
        "Object",
        &[
            m("Key", STR),
            m("LastModified", TS),
            m("ETag", STR),
            m("ChecksumAlgorithm", 57),
            m("Size", LONG),
            m("StorageClass", STR),
            m("Owner", 15),
        ],
        None,
    ),
    /* 15 */ st("Owner", &[m("DisplayName", STR), m("ID", STR)], None),
    /* 16 */ list("CommonPrefixList", 17, None, true),
    /* 17 */ st("CommonPrefix", &[m("Prefix", STR)], None),
    /* 18 */
    st(
        "CreateBucketRequest",
        &[
            hdr("ACL", "x-amz-acl", STR),
            uri("Bucket", STR),
            ns(
                named("CreateBucketConfiguration", "CreateBucketConfiguration", 19),
                S3NS,
            ),
            hdr(
                "ObjectLockEnabledForBucket",
                "x-amz-bucket-object-lock-enabled",
                BOOL,
            ),
        ],
        Some(2),
    ),
    /* 19 */
    st(
        "CreateBucketConfiguration",
        &[m("LocationConstraint", STR), m("Tags", 35)],
        None,
    ),
    /* 20 */
    st(
        "CreateBucketOutput",
        &[hdr("Location", "Location", STR)],
        None,
    ),
    /* 21 */
    st(
        "DeleteObjectsRequest",
        &[
            uri("Bucket", STR),
            req(ns(named("Delete", "Delete", 22), S3NS)),
            hdr("MFA", "x-amz-mfa", STR),
            hdr("ChecksumAlgorithm", "x-amz-sdk-checksum-algorithm", STR),
        ],
        Some(1),
    ),
    /* 22 */
    st(
        "Delete",
        &[req(named("Objects", "Object", 23)), m("Quiet", BOOL)],
        None,
    ),
    /* 23 */ list("ObjectIdentifierList", 24, None, true),
    /* 24 */
    st(
        "ObjectIdentifier",
        &[
            req(m("Key", STR)),
            m("VersionId", STR),
            m("ETag", STR),
            m("Size", LONG),
        ],
        None,
    ),
    /* 25 */
    st(
        "DeleteObjectsOutput",
        &[
            m("Deleted", 26),
            hdr("RequestCharged", "x-amz-request-charged", STR),
            named("Errors", "Error", 28),
        ],
        None,
    ),
    /* 26 */ list("DeletedObjects", 27, None, true),
    /* 27 */
    st(
        "DeletedObject",
        &[
            m("Key", STR),
            m("VersionId", STR),
            m("DeleteMarker", BOOL),
            m("DeleteMarkerVersionId", STR),
        ],
        None,
    ),
    /* 28 */ list("Errors", 29, None, true),
    /* 29 */
    st(
        "Error",
        &[
            m("Key", STR),
            m("VersionId", STR),
            m("Code", STR),
            m("Message", STR),
        ],
        None,
    ),
    /* 30 */
    st(
        "ListBucketsOutput",
        &[
            m("Buckets", 31),
            m("Owner", 15),
            m("ContinuationToken", STR),
            m("Prefix", STR),
        ],
        None,
    ),
    /* 31 */ list("Buckets", 32, Some("Bucket"), false),
    /* 32 */
    st(
        "Bucket",
        &[
            m("Name", STR),
            m("CreationDate", TS),
            m("BucketRegion", STR),
        ],
        None,
    ),
    /* 33 */ st("BucketRequest", &[uri("Bucket", STR)], None),
    /* 34 */
    st(
        "GetBucketLocationOutput",
        &[m("LocationConstraint", STR)],
        None,
    ),
    /* 35 */ list("TagSet", 36, Some("Tag"), false),
    /* 36 */ st("Tag", &[req(m("Key", STR)), req(m("Value", STR))], None),
    /* 37 */
    st(
        "GetObjectAclOutput",
        &[m("Owner", 15), named("Grants", "AccessControlList", 38)],
        None,
    ),
    /* 38 */ list("Grants", 39, Some("Grant"), false),
    /* 39 */ st("Grant", &[m("Grantee", 40), m("Permission", STR)], None),
    /* 40 */
    Shape {
        name: "Grantee",
        kind: ShapeKind::Structure(Structure {
            members: &[
                m("DisplayName", STR),
                m("EmailAddress", STR),
                m("ID", STR),
                Member {
                    xml_attribute: true,
                    required: true,
                    ..named("Type", "xsi:type", STR)
                },
                m("URI", STR),
            ],
            payload: None,
            error: None,
            location_name: None,
            xml_namespace: Some(XmlNamespace {
                prefix: Some("xsi"),
                uri: "http://www.w3.org/2001/XMLSchema-instance",
            }),
            exception: false,
        }),
    },
    /* 41 */
    st(
        "CopyObjectRequest",
        &[
            uri("Bucket", STR),
            req(hdr("CopySource", "x-amz-copy-source", STR)),
            uri("Key", STR),
            hdr("MetadataDirective", "x-amz-metadata-directive", STR),
        ],
        None,
    ),
    /* 42 */
    st(
        "CopyObjectOutput",
        &[
            m("CopyObjectResult", 43),
            hdr("VersionId", "x-amz-version-id", STR),
        ],
        Some(0),
    ),
    /* 43 */
    st(
        "CopyObjectResult",
        &[m("ETag", STR), m("LastModified", TS)],
        None,
    ),
    /* 44 */
    st(
        "UploadPartRequest",
        &[
            m("Body", 5),
            uri("Bucket", STR),
            uri("Key", STR),
            req(qs("PartNumber", "partNumber", INT)),
            req(qs("UploadId", "uploadId", STR)),
        ],
        Some(0),
    ),
    /* 45 */
    st(
        "HeadObjectOutput",
        &[
            hdr("LastModified", "Last-Modified", TS),
            hdr("ContentLength", "Content-Length", LONG),
            hdr("ETag", "ETag", STR),
            hdr("ContentType", "Content-Type", STR),
            hdrs("Metadata", "x-amz-meta-", 6),
        ],
        None,
    ),
    /* 46 */ st("GetBucketPolicyOutput", &[m("Policy", STR)], Some(0)),
    /* 47 */
    st(
        "PutBucketPolicyRequest",
        &[
            uri("Bucket", STR),
            hdr(
                "ConfirmRemoveSelfBucketAccess",
                "x-amz-confirm-remove-self-bucket-access",
                BOOL,
            ),
            req(m("Policy", STR)),
        ],
        Some(2),
    ),
    /* 48 */
    st(
        "CompleteMultipartUploadRequest",
        &[
            uri("Bucket", STR),
            uri("Key", STR),
            ns(
                named("MultipartUpload", "CompleteMultipartUpload", 49),
                S3NS,
            ),
            req(qs("UploadId", "uploadId", STR)),
        ],
        Some(2),
    ),
    /* 49 */
    st(
        "CompletedMultipartUpload",
        &[named("Parts", "Part", 50)],
        None,
    ),
    /* 50 */ list("CompletedPartList", 51, None, true),
    /* 51 */
    st(
        "CompletedPart",
        &[m("ETag", STR), m("PartNumber", INT)],
        None,
    ),
    /* 52 */
    st(
        "CompleteMultipartUploadOutput",
        &[
            m("Location", STR),
            m("Bucket", STR),
            m("Key", STR),
            m("ETag", STR),
            hdr("VersionId", "x-amz-version-id", STR),
        ],
        None,
    ),
    /* 53 */
    st(
        "ObjectKeyRequest",
        &[uri("Bucket", STR), uri("Key", STR)],
        None,
    ),
    /* 54 */
    st(
        "ListPartsRequest",
        &[
            uri("Bucket", STR),
            uri("Key", STR),
            req(qs("UploadId", "uploadId", STR)),
        ],
        None,
    ),
    /* 55 */
    st(
        "ListObjectsOutput",
        &[
            m("IsTruncated", BOOL),
            m("Marker", STR),
            m("Contents", 13),
            m("Name", STR),
        ],
        None,
    ),
    /* 56 */
    st(
        "CreateMultipartUploadOutput",
        &[m("Bucket", STR), m("Key", STR), m("UploadId", STR)],
        None,
    ),
    /* 57 */ list("ChecksumAlgorithmList", STR, None, true),
    /* 58 */ Shape {
        name: "Double",
        kind: ShapeKind::Double,
    },
    /* 59 */ list("OptionalObjectAttributesList", STR, None, false),
    /* 60 */
    st(
        "GetObjectLegalHoldOutput",
        &[named("LegalHold", "LegalHold", 61)],
        Some(0),
    ),
    /* 61 */ st("ObjectLockLegalHold", &[m("Status", STR)], None),
    /* 62 */
    st(
        "DeleteObjectOutput",
        &[
            hdr("DeleteMarker", "x-amz-delete-marker", BOOL),
            hdr("VersionId", "x-amz-version-id", STR),
        ],
        None,
    ),
    /* 63 */
    st(
        "AccessControlPolicy",
        &[named("Grants", "AccessControlList", 38), m("Owner", 15)],
        None,
    ),
    /* 64 */
    st(
        "PutObjectAclRequest",
        &[
            ns(
                named("AccessControlPolicy", "AccessControlPolicy", 63),
                S3NS,
            ),
            uri("Bucket", STR),
            uri("Key", STR),
        ],
        Some(0),
    ),
];

pub static S3_OPS: &[Operation] = &[
    unimplemented_op("AbortMultipartUpload", "DELETE", "/{Bucket}/{Key+}"),
    op(
        "CompleteMultipartUpload",
        "POST",
        "/{Bucket}/{Key+}",
        Some(48),
        Some(52),
    ),
    op("CopyObject", "PUT", "/{Bucket}/{Key+}", Some(41), Some(42)),
    op("CreateBucket", "PUT", "/{Bucket}", Some(18), Some(20)),
    op(
        "CreateMultipartUpload",
        "POST",
        "/{Bucket}/{Key+}?uploads",
        Some(53),
        Some(56),
    ),
    code(
        op("DeleteBucket", "DELETE", "/{Bucket}", Some(33), None),
        204,
    ),
    code(
        op(
            "DeleteObject",
            "DELETE",
            "/{Bucket}/{Key+}",
            Some(53),
            Some(62),
        ),
        204,
    ),
    op(
        "DeleteObjects",
        "POST",
        "/{Bucket}?delete",
        Some(21),
        Some(25),
    ),
    unimplemented_op("GetBucketLifecycle", "GET", "/{Bucket}?lifecycle"),
    unimplemented_op(
        "GetBucketLifecycleConfiguration",
        "GET",
        "/{Bucket}?lifecycle",
    ),
    op(
        "GetBucketLocation",
        "GET",
        "/{Bucket}?location",
        Some(33),
        Some(34),
    ),
    op(
        "GetBucketPolicy",
        "GET",
        "/{Bucket}?policy",
        Some(33),
        Some(46),
    ),
    op("GetObject", "GET", "/{Bucket}/{Key+}", Some(9), Some(10)),
    op(
        "GetObjectAcl",
        "GET",
        "/{Bucket}/{Key+}?acl",
        Some(53),
        Some(37),
    ),
    op(
        "GetObjectLegalHold",
        "GET",
        "/{Bucket}/{Key+}?legal-hold",
        Some(53),
        Some(60),
    ),
    op("HeadBucket", "HEAD", "/{Bucket}", Some(33), None),
    op("HeadObject", "HEAD", "/{Bucket}/{Key+}", Some(53), Some(45)),
    op("ListBuckets", "GET", "/", None, Some(30)),
    op(
        "PutObjectAcl",
        "PUT",
        "/{Bucket}/{Key+}?acl",
        Some(64),
        None,
    ),
    unimplemented_op("ListDirectoryBuckets", "GET", "/"),
    unimplemented_op("ListMultipartUploads", "GET", "/{Bucket}?uploads"),
    op("ListObjects", "GET", "/{Bucket}", Some(33), Some(55)),
    op(
        "ListObjectsV2",
        "GET",
        "/{Bucket}?list-type=2",
        Some(11),
        Some(12),
    ),
    op("ListParts", "GET", "/{Bucket}/{Key+}", Some(54), None),
    op("PutBucketPolicy", "PUT", "/{Bucket}?policy", Some(47), None),
    op("PutObject", "PUT", "/{Bucket}/{Key+}", Some(7), Some(8)),
    unimplemented_op(
        "SelectObjectContent",
        "POST",
        "/{Bucket}/{Key+}?select&select-type=2",
    ),
    op("UploadPart", "PUT", "/{Bucket}/{Key+}", Some(44), Some(8)),
    unimplemented_op("UploadPartCopy", "PUT", "/{Bucket}/{Key+}"),
    unimplemented_op("WriteGetObjectResponse", "POST", "/WriteGetObjectResponse"),
];

pub static S3: ServiceModel = ServiceModel {
    name: "s3",
    service_id: "S3",
    endpoint_prefix: "s3",
    signing_name: "s3",
    iam_prefix: "s3",
    api_version: "2006-03-01",
    protocols: &[Protocol::RestXml],
    target_prefix: None,
    json_version: None,
    xml_namespace: None,
    query_compatible: false,
    operations: S3_OPS,
    shapes: S3_SHAPES,
};
