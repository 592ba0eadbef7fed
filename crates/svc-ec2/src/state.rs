//! [`Ec2`], the service's state holder: every (account, region)'s VPCs and security groups
//! in memory, loaded from the store at startup. Reads are served from memory. Writes go
//! through [`Ec2::mutate`]: one writer at a time plans a [`Change`] against the current
//! state, commits it to the store, and only once it is durable applies it to memory, so an
//! answer always means durable. Each (account, region) lazily gets its default VPC and
//! default security group, persisted like any other write. Handlers live in `handlers`.

use crate::errors;
use crate::model::{GroupRec, Peer, RuleRec, VpcRec, DEFAULT_VPC_CIDR};
use crate::persist::{self, Change};
use nimbus_core::{AwsError, Ids, RequestContext};
use nimbus_store::{Store, StoreError};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// (account id, region).
pub type ScopeKey = (String, String);

/// One (account, region)'s resources, keyed by id.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub vpcs: BTreeMap<String, VpcRec>,
    pub groups: BTreeMap<String, GroupRec>,
}

impl Scope {
    pub fn default_vpc(&self) -> Option<&VpcRec> {
        self.vpcs.values().find(|v| v.is_default)
    }

    /// The group named `name` (names are case-insensitive) in `vpc_id`.
    pub fn group_by_name(&self, vpc_id: &str, name: &str) -> Option<&GroupRec> {
        self.groups
            .values()
            .find(|g| g.vpc_id == vpc_id && g.group_name.eq_ignore_ascii_case(name))
    }
}

/// All scopes.
#[derive(Debug, Default)]
pub struct State {
    pub scopes: HashMap<ScopeKey, Scope>,
}

impl State {
    pub fn scope(&self, key: &ScopeKey) -> Option<&Scope> {
        self.scopes.get(key)
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
            self.scopes
                .entry(key)
                .or_default()
                .groups
                .insert(g.group_id.clone(), g);
        }
        for (account, region, id) in change.delete_groups {
            if let Some(s) = self.scopes.get_mut(&(account, region)) {
                s.groups.remove(&id);
            }
        }
    }
}

/// The EC2 service: implements the generated `Handlers` trait (see `handlers`).
pub struct Ec2 {
    store: Store,
    pub(crate) ids: Arc<Ids>,
    state: RwLock<State>,
    /// Serialises mutations: plan, commit and apply happen under it, so a plan never
    /// races another write.
    writer: tokio::sync::Mutex<()>,
    /// Bumped by `reset`; a mutation that committed before a reset does not resurrect its
    /// change in the wiped memory.
    generation: AtomicU64,
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
    /// Loads every stored VPC and group.
    pub fn load(store: Store, ids: Arc<Ids>) -> Result<Self, StoreError> {
        let (vpcs, groups) = persist::load(&store)?;
        let mut state = State::default();
        state.apply(Change {
            put_vpcs: vpcs,
            put_groups: groups,
            delete_groups: Vec::new(),
        });
        Ok(Ec2 {
            store,
            ids,
            state: RwLock::new(state),
            writer: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
        })
    }

    /// Forgets all in-memory state (the gateway wipes the store itself).
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = State::default();
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
        self.ensure_defaults(ctx).await?;
        let key = scope_key(ctx);
        let st = self.state.read().unwrap_or_else(|e| e.into_inner());
        let empty = Scope::default();
        let scope = st.scope(&key).unwrap_or(&empty);
        Ok(f(&st, scope))
    }

    /// Plans a change with `plan` (which sees the caller's scope, defaults included),
    /// commits it durably, applies it, and returns the plan's answer.
    pub async fn mutate<R>(
        &self,
        ctx: &RequestContext,
        plan: impl FnOnce(&State, &Scope) -> Result<(Change, R), AwsError>,
    ) -> Result<R, AwsError> {
        let _w = self.writer.lock().await;
        let key = scope_key(ctx);
        self.ensure_defaults_locked(&key).await?;
        let generation = self.generation.load(Ordering::SeqCst);
        let (change, out) = {
            let st = self.state.read().unwrap_or_else(|e| e.into_inner());
            let empty = Scope::default();
            plan(&st, st.scope(&key).unwrap_or(&empty))?
        };
        self.commit_and_apply(change, generation).await?;
        Ok(out)
    }

    async fn commit_and_apply(&self, change: Change, generation: u64) -> Result<(), AwsError> {
        if change.is_empty() {
            return Ok(());
        }
        self.store
            .commit(change.batch())
            .await
            .map_err(store_error)?;
        if self.generation.load(Ordering::SeqCst) == generation {
            self.state
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .apply(change);
        }
        Ok(())
    }

    fn has_defaults(&self, key: &ScopeKey) -> bool {
        self.read_state(|st| st.scope(key).and_then(Scope::default_vpc).is_some())
    }

    pub async fn ensure_defaults(&self, ctx: &RequestContext) -> Result<(), AwsError> {
        let key = scope_key(ctx);
        if self.has_defaults(&key) {
            return Ok(());
        }
        let _w = self.writer.lock().await;
        self.ensure_defaults_locked(&key).await
    }

    /// Creates the default VPC and its default group; the caller holds the writer lock.
    async fn ensure_defaults_locked(&self, key: &ScopeKey) -> Result<(), AwsError> {
        if self.has_defaults(key) {
            return Ok(());
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let (account, region) = key.clone();
        let vpc = VpcRec {
            account: account.clone(),
            region: region.clone(),
            vpc_id: self.ids.resource_id("vpc"),
            cidr_block: DEFAULT_VPC_CIDR.to_string(),
            cidr_assoc_id: self.ids.resource_id("vpc-cidr-assoc"),
            dhcp_options_id: self.ids.resource_id("dopt"),
            is_default: true,
            tags: Vec::new(),
        };
        let group = self.default_group(&account, &region, &vpc.vpc_id);
        let change = Change {
            put_vpcs: vec![vpc],
            put_groups: vec![group],
            delete_groups: Vec::new(),
        };
        self.commit_and_apply(change, generation).await
    }

    /// A VPC's `default` group: all traffic in from members of the group itself, all
    /// traffic out to anywhere.
    fn default_group(&self, account: &str, region: &str, vpc_id: &str) -> GroupRec {
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
