//! Load balancers: `CreateLoadBalancer` (application and network; subnets validated through
//! [`crate::network::Network`], one node per zone with a loopback address from the node
//! network and a network interface in its subnet, AWS's ARN and DNS name formats, idempotent for identical settings),
//! `DescribeLoadBalancers`, `DeleteLoadBalancer` (with its listeners and rules; deletion
//! protection), and the load balancer attributes.

use super::common::{new_tags, page};
use crate::attributes::{self, Set};
use crate::errors;
use crate::generated::*;
use crate::model::{LbRec, ZoneRec};
use crate::network::NodeInterface;
use crate::persist::{Change, Op};
use crate::state::{arn_prefix, Elb, State};
use nimbus_core::{AwsError, RequestContext, Timestamp};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// "Application Load Balancers per Region: 50" (and Network Load Balancers likewise).
const MAX_LBS: usize = 50;
/// A new load balancer reads `provisioning` for this long (Nimbus ms), then `active`.
const PROVISIONING_MS: i64 = 2000;

/// Route 53 hosted zone ids of ELB per region: (region, ALB/CLB, NLB), from the "Elastic
/// Load Balancing endpoints and quotas" table (the regions whose two ids were confirmed).
const ZONES: &[(&str, &str, &str)] = &[
    ("us-east-2", "Z3AADJGX6KTTL2", "ZLMOA37VPKANP"),
    ("us-east-1", "Z35SXDOTRQ7X7K", "Z26RNL4JYFTOTI"),
    ("us-west-1", "Z368ELLRRE2KJ0", "Z24FKFUX50B4VW"),
    ("us-west-2", "Z1H1FL5HABSF5", "Z18D5FSROUN65G"),
    ("ap-south-1", "ZP97RAFLXTNZK", "ZVDDRBQ08TROA"),
    ("ap-northeast-2", "ZWKZPGTI48KDX", "ZIBE1TIR4HY56"),
    ("ap-southeast-1", "Z1LMS91P8CMLE5", "ZKVM4W9LS7TM"),
    ("ap-southeast-2", "Z1GM3OXH4ZPM65", "ZCT6FZBF4DROD"),
    ("ap-northeast-1", "Z14GRHDCWA56QT", "Z31USIVHYNEOWT"),
    ("ca-central-1", "ZQSVJUPU6J1EY", "Z2EPGBW3API2WT"),
    ("eu-central-1", "Z215JYRZR1TBD5", "Z3F0SRJ5LGBH90"),
    ("eu-west-1", "Z32O12XQLNTSW2", "Z2IFOLAFXWLO4F"),
    ("eu-west-2", "ZHURV8PSTC4K8", "ZD4D7Y8KGAS4G"),
    ("eu-west-3", "Z3Q77PNBQS71R4", "Z1CMS0P5QUZ6D5"),
    ("eu-north-1", "Z23TAZ7LKNYDBR", "Z1UDT6IFJ4EJM"),
    ("sa-east-1", "Z2P70J7HTTTPLU", "ZTK26PT1VY4CU"),
];

pub fn hosted_zone(region: &str, kind: &str) -> Option<&'static str> {
    ZONES
        .iter()
        .find(|(r, _, _)| *r == region)
        .map(|(_, alb, nlb)| if kind == "network" { *nlb } else { *alb })
}

fn check_name(name: &str) -> Result<(), AwsError> {
    if name.is_empty() || name.len() > 32 {
        return Err(errors::validation(format!(
            "The load balancer name '{name}' must be between 1 and 32 characters long"
        )));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(errors::validation(format!(
            "The load balancer name '{name}' can contain only alphanumeric characters and hyphens"
        )));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(errors::validation(format!(
            "The load balancer name '{name}' cannot begin or end with a hyphen"
        )));
    }
    if name.starts_with("internal-") {
        return Err(errors::validation(format!(
            "The load balancer name '{name}' cannot begin with 'internal-'"
        )));
    }
    Ok(())
}

fn state_of(lb: &LbRec, now: Timestamp) -> &'static str {
    if now.0 < lb.created + PROVISIONING_MS {
        "provisioning"
    } else {
        "active"
    }
}

pub fn render(lb: &LbRec, now: Timestamp) -> LoadBalancer {
    let app = lb.kind == "application";
    LoadBalancer {
        load_balancer_arn: Some(lb.arn.clone()),
        dns_name: Some(lb.dns_name.clone()),
        canonical_hosted_zone_id: hosted_zone(&lb.region, &lb.kind).map(str::to_string),
        created_time: Some(Timestamp(lb.created)),
        load_balancer_name: Some(lb.name.clone()),
        scheme: Some(lb.scheme.clone()),
        vpc_id: Some(lb.vpc_id.clone()),
        state: Some(LoadBalancerState {
            code: Some(state_of(lb, now).into()),
            reason: None,
        }),
        r#type: Some(lb.kind.clone()),
        availability_zones: Some(
            lb.zones
                .iter()
                .map(|z| AvailabilityZone {
                    zone_name: Some(z.zone.clone()),
                    subnet_id: Some(z.subnet_id.clone()),
                    load_balancer_addresses: Some(if app {
                        Vec::new()
                    } else {
                        vec![LoadBalancerAddress {
                            private_i_pv4_address: Some(z.addr.clone()),
                            ..Default::default()
                        }]
                    }),
                    ..Default::default()
                })
                .collect(),
        ),
        security_groups: (app || !lb.security_groups.is_empty())
            .then(|| lb.security_groups.clone()),
        ip_address_type: Some(lb.ip_address_type.clone()),
        ..Default::default()
    }
}

/// The lowest free address of the node network (its first and last addresses are skipped).
fn allocate(elb: &Elb, st: &State, taken_now: &[Ipv4Addr]) -> Result<Ipv4Addr, AwsError> {
    let used: BTreeSet<Ipv4Addr> = st
        .lbs
        .values()
        .flat_map(|l| l.zones.iter().filter_map(|z| z.addr.parse().ok()))
        .chain(taken_now.iter().copied())
        // Classic Load Balancers' nodes share the network (they publish to the same plane).
        .chain(elb.plane.node_addresses())
        .collect();
    let (base, prefix) = elb.node_net;
    let size = 1u64 << (32 - u32::from(prefix));
    let base = u32::from(base) & !((size - 1) as u32);
    for i in 1..size.saturating_sub(1) {
        let a = Ipv4Addr::from(base + i as u32);
        if !used.contains(&a) {
            return Ok(a);
        }
    }
    Err(AwsError::client(
        "TooManyLoadBalancers",
        "The node address range of this Nimbus is exhausted",
    ))
}

pub(super) async fn create(
    elb: &Elb,
    ctx: &RequestContext,
    input: CreateLoadBalancerInput,
) -> Result<CreateLoadBalancerOutput, AwsError> {
    check_name(&input.name)?;
    let kind = input.r#type.clone().unwrap_or_else(|| "application".into());
    if kind == "gateway" {
        return Err(errors::validation(
            "Gateway Load Balancers are not supported by Nimbus yet",
        ));
    }
    if kind != "application" && kind != "network" {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{kind}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [application, network, gateway]"
        )));
    }
    let scheme = input
        .scheme
        .clone()
        .unwrap_or_else(|| "internet-facing".into());
    if scheme != "internet-facing" && scheme != "internal" {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{scheme}' at 'scheme' failed to satisfy constraint: Member must satisfy enum value set: [internal, internet-facing]"
        )));
    }
    let ip_type = input
        .ip_address_type
        .clone()
        .unwrap_or_else(|| "ipv4".into());
    if ip_type != "ipv4" {
        return Err(errors::invalid_config(format!(
            "IP address type '{ip_type}' is not supported by Nimbus yet"
        )));
    }
    let tags = new_tags(input.tags)?;
    let subnet_ids: Vec<String> = match (input.subnets, input.subnet_mappings) {
        (Some(_), Some(_)) => {
            return Err(errors::validation(
                "You can specify subnets or subnet mappings, not both",
            ))
        }
        (Some(s), None) => s,
        (None, Some(m)) => m.into_iter().filter_map(|m| m.subnet_id).collect(),
        (None, None) => Vec::new(),
    };
    let account = ctx.account_id().to_string();
    let region = ctx.region.clone();
    let mut subnets = Vec::new();
    for id in &subnet_ids {
        let s = elb
            .network
            .subnet(&account, &region, id)
            .ok_or_else(|| errors::subnet_not_found(id))?;
        subnets.push(s);
    }
    subnets.sort_by(|a, b| a.zone.cmp(&b.zone));
    let mut zones_seen = BTreeSet::new();
    for s in &subnets {
        if !zones_seen.insert(s.zone.clone()) {
            return Err(errors::invalid_config(
                "A load balancer cannot be attached to multiple subnets in the same Availability Zone",
            ));
        }
    }
    if kind == "application" && subnets.len() < 2 {
        return Err(errors::validation(
            "At least two subnets in two different Availability Zones must be specified",
        ));
    }
    if subnets.is_empty() {
        return Err(errors::invalid_config(
            "At least one subnet must be specified",
        ));
    }
    let vpc_id = subnets[0].vpc_id.clone();
    if subnets.iter().any(|s| s.vpc_id != vpc_id) {
        return Err(errors::invalid_config(
            "The subnets must all belong to the same VPC",
        ));
    }
    let mut groups = input.security_groups.unwrap_or_default();
    for g in &groups {
        match elb.network.security_group_vpc(&account, &region, g) {
            None => return Err(errors::invalid_security_group(g)),
            Some(v) if v != vpc_id => {
                return Err(errors::invalid_security_group(g));
            }
            Some(_) => {}
        }
    }
    if groups.is_empty() && kind == "application" {
        if let Some(d) = elb
            .network
            .default_security_group(&account, &region, &vpc_id)
        {
            groups.push(d);
        }
    }
    let now = ctx.now;
    let prefix = arn_prefix(ctx);
    let id = elb.hex(16);
    let short = if kind == "application" { "app" } else { "net" };
    // Each node holds a network interface in its subnet, made before the balancer is
    // recorded (and removed again if recording fails); a name already taken needs none.
    let taken = elb.read(|st| {
        st.lbs
            .values()
            .any(|l| l.arn.starts_with(&prefix) && l.name == input.name)
    });
    let mut enis: Vec<(String, String)> = Vec::new();
    if !taken {
        for s in &subnets {
            let node = NodeInterface {
                subnet_id: s.subnet_id.clone(),
                group_ids: groups.clone(),
                description: format!("ELB {short}/{}/{id}", input.name),
                interface_type: if kind == "application" {
                    "interface".into()
                } else {
                    "network_load_balancer".into()
                },
                public: scheme == "internet-facing",
            };
            match elb
                .network
                .add_node_interface(&account, &region, node)
                .await
            {
                Ok(e) => enis.push(e),
                Err(e) => {
                    release(elb, &account, &region, &enis).await;
                    return Err(e);
                }
            }
        }
    }
    let created = elb
        .mutate(|st| {
            if let Some(existing) = st
                .lbs
                .values()
                .find(|l| l.arn.starts_with(&prefix) && l.name == input.name)
            {
                let same = existing.kind == kind
                    && existing.scheme == scheme
                    && existing
                        .zones
                        .iter()
                        .map(|z| &z.subnet_id)
                        .collect::<BTreeSet<_>>()
                        == subnet_ids.iter().collect::<BTreeSet<_>>()
                    && existing.security_groups.iter().collect::<BTreeSet<_>>()
                        == groups.iter().collect::<BTreeSet<_>>();
                if same {
                    let out = CreateLoadBalancerOutput {
                        load_balancers: Some(vec![render(existing, now)]),
                    };
                    return Ok((Change::default(), out));
                }
                return Err(errors::duplicate_lb(&input.name));
            }
            let count = st
                .lbs
                .values()
                .filter(|l| l.arn.starts_with(&prefix) && l.kind == kind)
                .count();
            if count >= MAX_LBS {
                return Err(errors::too_many(
                    "TooManyLoadBalancers",
                    "load balancers",
                    MAX_LBS,
                ));
            }
            let mut addrs: Vec<Ipv4Addr> = Vec::new();
            let mut zones = Vec::new();
            for (i, s) in subnets.iter().enumerate() {
                let a = allocate(elb, st, &addrs)?;
                addrs.push(a);
                zones.push(ZoneRec {
                    zone: s.zone.clone(),
                    subnet_id: s.subnet_id.clone(),
                    addr: a.to_string(),
                    eni_id: enis.get(i).map(|e| e.0.clone()),
                    private_ip: enis.get(i).map(|e| e.1.clone()),
                });
            }
            let internal = if scheme == "internal" {
                "internal-"
            } else {
                ""
            };
            let dns_name = if kind == "application" {
                let digits = 1_000_000_000 + elb.ids.next_u64() % 9_000_000_000;
                format!(
                    "{internal}{}-{digits}.{region}.elb.amazonaws.com",
                    input.name
                )
            } else {
                format!(
                    "{internal}{}-{}.elb.{region}.amazonaws.com",
                    input.name,
                    elb.hex(16)
                )
            };
            let id = id.clone();
            let rec = LbRec {
                account: account.clone(),
                region: region.clone(),
                arn: format!("{prefix}loadbalancer/{short}/{}/{id}", input.name),
                name: input.name.clone(),
                kind: kind.clone(),
                scheme: scheme.clone(),
                vpc_id: vpc_id.clone(),
                zones,
                security_groups: if kind == "application" || !groups.is_empty() {
                    groups.clone()
                } else {
                    Vec::new()
                },
                ip_address_type: ip_type.clone(),
                dns_name,
                created: now.0,
                attributes: BTreeMap::new(),
                tags: tags.clone(),
            };
            let out = CreateLoadBalancerOutput {
                load_balancers: Some(vec![render(&rec, now)]),
            };
            Ok((Change::one(Op::PutLb(rec)), out))
        })
        .await;
    if created.is_err() || taken {
        release(elb, &account, &region, &enis).await;
    }
    created
}

/// Deletes node interfaces made for a balancer that was not recorded (best effort: an
/// interface that cannot be removed is left for the VPC's owner to see).
async fn release(elb: &Elb, account: &str, region: &str, enis: &[(String, String)]) {
    for (eni, _) in enis {
        let _ = elb
            .network
            .remove_node_interface(account, region, eni)
            .await;
    }
}

pub(super) fn describe(
    elb: &Elb,
    ctx: &RequestContext,
    input: DescribeLoadBalancersInput,
) -> Result<DescribeLoadBalancersOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let arns = input.load_balancer_arns.filter(|v| !v.is_empty());
    let names = input.names.filter(|v| !v.is_empty());
    if arns.is_some() && names.is_some() {
        return Err(errors::validation(
            "Load balancer names and load balancer ARNs cannot be specified at the same time",
        ));
    }
    let all: Vec<LoadBalancer> = elb.read(|st| {
        let mut mine: Vec<&LbRec> = st
            .lbs
            .values()
            .filter(|l| l.arn.starts_with(&prefix))
            .collect();
        if let Some(arns) = &arns {
            if arns.iter().any(|a| !mine.iter().any(|l| &l.arn == a)) {
                return Err(errors::lb_not_found());
            }
            mine.retain(|l| arns.contains(&l.arn));
        }
        if let Some(names) = &names {
            let missing: Vec<String> = names
                .iter()
                .filter(|n| !mine.iter().any(|l| &l.name == *n))
                .cloned()
                .collect();
            if !missing.is_empty() {
                return Err(errors::lbs_not_found(&missing));
            }
            mine.retain(|l| names.contains(&l.name));
        }
        mine.sort_by(|a, b| (a.created, &a.name).cmp(&(b.created, &b.name)));
        Ok(mine.into_iter().map(|l| render(l, ctx.now)).collect())
    })?;
    let (items, next) = page(&all, input.marker.as_deref(), input.page_size)?;
    Ok(DescribeLoadBalancersOutput {
        load_balancers: Some(items),
        next_marker: next,
    })
}

pub(super) async fn delete(
    elb: &Elb,
    ctx: &RequestContext,
    input: DeleteLoadBalancerInput,
) -> Result<DeleteLoadBalancerOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    let arn = input.load_balancer_arn;
    if !arn.starts_with("arn:") {
        return Err(errors::validation(format!(
            "'{arn}' is not a valid load balancer ARN"
        )));
    }
    let out = elb
        .mutate(|st| {
            // Deleting a load balancer that does not exist succeeds (the call is idempotent).
            let Some(lb) = st.lbs.get(&arn).filter(|l| l.arn.starts_with(&prefix)) else {
                return Ok((Change::default(), (DeleteLoadBalancerOutput {}, Vec::new())));
            };
            let set = if lb.kind == "application" {
                Set::Alb
            } else {
                Set::Nlb
            };
            if attributes::get(&lb.attributes, set, "deletion_protection.enabled") == "true" {
                return Err(errors::operation_not_permitted(format!(
                "Load balancer '{arn}' cannot be deleted because deletion protection is enabled"
            )));
            }
            let mut c = Change::default();
            for l in st.listeners_of(&arn) {
                for r in st.rules_of(&l.arn) {
                    c.push(Op::DeleteRule(r.arn.clone()));
                }
                c.push(Op::DeleteListener(l.arn.clone()));
            }
            c.push(Op::DeleteLb(arn.clone()));
            let enis: Vec<(String, String)> = lb
                .zones
                .iter()
                .filter_map(|z| Some((z.eni_id.clone()?, String::new())))
                .collect();
            Ok((c, (DeleteLoadBalancerOutput {}, enis)))
        })
        .await?;
    // The nodes' interfaces go with the balancer.
    release(elb, ctx.account_id(), &ctx.region, &out.1).await;
    Ok(out.0)
}

fn lb_set(lb: &LbRec) -> Set {
    if lb.kind == "application" {
        Set::Alb
    } else {
        Set::Nlb
    }
}

pub(super) fn describe_attributes(
    elb: &Elb,
    ctx: &RequestContext,
    input: DescribeLoadBalancerAttributesInput,
) -> Result<DescribeLoadBalancerAttributesOutput, AwsError> {
    let prefix = arn_prefix(ctx);
    elb.read(|st| {
        let lb = st
            .lbs
            .get(&input.load_balancer_arn)
            .filter(|l| l.arn.starts_with(&prefix))
            .ok_or_else(errors::lb_not_found)?;
        Ok(DescribeLoadBalancerAttributesOutput {
            attributes: Some(render_attrs(lb)),
        })
    })
}

fn render_attrs(lb: &LbRec) -> Vec<LoadBalancerAttribute> {
    lb_set(lb)
        .effective(&lb.attributes)
        .into_iter()
        .map(|(k, v)| LoadBalancerAttribute {
            key: Some(k),
            value: Some(v),
        })
        .collect()
}

pub(super) async fn modify_attributes(
    elb: &Elb,
    ctx: &RequestContext,
    input: ModifyLoadBalancerAttributesInput,
) -> Result<ModifyLoadBalancerAttributesOutput, AwsError> {
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
        let lb = st
            .lbs
            .get(&input.load_balancer_arn)
            .filter(|l| l.arn.starts_with(&prefix))
            .ok_or_else(errors::lb_not_found)?;
        let checked = lb_set(lb).check(&pairs)?;
        let mut rec = lb.clone();
        for (k, v) in checked {
            rec.attributes.insert(k, v);
        }
        let out = ModifyLoadBalancerAttributesOutput {
            attributes: Some(render_attrs(&rec)),
        };
        Ok((Change::one(Op::PutLb(rec)), out))
    })
    .await
}
