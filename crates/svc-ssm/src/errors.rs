//! Parameter Store's errors, with the codes, statuses and wording AWS uses (400 for all of
//! them; SSM's json protocol puts the code in `__type`). Where AWS's exact message could not
//! be confirmed the wording follows the API reference's description of the error. Each
//! function gives one error its wording; the code and status come from the generated
//! constructor of the model's error shape (decision 0012), so a code cannot be misspelt.

use crate::generated::errors as e;
use nimbus_core::AwsError;

pub fn validation(message: impl Into<String>) -> AwsError {
    e::validation_exception(message)
}

/// AWS's model-constraint wording: `1 validation error detected: Value 'x' at 'name' failed
/// to satisfy constraint: Member must ...`.
pub fn constraint(value: &str, field: &str, rule: &str) -> AwsError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must {rule}"
    ))
}

/// `ParameterNotFound`. Reads name the parameter (`Parameter /x not found.`, as botocore
/// tracebacks from AWS show it); other operations answer with an empty message, as the CLI
/// transcripts we found show for them. Neither wording is documented by AWS.
pub fn not_found() -> AwsError {
    e::parameter_not_found("")
}

pub fn not_found_named(name: &str) -> AwsError {
    e::parameter_not_found(format!("Parameter {name} not found."))
}

pub fn version_not_found(name: &str, selector: &str) -> AwsError {
    e::parameter_version_not_found(format!("Systems Manager could not find version {selector} of {name}. Verify the version and try again."),
    )
}

pub fn already_exists() -> AwsError {
    e::parameter_already_exists("The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    )
}

pub fn hierarchy_too_deep() -> AwsError {
    e::hierarchy_level_limit_exceeded_exception("A hierarchy can have a maximum of 15 levels.")
}

pub fn pattern_mismatch(pattern: &str) -> AwsError {
    e::parameter_pattern_mismatch_exception(format!(
        "Parameter value, cannot be validated against allowedPattern: {pattern}"
    ))
}

pub fn invalid_allowed_pattern() -> AwsError {
    e::invalid_allowed_pattern_exception(
        "The request does not meet the regular expression requirement.",
    )
}

pub fn invalid_key_id() -> AwsError {
    e::invalid_key_id("The query key ID isn't valid.")
}

pub fn max_versions(name: &str, oldest: i64) -> AwsError {
    e::parameter_max_version_limit_exceeded(format!(
            "You attempted to create a new version of {name} by calling the PutParameter API with the overwrite flag. \
             Version {oldest}, the oldest version, can't be deleted because it has a label associated with it. \
             Move the label to another version of the parameter, and try again."
        ),
    )
}

pub fn label_limit() -> AwsError {
    e::parameter_version_label_limit_exceeded("A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.",
    )
}

pub fn parameter_limit() -> AwsError {
    e::parameter_limit_exceeded("You have exceeded the number of parameters for this Amazon Web Services account. Delete one or more parameters and try again.",
    )
}

pub fn too_many_tags() -> AwsError {
    e::too_many_tags_error("The Targets parameter includes too many tags. Remove one or more tags and try the command again.",
    )
}

pub fn invalid_resource_id() -> AwsError {
    e::invalid_resource_id(
        "The resource ID isn't valid. Verify that you entered the correct ID and try again.",
    )
}

pub fn invalid_next_token() -> AwsError {
    e::invalid_next_token("The specified token isn't valid.")
}

pub fn invalid_filter_key(key: &str) -> AwsError {
    e::invalid_filter_key(format!("The following filter key is not valid: {key}"))
}

pub fn invalid_filter_option(message: String) -> AwsError {
    e::invalid_filter_option(message)
}

pub fn invalid_filter_value(message: String) -> AwsError {
    e::invalid_filter_value(message)
}

/// The store failed to make a change durable. AWS answers its own failures with HTTP 500;
/// the model declares `InternalServerError` without a status, so it is set here.
pub fn store_failure(err: nimbus_store::StoreError) -> AwsError {
    AwsError::new(
        "InternalServerError",
        500,
        format!("Parameter Store state could not be stored: {err}"),
    )
}
