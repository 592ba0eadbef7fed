//! The errors of key pairs, images, instance types and launch templates, one constructor per
//! AWS error code and wording (EC2 API reference, "Error codes"; message shapes as EC2 words
//! them where known), kept apart from `errors` (networking) so each area owns its wording.

use nimbus_core::AwsError;

pub fn key_pair_duplicate(name: &str) -> AwsError {
    AwsError::client(
        "InvalidKeyPair.Duplicate",
        format!("The keypair '{name}' already exists."),
    )
}

pub fn key_pair_not_found(name: &str) -> AwsError {
    AwsError::client(
        "InvalidKeyPair.NotFound",
        format!("The key pair '{name}' does not exist"),
    )
}

pub fn key_pair_id_not_found(id: &str) -> AwsError {
    AwsError::client(
        "InvalidKeyPair.NotFound",
        format!("The key pair ID '{id}' does not exist"),
    )
}

pub fn key_format() -> AwsError {
    AwsError::client(
        "InvalidKeyPair.Format",
        "Key is not in valid OpenSSH public key format",
    )
}

pub fn rsa_key_length(bits: usize) -> AwsError {
    AwsError::client(
        "InvalidKeyPair.Format",
        format!("Invalid RSA key length {bits}. Supported lengths are 1024 to 4096 bits."),
    )
}

pub fn instance_type_invalid(name: &str) -> AwsError {
    AwsError::client(
        "InvalidInstanceType",
        format!("The following supplied instance types do not exist: [{name}]"),
    )
}

pub fn ami_not_found(ids: &[&str]) -> AwsError {
    let list = ids.join(", ");
    let (s, verb) = if ids.len() == 1 { ("", "does") } else { ("s", "do") };
    AwsError::client(
        "InvalidAMIID.NotFound",
        format!("The image id{s} '[{list}]' {verb} not exist"),
    )
}

pub fn ami_malformed(id: &str) -> AwsError {
    AwsError::client(
        "InvalidAMIID.Malformed",
        format!("Invalid id: \"{id}\" (expecting \"ami-...\")"),
    )
}

pub fn ami_name_duplicate(name: &str, other: &str) -> AwsError {
    AwsError::client(
        "InvalidAMIName.Duplicate",
        format!("AMI name {name} is already in use by AMI {other}"),
    )
}

pub fn template_name_exists() -> AwsError {
    AwsError::client(
        "InvalidLaunchTemplateName.AlreadyExistsException",
        "Launch template name already in use.",
    )
}

pub fn template_id_not_found(id: &str) -> AwsError {
    AwsError::client(
        "InvalidLaunchTemplateId.NotFound",
        format!("The specified launch template, with template ID {id}, does not exist."),
    )
}

pub fn template_id_malformed(id: &str) -> AwsError {
    AwsError::client(
        "InvalidLaunchTemplateId.Malformed",
        format!("The specified ID for the launch template is not valid. Specify the ID in the form 'lt-<17 hexadecimal characters>'. ({id})"),
    )
}

pub fn template_name_not_found(name: &str) -> AwsError {
    AwsError::client(
        "InvalidLaunchTemplateName.NotFoundException",
        format!("The specified launch template, with template name {name}, does not exist."),
    )
}

pub fn template_version_not_found(version: &str, template_id: &str) -> AwsError {
    AwsError::client(
        "InvalidLaunchTemplateId.VersionNotFound",
        format!("Could not find launch template version {version} for launch template ID {template_id}"),
    )
}
