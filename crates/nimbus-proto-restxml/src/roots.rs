//! XML root element names of S3 responses that the model does not carry. botocore's S3
//! model (1.43.11) gives no `locationName` to any output structure, and its parser ignores
//! the root element's name, so the names below come from the S3 API reference's response
//! syntax sections (<https://docs.aws.amazon.com/AmazonS3/latest/API/>). Other SDKs and
//! tools (s3cmd, older Java SDKs) do look at them, so they are kept exact.
//!
//! Only outputs *without* a payload member need this table: a structure payload's root is
//! the payload member's `locationName` or name (`CopyObjectResult`, `LegalHold`,
//! `ServerSideEncryptionConfiguration`, ...), which already matches the reference.
//!
//! Checked with:
//! `python3 -c "import botocore.loaders as L; m=L.Loader().load_service_model('s3','service-2'); print(m['shapes']['ListObjectsV2Output'].get('locationName'))"`
//! (prints `None` for every entry below).

/// S3's documented root element for an output structure without a payload member.
pub fn s3_output_root(output_shape: &str) -> Option<&'static str> {
    Some(match output_shape {
        "ListBucketsOutput" => "ListAllMyBucketsResult",
        "ListDirectoryBucketsOutput" => "ListAllMyDirectoryBucketsResult",
        "ListObjectsOutput" | "ListObjectsV2Output" => "ListBucketResult",
        "ListObjectVersionsOutput" => "ListVersionsResult",
        "ListMultipartUploadsOutput" => "ListMultipartUploadsResult",
        "ListPartsOutput" => "ListPartsResult",
        "DeleteObjectsOutput" => "DeleteResult",
        "GetBucketLocationOutput" => "LocationConstraint",
        "CreateMultipartUploadOutput" => "InitiateMultipartUploadResult",
        "CompleteMultipartUploadOutput" => "CompleteMultipartUploadResult",
        "CreateSessionOutput" => "CreateSessionResult",
        "GetBucketAccelerateConfigurationOutput" => "AccelerateConfiguration",
        "GetBucketAclOutput" | "GetObjectAclOutput" => "AccessControlPolicy",
        "GetBucketCorsOutput" => "CORSConfiguration",
        "GetBucketLifecycleOutput" | "GetBucketLifecycleConfigurationOutput" => {
            "LifecycleConfiguration"
        }
        "GetBucketLoggingOutput" => "BucketLoggingStatus",
        "NotificationConfigurationDeprecated" | "NotificationConfiguration" => {
            "NotificationConfiguration"
        }
        "GetBucketRequestPaymentOutput" => "RequestPaymentConfiguration",
        "GetBucketTaggingOutput" | "GetObjectTaggingOutput" => "Tagging",
        "GetBucketVersioningOutput" => "VersioningConfiguration",
        "GetBucketWebsiteOutput" => "WebsiteConfiguration",
        "GetObjectAttributesOutput" => "GetObjectAttributesResponse",
        "ListBucketAnalyticsConfigurationsOutput" => "ListBucketAnalyticsConfigurationResult",
        "ListBucketIntelligentTieringConfigurationsOutput" => {
            "ListBucketIntelligentTieringConfigurationsOutput"
        }
        "ListBucketInventoryConfigurationsOutput" => "ListInventoryConfigurationsResult",
        "ListBucketMetricsConfigurationsOutput" => "ListMetricsConfigurationsResult",
        _ => return None,
    })
}

/// Outputs whose whole document is one element holding a single member's text:
/// GetBucketLocation answers `<LocationConstraint xmlns="...">eu-west-1</LocationConstraint>`
/// (an empty element for us-east-1). The model cannot express this; botocore reads it with a
/// hand-written handler (`handlers.parse_get_bucket_location`, which takes `root.text`).
pub fn s3_text_root(output_shape: &str) -> Option<(&'static str, &'static str)> {
    match output_shape {
        "GetBucketLocationOutput" => Some(("LocationConstraint", "LocationConstraint")),
        _ => None,
    }
}
