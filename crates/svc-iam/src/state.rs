//! [`Iam`], the service's state holder: every account's users (with their login
//! profiles), groups, roles, customer managed policies, virtual MFA devices, instance
//! profiles and password policy, and every access key, in memory, loaded from the
//! store at startup. IAM is global: entities belong to an account, never to a region,
//! whatever region the request was signed for. Reads are served from memory. Writes go
//! through [`Iam::mutate`]: one writer at a time plans a [`Change`] against the current
//! state, submits it to the store's ordered writer queue and applies it to memory; then,
//! with the lock released, the caller waits until the change is durable before answering.
//! If the store fails a commit, memory is reloaded from the store so it never keeps what
//! the disk does not have. A reset ([`Iam::reset_with`]) holds the writer lock while the
//! store is wiped. The state is shared (`Arc`) with the [`crate::Directory`] read API.
//! Handlers live in `handlers`.

use crate::errors;
use crate::model::{
    self, GroupRec, InstanceProfileRec, KeyRec, MfaRec, PasswordPolicyRec, PolicyRec, ReportRec,
    RoleRec, UserRec,
};
use crate::persist::{self, Change, Op};
use nimbus_core::{AwsError, Clock, Ids, RequestContext};
use nimbus_store::{Batch, Store, StoreError};
use nimbus_wire::ResetStep;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// One account's entities, keyed by lower-cased name (names are unique
/// case-insensitively), so listing them is in name order.
#[derive(Clone, Debug, Default)]
pub struct Account {
    pub users: BTreeMap<String, UserRec>,
    pub groups: BTreeMap<String, GroupRec>,
    pub roles: BTreeMap<String, RoleRec>,
    pub policies: BTreeMap<String, PolicyRec>,
    /// Virtual MFA devices, keyed by lower-cased `{path}{name}`.
    pub mfa: BTreeMap<String, MfaRec>,
    /// Instance profiles, keyed by lower-cased name.
    pub profiles: BTreeMap<String, InstanceProfileRec>,
    /// The account's password policy, once one was set.
    pub password_policy: Option<PasswordPolicyRec>,
    /// The latest credential report, once one was generated.
    pub report: Option<ReportRec>,
    /// The account alias, if one was created.
    pub alias: Option<String>,
    /// Service-linked role deletion tasks, by id.
    pub deletions: BTreeMap<String, crate::model::DeletionRec>,
    /// Access Advisor reports, by job id.
    pub access_jobs: BTreeMap<String, crate::model::AccessJobRec>,
    /// OpenID Connect providers, by URL (without `https://`).
    pub oidc: BTreeMap<String, crate::model::OidcRec>,
    /// Server certificates, keyed by lower-cased name.
    pub server_certs: BTreeMap<String, crate::model::ServerCertRec>,
    /// Signing certificates of users and the root, by certificate id.
    pub signing_certs: BTreeMap<String, crate::model::SigningCertRec>,
}

impl Account {
    pub fn user(&self, name: &str) -> Result<&UserRec, AwsError> {
        self.users
            .get(&name.to_ascii_lowercase())
            .ok_or_else(|| errors::no_such_user(name))
    }

    pub fn group(&self, name: &str) -> Result<&GroupRec, AwsError> {
        self.groups
            .get(&name.to_ascii_lowercase())
            .ok_or_else(|| errors::no_such_group(name))
    }

    pub fn role(&self, name: &str) -> Result<&RoleRec, AwsError> {
        self.roles
            .get(&name.to_ascii_lowercase())
            .ok_or_else(|| errors::no_such_role(name))
    }

    /// The signing certificates of user `user` (`None`: the root), oldest first.
    pub fn signing_certs_of(&self, user: Option<&str>) -> Vec<&crate::model::SigningCertRec> {
        let mut v: Vec<_> = self
            .signing_certs
            .values()
            .filter(|c| match (&c.user, user) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                (None, None) => true,
                _ => false,
            })
            .collect();
        v.sort_by(|a, b| (a.uploaded, &a.id).cmp(&(b.uploaded, &b.id)));
        v
    }

    /// The customer managed policy with this ARN (the path must match too).
    pub fn policy_by_arn(&self, arn: &str) -> Option<&PolicyRec> {
        let name = arn.rsplit('/').next()?;
        self.policies
            .get(&name.to_ascii_lowercase())
            .filter(|p| p.arn() == arn)
    }

    /// The virtual MFA device whose serial number is `serial` (its ARN, compared
    /// exactly), if it belongs to this account.
    pub fn mfa_by_serial(&self, serial: &str) -> Option<&MfaRec> {
        let (_, key) = model::mfa_key_of_serial(serial)?;
        self.mfa.get(&key).filter(|m| m.serial() == serial)
    }

    /// The MFA devices enabled for user `name`, in serial-number order.
    pub fn mfa_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a MfaRec> + 'a {
        self.mfa.values().filter(move |m| {
            m.user
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(name))
        })
    }

    pub fn profile(&self, name: &str) -> Result<&InstanceProfileRec, AwsError> {
        self.profiles
            .get(&name.to_ascii_lowercase())
            .ok_or_else(|| errors::no_such_profile(name))
    }

    /// The instance profiles holding role `name` (exact role name as stored).
    pub fn profiles_of<'a>(
        &'a self,
        role: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a InstanceProfileRec)> + 'a {
        self.profiles
            .iter()
            .filter(move |(_, p)| p.role.as_deref() == Some(role))
    }

    /// The members of group `name` (exact group name as stored), in user-name order.
    pub fn members<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a UserRec> + 'a {
        self.users
            .values()
            .filter(move |u| u.groups.iter().any(|g| g == group))
    }
}

/// All accounts and all access keys.
#[derive(Debug)]
pub struct State {
    pub accounts: HashMap<String, Account>,
    /// Every access key by id (key ids are unique across accounts).
    pub keys: BTreeMap<String, KeyRec>,
    /// Which version of the state this is: a fresh number, never reused in the process, for
    /// every state made and every change applied, so that anything derived from the state
    /// (the directory's parsed policies per principal) knows when it is stale.
    pub epoch: u64,
}

static EPOCHS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_epoch() -> u64 {
    EPOCHS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Default for State {
    fn default() -> Self {
        State {
            accounts: HashMap::new(),
            keys: BTreeMap::new(),
            epoch: next_epoch(),
        }
    }
}

impl State {
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.get(id)
    }

    /// The access keys of `user` (`None`: the account root) in `account`, oldest first.
    pub fn keys_of<'a>(&'a self, account: &'a str, user: Option<&'a str>) -> Vec<&'a KeyRec> {
        let mut v: Vec<&KeyRec> = self
            .keys
            .values()
            .filter(|k| {
                k.account == account
                    && match (&k.user, user) {
                        (None, None) => true,
                        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                        _ => false,
                    }
            })
            .collect();
        v.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        v
    }

    fn acct(&mut self, id: &str) -> &mut Account {
        self.accounts.entry(id.to_string()).or_default()
    }

    pub fn apply(&mut self, change: Change) {
        self.epoch = next_epoch();
        for op in change.ops {
            match op {
                Op::PutUser(u) => {
                    let k = u.name.to_ascii_lowercase();
                    self.acct(&u.account).users.insert(k, u);
                }
                Op::DeleteUser(a, n) => {
                    self.acct(&a).users.remove(&n.to_ascii_lowercase());
                }
                Op::PutGroup(g) => {
                    let k = g.name.to_ascii_lowercase();
                    self.acct(&g.account).groups.insert(k, g);
                }
                Op::DeleteGroup(a, n) => {
                    self.acct(&a).groups.remove(&n.to_ascii_lowercase());
                }
                Op::PutRole(r) => {
                    let k = r.name.to_ascii_lowercase();
                    self.acct(&r.account).roles.insert(k, r);
                }
                Op::DeleteRole(a, n) => {
                    self.acct(&a).roles.remove(&n.to_ascii_lowercase());
                }
                Op::PutPolicy(p) => {
                    let k = p.name.to_ascii_lowercase();
                    self.acct(&p.account).policies.insert(k, p);
                }
                Op::DeletePolicy(a, n) => {
                    self.acct(&a).policies.remove(&n.to_ascii_lowercase());
                }
                Op::PutKey(k) => {
                    self.keys.insert(k.id.clone(), k);
                }
                Op::DeleteKey(id) => {
                    self.keys.remove(&id);
                }
                Op::PutMfa(m) => {
                    let k = format!("{}{}", m.path, m.name).to_ascii_lowercase();
                    self.acct(&m.account).mfa.insert(k, m);
                }
                Op::DeleteMfa(a, p, n) => {
                    self.acct(&a)
                        .mfa
                        .remove(&format!("{p}{n}").to_ascii_lowercase());
                }
                Op::PutProfile(p) => {
                    let k = p.name.to_ascii_lowercase();
                    self.acct(&p.account).profiles.insert(k, p);
                }
                Op::DeleteProfile(a, n) => {
                    self.acct(&a).profiles.remove(&n.to_ascii_lowercase());
                }
                Op::PutPasswordPolicy(p) => {
                    let a = p.account.clone();
                    self.acct(&a).password_policy = Some(p);
                }
                Op::DeletePasswordPolicy(a) => {
                    self.acct(&a).password_policy = None;
                }
                Op::PutReport(r) => {
                    let a = r.account.clone();
                    self.acct(&a).report = Some(r);
                }
                Op::PutAlias(a) => {
                    self.acct(&a.account).alias = Some(a.alias);
                }
                Op::DeleteAlias(a) => {
                    self.acct(&a).alias = None;
                }
                Op::PutDeletion(d) => {
                    let a = d.account.clone();
                    self.acct(&a).deletions.insert(d.id.clone(), d);
                }
                Op::PutAccessJob(j) => {
                    let a = j.account.clone();
                    self.acct(&a).access_jobs.insert(j.id.clone(), *j);
                }
                Op::DeleteAccessJob(a, id) => {
                    self.acct(&a).access_jobs.remove(&id);
                }
                Op::PutOidc(o) => {
                    let a = o.account.clone();
                    self.acct(&a).oidc.insert(o.url.clone(), o);
                }
                Op::DeleteOidc(a, url) => {
                    self.acct(&a).oidc.remove(&url);
                }
                Op::PutServerCert(c) => {
                    let a = c.account.clone();
                    self.acct(&a)
                        .server_certs
                        .insert(c.name.to_ascii_lowercase(), c);
                }
                Op::DeleteServerCert(a, n) => {
                    self.acct(&a).server_certs.remove(&n.to_ascii_lowercase());
                }
                Op::PutSigningCert(c) => {
                    let a = c.account.clone();
                    self.acct(&a).signing_certs.insert(c.id.clone(), c);
                }
                Op::DeleteSigningCert(a, id) => {
                    self.acct(&a).signing_certs.remove(&id);
                }
            }
        }
    }
}

/// What the service and the [`crate::Directory`] share.
pub(crate) struct Shared {
    pub store: Store,
    pub state: RwLock<State>,
    /// Serialises mutations: plan, submit and apply happen under it.
    pub writer: tokio::sync::Mutex<()>,
    /// The directory's parsed policies per principal, valid for one state epoch.
    pub cache: RwLock<crate::directory::Cache>,
    /// When each access key and role was last used (see `usage`).
    pub usage: std::sync::Mutex<crate::usage::Usage>,
    /// Whether any account root holds an IAM-issued access key: while none does, a root's
    /// call (the command line's keys) needs no usage bookkeeping at all, which keeps the
    /// root's request path free of IAM's locks.
    pub root_keys: std::sync::atomic::AtomicBool,
}

impl Shared {
    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.state.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Changes the state under its write lock, keeping [`Shared::root_keys`] in step.
    pub fn write(&self, f: impl FnOnce(&mut State)) {
        let mut st = self.state.write().unwrap_or_else(|e| e.into_inner());
        f(&mut st);
        let any = st.keys.values().any(|k| k.user.is_none());
        self.root_keys
            .store(any, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn usage<R>(&self, f: impl FnOnce(&mut crate::usage::Usage) -> R) -> R {
        f(&mut self.usage.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The IAM service: implements the generated `Handlers` trait (see `handlers`).
pub struct Iam {
    pub(crate) shared: Arc<Shared>,
    pub(crate) ids: Arc<Ids>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Iam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iam").finish_non_exhaustive()
    }
}

fn store_error(e: StoreError) -> AwsError {
    AwsError::internal(format!("IAM state could not be stored: {e}"))
}

fn loaded(store: &Store) -> Result<State, StoreError> {
    let mut st = State::default();
    st.apply(persist::load(store)?);
    Ok(st)
}

impl Iam {
    /// Loads every stored IAM record.
    pub fn load(store: Store, clock: Arc<dyn Clock>, ids: Arc<Ids>) -> Result<Self, StoreError> {
        let state = loaded(&store)?;
        let usage = crate::usage::Usage::load(&store)?;
        let root_keys = state.keys.values().any(|k| k.user.is_none());
        Ok(Iam {
            shared: Arc::new(Shared {
                store,
                state: RwLock::new(state),
                writer: tokio::sync::Mutex::new(()),
                cache: RwLock::default(),
                usage: std::sync::Mutex::new(usage),
                root_keys: std::sync::atomic::AtomicBool::new(root_keys),
            }),
            ids,
            clock,
        })
    }

    /// The read API over this service's state (see [`crate::Directory`]).
    pub fn directory(&self) -> crate::Directory {
        crate::Directory {
            shared: self.shared.clone(),
        }
    }

    /// Resets IAM together with `then` (the other services and the store wipe): no write
    /// can plan or submit while `then` runs, and memory is emptied only if it succeeded.
    pub fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let _w = self.shared.writer.lock().await;
            then.await?;
            self.shared.write(|st| *st = State::default());
            self.shared.usage(|u| u.clear());
            Ok(())
        })
    }

    /// Runs `f` over the whole state.
    pub fn read_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        self.shared.read(f)
    }

    /// Runs `f` over the caller's account (empty if it has nothing yet) and the state.
    pub fn read<R>(&self, ctx: &RequestContext, f: impl FnOnce(&State, &Account) -> R) -> R {
        self.shared.read(|st| {
            let empty = Account::default();
            f(st, st.account(ctx.account_id()).unwrap_or(&empty))
        })
    }

    /// Plans a change with `plan` (which sees the state and the caller's account), submits
    /// it, applies it, and returns the plan's answer once the change is durable.
    pub async fn mutate<R>(
        &self,
        ctx: &RequestContext,
        plan: impl FnOnce(&State, &Account) -> Result<(Change, R), AwsError>,
    ) -> Result<R, AwsError> {
        let durable = {
            let _w = self.shared.writer.lock().await;
            let (change, answer) = self.read(ctx, plan)?;
            if change.ops.is_empty() {
                return Ok(answer);
            }
            let durable = self.shared.store.submit(change.batch());
            self.shared.write(|st| st.apply(change));
            (durable, answer)
        };
        let (durable, answer) = durable;
        self.settle(durable).await?;
        Ok(answer)
    }

    /// Waits for durability. On a store failure the memory (which already shows the change)
    /// is rebuilt from what the store really holds, and the caller gets an internal error.
    async fn settle(
        &self,
        durable: impl std::future::Future<Output = Result<(), StoreError>>,
    ) -> Result<(), AwsError> {
        if let Err(e) = durable.await {
            let _w = self.shared.writer.lock().await;
            // Batches apply in submission order: once this no-op barrier has settled, every
            // change submitted before it has landed or failed, so the reload sees them all.
            let mut barrier = Batch::new();
            barrier.delete(persist::USERS.name(), b"\0barrier".to_vec());
            let _ = self.shared.store.submit(barrier).await;
            if let Ok(state) = loaded(&self.shared.store) {
                self.shared.write(|st| *st = state);
            }
            return Err(store_error(e));
        }
        Ok(())
    }

    /// Whole seconds of Nimbus time, in milliseconds (IAM reports seconds).
    pub fn now_ms(&self, ctx: &RequestContext) -> i64 {
        let _ = &self.clock;
        ctx.now.secs() * 1000
    }

    /// A unique id with AWS's prefix for the kind (`AIDA`, `AGPA`, `AROA`, `ANPA`): the
    /// prefix plus 17 characters of the upper-case base32 alphabet, 21 in all.
    pub fn unique_id(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.ids.upper_alnum(17))
    }
}
