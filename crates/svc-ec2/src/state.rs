//! [`Ec2`], the service's state holder: every (account, region)'s VPCs and security groups
//! in memory, loaded from the store at startup. Reads are served from memory. Writes go
//! through [`Ec2::mutate`]: one writer at a time plans a [`Change`] against the current
//! state, submits it to the store's ordered writer queue and applies it to memory; then,
//! with the lock released, the caller waits until the change is durable before answering.
//! So an answer always means durable, and concurrent writers share one group commit
//! (one fsync) instead of queueing behind each other's. A reader may see a change a few
//! hundred microseconds before it is on disk; if the store ever fails a commit, memory is
//! reloaded from the store so it never keeps what the disk does not have. Each (account,
//! region) lazily gets, once, its default VPC with everything AWS puts in a new account's
//! (subnets, gateway, route table, ACL, DHCP options, group; see `setup`), persisted like any
//! other write (a mutation creates them under the same lock hold as its own change, so a
//! reset in between cannot leave it without them). A reset ([`Ec2::reset_with`]) holds the
//! writer lock while the store is wiped, so a racing write lands wholly before it (and is
//! wiped) or wholly after it. [`Ec2`] is a cheap handle (`Clone`) over one shared state, so
//! the binary can give other services a copy (see `public`). Handlers live in `handlers`.

use crate::errors;
use crate::model::{GroupRec, Peer, RuleRec, VpcRec};
use crate::network::Net;
use crate::persist::{self, Change};
use nimbus_core::{AwsError, Ids, RequestContext};
use nimbus_store::{Batch, Store, StoreError};
use nimbus_wire::ResetStep;
use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};

/// (account id, region).
pub type ScopeKey = (String, String);

/// One (account, region)'s resources, keyed by id. Groups are shared (`Arc`), so a
/// describe takes them out from under the lock without copying them.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub vpcs: BTreeMap<String, VpcRec>,
    pub groups: BTreeMap<String, Arc<GroupRec>>,
    /// (VPC id, lower-cased group name) → group id; kept in step with `groups` by
    /// [`State::apply`], so name lookups do not scan every group.
    names: HashMap<(String, String), String>,
    /// Subnets, gateways, route tables, ACLs, DHCP options, addresses, interfaces.
    pub net: Net,
}

impl Scope {
    pub fn default_vpc(&self) -> Option<&VpcRec> {
        self.vpcs.values().find(|v| v.is_default)
    }

    /// The group named `name` (names are case-insensitive) in `vpc_id`.
    pub fn group_by_name(&self, vpc_id: &str, name: &str) -> Option<&GroupRec> {
        let id = self
            .names
            .get(&(vpc_id.to_string(), name.to_ascii_lowercase()))?;
        self.group(id)
    }

    /// The group with id `id`.
    pub fn group(&self, id: &str) -> Option<&GroupRec> {
        self.groups.get(id).map(Arc::as_ref)
    }

    fn name_key(g: &GroupRec) -> (String, String) {
        (g.vpc_id.clone(), g.group_name.to_ascii_lowercase())
    }

    fn put_group(&mut self, g: GroupRec) {
        if let Some(old) = self.groups.get(&g.group_id) {
            self.names.remove(&Self::name_key(old));
        }
        self.names.insert(Self::name_key(&g), g.group_id.clone());
        self.groups.insert(g.group_id.clone(), Arc::new(g));
    }

    /// Applies the writes of `change` that belong to this scope to this copy (for a plan
    /// that builds one change from several steps, each seeing the ones before it).
    pub(crate) fn apply_local(&mut self, change: &Change) {
        for v in &change.put_vpcs {
            self.vpcs.insert(v.vpc_id.clone(), v.clone());
        }
        for g in &change.put_groups {
            self.put_group(g.clone());
        }
        for (_, rec) in &change.put_net {
            self.net.put(rec.clone());
        }
    }

    fn remove_group(&mut self, id: &str) {
        if let Some(old) = self.groups.remove(id) {
            self.names.remove(&Self::name_key(&old));
        }
    }
}

/// All scopes.
#[derive(Debug, Default)]
pub struct State {
    pub scopes: HashMap<ScopeKey, Scope>,
}

/// A scope key seen as borrowed parts, so `scopes` can be searched with the request's
/// `(&str, &str)` instead of a freshly allocated [`ScopeKey`]. Hash and equality are the
/// owned tuple's (a tuple hashes its fields in order, a `String` as its `str`).
trait ScopeKeyParts {
    fn parts(&self) -> (&str, &str);
}

impl ScopeKeyParts for ScopeKey {
    fn parts(&self) -> (&str, &str) {
        (&self.0, &self.1)
    }
}

impl ScopeKeyParts for (&str, &str) {
    fn parts(&self) -> (&str, &str) {
        *self
    }
}

impl<'a> Borrow<dyn ScopeKeyParts + 'a> for ScopeKey {
    fn borrow(&self) -> &(dyn ScopeKeyParts + 'a) {
        self
    }
}

impl Hash for dyn ScopeKeyParts + '_ {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.parts().hash(h);
    }
}

impl PartialEq for dyn ScopeKeyParts + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn ScopeKeyParts + '_ {}

impl State {
    pub fn scope(&self, key: &ScopeKey) -> Option<&Scope> {
        self.scopes.get(key)
    }

    /// The scope of (account, region), looked up without allocating.
    pub fn scope_of(&self, account: &str, region: &str) -> Option<&Scope> {
        self.scopes.get(&(account, region) as &dyn ScopeKeyParts)
    }

    fn apply(&mut self, change: Change) {
        for v in change.put_vpcs {
            let key = (v.account.clone(), v.region.clone());
            self.scopes
                .entry(key)
                .or_default()
                .vpcs
                .insert(v.vpc_id.clone(), v);
        }
        for g in change.put_groups {
            let key = (g.account.clone(), g.region.clone());
            self.scopes.entry(key).or_default().put_group(g);
        }
        for (account, region, id) in change.delete_groups {
            if let Some(s) = self.scopes.get_mut(&(account, region)) {
                s.remove_group(&id);
            }
        }
        for (account, region, id) in change.delete_vpcs {
            if let Some(s) = self.scopes.get_mut(&(account, region)) {
                s.vpcs.remove(&id);
            }
        }
        for (key, rec) in change.put_net {
            self.scopes.entry(key).or_default().net.put(rec);
        }
        for (key, id) in change.delete_net {
            if let Some(s) = self.scopes.get_mut(&key) {
                s.net.remove(&id);
            }
        }
    }
}

/// The EC2 service: implements the generated `Handlers` trait (see `handlers`). Cloning
/// it gives another handle on the same state.
#[derive(Clone)]
pub struct Ec2 {
    inner: Arc<Inner>,
}

/// What every [`Ec2`] handle shares.
pub struct Inner {
    store: Store,
    pub(crate) ids: Arc<Ids>,
    state: RwLock<State>,
    /// Serialises mutations: plan, submit and apply happen under it, so a plan never
    /// races another write (the wait for durability happens after it is released).
    writer: tokio::sync::Mutex<()>,
    /// Key pairs, images and launch templates (`defs`), with their own lock and writer.
    pub(crate) defs: crate::defs::Defs,
    /// The host that runs instances, the clock, per-instance locks (`instances`).
    pub(crate) instances: crate::instances::Instances,
}

impl std::ops::Deref for Ec2 {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl std::fmt::Debug for Ec2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ec2").finish_non_exhaustive()
    }
}

fn store_error(e: StoreError) -> AwsError {
    AwsError::internal(format!("EC2 state could not be stored: {e}"))
}

pub fn scope_key(ctx: &RequestContext) -> ScopeKey {
    (ctx.account_id().to_string(), ctx.region.clone())
}

impl Ec2 {
    /// Loads every stored VPC, group and networking record.
    pub fn load(store: Store, ids: Arc<Ids>) -> Result<Self, StoreError> {
        let mut state = State::default();
        state.apply(persist::load(&store)?.into_change());
        Ok(Ec2 {
            inner: Arc::new(Inner {
                defs: crate::defs::Defs::load(store.clone())?,
                instances: Default::default(),
                store,
                ids,
                state: RwLock::new(state),
                writer: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Resets EC2 together with `then` (the other services and the store wipe; see
    /// [`nimbus_wire::Service::reset`]): no write can plan or submit while `then` runs, and
    /// memory is emptied only if it succeeded. Writes submitted earlier are ahead of the
    /// wipe in the store's queue, so they are wiped too.
    pub fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let _w = self.writer.lock().await;
            let _d = self.defs.writer.lock().await;
            then.await?;
            *self.state.write().unwrap_or_else(|e| e.into_inner()) = State::default();
            let ids = self.instance_ids();
            let volumes = self.kept_volume_ids();
            self.defs.clear();
            // What ran for the wiped records goes too.
            self.terminate_on_host(ids).await;
            self.delete_volumes_on_host(volumes).await;
            Ok(())
        })
    }

    /// Runs `f` over the whole state.
    pub fn read_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.state.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Makes sure the caller's scope has its default VPC and group, then runs `f` on it.
    pub async fn read<R>(
        &self,
        ctx: &RequestContext,
        f: impl FnOnce(&State, &Scope) -> R,
    ) -> Result<R, AwsError> {
        loop {
            {
                let st = self.state.read().unwrap_or_else(|e| e.into_inner());
                let scope = st.scope_of(ctx.account_id(), &ctx.region);
                if let Some(scope) = scope.filter(|s| s.net.initialised) {
                    return Ok(f(&st, scope));
                }
            }
            // No defaults yet (or a reset came between creating them and reading).
            self.ensure_defaults(ctx).await?;
        }
    }

    /// Plans a change with `plan` (which sees the caller's scope, defaults included),
    /// submits it, applies it, and returns the plan's answer once the change is durable.
    /// Missing defaults are created in the same batch, under the same lock hold.
    pub async fn mutate<R>(
        &self,
        ctx: &RequestContext,
        plan: impl FnOnce(&State, &Scope) -> Result<(Change, R), AwsError>,
    ) -> Result<R, AwsError> {
        self.mutate_scope(scope_key(ctx), plan).await
    }

    /// [`Ec2::mutate`] for the scope `key`, without a request.
    pub async fn mutate_scope<R>(
        &self,
        key: ScopeKey,
        plan: impl FnOnce(&State, &Scope) -> Result<(Change, R), AwsError>,
    ) -> Result<R, AwsError> {
        let (durable, answer) = {
            let _w = self.writer.lock().await;
            let mut batch = Batch::new();
            if !self.has_defaults(&key) {
                let defaults = self.default_change(&key);
                batch = defaults.batch();
                self.apply(defaults);
            }
            let planned = {
                let st = self.state.read().unwrap_or_else(|e| e.into_inner());
                let empty = Scope::default();
                plan(&st, st.scope(&key).unwrap_or(&empty))
            };
            // A refused plan still submits the defaults it caused (memory already has them).
            let answer = planned.map(|(change, out)| {
                batch.append(change.batch());
                self.apply(change);
                out
            });
            (self.store.submit(batch), answer)
        };
        self.settle(durable).await?;
        answer
    }

    /// Applies `change` to memory; the caller holds the writer lock and submits the
    /// change's batch under the same hold.
    fn apply(&self, change: Change) {
        self.state
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .apply(change);
        self.notify_changed();
    }

    /// Queues `change` for the store and applies it to memory; the caller holds the
    /// writer lock. The returned future resolves when the change is durable.
    fn submit_and_apply(
        &self,
        change: Change,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send + 'static {
        let durable = self.store.submit(change.batch());
        self.apply(change);
        durable
    }

    /// Waits for durability. On a store failure the memory (which already shows the change)
    /// is rebuilt from what the store really holds, and the caller gets an internal error.
    async fn settle(
        &self,
        durable: impl std::future::Future<Output = Result<(), StoreError>>,
    ) -> Result<(), AwsError> {
        if let Err(e) = durable.await {
            let _w = self.writer.lock().await;
            // Batches apply in submission order: once this no-op barrier has settled, every
            // change submitted before it has landed or failed, so the reload sees them all.
            let mut barrier = nimbus_store::Batch::new();
            barrier.delete(persist::GROUPS.name(), b"\0barrier".to_vec());
            let _ = self.store.submit(barrier).await;
            if let Ok(loaded) = persist::load(&self.store) {
                let mut state = State::default();
                state.apply(loaded.into_change());
                *self.state.write().unwrap_or_else(|e| e.into_inner()) = state;
            }
            return Err(store_error(e));
        }
        Ok(())
    }

    fn has_defaults(&self, key: &ScopeKey) -> bool {
        self.read_state(|st| st.scope(key).is_some_and(|s| s.net.initialised))
    }

    pub async fn ensure_defaults(&self, ctx: &RequestContext) -> Result<(), AwsError> {
        let key = scope_key(ctx);
        if self.has_defaults(&key) {
            return Ok(());
        }
        let durable = {
            let _w = self.writer.lock().await;
            if self.has_defaults(&key) {
                return Ok(());
            }
            self.submit_and_apply(self.default_change(&key))
        };
        self.settle(durable).await
    }

    /// What the scope still lacks of its defaults (see `setup::defaults`).
    fn default_change(&self, key: &ScopeKey) -> Change {
        self.read_state(|st| crate::setup::defaults(self, key, st.scope(key)))
    }

    /// A VPC's `default` group: all traffic in from members of the group itself, all
    /// traffic out to anywhere.
    pub(crate) fn default_group(&self, account: &str, region: &str, vpc_id: &str) -> GroupRec {
        let group_id = self.ids.resource_id("sg");
        let ingress = RuleRec {
            rule_id: self.ids.resource_id("sgr"),
            is_egress: false,
            protocol: "-1".into(),
            from_port: None,
            to_port: None,
            peer: Peer::Group {
                group_id: group_id.clone(),
                user_id: account.to_string(),
            },
            description: None,
            tags: Vec::new(),
        };
        GroupRec {
            account: account.to_string(),
            region: region.to_string(),
            group_id,
            group_name: "default".into(),
            description: "default VPC security group".into(),
            vpc_id: vpc_id.to_string(),
            tags: Vec::new(),
            rules: vec![ingress, self.allow_all_egress()],
        }
    }

    /// The egress rule every new group starts with: all traffic to 0.0.0.0/0.
    pub fn allow_all_egress(&self) -> RuleRec {
        RuleRec {
            rule_id: self.ids.resource_id("sgr"),
            is_egress: true,
            protocol: "-1".into(),
            from_port: None,
            to_port: None,
            peer: Peer::Ipv4("0.0.0.0/0".into()),
            description: None,
            tags: Vec::new(),
        }
    }
}

/// Whether `id` looks like a security group id (`sg-` + 8 or 17 hex digits).
pub fn is_group_id(id: &str) -> bool {
    is_resource_id(id, "sg-")
}

pub fn is_resource_id(id: &str, prefix: &str) -> bool {
    match id.strip_prefix(prefix) {
        Some(hex) => {
            (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// Checks a group id's format, for `InvalidGroupId.Malformed`.
pub fn check_group_id(id: &str) -> Result<(), AwsError> {
    if is_group_id(id) {
        Ok(())
    } else {
        Err(errors::group_id_malformed(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DEFAULT_VPC_CIDR;

    #[test]
    fn scopes_are_found_by_borrowed_keys() {
        let mut st = State::default();
        for (a, r) in [
            ("111", "us-east-1"),
            ("111", "eu-west-1"),
            ("222", "us-east-1"),
        ] {
            st.scopes
                .entry((a.to_string(), r.to_string()))
                .or_default()
                .vpcs
                .insert(
                    format!("{a}/{r}"),
                    VpcRec {
                        account: a.into(),
                        region: r.into(),
                        vpc_id: format!("{a}/{r}"),
                        cidr_block: DEFAULT_VPC_CIDR.into(),
                        cidr_assoc_id: String::new(),
                        dhcp_options_id: String::new(),
                        is_default: true,
                        ..Default::default()
                    },
                );
        }
        for (a, r) in [
            ("111", "us-east-1"),
            ("111", "eu-west-1"),
            ("222", "us-east-1"),
        ] {
            let owned = st.scope(&(a.to_string(), r.to_string())).map(|s| &s.vpcs);
            assert_eq!(st.scope_of(a, r).map(|s| &s.vpcs), owned);
            assert!(owned.is_some_and(|v| v.contains_key(&format!("{a}/{r}"))));
        }
        assert!(st.scope_of("222", "eu-west-1").is_none());
        assert!(st.scope_of("11", "1us-east-1").is_none());
    }
}
