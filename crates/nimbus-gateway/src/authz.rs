//! The authorization hook. Every call reaches [`Authorizer::authorize`] with its IAM action
//! (`ec2:CreateSecurityGroup`) after authentication and before the handler runs. Until IAM
//! lands the binary installs [`AllowAll`]; the IAM policy evaluator will implement this trait.

use nimbus_core::{AwsError, RequestContext};

pub trait Authorizer: Send + Sync + 'static {
    /// `action` is `<iam prefix>:<OperationName>`.
    fn authorize(&self, ctx: &RequestContext, action: &str) -> Result<(), AwsError>;
}

/// Allows everything: the state before the IAM policy evaluator exists.
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize(&self, _ctx: &RequestContext, _action: &str) -> Result<(), AwsError> {
        Ok(())
    }
}
