//! Helpers shared by the EC2 handler tests: a request context per (account, region), a
//! service over a given store with seeded ids, and shorthand for the calls most tests make.
#![allow(dead_code)]

use nimbus_core::{AwsError, Ids, Principal, RequestContext, Timestamp};
use nimbus_store::Store;
use std::sync::Arc;
use svc_ec2::generated::*;
use svc_ec2::Ec2;

pub const ACCOUNT: &str = "000000000000";

pub fn ctx_in(account: &str, region: &str) -> RequestContext {
    RequestContext {
        request_id: "req-1".into(),
        principal: Principal::root(account, "AKIDEXAMPLE").into(),
        region: region.into(),
        now: Timestamp::from_secs(1_700_000_000),
        host: "localhost".into(),
        source_ip: None,
    }
}

pub fn ctx() -> RequestContext {
    ctx_in(ACCOUNT, "us-east-1")
}

pub fn ec2_over(store: Store, seed: u64) -> Ec2 {
    Ec2::load(store, Arc::new(Ids::from_seed(seed))).expect("load EC2 state")
}

pub fn ec2() -> Ec2 {
    ec2_over(Store::in_memory(), 1)
}

pub async fn create(ec2: &Ec2, ctx: &RequestContext, name: &str) -> String {
    ec2.create_security_group(
        ctx,
        CreateSecurityGroupRequest {
            group_name: name.into(),
            description: format!("{name} group"),
            ..Default::default()
        },
    )
    .await
    .expect("create group")
    .group_id
    .expect("group id")
}

pub async fn describe_ids(
    ec2: &Ec2,
    ctx: &RequestContext,
    ids: &[&str],
) -> Result<Vec<SecurityGroup>, AwsError> {
    let out = ec2
        .describe_security_groups(
            ctx,
            DescribeSecurityGroupsRequest {
                group_ids: Some(ids.iter().map(|s| s.to_string()).collect()),
                ..Default::default()
            },
        )
        .await?;
    Ok(out.security_groups.unwrap_or_default())
}

pub async fn describe_one(ec2: &Ec2, ctx: &RequestContext, id: &str) -> SecurityGroup {
    describe_ids(ec2, ctx, &[id])
        .await
        .expect("describe")
        .remove(0)
}

pub async fn default_group(ec2: &Ec2, ctx: &RequestContext) -> SecurityGroup {
    ec2.describe_security_groups(
        ctx,
        DescribeSecurityGroupsRequest {
            group_names: Some(vec!["default".into()]),
            ..Default::default()
        },
    )
    .await
    .expect("describe default")
    .security_groups
    .unwrap_or_default()
    .remove(0)
}

pub fn filter(name: &str, values: &[&str]) -> Filter {
    Filter {
        name: Some(name.into()),
        values: Some(values.iter().map(|s| s.to_string()).collect()),
    }
}

/// A permission of `protocol` `from`-`to` for the given IPv4 CIDRs.
pub fn perm(protocol: &str, from: Option<i32>, to: Option<i32>, cidrs: &[&str]) -> IpPermission {
    IpPermission {
        ip_protocol: Some(protocol.into()),
        from_port: from,
        to_port: to,
        ip_ranges: Some(
            cidrs
                .iter()
                .map(|c| IpRange {
                    cidr_ip: Some(c.to_string()),
                    description: None,
                })
                .collect(),
        ),
        ..Default::default()
    }
}

/// The legacy flat form of `--protocol tcp --port P --cidr C`.
pub fn legacy_ingress(
    group_id: &str,
    protocol: &str,
    port: i32,
    cidr: &str,
) -> AuthorizeSecurityGroupIngressRequest {
    AuthorizeSecurityGroupIngressRequest {
        group_id: Some(group_id.into()),
        ip_protocol: Some(protocol.into()),
        from_port: Some(port),
        to_port: Some(port),
        cidr_ip: Some(cidr.into()),
        ..Default::default()
    }
}

pub async fn ingress(
    ec2: &Ec2,
    ctx: &RequestContext,
    group_id: &str,
    perms: Vec<IpPermission>,
) -> Result<AuthorizeSecurityGroupIngressResult, AwsError> {
    ec2.authorize_security_group_ingress(
        ctx,
        AuthorizeSecurityGroupIngressRequest {
            group_id: Some(group_id.into()),
            ip_permissions: Some(perms),
            ..Default::default()
        },
    )
    .await
}

pub fn err_code<T: std::fmt::Debug>(r: Result<T, AwsError>) -> String {
    r.expect_err("expected an error").code.to_string()
}
