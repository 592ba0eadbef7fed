//! An instance's IAM instance profile after launch: `AssociateIamInstanceProfile` (one
//! association per instance), `DisassociateIamInstanceProfile` and
//! `ReplaceIamInstanceProfileAssociation` by association id. The profile is checked against
//! IAM as `RunInstances` checks it; each association gets a new `iip-assoc-` id. The answer
//! shows the transitional state (`associating`, `disassociating`) as AWS does; the change is
//! in effect at once (IMDS serves the new profile on the next request).

use super::inst_lifecycle::{named, visible};
use crate::generated::*;
use crate::inst_errors;
use crate::inst_records::*;
use crate::state::{scope_key, Ec2};
use nimbus_core::{AwsError, RequestContext};
use std::sync::Arc;

fn association(rec: &InstanceRec, p: &ProfileRec, state: &str) -> IamInstanceProfileAssociation {
    IamInstanceProfileAssociation {
        association_id: Some(p.association_id.clone()),
        instance_id: Some(rec.instance_id.clone()),
        iam_instance_profile: Some(IamInstanceProfile {
            arn: Some(p.arn.clone()),
            id: Some(p.id.clone()),
        }),
        state: Some(state.into()),
        timestamp: Some(p.associated_at),
    }
}

fn by_association(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Result<Arc<InstanceRec>, AwsError> {
    visible(ec2, ctx)
        .into_iter()
        .find(|i| !i.is_terminated() && i.profile.as_ref().is_some_and(|p| p.association_id == id))
        .ok_or_else(|| {
            AwsError::client(
                "InvalidAssociationID.NotFound",
                format!("An association ID '{id}' does not exist"),
            )
        })
}

fn new_profile(ec2: &Ec2, arn: String) -> ProfileRec {
    ProfileRec {
        arn,
        id: format!("AIPA{}", ec2.ids.upper_alnum(17)),
        association_id: ec2.ids.resource_id("iip-assoc"),
        associated_at: ec2.now(),
    }
}

async fn set(
    ec2: &Ec2,
    ctx: &RequestContext,
    rec: &InstanceRec,
    profile: Option<ProfileRec>,
) -> Result<(), AwsError> {
    let (a, r) = scope_key(ctx);
    ec2.update_instance(&a, &r, &rec.instance_id, |x| {
        x.profile = profile;
        true
    })
    .await?;
    Ok(())
}

pub(super) async fn associate(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: AssociateIamInstanceProfileRequest,
) -> Result<AssociateIamInstanceProfileResult, AwsError> {
    let rec = named(ec2, ctx, std::slice::from_ref(&input.instance_id))?.remove(0);
    if rec.is_terminated() || rec.state == SHUTTING_DOWN {
        return Err(inst_errors::cannot_from_state(
            &rec.instance_id,
            "associated",
        ));
    }
    if rec.profile.is_some() {
        return Err(AwsError::client(
            "IncorrectState",
            format!(
                "There is an existing association for instance {}",
                rec.instance_id
            ),
        ));
    }
    let p = &input.iam_instance_profile;
    let arn = ec2
        .check_profile(ctx.account_id(), p.arn.as_deref(), p.name.as_deref())?
        .ok_or_else(|| {
            crate::errors::missing_parameter(
                "The request must contain the parameter IamInstanceProfile.Arn or IamInstanceProfile.Name",
            )
        })?;
    let profile = new_profile(ec2, arn);
    set(ec2, ctx, &rec, Some(profile.clone())).await?;
    Ok(AssociateIamInstanceProfileResult {
        iam_instance_profile_association: Some(association(&rec, &profile, "associating")),
    })
}

pub(super) async fn disassociate(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DisassociateIamInstanceProfileRequest,
) -> Result<DisassociateIamInstanceProfileResult, AwsError> {
    let rec = by_association(ec2, ctx, &input.association_id)?;
    let old = rec
        .profile
        .clone()
        .ok_or_else(|| AwsError::internal("no profile"))?;
    set(ec2, ctx, &rec, None).await?;
    Ok(DisassociateIamInstanceProfileResult {
        iam_instance_profile_association: Some(association(&rec, &old, "disassociating")),
    })
}

pub(super) async fn replace(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ReplaceIamInstanceProfileAssociationRequest,
) -> Result<ReplaceIamInstanceProfileAssociationResult, AwsError> {
    let rec = by_association(ec2, ctx, &input.association_id)?;
    let p = &input.iam_instance_profile;
    let arn = ec2
        .check_profile(ctx.account_id(), p.arn.as_deref(), p.name.as_deref())?
        .ok_or_else(|| {
            crate::errors::missing_parameter(
                "The request must contain the parameter IamInstanceProfile.Arn or IamInstanceProfile.Name",
            )
        })?;
    let profile = new_profile(ec2, arn);
    set(ec2, ctx, &rec, Some(profile.clone())).await?;
    Ok(ReplaceIamInstanceProfileAssociationResult {
        iam_instance_profile_association: Some(association(&rec, &profile, "associating")),
    })
}
