//! The Auto Scaling errors this crate answers with, one constructor per condition, so every
//! handler words a condition the same way. Most of Auto Scaling's refusals are
//! `ValidationError` (400), which the model does not list; the others come from the
//! model (`generated::errors`). Wording follows what the service answers. Builds errors
//! only; decides nothing.

use crate::generated::errors as g;
use nimbus_core::AwsError;

pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new("ValidationError", 400, message)
}

pub fn no_group(name: &str) -> AwsError {
    validation(format!(
        "AutoScalingGroup name not found - AutoScalingGroup {name} not found"
    ))
}

pub fn group_exists(name: &str) -> AwsError {
    g::already_exists_fault(format!(
        "AutoScalingGroup by this name already exists - A group with the name {name} already exists"
    ))
}

pub fn launch_config_exists(name: &str) -> AwsError {
    g::already_exists_fault(format!(
        "Launch Configuration by this name already exists - A launch configuration already exists with the name {name}"
    ))
}

pub fn no_launch_config(name: &str) -> AwsError {
    validation(format!(
        "Launch configuration name not found - Launch configuration {name} not found"
    ))
}

pub fn launch_config_in_use(name: &str, group: &str) -> AwsError {
    g::resource_in_use_fault(format!(
        "Cannot delete launch configuration {name} because it is attached to AutoScalingGroup {group}"
    ))
}

pub fn max_below_min(max: i32, min: i32) -> AwsError {
    validation(format!(
        "Max bound, {max}, must be greater than or equal to min bound, {min}"
    ))
}

pub fn desired_out_of_range(desired: i32, min: i32, max: i32) -> AwsError {
    validation(format!(
        "Desired capacity:{desired} must be between the specified min size:{min} and max size:{max}"
    ))
}

pub fn group_has_instances() -> AwsError {
    g::resource_in_use_fault(
        "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.",
    )
}

pub fn group_busy() -> AwsError {
    g::scaling_activity_in_progress_fault(
        "You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.",
    )
}

pub fn group_deleting(name: &str) -> AwsError {
    g::scaling_activity_in_progress_fault(format!("AutoScalingGroup {name} is pending delete."))
}

pub fn limit(message: impl Into<String>) -> AwsError {
    g::limit_exceeded_fault(message)
}

pub fn no_policy(name: &str) -> AwsError {
    validation(format!("No such policy: {name}"))
}

pub fn bad_token() -> AwsError {
    g::invalid_next_token("The token provided is not valid.")
}

/// A record that should be there is not (a bug, not the caller's fault).
pub fn internal_inconsistency() -> AwsError {
    AwsError::internal("Auto Scaling state is inconsistent")
}

/// The store did not make a change durable (HTTP 500).
pub fn store_failure(err: nimbus_store::StoreError) -> AwsError {
    AwsError::internal(format!("Auto Scaling state could not be stored: {err}"))
}
