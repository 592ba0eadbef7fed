//! Parameter Store's errors, with the codes, statuses and wording AWS uses (400 for all of
//! them; SSM's json protocol puts the code in `__type`). Where AWS's exact message could not
//! be confirmed the wording follows the API reference's description of the error.

use nimbus_core::AwsError;

pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::client("ValidationException", message)
}

/// AWS's model-constraint wording: `1 validation error detected: Value 'x' at 'name' failed
/// to satisfy constraint: Member must ...`.
pub fn constraint(value: &str, field: &str, rule: &str) -> AwsError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must {rule}"
    ))
}

pub fn not_found() -> AwsError {
    AwsError::client("ParameterNotFound", "")
}

pub fn version_not_found(name: &str, selector: &str) -> AwsError {
    AwsError::client(
        "ParameterVersionNotFound",
        format!("Systems Manager could not find version {selector} of {name}. Verify the version and try again."),
    )
}

pub fn already_exists() -> AwsError {
    AwsError::client(
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    )
}

pub fn hierarchy_too_deep() -> AwsError {
    AwsError::client(
        "HierarchyLevelLimitExceededException",
        "A hierarchy can have a maximum of 15 levels.",
    )
}

pub fn pattern_mismatch(pattern: &str) -> AwsError {
    AwsError::client(
        "ParameterPatternMismatchException",
        format!("Parameter value, cannot be validated against allowedPattern: {pattern}"),
    )
}

pub fn invalid_allowed_pattern() -> AwsError {
    AwsError::client(
        "InvalidAllowedPatternException",
        "The request does not meet the regular expression requirement.",
    )
}

pub fn invalid_key_id() -> AwsError {
    AwsError::client("InvalidKeyId", "The query key ID isn't valid.")
}

pub fn max_versions(name: &str, oldest: i64) -> AwsError {
    AwsError::client(
        "ParameterMaxVersionLimitExceeded",
        format!(
            "You attempted to create a new version of {name} by calling the PutParameter API with the overwrite flag. \
             Version {oldest}, the oldest version, can't be deleted because it has a label associated with it. \
             Move the label to another version of the parameter, and try again."
        ),
    )
}

pub fn label_limit() -> AwsError {
    AwsError::client(
        "ParameterVersionLabelLimitExceeded",
        "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.",
    )
}

pub fn parameter_limit() -> AwsError {
    AwsError::client(
        "ParameterLimitExceeded",
        "You have exceeded the number of parameters for this Amazon Web Services account. Delete one or more parameters and try again.",
    )
}

pub fn too_many_tags() -> AwsError {
    AwsError::client(
        "TooManyTagsError",
        "The Targets parameter includes too many tags. Remove one or more tags and try the command again.",
    )
}

pub fn invalid_resource_id() -> AwsError {
    AwsError::client(
        "InvalidResourceId",
        "The resource ID isn't valid. Verify that you entered the correct ID and try again.",
    )
}

pub fn invalid_next_token() -> AwsError {
    AwsError::client("InvalidNextToken", "The specified token isn't valid.")
}

pub fn invalid_filter_key(key: &str) -> AwsError {
    AwsError::client("InvalidFilterKey", format!("The following filter key is not valid: {key}"))
}

pub fn invalid_filter_option(message: String) -> AwsError {
    AwsError::client("InvalidFilterOption", message)
}

pub fn invalid_filter_value(message: String) -> AwsError {
    AwsError::client("InvalidFilterValue", message)
}
