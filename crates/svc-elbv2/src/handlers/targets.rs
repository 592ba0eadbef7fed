//! Targets: `RegisterTargets` (IP targets, loopback included, so any local process can sit
//! behind a balancer; instance targets need EC2 instances, which Nimbus does not run yet,
//! and are refused as not valid), `DeregisterTargets` (the target drains for
//! `deregistration_delay.timeout_seconds`, then is gone), and `DescribeTargetHealth`, which
//! reads the data plane's health board and words each state with AWS's reason codes
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html>).

use super::target_groups::tg_set;
use crate::attributes;
use crate::errors;
use crate::generated::*;
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

pub(super) async fn register(
    elb: &Elb,
    ctx: &RequestContext,
    input: RegisterTargetsInput,
) -> Result<RegisterTargetsOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    if input.targets.is_empty() {
        return Err(errors::validation("At least one target must be specified"));
    }
    elb.mutate(|st| {
        let tg = st
            .tgs
            .get(&input.target_group_arn)
            .filter(|t| t.arn.starts_with(&prefix))
            .ok_or_else(errors::tg_not_found)?;
        let mut rec = tg.clone();
        let now = ctx.now.0;
        rec.targets
            .retain(|t| t.draining_until.is_none_or(|d| d > now));
        for t in &input.targets {
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
                _ => {
                    // Nimbus runs no EC2 instances yet, so no instance id is valid.
                    return Err(errors::invalid_target(format!(
                        "The following targets are not valid instances: '{}'",
                        t.id
                    )));
                }
            }
            let (id, port) = key(t, tg);
            match rec
                .targets
                .iter_mut()
                .find(|r| r.id == id && r.port == port)
            {
                // Registering again cancels a drain; otherwise nothing changes.
                Some(r) => r.draining_until = None,
                None => rec.targets.push(TargetRec {
                    id,
                    port,
                    zone: t.availability_zone.clone(),
                    draining_until: None,
                }),
            }
        }
        if rec.targets.len() > MAX_TARGETS {
            return Err(errors::too_many("TooManyTargets", "targets", MAX_TARGETS));
        }
        Ok((Change::one(Op::PutTg(rec)), RegisterTargetsOutput {}))
    })
    .await
}

pub(super) async fn deregister(
    elb: &Elb,
    ctx: &RequestContext,
    input: DeregisterTargetsInput,
) -> Result<DeregisterTargetsOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    if input.targets.is_empty() {
        return Err(errors::validation("At least one target must be specified"));
    }
    elb.mutate(|st| {
        let tg = st
            .tgs
            .get(&input.target_group_arn)
            .filter(|t| t.arn.starts_with(&prefix))
            .ok_or_else(errors::tg_not_found)?;
        let now = ctx.now.0;
        let delay: i64 = attributes::get(
            &tg.attributes,
            tg_set(tg),
            "deregistration_delay.timeout_seconds",
        )
        .parse()
        .unwrap_or(300);
        let mut rec = tg.clone();
        rec.targets
            .retain(|t| t.draining_until.is_none_or(|d| d > now));
        let missing: Vec<String> = input
            .targets
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
        for t in &input.targets {
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
        Ok((Change::one(Op::PutTg(rec)), DeregisterTargetsOutput {}))
    })
    .await
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

pub(super) fn describe_health(
    elb: &Elb,
    ctx: &RequestContext,
    input: DescribeTargetHealthInput,
) -> Result<DescribeTargetHealthOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let now: Timestamp = ctx.now;
    let tg = elb.read(|st| {
        st.tgs
            .get(&input.target_group_arn)
            .filter(|t| t.arn.starts_with(&prefix))
            .cloned()
            .ok_or_else(errors::tg_not_found)
    })?;
    let snap = elb.plane.snapshot();
    let group = snap.groups.get(&tg.arn).cloned();
    let live: Vec<&TargetRec> = tg
        .targets
        .iter()
        .filter(|t| t.draining_until.is_none_or(|d| d > now.0))
        .collect();
    let hc_port = |port: i32| match tg.health.port.as_deref() {
        Some("traffic-port") | None => port.to_string(),
        Some(p) => p.to_string(),
    };
    let describe = |t: &TargetRec| -> TargetHealthDescription {
        let status = match (&group, t.id.parse()) {
            (Some(g), Ok(ip)) => elb.plane.health.status(
                g,
                &nimbus_lb::config::Target {
                    ip,
                    port: t.port as u16,
                    zone: t.zone.clone(),
                    draining_until: t.draining_until.map(Timestamp),
                },
                now,
            ),
            _ => Status::Registering,
        };
        TargetHealthDescription {
            target: Some(TargetDescription {
                id: t.id.clone(),
                port: Some(t.port),
                availability_zone: t.zone.clone(),
                quic_server_id: None,
            }),
            health_check_port: Some(hc_port(t.port)),
            target_health: Some(health(&status)),
            ..Default::default()
        }
    };
    let out = match input.targets.filter(|v| !v.is_empty()) {
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
    };
    Ok(DescribeTargetHealthOutput {
        target_health_descriptions: Some(out),
    })
}
