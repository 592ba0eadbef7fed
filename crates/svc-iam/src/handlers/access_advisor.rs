//! Access Advisor (`GenerateServiceLastAccessedDetails`, `GetServiceLastAccessedDetails`,
//! `GetServiceLastAccessedDetailsWithEntities`): for a user, group, role or managed policy,
//! the services its permissions policies allow and when each was last attempted, from the
//! calls principals really made (recorded per IAM user and role and per action by the
//! gateway's authorizer, `usage`).
//!
//! What AWS documents and Nimbus does
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetServiceLastAccessedDetails.html>,
//! `API_GetServiceLastAccessedDetailsWithEntities.html`):
//! - the services are those the report's permissions policies allow — only identity-based
//!   policies: boundaries, resource policies and trust policies do not count. An `Allow`
//!   naming `svc:*`, `svc:Action` or `*` allows `svc`;
//!   a `NotAction` allow allows every service it does not exclude whole (`svc:*`). The
//!   universe of services is botocore's (`data/service-namespaces.tsv`, made by
//!   `scripts/iam-service-namespaces`), so `*` lists every AWS service as on AWS;
//! - attempts count whether or not they were allowed ("includes all attempts ... not just
//!   the successful ones"); a user's report covers the user, a role's the role (all its
//!   sessions), a group's its members, a policy's every user (directly or through a group)
//!   and role it is attached to. `TotalAuthenticatedEntities` counts those that attempted
//!   the service (0 when none), `LastAuthenticatedEntity`/`Region` name the latest;
//! - `ACTION_LEVEL` adds `TrackedActionsLastAccessed` for the services AWS tracks actions
//!   of (EC2, IAM, Lambda, S3). Nimbus lists the actions attempted (name without the
//!   service prefix), not also the tracked actions never attempted;
//! - entity lists are sorted most recent first ("sorted by date, with the most recent
//!   access listed first"), never-attempted ones last, by ARN.
//!
//! `ListPoliciesGrantingServiceAccess` names, per namespace asked about, the permissions
//! policies of a user (its own and its groups'), group or role that allow something there.
//!
//! Nimbus computes a report when it is asked for, so a job is `COMPLETED` at once (its
//! completion date is its creation date); reports are kept (the latest
//! [`MAX_JOBS_PER_ACCOUNT`] per account) so paging reads one consistent answer.

use crate::directory::NamedPolicy;
use crate::errors;
use crate::generated::*;
use crate::managed;
use crate::model::{AccessJobRec, EntityAccessRec, ServiceAccessRec};
use crate::persist::{Change, Op};
use crate::render;
use crate::state::Iam;
use crate::usage::ActionUse;
use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_policy::Effect;
use std::collections::{BTreeMap, BTreeSet};

/// Services whose actions Access Advisor tracks one by one.
pub const TRACKED: [&str; 4] = ["ec2", "iam", "lambda", "s3"];
/// Reports kept per account; generating another drops the oldest.
pub const MAX_JOBS_PER_ACCOUNT: usize = 100;

const NAMES: &str = include_str!("../../data/service-namespaces.tsv");

/// Every service namespace botocore knows, with its full name.
fn services() -> impl Iterator<Item = (&'static str, &'static str)> {
    NAMES.lines().filter_map(|l| l.split_once('\t'))
}

/// `*` and `?` glob, ASCII case-insensitive (IAM service prefixes).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((p, rest)) => text
            .split_first()
            .is_some_and(|(t, tail)| (*p == b'?' || p.eq_ignore_ascii_case(t)) && glob(rest, tail)),
    }
}

/// The service part of an action pattern (`s3` of `s3:Get*`, `*` of `*`).
fn service_part(action: &str) -> &str {
    action.split_once(':').map_or(action, |(s, _)| s)
}

/// The namespaces (lower case, in order) that `policies`' `Allow` statements grant
/// something in.
pub fn allowed_namespaces(policies: &[NamedPolicy]) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    for st in policies
        .iter()
        .flat_map(|p| p.policy.statements())
        .filter(|s| s.effect() == Effect::Allow)
    {
        let actions = st.actions();
        for (ns, _) in services() {
            let allowed = if actions.negated {
                // Allowed unless every action of the service is excluded.
                !actions.values.iter().any(|v| {
                    let (svc, action) = v.split_once(':').unwrap_or((v, ""));
                    glob(svc.as_bytes(), ns.as_bytes()) && action.bytes().all(|b| b == b'*')
                })
            } else {
                actions
                    .values
                    .iter()
                    .any(|v| glob(service_part(v).as_bytes(), ns.as_bytes()))
            };
            if allowed {
                out.insert(ns);
            }
        }
    }
    out
}

/// A user or role the report covers.
struct Covered {
    arn: String,
    name: String,
    kind: &'static str,
    id: String,
    path: String,
}

/// The report's permissions policies and the entities that could use them; `arn` must
/// name an existing user, group, role or managed policy of the caller's account (or an
/// AWS managed policy).
fn target(
    iam: &Iam,
    account: &str,
    arn: &str,
) -> Result<(Vec<NamedPolicy>, Vec<Covered>), AwsError> {
    let rest = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split_once(':'))
        .filter(|(_, res)| res.contains('/'));
    let Some((owner, resource)) = rest else {
        return Err(errors::invalid_input(format!("ARN {arn} is not valid.")));
    };
    let kind = resource.split('/').next().unwrap_or_default();
    let name = resource.rsplit('/').next().unwrap_or_default().to_string();
    let missing = || errors::no_such_entity(format!("The entity {arn} does not exist."));
    if kind == "policy" && owner == "aws" {
        let p = managed::by_arn(arn).ok_or_else(missing)?;
        let policies = vec![NamedPolicy {
            source: arn.to_string(),
            policy: p.parsed(),
        }];
        return Ok((policies, attached_to(iam, account, arn)));
    }
    if owner != account || !matches!(kind, "user" | "group" | "role" | "policy") {
        return Err(missing());
    }
    let d = iam.directory();
    let user = |u: &crate::model::UserRec| Covered {
        arn: u.arn(),
        name: u.name.clone(),
        kind: "USER",
        id: u.id.clone(),
        path: u.path.clone(),
    };
    match kind {
        "user" => {
            let who = iam
                .read_state(|st| {
                    let u = st.account(account)?.user(&name).ok()?;
                    (u.arn() == arn).then(|| user(u))
                })
                .ok_or_else(missing)?;
            let p = d.user_policies(account, &who.name).ok_or_else(missing)?;
            Ok((p.identity.clone(), vec![who]))
        }
        "group" => {
            let members = iam
                .read_state(|st| {
                    let acct = st.account(account)?;
                    let g = acct.group(&name).ok()?;
                    (g.arn() == arn).then(|| acct.members(&g.name).map(user).collect())
                })
                .ok_or_else(missing)?;
            let (_, _, policies) = d.group_policies(account, &name).ok_or_else(missing)?;
            Ok((policies, members))
        }
        "role" => {
            let role = d.role_by_arn(arn).ok_or_else(missing)?;
            let path = resource
                .strip_prefix("role")
                .and_then(|p| p.strip_suffix(&role.name))
                .unwrap_or("/")
                .to_string();
            let who = Covered {
                arn: role.arn.clone(),
                name: role.name.clone(),
                kind: "ROLE",
                id: role.role_id.clone(),
                path,
            };
            Ok((role.policies.clone(), vec![who]))
        }
        _ => {
            let p = d.managed_policy(account, arn).ok_or_else(missing)?;
            Ok((vec![p], attached_to(iam, account, arn)))
        }
    }
}

/// Every user (directly or through a group) and role of `account` with policy `arn`
/// attached.
fn attached_to(iam: &Iam, account: &str, arn: &str) -> Vec<Covered> {
    iam.read_state(|st| {
        let Some(acct) = st.account(account) else {
            return Vec::new();
        };
        let has = |v: &Vec<String>| v.iter().any(|a| a == arn);
        let groups: BTreeSet<&str> = acct
            .groups
            .values()
            .filter(|g| has(&g.attached))
            .map(|g| g.name.as_str())
            .collect();
        let users = acct
            .users
            .values()
            .filter(|u| has(&u.attached) || u.groups.iter().any(|g| groups.contains(g.as_str())))
            .map(|u| Covered {
                arn: u.arn(),
                name: u.name.clone(),
                kind: "USER",
                id: u.id.clone(),
                path: u.path.clone(),
            });
        let roles = acct
            .roles
            .values()
            .filter(|r| has(&r.attached))
            .map(|r| Covered {
                arn: r.arn(),
                name: r.name.clone(),
                kind: "ROLE",
                id: r.id.clone(),
                path: r.path.clone(),
            });
        users.chain(roles).collect()
    })
}

/// Builds the report from the policies, the entities and their recorded attempts.
fn report(
    namespaces: &BTreeSet<&'static str>,
    covered: &[Covered],
    attempts: &[Vec<(String, ActionUse)>],
    action_level: bool,
) -> (Vec<ServiceAccessRec>, Vec<EntityAccessRec>) {
    let mut entities: Vec<EntityAccessRec> = covered
        .iter()
        .map(|c| EntityAccessRec {
            arn: c.arn.clone(),
            name: c.name.clone(),
            kind: c.kind.to_string(),
            id: c.id.clone(),
            path: c.path.clone(),
            last: BTreeMap::new(),
        })
        .collect();
    // namespace → action → (at, entity arn, region), latest across entities.
    let mut actions: BTreeMap<&str, BTreeMap<String, (i64, String, String)>> = BTreeMap::new();
    for (e, uses) in entities.iter_mut().zip(attempts) {
        for (action, u) in uses {
            let (svc, name) = action.split_once(':').unwrap_or((action, ""));
            let svc = svc.to_ascii_lowercase();
            let Some(ns) = namespaces.get(svc.as_str()) else {
                continue;
            };
            let last = e.last.entry(ns.to_string()).or_insert(u.at);
            *last = (*last).max(u.at);
            let slot = actions
                .entry(ns)
                .or_default()
                .entry(name.to_string())
                .or_insert((i64::MIN, String::new(), String::new()));
            if u.at > slot.0 {
                *slot = (u.at, e.arn.clone(), u.region.clone());
            }
        }
    }
    let names: BTreeMap<&str, &str> = services().collect();
    let services = namespaces
        .iter()
        .map(|ns| {
            let acts = actions.get(ns);
            let last = acts
                .into_iter()
                .flat_map(|a| a.values())
                .max_by_key(|(at, _, _)| *at)
                .cloned();
            let total = entities.iter().filter(|e| e.last.contains_key(*ns)).count();
            let tracked = action_level && TRACKED.contains(ns);
            ServiceAccessRec {
                namespace: ns.to_string(),
                name: names.get(ns).copied().unwrap_or(ns).to_string(),
                last,
                total: total as i32,
                actions: tracked.then(|| {
                    acts.into_iter()
                        .flatten()
                        .map(|(a, (at, who, region))| (a.clone(), who.clone(), *at, region.clone()))
                        .collect()
                }),
            }
        })
        .collect();
    (services, entities)
}

pub(super) async fn generate_service_last_accessed_details(
    iam: &Iam,
    ctx: &RequestContext,
    input: GenerateServiceLastAccessedDetailsRequest,
) -> Result<GenerateServiceLastAccessedDetailsResponse, AwsError> {
    let granularity = input.granularity.unwrap_or_else(|| "SERVICE_LEVEL".into());
    if !matches!(granularity.as_str(), "SERVICE_LEVEL" | "ACTION_LEVEL") {
        return Err(errors::validation(&[format!(
            "Value '{granularity}' at 'granularity' failed to satisfy constraint: Member must \
             satisfy enum value set: [SERVICE_LEVEL, ACTION_LEVEL]"
        )]));
    }
    let account = ctx.account_id().to_string();
    let (policies, covered) = target(iam, &account, &input.arn)?;
    let namespaces = allowed_namespaces(&policies);
    // Read before planning: the usage lock is never taken under the state's.
    let attempts: Vec<_> = iam
        .shared
        .usage(|u| covered.iter().map(|c| u.actions_of(&c.id)).collect());
    let (services, entities) = report(
        &namespaces,
        &covered,
        &attempts,
        granularity == "ACTION_LEVEL",
    );
    let job = AccessJobRec {
        account: account.clone(),
        id: iam.ids.request_id(),
        arn: input.arn,
        granularity,
        created: iam.now_ms(ctx),
        services,
        entities,
    };
    let id = job.id.clone();
    iam.mutate(ctx, |_, acct| {
        let mut change = Change::default();
        let excess = (acct.access_jobs.len() + 1).saturating_sub(MAX_JOBS_PER_ACCOUNT);
        let mut old: Vec<_> = acct.access_jobs.values().collect();
        old.sort_by_key(|j| (j.created, j.id.clone()));
        for j in old.into_iter().take(excess) {
            change.push(Op::DeleteAccessJob(account.clone(), j.id.clone()));
        }
        change.push(Op::PutAccessJob(Box::new(job)));
        Ok((change, ()))
    })
    .await?;
    Ok(GenerateServiceLastAccessedDetailsResponse { job_id: Some(id) })
}

/// How IAM names a policy in `ListPoliciesGrantingServiceAccess`: a managed policy by name
/// and ARN, an inline one by name and its owner.
fn granting(p: &NamedPolicy) -> PolicyGrantingServiceAccess {
    match p.source.split_once("#inline/") {
        Some((owner, name)) => {
            let resource = owner.splitn(6, ':').nth(5).unwrap_or_default();
            let kind = match resource.split('/').next() {
                Some("user") => Some("USER"),
                Some("group") => Some("GROUP"),
                Some("role") => Some("ROLE"),
                _ => None,
            };
            PolicyGrantingServiceAccess {
                policy_name: name.to_string(),
                policy_type: "INLINE".into(),
                policy_arn: None,
                entity_type: kind.map(str::to_string),
                entity_name: Some(resource.rsplit('/').next().unwrap_or_default().to_string()),
            }
        }
        None => PolicyGrantingServiceAccess {
            policy_name: p.source.rsplit('/').next().unwrap_or_default().to_string(),
            policy_type: "MANAGED".into(),
            policy_arn: Some(p.source.clone()),
            entity_type: None,
            entity_name: None,
        },
    }
}

/// `ListPoliciesGrantingServiceAccess`: which of a user's (own and its groups'), group's or
/// role's permissions policies allow something in each namespace asked about.
pub(super) async fn list_policies_granting_service_access(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListPoliciesGrantingServiceAccessRequest,
) -> Result<ListPoliciesGrantingServiceAccessResponse, AwsError> {
    let n = input.service_namespaces.len();
    if !(1..=200).contains(&n) {
        return Err(errors::validation(&[format!(
            "Value at 'serviceNamespaces' failed to satisfy constraint: Member must have \
             length between 1 and 200 ({n} given)"
        )]));
    }
    if input.arn.contains(":policy/") {
        return Err(errors::invalid_input(format!(
            "ARN {} is not a user, group or role.",
            input.arn
        )));
    }
    let account = ctx.account_id().to_string();
    let (policies, _) = target(iam, &account, &input.arn)?;
    let allowed: Vec<BTreeSet<&'static str>> = policies
        .iter()
        .map(|p| allowed_namespaces(std::slice::from_ref(p)))
        .collect();
    let entries = input
        .service_namespaces
        .iter()
        .map(|ns| {
            let ns_l = ns.to_ascii_lowercase();
            ListPoliciesGrantingServiceAccessEntry {
                service_namespace: Some(ns.clone()),
                policies: Some(
                    policies
                        .iter()
                        .zip(&allowed)
                        .filter(|(_, a)| a.contains(ns_l.as_str()))
                        .map(|(p, _)| granting(p))
                        .collect(),
                ),
            }
        })
        .collect();
    Ok(ListPoliciesGrantingServiceAccessResponse {
        policies_granting_service_access: entries,
        is_truncated: Some(false),
        marker: None,
    })
}

fn job<'a>(acct: &'a crate::state::Account, id: &str) -> Result<&'a AccessJobRec, AwsError> {
    acct.access_jobs
        .get(id)
        .ok_or_else(|| errors::no_such_entity(format!("Job {id} does not exist.")))
}

pub(super) async fn get_service_last_accessed_details(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetServiceLastAccessedDetailsRequest,
) -> Result<GetServiceLastAccessedDetailsResponse, AwsError> {
    iam.read(ctx, |_, acct| {
        let j = job(acct, &input.job_id)?;
        let all = j
            .services
            .iter()
            .map(|s| ServiceLastAccessed {
                service_name: s.name.clone(),
                service_namespace: s.namespace.clone(),
                last_authenticated: s.last.as_ref().map(|l| render::ts(l.0)),
                last_authenticated_entity: s.last.as_ref().map(|l| l.1.clone()),
                last_authenticated_region: s.last.as_ref().map(|l| l.2.clone()),
                total_authenticated_entities: Some(s.total),
                tracked_actions_last_accessed: s.actions.as_ref().map(|a| {
                    a.iter()
                        .map(|(name, who, at, region)| TrackedActionLastAccessed {
                            action_name: Some(name.clone()),
                            last_accessed_entity: Some(who.clone()),
                            last_accessed_time: Some(render::ts(*at)),
                            last_accessed_region: Some(region.clone()),
                        })
                        .collect()
                }),
            })
            .collect();
        let (page, truncated, marker) =
            render::page_indexed(all, input.marker.as_deref(), input.max_items);
        Ok(GetServiceLastAccessedDetailsResponse {
            job_status: "COMPLETED".into(),
            job_type: Some(j.granularity.clone()),
            job_creation_date: render::ts(j.created),
            services_last_accessed: page,
            job_completion_date: render::ts(j.created),
            is_truncated: truncated,
            marker,
            error: None,
        })
    })
}

pub(super) async fn get_service_last_accessed_details_with_entities(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetServiceLastAccessedDetailsWithEntitiesRequest,
) -> Result<GetServiceLastAccessedDetailsWithEntitiesResponse, AwsError> {
    iam.read(ctx, |_, acct| {
        let j = job(acct, &input.job_id)?;
        let ns = input.service_namespace.to_ascii_lowercase();
        let listed = j.services.iter().any(|s| s.namespace == ns);
        let mut rows: Vec<(&EntityAccessRec, Option<i64>)> = j
            .entities
            .iter()
            .filter(|_| listed)
            .map(|e| (e, e.last.get(&ns).copied()))
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.arn.cmp(&b.0.arn)));
        let all = rows
            .into_iter()
            .map(|(e, last)| EntityDetails {
                entity_info: EntityInfo {
                    arn: e.arn.clone(),
                    name: e.name.clone(),
                    r#type: e.kind.clone(),
                    id: e.id.clone(),
                    path: Some(e.path.clone()),
                },
                last_authenticated: last.map(render::ts),
            })
            .collect();
        let (page, truncated, marker) =
            render::page_indexed(all, input.marker.as_deref(), input.max_items);
        Ok(GetServiceLastAccessedDetailsWithEntitiesResponse {
            job_status: "COMPLETED".into(),
            job_creation_date: render::ts(j.created),
            job_completion_date: render::ts(j.created),
            entity_details_list: page,
            is_truncated: truncated,
            marker,
            error: None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_iam_policy::{Policy, PolicyKind};
    use std::sync::Arc;

    fn named(doc: &str) -> NamedPolicy {
        NamedPolicy {
            source: "p".into(),
            policy: Arc::new(Policy::parse(doc, PolicyKind::Inline).expect("parses")),
        }
    }

    #[test]
    fn allowed_services_from_action_patterns() {
        let p = named(
            r#"{"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":["s3:Get*","EC2:DescribeInstances"],"Resource":"*"},
              {"Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#,
        );
        let got: Vec<_> = allowed_namespaces(&[p]).into_iter().collect();
        assert_eq!(got, ["ec2", "s3"]);
        let all = allowed_namespaces(&[named(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        )]);
        assert!(all.len() > 300 && all.contains("sts") && all.contains("cloudwatch"));
        let not = allowed_namespaces(&[named(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":["iam:*","s3:Get*"],"Resource":"*"}}"#,
        )]);
        assert!(!not.contains("iam") && not.contains("s3") && not.contains("ec2"));
        // IAM refuses wildcards in a service prefix ("s?s:*" does not parse), so only a
        // bare `*` spans services.
        assert!(Policy::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s?s:*","Resource":"*"}}"#,
            PolicyKind::Inline
        )
        .is_err());
    }

    #[test]
    fn the_report_aggregates_latest_attempts_per_service_and_action() {
        let ns: BTreeSet<&'static str> = ["ec2", "s3", "sns"].into_iter().collect();
        let covered = vec![
            Covered {
                arn: "arn:aws:iam::1:user/a".into(),
                name: "a".into(),
                kind: "USER",
                id: "AIDAA".into(),
                path: "/".into(),
            },
            Covered {
                arn: "arn:aws:iam::1:user/b".into(),
                name: "b".into(),
                kind: "USER",
                id: "AIDAB".into(),
                path: "/".into(),
            },
        ];
        let at = ActionUse::new;
        let attempts = vec![
            vec![
                ("s3:GetObject".to_string(), at(1000, "us-east-1")),
                ("sns:Publish".to_string(), at(5000, "eu-west-1")),
                ("iam:ListUsers".to_string(), at(9000, "us-east-1")),
            ],
            vec![("s3:GetObject".to_string(), at(3000, "us-west-2"))],
        ];
        let (services, entities) = report(&ns, &covered, &attempts, true);
        let s3 = &services[1];
        assert_eq!(s3.namespace, "s3");
        assert_eq!(s3.name, "Amazon Simple Storage Service");
        assert_eq!(
            s3.last,
            Some((3000, "arn:aws:iam::1:user/b".into(), "us-west-2".into()))
        );
        assert_eq!(s3.total, 2);
        assert_eq!(
            s3.actions.as_deref(),
            Some(
                &[(
                    "GetObject".to_string(),
                    "arn:aws:iam::1:user/b".to_string(),
                    3000,
                    "us-west-2".to_string()
                )][..]
            )
        );
        let ec2 = &services[0];
        assert_eq!((ec2.last.as_ref(), ec2.total), (None, 0));
        assert_eq!(
            ec2.actions.as_deref(),
            Some(&[][..]),
            "tracked, none attempted"
        );
        let sns = &services[2];
        assert_eq!(sns.total, 1);
        assert_eq!(sns.actions, None, "not a tracked service");
        // iam is not allowed, so its attempt is not reported.
        assert!(!entities[0].last.contains_key("iam"));
        assert_eq!(entities[0].last.get("s3"), Some(&1000));
    }
}
