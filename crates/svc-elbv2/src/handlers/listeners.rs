//! Listeners: `CreateListener` (HTTP/HTTPS on application load balancers, TCP/TLS/UDP/TCP_UDP
//! on network ones; one per port; default actions checked against the target groups'
//! protocols; idempotent for identical settings), `DescribeListeners`, `ModifyListener`,
//! `DeleteListener` (with its rules), and the listener attributes. HTTPS and TLS listeners
//! need exactly one default certificate, an ACM certificate of the account that is issued
//! (`CertificateNotFound` otherwise), and take more through `AddListenerCertificates`
//! (up to 25 beside the default; `DescribeListenerCertificates` marks the default
//! `IsDefault`; the default cannot be removed, only replaced by `ModifyListener`).

use super::common::{new_tags, page, parse_actions, render_actions};
use crate::attributes::Set;
use crate::errors;
use crate::generated::*;
use crate::model::{ActionRec, LbRec, ListenerRec};
use crate::persist::{Change, Op};
use crate::state::{arn_prefix, Elb, State};
use nimbus_core::{AwsError, RequestContext};
use std::collections::BTreeMap;

/// "Listeners per load balancer: 50".
const MAX_LISTENERS: usize = 50;
/// "Certificates per Application Load Balancer (excluding default certificates): 25".
const MAX_CERTIFICATES: usize = 25;
/// The security policy a secure listener gets when none is named (the API's default).
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-2016-08";

pub fn listener_set(protocol: &str) -> Set {
    match protocol {
        "HTTP" | "HTTPS" => Set::ListenerHttp,
        "TCP" => Set::ListenerTcp,
        _ => Set::None,
    }
}

pub fn render(l: &ListenerRec) -> Listener {
    let secure = l.protocol == "HTTPS" || l.protocol == "TLS";
    Listener {
        listener_arn: Some(l.arn.clone()),
        load_balancer_arn: Some(l.lb_arn.clone()),
        port: Some(l.port),
        protocol: Some(l.protocol.clone()),
        certificates: secure.then(|| {
            l.certificates
                .iter()
                .map(|c| Certificate {
                    certificate_arn: Some(c.clone()),
                    is_default: None,
                })
                .collect()
        }),
        ssl_policy: l.ssl_policy.clone(),
        default_actions: Some(render_actions(&l.default_actions)),
        ..Default::default()
    }
}

/// Checks protocol and port for a listener of `lb`, and that forward actions' target groups
/// speak a protocol the listener can carry.
pub(super) fn check_protocol(
    st: &State,
    lb: &LbRec,
    protocol: &str,
    port: i32,
    actions: &[ActionRec],
) -> Result<(), AwsError> {
    let ok = if lb.kind == "application" {
        ["HTTP", "HTTPS"].contains(&protocol)
    } else {
        ["TCP", "TLS", "UDP", "TCP_UDP"].contains(&protocol)
    };
    if !ok {
        return Err(errors::unsupported_protocol(format!(
            "Protocol '{protocol}' is not supported for load balancers of type '{}'",
            lb.kind
        )));
    }
    if !(1..=65535).contains(&port) {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{port}' at 'port' failed to satisfy constraint: Member must have value between 1 and 65535"
        )));
    }
    for a in actions {
        for (g, _) in &a.groups {
            let tg = st.tgs.get(g).ok_or_else(errors::tg_not_found)?;
            let tp = tg.protocol.as_deref().unwrap_or("");
            let fits = match protocol {
                "HTTP" | "HTTPS" => tp == "HTTP" || tp == "HTTPS",
                "TCP" => tp == "TCP" || tp == "TCP_UDP",
                "TLS" => tp == "TCP" || tp == "TLS",
                "UDP" => tp == "UDP" || tp == "TCP_UDP",
                "TCP_UDP" => tp == "TCP_UDP",
                _ => false,
            };
            if !fits {
                return Err(errors::incompatible_protocols(format!(
                    "The listener protocol '{protocol}' is incompatible with the protocol '{tp}' of target group '{g}'"
                )));
            }
        }
    }
    Ok(())
}

/// Checks that each of `certs` is an issued ACM certificate of the caller.
fn check_issued(elb: &Elb, ctx: &RequestContext, certs: &[String]) -> Result<(), AwsError> {
    for c in certs {
        if elb
            .certs
            .material(ctx.account_id(), &ctx.region, c)
            .is_none()
        {
            return Err(errors::certificate_not_found(format!(
                "Certificate '{c}' not found"
            )));
        }
    }
    Ok(())
}

fn check_certificates(
    elb: &Elb,
    ctx: &RequestContext,
    protocol: &str,
    certs: &[String],
) -> Result<(), AwsError> {
    let secure = protocol == "HTTPS" || protocol == "TLS";
    if !secure {
        return Ok(());
    }
    if certs.is_empty() {
        return Err(errors::validation(format!(
            "A certificate must be specified for {protocol} listeners"
        )));
    }
    if certs.len() > 1 {
        return Err(errors::validation(
            "Only one default certificate can be specified for a listener; add others with AddListenerCertificates",
        ));
    }
    check_issued(elb, ctx, certs)
}

pub(super) async fn create(
    elb: &Elb,
    ctx: &RequestContext,
    input: CreateListenerInput,
) -> Result<CreateListenerOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let tags = new_tags(input.tags)?;
    let certs: Vec<String> = input
        .certificates
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| c.certificate_arn)
        .collect();
    elb.mutate(|st| {
        let lb = st
            .lbs
            .get(&input.load_balancer_arn)
            .filter(|l| l.arn.starts_with(&prefix))
            .ok_or_else(errors::lb_not_found)?;
        let protocol = input
            .protocol
            .clone()
            .ok_or_else(|| errors::validation("A listener protocol must be specified"))?;
        let port = input
            .port
            .ok_or_else(|| errors::validation("A listener port must be specified"))?;
        let actions = parse_actions(st, input.default_actions.clone(), &lb.kind, false)?;
        check_protocol(st, lb, &protocol, port, &actions)?;
        if let Some(existing) = st.listeners_of(&lb.arn).find(|l| l.port == port) {
            if existing.protocol == protocol && existing.default_actions == actions {
                let out = CreateListenerOutput {
                    listeners: Some(vec![render(existing)]),
                };
                return Ok((Change::default(), out));
            }
            return Err(errors::duplicate_listener(&lb.arn));
        }
        check_certificates(elb, ctx, &protocol, &certs)?;
        if input.ssl_policy.is_some() && protocol != "HTTPS" && protocol != "TLS" {
            return Err(errors::validation(
                "An SSL policy can only be specified for HTTPS and TLS listeners",
            ));
        }
        if let Some(p) = &input.ssl_policy {
            if !super::misc::ssl_policy_exists(p) {
                return Err(errors::ssl_policy_not_found(p));
            }
        }
        if st.listeners_of(&lb.arn).count() >= MAX_LISTENERS {
            return Err(errors::too_many(
                "TooManyListeners",
                "listeners",
                MAX_LISTENERS,
            ));
        }
        // listener/app/NAME/LBID/ID: the balancer's ARN path after `loadbalancer/`.
        let lb_path = lb
            .arn
            .split_once(":loadbalancer/")
            .map(|x| x.1)
            .unwrap_or("");
        let id = elb.hex(16);
        let arn = format!("{prefix}listener/{lb_path}/{id}");
        let rec = ListenerRec {
            account: lb.account.clone(),
            region: lb.region.clone(),
            default_rule_arn: format!("{prefix}listener-rule/{lb_path}/{id}/{}", elb.hex(16)),
            arn,
            lb_arn: lb.arn.clone(),
            port,
            protocol: protocol.clone(),
            ssl_policy: input.ssl_policy.clone().or_else(|| {
                (protocol == "HTTPS" || protocol == "TLS").then(|| DEFAULT_SSL_POLICY.to_string())
            }),
            certificates: certs.clone(),
            extra_certificates: Vec::new(),
            default_actions: actions,
            created: ctx.now.0,
            attributes: BTreeMap::new(),
            tags: tags.clone(),
        };
        let out = CreateListenerOutput {
            listeners: Some(vec![render(&rec)]),
        };
        Ok((Change::one(Op::PutListener(rec)), out))
    })
    .await
}

pub(super) fn describe(
    elb: &Elb,
    ctx: &RequestContext,
    input: DescribeListenersInput,
) -> Result<DescribeListenersOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let arns = input.listener_arns.filter(|v| !v.is_empty());
    if arns.is_none() && input.load_balancer_arn.is_none() {
        return Err(errors::validation(
            "You must specify either listener ARNs or a load balancer ARN",
        ));
    }
    if arns.is_some() && input.load_balancer_arn.is_some() {
        return Err(errors::validation(
            "Listener ARNs and a load balancer ARN cannot be specified at the same time",
        ));
    }
    let all = elb.read(|st| {
        let mut mine: Vec<&ListenerRec> = match (&input.load_balancer_arn, &arns) {
            (Some(lb), _) => {
                if !lb.starts_with(&prefix) || !st.lbs.contains_key(lb) {
                    return Err(errors::lb_not_found());
                }
                st.listeners_of(lb).collect()
            }
            (None, Some(arns)) => {
                let mut v = Vec::new();
                for a in arns {
                    let l = st
                        .listeners
                        .get(a)
                        .filter(|l| l.arn.starts_with(&prefix))
                        .ok_or_else(errors::listener_not_found)?;
                    v.push(l);
                }
                v
            }
            (None, None) => Vec::new(),
        };
        mine.sort_by_key(|l| l.port);
        Ok(mine.into_iter().map(render).collect::<Vec<_>>())
    })?;
    let (items, next) = page(&all, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeListenersOutput {
        listeners: Some(items),
        next_marker: next,
    })
}

pub(super) async fn modify(
    elb: &Elb,
    ctx: &RequestContext,
    input: ModifyListenerInput,
) -> Result<ModifyListenerOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    elb.mutate(|st| {
        let l = st
            .listeners
            .get(&input.listener_arn)
            .filter(|l| l.arn.starts_with(&prefix))
            .ok_or_else(errors::listener_not_found)?;
        let lb = st.lbs.get(&l.lb_arn).ok_or_else(errors::lb_not_found)?;
        let mut rec = l.clone();
        if let Some(p) = input.port {
            rec.port = p;
        }
        if let Some(p) = input.protocol.clone() {
            rec.protocol = p;
        }
        if let Some(a) = input.default_actions.clone() {
            rec.default_actions = parse_actions(st, a, &lb.kind, false)?;
        }
        if let Some(c) = input.certificates.clone() {
            rec.certificates = c.into_iter().filter_map(|c| c.certificate_arn).collect();
        }
        check_protocol(st, lb, &rec.protocol, rec.port, &rec.default_actions)?;
        if st
            .listeners_of(&lb.arn)
            .any(|o| o.arn != rec.arn && o.port == rec.port)
        {
            return Err(errors::validation(format!(
                "Listener port '{}' is already in use",
                rec.port
            )));
        }
        if rec.protocol != l.protocol || input.certificates.is_some() {
            check_certificates(elb, ctx, &rec.protocol, &rec.certificates)?;
        }
        if let Some(p) = input.ssl_policy.clone() {
            if !super::misc::ssl_policy_exists(&p) {
                return Err(errors::ssl_policy_not_found(&p));
            }
            rec.ssl_policy = Some(p);
        }
        if (rec.protocol == "HTTPS" || rec.protocol == "TLS") && rec.ssl_policy.is_none() {
            rec.ssl_policy = Some(DEFAULT_SSL_POLICY.to_string());
        }
        if rec.protocol == "HTTP" || rec.protocol == "TCP" || rec.protocol == "UDP" {
            rec.ssl_policy = None;
            rec.certificates.clear();
            rec.extra_certificates.clear();
        }
        if listener_set(&rec.protocol) != listener_set(&l.protocol) {
            rec.attributes.clear();
        }
        let out = ModifyListenerOutput {
            listeners: Some(vec![render(&rec)]),
        };
        Ok((Change::one(Op::PutListener(rec)), out))
    })
    .await
}

pub(super) async fn delete(
    elb: &Elb,
    ctx: &RequestContext,
    input: DeleteListenerInput,
) -> Result<DeleteListenerOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    elb.mutate(|st| {
        let l = st
            .listeners
            .get(&input.listener_arn)
            .filter(|l| l.arn.starts_with(&prefix))
            .ok_or_else(errors::listener_not_found)?;
        let mut c = Change::default();
        for r in st.rules_of(&l.arn) {
            c.push(Op::DeleteRule(r.arn.clone()));
        }
        c.push(Op::DeleteListener(l.arn.clone()));
        Ok((c, DeleteListenerOutput {}))
    })
    .await
}

fn render_attrs(l: &ListenerRec) -> Vec<ListenerAttribute> {
    listener_set(&l.protocol)
        .effective(&l.attributes)
        .into_iter()
        .map(|(k, v)| ListenerAttribute {
            key: Some(k),
            value: Some(v),
        })
        .collect()
}

pub(super) fn describe_attributes(
    elb: &Elb,
    ctx: &RequestContext,
    input: DescribeListenerAttributesInput,
) -> Result<DescribeListenerAttributesOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    elb.read(|st| {
        let l = st
            .listeners
            .get(&input.listener_arn)
            .filter(|l| l.arn.starts_with(&prefix))
            .ok_or_else(errors::listener_not_found)?;
        Ok(DescribeListenerAttributesOutput {
            attributes: Some(render_attrs(l)),
        })
    })
}

pub(super) async fn modify_attributes(
    elb: &Elb,
    ctx: &RequestContext,
    input: ModifyListenerAttributesInput,
) -> Result<ModifyListenerAttributesOutput, AwsError> {
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
        let l = st
            .listeners
            .get(&input.listener_arn)
            .filter(|l| l.arn.starts_with(&prefix))
            .ok_or_else(errors::listener_not_found)?;
        let checked = listener_set(&l.protocol).check(&pairs)?;
        let mut rec = l.clone();
        for (k, v) in checked {
            rec.attributes.insert(k, v);
        }
        let out = ModifyListenerAttributesOutput {
            attributes: Some(render_attrs(&rec)),
        };
        Ok((Change::one(Op::PutListener(rec)), out))
    })
    .await
}

fn secure_listener<'a>(
    st: &'a State,
    prefix: &str,
    arn: &str,
) -> Result<&'a ListenerRec, AwsError> {
    st.listeners
        .get(arn)
        .filter(|l| l.arn.starts_with(prefix))
        .ok_or_else(errors::listener_not_found)
}

fn arns(certs: Vec<Certificate>) -> Vec<String> {
    certs
        .into_iter()
        .filter_map(|c| c.certificate_arn)
        .collect()
}

pub(super) async fn add_certificates(
    elb: &Elb,
    ctx: &RequestContext,
    input: AddListenerCertificatesInput,
) -> Result<AddListenerCertificatesOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let add = arns(input.certificates);
    if add.is_empty() {
        return Err(errors::validation(
            "At least one certificate must be specified",
        ));
    }
    check_issued(elb, ctx, &add)?;
    elb.mutate(|st| {
        let l = secure_listener(st, &prefix, &input.listener_arn)?;
        if l.protocol != "HTTPS" && l.protocol != "TLS" {
            return Err(errors::validation(format!(
                "Certificates can only be added to HTTPS and TLS listeners, not to a {} listener",
                l.protocol
            )));
        }
        let mut rec = l.clone();
        for a in &add {
            if !rec.certificates.contains(a) && !rec.extra_certificates.contains(a) {
                rec.extra_certificates.push(a.clone());
            }
        }
        if rec.extra_certificates.len() > MAX_CERTIFICATES {
            return Err(errors::too_many(
                "TooManyCertificates",
                "certificates",
                MAX_CERTIFICATES,
            ));
        }
        let out = AddListenerCertificatesOutput {
            certificates: Some(
                add.iter()
                    .map(|a| Certificate {
                        certificate_arn: Some(a.clone()),
                        is_default: Some(false),
                    })
                    .collect(),
            ),
        };
        Ok((Change::one(Op::PutListener(rec)), out))
    })
    .await
}

pub(super) async fn remove_certificates(
    elb: &Elb,
    ctx: &RequestContext,
    input: RemoveListenerCertificatesInput,
) -> Result<RemoveListenerCertificatesOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let remove = arns(input.certificates);
    if remove.is_empty() {
        return Err(errors::validation(
            "At least one certificate must be specified",
        ));
    }
    elb.mutate(|st| {
        let l = secure_listener(st, &prefix, &input.listener_arn)?;
        if remove.iter().any(|r| l.certificates.contains(r)) {
            return Err(errors::operation_not_permitted(
                "The default certificate of a listener cannot be removed; replace it with ModifyListener",
            ));
        }
        let mut rec = l.clone();
        rec.extra_certificates.retain(|c| !remove.contains(c));
        Ok((
            Change::one(Op::PutListener(rec)),
            RemoveListenerCertificatesOutput {},
        ))
    })
    .await
}

pub(super) fn describe_certificates(
    elb: &Elb,
    ctx: &RequestContext,
    input: DescribeListenerCertificatesInput,
) -> Result<DescribeListenerCertificatesOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let all = elb.read(|st| {
        let l = secure_listener(st, &prefix, &input.listener_arn)?;
        Ok::<_, AwsError>(
            l.certificates
                .iter()
                .map(|c| (c, true))
                .chain(l.extra_certificates.iter().map(|c| (c, false)))
                .map(|(c, d)| Certificate {
                    certificate_arn: Some(c.clone()),
                    is_default: Some(d),
                })
                .collect::<Vec<_>>(),
        )
    })?;
    let (items, next) = page(&all, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeListenerCertificatesOutput {
        certificates: Some(items),
        next_marker: next,
    })
}
