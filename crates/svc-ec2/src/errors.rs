//! The EC2 errors this crate answers with, one constructor per AWS error code, so that every
//! handler words the same condition the same way. Codes and message shapes follow the EC2 API
//! reference's error list (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html>).
//! This module only builds [`AwsError`]s; it decides nothing.

use nimbus_core::AwsError;

/// `DryRunOperation` (HTTP 412): what EC2 answers when `DryRun=true` and the call would
/// have been allowed.
pub fn dry_run() -> AwsError {
    AwsError::new(
        "DryRunOperation",
        412,
        "Request would have succeeded, but DryRun flag is set.",
    )
}

pub fn invalid_parameter_value(message: impl Into<String>) -> AwsError {
    AwsError::client("InvalidParameterValue", message)
}

pub fn invalid_parameter_combination(message: impl Into<String>) -> AwsError {
    AwsError::client("InvalidParameterCombination", message)
}

pub fn missing_parameter(message: impl Into<String>) -> AwsError {
    AwsError::client("MissingParameter", message)
}

pub fn group_not_found(what: &str) -> AwsError {
    AwsError::client(
        "InvalidGroup.NotFound",
        format!("The security group '{what}' does not exist"),
    )
}

pub fn group_name_not_found_in_default_vpc(name: &str, vpc_id: &str) -> AwsError {
    AwsError::client(
        "InvalidGroup.NotFound",
        format!("The security group '{name}' does not exist in default VPC '{vpc_id}'"),
    )
}

pub fn group_id_malformed(id: &str) -> AwsError {
    AwsError::client(
        "InvalidGroupId.Malformed",
        format!("Invalid id: \"{id}\" (expecting \"sg-...\")"),
    )
}

pub fn group_duplicate(name: &str, vpc_id: &str) -> AwsError {
    AwsError::client(
        "InvalidGroup.Duplicate",
        format!("The security group '{name}' already exists for VPC '{vpc_id}'"),
    )
}

pub fn vpc_not_found(id: &str) -> AwsError {
    AwsError::client(
        "InvalidVpcID.NotFound",
        format!("The vpc ID '{id}' does not exist"),
    )
}

pub fn cannot_delete_default(group_id: &str) -> AwsError {
    AwsError::client(
        "CannotDelete",
        format!(
            "the specified group: \"{group_id}\" name: \"default\" cannot be deleted by a user"
        ),
    )
}

pub fn dependency_violation(group_id: &str) -> AwsError {
    AwsError::client(
        "DependencyViolation",
        format!("resource {group_id} has a dependent object"),
    )
}

pub fn permission_duplicate(rule: &str) -> AwsError {
    AwsError::client(
        "InvalidPermission.Duplicate",
        format!("the specified rule \"{rule}\" already exists"),
    )
}

pub fn permission_not_found() -> AwsError {
    AwsError::client(
        "InvalidPermission.NotFound",
        "The specified rule does not exist in this security group.",
    )
}

pub fn rule_id_not_found(id: &str) -> AwsError {
    AwsError::client(
        "InvalidSecurityGroupRuleId.NotFound",
        format!("The security group rule ID '{id}' does not exist"),
    )
}

pub fn rule_id_malformed(id: &str) -> AwsError {
    AwsError::client(
        "InvalidSecurityGroupRuleId.Malformed",
        format!("Invalid id: \"{id}\" (expecting \"sgr-...\")"),
    )
}

pub fn invalid_filter(name: &str) -> AwsError {
    invalid_parameter_value(format!("The filter '{name}' is invalid"))
}

pub fn invalid_pagination_token(token: &str) -> AwsError {
    AwsError::client(
        "InvalidPaginationToken",
        format!("Invalid pagination token: {token}"),
    )
}

pub fn invalid_max_results(n: i32, min: i32, max: i32) -> AwsError {
    invalid_parameter_value(format!(
        "Value ( {n} ) for parameter maxResults is invalid. Expecting a value between {min} and {max}."
    ))
}

/// `{code}.NotFound` with AWS's `The {noun} ID '{id}' does not exist` wording
/// (`InvalidSubnetID`, "subnet"; `InvalidInternetGatewayID`, "internetGateway"; …).
pub fn id_not_found(code: &str, noun: &str, id: &str) -> AwsError {
    AwsError::client(
        format!("{code}.NotFound"),
        format!("The {noun} ID '{id}' does not exist"),
    )
}

/// `{code}.Malformed`: `Invalid id: "{id}" (expecting "{prefix}...")`.
pub fn id_malformed(code: &str, id: &str, prefix: &str) -> AwsError {
    AwsError::client(
        format!("{code}.Malformed"),
        format!("Invalid id: \"{id}\" (expecting \"{prefix}...\")"),
    )
}

pub fn subnet_not_found(id: &str) -> AwsError {
    id_not_found("InvalidSubnetID", "subnet", id)
}

/// A delete refused because something still uses the resource.
pub fn has_dependencies(kind: &str, id: &str) -> AwsError {
    AwsError::client(
        "DependencyViolation",
        format!("The {kind} '{id}' has dependencies and cannot be deleted."),
    )
}

/// A CIDR that is not `a.b.c.d/n` with a clean network address.
pub fn invalid_cidr(param: &str, cidr: &str) -> AwsError {
    invalid_parameter_value(format!(
        "Value ({cidr}) for parameter {param} is invalid. This is not a valid CIDR block."
    ))
}
