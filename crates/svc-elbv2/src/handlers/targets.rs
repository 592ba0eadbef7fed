//! Targets: `RegisterTargets` (IP targets, loopback included, so any local process can sit
//! behind a balancer; instance targets checked against EC2 through [`crate::Instances`]:
//! they must exist, run and live in the group's VPC; the port defaults to the group's),
//! `DeregisterTargets` (the target drains for
//! `deregistration_delay.timeout_seconds`, then is gone), and `DescribeTargetHealth`, which
//! reads the data plane's health board and words each state with AWS's reason codes
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html>).

use super::target_groups::tg_set;
use crate::attributes;
use crate::errors;
use crate::generated::*;
use crate::instances::{InstanceState, InstanceTarget};
use crate::model::{TargetRec, TgRec};
use crate::persist::{Change, Op};
use crate::state::{arn_prefix, Elb};
use nimbus_core::{AwsError, RequestContext, Timestamp};
use nimbus_lb::health::{Failure, Status};
use std::net::Ipv4Addr;

/// "Targets per target group: 1000" (per Application Load Balancer).
const MAX_TARGETS: usize = 1000;

fn key(t: &TargetDescription, tg: &TgRec) -> (String, i32) {
    (t.id.clone(), t.port.or(tg.port).unwrap_or(0))
}

fn describe_target(t: &TargetDescription) -> String {
    match t.port {
        Some(p) => format!("{}:{p}", t.id),
        None => t.id.clone(),
    }
}

/// Whether `id` is shaped like an instance id (`i-` and 8 or 17 hex digits).
fn instance_id_shaped(id: &str) -> bool {
    id.strip_prefix("i-").is_some_and(|h| {
        (h.len() == 8 || h.len() == 17) && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn quoted(ids: &[String]) -> String {
    format!("'{}'", ids.join("', '"))
}

/// EC2's view of each instance-shaped target id, asked before the state lock is taken.
pub(crate) type Found = std::collections::HashMap<String, Option<InstanceTarget>>;

/// Looks up every instance-shaped id of `targets` in (account, region).
pub(crate) fn lookup(
    elb: &Elb,
    account: &str,
    region: &str,
    targets: &[TargetDescription],
) -> Found {
    targets
        .iter()
        .filter(|t| instance_id_shaped(&t.id))
        .map(|t| (t.id.clone(), elb.instance(account, region, &t.id)))
        .collect()
}

/// Checks instance targets against EC2 as AWS does: the id's shape, then that each
/// instance exists, then that it runs, then that it lives in the group's VPC.
fn check_instances(
    found: &Found,
    tg: &TgRec,
    targets: &[TargetDescription],
) -> Result<(), AwsError> {
    for t in targets {
        if !instance_id_shaped(&t.id) {
            return Err(errors::validation(format!(
                "Instance ID '{}' is not valid",
                t.id
            )));
        }
    }
    let found: Vec<_> = targets
        .iter()
        .map(|t| (t.id.clone(), found.get(&t.id).cloned().flatten()))
        .collect();
    let missing: Vec<String> = found
        .iter()
        .filter(|(_, i)| {
            i.as_ref()
                .is_none_or(|i| i.state == InstanceState::Terminated)
        })
        .map(|(id, _)| id.clone())
        .collect();
    if !missing.is_empty() {
        return Err(errors::invalid_target(format!(
            "The following instances do not exist: {}",
            quoted(&missing)
        )));
    }
    let idle: Vec<String> = found
        .iter()
        .filter(|(_, i)| {
            i.as_ref()
                .is_some_and(|i| i.state != InstanceState::Running)
        })
        .map(|(id, _)| id.clone())
        .collect();
    if !idle.is_empty() {
        return Err(errors::invalid_target(format!(
            "The following targets are not in a running state and cannot be registered: {}",
            quoted(&idle)
        )));
    }
    let vpc = tg.vpc_id.clone().unwrap_or_default();
    let elsewhere: Vec<String> = found
        .iter()
        .filter(|(_, i)| i.as_ref().is_some_and(|i| i.vpc_id != vpc))
        .map(|(id, _)| id.clone())
        .collect();
    if !elsewhere.is_empty() {
        return Err(errors::invalid_target(format!(
            "The following targets are not in the target group VPC '{vpc}': {}",
            quoted(&elsewhere)
        )));
    }
    Ok(())
}

/// The target group `arn` of the scope `prefix` with `targets` registered (validated as
/// AWS validates them; registering again cancels a drain).
pub(crate) fn plan_register(
    found: &Found,
    st: &crate::state::State,
    prefix: &str,
    now: i64,
    arn: &str,
    targets: &[TargetDescription],
) -> Result<TgRec, AwsError> {
    if targets.is_empty() {
        return Err(errors::validation("At least one target must be specified"));
    }
    let tg = st
        .tgs
        .get(arn)
        .filter(|t| t.arn.starts_with(prefix))
        .ok_or_else(errors::tg_not_found)?;
    let mut rec = tg.clone();
    rec.targets
        .retain(|t| t.draining_until.is_none_or(|d| d > now));
    for t in targets {
        if let Some(p) = t.port {
            if !(1..=65535).contains(&p) {
                return Err(errors::validation(format!(
                    "Port '{p}' of target '{}' must be between 1 and 65535",
                    t.id
                )));
            }
        }
        match tg.target_type.as_str() {
            "ip" => {
                if t.id.parse::<Ipv4Addr>().is_err() {
                    return Err(errors::invalid_target(format!(
                        "The IP address '{}' is not a valid IPv4 address",
                        t.id
                    )));
                }
            }
            "instance" => {}
            _ => {
                // Lambda functions and Application Load Balancers as targets are not
                // built.
                return Err(errors::invalid_target(format!(
                    "Targets of type '{}' are not supported by Nimbus yet: '{}'",
                    tg.target_type, t.id
                )));
            }
        }
    }
    if tg.target_type == "instance" {
        check_instances(found, tg, targets)?;
    }
    for t in targets {
        let (id, port) = key(t, tg);
        match rec
            .targets
            .iter_mut()
            .find(|r| r.id == id && r.port == port)
        {
            Some(r) => r.draining_until = None,
            None => rec.targets.push(TargetRec {
                id,
                port,
                zone: if tg.target_type == "ip" {
                    t.availability_zone.clone()
                } else {
                    None
                },
                draining_until: None,
            }),
        }
    }
    if rec.targets.len() > MAX_TARGETS {
        return Err(errors::too_many("TooManyTargets", "targets", MAX_TARGETS));
    }
    Ok(rec)
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn register_targets(
    elb: &Elb,
    account: &str,
    region: &str,
    prefix: &str,
    now: i64,
    arn: &str,
    targets: &[TargetDescription],
) -> Result<(), AwsError> {
    let found = lookup(elb, account, region, targets);
    elb.mutate(|st| {
        let rec = plan_register(&found, st, prefix, now, arn, targets)?;
        Ok((Change::one(Op::PutTg(rec)), ()))
    })
    .await
}

pub(super) async fn register(
    elb: &Elb,
    ctx: &RequestContext,
    input: RegisterTargetsInput,
) -> Result<RegisterTargetsOutput, AwsError> {
    register_targets(
        elb,
        ctx.account_id(),
        &ctx.region,
        &arn_prefix(ctx),
        ctx.now.0,
        &input.target_group_arn,
        &input.targets,
    )
    .await?;
    Ok(RegisterTargetsOutput {})
}

/// The deregistration delay of `tg` in seconds.
pub fn deregistration_delay(tg: &TgRec) -> i64 {
    attributes::get(
        &tg.attributes,
        tg_set(tg),
        "deregistration_delay.timeout_seconds",
    )
    .parse()
    .unwrap_or(300)
}

pub(crate) async fn deregister_targets(
    elb: &Elb,
    prefix: &str,
    now: i64,
    arn: &str,
    targets: &[TargetDescription],
) -> Result<(), AwsError> {
    if targets.is_empty() {
        return Err(errors::validation("At least one target must be specified"));
    }
    elb.mutate(|st| {
        let tg = st
            .tgs
            .get(arn)
            .filter(|t| t.arn.starts_with(prefix))
            .ok_or_else(errors::tg_not_found)?;
        let delay = deregistration_delay(tg);
        let mut rec = tg.clone();
        rec.targets
            .retain(|t| t.draining_until.is_none_or(|d| d > now));
        let missing: Vec<String> = targets
            .iter()
            .filter(|t| {
                let (id, port) = key(t, tg);
                !rec.targets
                    .iter()
                    .any(|r| r.id == id && r.port == port && r.draining_until.is_none())
            })
            .map(describe_target)
            .collect();
        if !missing.is_empty() {
            return Err(errors::invalid_target(format!(
                "The following targets are not registered in target group '{}': '{}'",
                tg.arn,
                missing.join("', '")
            )));
        }
        for t in targets {
            let (id, port) = key(t, tg);
            if let Some(r) = rec
                .targets
                .iter_mut()
                .find(|r| r.id == id && r.port == port)
            {
                r.draining_until = Some(now + delay * 1000);
            }
        }
        // A zero delay drains nothing: the target is gone at once.
        rec.targets
            .retain(|t| t.draining_until.is_none_or(|d| d > now));
        Ok((Change::one(Op::PutTg(rec)), ()))
    })
    .await
}

pub(super) async fn deregister(
    elb: &Elb,
    ctx: &RequestContext,
    input: DeregisterTargetsInput,
) -> Result<DeregisterTargetsOutput, AwsError> {
    deregister_targets(
        elb,
        &arn_prefix(ctx),
        ctx.now.0,
        &input.target_group_arn,
        &input.targets,
    )
    .await?;
    Ok(DeregisterTargetsOutput {})
}

/// AWS's (state, reason, description) for a status.
pub fn words(s: &Status) -> (&'static str, Option<&'static str>, Option<String>) {
    match s {
        Status::Registering => (
            "initial",
            Some("Elb.RegistrationInProgress"),
            Some("Target registration is in progress".into()),
        ),
        Status::InitialChecking => (
            "initial",
            Some("Elb.InitialHealthChecking"),
            Some("Initial health checks in progress".into()),
        ),
        Status::Healthy => ("healthy", None, None),
        Status::Unhealthy(Failure::Timeout) => (
            "unhealthy",
            Some("Target.Timeout"),
            Some("Request timed out".into()),
        ),
        Status::Unhealthy(Failure::Code(c)) => (
            "unhealthy",
            Some("Target.ResponseCodeMismatch"),
            Some(format!("Health checks failed with these codes: [{c}]")),
        ),
        Status::Unhealthy(Failure::Connect) => (
            "unhealthy",
            Some("Target.FailedHealthChecks"),
            Some("Health checks failed".into()),
        ),
        Status::NotInUse => (
            "unused",
            Some("Target.NotInUse"),
            Some("Target group is not configured to receive traffic from the load balancer".into()),
        ),
        Status::Draining => (
            "draining",
            Some("Target.DeregistrationInProgress"),
            Some("Target deregistration is in progress".into()),
        ),
        Status::HealthCheckDisabled => (
            "unavailable",
            Some("Target.HealthCheckDisabled"),
            Some("Health checks are disabled".into()),
        ),
    }
}

fn health(s: &Status) -> TargetHealth {
    let (state, reason, description) = words(s);
    TargetHealth {
        state: Some(state.into()),
        reason: reason.map(str::to_string),
        description,
    }
}

/// `DescribeTargetHealth` of target group `arn` in scope `prefix` at `now`: every live
/// target, or the ones `asked` (an unregistered one reads `unused` /
/// `Target.NotRegistered`). An instance target whose instance is not running reads
/// `unused` / `Target.InvalidState`; one whose instance is gone is not listed (it is being
/// deregistered).
pub(crate) fn health_of(
    elb: &Elb,
    prefix: &str,
    now: Timestamp,
    arn: &str,
    asked: Option<Vec<TargetDescription>>,
) -> Result<Vec<TargetHealthDescription>, AwsError> {
    let tg = elb.read(|st| {
        st.tgs
            .get(arn)
            .filter(|t| t.arn.starts_with(prefix))
            .cloned()
            .ok_or_else(errors::tg_not_found)
    })?;
    let snap = elb.plane.snapshot();
    let group = snap.groups.get(&tg.arn).cloned();
    let instances = tg.target_type == "instance";
    let found = |id: &str| {
        if instances {
            elb.instance(&tg.account, &tg.region, id)
                .filter(|i| i.state != InstanceState::Terminated)
        } else {
            None
        }
    };
    let live: Vec<&TargetRec> = tg
        .targets
        .iter()
        .filter(|t| t.draining_until.is_none_or(|d| d > now.0))
        .filter(|t| !instances || found(&t.id).is_some())
        .collect();
    let hc_port = |port: i32| match tg.health.port.as_deref() {
        Some("traffic-port") | None => port.to_string(),
        Some(p) => p.to_string(),
    };
    let describe = |t: &TargetRec| -> TargetHealthDescription {
        let instance = found(&t.id);
        let target = match &instance {
            Some(i) => Some(nimbus_lb::config::Target {
                ip: i.private_ip.into(),
                port: t.port as u16,
                zone: Some(i.zone.clone()),
                draining_until: t.draining_until.map(Timestamp),
                instance: Some(nimbus_lb::config::InstanceRoute {
                    instance_id: i.instance_id.clone(),
                    vpc_id: i.vpc_id.clone(),
                    admitted: None,
                }),
            }),
            None => t.id.parse().ok().map(|ip| nimbus_lb::config::Target {
                ip,
                port: t.port as u16,
                zone: t.zone.clone(),
                draining_until: t.draining_until.map(Timestamp),
                instance: None,
            }),
        };
        let state = instance.as_ref().map(|i| i.state);
        let health = match (&group, target) {
            (_, Some(x)) if x.draining_until.is_some_and(|d| d > now) => health(&Status::Draining),
            (_, _) if state.is_some_and(|s| s != InstanceState::Running) => TargetHealth {
                state: Some("unused".into()),
                reason: Some("Target.InvalidState".into()),
                description: Some(format!(
                    "Target is in the {} state",
                    state.map_or("stopped", |s| s.name())
                )),
            },
            (Some(g), Some(x)) => health(&elb.plane.health.status(g, &x, now)),
            _ => health(&Status::Registering),
        };
        TargetHealthDescription {
            target: Some(TargetDescription {
                id: t.id.clone(),
                port: Some(t.port),
                availability_zone: t.zone.clone(),
                quic_server_id: None,
            }),
            health_check_port: Some(hc_port(t.port)),
            target_health: Some(health),
            ..Default::default()
        }
    };
    Ok(match asked.filter(|v| !v.is_empty()) {
        None => live.iter().map(|t| describe(t)).collect(),
        Some(asked) => {
            let mut out = Vec::new();
            for a in asked {
                let (id, port) = key(&a, &tg);
                match live.iter().find(|t| t.id == id && t.port == port) {
                    Some(t) => out.push(describe(t)),
                    None => out.push(TargetHealthDescription {
                        target: Some(TargetDescription {
                            id,
                            port: Some(port),
                            availability_zone: a.availability_zone,
                            quic_server_id: None,
                        }),
                        health_check_port: Some(hc_port(port)),
                        target_health: Some(TargetHealth {
                            state: Some("unused".into()),
                            reason: Some("Target.NotRegistered".into()),
                            description: Some(
                                "Target is not registered to the target group".into(),
                            ),
                        }),
                        ..Default::default()
                    }),
                }
            }
            out
        }
    })
}

pub(super) fn describe_health(
    elb: &Elb,
    ctx: &RequestContext,
    input: DescribeTargetHealthInput,
) -> Result<DescribeTargetHealthOutput, AwsError> {
    let out = health_of(
        elb,
        &arn_prefix(ctx),
        ctx.now,
        &input.target_group_arn,
        input.targets,
    )?;
    Ok(DescribeTargetHealthOutput {
        target_health_descriptions: Some(out),
    })
}
