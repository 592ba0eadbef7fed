//! SNS's errors: one function per error SNS answers, giving it AWS's wording; the code and
//! status come from the generated constructor of the model's error shape (decision 0012).
//! SNS's query protocol renders them as `<ErrorResponse><Error><Type>Sender</Type><Code>…`.

use crate::generated::errors as e;
use nimbus_core::AwsError;

/// `InvalidParameter` in SNS's wording: `Invalid parameter: {what}`.
pub fn invalid(what: impl std::fmt::Display) -> AwsError {
    e::invalid_parameter_exception(format!("Invalid parameter: {what}"))
}

pub fn topic_not_found() -> AwsError {
    e::not_found_exception("Topic does not exist")
}

pub fn subscription_not_found() -> AwsError {
    e::not_found_exception("Subscription does not exist")
}

/// Tagging a resource that does not exist.
pub fn resource_not_found() -> AwsError {
    e::resource_not_found_exception("Resource does not exist")
}

pub fn topic_limit() -> AwsError {
    e::topic_limit_exceeded_exception("Topic limit exceeded")
}

pub fn tag_limit() -> AwsError {
    e::tag_limit_exceeded_exception(
        "Could not complete request: tag quota of per resource exceeded",
    )
}

pub fn empty_batch() -> AwsError {
    e::empty_batch_request_exception("The batch request doesn't contain any entries.")
}

pub fn too_many_entries() -> AwsError {
    e::too_many_entries_in_batch_request_exception(
        "The batch request contains more entries than permissible.",
    )
}

pub fn invalid_batch_entry_id() -> AwsError {
    e::invalid_batch_entry_id_exception(
        "The Id of a batch entry in a batch request doesn't abide by the specification.",
    )
}

pub fn batch_ids_not_distinct() -> AwsError {
    e::batch_entry_ids_not_distinct_exception(
        "Two or more batch entries in the request have the same Id.",
    )
}

pub fn batch_too_long() -> AwsError {
    e::batch_request_too_long_exception(
        "The length of all the messages put together is more than the limit.",
    )
}

/// The store failed to make a change durable (HTTP 500, `InternalError`).
pub fn store_failure(err: nimbus_store::StoreError) -> AwsError {
    e::internal_error_exception(format!("storage failure: {err}"))
}
