//! Classic Load Balancers of a group (`LoadBalancerNames` at creation,
//! `Attach`/`Detach`/`DescribeLoadBalancers`): a group's InService instances register with
//! them as with its target groups (through the same [`crate::deps::TargetGroups`]
//! dependency, which tells a balancer name from a target group ARN), are deregistered (with
//! connection draining honoured) before they terminate, and ELB health checks read the
//! balancer's instance health. A balancer reads `InService` once one of the group's
//! instances is in service on it, `Added` before.

use super::common::{live_group, max_records, page};
use crate::errors;
use crate::generated::*;
use crate::persist::{Change, Op};
use crate::state::AutoScaling;
use nimbus_core::{AwsError, RequestContext};

/// "Classic Load Balancers per Auto Scaling group: 50".
const MAX_LOAD_BALANCERS: usize = 50;

pub(crate) fn check_load_balancers(
    svc: &AutoScaling,
    account: &str,
    region: &str,
    names: &[String],
) -> Result<(), AwsError> {
    for n in names {
        if n.starts_with("arn:") || !svc.deps.target_groups.exists(account, region, n) {
            return Err(errors::validation(
                "Provided Load Balancers may not be valid. Please ensure they exist and try again.",
            ));
        }
    }
    Ok(())
}

pub(super) async fn attach(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: AttachLoadBalancersType,
) -> Result<AttachLoadBalancersResultType, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    if input.load_balancer_names.len() > 10 {
        return Err(errors::validation(
            "You can attach up to 10 load balancers per call.",
        ));
    }
    check_load_balancers(svc, &account, &region, &input.load_balancer_names)?;
    super::misc::attach_to_group(
        svc,
        &account,
        &region,
        &input.auto_scaling_group_name,
        &input.load_balancer_names,
        |g| &mut g.load_balancers,
        MAX_LOAD_BALANCERS,
        "load balancers",
    )
    .await?;
    Ok(AttachLoadBalancersResultType {})
}

pub(super) async fn detach(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DetachLoadBalancersType,
) -> Result<DetachLoadBalancersResultType, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let (removed, ids) = svc
        .mutate(&account, &region, |scope| {
            let mut g = live_group(scope, &input.auto_scaling_group_name)?;
            let removed: Vec<String> = input
                .load_balancer_names
                .iter()
                .filter(|n| g.load_balancers.contains(n))
                .cloned()
                .collect();
            g.load_balancers.retain(|n| !removed.contains(n));
            let ids: Vec<String> = g.instances.iter().map(|i| i.id.clone()).collect();
            Ok((Change::one(Op::PutGroup(g)), (removed, ids)))
        })
        .await?;
    for n in &removed {
        for id in &ids {
            svc.deps.target_groups.deregister(&account, &region, n, id);
        }
    }
    Ok(DetachLoadBalancersResultType {})
}

pub(super) fn describe(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeLoadBalancersRequest,
) -> Result<DescribeLoadBalancersResponse, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let size = max_records(input.max_records, 100, 100)?;
    let name = &input.auto_scaling_group_name;
    let (lbs, serving) = svc.read(&account, &region, |scope| {
        let g = scope.group(name).ok_or_else(|| errors::no_group(name))?;
        let serving: Vec<String> = g
            .instances
            .iter()
            .filter(|i| i.lifecycle == "InService")
            .map(|i| i.id.clone())
            .collect();
        Ok::<_, AwsError>((g.load_balancers.clone(), serving))
    })?;
    let items = lbs
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let healthy = serving.iter().any(|id| {
                svc.deps.target_groups.health(&account, &region, &n, id)
                    == crate::deps::TargetHealth::Healthy
            });
            (
                format!("{i:06}"),
                LoadBalancerState {
                    load_balancer_name: Some(n),
                    state: Some(if healthy { "InService" } else { "Added" }.into()),
                },
            )
        })
        .collect();
    let (list, next_token) = page(items, input.next_token.as_deref(), size)?;
    Ok(DescribeLoadBalancersResponse {
        load_balancers: Some(list),
        next_token,
    })
}
