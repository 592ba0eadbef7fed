//! [`Directory`]: the read-only view of IAM that request authentication and
//! authorization need, as plain methods on a cheap, cloneable handle (the binary keeps
//! one; nothing here depends on the gateway). It answers three questions: whose is this
//! access key (and its secret and status), which identity-based policies and boundary
//! apply to a user (its own managed and inline policies plus every group's), and what a
//! role trusts and grants. Documents are returned both as text and parsed
//! ([`nimbus_iam_policy::Policy`]); they were validated when stored. It also checks MFA
//! codes for STS ([`Directory::verify_totp`]) and finds an instance profile's role for
//! EC2 ([`Directory::instance_profile`]). It changes nothing, except
//! [`Directory::note_key_used`] / [`Directory::note_role_used`] (a credential's last use,
//! batched to the store by `usage`) and [`Directory::verify_totp`] (an MFA code's use, in
//! memory only). Parsed policies per principal are cached for one state epoch.

use crate::managed;
use crate::model::InlineRec;
use crate::state::{Account, Shared, State};
use crate::totp;
use nimbus_core::Timestamp;
use nimbus_iam_policy::{Policy, PolicyKind};
use std::collections::HashMap;
use std::sync::Arc;

/// The read API over IAM's state.
#[derive(Clone)]
pub struct Directory {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory").finish_non_exhaustive()
    }
}

/// Who an access key belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyIdentity {
    pub account: String,
    /// `None` for the account root's own keys.
    pub user_name: Option<String>,
    /// The user's ARN, or `arn:aws:iam::{account}:root`.
    pub arn: String,
    /// The user's `AIDA...` id, or the account id for the root.
    pub user_id: String,
    pub secret: String,
    /// `false` when the key was set `Inactive`.
    pub active: bool,
}

/// What [`Directory::verify_totp`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TotpVerdict {
    /// The code is the device's code for now, and had not been used.
    Valid,
    /// The device is the user's, but the code is wrong, too old, or already used.
    InvalidCode,
    /// No such device, or it is not enabled for this user.
    NotAssigned,
}

/// One policy that applies to a principal.
#[derive(Clone, Debug)]
pub struct NamedPolicy {
    /// Where it comes from: the managed policy's ARN, or `{arn of the entity}#inline/{name}`
    /// for an inline policy.
    pub source: String,
    pub policy: Arc<Policy>,
}

/// The identity-based policies of a user and its boundary.
#[derive(Clone, Debug)]
pub struct PrincipalPolicies {
    pub account: String,
    pub user_name: String,
    pub user_arn: String,
    pub user_id: String,
    /// Own managed, own inline, then each group's managed and inline policies.
    pub identity: Vec<NamedPolicy>,
    pub boundary: Option<NamedPolicy>,
    /// The account password policy's `AllowUsersToChangePassword`, which IAM treats as a
    /// grant of `iam:ChangePassword` on the user itself and `iam:GetAccountPasswordPolicy`.
    pub may_change_password: bool,
}

/// What a role trusts and grants.
#[derive(Clone, Debug)]
pub struct RoleInfo {
    pub account: String,
    pub name: String,
    pub arn: String,
    /// `AROA...`
    pub role_id: String,
    pub trust: NamedPolicy,
    /// Managed then inline policies.
    pub policies: Vec<NamedPolicy>,
    pub boundary: Option<NamedPolicy>,
    /// Seconds.
    pub max_session_duration: i32,
}

fn named(source: String, document: &str, kind: PolicyKind) -> Option<NamedPolicy> {
    // Stored documents were validated on the way in. One that no longer parses (a newer,
    // stricter parser) stands as "deny everything": dropping it could drop a Deny and widen
    // access, trusting it is impossible, so the principal is locked until it is fixed.
    let policy = Policy::parse(document, kind).unwrap_or_else(|_| Policy::deny_all(kind));
    Some(NamedPolicy {
        source,
        policy: Arc::new(policy),
    })
}

/// The default document of a managed policy (customer or AWS) by ARN.
fn managed_document(acct: &Account, arn: &str) -> Option<String> {
    acct.policy_by_arn(arn)
        .map(|p| p.default_document().to_string())
}

fn managed_policy(acct: &Account, arn: &str) -> Option<NamedPolicy> {
    if let Some(p) = managed::by_arn(arn) {
        return Some(NamedPolicy {
            source: arn.to_string(),
            policy: p.parsed(),
        });
    }
    named(
        arn.to_string(),
        &managed_document(acct, arn)?,
        PolicyKind::Managed,
    )
}

fn inline_policies<'a>(
    owner_arn: &'a str,
    inline: &'a [InlineRec],
) -> impl Iterator<Item = NamedPolicy> + 'a {
    inline.iter().filter_map(move |p| {
        named(
            format!("{owner_arn}#inline/{}", p.name),
            &p.document,
            PolicyKind::Inline,
        )
    })
}

/// Parsed policies per principal, for one state epoch (see [`crate::state::State::epoch`]).
#[derive(Debug, Default)]
pub(crate) struct Cache {
    epoch: u64,
    /// account → user name as the caller's ARN spells it → policies.
    users: HashMap<String, HashMap<String, Arc<PrincipalPolicies>>>,
    /// role ARN → role.
    roles: HashMap<String, Arc<RoleInfo>>,
}

fn build_user(st: &State, account: &str, name: &str) -> Option<PrincipalPolicies> {
    let acct = st.account(account)?;
    let u = acct.user(name).ok()?;
    let user_arn = u.arn();
    let mut identity: Vec<NamedPolicy> = u
        .attached
        .iter()
        .filter_map(|arn| managed_policy(acct, arn))
        .collect();
    identity.extend(inline_policies(&user_arn, &u.inline));
    for g in u.groups.iter().filter_map(|n| acct.group(n).ok()) {
        let group_arn = g.arn();
        identity.extend(
            g.attached
                .iter()
                .filter_map(|arn| managed_policy(acct, arn)),
        );
        identity.extend(inline_policies(&group_arn, &g.inline));
    }
    Some(PrincipalPolicies {
        account: account.to_string(),
        user_name: u.name.clone(),
        user_arn,
        user_id: u.id.clone(),
        identity,
        boundary: u.boundary.as_deref().and_then(|b| managed_policy(acct, b)),
        may_change_password: acct
            .password_policy
            .as_ref()
            .is_some_and(|p| p.allow_change),
    })
}

fn build_role(st: &State, arn: &str) -> Option<RoleInfo> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    let acct = st.account(account)?;
    let r = acct.role(name).ok().filter(|r| r.arn() == arn)?;
    let mut policies: Vec<NamedPolicy> = r
        .attached
        .iter()
        .filter_map(|a| managed_policy(acct, a))
        .collect();
    policies.extend(inline_policies(arn, &r.inline));
    Some(RoleInfo {
        account: account.to_string(),
        name: r.name.clone(),
        arn: arn.to_string(),
        role_id: r.id.clone(),
        trust: named(format!("{arn}#trust"), &r.trust, PolicyKind::RoleTrust)?,
        policies,
        boundary: r.boundary.as_deref().and_then(|b| managed_policy(acct, b)),
        max_session_duration: r.max_session,
    })
}

impl Directory {
    fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        self.shared.read(f)
    }

    /// The owner, secret and status of an access key IAM issued.
    pub fn access_key(&self, key_id: &str) -> Option<KeyIdentity> {
        self.read(|st| {
            let k = st.keys.get(key_id)?;
            let (arn, user_id) = match &k.user {
                None => (
                    format!("arn:aws:iam::{}:root", k.account),
                    k.account.clone(),
                ),
                Some(name) => {
                    let u = st.account(&k.account)?.user(name).ok()?;
                    (u.arn(), u.id.clone())
                }
            };
            Some(KeyIdentity {
                account: k.account.clone(),
                user_name: k.user.clone(),
                arn,
                user_id,
                secret: k.secret.clone(),
                active: k.active,
            })
        })
    }

    /// Whether any account root holds an IAM-issued access key (one atomic load): while none
    /// does, a root's call has no IAM key to record.
    pub fn roots_have_iam_keys(&self) -> bool {
        self.shared
            .root_keys
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records that IAM access key `key_id` signed a call to `service` (its namespace:
    /// `s3`, `ec2`...) in `region` at `at`, for `GetAccessKeyLastUsed` and the credential
    /// report. Cheap enough for every request: memory only, under one small lock; the
    /// store is written in batches (see `usage`). Keys IAM did not issue (the command
    /// line's root keys) are ignored, and remembered as such so they cost one lookup.
    pub fn note_key_used(&self, key_id: &str, service: &str, region: &str, at: Timestamp) {
        self.note_key_call(key_id, None, [], service, region, at);
    }

    /// [`Directory::note_key_used`] and, for the key's IAM user `user_id`, the
    /// [`Directory::record_actions`] of the same call, under one acquisition of the usage
    /// lock (every call an IAM user signs comes here: one lock, not two).
    pub fn note_key_call<'a>(
        &self,
        key_id: &str,
        user_id: Option<&str>,
        actions: impl IntoIterator<Item = &'a str>,
        service: &str,
        region: &str,
        at: Timestamp,
    ) {
        let at = at.secs() * 1000;
        let mut actions = Some(actions);
        // Never hold the usage lock while taking the state's (handlers take them in turn).
        let known = self.shared.usage(|u| {
            if let (Some(id), Some(acts)) = (user_id, actions.take()) {
                for a in acts {
                    u.note_action(id, a, at, region);
                }
            }
            if u.is_foreign(key_id) {
                return Some(None);
            }
            u.key(key_id).is_some().then(|| {
                u.note_key(key_id, at, region, service);
                u.take_batch(false)
            })
        });
        let batch = match known {
            Some(batch) => batch,
            None => {
                let iam_key = self.read(|st| st.keys.contains_key(key_id));
                self.shared.usage(|u| {
                    if !iam_key {
                        u.mark_foreign(key_id);
                        return None;
                    }
                    u.note_key(key_id, at, region, service);
                    u.take_batch(false)
                })
            }
        };
        self.submit(batch);
    }

    /// Records that a session of the role with id `role_id` made a call in `region` at
    /// `at` (`RoleLastUsed`), like [`Directory::note_key_used`].
    pub fn note_role_used(&self, role_id: &str, region: &str, at: Timestamp) {
        let batch = self.shared.usage(|u| {
            u.note_role(role_id, at.secs() * 1000, region);
            u.take_batch(false)
        });
        self.submit(batch);
    }

    /// Records that IAM entity `entity_id` (a user's `AIDA...` or a role's `AROA...`)
    /// attempted `actions` in `region` at `at`, allowed or not, for Access Advisor. Memory
    /// only, like [`Directory::note_key_used`].
    pub fn note_actions<'a>(
        &self,
        entity_id: &str,
        actions: impl IntoIterator<Item = &'a str>,
        region: &str,
        at: Timestamp,
    ) {
        self.record_actions(entity_id, actions, region, at);
        let batch = self.shared.usage(|u| u.take_batch(false));
        self.submit(batch);
    }

    /// [`Directory::note_actions`] without writing: for a caller that records the key's
    /// or role's use right after, which writes both (one write window for the two).
    pub fn record_actions<'a>(
        &self,
        entity_id: &str,
        actions: impl IntoIterator<Item = &'a str>,
        region: &str,
        at: Timestamp,
    ) {
        let at = at.secs() * 1000;
        self.shared.usage(|u| {
            for a in actions {
                u.note_action(entity_id, a, at, region);
            }
        });
    }

    /// Writes recorded uses now (tests; a clean shutdown).
    pub fn flush_usage(
        &self,
    ) -> impl std::future::Future<Output = Result<(), nimbus_store::StoreError>> {
        let batch = self
            .shared
            .usage(|u| u.take_batch(true))
            .unwrap_or_default();
        self.shared.store.submit(batch)
    }

    fn submit(&self, batch: Option<nimbus_store::Batch>) {
        if let Some(b) = batch {
            // Fire and forget: the store's writer applies it in order; a failure loses
            // only these "last used" facts, which the next flush writes again if newer.
            drop(self.shared.store.submit(b));
        }
    }

    /// Checks a one-time code of MFA device `serial` for user `user_name` of `account` at
    /// `now` (STS's `SerialNumber`/`TokenCode`). A code counts within one time step either
    /// side of the device's clock (RFC 6238 section 5.2) and only once: the step it
    /// matched, and every earlier one, are spent, so a code that opened a session cannot
    /// open another. The spent step is kept in memory only (like
    /// [`Directory::note_key_used`]): a restart within the same 90 seconds could accept a
    /// code again, which is not worth a durable write per sign-in.
    pub fn verify_totp(
        &self,
        account: &str,
        user_name: &str,
        serial: &str,
        code: &str,
        now: Timestamp,
    ) -> TotpVerdict {
        let mut st = self.shared.state.write().unwrap_or_else(|e| e.into_inner());
        let Some(d) = st.accounts.get_mut(account).and_then(|a| {
            let (_, key) = crate::model::mfa_key_of_serial(serial)?;
            a.mfa.get_mut(&key).filter(|d| d.serial() == serial)
        }) else {
            return TotpVerdict::NotAssigned;
        };
        if !d
            .user
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(user_name))
        {
            return TotpVerdict::NotAssigned;
        }
        let step = totp::step_at(now.secs()) + d.drift;
        match totp::matching_step(&d.key(), code, step) {
            Some(s) if d.last_step.is_none_or(|l| s > l) => {
                d.last_step = Some(s);
                TotpVerdict::Valid
            }
            _ => TotpVerdict::InvalidCode,
        }
    }

    /// The identity-based policies that apply to user `name` of `account`, and its
    /// permissions boundary; `None` if there is no such user. Parsed once per state
    /// epoch: the same `Arc` is handed out until any IAM change, which rebuilds it.
    pub fn user_policies(&self, account: &str, name: &str) -> Option<Arc<PrincipalPolicies>> {
        self.read(|st| {
            if let Some(hit) = self.cached(st.epoch, |c| c.users.get(account)?.get(name).cloned()) {
                return Some(hit);
            }
            let built = Arc::new(build_user(st, account, name)?);
            self.remember(st.epoch, |c| {
                c.users
                    .entry(account.to_string())
                    .or_default()
                    .insert(name.to_string(), built.clone());
            });
            Some(built)
        })
    }

    fn cached<T>(&self, epoch: u64, get: impl FnOnce(&Cache) -> Option<T>) -> Option<T> {
        let c = self.shared.cache.read().unwrap_or_else(|e| e.into_inner());
        (c.epoch == epoch).then(|| get(&c)).flatten()
    }

    fn remember(&self, epoch: u64, put: impl FnOnce(&mut Cache)) {
        let mut c = self.shared.cache.write().unwrap_or_else(|e| e.into_inner());
        if c.epoch != epoch {
            *c = Cache {
                epoch,
                ..Cache::default()
            };
        }
        put(&mut c);
    }

    /// A group's own managed and inline policies (for the policy simulator): its ARN, id
    /// and the policies; `None` if there is no such group.
    pub(crate) fn group_policies(
        &self,
        account: &str,
        name: &str,
    ) -> Option<(String, String, Vec<NamedPolicy>)> {
        self.read(|st| {
            let acct = st.account(account)?;
            let g = acct.group(name).ok()?;
            let arn = g.arn();
            let mut v: Vec<NamedPolicy> = g
                .attached
                .iter()
                .filter_map(|a| managed_policy(acct, a))
                .collect();
            v.extend(inline_policies(&arn, &g.inline));
            Some((arn, g.id.clone(), v))
        })
    }

    /// The full ARN (path included) of the IAM user, group or role that `arn` names
    /// without its path (`arn:aws:iam::{account}:user/{name}`), as policies see it; `None`
    /// when `arn` is not such an ARN or the entity does not exist.
    pub fn entity_arn(&self, arn: &str) -> Option<String> {
        let rest = arn.strip_prefix("arn:aws:iam::")?;
        let (account, resource) = rest.split_once(':')?;
        let (kind, name) = resource.split_once('/')?;
        if name.contains('/') {
            return None;
        }
        self.read(|st| {
            let acct = st.account(account)?;
            match kind {
                "user" => acct.user(name).ok().map(|u| u.arn()),
                "group" => acct.group(name).ok().map(|g| g.arn()),
                "role" => acct.role(name).ok().map(|r| r.arn()),
                _ => None,
            }
        })
    }

    /// Whether the account's password policy lets every IAM user change its own password
    /// (`AllowUsersToChangePassword`), which IAM treats as a grant of `iam:ChangePassword`
    /// and `iam:GetAccountPasswordPolicy` on the user itself
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_enable-user-change.html>).
    pub fn users_may_change_password(&self, account: &str) -> bool {
        self.read(|st| {
            st.account(account)
                .and_then(|a| a.password_policy.as_ref())
                .is_some_and(|p| p.allow_change)
        })
    }

    /// A managed policy's default version (a customer policy of `account`, or an AWS managed
    /// one), parsed; `None` if there is no such policy. Sessions name these as `PolicyArns`.
    pub fn managed_policy(&self, account: &str, arn: &str) -> Option<NamedPolicy> {
        if managed::by_arn(arn).is_some() {
            return managed_policy(&Account::default(), arn);
        }
        self.read(|st| managed_policy(st.account(account)?, arn))
    }

    /// A role by its ARN (`arn:aws:iam::{account}:role/{path}{name}`); `None` if there is
    /// no such role. Cached per state epoch like [`Directory::user_policies`].
    pub fn role_by_arn(&self, arn: &str) -> Option<Arc<RoleInfo>> {
        self.read(|st| {
            if let Some(hit) = self.cached(st.epoch, |c| c.roles.get(arn).cloned()) {
                return Some(hit);
            }
            let built = Arc::new(build_role(st, arn)?);
            self.remember(st.epoch, |c| {
                c.roles.insert(arn.to_string(), built.clone());
            });
            Some(built)
        })
    }

    /// An instance profile of `account`, named by its name or its full ARN
    /// (`arn:aws:iam::{account}:instance-profile/{path}{name}`, as EC2's
    /// `IamInstanceProfile` takes either): its ARN and the ARN of the role it holds (`None`
    /// while it holds none). `None` if there is no such profile.
    pub fn instance_profile(
        &self,
        account: &str,
        name_or_arn: &str,
    ) -> Option<(String, Option<String>)> {
        let (name, arn) = match name_or_arn.strip_prefix("arn:aws:iam::") {
            Some(rest) => {
                let (acct, resource) = rest.split_once(':')?;
                if acct != account {
                    return None;
                }
                let name = resource
                    .strip_prefix("instance-profile/")?
                    .rsplit('/')
                    .next()?;
                (name, Some(name_or_arn))
            }
            None => (name_or_arn, None),
        };
        self.read(|st| {
            let acct = st.account(account)?;
            let p = acct.profile(name).ok()?;
            if arn.is_some_and(|a| a != p.arn()) {
                return None;
            }
            let role = p
                .role
                .as_deref()
                .and_then(|r| acct.role(r).ok())
                .map(|r| r.arn());
            Some((p.arn(), role))
        })
    }
}

/// An instance profile and the role it holds, as the instance metadata service needs
/// them (`iam/info` names the profile; the credentials are the role's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceProfileRole {
    /// `arn:aws:iam::{account}:instance-profile/{path}{name}`
    pub profile_arn: String,
    /// `AIPA...`
    pub profile_id: String,
    /// The ARN (with path) of the role the profile holds; `None` while it holds none, or
    /// when the role it names no longer exists.
    pub role_arn: Option<String>,
}

impl Directory {
    /// Like [`Directory::instance_profile`], with the profile's id (`AIPA...`).
    pub fn instance_profile_role(
        &self,
        account: &str,
        name_or_arn: &str,
    ) -> Option<InstanceProfileRole> {
        let (arn, role_arn) = self.instance_profile(account, name_or_arn)?;
        let name = arn.rsplit('/').next()?.to_string();
        self.read(|st| {
            let p = st.account(account)?.profile(&name).ok()?;
            Some(InstanceProfileRole {
                profile_arn: arn,
                profile_id: p.id.clone(),
                role_arn,
            })
        })
    }

    /// Whether role `role_arn`'s trust policy lets AWS service principal `service`
    /// (`ec2.amazonaws.com`) perform `sts:AssumeRole` on it, decided by the same evaluator
    /// that enforces. `false` when there is no such role.
    pub fn role_trusts_service(&self, role_arn: &str, service: &str) -> bool {
        let Some(role) = self.role_by_arn(role_arn) else {
            return false;
        };
        let who = nimbus_iam_policy::Principal::service(service);
        let context = nimbus_iam_policy::Context::for_principal(&who);
        let request = nimbus_iam_policy::Request {
            principal: &who,
            action: "sts:AssumeRole",
            resource: role_arn,
            resource_account: Some(&role.account),
            context: &context,
        };
        let policies = nimbus_iam_policy::Policies {
            resource: Some(nimbus_iam_policy::ResourcePolicy {
                id: &role.trust.source,
                policy: &role.trust.policy,
                kind: nimbus_iam_policy::ResourcePolicyKind::RoleTrust,
            }),
            ..Default::default()
        };
        nimbus_iam_policy::evaluate(&request, &policies).is_allowed()
    }
}

impl Directory {
    /// The tags of the IAM user or role an ARN names (`arn:aws:iam::A:user/path/name`,
    /// `role/...`; the path is not compared, the name is unique in the account), for
    /// `aws:ResourceTag/...` and `iam:ResourceTag/...` conditions. `None` for anything else.
    pub fn resource_tags(&self, arn: &str) -> Option<Vec<(String, String)>> {
        let rest = arn.strip_prefix("arn:aws:iam::")?;
        let (account, resource) = rest.split_once(':')?;
        let (kind, path_name) = resource.split_once('/')?;
        let name = path_name.rsplit('/').next()?;
        self.read(|st| {
            let acct = st.account(account)?;
            let tags = match kind {
                "user" => &acct.user(name).ok()?.tags,
                "role" => &acct.role(name).ok()?.tags,
                _ => return None,
            };
            Some(
                tags.iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect(),
            )
        })
    }
}

/// An OpenID Connect provider, as STS's `AssumeRoleWithWebIdentity` needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcProviderInfo {
    /// `arn:aws:iam::{account}:oidc-provider/{url}`
    pub arn: String,
    /// The issuer URL without `https://`.
    pub url: String,
    pub client_ids: Vec<String>,
}

impl Directory {
    /// The OpenID Connect provider of `account` registered for issuer `url` (without
    /// `https://` or a trailing `/`).
    pub fn oidc_provider(&self, account: &str, url: &str) -> Option<OidcProviderInfo> {
        self.read(|st| {
            let p = st.account(account)?.oidc.get(url)?;
            Some(OidcProviderInfo {
                arn: p.arn(),
                url: p.url.clone(),
                client_ids: p.client_ids.clone(),
            })
        })
    }

    /// Whether role `role_arn`'s trust policy lets the web identity federated through
    /// `provider_arn` perform `sts:AssumeRoleWithWebIdentity`, with `conditions` as the
    /// request's condition keys (the token's claims as `URL:aud`, `URL:sub`, ...), decided
    /// by the same evaluator that enforces. `false` when there is no such role.
    pub fn role_trusts_web_identity(
        &self,
        role_arn: &str,
        provider_arn: &str,
        conditions: &[(String, Vec<String>)],
    ) -> bool {
        let Some(role) = self.role_by_arn(role_arn) else {
            return false;
        };
        let who = nimbus_iam_policy::Principal::web_identity(provider_arn);
        let mut context = nimbus_iam_policy::Context::for_principal(&who);
        for (key, values) in conditions {
            context.set_multi(key, values.iter().map(String::as_str));
        }
        let request = nimbus_iam_policy::Request {
            principal: &who,
            action: "sts:AssumeRoleWithWebIdentity",
            resource: role_arn,
            resource_account: Some(&role.account),
            context: &context,
        };
        let policies = nimbus_iam_policy::Policies {
            resource: Some(nimbus_iam_policy::ResourcePolicy {
                id: &role.trust.source,
                policy: &role.trust.policy,
                kind: nimbus_iam_policy::ResourcePolicyKind::RoleTrust,
            }),
            ..Default::default()
        };
        nimbus_iam_policy::evaluate(&request, &policies).is_allowed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_arns_only_for_path_less_iam_entity_arns() {
        let clock = Arc::new(nimbus_core::ManualClock::new(Timestamp(0)));
        let ids = Arc::new(nimbus_core::Ids::from_seed(1));
        let (_, d) = crate::build(nimbus_store::Store::in_memory(), clock, ids).expect("build");
        for arn in [
            "arn:aws:s3:::bucket",
            "arn:aws:iam::1:user/team/bob",
            "arn:aws:iam::1:policy/p",
            "*",
            "arn:aws:iam::1:user/nobody",
        ] {
            assert_eq!(d.entity_arn(arn), None, "{arn}");
        }
    }

    #[test]
    fn an_unreadable_stored_policy_denies_everything() {
        for kind in [
            PolicyKind::Managed,
            PolicyKind::Inline,
            PolicyKind::RoleTrust,
        ] {
            let n = named("p".into(), "{not json", kind).expect("stands as a policy");
            let st = &n.policy.statements()[0];
            assert_eq!(st.effect(), nimbus_iam_policy::Effect::Deny, "{kind:?}");
        }
    }
}
