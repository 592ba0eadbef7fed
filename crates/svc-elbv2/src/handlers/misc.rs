//! Tags on every ELBv2 resource (`AddTags`, `RemoveTags`, `DescribeTags`; up to 20 ARNs a
//! call, 50 tags a resource), `DescribeAccountLimits` (AWS's default quotas, the ones
//! Nimbus enforces among them) and `DescribeSSLPolicies` (a catalogue of AWS's predefined
//! security policies with their protocols and ciphers).

use super::common::{page, render_tags, MAX_TAGS};
use crate::errors;
use crate::generated::*;
use crate::model::Tags;
use crate::persist::{Change, Op};
use crate::state::Elb;
use crate::state::{arn_prefix, State};
use nimbus_core::{AwsError, RequestContext};

const MAX_ARNS: usize = 20;

fn not_found_for(arn: &str) -> AwsError {
    if arn.contains(":loadbalancer/") {
        errors::lb_not_found()
    } else if arn.contains(":targetgroup/") {
        errors::tg_not_found()
    } else if arn.contains(":listener-rule/") {
        errors::rule_not_found()
    } else if arn.contains(":listener/") {
        errors::listener_not_found()
    } else {
        errors::validation(format!("'{arn}' is not a valid resource ARN"))
    }
}

fn tags_of<'a>(st: &'a State, arn: &str) -> Option<&'a Tags> {
    st.lbs
        .get(arn)
        .map(|r| &r.tags)
        .or_else(|| st.tgs.get(arn).map(|r| &r.tags))
        .or_else(|| st.listeners.get(arn).map(|r| &r.tags))
        .or_else(|| st.rules.get(arn).map(|r| &r.tags))
}

/// The write that replaces `arn`'s tags with `tags`.
fn put_tags(st: &State, arn: &str, tags: Tags) -> Option<Op> {
    if let Some(r) = st.lbs.get(arn) {
        return Some(Op::PutLb(crate::model::LbRec { tags, ..r.clone() }));
    }
    if let Some(r) = st.tgs.get(arn) {
        return Some(Op::PutTg(crate::model::TgRec { tags, ..r.clone() }));
    }
    if let Some(r) = st.listeners.get(arn) {
        return Some(Op::PutListener(crate::model::ListenerRec {
            tags,
            ..r.clone()
        }));
    }
    st.rules
        .get(arn)
        .map(|r| Op::PutRule(crate::model::RuleRec { tags, ..r.clone() }))
}

fn check_arns(arns: &[String]) -> Result<(), AwsError> {
    if arns.is_empty() {
        return Err(errors::validation(
            "At least one resource ARN must be specified",
        ));
    }
    if arns.len() > MAX_ARNS {
        return Err(errors::validation(format!(
            "1 validation error detected: Value at 'resourceArns' failed to satisfy constraint: Member must have length less than or equal to {MAX_ARNS}"
        )));
    }
    Ok(())
}

pub(super) async fn add_tags(
    elb: &Elb,
    ctx: &RequestContext,
    input: AddTagsInput,
) -> Result<AddTagsOutput, AwsError> {
    check_arns(&input.resource_arns)?;
    let mut seen: Vec<&str> = Vec::new();
    for t in &input.tags {
        super::common::check_tag(t)?;
        if seen.contains(&t.key.as_str()) {
            return Err(errors::duplicate_tag_keys(&t.key));
        }
        seen.push(&t.key);
    }
    let prefix = arn_prefix(ctx);
    elb.mutate(|st| {
        let mut c = Change::default();
        for arn in &input.resource_arns {
            let cur = tags_of(st, arn)
                .filter(|_| arn.starts_with(&prefix))
                .ok_or_else(|| not_found_for(arn))?;
            let mut tags = cur.clone();
            for t in &input.tags {
                let v = t.value.clone().unwrap_or_default();
                match tags.iter_mut().find(|(k, _)| *k == t.key) {
                    Some(e) => e.1 = v,
                    None => tags.push((t.key.clone(), v)),
                }
            }
            if tags.len() > MAX_TAGS {
                return Err(errors::too_many_tags());
            }
            c.push(put_tags(st, arn, tags).ok_or_else(|| not_found_for(arn))?);
        }
        Ok((c, AddTagsOutput {}))
    })
    .await
}

pub(super) async fn remove_tags(
    elb: &Elb,
    ctx: &RequestContext,
    input: RemoveTagsInput,
) -> Result<RemoveTagsOutput, AwsError> {
    check_arns(&input.resource_arns)?;
    let prefix = arn_prefix(ctx);
    elb.mutate(|st| {
        let mut c = Change::default();
        for arn in &input.resource_arns {
            let cur = tags_of(st, arn)
                .filter(|_| arn.starts_with(&prefix))
                .ok_or_else(|| not_found_for(arn))?;
            let tags: Tags = cur
                .iter()
                .filter(|(k, _)| !input.tag_keys.contains(k))
                .cloned()
                .collect();
            c.push(put_tags(st, arn, tags).ok_or_else(|| not_found_for(arn))?);
        }
        Ok((c, RemoveTagsOutput {}))
    })
    .await
}

pub(super) fn describe_tags(
    elb: &Elb,
    ctx: &RequestContext,
    input: DescribeTagsInput,
) -> Result<DescribeTagsOutput, AwsError> {
    check_arns(&input.resource_arns)?;
    let prefix = arn_prefix(ctx);
    elb.read(|st| {
        let mut out = Vec::new();
        for arn in &input.resource_arns {
            let tags = tags_of(st, arn)
                .filter(|_| arn.starts_with(&prefix))
                .ok_or_else(|| not_found_for(arn))?;
            out.push(TagDescription {
                resource_arn: Some(arn.clone()),
                tags: Some(render_tags(tags)),
            });
        }
        Ok(DescribeTagsOutput {
            tag_descriptions: Some(out),
        })
    })
}

/// AWS's default quotas, by the names `DescribeAccountLimits` uses.
const LIMITS: &[(&str, &str)] = &[
    ("application-load-balancers", "50"),
    ("condition-values-per-alb-rule", "5"),
    ("condition-wildcards-per-alb-rule", "5"),
    ("gateway-load-balancers", "100"),
    ("gateway-load-balancers-per-vpc", "100"),
    ("geneve-target-groups", "100"),
    ("listeners-per-application-load-balancer", "50"),
    ("listeners-per-network-load-balancer", "50"),
    ("network-load-balancers", "50"),
    ("rules-per-application-load-balancer", "100"),
    ("target-groups", "3000"),
    ("target-groups-per-action-on-application-load-balancer", "5"),
    ("target-groups-per-action-on-network-load-balancer", "1"),
    ("target-groups-per-application-load-balancer", "100"),
    ("targets-per-application-load-balancer", "1000"),
    (
        "targets-per-availability-zone-per-gateway-load-balancer",
        "300",
    ),
    (
        "targets-per-availability-zone-per-network-load-balancer",
        "500",
    ),
    ("targets-per-network-load-balancer", "3000"),
];

pub(super) fn describe_account_limits(
    input: DescribeAccountLimitsInput,
) -> Result<DescribeAccountLimitsOutput, AwsError> {
    let all: Vec<Limit> = LIMITS
        .iter()
        .map(|(n, m)| Limit {
            name: Some(n.to_string()),
            max: Some(m.to_string()),
        })
        .collect();
    let (items, next) = page(&all, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeAccountLimitsOutput {
        limits: Some(items),
        next_marker: next,
    })
}

const TLS13: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];
const ECDHE_GCM: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
];
const TLS12_FULL: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "AES128-GCM-SHA256",
    "AES128-SHA256",
    "AES256-GCM-SHA384",
    "AES256-SHA256",
];
const LEGACY_2016: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "AES128-GCM-SHA256",
    "AES128-SHA256",
    "AES128-SHA",
    "AES256-GCM-SHA384",
    "AES256-SHA256",
    "AES256-SHA",
];

/// (name, protocols, cipher groups in priority order).
type Policy = (
    &'static str,
    &'static [&'static str],
    &'static [&'static [&'static str]],
);
const POLICIES: &[Policy] = &[
    (
        "ELBSecurityPolicy-2016-08",
        &["TLSv1", "TLSv1.1", "TLSv1.2"],
        &[LEGACY_2016],
    ),
    (
        "ELBSecurityPolicy-TLS-1-2-2017-01",
        &["TLSv1.2"],
        &[TLS12_FULL],
    ),
    (
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        &["TLSv1.2", "TLSv1.3"],
        &[TLS13, TLS12_FULL],
    ),
    (
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        &["TLSv1.2", "TLSv1.3"],
        &[TLS13, ECDHE_GCM],
    ),
    (
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        &["TLSv1.3"],
        &[TLS13],
    ),
];

/// A security policy's protocols and ciphers (OpenSSL names, by priority).
pub fn ssl_policy(name: &str) -> Option<(Vec<String>, Vec<String>)> {
    let (_, protos, groups) = POLICIES.iter().find(|(n, _, _)| *n == name)?;
    Some((
        protos.iter().map(|p| p.to_string()).collect(),
        groups
            .iter()
            .flat_map(|g| g.iter())
            .map(|c| c.to_string())
            .collect(),
    ))
}

pub fn ssl_policy_exists(name: &str) -> bool {
    POLICIES.iter().any(|(n, _, _)| *n == name)
}

pub(super) fn describe_ssl_policies(
    input: DescribeSSLPoliciesInput,
) -> Result<DescribeSSLPoliciesOutput, AwsError> {
    let names = input.names.filter(|v| !v.is_empty());
    if let Some(names) = &names {
        if names.iter().any(|n| !ssl_policy_exists(n)) {
            return Err(AwsError::client(
                "SSLPolicyNotFound",
                "One or more ssl policies not found",
            ));
        }
    }
    let all: Vec<SslPolicy> = POLICIES
        .iter()
        .filter(|(n, _, _)| names.as_ref().is_none_or(|v| v.iter().any(|x| x == n)))
        .map(|(n, protos, groups)| SslPolicy {
            name: Some(n.to_string()),
            ssl_protocols: Some(protos.iter().map(|p| p.to_string()).collect()),
            ciphers: Some(
                groups
                    .iter()
                    .flat_map(|g| g.iter())
                    .enumerate()
                    .map(|(i, c)| Cipher {
                        name: Some(c.to_string()),
                        priority: Some(i as i32 + 1),
                    })
                    .collect(),
            ),
            supported_load_balancer_types: Some(vec!["application".into(), "network".into()]),
        })
        .collect();
    let (items, next) = page(&all, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeSSLPoliciesOutput {
        ssl_policies: Some(items),
        next_marker: next,
    })
}
