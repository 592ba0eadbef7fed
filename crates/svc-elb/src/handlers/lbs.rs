//! Classic Load Balancers themselves: `CreateLoadBalancer` (listeners HTTP/HTTPS/TCP/SSL,
//! subnets — or availability zones, meaning their default subnets — security groups, the
//! scheme; one node per zone with a loopback address from the node network shared with
//! ELBv2 and a network interface in its subnet; AWS's DNS name
//! `NAME-1234567890.REGION.elb.amazonaws.com`; idempotent for the same settings),
//! `DescribeLoadBalancers` (the full description), `DeleteLoadBalancer`, listeners
//! (`Create`/`DeleteLoadBalancerListeners`), the attributes and the tags.

use crate::classic::Classic;
use crate::errors;
use crate::generated::*;
use crate::state::{self, AttrsRec, Change, HealthRec, LbRec, ListenerRec, ZoneRec};
use nimbus_core::{AwsError, RequestContext, Timestamp};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// "Classic Load Balancers per Region: 20".
const MAX_LBS: usize = 20;
/// "Tags per Classic Load Balancer: 50".
const MAX_TAGS: usize = 50;

fn check_name(name: &str) -> Result<(), AwsError> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(errors::validation(format!(
            "LoadBalancerName '{name}' must have at most 32 characters, only alphanumeric characters and hyphens, and must not begin or end with a hyphen"
        )))
    }
}

/// The balancer `name` of the caller's account and region.
pub(crate) fn find<'a>(
    st: &'a state::State,
    ctx: &RequestContext,
    name: &str,
) -> Result<&'a LbRec, AwsError> {
    find_in(st, ctx.account_id(), &ctx.region, name)
}

pub(crate) fn find_in<'a>(
    st: &'a state::State,
    account: &str,
    region: &str,
    name: &str,
) -> Result<&'a LbRec, AwsError> {
    st.lbs
        .get(&state::key(account, region, name))
        .ok_or_else(|| errors::lb_not_found(name))
}

/// A validated listener: protocols upper-cased, the instance protocol defaulted to the
/// front's layer, the port in AWS's allowed set, HTTPS/SSL with a certificate ACM issued.
fn listener(c: &Classic, ctx: &RequestContext, l: Listener) -> Result<ListenerRec, AwsError> {
    let proto = l.protocol.to_ascii_uppercase();
    let layer7 = match proto.as_str() {
        "HTTP" | "HTTPS" => true,
        "TCP" | "SSL" => false,
        _ => return Err(errors::unsupported_protocol(&l.protocol)),
    };
    let inst = l
        .instance_protocol
        .map(|p| p.to_ascii_uppercase())
        .unwrap_or_else(|| if layer7 { "HTTP".into() } else { "TCP".into() });
    match (layer7, inst.as_str()) {
        (true, "HTTP") | (false, "TCP") => {}
        (true, "HTTPS") | (false, "SSL") => {
            return Err(errors::invalid_config(format!(
                "Instance protocol '{inst}' (TLS to the instances) is not supported by Nimbus yet"
            )))
        }
        _ => {
            return Err(errors::invalid_config(format!(
                "Listener protocol '{proto}' and instance protocol '{inst}' are not compatible"
            )))
        }
    }
    let port = l.load_balancer_port;
    if !(matches!(port, 25 | 80 | 443 | 465 | 587) || (1024..=65535).contains(&port)) {
        return Err(errors::validation(format!(
            "LoadBalancerPort {port} is not valid: it must be 25, 80, 443, 465, 587 or 1024-65535"
        )));
    }
    if !(1..=65535).contains(&l.instance_port) {
        return Err(errors::validation(format!(
            "InstancePort {} is not valid: it must be 1-65535",
            l.instance_port
        )));
    }
    let secure = proto == "HTTPS" || proto == "SSL";
    let certificate = match (secure, l.ssl_certificate_id) {
        (true, None) => {
            return Err(errors::validation(
                "SSLCertificateId is required for an HTTPS or SSL listener",
            ))
        }
        (true, Some(arn)) => {
            check_certificate(c, ctx, &arn)?;
            Some(arn)
        }
        (false, _) => None,
    };
    Ok(ListenerRec {
        protocol: proto,
        lb_port: port,
        instance_protocol: inst,
        instance_port: l.instance_port,
        certificate,
        policies: Vec::new(),
    })
}

pub(crate) fn check_certificate(
    c: &Classic,
    ctx: &RequestContext,
    arn: &str,
) -> Result<(), AwsError> {
    c.certs
        .material(ctx.account_id(), &ctx.region, arn)
        .map(|_| ())
        .ok_or_else(|| errors::certificate_not_found(arn))
}

fn render_listener(l: &ListenerRec) -> ListenerDescription {
    ListenerDescription {
        listener: Some(Listener {
            protocol: l.protocol.clone(),
            load_balancer_port: l.lb_port,
            instance_protocol: Some(l.instance_protocol.clone()),
            instance_port: l.instance_port,
            ssl_certificate_id: l.certificate.clone(),
        }),
        policy_names: Some(l.policies.clone()),
    }
}

pub(crate) fn render_health(h: &HealthRec) -> HealthCheck {
    HealthCheck {
        target: h.target.clone(),
        interval: h.interval,
        timeout: h.timeout,
        unhealthy_threshold: h.unhealthy,
        healthy_threshold: h.healthy,
    }
}

fn render(lb: &LbRec) -> LoadBalancerDescription {
    LoadBalancerDescription {
        load_balancer_name: Some(lb.name.clone()),
        dns_name: Some(lb.dns_name.clone()),
        canonical_hosted_zone_name: Some(lb.dns_name.clone()),
        canonical_hosted_zone_name_id: svc_elbv2::hosted_zone(&lb.region, "classic")
            .map(str::to_string),
        listener_descriptions: Some(lb.listeners.iter().map(render_listener).collect()),
        policies: Some(Policies {
            app_cookie_stickiness_policies: Some(
                lb.policies
                    .iter()
                    .filter_map(|p| {
                        Some(AppCookieStickinessPolicy {
                            policy_name: Some(p.name.clone()),
                            cookie_name: Some(p.app_cookie.clone()?),
                        })
                    })
                    .collect(),
            ),
            lb_cookie_stickiness_policies: Some(
                lb.policies
                    .iter()
                    .filter(|p| p.app_cookie.is_none())
                    .map(|p| LBCookieStickinessPolicy {
                        policy_name: Some(p.name.clone()),
                        cookie_expiration_period: p.lb_cookie_expiration,
                    })
                    .collect(),
            ),
            other_policies: Some(Vec::new()),
        }),
        backend_server_descriptions: Some(Vec::new()),
        availability_zones: Some(lb.zones.iter().map(|z| z.zone.clone()).collect()),
        subnets: Some(lb.zones.iter().map(|z| z.subnet_id.clone()).collect()),
        vpc_id: Some(lb.vpc_id.clone()),
        instances: Some(
            lb.instances
                .iter()
                .filter(|i| i.draining_until.is_none())
                .map(|i| Instance {
                    instance_id: Some(i.id.clone()),
                })
                .collect(),
        ),
        health_check: Some(render_health(&lb.health)),
        security_groups: Some(lb.security_groups.clone()),
        created_time: Some(Timestamp(lb.created)),
        scheme: Some(lb.scheme.clone()),
        ..Default::default()
    }
}

/// The lowest free node address (ELBv2's and Classic's balancers share the network).
fn allocate(c: &Classic, st: &state::State, taken: &[Ipv4Addr]) -> Result<Ipv4Addr, AwsError> {
    let used: BTreeSet<Ipv4Addr> = st
        .lbs
        .values()
        .flat_map(|l| l.zones.iter().filter_map(|z| z.addr.parse().ok()))
        .chain(taken.iter().copied())
        .chain(c.plane.node_addresses())
        .collect();
    let (base, prefix) = c.node_net;
    let size = 1u64 << (32 - u32::from(prefix));
    let base = u32::from(base) & !((size - 1) as u32);
    (1..size.saturating_sub(1))
        .map(|i| Ipv4Addr::from(base + i as u32))
        .find(|a| !used.contains(a))
        .ok_or_else(|| errors::too_many_lbs(0))
}

fn tags_of(tags: Option<Vec<Tag>>) -> Result<Vec<(String, String)>, AwsError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in tags.unwrap_or_default() {
        if out.iter().any(|(k, _)| *k == t.key) {
            return Err(errors::duplicate_tag_keys(&t.key));
        }
        out.push((t.key, t.value.unwrap_or_default()));
    }
    Ok(out)
}

pub(super) async fn create(
    c: &Classic,
    ctx: &RequestContext,
    input: CreateAccessPointInput,
) -> Result<CreateAccessPointOutput, AwsError> {
    check_name(&input.load_balancer_name)?;
    let name = input.load_balancer_name.clone();
    let account = ctx.account_id().to_string();
    let region = ctx.region.clone();
    if input.listeners.is_empty() {
        return Err(errors::validation(
            "At least one listener must be specified",
        ));
    }
    let mut listeners: Vec<ListenerRec> = Vec::new();
    for l in input.listeners {
        let l = listener(c, ctx, l)?;
        if listeners.iter().any(|x| x.lb_port == l.lb_port) {
            return Err(errors::duplicate_listener(l.lb_port));
        }
        listeners.push(l);
    }
    let scheme = input.scheme.unwrap_or_else(|| "internet-facing".into());
    if scheme != "internet-facing" && scheme != "internal" {
        return Err(crate::generated::errors::invalid_scheme_exception(format!(
            "Invalid scheme '{scheme}': it must be internet-facing or internal"
        )));
    }
    let tags = tags_of(input.tags)?;
    let subnet_ids = input.subnets.unwrap_or_default();
    let zones_asked = input.availability_zones.unwrap_or_default();
    let mut subnets = Vec::new();
    match (subnet_ids.is_empty(), zones_asked.is_empty()) {
        (true, true) => {
            return Err(errors::validation(
                "Either AvailabilityZones or SubnetIds must be specified",
            ))
        }
        (false, false) => {
            return Err(errors::validation(
                "AvailabilityZones and Subnets cannot be specified together",
            ))
        }
        (false, true) => {
            for id in &subnet_ids {
                subnets.push(
                    c.network
                        .subnet(&account, &region, id)
                        .ok_or_else(|| errors::subnet_not_found(id))?,
                );
            }
        }
        (true, false) => {
            for z in &zones_asked {
                subnets.push(
                    c.network
                        .default_subnet(&account, &region, z)
                        .ok_or_else(|| {
                            errors::invalid_config(format!(
                        "The availability zone '{z}' has no default subnet: give Subnets instead"
                    ))
                        })?,
                );
            }
        }
    }
    subnets.sort_by(|a, b| a.zone.cmp(&b.zone));
    subnets.dedup_by(|a, b| a.subnet_id == b.subnet_id);
    if subnets.windows(2).any(|w| w[0].zone == w[1].zone) {
        return Err(errors::invalid_config(
            "Only one subnet per Availability Zone may be attached to a load balancer",
        ));
    }
    let vpc_id = subnets[0].vpc_id.clone();
    if subnets.iter().any(|s| s.vpc_id != vpc_id) {
        return Err(errors::invalid_subnet(
            "The subnets must all belong to the same VPC",
        ));
    }
    let mut groups = input.security_groups.unwrap_or_default();
    for g in &groups {
        if c.network
            .security_group_vpc(&account, &region, g)
            .as_deref()
            != Some(vpc_id.as_str())
        {
            return Err(errors::invalid_security_group(g));
        }
    }
    if groups.is_empty() {
        if let Some(d) = c.network.default_security_group(&account, &region, &vpc_id) {
            groups.push(d);
        }
    }
    let key = state::key(&account, &region, &name);
    // The same settings again answer the existing balancer's name (CreateLoadBalancer is
    // idempotent); other settings are a duplicate.
    if let Some(existing) = c.state.read().lbs.get(&key) {
        let same = existing.listeners.len() == listeners.len()
            && listeners.iter().all(|l| {
                existing.listeners.iter().any(|e| {
                    e.lb_port == l.lb_port
                        && e.protocol == l.protocol
                        && e.instance_port == l.instance_port
                        && e.instance_protocol == l.instance_protocol
                })
            })
            && existing.scheme == scheme
            && existing
                .zones
                .iter()
                .map(|z| &z.subnet_id)
                .collect::<BTreeSet<_>>()
                == subnets
                    .iter()
                    .map(|s| &s.subnet_id)
                    .collect::<BTreeSet<_>>();
        return if same {
            Ok(CreateAccessPointOutput {
                dns_name: Some(existing.dns_name.clone()),
            })
        } else {
            Err(errors::duplicate_name(&name))
        };
    }
    // Each node holds a network interface in its subnet (made first, released again when
    // the balancer is not recorded).
    let mut enis: Vec<(String, String)> = Vec::new();
    for s in &subnets {
        let node = svc_elbv2::NodeInterface {
            subnet_id: s.subnet_id.clone(),
            group_ids: groups.clone(),
            description: format!("ELB {name}"),
            interface_type: "interface".into(),
            public: scheme == "internet-facing",
        };
        match c.network.add_node_interface(&account, &region, node).await {
            Ok(e) => enis.push(e),
            Err(e) => {
                release(c, &account, &region, &enis).await;
                return Err(e);
            }
        }
    }
    let first_port = listeners[0].instance_port;
    let created = c
        .mutate(|st| {
            if st.lbs.contains_key(&key) {
                return Err(errors::duplicate_name(&name));
            }
            let count = st
                .lbs
                .values()
                .filter(|l| l.account == account && l.region == region)
                .count();
            if count >= MAX_LBS {
                return Err(errors::too_many_lbs(MAX_LBS));
            }
            let mut addrs = Vec::new();
            let mut zones = Vec::new();
            for (i, s) in subnets.iter().enumerate() {
                let a = allocate(c, st, &addrs)?;
                addrs.push(a);
                zones.push(ZoneRec {
                    zone: s.zone.clone(),
                    subnet_id: s.subnet_id.clone(),
                    addr: a.to_string(),
                    eni_id: enis.get(i).map(|e| e.0.clone()),
                    private_ip: enis.get(i).map(|e| e.1.clone()),
                });
            }
            let digits = 1_000_000_000 + c.ids.next_u64() % 9_000_000_000;
            let internal = if scheme == "internal" {
                "internal-"
            } else {
                ""
            };
            let rec = LbRec {
                account: account.clone(),
                region: region.clone(),
                name: name.clone(),
                dns_name: format!("{internal}{name}-{digits}.{region}.elb.amazonaws.com"),
                scheme: scheme.clone(),
                vpc_id: vpc_id.clone(),
                zones,
                security_groups: groups.clone(),
                listeners: listeners.clone(),
                health: HealthRec {
                    target: format!("TCP:{first_port}"),
                    ..HealthRec::default()
                },
                policies: Vec::new(),
                instances: Vec::new(),
                attrs: AttrsRec::default(),
                tags: tags.clone(),
                created: ctx.now.0,
            };
            let dns = rec.dns_name.clone();
            Ok((Change::put(rec), dns))
        })
        .await;
    match created {
        Ok(dns) => Ok(CreateAccessPointOutput {
            dns_name: Some(dns),
        }),
        Err(e) => {
            release(c, &account, &region, &enis).await;
            Err(e)
        }
    }
}

async fn release(c: &Classic, account: &str, region: &str, enis: &[(String, String)]) {
    for (eni, _) in enis {
        let _ = c.network.remove_node_interface(account, region, eni).await;
    }
}

pub(super) fn describe(
    c: &Classic,
    ctx: &RequestContext,
    input: DescribeAccessPointsInput,
) -> Result<DescribeAccessPointsOutput, AwsError> {
    let st = c.state.read();
    let names = input.load_balancer_names.unwrap_or_default();
    let mut all: Vec<&LbRec> = if names.is_empty() {
        st.lbs
            .values()
            .filter(|l| l.account == ctx.account_id() && l.region == ctx.region)
            .collect()
    } else {
        names
            .iter()
            .map(|n| find(&st, ctx, n))
            .collect::<Result<_, _>>()?
    };
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all.dedup_by(|a, b| a.name == b.name);
    let size = input.page_size.unwrap_or(400);
    if !(1..=400).contains(&size) {
        return Err(errors::validation(format!(
            "PageSize {size} is not valid: it must be 1-400"
        )));
    }
    let start = match &input.marker {
        Some(m) => all
            .iter()
            .position(|l| &l.name == m)
            .ok_or_else(|| errors::validation("Invalid Marker"))?,
        None => 0,
    };
    let end = (start + size as usize).min(all.len());
    Ok(DescribeAccessPointsOutput {
        load_balancer_descriptions: Some(all[start..end].iter().map(|l| render(l)).collect()),
        next_marker: all.get(end).map(|l| l.name.clone()),
    })
}

pub(super) async fn delete(
    c: &Classic,
    ctx: &RequestContext,
    input: DeleteAccessPointInput,
) -> Result<DeleteAccessPointOutput, AwsError> {
    let key = state::key(ctx.account_id(), &ctx.region, &input.load_balancer_name);
    // Deleting a balancer that does not exist succeeds (the call is idempotent).
    let zones = c
        .mutate(|st| match st.lbs.get(&key) {
            None => Ok((Change::default(), Vec::new())),
            Some(lb) => Ok((
                Change {
                    put: Vec::new(),
                    delete: vec![key.clone()],
                },
                lb.zones.clone(),
            )),
        })
        .await?;
    for z in zones {
        if let Some(eni) = z.eni_id {
            let _ = c
                .network
                .remove_node_interface(ctx.account_id(), &ctx.region, &eni)
                .await;
        }
    }
    Ok(DeleteAccessPointOutput {})
}

/// Applies `f` to balancer `name`'s record and stores the result.
pub(crate) async fn update<R>(
    c: &Classic,
    ctx: &RequestContext,
    name: &str,
    f: impl FnOnce(&mut LbRec) -> Result<R, AwsError>,
) -> Result<R, AwsError> {
    update_in(c, ctx.account_id(), &ctx.region, name, f).await
}

pub(crate) async fn update_in<R>(
    c: &Classic,
    account: &str,
    region: &str,
    name: &str,
    f: impl FnOnce(&mut LbRec) -> Result<R, AwsError>,
) -> Result<R, AwsError> {
    c.mutate(|st| {
        let mut rec = find_in(st, account, region, name)?.clone();
        let r = f(&mut rec)?;
        Ok((Change::put(rec), r))
    })
    .await
}

pub(super) async fn create_listeners(
    c: &Classic,
    ctx: &RequestContext,
    input: CreateLoadBalancerListenerInput,
) -> Result<CreateLoadBalancerListenerOutput, AwsError> {
    let mut new = Vec::new();
    for l in input.listeners {
        new.push(listener(c, ctx, l)?);
    }
    update(c, ctx, &input.load_balancer_name, |lb| {
        for l in new {
            match lb.listeners.iter().find(|e| e.lb_port == l.lb_port) {
                Some(e)
                    if e.protocol == l.protocol
                        && e.instance_port == l.instance_port
                        && e.instance_protocol == l.instance_protocol
                        && e.certificate == l.certificate => {}
                Some(_) => return Err(errors::duplicate_listener(l.lb_port)),
                None => lb.listeners.push(l),
            }
        }
        Ok(())
    })
    .await?;
    Ok(CreateLoadBalancerListenerOutput {})
}

pub(super) async fn delete_listeners(
    c: &Classic,
    ctx: &RequestContext,
    input: DeleteLoadBalancerListenerInput,
) -> Result<DeleteLoadBalancerListenerOutput, AwsError> {
    update(c, ctx, &input.load_balancer_name, |lb| {
        lb.listeners
            .retain(|l| !input.load_balancer_ports.contains(&l.lb_port));
        Ok(())
    })
    .await?;
    Ok(DeleteLoadBalancerListenerOutput {})
}

fn render_attrs(a: &AttrsRec) -> LoadBalancerAttributes {
    LoadBalancerAttributes {
        cross_zone_load_balancing: Some(CrossZoneLoadBalancing {
            enabled: a.cross_zone,
        }),
        access_log: Some(AccessLog {
            enabled: a.access_log_enabled,
            s3_bucket_name: a.access_log_bucket.clone(),
            emit_interval: a.access_log_interval,
            s3_bucket_prefix: a.access_log_prefix.clone(),
        }),
        connection_draining: Some(ConnectionDraining {
            enabled: a.draining,
            timeout: Some(a.draining_timeout),
        }),
        connection_settings: Some(ConnectionSettings {
            idle_timeout: a.idle_timeout,
        }),
        additional_attributes: Some(Vec::new()),
    }
}

pub(super) fn describe_attributes(
    c: &Classic,
    ctx: &RequestContext,
    input: DescribeLoadBalancerAttributesInput,
) -> Result<DescribeLoadBalancerAttributesOutput, AwsError> {
    let st = c.state.read();
    let lb = find(&st, ctx, &input.load_balancer_name)?;
    Ok(DescribeLoadBalancerAttributesOutput {
        load_balancer_attributes: Some(render_attrs(&lb.attrs)),
    })
}

pub(super) async fn modify_attributes(
    c: &Classic,
    ctx: &RequestContext,
    input: ModifyLoadBalancerAttributesInput,
) -> Result<ModifyLoadBalancerAttributesOutput, AwsError> {
    let a = input.load_balancer_attributes;
    if let Some(d) = &a.connection_draining {
        if let Some(t) = d.timeout {
            if !(1..=3600).contains(&t) {
                return Err(errors::validation(format!(
                    "ConnectionDraining Timeout {t} is not valid: it must be 1-3600 seconds"
                )));
            }
        }
    }
    if let Some(s) = &a.connection_settings {
        if !(1..=4000).contains(&s.idle_timeout) {
            return Err(errors::validation(format!(
                "ConnectionSettings IdleTimeout {} is not valid: it must be 1-4000 seconds",
                s.idle_timeout
            )));
        }
    }
    if let Some(l) = &a.access_log {
        // No access log is written yet: turning it on would be a success that does nothing
        // (ELBv2 refuses its access logs the same way, decision 0010).
        if l.enabled {
            return Err(errors::invalid_config(
                "Access logs are not supported by Nimbus yet",
            ));
        }
        if let Some(i) = l.emit_interval {
            if i != 5 && i != 60 {
                return Err(errors::validation(format!(
                    "EmitInterval {i} is not valid: it must be 5 or 60 minutes"
                )));
            }
        }
    }
    let name = input.load_balancer_name.clone();
    let attrs = update(c, ctx, &name, |lb| {
        let r = &mut lb.attrs;
        if let Some(x) = a.cross_zone_load_balancing {
            r.cross_zone = x.enabled;
        }
        if let Some(d) = a.connection_draining {
            r.draining = d.enabled;
            if let Some(t) = d.timeout {
                r.draining_timeout = t;
            }
        }
        if let Some(s) = a.connection_settings {
            r.idle_timeout = s.idle_timeout;
        }
        if let Some(l) = a.access_log {
            r.access_log_enabled = l.enabled;
            r.access_log_bucket = l.s3_bucket_name;
            r.access_log_interval = l.emit_interval.or(Some(60)).filter(|_| l.enabled);
            r.access_log_prefix = l.s3_bucket_prefix;
        }
        Ok(r.clone())
    })
    .await?;
    Ok(ModifyLoadBalancerAttributesOutput {
        load_balancer_name: Some(name),
        load_balancer_attributes: Some(render_attrs(&attrs)),
    })
}

pub(super) async fn add_tags(
    c: &Classic,
    ctx: &RequestContext,
    input: AddTagsInput,
) -> Result<AddTagsOutput, AwsError> {
    let tags = tags_of(Some(input.tags))?;
    c.mutate(|st| {
        let mut change = Change::default();
        for n in &input.load_balancer_names {
            let mut rec = find(st, ctx, n)?.clone();
            for (k, v) in &tags {
                match rec.tags.iter_mut().find(|(x, _)| x == k) {
                    Some(t) => t.1 = v.clone(),
                    None => rec.tags.push((k.clone(), v.clone())),
                }
            }
            if rec.tags.len() > MAX_TAGS {
                return Err(crate::generated::errors::too_many_tags_exception(format!(
                    "Load balancer '{n}' would have more than {MAX_TAGS} tags"
                )));
            }
            change.put.push(rec);
        }
        Ok((change, ()))
    })
    .await?;
    Ok(AddTagsOutput {})
}

pub(super) async fn remove_tags(
    c: &Classic,
    ctx: &RequestContext,
    input: RemoveTagsInput,
) -> Result<RemoveTagsOutput, AwsError> {
    let keys: Vec<String> = input.tags.into_iter().filter_map(|t| t.key).collect();
    c.mutate(|st| {
        let mut change = Change::default();
        for n in &input.load_balancer_names {
            let mut rec = find(st, ctx, n)?.clone();
            rec.tags.retain(|(k, _)| !keys.contains(k));
            change.put.push(rec);
        }
        Ok((change, ()))
    })
    .await?;
    Ok(RemoveTagsOutput {})
}

pub(super) fn describe_tags(
    c: &Classic,
    ctx: &RequestContext,
    input: DescribeTagsInput,
) -> Result<DescribeTagsOutput, AwsError> {
    let st = c.state.read();
    let mut out = Vec::new();
    for n in &input.load_balancer_names {
        let lb = find(&st, ctx, n)?;
        out.push(TagDescription {
            load_balancer_name: Some(lb.name.clone()),
            tags: Some(
                lb.tags
                    .iter()
                    .map(|(k, v)| Tag {
                        key: k.clone(),
                        value: Some(v.clone()),
                    })
                    .collect(),
            ),
        });
    }
    Ok(DescribeTagsOutput {
        tag_descriptions: Some(out),
    })
}
