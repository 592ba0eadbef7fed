//! What the resource handlers share: tag lists (validation, rendering), `Marker`/`PageSize`
//! pagination, and the translation of actions and rule conditions between wire shapes and
//! records, with AWS's validation of each (forward targets must exist, redirect and
//! fixed-response configs, condition fields and their value limits).

use crate::errors;
use crate::generated::*;
use crate::model::{ActionRec, CondRec, FixedRec, RedirectRec, Tags};
use crate::state::State;
use nimbus_core::AwsError;

/// "You can add up to 50 tags to each resource."
pub const MAX_TAGS: usize = 50;

pub fn new_tags(tags: Option<Vec<Tag>>) -> Result<Tags, AwsError> {
    let mut out: Tags = Vec::new();
    for t in tags.unwrap_or_default() {
        check_tag(&t)?;
        if out.iter().any(|(k, _)| *k == t.key) {
            return Err(errors::duplicate_tag_keys(&t.key));
        }
        out.push((t.key, t.value.unwrap_or_default()));
    }
    if out.len() > MAX_TAGS {
        return Err(errors::too_many_tags());
    }
    Ok(out)
}

pub fn check_tag(t: &Tag) -> Result<(), AwsError> {
    if t.key.is_empty() || t.key.chars().count() > 128 {
        return Err(errors::validation(
            "Tag key must be between 1 and 128 characters long",
        ));
    }
    if t.key.starts_with("aws:") {
        return Err(errors::validation(format!(
            "Tag key '{}' cannot start with 'aws:'",
            t.key
        )));
    }
    if t.value.as_deref().is_some_and(|v| v.chars().count() > 256) {
        return Err(errors::validation(
            "Tag value must be at most 256 characters long",
        ));
    }
    Ok(())
}

pub fn render_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: Some(v.clone()),
        })
        .collect()
}

/// One page of `items` after `marker` (the index where the previous page stopped), and the
/// next marker.
pub fn page<T: Clone>(
    items: &[T],
    marker: Option<&str>,
    page_size: Option<i32>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let size = match page_size {
        None => 400,
        Some(n) if (1..=400).contains(&n) => n as usize,
        Some(n) => {
            return Err(errors::validation(format!(
                "1 validation error detected: Value '{n}' at 'pageSize' failed to satisfy constraint: Member must have value {}",
                if n < 1 { "greater than or equal to 1" } else { "less than or equal to 400" }
            )))
        }
    };
    let start = match marker {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|&i| i <= items.len())
            .ok_or_else(|| errors::validation("Invalid marker"))?,
    };
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items[start..end].to_vec(), next))
}

/// Parses and checks a listener's or rule's actions: for load balancer `lb_arn` of type
/// `kind` (`application`/`network`). Forward targets must exist in the same account and
/// region, and match the balancer type.
pub fn parse_actions(
    st: &State,
    actions: Vec<Action>,
    kind: &str,
    for_rule: bool,
) -> Result<Vec<ActionRec>, AwsError> {
    if actions.is_empty() {
        return Err(errors::validation("At least one action must be specified"));
    }
    let mut out = Vec::new();
    for (i, a) in actions.into_iter().enumerate() {
        let order = a.order;
        if let Some(o) = order {
            if !(1..=50000).contains(&o) {
                return Err(errors::validation(format!(
                    "Action order '{o}' must be between 1 and 50000"
                )));
            }
        }
        let rec = match a.r#type.as_str() {
            "forward" => {
                let mut groups: Vec<(String, i32)> = Vec::new();
                let single = a.target_group_arn.is_some();
                if let Some(arn) = a.target_group_arn {
                    groups.push((arn, 1));
                }
                let mut stick = None;
                if let Some(fc) = a.forward_config {
                    let tuples = fc.target_groups.unwrap_or_default();
                    if single && !tuples.is_empty() {
                        let same = tuples.len() == 1
                            && tuples[0].target_group_arn.as_deref() == Some(groups[0].0.as_str());
                        if !same {
                            return Err(errors::invalid_action(
                                "You cannot specify both a target group ARN and a forward config with different target groups",
                            ));
                        }
                        groups.clear();
                    }
                    for t in tuples {
                        let arn = t.target_group_arn.ok_or_else(|| {
                            errors::validation("A target group ARN must be specified")
                        })?;
                        let w = t.weight.unwrap_or(1);
                        if !(0..=999).contains(&w) {
                            return Err(errors::validation(format!(
                                "Target group weight '{w}' must be between 0 and 999"
                            )));
                        }
                        groups.push((arn, w));
                    }
                    if let Some(s) = fc.target_group_stickiness_config {
                        let on = s.enabled.unwrap_or(false);
                        if let Some(d) = s.duration_seconds {
                            if !(1..=604800).contains(&d) {
                                return Err(errors::validation(
                                    "Target group stickiness duration must be between 1 and 604800 seconds",
                                ));
                            }
                        }
                        stick = Some((on, s.duration_seconds));
                    }
                }
                if groups.is_empty() {
                    return Err(errors::validation(
                        "A target group ARN must be specified for a forward action",
                    ));
                }
                if groups.len() > 5 {
                    return Err(errors::too_many(
                        "TooManyTargetGroups",
                        "target groups in a forward action",
                        5,
                    ));
                }
                for (g, _) in &groups {
                    let tg = st.tgs.get(g).ok_or_else(errors::tg_not_found)?;
                    let http = tg.protocol.as_deref().is_some_and(|p| p.starts_with("HTTP"));
                    if (kind == "application") != http {
                        return Err(errors::incompatible_protocols(format!(
                            "The target group '{g}' has a protocol that is incompatible with the load balancer"
                        )));
                    }
                }
                ActionRec {
                    kind: "forward".into(),
                    order,
                    single: single && groups.len() == 1,
                    groups,
                    group_stickiness: stick,
                    redirect: None,
                    fixed: None,
                }
            }
            "redirect" | "fixed-response" if kind != "application" => {
                return Err(errors::invalid_action(format!(
                    "Action type '{}' is not supported for a network load balancer",
                    a.r#type
                )))
            }
            "redirect" => {
                let r = a.redirect_config.ok_or_else(|| {
                    errors::validation("A redirect configuration must be specified for a redirect action")
                })?;
                if r.status_code != "HTTP_301" && r.status_code != "HTTP_302" {
                    return Err(errors::validation(format!(
                        "Redirect status code '{}' is not valid; it must be HTTP_301 or HTTP_302",
                        r.status_code
                    )));
                }
                if let Some(p) = &r.protocol {
                    if !["HTTP", "HTTPS", "#{protocol}"].contains(&p.as_str()) {
                        return Err(errors::validation(format!(
                            "Redirect protocol '{p}' is not valid"
                        )));
                    }
                }
                if let Some(p) = &r.path {
                    if !p.starts_with('/') {
                        return Err(errors::validation(
                            "The redirect path must start with a '/'",
                        ));
                    }
                }
                ActionRec {
                    kind: "redirect".into(),
                    order,
                    groups: Vec::new(),
                    single: false,
                    group_stickiness: None,
                    redirect: Some(RedirectRec {
                        protocol: r.protocol,
                        port: r.port,
                        host: r.host,
                        path: r.path,
                        query: r.query,
                        status_code: r.status_code,
                    }),
                    fixed: None,
                }
            }
            "fixed-response" => {
                let f = a.fixed_response_config.ok_or_else(|| {
                    errors::validation("A fixed-response configuration must be specified for a fixed-response action")
                })?;
                let ok = f.status_code.len() == 3
                    && matches!(f.status_code.as_bytes()[0], b'2' | b'4' | b'5')
                    && f.status_code.bytes().all(|b| b.is_ascii_digit());
                if !ok {
                    return Err(errors::validation(format!(
                        "Fixed-response status code '{}' is not valid; it must be a 2XX, 4XX or 5XX code",
                        f.status_code
                    )));
                }
                if let Some(ct) = &f.content_type {
                    const TYPES: [&str; 5] = [
                        "text/plain",
                        "text/css",
                        "text/html",
                        "application/javascript",
                        "application/json",
                    ];
                    if !TYPES.contains(&ct.as_str()) {
                        return Err(errors::validation(format!(
                            "Fixed-response content type '{ct}' is not valid"
                        )));
                    }
                }
                if f.message_body.as_deref().is_some_and(|b| b.len() > 1024) {
                    return Err(errors::validation(
                        "The fixed-response message body cannot be longer than 1024 characters",
                    ));
                }
                ActionRec {
                    kind: "fixed-response".into(),
                    order,
                    groups: Vec::new(),
                    single: false,
                    group_stickiness: None,
                    redirect: None,
                    fixed: Some(FixedRec {
                        status_code: f.status_code,
                        content_type: f.content_type,
                        body: f.message_body,
                    }),
                }
            }
            "authenticate-oidc" | "authenticate-cognito" | "jwt-validation" => {
                return Err(errors::invalid_action(format!(
                    "Action type '{}' is not supported by Nimbus yet",
                    a.r#type
                )))
            }
            other => {
                return Err(errors::validation(format!(
                    "1 validation error detected: Value '{other}' at 'actions.{}.member.type' failed to satisfy constraint: Member must satisfy enum value set: [redirect, forward, authenticate-cognito, fixed-response, authenticate-oidc, jwt-validation]",
                    i + 1
                )))
            }
        };
        out.push(rec);
    }
    let terminal = out
        .iter()
        .filter(|a| matches!(a.kind.as_str(), "forward" | "redirect" | "fixed-response"))
        .count();
    if terminal != 1 {
        return Err(errors::invalid_action(
            "Exactly one of the actions must be a forward, redirect or fixed-response action",
        ));
    }
    let _ = for_rule;
    Ok(out)
}

pub fn render_actions(actions: &[ActionRec]) -> Vec<Action> {
    actions
        .iter()
        .map(|a| match a.kind.as_str() {
            "forward" => Action {
                r#type: "forward".into(),
                order: a.order,
                target_group_arn: a.single.then(|| a.groups[0].0.clone()),
                forward_config: Some(ForwardActionConfig {
                    target_groups: Some(
                        a.groups
                            .iter()
                            .map(|(g, w)| TargetGroupTuple {
                                target_group_arn: Some(g.clone()),
                                weight: Some(*w),
                            })
                            .collect(),
                    ),
                    target_group_stickiness_config: Some(TargetGroupStickinessConfig {
                        enabled: Some(a.group_stickiness.is_some_and(|s| s.0)),
                        duration_seconds: a.group_stickiness.and_then(|s| s.1),
                    }),
                }),
                ..Default::default()
            },
            "redirect" => {
                let r = a.redirect.clone().unwrap_or_else(|| RedirectRec {
                    protocol: None,
                    port: None,
                    host: None,
                    path: None,
                    query: None,
                    status_code: "HTTP_301".into(),
                });
                Action {
                    r#type: "redirect".into(),
                    order: a.order,
                    redirect_config: Some(RedirectActionConfig {
                        protocol: Some(r.protocol.unwrap_or_else(|| "#{protocol}".into())),
                        port: Some(r.port.unwrap_or_else(|| "#{port}".into())),
                        host: Some(r.host.unwrap_or_else(|| "#{host}".into())),
                        path: Some(r.path.unwrap_or_else(|| "/#{path}".into())),
                        query: Some(r.query.unwrap_or_else(|| "#{query}".into())),
                        status_code: r.status_code,
                    }),
                    ..Default::default()
                }
            }
            _ => {
                let f = a.fixed.clone();
                Action {
                    r#type: "fixed-response".into(),
                    order: a.order,
                    fixed_response_config: f.map(|f| FixedResponseActionConfig {
                        message_body: f.body,
                        status_code: f.status_code,
                        content_type: f.content_type,
                    }),
                    ..Default::default()
                }
            }
        })
        .collect()
}

fn cond_values(
    field: &str,
    legacy: Option<Vec<String>>,
    config: Option<Vec<String>>,
) -> Result<(Vec<String>, bool), AwsError> {
    match (legacy, config) {
        (Some(_), Some(_)) => Err(errors::validation(format!(
            "You cannot specify both 'Values' and a '{field}' configuration"
        ))),
        (Some(v), None) => Ok((v, true)),
        (None, Some(v)) => Ok((v, false)),
        (None, None) => Err(errors::validation(format!(
            "A '{field}' condition must have values"
        ))),
    }
}

/// Parses and checks rule conditions (AWS: at most 5 condition values per rule in all,
/// one of each field except http-header and query-string).
pub fn parse_conditions(conds: Vec<RuleCondition>) -> Result<Vec<CondRec>, AwsError> {
    let mut out: Vec<CondRec> = Vec::new();
    let mut total = 0usize;
    for c in conds {
        let field = c.field.clone().unwrap_or_default();
        let rec = match field.as_str() {
            "host-header" => {
                let (values, legacy) = cond_values(
                    &field,
                    c.values,
                    c.host_header_config.and_then(|h| h.values),
                )?;
                for v in &values {
                    if v.is_empty() || v.len() > 128 {
                        return Err(errors::validation(
                            "A host-header value must be between 1 and 128 characters",
                        ));
                    }
                }
                CondRec { field: field.clone(), values, header_name: None, query: Vec::new(), legacy_values: legacy }
            }
            "path-pattern" => {
                let (values, legacy) = cond_values(
                    &field,
                    c.values,
                    c.path_pattern_config.and_then(|h| h.values),
                )?;
                for v in &values {
                    if v.is_empty() || v.len() > 128 {
                        return Err(errors::validation(
                            "A path-pattern value must be between 1 and 128 characters",
                        ));
                    }
                }
                CondRec { field: field.clone(), values, header_name: None, query: Vec::new(), legacy_values: legacy }
            }
            "http-header" => {
                let h = c.http_header_config.ok_or_else(|| {
                    errors::validation("An 'http-header' condition must have an HttpHeaderConfig")
                })?;
                let name = h.http_header_name.unwrap_or_default();
                if name.is_empty() || name.len() > 40 {
                    return Err(errors::validation(
                        "The HTTP header name must be between 1 and 40 characters",
                    ));
                }
                CondRec { field: field.clone(), values: h.values.unwrap_or_default(), header_name: Some(name), query: Vec::new(), legacy_values: false }
            }
            "http-request-method" => {
                let v = c
                    .http_request_method_config
                    .and_then(|m| m.values)
                    .unwrap_or_default();
                for m in &v {
                    if m.is_empty() || m.len() > 40 || !m.bytes().all(|b| b.is_ascii_uppercase() || b == b'_' || b == b'-') {
                        return Err(errors::validation(format!(
                            "HTTP request method '{m}' is not valid"
                        )));
                    }
                }
                CondRec { field: field.clone(), values: v, header_name: None, query: Vec::new(), legacy_values: false }
            }
            "query-string" => {
                let pairs: Vec<(Option<String>, String)> = c
                    .query_string_config
                    .and_then(|q| q.values)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| (p.key, p.value.unwrap_or_default()))
                    .collect();
                CondRec { field: field.clone(), values: Vec::new(), header_name: None, query: pairs, legacy_values: false }
            }
            "source-ip" => {
                let v = c.source_ip_config.and_then(|s| s.values).unwrap_or_default();
                for ip in &v {
                    if nimbus_lb::config::Cidr::parse(ip).is_none() {
                        return Err(errors::validation(format!(
                            "The source IP '{ip}' is not a valid CIDR block"
                        )));
                    }
                }
                CondRec { field: field.clone(), values: v, header_name: None, query: Vec::new(), legacy_values: false }
            }
            other => {
                return Err(errors::validation(format!(
                    "Condition field '{other}' must be one of '[http-header, http-request-method, host-header, path-pattern, query-string, source-ip]'"
                )))
            }
        };
        let n = rec.values.len().max(rec.query.len());
        if n == 0 {
            return Err(errors::validation(format!(
                "A '{}' condition must have at least one value",
                rec.field
            )));
        }
        total += n;
        let repeatable = rec.field == "http-header" || rec.field == "query-string";
        if !repeatable && out.iter().any(|o| o.field == rec.field) {
            return Err(errors::validation(format!(
                "A rule can only have one '{}' condition",
                rec.field
            )));
        }
        out.push(rec);
    }
    if total > 5 {
        return Err(errors::validation(
            "A rule can only have '5' condition values",
        ));
    }
    Ok(out)
}

pub fn render_conditions(conds: &[CondRec]) -> Vec<RuleCondition> {
    conds
        .iter()
        .map(|c| {
            let mut rc = RuleCondition {
                field: Some(c.field.clone()),
                ..Default::default()
            };
            match c.field.as_str() {
                "host-header" => {
                    rc.values = Some(c.values.clone());
                    rc.host_header_config = Some(HostHeaderConditionConfig {
                        values: Some(c.values.clone()),
                        regex_values: None,
                    });
                }
                "path-pattern" => {
                    rc.values = Some(c.values.clone());
                    rc.path_pattern_config = Some(PathPatternConditionConfig {
                        values: Some(c.values.clone()),
                        regex_values: None,
                    });
                }
                "http-header" => {
                    rc.http_header_config = Some(HttpHeaderConditionConfig {
                        http_header_name: c.header_name.clone(),
                        values: Some(c.values.clone()),
                        regex_values: None,
                    })
                }
                "http-request-method" => {
                    rc.http_request_method_config = Some(HttpRequestMethodConditionConfig {
                        values: Some(c.values.clone()),
                    })
                }
                "query-string" => {
                    rc.query_string_config = Some(QueryStringConditionConfig {
                        values: Some(
                            c.query
                                .iter()
                                .map(|(k, v)| QueryStringKeyValuePair {
                                    key: k.clone(),
                                    value: Some(v.clone()),
                                })
                                .collect(),
                        ),
                    })
                }
                _ => {
                    rc.source_ip_config = Some(SourceIpConditionConfig {
                        values: Some(c.values.clone()),
                    })
                }
            }
            rc
        })
        .collect()
}
