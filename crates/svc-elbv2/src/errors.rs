//! The ELBv2 errors this crate answers with, one constructor per AWS error code (codes and
//! HTTP statuses from the botocore model; wording after the Elastic Load Balancing API
//! reference and what the service answers). This module only builds [`AwsError`]s.

use nimbus_core::AwsError;

pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::client("ValidationError", message)
}

pub fn invalid_config(message: impl Into<String>) -> AwsError {
    AwsError::client("InvalidConfigurationRequest", message)
}

pub fn lb_not_found() -> AwsError {
    AwsError::client(
        "LoadBalancerNotFound",
        "One or more load balancers not found",
    )
}

pub fn lbs_not_found(names: &[String]) -> AwsError {
    AwsError::client(
        "LoadBalancerNotFound",
        format!("Load balancers '[{}]' not found", names.join(", ")),
    )
}

pub fn tg_not_found() -> AwsError {
    AwsError::client("TargetGroupNotFound", "One or more target groups not found")
}

pub fn tgs_not_found(names: &[String]) -> AwsError {
    AwsError::client(
        "TargetGroupNotFound",
        format!("Target groups '[{}]' not found", names.join(", ")),
    )
}

pub fn listener_not_found() -> AwsError {
    AwsError::client("ListenerNotFound", "One or more listeners not found")
}

pub fn rule_not_found() -> AwsError {
    AwsError::client("RuleNotFound", "One or more rules not found")
}

pub fn duplicate_lb(name: &str) -> AwsError {
    AwsError::client(
        "DuplicateLoadBalancerName",
        format!("A load balancer with the same name '{name}' exists, but with different settings"),
    )
}

pub fn duplicate_tg(name: &str) -> AwsError {
    AwsError::client(
        "DuplicateTargetGroupName",
        format!("A target group with the same name '{name}' exists, but with different settings"),
    )
}

pub fn duplicate_listener(lb_arn: &str) -> AwsError {
    AwsError::client(
        "DuplicateListener",
        format!("A listener already exists on this port for this load balancer '{lb_arn}'"),
    )
}

pub fn priority_in_use(p: i32) -> AwsError {
    AwsError::client(
        "PriorityInUse",
        format!("Priority '{p}' is currently in use"),
    )
}

pub fn resource_in_use(message: impl Into<String>) -> AwsError {
    AwsError::client("ResourceInUse", message)
}

pub fn subnet_not_found(id: &str) -> AwsError {
    AwsError::client(
        "SubnetNotFound",
        format!("The subnet ID '{id}' is not valid"),
    )
}

pub fn invalid_security_group(id: &str) -> AwsError {
    AwsError::client(
        "InvalidSecurityGroup",
        format!("The security group '{id}' does not exist"),
    )
}

pub fn invalid_target(message: impl Into<String>) -> AwsError {
    AwsError::client("InvalidTarget", message)
}

pub fn unsupported_protocol(message: impl Into<String>) -> AwsError {
    AwsError::client("UnsupportedProtocol", message)
}

pub fn incompatible_protocols(message: impl Into<String>) -> AwsError {
    AwsError::client("IncompatibleProtocols", message)
}

pub fn invalid_action(message: impl Into<String>) -> AwsError {
    AwsError::client("InvalidLoadBalancerAction", message)
}

pub fn operation_not_permitted(message: impl Into<String>) -> AwsError {
    AwsError::client("OperationNotPermitted", message)
}

pub fn too_many_tags() -> AwsError {
    AwsError::client(
        "TooManyTags",
        "Too many tags on the resource (the limit is 50)",
    )
}

pub fn duplicate_tag_keys(key: &str) -> AwsError {
    AwsError::client("DuplicateTagKeys", format!("Tag key '{key}' is duplicated"))
}

pub fn too_many(code: &'static str, what: &str, limit: usize) -> AwsError {
    AwsError::client(
        code,
        format!("The maximum number of {what} ({limit}) has been reached"),
    )
}

pub fn ssl_policy_not_found(name: &str) -> AwsError {
    AwsError::client(
        "SSLPolicyNotFound",
        format!("SSL policy '{name}' not found"),
    )
}

pub fn certificate_not_found(message: impl Into<String>) -> AwsError {
    AwsError::client("CertificateNotFound", message)
}
