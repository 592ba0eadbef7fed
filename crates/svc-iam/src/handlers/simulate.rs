//! The policy simulator (`SimulatePrincipalPolicy`, `SimulateCustomPolicy`): the same
//! evaluator that enforces every request ([`nimbus_iam_policy::evaluate`], called by the
//! gateway's authorizer with the same cached, parsed policies from [`crate::Directory`]),
//! asked about each action × resource of the request, with only the context the caller
//! gives (plus the principal's own keys such as `aws:username`, which policy variables
//! need). Each result carries the deciding statement (`MatchedStatements`: the allow that
//! granted or the deny that refused, by policy name and type as IAM reports them; no line
//! and column positions) and, when a boundary takes part, whether it allowed. Not here:
//! `MissingContextValues` (always empty), Organizations SCPs, `ResourceHandlingOption`
//! scenarios beyond the default.

use crate::directory::NamedPolicy;
use crate::errors;
use crate::generated::*;
use crate::render;
use crate::state::Iam;
use crate::validate::Checker;
use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_policy as policy;
use std::sync::Arc;

/// One policy taking part, with the id and type IAM reports for it.
struct Part {
    id: String,
    kind: Option<&'static str>,
    policy: Arc<policy::Policy>,
}

/// How IAM names a stored policy in `MatchedStatements`: managed ones by name (type
/// `aws-managed` or `user-managed`), inline ones by name and the kind of their owner.
fn part_of(n: &NamedPolicy) -> Part {
    let (id, kind) = match n.source.split_once("#inline/") {
        Some((owner, name)) => {
            let kind = owner
                .split(':')
                .nth(5)
                .and_then(|r| r.split('/').next())
                .and_then(|k| match k {
                    "user" => Some("user"),
                    "group" => Some("group"),
                    "role" => Some("role"),
                    _ => None,
                });
            (name.to_string(), kind)
        }
        None => {
            let name = n.source.rsplit('/').next().unwrap_or_default().to_string();
            let kind = if n.source.starts_with("arn:aws:iam::aws:policy/") {
                "aws-managed"
            } else {
                "user-managed"
            };
            (name, Some(kind))
        }
    };
    Part {
        id,
        kind,
        policy: n.policy.clone(),
    }
}

/// The policies of a `…InputList`, parsed as `kind`, named `{list}.{n}`.
fn inputs(list: &str, docs: &[String], kind: policy::PolicyKind) -> Result<Vec<Part>, AwsError> {
    docs.iter()
        .enumerate()
        .map(|(i, d)| {
            let p = policy::Policy::parse(d, kind).map_err(|e| {
                errors::invalid_input(format!("{list}.{} is not a valid policy: {e}", i + 1))
            })?;
            Ok(Part {
                id: format!("{list}.{}", i + 1),
                kind: None,
                policy: Arc::new(p),
            })
        })
        .collect()
}

/// Everything one simulation decides with.
struct Simulation {
    principal: policy::Principal,
    identity: Vec<Part>,
    boundary: Option<Part>,
    resource: Option<Part>,
    resource_owner: Option<String>,
    context: policy::Context,
}

fn decision(d: policy::Decision) -> &'static str {
    match d {
        policy::Decision::Allow => "allowed",
        policy::Decision::ExplicitDeny => "explicitDeny",
        policy::Decision::ImplicitDeny => "implicitDeny",
    }
}

impl Simulation {
    fn part(&self, id: &str) -> Option<&Part> {
        self.identity
            .iter()
            .chain(&self.boundary)
            .chain(&self.resource)
            .find(|p| p.id == id)
    }

    fn evaluate(&self, action: &str, resource: &str) -> EvaluationResult {
        let identity: Vec<_> = self
            .identity
            .iter()
            .map(|p| policy::PolicyRef {
                id: &p.id,
                policy: &p.policy,
            })
            .collect();
        let boundary = self.boundary.as_ref().map(|p| policy::PolicyRef {
            id: &p.id,
            policy: &p.policy,
        });
        let resource_policy = self.resource.as_ref().map(|p| policy::ResourcePolicy {
            id: &p.id,
            policy: &p.policy,
            kind: policy::ResourcePolicyKind::Resource,
        });
        let request = policy::Request {
            principal: &self.principal,
            action,
            resource,
            resource_account: self
                .resource_owner
                .as_deref()
                .filter(|a| *a != self.principal.account()),
            context: &self.context,
        };
        let e = policy::evaluate(
            &request,
            &policy::Policies {
                identity,
                permissions_boundary: boundary,
                session: Vec::new(),
                resource: resource_policy,
            },
        );
        let matched = e
            .statement
            .as_ref()
            .map(|s| {
                let kind = self.part(&s.policy_id).and_then(|p| p.kind);
                let kind = if self.resource.as_ref().is_some_and(|r| r.id == s.policy_id) {
                    Some("resource")
                } else {
                    kind
                };
                vec![Statement {
                    source_policy_id: Some(s.policy_id.clone()),
                    source_policy_type: kind.map(str::to_string),
                    start_position: None,
                    end_position: None,
                }]
            })
            .unwrap_or_default();
        // Whether the boundary alone would allow this (AWS's PermissionsBoundaryDecisionDetail).
        let boundary_detail = boundary.map(|b| {
            let alone = policy::evaluate(
                &request,
                &policy::Policies {
                    identity: vec![b],
                    ..Default::default()
                },
            );
            PermissionsBoundaryDecisionDetail {
                allowed_by_permissions_boundary: Some(alone.is_allowed()),
            }
        });
        EvaluationResult {
            eval_action_name: action.to_string(),
            eval_resource_name: Some(resource.to_string()),
            eval_decision: decision(e.decision).to_string(),
            matched_statements: Some(matched),
            missing_context_values: Some(Vec::new()),
            organizations_decision_detail: None,
            permissions_boundary_decision_detail: boundary_detail,
            eval_decision_details: None,
            resource_specific_results: None,
        }
    }
}

/// The context the caller gave, over the principal's own keys.
fn context(principal: &policy::Principal, entries: &Option<Vec<ContextEntry>>) -> policy::Context {
    let mut c = policy::Context::for_principal(principal);
    for e in entries.iter().flatten() {
        if let Some(name) = &e.context_key_name {
            c.set_multi(
                name,
                e.context_key_values.iter().flatten().map(String::as_str),
            );
        }
    }
    c
}

/// Runs `sim` over every action × resource and pages the results.
fn answer(
    sim: &Simulation,
    actions: &[String],
    resources: Option<&Vec<String>>,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> SimulatePolicyResponse {
    let star = vec!["*".to_string()];
    let resources = resources.filter(|r| !r.is_empty()).unwrap_or(&star);
    let results: Vec<EvaluationResult> = actions
        .iter()
        .flat_map(|a| resources.iter().map(move |r| sim.evaluate(a, r)))
        .collect();
    let (page, is_truncated, marker) = render::page_indexed(results, marker, max_items);
    SimulatePolicyResponse {
        evaluation_results: Some(page),
        is_truncated,
        marker,
    }
}

fn check(actions: &[String], max_items: Option<i32>, marker: Option<&str>) -> Result<(), AwsError> {
    Checker::new().max_items(max_items).marker(marker).done()?;
    if actions.is_empty() {
        return Err(errors::validation(&[
            "Value null at 'actionNames' failed to satisfy constraint: Member must not be null"
                .to_string(),
        ]));
    }
    Ok(())
}

fn resource_part(doc: Option<&String>) -> Result<Option<Part>, AwsError> {
    doc.map(|d| {
        inputs(
            "ResourcePolicy",
            std::slice::from_ref(d),
            policy::PolicyKind::Resource,
        )
        .map(|mut v| {
            let mut p = v.remove(0);
            p.id = "ResourcePolicy".into();
            p.kind = Some("resource");
            p
        })
    })
    .transpose()
}

pub(super) async fn simulate_principal_policy(
    iam: &Iam,
    ctx: &RequestContext,
    input: SimulatePrincipalPolicyRequest,
) -> Result<SimulatePolicyResponse, AwsError> {
    check(
        &input.action_names,
        input.max_items,
        input.marker.as_deref(),
    )?;
    let account = ctx.account_id();
    let invalid = || errors::invalid_input(format!("Invalid ARN: {}", input.policy_source_arn));
    let rest = input
        .policy_source_arn
        .strip_prefix("arn:aws:iam::")
        .ok_or_else(invalid)?;
    let (owner, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let (kind, path_name) = resource.split_once('/').ok_or_else(invalid)?;
    let name = path_name.rsplit('/').next().unwrap_or_default();
    let d = iam.directory();
    let not_found =
        || errors::no_such_entity(format!("Could not find entity {}", input.policy_source_arn));
    if owner != account {
        return Err(not_found());
    }
    let (principal, mut identity, mut boundary) = match kind {
        "user" => {
            let u = d.user_policies(account, name).ok_or_else(not_found)?;
            if u.user_arn != input.policy_source_arn {
                return Err(not_found());
            }
            let p = policy::Principal::user(account, &u.user_arn).with_unique_id(&u.user_id);
            (
                p,
                u.identity.iter().map(part_of).collect::<Vec<_>>(),
                u.boundary.as_ref().map(part_of),
            )
        }
        "role" => {
            let r = d
                .role_by_arn(&input.policy_source_arn)
                .ok_or_else(not_found)?;
            let session = format!(
                "arn:aws:sts::{account}:assumed-role/{}/SimulatePrincipalPolicy",
                r.name
            );
            let p = policy::Principal::role_session(account, &r.arn, &session)
                .with_unique_id(&r.role_id);
            (
                p,
                r.policies.iter().map(part_of).collect(),
                r.boundary.as_ref().map(part_of),
            )
        }
        "group" => {
            let (arn, id, policies) = d.group_policies(account, name).ok_or_else(not_found)?;
            if arn != input.policy_source_arn {
                return Err(not_found());
            }
            let p = policy::Principal::user(account, &arn).with_unique_id(&id);
            (p, policies.iter().map(part_of).collect(), None)
        }
        _ => return Err(invalid()),
    };
    let principal = match input.caller_arn.as_deref() {
        Some(caller) if caller.contains(":user/") => policy::Principal::user(account, caller),
        _ => principal,
    };
    identity.extend(inputs(
        "PolicyInputList",
        input.policy_input_list.as_deref().unwrap_or_default(),
        policy::PolicyKind::Inline,
    )?);
    let given = inputs(
        "PermissionsBoundaryPolicyInputList",
        input
            .permissions_boundary_policy_input_list
            .as_deref()
            .unwrap_or_default(),
        policy::PolicyKind::Managed,
    )?;
    if let Some(b) = given.into_iter().next() {
        boundary = Some(b);
    }
    let sim = Simulation {
        context: context(&principal, &input.context_entries),
        principal,
        identity,
        boundary,
        resource: resource_part(input.resource_policy.as_ref())?,
        resource_owner: input.resource_owner.as_deref().map(owner_account),
    };
    Ok(answer(
        &sim,
        &input.action_names,
        input.resource_arns.as_ref(),
        input.marker.as_deref(),
        input.max_items,
    ))
}

/// `ResourceOwner` is an account ARN (`arn:aws:iam::123456789012:root`) or an account id.
fn owner_account(s: &str) -> String {
    s.strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split(':').next())
        .unwrap_or(s)
        .to_string()
}

pub(super) async fn simulate_custom_policy(
    iam: &Iam,
    ctx: &RequestContext,
    input: SimulateCustomPolicyRequest,
) -> Result<SimulatePolicyResponse, AwsError> {
    let _ = iam;
    check(
        &input.action_names,
        input.max_items,
        input.marker.as_deref(),
    )?;
    let account = ctx.account_id();
    // Without a CallerArn the policies are simulated for a user of the account with no
    // policies of its own.
    let caller = input
        .caller_arn
        .clone()
        .unwrap_or_else(|| format!("arn:aws:iam::{account}:user/SimulatedCaller"));
    let principal = policy::Principal::user(account, &caller);
    let identity = inputs(
        "PolicyInputList",
        &input.policy_input_list,
        policy::PolicyKind::Inline,
    )?;
    let boundary = inputs(
        "PermissionsBoundaryPolicyInputList",
        input
            .permissions_boundary_policy_input_list
            .as_deref()
            .unwrap_or_default(),
        policy::PolicyKind::Managed,
    )?
    .into_iter()
    .next();
    let sim = Simulation {
        context: context(&principal, &input.context_entries),
        principal,
        identity,
        boundary,
        resource: resource_part(input.resource_policy.as_ref())?,
        resource_owner: input.resource_owner.as_deref().map(owner_account),
    };
    Ok(answer(
        &sim,
        &input.action_names,
        input.resource_arns.as_ref(),
        input.marker.as_deref(),
        input.max_items,
    ))
}
