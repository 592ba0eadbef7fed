//! The IAM errors this crate answers with, one constructor per condition, so that every
//! handler words the same condition the same way. Codes and HTTP statuses are the model's
//! (`generated::errors`); the wording follows what IAM answers (see the error lists of
//! each action in <https://docs.aws.amazon.com/IAM/latest/APIReference/>). This module
//! only builds [`AwsError`]s; it decides nothing.

use crate::generated::errors as g;
use nimbus_core::AwsError;

pub fn no_such_user(name: &str) -> AwsError {
    g::no_such_entity_exception(format!("The user with name {name} cannot be found."))
}

pub fn no_such_group(name: &str) -> AwsError {
    g::no_such_entity_exception(format!("The group with name {name} cannot be found."))
}

pub fn no_such_role(name: &str) -> AwsError {
    g::no_such_entity_exception(format!("The role with name {name} cannot be found."))
}

/// A policy ARN that names no policy this account can see (`GetPolicy` and friends).
pub fn no_such_policy(arn: &str) -> AwsError {
    g::no_such_entity_exception(format!("Policy {arn} was not found."))
}

/// A policy ARN that cannot be attached (`Attach*Policy`).
pub fn not_attachable(arn: &str) -> AwsError {
    g::no_such_entity_exception(format!("Policy {arn} does not exist or is not attachable."))
}

/// A permissions boundary ARN that names no managed policy.
pub fn no_such_boundary(arn: &str) -> AwsError {
    g::no_such_entity_exception(format!(
        "Scope ARN: {arn} does not exist or is not attachable."
    ))
}

pub fn no_such_version(arn: &str, version: &str) -> AwsError {
    g::no_such_entity_exception(format!(
        "Policy {arn} version {version} does not exist or is not attachable."
    ))
}

pub fn not_attached(arn: &str) -> AwsError {
    g::no_such_entity_exception(format!("Policy {arn} was not found."))
}

/// An inline policy that does not exist; `kind` is `user`, `group` or `role`.
pub fn no_such_inline(kind: &str, name: &str) -> AwsError {
    g::no_such_entity_exception(format!(
        "The {kind} policy with name {name} cannot be found."
    ))
}

/// `GetAccountPasswordPolicy` before any policy was set.
pub fn no_password_policy(account: &str) -> AwsError {
    g::no_such_entity_exception(format!(
        "The Password Policy with domain name {account} cannot be found."
    ))
}

/// A user without a console password (`GetLoginProfile`, `UpdateLoginProfile`, ...).
pub fn no_login_profile(user: &str) -> AwsError {
    g::no_such_entity_exception(format!("Login Profile for User {user} cannot be found."))
}

pub fn login_profile_exists(user: &str) -> AwsError {
    g::entity_already_exists_exception(format!("Login Profile for user {user} already exists."))
}

/// A password the account's password policy rejects.
pub fn password_violation(message: impl Into<String>) -> AwsError {
    g::password_policy_violation_exception(message)
}

/// `ChangePassword` by a caller that is not an IAM user (the root, an assumed role).
pub fn not_an_iam_user() -> AwsError {
    g::invalid_user_type_exception("Only IAM users can change their own password.")
}

/// `ChangePassword` with an `OldPassword` that is not the current one.
pub fn wrong_old_password() -> AwsError {
    g::invalid_user_type_exception("The old password is incorrect.")
}

pub fn no_such_profile(name: &str) -> AwsError {
    g::no_such_entity_exception(format!("Instance Profile {name} cannot be found."))
}

pub fn profile_exists(name: &str) -> AwsError {
    g::entity_already_exists_exception(format!("Instance Profile {name} already exists."))
}

pub fn no_such_key(id: &str) -> AwsError {
    g::no_such_entity_exception(format!("The Access Key with id {id} cannot be found."))
}

/// A serial number that names no virtual MFA device of the account.
pub fn no_such_mfa(serial: &str) -> AwsError {
    g::no_such_entity_exception(format!(
        "VirtualMFADevice with serial number {serial} doesn't exist."
    ))
}

/// A device that exists but is not enabled for the user named (Deactivate, Resync).
pub fn mfa_not_enabled(serial: &str, user: &str) -> AwsError {
    g::no_such_entity_exception(format!(
        "MFA Device with serial number {serial} is not enabled for user {user}."
    ))
}

pub fn mfa_exists() -> AwsError {
    g::entity_already_exists_exception("MFADevice entity at the same path and name already exists.")
}

/// `EnableMFADevice` on a device already enabled (for this user or another).
pub fn mfa_in_use() -> AwsError {
    g::entity_already_exists_exception("MFA Device is already in use.")
}

/// Codes that are not the device's codes for now (or not two consecutive ones).
pub fn invalid_auth_code() -> AwsError {
    g::invalid_authentication_code_exception("Authentication code for device is not valid.")
}

/// `kind` is `User`, `Group` or `Role`.
pub fn already_exists(kind: &str, name: &str) -> AwsError {
    g::entity_already_exists_exception(format!("{kind} with name {name} already exists."))
}

pub fn policy_exists(name: &str) -> AwsError {
    g::entity_already_exists_exception(format!(
        "A policy called {name} already exists. Duplicate names are not allowed."
    ))
}

pub fn delete_conflict(message: &str) -> AwsError {
    g::delete_conflict_exception(message.to_string())
}

/// A user, group or role can be deleted only once it holds no inline and no attached
/// policies (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html>);
/// IAM names the inline ones first.
pub fn unless_policies_gone<I, A>(inline: &[I], attached: &[A]) -> Result<(), AwsError> {
    if !inline.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must delete policies first.",
        ));
    }
    if !attached.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    Ok(())
}

pub fn limit(message: impl Into<String>) -> AwsError {
    g::limit_exceeded_exception(message)
}

/// `Cannot exceed quota for {quota}: {n}`, IAM's wording for every entity quota.
pub fn quota(quota: &str, n: usize) -> AwsError {
    limit(format!("Cannot exceed quota for {quota}: {n}"))
}

pub fn invalid_input(message: impl Into<String>) -> AwsError {
    g::invalid_input_exception(message)
}

pub fn malformed_policy(message: impl Into<String>) -> AwsError {
    g::malformed_policy_document_exception(message)
}

/// A model constraint failed; `details` are AWS's `Value '...' at '...' failed to satisfy
/// constraint: ...` phrases, joined the way AWS joins them.
pub fn validation(details: &[String]) -> AwsError {
    let n = details.len();
    let s = if n == 1 { "" } else { "s" };
    AwsError::client(
        "ValidationError",
        format!("{n} validation error{s} detected: {}", details.join("; ")),
    )
}

pub fn validation_message(message: impl Into<String>) -> AwsError {
    AwsError::client("ValidationError", message)
}

/// `GetCredentialReport` before any `GenerateCredentialReport` (410 `ReportNotPresent`).
pub fn report_not_present() -> AwsError {
    g::credential_report_not_present_exception(
        "The credential report does not exist. To generate a credential report, use GenerateCredentialReport.",
    )
}

/// `GetCredentialReport` for a report older than four hours (410 `ReportExpired`).
pub fn report_expired() -> AwsError {
    g::credential_report_expired_exception(
        "The most recent credential report has expired. To generate a new credential report, use GenerateCredentialReport.",
    )
}

pub fn no_such_entity(message: impl Into<String>) -> AwsError {
    g::no_such_entity_exception(message)
}

pub fn already_exists_message(message: impl Into<String>) -> AwsError {
    g::entity_already_exists_exception(message)
}

/// A change to something only AWS may change (a service-linked role).
pub fn unmodifiable(message: impl Into<String>) -> AwsError {
    g::unmodifiable_entity_exception(message)
}
