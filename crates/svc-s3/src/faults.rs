//! S3's errors, with the codes, HTTP statuses, messages and extra body fields the real
//! service returns (`BucketName` on bucket errors, `Key` on `NoSuchKey`, ...). Every
//! handler builds its errors here so that one wording is used throughout. Rendering them
//! (XML body, or no body for HEAD) is the protocol crate's job, not this module's.
//!
//! Reference: <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>.

use nimbus_core::AwsError;

pub(crate) fn no_such_bucket(bucket: &str) -> AwsError {
    AwsError::new("NoSuchBucket", 404, "The specified bucket does not exist")
        .with_extra("BucketName", bucket)
}

pub(crate) fn no_such_key(key: &str) -> AwsError {
    AwsError::new("NoSuchKey", 404, "The specified key does not exist.").with_extra("Key", key)
}

pub(crate) fn bucket_already_exists(bucket: &str) -> AwsError {
    AwsError::new(
        "BucketAlreadyExists",
        409,
        "The requested bucket name is not available. The bucket namespace is shared by all \
         users of the system. Please select a different name and try again.",
    )
    .with_extra("BucketName", bucket)
}

pub(crate) fn bucket_already_owned_by_you(bucket: &str) -> AwsError {
    AwsError::new(
        "BucketAlreadyOwnedByYou",
        409,
        "Your previous request to create the named bucket succeeded and you already own it.",
    )
    .with_extra("BucketName", bucket)
}

pub(crate) fn bucket_not_empty(bucket: &str) -> AwsError {
    AwsError::new(
        "BucketNotEmpty",
        409,
        "The bucket you tried to delete is not empty",
    )
    .with_extra("BucketName", bucket)
}

pub(crate) fn invalid_bucket_name(bucket: &str) -> AwsError {
    AwsError::new(
        "InvalidBucketName",
        400,
        "The specified bucket is not valid.",
    )
    .with_extra("BucketName", bucket)
}

pub(crate) fn access_denied() -> AwsError {
    AwsError::new("AccessDenied", 403, "Access Denied")
}

pub(crate) fn illegal_location_constraint(constraint: Option<&str>) -> AwsError {
    let what = constraint.unwrap_or("unspecified");
    AwsError::new(
        "IllegalLocationConstraintException",
        400,
        format!(
            "The {what} location constraint is incompatible for the region specific endpoint \
             this request was sent to."
        ),
    )
}

pub(crate) fn invalid_location_constraint(constraint: &str) -> AwsError {
    AwsError::new(
        "InvalidLocationConstraint",
        400,
        "The specified location-constraint is not valid",
    )
    .with_extra("LocationConstraint", constraint)
}

pub(crate) fn invalid_argument(
    message: impl Into<String>,
    name: &str,
    value: impl Into<String>,
) -> AwsError {
    AwsError::new("InvalidArgument", 400, message)
        .with_extra("ArgumentName", name)
        .with_extra("ArgumentValue", value)
}

pub(crate) fn invalid_range(requested: &str, size: u64) -> AwsError {
    AwsError::new(
        "InvalidRange",
        416,
        "The requested range is not satisfiable",
    )
    .with_extra("RangeRequested", requested)
    .with_extra("ActualObjectSize", size.to_string())
}

pub(crate) fn invalid_part_number(part: i32, parts: u32) -> AwsError {
    AwsError::new(
        "InvalidPartNumber",
        416,
        "The requested partnumber is not satisfiable",
    )
    .with_extra("PartNumberRequested", part.to_string())
    .with_extra("ActualPartCount", parts.to_string())
}

pub(crate) fn precondition_failed(condition: &'static str) -> AwsError {
    AwsError::new(
        "PreconditionFailed",
        412,
        "At least one of the pre-conditions you specified did not hold",
    )
    .with_extra("Condition", condition)
}

/// A 304: not an error to S3 clients, but it travels the error path because the reply has
/// no body and the output shape cannot express the status.
pub(crate) fn not_modified() -> AwsError {
    AwsError::new("NotModified", 304, "Not Modified")
}

pub(crate) fn bad_digest_md5(expected: &str, calculated: &str) -> AwsError {
    AwsError::new(
        "BadDigest",
        400,
        "The Content-MD5 you specified did not match what we received.",
    )
    .with_extra("ExpectedDigest", expected)
    .with_extra("CalculatedDigest", calculated)
}

pub(crate) fn bad_digest_checksum(algorithm: &str) -> AwsError {
    AwsError::new(
        "BadDigest",
        400,
        format!("The {algorithm} you specified did not match the calculated checksum."),
    )
}

pub(crate) fn invalid_digest(content_md5: &str) -> AwsError {
    AwsError::new(
        "InvalidDigest",
        400,
        "The Content-MD5 you specified was not valid.",
    )
    .with_extra("Content-MD5", content_md5)
}

pub(crate) fn invalid_checksum(header: &str) -> AwsError {
    AwsError::new(
        "InvalidRequest",
        400,
        format!("Value for {header} header is invalid."),
    )
}

pub(crate) fn malformed_xml() -> AwsError {
    AwsError::new(
        "MalformedXML",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

pub(crate) fn key_too_long(key: &str) -> AwsError {
    AwsError::new("KeyTooLongError", 400, "Your key is too long")
        .with_extra("Size", key.len().to_string())
        .with_extra("MaxSizeAllowed", "1024")
}

pub(crate) fn metadata_too_large(size: usize) -> AwsError {
    AwsError::new(
        "MetadataTooLarge",
        400,
        "Your metadata headers exceed the maximum allowed metadata size",
    )
    .with_extra("Size", size.to_string())
    .with_extra("MaxSizeAllowed", "2048")
}

pub(crate) fn entity_too_large(size: u64, max: u64) -> AwsError {
    AwsError::new(
        "EntityTooLarge",
        400,
        "Your proposed upload exceeds the maximum allowed size",
    )
    .with_extra("ProposedSize", size.to_string())
    .with_extra("MaxSizeAllowed", max.to_string())
}

pub(crate) fn acl_not_supported() -> AwsError {
    AwsError::new(
        "AccessControlListNotSupported",
        400,
        "The bucket does not allow ACLs",
    )
}

pub(crate) fn bucket_acl_with_ownership() -> AwsError {
    AwsError::new(
        "InvalidBucketAclWithObjectOwnership",
        400,
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    )
}

pub(crate) fn invalid_request(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidRequest", 400, message)
}

/// A feature S3 has and Nimbus does not: said plainly rather than faked.
pub(crate) fn unsupported(feature: &str) -> AwsError {
    AwsError::new(
        "NotImplemented",
        501,
        format!("Nimbus does not implement {feature} yet"),
    )
}

pub(crate) fn internal(detail: impl std::fmt::Display) -> AwsError {
    AwsError::new(
        "InternalError",
        500,
        format!("We encountered an internal error. Please try again. ({detail})"),
    )
}

/// GetBucketPolicy / GetBucketPolicyStatus on a bucket without a policy.
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList>
pub(crate) fn no_such_bucket_policy(bucket: &str) -> AwsError {
    AwsError::new(
        "NoSuchBucketPolicy",
        404,
        "The bucket policy does not exist",
    )
    .with_extra("BucketName", bucket)
}

/// A bucket policy S3 refuses to store; `message` is S3's own wording for the problem
/// (see `policy.rs`), which differs from IAM's `MalformedPolicyDocument` messages.
pub(crate) fn malformed_policy(message: impl Into<String>) -> AwsError {
    AwsError::new("MalformedPolicy", 400, message)
}

/// A bucket-policy operation by an identity outside the bucket owner's account that was
/// otherwise allowed: "If you have the correct permissions, but you're not using an
/// identity that belongs to the bucket owner's account, Amazon S3 returns a 405 Method Not
/// Allowed error" (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html>).
pub(crate) fn method_not_allowed() -> AwsError {
    AwsError::new(
        "MethodNotAllowed",
        405,
        "The specified method is not allowed against this resource.",
    )
}
