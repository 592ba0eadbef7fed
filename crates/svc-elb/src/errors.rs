//! The Classic Load Balancer errors this crate answers with: one function per error,
//! giving it AWS's wording over the generated constructor of the model's error shape
//! (`crate::generated::errors`; decision 0012). Builds errors only; decides nothing.

use crate::generated::errors as g;
use nimbus_core::AwsError;

/// The store did not make a change durable (the `MutateError::or_store` mapping).
pub fn store_failure(err: nimbus_store::StoreError) -> AwsError {
    AwsError::internal(format!(
        "Elastic Load Balancing state could not be stored: {err}"
    ))
}

pub fn lb_not_found(name: &str) -> AwsError {
    g::access_point_not_found_exception(format!("There is no ACTIVE Load Balancer named '{name}'"))
}

pub fn duplicate_name(name: &str) -> AwsError {
    g::duplicate_access_point_name_exception(format!(
        "Load Balancer named '{name}' already exists and it is configured with different parameters."
    ))
}

pub fn validation(msg: impl Into<String>) -> AwsError {
    AwsError::new("ValidationError", 400, msg)
}

pub fn invalid_config(msg: impl Into<String>) -> AwsError {
    g::invalid_configuration_request_exception(msg)
}

pub fn invalid_instance(ids: &[String]) -> AwsError {
    g::invalid_end_point_exception(format!(
        "The following instance(s) are not valid: {}",
        ids.join(", ")
    ))
}

pub fn listener_not_found(name: &str, port: i32) -> AwsError {
    g::listener_not_found_exception(format!(
        "There is no listener on port {port} for the Load Balancer named '{name}'"
    ))
}

pub fn duplicate_listener(port: i32) -> AwsError {
    g::duplicate_listener_exception(format!(
        "A listener already exists for the load balancer on port {port} with different parameters"
    ))
}

pub fn policy_not_found(names: &[String]) -> AwsError {
    g::policy_not_found_exception(format!(
        "There is no policy with name {} for load balancer",
        names.join(", ")
    ))
}

pub fn duplicate_policy(name: &str) -> AwsError {
    g::duplicate_policy_name_exception(format!("Policy with the same name exists for this LoadBalancer. Please choose another name: {name}"))
}

pub fn certificate_not_found(arn: &str) -> AwsError {
    g::certificate_not_found_exception(format!("Certificate '{arn}' not found"))
}

pub fn subnet_not_found(id: &str) -> AwsError {
    g::subnet_not_found_exception(format!("One or more subnets not found: {id}"))
}

pub fn invalid_subnet(msg: impl Into<String>) -> AwsError {
    g::invalid_subnet_exception(msg)
}

pub fn invalid_security_group(id: &str) -> AwsError {
    g::invalid_security_group_exception(format!("One or more security groups are invalid: {id}"))
}

pub fn unsupported_protocol(p: &str) -> AwsError {
    g::unsupported_protocol_exception(format!("Protocol '{p}' is not supported"))
}

pub fn too_many_lbs(max: usize) -> AwsError {
    g::too_many_access_points_exception(format!(
        "Exceeded quota of account: the maximum of {max} load balancers is reached"
    ))
}

pub fn duplicate_tag_keys(key: &str) -> AwsError {
    g::duplicate_tag_keys_exception(format!("Duplicate tag key '{key}'"))
}
