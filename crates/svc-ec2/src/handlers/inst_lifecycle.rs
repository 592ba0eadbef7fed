//! Reading and moving instances: `DescribeInstances` (EC2's filters and paging, grouped
//! into reservations), `DescribeInstanceStatus` (status checks `initializing` → `ok`,
//! `impaired` when the guest's init died; running instances only unless
//! `IncludeAllInstances`), and `Start`/`Stop`/`Reboot`/`TerminateInstances`: each checks every
//! id first (all or nothing), refuses protected instances and wrong states with AWS's errors,
//! records the new state durably with its reason, answers the state change, and leaves the
//! host work to the instance's drive (`instances`). Terminated instances stay visible for an
//! hour of Nimbus time.

use super::check_dry_run;
use super::inst_render;
use crate::filters::{self, Parsed};
use crate::generated::*;
use crate::inst_errors;
use crate::inst_records::*;
use crate::state::{is_resource_id, scope_key, Ec2};
use nimbus_core::{AwsError, RequestContext};
use std::sync::Arc;

/// Checks id shapes (`i-` + 8 or 17 hex).
pub(super) fn check_instance_ids(ids: &[String]) -> Result<(), AwsError> {
    match ids.iter().find(|id| !is_resource_id(id, "i-")) {
        Some(bad) => Err(inst_errors::instance_malformed(bad)),
        None => Ok(()),
    }
}

/// The visible instances of the caller's scope (terminated ones for an hour), by id.
pub(super) fn visible(ec2: &Ec2, ctx: &RequestContext) -> Vec<Arc<InstanceRec>> {
    let now = ec2.now();
    ec2.defs.read(|st| {
        st.instances_of(ctx.account_id(), &ctx.region)
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|i| {
                i.terminated_at
                    .is_none_or(|t| now.0 - t.0 <= TERMINATED_VISIBLE_MS)
            })
            .cloned()
            .collect()
    })
}

/// The named instances (all must exist), in the order asked.
pub(super) fn named(
    ec2: &Ec2,
    ctx: &RequestContext,
    ids: &[String],
) -> Result<Vec<Arc<InstanceRec>>, AwsError> {
    check_instance_ids(ids)?;
    let all = visible(ec2, ctx);
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for id in ids {
        match all.iter().find(|i| &i.instance_id == id) {
            Some(i) => {
                if !out.iter().any(|o: &Arc<InstanceRec>| &o.instance_id == id) {
                    out.push(i.clone())
                }
            }
            None => missing.push(id.as_str()),
        }
    }
    if !missing.is_empty() {
        return Err(inst_errors::instance_not_found(&missing));
    }
    Ok(out)
}

const FILTERS: &[&str] = &[
    "instance-id",
    "instance-state-name",
    "instance-state-code",
    "vpc-id",
    "subnet-id",
    "image-id",
    "instance-type",
    "private-ip-address",
    "ip-address",
    "key-name",
    "availability-zone",
    "instance.group-id",
    "instance.group-name",
    "group-id",
    "group-name",
    "reservation-id",
    "private-dns-name",
    "dns-name",
    "network-interface.network-interface-id",
    "iam-instance-profile.arn",
    "architecture",
    "root-device-type",
    "monitoring-state",
    "owner-id",
];

fn matches(ec2: &Ec2, i: &InstanceRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&i.tags) {
        return m;
    }
    let code = state_code(&i.state).to_string();
    match f.name.as_str() {
        "instance-id" => f.matches(&i.instance_id),
        "instance-state-name" => f.matches(&i.state),
        "instance-state-code" => f.matches(&code),
        "vpc-id" => f.matches(&i.vpc_id),
        "subnet-id" => f.matches(&i.subnet_id),
        "image-id" => f.matches(&i.image_id),
        "instance-type" => f.matches(&i.instance_type),
        "private-ip-address" => f.matches(&i.private_ip),
        "ip-address" => i.shown_public_ip().is_some_and(|p| f.matches(p)),
        "key-name" => i.key_name.as_deref().is_some_and(|k| f.matches(k)),
        "availability-zone" => f.matches(&i.az),
        "instance.group-id" | "group-id" => f.matches_any(i.group_ids.iter().map(String::as_str)),
        "instance.group-name" | "group-name" => {
            let g = inst_render::groups(ec2, i);
            f.matches_any(g.iter().filter_map(|g| g.group_name.as_deref()))
        }
        "reservation-id" => f.matches(&i.reservation_id),
        "private-dns-name" => f.matches(&i.private_dns()),
        "dns-name" => i.public_dns().is_some_and(|d| f.matches(&d)),
        "network-interface.network-interface-id" => f.matches(&i.eni_id),
        "iam-instance-profile.arn" => i.profile.as_ref().is_some_and(|p| f.matches(&p.arn)),
        "architecture" => f.matches(&i.architecture),
        "root-device-type" => f.matches("ebs"),
        "monitoring-state" => f.matches(if i.monitoring { "enabled" } else { "disabled" }),
        "owner-id" => f.matches(&i.account),
        _ => false,
    }
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeInstancesRequest,
) -> Result<DescribeInstancesResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let ids = input.instance_ids.unwrap_or_default();
    if !ids.is_empty() && input.max_results.is_some() {
        return Err(crate::errors::invalid_parameter_combination(
            "The parameter instancesSet cannot be used with the parameter maxResults",
        ));
    }
    filters::check_max_results(input.max_results, 5, 1000)?;
    let fs = filters::parse(input.filters, FILTERS, true)?;
    let base = if ids.is_empty() {
        visible(ec2, ctx)
    } else {
        named(ec2, ctx, &ids)?
    };
    let mut found: Vec<Arc<InstanceRec>> = base
        .into_iter()
        .filter(|i| fs.iter().all(|f| matches(ec2, i, f)))
        .collect();
    found.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
    let (page, next) = filters::paginate(
        found,
        |i| i.instance_id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeInstancesResult {
        reservations: Some(inst_render::reservations(ec2, &page)),
        next_token: next,
    })
}

fn summary(status: &str, name: &str) -> InstanceStatusSummary {
    InstanceStatusSummary {
        details: Some(vec![InstanceStatusDetails {
            name: Some(name.to_string()),
            status: Some(
                match status {
                    "ok" => "passed",
                    "impaired" => "failed",
                    "initializing" => "initializing",
                    _ => "not-applicable",
                }
                .into(),
            ),
            ..Default::default()
        }]),
        status: Some(status.to_string()),
    }
}

pub(super) async fn status(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeInstanceStatusRequest,
) -> Result<DescribeInstanceStatusResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let ids = input.instance_ids.unwrap_or_default();
    if !ids.is_empty() && input.max_results.is_some() {
        return Err(crate::errors::invalid_parameter_combination(
            "The parameter instancesSet cannot be used with the parameter maxResults",
        ));
    }
    filters::check_max_results(input.max_results, 5, 1000)?;
    let fs = filters::parse(
        input.filters,
        &[
            "availability-zone",
            "instance-state-name",
            "instance-state-code",
            "instance-status.status",
            "system-status.status",
            "instance-status.reachability",
            "system-status.reachability",
        ],
        false,
    )?;
    let all = input.include_all_instances.unwrap_or(false);
    let base = if ids.is_empty() {
        visible(ec2, ctx)
    } else {
        named(ec2, ctx, &ids)?
    };
    let now = ec2.now();
    let mut rows: Vec<(String, InstanceStatus)> = Vec::new();
    for i in base {
        if !all && i.state != RUNNING {
            continue;
        }
        let (inst, sys) = if i.state != RUNNING {
            ("not-applicable", "not-applicable")
        } else if i.impaired_since.is_some() {
            ("impaired", "ok")
        } else if i
            .running_since
            .is_some_and(|t| now.0 - t.0 >= STATUS_INIT_MS)
        {
            ("ok", "ok")
        } else {
            ("initializing", "initializing")
        };
        let code = state_code(&i.state).to_string();
        let reach = |s: &str| {
            match s {
                "ok" => "passed",
                "impaired" => "failed",
                other => other,
            }
            .to_string()
        };
        let keep = fs.iter().all(|f| match f.name.as_str() {
            "availability-zone" => f.matches(&i.az),
            "instance-state-name" => f.matches(&i.state),
            "instance-state-code" => f.matches(&code),
            "instance-status.status" => f.matches(inst),
            "system-status.status" => f.matches(sys),
            "instance-status.reachability" => f.matches(&reach(inst)),
            "system-status.reachability" => f.matches(&reach(sys)),
            _ => false,
        });
        if !keep {
            continue;
        }
        rows.push((
            i.instance_id.clone(),
            InstanceStatus {
                availability_zone: Some(i.az.clone()),
                instance_id: Some(i.instance_id.clone()),
                instance_state: Some(inst_render::state(&i.state)),
                instance_status: Some(summary(inst, "reachability")),
                system_status: Some(summary(sys, "reachability")),
                ..Default::default()
            },
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next) = filters::paginate(
        rows,
        |r| r.0.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeInstanceStatusResult {
        instance_statuses: Some(page.into_iter().map(|r| r.1).collect()),
        next_token: next,
    })
}

/// What an API call asks of each instance.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Start,
    Stop,
    Terminate,
}

/// Applies `op` to every named instance (each checked before any changes), durably; then
/// starts their drives. Returns (id, previous state, current state).
async fn transition(
    ec2: &Ec2,
    account: &str,
    region: &str,
    recs: Vec<Arc<InstanceRec>>,
    op: Op,
    dry_run: Option<bool>,
) -> Result<Vec<InstanceStateChange>, AwsError> {
    for r in &recs {
        let id = r.instance_id.as_str();
        match op {
            Op::Start => {
                if matches!(r.state.as_str(), SHUTTING_DOWN | TERMINATED | STOPPING) {
                    return Err(inst_errors::cannot_from_state(id, "started"));
                }
            }
            Op::Stop => {
                if matches!(r.state.as_str(), SHUTTING_DOWN | TERMINATED) {
                    return Err(inst_errors::cannot_from_state(id, "stopped"));
                }
                if r.disable_api_stop && r.state != STOPPED {
                    return Err(inst_errors::protected(id, "stopped", "disableApiStop"));
                }
            }
            Op::Terminate => {
                if r.disable_api_termination && !r.is_terminated() {
                    return Err(inst_errors::protected(
                        id,
                        "terminated",
                        "disableApiTermination",
                    ));
                }
            }
        }
    }
    ec2.host()?;
    check_dry_run(dry_run)?;
    let now = ec2.now();
    let mut out = Vec::new();
    for r in recs {
        let id = r.instance_id.clone();
        let before = r.state.clone();
        // Started again: a new public address unless an Elastic IP holds it (as on AWS).
        let fresh_ip = if matches!(op, Op::Start) && r.state == STOPPED {
            Some(ec2.public_ip_on_start(&r)?)
        } else {
            None
        };
        let updated = ec2
            .update_instance(account, region, &id, |x| {
                let next = match (op, x.state.as_str()) {
                    (Op::Start, STOPPED) => PENDING,
                    (Op::Stop, PENDING | RUNNING) => STOPPING,
                    (Op::Terminate, PENDING | RUNNING | STOPPING | STOPPED) => SHUTTING_DOWN,
                    _ => return false,
                };
                x.state = next.into();
                if let (PENDING, Some(ip)) = (next, &fresh_ip) {
                    x.public_ip = ip.clone();
                }
                x.state_reason = match next {
                    PENDING => Some(("pending".into(), "pending".into())),
                    _ => Some((
                        "Client.UserInitiatedShutdown".into(),
                        "Client.UserInitiatedShutdown: User initiated shutdown".into(),
                    )),
                };
                x.state_transition_reason = if next == PENDING {
                    String::new()
                } else {
                    user_initiated(now)
                };
                true
            })
            .await?;
        let current = updated.as_ref().map_or(before.clone(), |u| u.state.clone());
        if let (Some(u), Some(ip)) = (&updated, fresh_ip) {
            if u.state == PENDING {
                ec2.sync_eni_public_ip(account, region, &u.eni_id, ip)
                    .await?;
            }
        }
        if updated.is_some() {
            ec2.spawn_drive(account, region, &id);
        }
        out.push(InstanceStateChange {
            instance_id: Some(id),
            current_state: Some(inst_render::state(&current)),
            previous_state: Some(inst_render::state(&before)),
        });
    }
    Ok(out)
}

pub(super) async fn start(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: StartInstancesRequest,
) -> Result<StartInstancesResult, AwsError> {
    let recs = named(ec2, ctx, &input.instance_ids)?;
    let (a, r) = scope_key(ctx);
    let changes = transition(ec2, &a, &r, recs, Op::Start, input.dry_run).await?;
    Ok(StartInstancesResult {
        starting_instances: Some(changes),
    })
}

pub(super) async fn stop(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: StopInstancesRequest,
) -> Result<StopInstancesResult, AwsError> {
    if input.hibernate == Some(true) {
        return Err(AwsError::client(
            "UnsupportedHibernationConfiguration",
            "The instance is not configured for hibernation.",
        ));
    }
    let recs = named(ec2, ctx, &input.instance_ids)?;
    let (a, r) = scope_key(ctx);
    let changes = transition(ec2, &a, &r, recs, Op::Stop, input.dry_run).await?;
    Ok(StopInstancesResult {
        stopping_instances: Some(changes),
    })
}

pub(super) async fn terminate(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: TerminateInstancesRequest,
) -> Result<TerminateInstancesResult, AwsError> {
    let recs = named(ec2, ctx, &input.instance_ids)?;
    let (a, r) = scope_key(ctx);
    let changes = transition(ec2, &a, &r, recs, Op::Terminate, input.dry_run).await?;
    Ok(TerminateInstancesResult {
        terminating_instances: Some(changes),
    })
}

pub(super) async fn reboot(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: RebootInstancesRequest,
) -> Result<(), AwsError> {
    let recs = named(ec2, ctx, &input.instance_ids)?;
    for r in &recs {
        if r.state != RUNNING && r.state != PENDING {
            return Err(inst_errors::not_in_state(&r.instance_id, RUNNING));
        }
    }
    let host = ec2.host()?;
    check_dry_run(input.dry_run)?;
    for r in recs {
        let h = host.clone();
        let id = r.instance_id.clone();
        // Reboots need no state change: the host kills and boots; the instance stays running.
        tokio::task::spawn_blocking(move || {
            if let Err(e) = h.reboot(&id) {
                tracing::warn!(target: "nimbus::ec2", instance = %id, "reboot failed: {e}");
            }
        });
    }
    Ok(())
}

impl Ec2 {
    /// Terminates `id` of (account, region) for a service (Auto Scaling); idempotent.
    pub async fn terminate_instance(
        &self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Result<(), AwsError> {
        let Some(rec) = self.instance_record(account, region, id) else {
            return Ok(());
        };
        transition(self, account, region, vec![rec], Op::Terminate, None).await?;
        Ok(())
    }
}
