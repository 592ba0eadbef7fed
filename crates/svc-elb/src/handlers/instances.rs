//! Instances behind a Classic Load Balancer: `RegisterInstancesWithLoadBalancer` (each
//! instance must exist in EC2 and live in the balancer's VPC), `Deregister…` (with
//! connection draining on, the instance drains: no new requests, in-flight ones finish,
//! it is gone when the timeout ends), `ConfigureHealthCheck` (`HTTP:80/index.html`,
//! `TCP:80`) and `DescribeInstanceHealth` — InService / OutOfService with AWS's reason
//! code (`ELB`, `Instance`, `N/A`) and description, read from the data plane's real health
//! checks.

use super::lbs::{find, find_in, render_health, update, update_in};
use crate::classic::Classic;
use crate::errors;
use crate::generated::*;
use crate::snapshot::{group_key, parse_target};
use crate::state::{HealthRec, InstanceRec, LbRec};
use nimbus_core::{AwsError, RequestContext, Timestamp};
use nimbus_lb::health::State as H;

fn ids_of(instances: Vec<Instance>) -> Result<Vec<String>, AwsError> {
    let mut out: Vec<String> = Vec::new();
    for i in instances {
        let id = i.instance_id.unwrap_or_default();
        let ok = id.strip_prefix("i-").is_some_and(|h| {
            (h.len() == 8 || h.len() == 17) && h.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !ok {
            return Err(errors::invalid_instance(&[id]));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

fn registered(lb: &LbRec) -> Vec<Instance> {
    lb.instances
        .iter()
        .filter(|i| i.draining_until.is_none())
        .map(|i| Instance {
            instance_id: Some(i.id.clone()),
        })
        .collect()
}

/// Registers `ids` with balancer `name` after checking them against EC2.
pub(crate) async fn register(
    c: &Classic,
    (account, region): (&str, &str),
    name: &str,
    ids: Vec<String>,
) -> Result<Vec<Instance>, AwsError> {
    let vpc = find_in(&c.state.read(), account, region, name)?
        .vpc_id
        .clone();
    let bad: Vec<String> = ids
        .iter()
        .filter(|id| {
            c.instance(account, region, id)
                .is_none_or(|i| i.vpc_id != vpc || i.state == svc_elbv2::InstanceState::Terminated)
        })
        .cloned()
        .collect();
    if !bad.is_empty() {
        return Err(errors::invalid_instance(&bad));
    }
    update_in(c, account, region, name, |lb| {
        for id in ids {
            match lb.instances.iter_mut().find(|i| i.id == id) {
                // Registering a draining instance again puts it back in service.
                Some(i) => i.draining_until = None,
                None => lb.instances.push(InstanceRec {
                    id,
                    draining_until: None,
                }),
            }
        }
        Ok(registered(lb))
    })
    .await
}

/// Deregisters `ids` from balancer `name` (draining when connection draining is on);
/// answers the instances still registered and the draining timeout (0 when off).
pub(crate) async fn deregister(
    c: &Classic,
    (account, region, now): (&str, &str, Timestamp),
    name: &str,
    ids: Vec<String>,
) -> Result<(Vec<Instance>, i32), AwsError> {
    let now = now.0;
    update_in(c, account, region, name, |lb| {
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| {
                !lb.instances
                    .iter()
                    .any(|i| &i.id == *id && i.draining_until.is_none())
            })
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(errors::invalid_instance(&missing));
        }
        let delay = if lb.attrs.draining {
            lb.attrs.draining_timeout
        } else {
            0
        };
        if delay > 0 {
            for i in lb.instances.iter_mut().filter(|i| ids.contains(&i.id)) {
                i.draining_until = Some(now + i64::from(delay) * 1000);
            }
        } else {
            lb.instances.retain(|i| !ids.contains(&i.id));
        }
        Ok((registered(lb), delay))
    })
    .await
}

pub(super) async fn register_instances(
    c: &Classic,
    ctx: &RequestContext,
    input: RegisterEndPointsInput,
) -> Result<RegisterEndPointsOutput, AwsError> {
    let ids = ids_of(input.instances)?;
    let out = register(
        c,
        (ctx.account_id(), &ctx.region),
        &input.load_balancer_name,
        ids,
    )
    .await?;
    Ok(RegisterEndPointsOutput {
        instances: Some(out),
    })
}

pub(super) async fn deregister_instances(
    c: &Classic,
    ctx: &RequestContext,
    input: DeregisterEndPointsInput,
) -> Result<DeregisterEndPointsOutput, AwsError> {
    let ids = ids_of(input.instances)?;
    let (out, _) = deregister(
        c,
        (ctx.account_id(), &ctx.region, ctx.now),
        &input.load_balancer_name,
        ids,
    )
    .await?;
    Ok(DeregisterEndPointsOutput {
        instances: Some(out),
    })
}

pub(super) async fn configure_health_check(
    c: &Classic,
    ctx: &RequestContext,
    input: ConfigureHealthCheckInput,
) -> Result<ConfigureHealthCheckOutput, AwsError> {
    let h = input.health_check;
    let Some((proto, _, _)) = parse_target(&h.target) else {
        return Err(errors::validation(format!(
            "Target '{}' is not valid: it must be TCP:port, SSL:port, HTTP:port/path or HTTPS:port/path",
            h.target
        )));
    };
    if proto == "HTTPS" || proto == "SSL" {
        return Err(errors::invalid_config(format!(
            "{proto} health checks are not supported by Nimbus yet"
        )));
    }
    let checks = [
        ("Interval", h.interval, 5, 300),
        ("Timeout", h.timeout, 2, 60),
        ("UnhealthyThreshold", h.unhealthy_threshold, 2, 10),
        ("HealthyThreshold", h.healthy_threshold, 2, 10),
    ];
    for (what, v, lo, hi) in checks {
        if !(lo..=hi).contains(&v) {
            return Err(errors::validation(format!(
                "{what} {v} is not valid: it must be {lo}-{hi}"
            )));
        }
    }
    if h.timeout >= h.interval {
        return Err(errors::validation(
            "HealthCheck Timeout must be less than Interval",
        ));
    }
    let rec = HealthRec {
        target: format!(
            "{proto}:{}",
            &h.target[h.target.find(':').unwrap_or(0) + 1..]
        ),
        interval: h.interval,
        timeout: h.timeout,
        unhealthy: h.unhealthy_threshold,
        healthy: h.healthy_threshold,
    };
    let stored = rec.clone();
    update(c, ctx, &input.load_balancer_name, move |lb| {
        lb.health = stored;
        Ok(())
    })
    .await?;
    Ok(ConfigureHealthCheckOutput {
        health_check: Some(render_health(&rec)),
    })
}

/// (State, ReasonCode, Description) of instance `id` of `lb`, as `DescribeInstanceHealth`
/// words it.
pub(crate) fn health_of(
    c: &Classic,
    lb: &LbRec,
    id: &str,
    now: Timestamp,
) -> (&'static str, &'static str, &'static str) {
    const NOT_PASSED: &str =
        "Instance has not passed the configured HealthyThreshold number of health checks consecutively.";
    let Some(rec) = lb.instances.iter().find(|i| i.id == id) else {
        return (
            "OutOfService",
            "ELB",
            "Instance is not currently registered with the LoadBalancer.",
        );
    };
    if rec.draining_until.is_some_and(|d| d > now.0) {
        return (
            "InService",
            "Instance",
            "Instance deregistration currently in progress.",
        );
    }
    let Some(i) = c.instance(&lb.account, &lb.region, id) else {
        return (
            "OutOfService",
            "Instance",
            "Instance is in terminated state.",
        );
    };
    use svc_elbv2::InstanceState as S;
    match i.state {
        S::Running => {}
        S::Pending => return ("OutOfService", "Instance", "Instance is in pending state."),
        S::Stopped | S::Stopping => {
            return ("OutOfService", "Instance", "Instance is in stopped state.")
        }
        S::ShuttingDown | S::Terminated => {
            return (
                "OutOfService",
                "Instance",
                "Instance is in terminated state.",
            )
        }
    }
    if !lb.zones.iter().any(|z| z.zone == i.zone) {
        return (
            "OutOfService",
            "ELB",
            "Instance is in the EC2 Availability Zone for which LoadBalancer is not configured to route traffic to.",
        );
    }
    let Some(l) = lb.listeners.first() else {
        return (
            "OutOfService",
            "ELB",
            "Instance registration is still in progress.",
        );
    };
    let addr = std::net::SocketAddr::new(i.private_ip.into(), l.instance_port as u16);
    match c.plane.health.tracker(&group_key(lb, l.lb_port), addr) {
        None => ("OutOfService", "ELB", "Instance registration is still in progress."),
        Some(t) => match t.state {
            H::Healthy => ("InService", "N/A", "N/A"),
            H::Unhealthy => (
                "OutOfService",
                "Instance",
                "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.",
            ),
            H::Initial if t.checks == 0 => {
                ("OutOfService", "ELB", "Instance registration is still in progress.")
            }
            H::Initial => ("OutOfService", "Instance", NOT_PASSED),
        },
    }
}

pub(super) fn describe_health(
    c: &Classic,
    ctx: &RequestContext,
    input: DescribeEndPointStateInput,
) -> Result<DescribeEndPointStateOutput, AwsError> {
    let lb = find(&c.state.read(), ctx, &input.load_balancer_name)?.clone();
    let ids: Vec<String> = match input.instances.filter(|v| !v.is_empty()) {
        Some(v) => ids_of(v)?,
        None => lb.instances.iter().map(|i| i.id.clone()).collect(),
    };
    let states = ids
        .into_iter()
        .map(|id| {
            let (state, reason, description) = health_of(c, &lb, &id, ctx.now);
            InstanceState {
                instance_id: Some(id),
                state: Some(state.into()),
                reason_code: Some(reason.into()),
                description: Some(description.into()),
            }
        })
        .collect();
    Ok(DescribeEndPointStateOutput {
        instance_states: Some(states),
    })
}
