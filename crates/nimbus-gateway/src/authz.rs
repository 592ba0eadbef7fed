//! The authorization hook. Every call reaches [`Authorizer::authorize`] with its IAM action
//! (`ec2:CreateSecurityGroup`) after authentication and before the handler runs. Until IAM
//! lands the binary installs [`AllowAll`]; the IAM policy evaluator will implement this trait.

use nimbus_core::{AwsError, RequestContext};
use std::fmt;

/// An IAM action, `<prefix>:<Operation>`, kept as its two parts so that the hook costs no
/// allocation per request; `Display` renders the joined form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action<'a> {
    /// The service's IAM prefix (`ec2`, `s3`, `cloudwatch`).
    pub service: &'a str,
    /// The operation name (`CreateSecurityGroup`).
    pub operation: &'a str,
}

impl fmt::Display for Action<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service, self.operation)
    }
}

pub trait Authorizer: Send + Sync + 'static {
    fn authorize(&self, ctx: &RequestContext, action: Action<'_>) -> Result<(), AwsError>;
}

/// Allows everything: the state before the IAM policy evaluator exists.
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize(&self, _ctx: &RequestContext, _action: Action<'_>) -> Result<(), AwsError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_renders_as_iam_does() {
        let a = Action {
            service: "ec2",
            operation: "CreateSecurityGroup",
        };
        assert_eq!(a.to_string(), "ec2:CreateSecurityGroup");
    }
}
