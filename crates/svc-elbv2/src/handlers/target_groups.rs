//! Target groups: `CreateTargetGroup` (protocols per balancer type, AWS's health check
//! defaults and ranges, idempotent for identical settings), `DescribeTargetGroups`,
//! `ModifyTargetGroup`, `DeleteTargetGroup` (refused while a listener or rule forwards to
//! it), and the target group attributes (stickiness with reserved cookie names). Targets
//! and their health are in `targets`.

use super::common::{new_tags, page};
use crate::attributes::{self, Set};
use crate::errors;
use crate::generated::*;
use crate::model::{HealthRec, TgRec};
use crate::persist::{Change, Op};
use crate::snapshot::matcher_ranges;
use crate::state::{arn_prefix, Elb, State};
use nimbus_core::{AwsError, RequestContext};
use std::collections::BTreeMap;

/// "Target groups per Region: 3000".
const MAX_TGS: usize = 3000;

fn is_http(p: Option<&str>) -> bool {
    matches!(p, Some("HTTP") | Some("HTTPS"))
}

pub fn tg_set(tg: &TgRec) -> Set {
    if is_http(tg.protocol.as_deref()) {
        Set::TgAlb
    } else {
        Set::TgNlb
    }
}

fn check_name(name: &str) -> Result<(), AwsError> {
    if name.is_empty() || name.len() > 32 {
        return Err(errors::validation(format!(
            "Target group name '{name}' cannot be longer than '32' characters"
        )));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(errors::validation(format!(
            "Target group name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)"
        )));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(errors::validation(format!(
            "Target group name '{name}' cannot begin or end with '-'"
        )));
    }
    Ok(())
}

fn check_range(what: &str, v: Option<i32>, lo: i32, hi: i32) -> Result<(), AwsError> {
    match v {
        Some(n) if !(lo..=hi).contains(&n) => Err(errors::validation(format!(
            "{what} must be between {lo} and {hi}, but was {n}"
        ))),
        _ => Ok(()),
    }
}

/// Checks a health check configuration as a whole.
fn check_health(h: &HealthRec, tg_http: bool) -> Result<(), AwsError> {
    check_range("Health check interval", Some(h.interval), 5, 300)?;
    check_range("Health check timeout", Some(h.timeout), 2, 120)?;
    check_range("Healthy threshold count", Some(h.healthy), 2, 10)?;
    check_range("Unhealthy threshold count", Some(h.unhealthy), 2, 10)?;
    if h.timeout >= h.interval {
        return Err(errors::validation(
            "Health check interval must be greater than the timeout.",
        ));
    }
    if h.protocol.as_deref() == Some("HTTPS") {
        return Err(errors::validation(
            "HTTPS health checks are not supported by Nimbus yet (no TLS to targets)",
        ));
    }
    if let Some(p) = &h.protocol {
        let ok = if tg_http {
            ["HTTP", "HTTPS"].contains(&p.as_str())
        } else {
            ["HTTP", "HTTPS", "TCP"].contains(&p.as_str())
        };
        if !ok {
            return Err(errors::validation(format!(
                "Health check protocol '{p}' is not supported for this target group"
            )));
        }
    }
    if let Some(port) = &h.port {
        if port != "traffic-port" && !port.parse::<u16>().is_ok_and(|n| n >= 1) {
            return Err(errors::validation(format!(
                "Health check port '{port}' must be 'traffic-port' or a number between 1 and 65535"
            )));
        }
    }
    if let Some(path) = &h.path {
        if path.is_empty() || path.len() > 1024 || !path.starts_with('/') {
            return Err(errors::validation(
                "Health check path must begin with a '/' and be at most 1024 characters",
            ));
        }
    }
    if let Some(m) = &h.matcher {
        let hi = if tg_http { 499 } else { 599 };
        let ok = matcher_ranges(m).is_some_and(|r| r.iter().all(|&(a, b)| a >= 200 && b <= hi));
        if !ok {
            return Err(errors::validation(format!(
                "Health check matcher HTTP code '{m}' must be within '200-{hi}'"
            )));
        }
    }
    Ok(())
}

/// "If the target type is instance, ip, or alb, health checks are always enabled and can't
/// be disabled" (CreateTargetGroup's `HealthCheckEnabled`).
fn check_enabled(h: &HealthRec, target_type: &str) -> Result<(), AwsError> {
    if !h.enabled && target_type != "lambda" {
        return Err(errors::validation(format!(
            "Health checks cannot be disabled for target groups with target type '{target_type}'"
        )));
    }
    Ok(())
}

pub fn render(st: &State, tg: &TgRec) -> TargetGroup {
    let h = &tg.health;
    TargetGroup {
        target_group_arn: Some(tg.arn.clone()),
        target_group_name: Some(tg.name.clone()),
        protocol: tg.protocol.clone(),
        port: tg.port,
        vpc_id: tg.vpc_id.clone(),
        health_check_protocol: h.protocol.clone(),
        health_check_port: h.port.clone(),
        health_check_enabled: Some(h.enabled),
        health_check_interval_seconds: Some(h.interval),
        health_check_timeout_seconds: Some(h.timeout),
        healthy_threshold_count: Some(h.healthy),
        unhealthy_threshold_count: Some(h.unhealthy),
        health_check_path: h.path.clone(),
        matcher: h.matcher.clone().map(|c| Matcher {
            http_code: Some(c),
            grpc_code: None,
        }),
        load_balancer_arns: Some(st.lbs_of_group(&tg.arn)),
        target_type: Some(tg.target_type.clone()),
        protocol_version: tg.protocol_version.clone(),
        ip_address_type: tg.ip_address_type.clone(),
        ..Default::default()
    }
}

pub(super) async fn create(
    elb: &Elb,
    ctx: &RequestContext,
    input: CreateTargetGroupInput,
) -> Result<CreateTargetGroupOutput, AwsError> {
    check_name(&input.name)?;
    let target_type = input
        .target_type
        .clone()
        .unwrap_or_else(|| "instance".into());
    if !["instance", "ip"].contains(&target_type.as_str()) {
        return Err(errors::validation(format!(
            "Target type '{target_type}' is not supported by Nimbus yet"
        )));
    }
    let protocol = input.protocol.clone().ok_or_else(|| {
        errors::validation(format!(
            "A protocol must be specified for target groups with target type '{target_type}'"
        ))
    })?;
    if !["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"].contains(&protocol.as_str()) {
        return Err(errors::validation(format!(
            "Protocol '{protocol}' is not supported for target groups"
        )));
    }
    // The data plane speaks plain HTTP and TCP to targets; TLS to targets comes with TLS.
    if protocol == "HTTPS" || protocol == "TLS" {
        return Err(errors::validation(format!(
            "Target groups with protocol '{protocol}' are not supported by Nimbus yet (no TLS to targets)"
        )));
    }
    let port = input.port.ok_or_else(|| {
        errors::validation(format!(
            "A port must be specified for target groups with target type '{target_type}'"
        ))
    })?;
    check_range("Port", Some(port), 1, 65535)?;
    let vpc_id = input.vpc_id.clone().ok_or_else(|| {
        errors::validation(format!(
            "A VPC ID must be specified for target groups with target type '{target_type}'"
        ))
    })?;
    let account = ctx.account_id().to_string();
    if !elb.network.vpc_exists(&account, &ctx.region, &vpc_id) {
        return Err(errors::validation(format!(
            "The VPC ID '{vpc_id}' is not found"
        )));
    }
    let http = is_http(Some(&protocol));
    let protocol_version = if http {
        let v = input
            .protocol_version
            .clone()
            .unwrap_or_else(|| "HTTP1".into());
        if !["HTTP1", "HTTP2", "GRPC"].contains(&v.as_str()) {
            return Err(errors::validation(format!(
                "Protocol version '{v}' is not valid"
            )));
        }
        Some(v)
    } else if input.protocol_version.is_some() {
        return Err(errors::validation(
            "A protocol version can only be specified for HTTP and HTTPS target groups",
        ));
    } else {
        None
    };
    let hc_proto = input.health_check_protocol.clone().unwrap_or_else(|| {
        if http {
            protocol.clone()
        } else {
            "TCP".into()
        }
    });
    let hc_http = hc_proto.starts_with("HTTP");
    if !hc_http && (input.health_check_path.is_some() || input.matcher.is_some()) {
        return Err(errors::validation(
            "Health check path and matcher can only be set for HTTP and HTTPS health checks",
        ));
    }
    let health = HealthRec {
        enabled: input.health_check_enabled.unwrap_or(true),
        protocol: Some(hc_proto.clone()),
        port: Some(
            input
                .health_check_port
                .clone()
                .unwrap_or_else(|| "traffic-port".into()),
        ),
        path: hc_http.then(|| {
            input
                .health_check_path
                .clone()
                .unwrap_or_else(|| "/".into())
        }),
        interval: input.health_check_interval_seconds.unwrap_or(30),
        timeout: input.health_check_timeout_seconds.unwrap_or(if hc_http {
            if http {
                5
            } else {
                6
            }
        } else {
            10
        }),
        healthy: input.healthy_threshold_count.unwrap_or(5),
        unhealthy: input.unhealthy_threshold_count.unwrap_or(2),
        matcher: hc_http.then(|| {
            input
                .matcher
                .clone()
                .and_then(|m| m.http_code)
                .unwrap_or_else(|| if http { "200".into() } else { "200-399".into() })
        }),
    };
    check_health(&health, http)?;
    check_enabled(&health, &target_type)?;
    let tags = new_tags(input.tags)?;
    let prefix = arn_prefix(ctx);
    let now = ctx.now;
    elb.mutate(|st| {
        if let Some(existing) = st
            .tgs
            .values()
            .find(|t| t.arn.starts_with(&prefix) && t.name == input.name)
        {
            let same = existing.protocol.as_deref() == Some(protocol.as_str())
                && existing.port == Some(port)
                && existing.vpc_id.as_deref() == Some(vpc_id.as_str())
                && existing.target_type == target_type
                && existing.health == health;
            if same {
                let out = CreateTargetGroupOutput {
                    target_groups: Some(vec![render(st, existing)]),
                };
                return Ok((Change::default(), out));
            }
            return Err(errors::duplicate_tg(&input.name));
        }
        if st
            .tgs
            .values()
            .filter(|t| t.arn.starts_with(&prefix))
            .count()
            >= MAX_TGS
        {
            return Err(errors::too_many(
                "TooManyTargetGroups",
                "target groups",
                MAX_TGS,
            ));
        }
        let rec = TgRec {
            account: account.clone(),
            region: ctx.region.clone(),
            arn: format!("{prefix}targetgroup/{}/{}", input.name, elb.hex(16)),
            name: input.name.clone(),
            protocol: Some(protocol.clone()),
            protocol_version: protocol_version.clone(),
            port: Some(port),
            vpc_id: Some(vpc_id.clone()),
            target_type: target_type.clone(),
            ip_address_type: Some("ipv4".into()),
            health: health.clone(),
            created: now.0,
            targets: Vec::new(),
            attributes: BTreeMap::new(),
            tags: tags.clone(),
        };
        let out = CreateTargetGroupOutput {
            target_groups: Some(vec![render(st, &rec)]),
        };
        Ok((Change::one(Op::PutTg(rec)), out))
    })
    .await
}

pub(super) fn describe(
    elb: &Elb,
    ctx: &RequestContext,
    input: DescribeTargetGroupsInput,
) -> Result<DescribeTargetGroupsOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let arns = input.target_group_arns.filter(|v| !v.is_empty());
    let names = input.names.filter(|v| !v.is_empty());
    let given = [
        input.load_balancer_arn.is_some(),
        arns.is_some(),
        names.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given > 1 {
        return Err(errors::validation(
            "A load balancer ARN, target group ARNs and target group names cannot be specified together",
        ));
    }
    let all = elb.read(|st| {
        let mut mine: Vec<&TgRec> = st
            .tgs
            .values()
            .filter(|t| t.arn.starts_with(&prefix))
            .collect();
        if let Some(lb) = &input.load_balancer_arn {
            if !st.lbs.contains_key(lb) || !lb.starts_with(&prefix) {
                return Err(errors::lb_not_found());
            }
            mine.retain(|t| st.lbs_of_group(&t.arn).contains(lb));
        }
        if let Some(arns) = &arns {
            if arns.iter().any(|a| !mine.iter().any(|t| &t.arn == a)) {
                return Err(errors::tg_not_found());
            }
            mine.retain(|t| arns.contains(&t.arn));
        }
        if let Some(names) = &names {
            let missing: Vec<String> = names
                .iter()
                .filter(|n| !mine.iter().any(|t| &t.name == *n))
                .cloned()
                .collect();
            if !missing.is_empty() {
                return Err(errors::tgs_not_found(&missing));
            }
            mine.retain(|t| names.contains(&t.name));
        }
        mine.sort_by(|a, b| (a.created, &a.name).cmp(&(b.created, &b.name)));
        Ok(mine.into_iter().map(|t| render(st, t)).collect::<Vec<_>>())
    })?;
    let (items, next) = page(&all, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeTargetGroupsOutput {
        target_groups: Some(items),
        next_marker: next,
    })
}

pub(super) async fn modify(
    elb: &Elb,
    ctx: &RequestContext,
    input: ModifyTargetGroupInput,
) -> Result<ModifyTargetGroupOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    elb.mutate(|st| {
        let tg = st
            .tgs
            .get(&input.target_group_arn)
            .filter(|t| t.arn.starts_with(&prefix))
            .ok_or_else(errors::tg_not_found)?;
        let mut rec = tg.clone();
        let h = &mut rec.health;
        if let Some(p) = input.health_check_protocol {
            if p.starts_with("HTTP") && h.path.is_none() {
                h.path = Some("/".into());
                h.matcher = Some("200-399".into());
            }
            if !p.starts_with("HTTP") {
                h.path = None;
                h.matcher = None;
            }
            h.protocol = Some(p);
        }
        if let Some(v) = input.health_check_port {
            h.port = Some(v);
        }
        if let Some(v) = input.health_check_path {
            h.path = Some(v);
        }
        if let Some(v) = input.health_check_enabled {
            h.enabled = v;
        }
        if let Some(v) = input.health_check_interval_seconds {
            h.interval = v;
        }
        if let Some(v) = input.health_check_timeout_seconds {
            h.timeout = v;
        }
        if let Some(v) = input.healthy_threshold_count {
            h.healthy = v;
        }
        if let Some(v) = input.unhealthy_threshold_count {
            h.unhealthy = v;
        }
        if let Some(m) = input.matcher.and_then(|m| m.http_code) {
            h.matcher = Some(m);
        }
        check_health(&rec.health, is_http(rec.protocol.as_deref()))?;
        check_enabled(&rec.health, &rec.target_type)?;
        let out = ModifyTargetGroupOutput {
            target_groups: Some(vec![render(st, &rec)]),
        };
        Ok((Change::one(Op::PutTg(rec)), out))
    })
    .await
}

pub(super) async fn delete(
    elb: &Elb,
    ctx: &RequestContext,
    input: DeleteTargetGroupInput,
) -> Result<DeleteTargetGroupOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let arn = input.target_group_arn;
    elb.mutate(|st| {
        if !arn.starts_with(&prefix) || !st.tgs.contains_key(&arn) {
            return Ok((Change::default(), DeleteTargetGroupOutput {}));
        }
        if !st.lbs_of_group(&arn).is_empty() {
            return Err(errors::resource_in_use(format!(
                "Target group '{arn}' is currently in use by a listener or a rule"
            )));
        }
        Ok((
            Change::one(Op::DeleteTg(arn.clone())),
            DeleteTargetGroupOutput {},
        ))
    })
    .await
}

fn render_attrs(tg: &TgRec) -> Vec<TargetGroupAttribute> {
    tg_set(tg)
        .effective(&tg.attributes)
        .into_iter()
        .map(|(k, v)| TargetGroupAttribute {
            key: Some(k),
            value: Some(v),
        })
        .collect()
}

pub(super) fn describe_attributes(
    elb: &Elb,
    ctx: &RequestContext,
    input: DescribeTargetGroupAttributesInput,
) -> Result<DescribeTargetGroupAttributesOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    elb.read(|st| {
        let tg = st
            .tgs
            .get(&input.target_group_arn)
            .filter(|t| t.arn.starts_with(&prefix))
            .ok_or_else(errors::tg_not_found)?;
        Ok(DescribeTargetGroupAttributesOutput {
            attributes: Some(render_attrs(tg)),
        })
    })
}

pub(super) async fn modify_attributes(
    elb: &Elb,
    ctx: &RequestContext,
    input: ModifyTargetGroupAttributesInput,
) -> Result<ModifyTargetGroupAttributesOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let pairs: Vec<(String, String)> = input
        .attributes
        .into_iter()
        .map(|a| (a.key.unwrap_or_default(), a.value.unwrap_or_default()))
        .collect();
    if pairs.is_empty() {
        return Err(errors::validation(
            "At least one attribute must be specified",
        ));
    }
    elb.mutate(|st| {
        let tg = st
            .tgs
            .get(&input.target_group_arn)
            .filter(|t| t.arn.starts_with(&prefix))
            .ok_or_else(errors::tg_not_found)?;
        let set = tg_set(tg);
        let checked = set.check(&pairs)?;
        let mut rec = tg.clone();
        for (k, v) in checked {
            rec.attributes.insert(k, v);
        }
        let get = |k: &str| attributes::get(&rec.attributes, set, k);
        if get("stickiness.enabled") == "true" && get("stickiness.type") == "app_cookie" {
            let name = get("stickiness.app_cookie.cookie_name");
            if name.is_empty() {
                return Err(errors::invalid_config(
                    "The stickiness.app_cookie.cookie_name attribute must be specified for app_cookie stickiness",
                ));
            }
            if attributes::reserved_cookie(&name) {
                return Err(errors::invalid_config(format!(
                    "The cookie name '{name}' is reserved: names starting with AWSALB, AWSALBAPP or AWSALBTG cannot be used"
                )));
            }
        }
        let out = ModifyTargetGroupAttributesOutput {
            attributes: Some(render_attrs(&rec)),
        };
        Ok((Change::one(Op::PutTg(rec)), out))
    })
    .await
}
