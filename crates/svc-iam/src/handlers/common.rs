//! What several handler modules share: who a call without `UserName` acts on, the
//! user/group/role seen uniformly by the inline-policy and attachment calls
//! ([`Entity`]), and the lookups of managed policies (customer or AWS) by ARN. It
//! neither renders nor stores anything.

use crate::errors;
use crate::managed;
use crate::model::{GroupRec, InlineRec, RoleRec, UserRec};
use crate::persist::Op;
use crate::state::Account;
use crate::validate;
use nimbus_core::{AwsError, PrincipalKind, RequestContext};
use nimbus_iam_policy::limits;

/// The user a call acts on: the named one, or, without a name, the caller itself
/// (`None` for the account root). "If you do not specify a user name, IAM determines the
/// user name implicitly based on the Amazon Web Services access key ID used to sign the
/// request" (CreateAccessKey, GetUser, ListAccessKeys...).
pub fn target_user(
    ctx: &RequestContext,
    explicit: Option<String>,
) -> Result<Option<String>, AwsError> {
    if let Some(name) = explicit.filter(|n| !n.is_empty()) {
        validate::Checker::new()
            .name("userName", &name, 128)
            .done()?;
        return Ok(Some(name));
    }
    match ctx.principal.kind {
        PrincipalKind::Root => Ok(None),
        PrincipalKind::User => Ok(ctx.principal.arn.rsplit('/').next().map(str::to_string)),
        PrincipalKind::AssumedRole | PrincipalKind::FederatedUser | PrincipalKind::Anonymous => {
            Err(errors::validation_message(
                "Must specify userName when calling with non-User credentials",
            ))
        }
    }
}

/// Which kind of identity an inline-policy or attachment call names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
    Role,
}

impl Kind {
    /// How IAM's messages name the kind (`user`, `group`, `role`).
    pub fn word(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
        }
    }

    /// The request field holding the entity's name.
    pub fn field(self) -> &'static str {
        match self {
            Kind::User => "userName",
            Kind::Group => "groupName",
            Kind::Role => "roleName",
        }
    }

    pub fn max_name(self) -> usize {
        match self {
            Kind::Group => 128,
            _ => 64,
        }
    }

    /// The quota on attached managed policies: 10 by default for each kind.
    pub fn attach_quota(self) -> &'static str {
        match self {
            Kind::User => "PoliciesPerUser",
            Kind::Group => "PoliciesPerGroup",
            Kind::Role => "PoliciesPerRole",
        }
    }

    /// The quota on all inline policies of one entity together, in characters.
    pub fn inline_limit(self) -> usize {
        match self {
            Kind::User => limits::USER_INLINE_POLICIES_MAX_CHARS,
            Kind::Group => limits::GROUP_INLINE_POLICIES_MAX_CHARS,
            Kind::Role => limits::ROLE_INLINE_POLICIES_MAX_CHARS,
        }
    }
}

/// Managed policies attachable to one user, group or role.
pub const MAX_ATTACHED: usize = 10;

/// A copy of a user, group or role, to change and write back.
#[derive(Clone, Debug)]
pub enum Entity {
    User(UserRec),
    Group(GroupRec),
    Role(RoleRec),
}

impl Entity {
    pub fn find(acct: &Account, kind: Kind, name: &str) -> Result<Entity, AwsError> {
        Ok(match kind {
            Kind::User => Entity::User(acct.user(name)?.clone()),
            Kind::Group => Entity::Group(acct.group(name)?.clone()),
            Kind::Role => Entity::Role(acct.role(name)?.clone()),
        })
    }

    /// [`Entity::find`] for a change: a service-linked role is only AWS's to change.
    pub fn find_modifiable(acct: &Account, kind: Kind, name: &str) -> Result<Entity, AwsError> {
        let e = Entity::find(acct, kind, name)?;
        if let Entity::Role(r) = &e {
            super::service_linked::protected(r)?;
        }
        Ok(e)
    }

    pub fn name(&self) -> &str {
        match self {
            Entity::User(u) => &u.name,
            Entity::Group(g) => &g.name,
            Entity::Role(r) => &r.name,
        }
    }

    pub fn attached(&self) -> &Vec<String> {
        match self {
            Entity::User(u) => &u.attached,
            Entity::Group(g) => &g.attached,
            Entity::Role(r) => &r.attached,
        }
    }

    pub fn attached_mut(&mut self) -> &mut Vec<String> {
        match self {
            Entity::User(u) => &mut u.attached,
            Entity::Group(g) => &mut g.attached,
            Entity::Role(r) => &mut r.attached,
        }
    }

    pub fn inline(&self) -> &Vec<InlineRec> {
        match self {
            Entity::User(u) => &u.inline,
            Entity::Group(g) => &g.inline,
            Entity::Role(r) => &r.inline,
        }
    }

    pub fn inline_mut(&mut self) -> &mut Vec<InlineRec> {
        match self {
            Entity::User(u) => &mut u.inline,
            Entity::Group(g) => &mut g.inline,
            Entity::Role(r) => &mut r.inline,
        }
    }

    pub fn into_op(self) -> Op {
        match self {
            Entity::User(u) => Op::PutUser(u),
            Entity::Group(g) => Op::PutGroup(g),
            Entity::Role(r) => Op::PutRole(r),
        }
    }
}

/// Whether `arn` names a managed policy the caller's account can attach: an AWS managed
/// policy of the catalogue, or one of the account's own customer managed policies.
pub fn policy_exists(acct: &Account, account_id: &str, arn: &str) -> Result<bool, AwsError> {
    let (owner, _, _) = validate::policy_arn(arn)?;
    Ok(if owner == "aws" {
        managed::by_arn(arn).is_some()
    } else {
        owner == account_id && acct.policy_by_arn(arn).is_some()
    })
}

/// Checks a permissions boundary ARN: well formed and naming a managed policy.
pub fn check_boundary(acct: &Account, account_id: &str, arn: &str) -> Result<(), AwsError> {
    if policy_exists(acct, account_id, arn)? {
        Ok(())
    } else {
        Err(errors::no_such_boundary(arn))
    }
}

/// How many of the account's users, groups and roles attach `arn`, and how many use it as
/// their permissions boundary.
pub fn usage(acct: &Account, arn: &str) -> (i32, i32) {
    let has = |v: &Vec<String>| v.iter().any(|a| a == arn);
    let attached = acct.users.values().filter(|u| has(&u.attached)).count()
        + acct.groups.values().filter(|g| has(&g.attached)).count()
        + acct.roles.values().filter(|r| has(&r.attached)).count();
    let bound = |b: &Option<String>| b.as_deref() == Some(arn);
    let boundary = acct.users.values().filter(|u| bound(&u.boundary)).count()
        + acct.roles.values().filter(|r| bound(&r.boundary)).count();
    (attached as i32, boundary as i32)
}
