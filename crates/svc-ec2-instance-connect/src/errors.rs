//! The EC2 Instance Connect errors this crate answers with: one function per error, giving
//! it AWS's wording over the generated constructor of the model's error shape
//! (`crate::generated::errors`; decision 0012). Where AWS's exact message could not be
//! confirmed, the wording is the model's own documentation of the error. Builds errors
//! only; decides nothing.

use crate::generated::errors as g;
use nimbus_core::AwsError;

/// No instance of that id in the caller's account and region (or not in the zone named).
pub fn instance_not_found() -> AwsError {
    g::ec2_instance_not_found_exception("The specified instance was not found.")
}

/// A stopped, stopping, shutting-down or terminated instance.
pub fn state_invalid() -> AwsError {
    g::ec2_instance_state_invalid_exception(
        "Unable to connect because the instance is not in a valid state. Connecting to a \
         stopped or terminated instance is not supported. If the instance is stopped, start \
         your instance, and try to connect again.",
    )
}

/// An instance still starting.
pub fn unavailable() -> AwsError {
    g::ec2_instance_unavailable_exception(
        "The instance is currently unavailable. Wait a few minutes and try again.",
    )
}

/// A parameter outside its constraints (`what` says which and why).
pub fn invalid_args(what: impl std::fmt::Display) -> AwsError {
    g::invalid_args_exception(format!(
        "Invalid input parameter received for Illegal argument exception: {what}"
    ))
}
