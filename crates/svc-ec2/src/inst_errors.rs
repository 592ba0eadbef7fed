//! The errors of the instance API, one constructor per AWS error code and wording (EC2 API
//! reference, "Error codes"): unknown and malformed instance and volume ids, calls refused in
//! the instance's current state, protections (`disableApiTermination`, `disableApiStop`), and
//! a host that cannot run instances.

use nimbus_core::AwsError;

fn quoted_list(ids: &[&str]) -> String {
    ids.join(", ")
}

/// `InvalidInstanceID.NotFound`.
pub fn instance_not_found(ids: &[&str]) -> AwsError {
    let msg = if ids.len() == 1 {
        format!("The instance ID '{}' does not exist", ids[0])
    } else {
        format!("The instance IDs '{}' do not exist", quoted_list(ids))
    };
    AwsError::client("InvalidInstanceID.NotFound", msg)
}

/// `InvalidInstanceID.Malformed`.
pub fn instance_malformed(id: &str) -> AwsError {
    AwsError::client(
        "InvalidInstanceID.Malformed",
        format!("Invalid id: \"{id}\""),
    )
}

/// `InvalidVolume.NotFound`.
pub fn volume_not_found(ids: &[&str]) -> AwsError {
    let msg = if ids.len() == 1 {
        format!("The volume '{}' does not exist.", ids[0])
    } else {
        format!("The volumes '{}' do not exist.", quoted_list(ids))
    };
    AwsError::client("InvalidVolume.NotFound", msg)
}

/// `InvalidVolumeID.Malformed`.
pub fn volume_malformed(id: &str) -> AwsError {
    AwsError::client(
        "InvalidVolumeID.Malformed",
        format!("Invalid id: \"{id}\" (expecting \"vol-...\")"),
    )
}

/// `IncorrectInstanceState` for a call that cannot start from the instance's state
/// (`verb`: started, stopped, rebooted …).
pub fn cannot_from_state(id: &str, verb: &str) -> AwsError {
    AwsError::client(
        "IncorrectInstanceState",
        format!("The instance '{id}' is not in a state from which it can be {verb}."),
    )
}

/// `DeleteVolume` of a volume still attached to an instance.
pub fn volume_in_use(volume_id: &str, instance_id: &str) -> AwsError {
    AwsError::client(
        "VolumeInUse",
        format!("Volume {volume_id} is currently attached to {instance_id}"),
    )
}

/// The running On-Demand Standard vCPU quota (`limit`) does not leave room for the launch.
pub fn vcpu_limit_exceeded(limit: u32) -> AwsError {
    AwsError::client(
        "VcpuLimitExceeded",
        format!("You have requested more vCPU capacity than your current vCPU limit of {limit} allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit."),
    )
}

/// `IncorrectInstanceState` for an instance on its way out (`AssociateAddress`).
pub fn not_valid_for_operation(id: &str) -> AwsError {
    AwsError::client(
        "IncorrectInstanceState",
        format!("The instance '{id}' is not in a valid state for this operation."),
    )
}

/// `IncorrectInstanceState` for a change allowed only in `state` (`stopped`).
pub fn not_in_state(id: &str, state: &str) -> AwsError {
    AwsError::client(
        "IncorrectInstanceState",
        format!("The instance '{id}' is not in the '{state}' state."),
    )
}

/// `OperationNotPermitted` for a protected instance (`terminated` / `stopped`, attribute
/// `disableApiTermination` / `disableApiStop`).
pub fn protected(id: &str, verb: &str, attribute: &str) -> AwsError {
    AwsError::client(
        "OperationNotPermitted",
        format!("The instance '{id}' may not be {verb}. Modify its '{attribute}' instance attribute and try again."),
    )
}

/// `Unsupported`: this Nimbus cannot run instances on this host (the reason says why).
pub fn no_host(reason: &str) -> AwsError {
    AwsError::client(
        "Unsupported",
        format!("Nimbus cannot run instances on this host: {reason}"),
    )
}
