//! Policies of a Classic Load Balancer: the two stickiness policy types
//! (`CreateLBCookieStickinessPolicy`, duration-based, and `CreateAppCookieStickinessPolicy`,
//! following the application's cookie — both carried by the `AWSELB` cookie), which
//! `SetLoadBalancerPoliciesOfListener` puts on an HTTP/HTTPS listener, `DeleteLoadBalancerPolicy`,
//! `DescribeLoadBalancerPolicies`, and an HTTPS/SSL listener's one certificate
//! (`SetLoadBalancerListenerSSLCertificate`).

use super::lbs::{check_certificate, find, update};
use crate::classic::Classic;
use crate::errors;
use crate::generated::*;
use crate::state::{LbRec, PolicyRec};
use nimbus_core::{AwsError, RequestContext};

fn check_policy_name(name: &str) -> Result<(), AwsError> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(errors::validation(format!(
            "PolicyName '{name}' may contain only alphanumeric characters and hyphens"
        )));
    }
    Ok(())
}

async fn add(c: &Classic, ctx: &RequestContext, lb: &str, p: PolicyRec) -> Result<(), AwsError> {
    check_policy_name(&p.name)?;
    update(c, ctx, lb, |rec| {
        if rec.policies.iter().any(|x| x.name == p.name) {
            return Err(errors::duplicate_policy(&p.name));
        }
        rec.policies.push(p);
        Ok(())
    })
    .await
}

pub(super) async fn create_lb_cookie(
    c: &Classic,
    ctx: &RequestContext,
    input: CreateLBCookieStickinessPolicyInput,
) -> Result<CreateLBCookieStickinessPolicyOutput, AwsError> {
    if let Some(p) = input.cookie_expiration_period {
        if p <= 0 {
            return Err(errors::validation(format!(
                "CookieExpirationPeriod {p} is not valid: it must be a positive number of seconds"
            )));
        }
    }
    let p = PolicyRec {
        name: input.policy_name,
        lb_cookie_expiration: input.cookie_expiration_period,
        app_cookie: None,
    };
    add(c, ctx, &input.load_balancer_name, p).await?;
    Ok(CreateLBCookieStickinessPolicyOutput {})
}

pub(super) async fn create_app_cookie(
    c: &Classic,
    ctx: &RequestContext,
    input: CreateAppCookieStickinessPolicyInput,
) -> Result<CreateAppCookieStickinessPolicyOutput, AwsError> {
    if input.cookie_name.is_empty() {
        return Err(errors::validation("CookieName must not be empty"));
    }
    let p = PolicyRec {
        name: input.policy_name,
        lb_cookie_expiration: None,
        app_cookie: Some(input.cookie_name),
    };
    add(c, ctx, &input.load_balancer_name, p).await?;
    Ok(CreateAppCookieStickinessPolicyOutput {})
}

pub(super) async fn set_of_listener(
    c: &Classic,
    ctx: &RequestContext,
    input: SetLoadBalancerPoliciesOfListenerInput,
) -> Result<SetLoadBalancerPoliciesOfListenerOutput, AwsError> {
    let name = input.load_balancer_name.clone();
    let port = input.load_balancer_port;
    update(c, ctx, &name, |lb| {
        let missing: Vec<String> = input
            .policy_names
            .iter()
            .filter(|n| !lb.policies.iter().any(|p| &p.name == *n))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(errors::policy_not_found(&missing));
        }
        if input.policy_names.len() > 1 {
            return Err(errors::invalid_config(
                "A listener can have only one stickiness policy",
            ));
        }
        let l = lb
            .listeners
            .iter_mut()
            .find(|l| l.lb_port == port)
            .ok_or_else(|| errors::listener_not_found(&name, port))?;
        if !input.policy_names.is_empty() && l.protocol != "HTTP" && l.protocol != "HTTPS" {
            return Err(errors::invalid_config(
                "Stickiness policies can only be associated with HTTP/HTTPS listeners",
            ));
        }
        l.policies = input.policy_names.clone();
        Ok(())
    })
    .await?;
    Ok(SetLoadBalancerPoliciesOfListenerOutput {})
}

pub(super) async fn delete(
    c: &Classic,
    ctx: &RequestContext,
    input: DeleteLoadBalancerPolicyInput,
) -> Result<DeleteLoadBalancerPolicyOutput, AwsError> {
    let p = input.policy_name.clone();
    update(c, ctx, &input.load_balancer_name, |lb| {
        if lb.listeners.iter().any(|l| l.policies.contains(&p)) {
            return Err(errors::invalid_config(format!(
                "Policy '{p}' cannot be deleted while a listener uses it"
            )));
        }
        lb.policies.retain(|x| x.name != p);
        Ok(())
    })
    .await?;
    Ok(DeleteLoadBalancerPolicyOutput {})
}

fn describe_policy(p: &PolicyRec) -> PolicyDescription {
    let (ty, attr, value) = match &p.app_cookie {
        Some(cookie) => (
            "AppCookieStickinessPolicyType",
            "CookieName",
            cookie.clone(),
        ),
        None => (
            "LBCookieStickinessPolicyType",
            "CookieExpirationPeriod",
            p.lb_cookie_expiration
                .map_or_else(String::new, |e| e.to_string()),
        ),
    };
    PolicyDescription {
        policy_name: Some(p.name.clone()),
        policy_type_name: Some(ty.into()),
        policy_attribute_descriptions: Some(vec![PolicyAttributeDescription {
            attribute_name: Some(attr.into()),
            attribute_value: Some(value),
        }]),
    }
}

pub(super) fn describe(
    c: &Classic,
    ctx: &RequestContext,
    input: DescribeLoadBalancerPoliciesInput,
) -> Result<DescribeLoadBalancerPoliciesOutput, AwsError> {
    let st = c.state.read();
    let names = input.policy_names.unwrap_or_default();
    let Some(lb_name) = input.load_balancer_name else {
        // AWS's sample (predefined) policies are not modelled: only stickiness exists.
        return Ok(DescribeLoadBalancerPoliciesOutput {
            policy_descriptions: Some(Vec::new()),
        });
    };
    let lb: &LbRec = find(&st, ctx, &lb_name)?;
    let missing: Vec<String> = names
        .iter()
        .filter(|n| !lb.policies.iter().any(|p| &p.name == *n))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(errors::policy_not_found(&missing));
    }
    Ok(DescribeLoadBalancerPoliciesOutput {
        policy_descriptions: Some(
            lb.policies
                .iter()
                .filter(|p| names.is_empty() || names.contains(&p.name))
                .map(describe_policy)
                .collect(),
        ),
    })
}

pub(super) async fn set_certificate(
    c: &Classic,
    ctx: &RequestContext,
    input: SetLoadBalancerListenerSSLCertificateInput,
) -> Result<SetLoadBalancerListenerSSLCertificateOutput, AwsError> {
    check_certificate(c, ctx, &input.ssl_certificate_id)?;
    let name = input.load_balancer_name.clone();
    let port = input.load_balancer_port;
    update(c, ctx, &name, |lb| {
        let l = lb
            .listeners
            .iter_mut()
            .find(|l| l.lb_port == port)
            .ok_or_else(|| errors::listener_not_found(&name, port))?;
        if l.protocol != "HTTPS" && l.protocol != "SSL" {
            return Err(errors::invalid_config(format!(
                "The listener on port {port} is not an HTTPS or SSL listener"
            )));
        }
        l.certificate = Some(input.ssl_certificate_id.clone());
        Ok(())
    })
    .await?;
    Ok(SetLoadBalancerListenerSSLCertificateOutput {})
}
