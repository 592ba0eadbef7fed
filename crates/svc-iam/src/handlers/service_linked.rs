//! Service-linked roles (`CreateServiceLinkedRole`, `DeleteServiceLinkedRole`,
//! `GetServiceLinkedRoleDeletionStatus`): roles a service defines, under
//! `/aws-service-role/{service}/`, trusting only that service and holding the service's
//! AWS managed policy from the catalogue
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html>).
//! Customers may not change them: `DeleteRole`, `UpdateAssumeRolePolicy` and the policy
//! calls answer `UnmodifiableEntity` ([`protected`]). Deletion is a task: Nimbus's services
//! do not use these roles yet (Auto Scaling and Elastic Load Balancing are not here), so a
//! task always finds the role unused and succeeds at once; it is kept for the status call.

use crate::errors;
use crate::generated::*;
use crate::managed;
use crate::model::{DeletionRec, RoleRec};
use crate::persist::{Change, Op};
use crate::render;
use crate::state::Iam;
use crate::validate::Checker;
use nimbus_core::{AwsError, RequestContext};

/// A service that has a service-linked role: its principal, the role's name, its managed
/// policy (under `/aws-service-role/` in the catalogue), and whether a custom suffix is
/// allowed (each service's documentation says).
struct Linked {
    service: &'static str,
    role: &'static str,
    policy: &'static str,
    suffix: bool,
}

const SERVICES: &[Linked] = &[
    Linked {
        service: "autoscaling.amazonaws.com",
        role: "AWSServiceRoleForAutoScaling",
        policy: "AutoScalingServiceRolePolicy",
        suffix: true,
    },
    Linked {
        service: "elasticloadbalancing.amazonaws.com",
        role: "AWSServiceRoleForElasticLoadBalancing",
        policy: "AWSElasticLoadBalancingServiceRolePolicy",
        suffix: false,
    },
    Linked {
        service: "spot.amazonaws.com",
        role: "AWSServiceRoleForEC2Spot",
        policy: "AWSEC2SpotServiceRolePolicy",
        suffix: false,
    },
    Linked {
        service: "ec2fleet.amazonaws.com",
        role: "AWSServiceRoleForEC2Fleet",
        policy: "AWSEC2FleetServiceRolePolicy",
        suffix: false,
    },
    Linked {
        service: "ecs.amazonaws.com",
        role: "AWSServiceRoleForECS",
        policy: "AmazonECSServiceRolePolicy",
        suffix: false,
    },
    Linked {
        service: "rds.amazonaws.com",
        role: "AWSServiceRoleForRDS",
        policy: "AmazonRDSServiceRolePolicy",
        suffix: false,
    },
    Linked {
        service: "ssm.amazonaws.com",
        role: "AWSServiceRoleForAmazonSSM",
        policy: "AmazonSSMServiceRolePolicy",
        suffix: false,
    },
    Linked {
        service: "events.amazonaws.com",
        role: "AWSServiceRoleForCloudWatchEvents",
        policy: "CloudWatchEventsServiceRolePolicy",
        suffix: false,
    },
    Linked {
        service: "support.amazonaws.com",
        role: "AWSServiceRoleForSupport",
        policy: "AWSSupportServiceRolePolicy",
        suffix: false,
    },
    Linked {
        service: "trustedadvisor.amazonaws.com",
        role: "AWSServiceRoleForTrustedAdvisor",
        policy: "AWSTrustedAdvisorServiceRolePolicy",
        suffix: false,
    },
];

const PATH_PREFIX: &str = "/aws-service-role/";

/// `UnmodifiableEntity` for a service-linked role, `Ok` for any other.
pub fn protected(r: &RoleRec) -> Result<(), AwsError> {
    if r.path.starts_with(PATH_PREFIX) {
        return Err(errors::unmodifiable(format!(
            "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
            r.name
        )));
    }
    Ok(())
}

fn trust(service: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

pub(super) async fn create_service_linked_role(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreateServiceLinkedRoleRequest,
) -> Result<CreateServiceLinkedRoleResponse, AwsError> {
    let mut c = Checker::new();
    c.description(input.description.as_deref());
    if let Some(s) = &input.custom_suffix {
        c.name("customSuffix", s, 64);
    }
    c.done()?;
    let linked = SERVICES
        .iter()
        .find(|l| l.service == input.aws_service_name)
        .ok_or_else(|| {
            errors::invalid_input(format!(
                "Unrecognized service principal: {}",
                input.aws_service_name
            ))
        })?;
    let name = match input.custom_suffix.as_deref() {
        Some(_) if !linked.suffix => {
            return Err(errors::invalid_input(format!(
                "Custom suffix is not allowed for {}",
                linked.service
            )))
        }
        Some(s) => format!("{}_{s}", linked.role),
        None => linked.role.to_string(),
    };
    let policy = managed::by_name(linked.policy)
        .ok_or_else(|| errors::invalid_input(format!("No policy for {}", linked.service)))?;
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        if acct.roles.contains_key(&name.to_ascii_lowercase()) {
            return Err(errors::invalid_input(format!(
                "Service role name {name} has been taken in this account, please try a different suffix."
            )));
        }
        if acct.roles.len() >= super::roles::MAX_ROLES {
            return Err(errors::quota("RolesPerAccount", super::roles::MAX_ROLES));
        }
        let r = RoleRec {
            account,
            name,
            id: iam.unique_id("AROA"),
            path: format!("{PATH_PREFIX}{}/", linked.service),
            created: now,
            trust: trust(linked.service),
            description: input.description,
            max_session: 3600,
            tags: Vec::new(),
            boundary: None,
            attached: vec![policy.arn()],
            inline: Vec::new(),
        };
        let mut role = render::role(&r, true);
        role.role_last_used = None;
        Ok((
            Change::one(Op::PutRole(r)),
            CreateServiceLinkedRoleResponse { role: Some(role) },
        ))
    })
    .await
}

pub(super) async fn delete_service_linked_role(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteServiceLinkedRoleRequest,
) -> Result<DeleteServiceLinkedRoleResponse, AwsError> {
    Checker::new()
        .name("roleName", &input.role_name, 64)
        .done()?;
    let account = ctx.account_id().to_string();
    let task = iam.ids.request_id();
    iam.mutate(ctx, |_, acct| {
        let r = acct.role(&input.role_name)?;
        let Some(service) = r
            .path
            .strip_prefix(PATH_PREFIX)
            .and_then(|p| p.strip_suffix('/'))
        else {
            return Err(errors::no_such_entity(format!(
                "The role with name {} is not a service-linked role.",
                r.name
            )));
        };
        let id = format!("task{PATH_PREFIX}{service}/{}/{task}", r.name);
        let mut change = Change::one(Op::DeleteRole(r.account.clone(), r.name.clone()));
        change.push(Op::PutDeletion(DeletionRec {
            account,
            id: id.clone(),
            status: "SUCCEEDED".into(),
        }));
        Ok((
            change,
            DeleteServiceLinkedRoleResponse {
                deletion_task_id: id,
            },
        ))
    })
    .await
}

pub(super) async fn get_service_linked_role_deletion_status(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetServiceLinkedRoleDeletionStatusRequest,
) -> Result<GetServiceLinkedRoleDeletionStatusResponse, AwsError> {
    iam.read(ctx, |_, acct| {
        let d = acct.deletions.get(&input.deletion_task_id).ok_or_else(|| {
            errors::no_such_entity(format!(
                "Deletion task {} not found.",
                input.deletion_task_id
            ))
        })?;
        Ok(GetServiceLinkedRoleDeletionStatusResponse {
            status: d.status.clone(),
            reason: None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_policy_is_in_the_catalogue_under_aws_service_role() {
        for l in SERVICES {
            let p = managed::by_name(l.policy).unwrap_or_else(|| panic!("{}", l.policy));
            assert_eq!(p.path, PATH_PREFIX, "{}", l.policy);
        }
    }
}
